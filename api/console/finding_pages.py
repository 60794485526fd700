"""A finding's page (its whole timeline and the actions the viewer may take) and its forms.

Each form is checked with the JSON route's schema and sends the same registered command the
JSON route sends, through the same command runner: the domain's guards and a unit account's
scope are therefore exactly the API's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.document_pages import documents_of, evidence, issuable
from api.console.web import (
    EVERY,
    INSPECTORS,
    OPTIONAL,
    REPORTERS,
    TEXT,
    Form,
    FormCommand,
    FormDep,
    FormError,
    Offered,
    PageError,
    Refusal,
    Viewer,
    ViewerDep,
    act,
    creation_form,
    creation_routes,
    offered,
    record_page,
    visible_units,
    wait_for_own_writes,
)
from api.http.presentation import event_out
from api.http.scoping import linked_rulings
from domain.clock import today
from domain.documents import PRESSED
from domain.errors import NotFound
from domain.findings import ORIGINS, Finding
from domain.messages import REGISTRY
from domain.registry import (
    AcknowledgeOrder,
    AmendFinding,
    ApplyForExtension,
    ApplyForTolerance,
    DecideExtension,
    DisputeOrder,
    EscalateFinding,
    ExtendDeadline,
    HoldInterview,
    OrderRectification,
    ProposeAccountability,
    RaiseFinding,
    ReassignFinding,
    RejectDispute,
    ReopenFinding,
    ReportFindingProgress,
    ReportRectification,
    ReviewExtension,
    VerifyRectification,
    WithdrawFinding,
)
from domain.vocabulary import DocumentKind, UnitStatus
from domain.vocabulary import FindingStatus as S
from infra.receipts import signed_versions
from projections.evidence import EvidenceView
from projections.finding_board import deadline_colour, due_by_of

NOTICES = (DocumentKind.SUPERVISION_NOTICE, DocumentKind.RECTIFICATION_NOTICE)
router = APIRouter(include_in_schema=False)
OPEN = (S.RAISED, S.RECTIFYING, S.REPORTED)

CORRECTABLE = ("title", "description", "category", "severity", "source", "found_on")
# The 立项依据 a source names, by its code, and the fields of every one (named origin_… on the
# forms).
NAMED_ORIGINS: dict[str, tuple[str, str]] = {str(s): named for s, named in ORIGINS.items()}
ORIGIN_FIELDS = tuple(field for named in ORIGINS.values() for field in named)


def changes(form: Form, name: str) -> dict[str, Any]:
    """An amendment's corrections: the fields filled in (a blank one is left as it is), and
    the 立项依据 fields typed. A source corrected to 领导批示 or 会议议定 always sends them
    (the domain asks for both of its own); one corrected to another source, with none typed,
    sends no origin, which the domain then clears. A field typed is never dropped: one the
    source does not take is refused."""
    corrected: dict[str, Any] = {k: form.get(k) for k in CORRECTABLE if form.get(k)}
    typed = {f: form.get(f"origin_{f}") for f in ORIGIN_FIELDS if form.get(f"origin_{f}")}
    if typed or form.get("source") in NAMED_ORIGINS:
        corrected["origin"] = typed
    return corrected


def subject(form: Form, name: str) -> dict[str, Any]:
    """A new ruling's subject: the finding's unit, and the person if one is named (a position
    alone is a person without a name, which the schema refuses: nothing typed is dropped)."""
    person = {"name": form.get("person_name"), "position": form.get("person_position")}
    typed = person["name"] or person["position"]
    return {"unit_code": form.get("unit_code")} | ({"person": person} if typed else {})


REASON = {"reason": TEXT}
NEW_RULING: dict[str, Any] = {"link": "finding_ids"}


def origin(form: Form, name: str) -> dict[str, Any] | None:
    """立项: the instruction or the meeting the finding's source names (none for the rest)."""
    named = NAMED_ORIGINS.get(form.get("source"))
    if named is None:
        return None
    return {field: form.optional(f"{name}_{field}") for field in named}


RAISE = FormCommand(
    RaiseFinding,
    {k: TEXT for k in ("unit_code", "title", "description", "category", "severity", "source")}
    | {"found_on": OPTIONAL, "origin": origin},
)
# action → who may, in which statuses (the domain checks both again), and its command.
ACTIONS: dict[str, Offered] = {
    "rectification-order": (
        INSPECTORS,
        (S.RAISED,),
        FormCommand(OrderRectification, {"deadline": OPTIONAL, "requirements": TEXT}),
    ),
    "rectification-report": (
        REPORTERS,
        (S.RECTIFYING,),
        FormCommand(ReportRectification, {"summary": TEXT, "evidence": evidence}),
    ),
    "verification": (
        INSPECTORS,
        (S.REPORTED,),
        FormCommand(
            VerifyRectification, {"outcome": TEXT, "comment": TEXT, "new_deadline": OPTIONAL}
        ),
    ),
    "deadline-extension": (
        INSPECTORS,
        (S.RECTIFYING, S.REPORTED),
        FormCommand(ExtendDeadline, {"new_deadline": OPTIONAL} | REASON),
    ),
    "escalation": (INSPECTORS, OPEN, FormCommand(EscalateFinding, REASON)),
    **{
        action: (
            frozenset(REGISTRY[message].roles),
            (S.RECTIFYING,),
            FormCommand(message, fields),
        )
        for action, message, fields in (
            ("acknowledgement", AcknowledgeOrder, {"note": OPTIONAL}),
            ("dispute", DisputeOrder, REASON),
            ("dispute-rejection", RejectDispute, REASON),
            ("reassignment", ReassignFinding, {"to_unit": TEXT} | REASON),
            (
                "progress",
                ReportFindingProgress,
                {"note": TEXT, "percent": TEXT, "evidence": evidence},
            ),
            ("extension-application", ApplyForExtension, {"new_deadline": OPTIONAL} | REASON),
            ("extension-review", ReviewExtension, {"outcome": TEXT, "comment": TEXT}),
            ("extension-decision", DecideExtension, {"outcome": TEXT} | REASON),
        )
    },
    "interview": (
        frozenset(REGISTRY[HoldInterview].roles),
        OPEN,
        FormCommand(HoldInterview, {"held_on": OPTIONAL, "interviewee": TEXT, "summary": TEXT}),
    ),
    "amendment": (
        INSPECTORS,
        (*OPEN, S.CLOSED),
        FormCommand(AmendFinding, {"changes": changes} | REASON),
    ),
    "withdrawal": (INSPECTORS, OPEN, FormCommand(WithdrawFinding, REASON)),
    "reopening": (
        INSPECTORS,
        (S.CLOSED,),
        FormCommand(ReopenFinding, REASON | {"new_deadline": OPTIONAL}),
    ),
    "accountability": (
        INSPECTORS,
        tuple(S),
        FormCommand(
            ProposeAccountability,
            {"subject": subject, "form": TEXT, "basis": TEXT, "facts": TEXT},
            **NEW_RULING,
        ),
    ),
    "fault-tolerance": (
        REPORTERS,
        tuple(S),
        FormCommand(
            ApplyForTolerance,
            {"subject": subject, "grounds": TEXT, "criteria_claimed": EVERY},
            **NEW_RULING,
        ),
    ),
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
    linked = linked_rulings(services, viewer.actor, finding.id)
    items = []
    aggregates = [(finding.id, "finding")] + [(UUID(str(r["id"])), r["kind"]) for r in linked]
    signed = signed_versions(services.database, [aggregate_id for aggregate_id, _ in aggregates])
    for aggregate_id, kind in aggregates:
        for event in services.app.aggregate_history(aggregate_id):
            kept = viewer.actor.keeps_receipt_of(getattr(event, "actor", None))
            ready = (aggregate_id, event.originator_version) in signed
            items.append(
                {
                    **event_out(event),
                    "aggregate_id": str(aggregate_id),
                    "kind": kind,
                    # 回执: downloadable once a signed checkpoint reaches the step.
                    "receipt": ("ready" if ready else "pending") if kept else None,
                }
            )
    items.sort(key=lambda item: str(item["recorded_at"]))
    return items, linked


def finding_page(
    request: Request, viewer: Viewer, finding_id: UUID, refusal: Refusal | None = None
) -> Response:
    wait_for_own_writes(
        viewer, viewer.services.rulings, viewer.services.view("evidence", EvidenceView)
    )
    finding = load(viewer, finding_id)
    events, linked = timeline(viewer, finding)
    due_by = due_by_of(finding.deadline) if finding.deadline else None
    allowed = [a for a in offered(viewer, ACTIONS, finding.status) if awaits(finding, a)]
    unit = viewer.services.app.read_unit(finding.unit_code)
    if not unit.is_active:
        # A unit merged or dissolved takes no new ruling (409 unit_inactive): none offered;
        # nor a reopening on a unit split or dissolved (one merged answers through its
        # successor).
        ended = unit.status is UnitStatus.DISSOLVED
        refused = ("accountability", "fault-tolerance", *(("reopening",) if ended else ()))
        allowed = [a for a in allowed if a not in refused]
    return record_page(
        request,
        "finding.html",
        viewer,
        allowed,
        refusal,
        finding.version,
        finding=finding,
        colour=deadline_colour(
            finding.status.value,
            finding.deadline,
            today(),
            finding.ordered_on,
            finding.progress_percent,
            due_by,
        ),
        overdue=finding.is_overdue(today(), due_by),
        events=events,
        rulings=linked,
        units=visible_units(viewer, active_only=True),
        told=viewer.services.notifications.of_finding(finding_id),
        documents=documents_of(viewer, str(finding_id)),
        issuable=issuable(viewer, *NOTICES) if finding.status in PRESSED else [],
    )


def awaits(finding: Finding, action: str) -> bool:
    """Whether the finding's order awaits this answer now: 签收 and 退办 while the unit has
    given neither, 转办 and 不予认可 while a 退办 waits, the report while none waits (the
    domain checks it again)."""
    if action == "acknowledgement":
        return not finding.acknowledged and finding.dispute is None
    if action == "dispute":  # once a round: after 不予认可 the unit signs
        return not finding.acknowledged and finding.dispute is None and not finding.dispute_rejected
    if action in ("reassignment", "dispute-rejection"):
        return finding.dispute is not None
    if action == "rectification-report":
        return finding.dispute is None
    if action in ("extension-application", "extension-review", "extension-decision"):
        stage = finding.extension["stage"] if finding.extension else None
        return stage == EXTENSION_STAGES[action]
    return True


# The stage of a 延期申请 each of its forms waits for (none: no application pending).
EXTENSION_STAGES = {
    "extension-application": None,
    "extension-review": "applied",
    "extension-decision": "forwarded",
}


def raise_form(
    request: Request, viewer: Viewer, refused: FormError | None = None, form: Form | None = None
) -> Response:
    values = form.values() if form else {"found_on": today().isoformat()}
    return creation_form(request, viewer, "finding_new.html", values, refused)


# 发现问题: the form, then the finding raised and its page shown.
creation_routes(
    router, "/findings", INSPECTORS, raise_form, RAISE, "/findings/{}?done=raised".format
)


@router.get("/findings/{finding_id}")
def show_finding(request: Request, finding_id: str, viewer: ViewerDep) -> Response:
    """问题详情: the finding, its timeline (who, when, what, why) and the viewer's actions."""
    return finding_page(request, viewer, finding_id_of(finding_id, viewer))


@router.post("/findings/{finding_id}/{action}")
def finding_action(
    request: Request, finding_id: str, action: str, viewer: ViewerDep, form: FormDep
) -> Response:
    """One of the finding's commands; a refusal is shown beside its form, in Chinese."""
    fid = finding_id_of(finding_id, viewer)

    def target(answer: dict[str, Any]) -> str:
        if action in ("accountability", "fault-tolerance"):  # a new ruling: show it
            return f"/rulings/{answer['id']}?done={action}"
        return f"/findings/{fid}?done={action}"

    return act(
        request,
        viewer,
        form,
        ACTIONS,
        action,
        fid,
        lambda refusal: finding_page(request, viewer, fid, refusal),
        target,
    )
