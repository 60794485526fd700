"""A finding's page (its whole timeline and the actions the viewer may take) and its forms.

Each form is checked with the JSON route's schema and runs the same application method the
JSON route runs, through the same command runner: the domain's guards and a unit account's
scope are therefore exactly the API's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import (
    INSPECTORS,
    REPORTERS,
    Form,
    FormDep,
    FormError,
    PageError,
    Viewer,
    ViewerDep,
    after_command,
    perform,
    render,
    unit_names,
    validated,
    visible_units,
    wait_for_own_writes,
)
from api.http.presentation import event_out
from api.http.schemas import (
    AccountabilityCreate,
    Amendment,
    DeadlineExtension,
    FindingCreate,
    ReasonOnly,
    RectificationOrder,
    RectificationReport,
    Reopening,
    ToleranceCreate,
    Verification,
)
from domain.clock import today
from domain.errors import NotFound
from domain.findings import Finding
from domain.vocabulary import FindingStatus as S
from domain.vocabulary import Role
from projections.finding_board import deadline_colour
from projections.rulings import RulingFilter

router = APIRouter(include_in_schema=False)
OPEN = (S.RAISED, S.RECTIFYING, S.REPORTED)

# action → (who may, in which statuses); the domain checks again when the command runs.
ACTIONS: dict[str, tuple[frozenset[Role], tuple[S, ...]]] = {
    "rectification-order": (INSPECTORS, (S.RAISED,)),
    "rectification-report": (REPORTERS, (S.RECTIFYING,)),
    "verification": (INSPECTORS, (S.REPORTED,)),
    "deadline-extension": (INSPECTORS, (S.RECTIFYING, S.REPORTED)),
    "escalation": (INSPECTORS, OPEN),
    "amendment": (INSPECTORS, (*OPEN, S.CLOSED)),
    "withdrawal": (INSPECTORS, OPEN),
    "reopening": (INSPECTORS, (S.CLOSED,)),
    "accountability": (INSPECTORS, tuple(S)),
    "fault-tolerance": (REPORTERS, tuple(S)),
}


def finding_id_of(value: str, viewer: Viewer) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise PageError(404, "未找到该问题，或您无权查看。", viewer) from None


def load(viewer: Viewer, finding_id: UUID) -> Finding:
    try:
        return viewer.services.app.get_finding(finding_id, viewer=viewer.actor)
    except NotFound:
        raise PageError(404, "未找到该问题，或您无权查看。", viewer) from None


def timeline(viewer: Viewer, finding: Finding) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The finding's events with those of the rulings that link it, in time order (as the
    API's /timeline), and those rulings."""
    services = viewer.services
    linked = services.rulings.page(RulingFilter(finding_id=finding.id), 500, None).items
    items = []
    for aggregate_id, kind in [(finding.id, "finding")] + [(r["id"], r["kind"]) for r in linked]:
        for event in services.app.aggregate_history(aggregate_id):
            items.append({**event_out(event), "aggregate_id": str(aggregate_id), "kind": kind})
    items.sort(key=lambda item: str(item["recorded_at"]))
    return items, linked


def finding_page(
    request: Request,
    viewer: Viewer,
    finding_id: UUID,
    errors: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    wait_for_own_writes(viewer, viewer.services.rulings)
    finding = load(viewer, finding_id)
    events, linked = timeline(viewer, finding)
    allowed = [
        action
        for action, (roles, statuses) in ACTIONS.items()
        if viewer.may(roles) and finding.status in statuses
    ]
    return render(
        request,
        "finding.html",
        viewer,
        status=status,
        finding=finding,
        colour=deadline_colour(finding.status.value, finding.deadline, today()),
        overdue=finding.is_overdue(today()),
        events=events,
        rulings=linked,
        actions=allowed,
        errors=errors or {},
        values=values or {},
        form_key=secrets.token_urlsafe(24),
        names=unit_names(viewer.services),
    )


@router.get("/findings/new")
def new_finding(request: Request, viewer: ViewerDep) -> Response:
    """发现问题: the form."""
    viewer.require(INSPECTORS)
    return raise_form(request, viewer)


def raise_form(
    request: Request,
    viewer: Viewer,
    error: str | None = None,
    values: Any = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "finding_new.html",
        viewer,
        status=status,
        units=visible_units(viewer, active_only=True),
        error=error,
        values=values or {"found_on": today().isoformat()},
        form_key=secrets.token_urlsafe(24),
    )


@router.post("/findings")
def raise_finding(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """发现问题: raise it, then show its page."""
    viewer.require(INSPECTORS)
    try:
        body = validated(
            FindingCreate,
            {
                "unit_code": form.get("unit_code"),
                "title": form.get("title"),
                "description": form.get("description"),
                "category": form.get("category"),
                "severity": form.get("severity"),
                "source": form.get("source"),
                "found_on": form.optional("found_on"),
                "evidence": [],
            },
        )
        app, actor = viewer.services.app, viewer.actor
        answer = perform(
            request,
            viewer,
            form,
            body,
            lambda **kw: app.raise_finding(
                unit_code=body.unit_code,
                title=body.title,
                description=body.description,
                category=body.category.value,
                severity=body.severity.value,
                source=body.source.value,
                found_on=body.found_on,
                evidence=[],
                actor=actor,
                **kw,
            ),
        )
    except FormError as error:
        return raise_form(request, viewer, error.message, form.values(), error.status)
    return after_command(request, viewer, answer, f"/findings/{answer['id']}?done=raised")


@router.get("/findings/{finding_id}")
def show_finding(request: Request, finding_id: str, viewer: ViewerDep) -> Response:
    """问题详情: the finding, its timeline (who, when, what, why) and the viewer's actions."""
    return finding_page(request, viewer, finding_id_of(finding_id, viewer))


def body_of(action: str, form: Form, finding_id: UUID) -> Any:
    """The JSON route's request schema for `action`, filled from the form."""
    subject = {"unit_code": form.get("unit_code")}
    if form.get("person_name"):
        subject["person"] = {
            "name": form.get("person_name"),
            "position": form.get("person_position"),
        }  # type: ignore[assignment]
    builders: dict[str, Callable[[], Any]] = {
        "rectification-order": lambda: validated(
            RectificationOrder,
            {"deadline": form.optional("deadline"), "requirements": form.get("requirements")},
        ),
        "rectification-report": lambda: validated(
            RectificationReport, {"summary": form.get("summary"), "evidence": []}
        ),
        "verification": lambda: validated(
            Verification,
            {
                "outcome": form.get("outcome"),
                "comment": form.get("comment"),
                "new_deadline": form.optional("new_deadline"),
            },
        ),
        "deadline-extension": lambda: validated(
            DeadlineExtension,
            {"new_deadline": form.optional("new_deadline"), "reason": form.get("reason")},
        ),
        "escalation": lambda: validated(ReasonOnly, {"reason": form.get("reason")}),
        "withdrawal": lambda: validated(ReasonOnly, {"reason": form.get("reason")}),
        "reopening": lambda: validated(
            Reopening, {"reason": form.get("reason"), "new_deadline": form.optional("new_deadline")}
        ),
        "amendment": lambda: validated(
            Amendment,
            {
                "changes": {
                    k: form.get(k)
                    for k in ("title", "description", "category", "severity", "source", "found_on")
                    if form.get(k)
                },
                "reason": form.get("reason"),
            },
        ),
        "accountability": lambda: validated(
            AccountabilityCreate,
            {
                "subject": subject,
                "finding_ids": [finding_id],
                "form": form.get("form"),
                "basis": form.get("basis"),
                "facts": form.get("facts"),
            },
        ),
        "fault-tolerance": lambda: validated(
            ToleranceCreate,
            {
                "subject": subject,
                "finding_ids": [finding_id],
                "grounds": form.get("grounds"),
                "criteria_claimed": form.getlist("criteria_claimed"),
            },
        ),
    }
    return builders[action]()


def command_of(action: str, body: Any, viewer: Viewer, finding_id: UUID) -> Callable[..., Any]:
    """The application method the JSON route for `action` calls, with the same arguments."""
    app, actor = viewer.services.app, viewer.actor
    commands: dict[str, Callable[..., Any]] = {
        "rectification-order": lambda **kw: app.order_rectification(
            finding_id, deadline=body.deadline, requirements=body.requirements, actor=actor, **kw
        ),
        "rectification-report": lambda **kw: app.report_rectification(
            finding_id, summary=body.summary, evidence=[], actor=actor, **kw
        ),
        "verification": lambda **kw: app.verify_rectification(
            finding_id,
            outcome=body.outcome.value,
            comment=body.comment,
            new_deadline=body.new_deadline,
            actor=actor,
            **kw,
        ),
        "deadline-extension": lambda **kw: app.extend_deadline(
            finding_id, new_deadline=body.new_deadline, reason=body.reason, actor=actor, **kw
        ),
        "escalation": lambda **kw: app.escalate_finding(
            finding_id, reason=body.reason, actor=actor, **kw
        ),
        "withdrawal": lambda **kw: app.withdraw_finding(
            finding_id, reason=body.reason, actor=actor, **kw
        ),
        "reopening": lambda **kw: app.reopen_finding(
            finding_id, reason=body.reason, new_deadline=body.new_deadline, actor=actor, **kw
        ),
        "amendment": lambda **kw: app.amend_finding(
            finding_id,
            changes=body.changes.model_dump(exclude_unset=True),
            reason=body.reason,
            actor=actor,
            **kw,
        ),
        "accountability": lambda **kw: app.propose_accountability(
            subject=body.subject.model_dump(exclude_none=True),
            finding_ids=body.finding_ids,
            form=body.form.value,
            basis=body.basis,
            facts=body.facts,
            actor=actor,
            **kw,
        ),
        "fault-tolerance": lambda **kw: app.apply_for_tolerance(
            subject=body.subject.model_dump(exclude_none=True),
            finding_ids=body.finding_ids,
            grounds=body.grounds,
            criteria_claimed=[c.value for c in body.criteria_claimed],
            actor=actor,
            **kw,
        ),
    }
    return commands[action]


@router.post("/findings/{finding_id}/{action}")
def finding_action(
    request: Request, finding_id: str, action: str, viewer: ViewerDep, form: FormDep
) -> Response:
    """One of the finding's commands; a refusal is shown beside its form, in Chinese."""
    fid = finding_id_of(finding_id, viewer)
    if action not in ACTIONS:
        raise PageError(404, "页面不存在。", viewer)
    viewer.require(ACTIONS[action][0])
    try:
        body = body_of(action, form, fid)
        answer = perform(request, viewer, form, body, command_of(action, body, viewer, fid))
    except FormError as error:
        return finding_page(
            request, viewer, fid, {action: error.message}, {action: form.values()}, error.status
        )
    if action in ("accountability", "fault-tolerance"):  # a new ruling: show it
        return after_command(request, viewer, answer, f"/rulings/{answer['id']}?done={action}")
    return after_command(request, viewer, answer, f"/findings/{fid}?done={action}")
