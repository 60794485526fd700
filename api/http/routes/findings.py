"""Findings (督查发现问题): raise, carry through rectification to closure, read, time-travel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.http import scoping
from api.http.command_routes import Route, mount
from api.http.deps import (
    Cursor,
    Limit,
    Reader,
    Search,
    ServicesDep,
    UnitFilter,
    YearFilter,
    reached,
)
from api.http.errors import ApiError
from api.http.presentation import check_query_text, event_out, events_page, record_out
from api.http.read_schemas import EventPage, FindingPage, TimelinePage
from api.http.routing import Router
from api.http.schemas import (
    Amendment,
    DeadlineExtension,
    FindingCreate,
    ReasonOnly,
    RectificationOrder,
    RectificationReport,
    Reopening,
    Verification,
)
from domain.clock import today
from domain.findings import Finding
from domain.registry import (
    AmendFinding,
    EscalateFinding,
    ExtendDeadline,
    OrderRectification,
    RaiseFinding,
    ReopenFinding,
    ReportRectification,
    VerifyRectification,
    WithdrawFinding,
)
from domain.vocabulary import (
    FindingCategory,
    FindingSource,
    FindingStatus,
    Severity,
)
from projections.finding_board import FindingFilter, deadline_colour, due_by_of

router = Router(prefix="/api/v1/findings", tags=["findings"])


def finding_out(f: Finding) -> dict[str, Any]:
    day = today()
    due_by = due_by_of(f.deadline) if f.deadline else None
    return record_out(
        f,
        {
            "unit_code": f.unit_code,
            "title": f.title,
            "description": f.description,
            "category": f.category.value,
            "severity": f.severity.value,
            "source": f.source.value,
            "status": f.status.value,
            "status_label": f.status.label,
            "found_on": f.found_on,
            "deadline": f.deadline,
            "overdue": f.is_overdue(day, due_by),
            "deadline_colour": deadline_colour(
                f.status.value,
                f.deadline,
                day,
                f.ordered_on,
                f.progress_percent,
                due_by,
            ),
            "requirements": f.requirements,
            "evidence": f.evidence,
            "reports": f.reports,
            "escalations": f.escalations,
            "reopen_count": f.reopen_count,
            "closed_on": f.closed_on,
            "withdrawn_reason": f.withdrawn_reason,
            "work_item_id": f.work_item_id,
            "origin": f.origin,
            "power_items": f.power_items,
        },
    )


# -- reads ------------------------------------------------------------------------------------


@router.get("", response_model=FindingPage, dependencies=[reached("finding_board")])
def list_findings(
    services: ServicesDep,
    actor: Reader,
    unit_code: UnitFilter = None,
    status: FindingStatus | None = None,
    overdue: bool | None = None,
    category: FindingCategory | None = None,
    severity: Severity | None = None,
    year: YearFilter = None,
    q: Search = None,
    source: FindingSource | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The finding board, newest first; a unit account sees only its own unit's findings.
    `source`: where the matters came from (立项: `leader_instruction` 领导批示,
    `meeting_decision` 会议议定, …)."""
    for value in (unit_code, q):
        if value is not None:
            check_query_text(value)
    return scoping.scoped_page(
        services,
        actor,
        unit_code,
        lambda units: services.board.list(
            FindingFilter(
                units,
                status and status.value,
                overdue,
                category and category.value,
                severity and severity.value,
                year,
                q or None,
                source and source.value,
            ),
            today(),
            limit,
            cursor,
        ),
    )


@router.get(
    "/{finding_id}/timeline", response_model=TimelinePage, dependencies=[reached("rulings")]
)
def finding_timeline(
    finding_id: UUID,
    services: ServicesDep,
    actor: Reader,
) -> dict[str, Any]:
    """The finding's events and those of every ruling that links it, in time order."""
    services.app.get_finding(finding_id, viewer=actor)
    linked = scoping.linked_rulings(services, actor, finding_id)
    items = []
    for aggregate_id, kind in [(finding_id, "finding")] + [(r["id"], r["kind"]) for r in linked]:
        for event in services.app.aggregate_history(aggregate_id):
            items.append(
                {**event_out(event), "aggregate_id": str(aggregate_id), "aggregate_type": kind}
            )
    items.sort(key=lambda item: str(item["recorded_at"]))
    return {"items": items, "next_cursor": None}


@router.get("/{finding_id}/events", response_model=EventPage)
def finding_events(
    finding_id: UUID,
    services: ServicesDep,
    actor: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The finding's own events, oldest first: who did what, when and why."""
    services.app.get_finding(finding_id, viewer=actor)
    return events_page(services.app.aggregate_history(finding_id), limit, cursor)


# -- commands ---------------------------------------------------------------------------------


def amendment_fields(body: Amendment) -> dict[str, Any]:
    """An amendment names only the fields it corrects, and cannot clear one but the origin
    (a finding whose source no longer names one)."""
    changes = body.changes.model_dump(exclude_unset=True)
    if any(v is None for k, v in changes.items() if k != "origin"):
        raise ApiError(422, "validation_error", "an amendment cannot clear a field")
    return {"changes": changes, "reason": body.reason}


mount(
    router,
    {
        RaiseFinding: FindingCreate,
        OrderRectification: RectificationOrder,
        ReportRectification: RectificationReport,
        VerifyRectification: Verification,
        ExtendDeadline: DeadlineExtension,
        EscalateFinding: ReasonOnly,
        AmendFinding: Route(Amendment, prepare=amendment_fields),
        WithdrawFinding: ReasonOnly,
        ReopenFinding: Reopening,
    },
)
