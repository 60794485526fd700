"""Rulings (问责 and 容错免责): the list, a ruling's page and its actions."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.document_pages import documents_of, issuable
from api.console.web import (
    AUTHORITIES,
    EVERY,
    INSPECTORS,
    OPTIONAL,
    REPORTERS,
    TEXT,
    Form,
    FormCommand,
    Offered,
    Refusal,
    Text,
    Viewer,
    ViewerDep,
    listing,
    offered,
    out_of_sight,
    record_of,
    record_page,
    record_routes,
    visible_units,
    wait_for_own_writes,
)
from api.http import scoping
from api.http.presentation import event_out
from domain.clock import today
from domain.registry import (
    AppealRuling,
    DecideAppeal,
    DecideRuling,
    PairRulings,
    PublishRuling,
    RecordStatement,
    ServeRuling,
    VerifyRuling,
)
from domain.rulings import (
    FORMS_FOR,
    AccountabilityRuling,
    Ruling,
    ToleranceRuling,
    person_name,
    subject_kind,
)
from domain.vocabulary import DocumentKind, RulingKind, RulingStatus
from domain.vocabulary import RulingStatus as R
from projections.evidence import EvidenceView
from projections.finding_board import due_by_of
from projections.rulings import RulingFilter

router = APIRouter(include_in_schema=False)
# The decision a ruling's kind issues (keyed: is it an accountability ruling?).
DECISIONS = {True: DocumentKind.ACCOUNTABILITY_DECISION, False: DocumentKind.TOLERANCE_DECISION}


def tags_of(text: str) -> list[str]:
    """Tags typed in one field, separated by commas, 、 or spaces."""
    return [t for t in re.split(r"[,，、;；\s]+", text) if t]


def tags(form: Form, name: str) -> list[str]:
    return tags_of(form.get(name))


def changed_criteria(form: Form, name: str) -> list[str] | None:
    """An appeal decision's criteria met: only with a changed outcome (None: unchanged)."""
    return form.getlist(name) if form.optional("outcome") else None


DECISION = {"form": OPTIONAL, "outcome": OPTIONAL, "reasoning": TEXT}
# action → who may, in which statuses (the domain checks both again), and its command.
ACTIONS: dict[str, Offered] = {
    "verification": (
        INSPECTORS,
        (R.PROPOSED, R.APPLIED),
        FormCommand(VerifyRuling, {"comment": TEXT}),
    ),
    "statement": (
        REPORTERS,
        (R.PROPOSED, R.VERIFIED),
        FormCommand(RecordStatement, {"statement": TEXT, "made_on": OPTIONAL}),
    ),
    "decision": (
        AUTHORITIES,
        (R.PROPOSED, R.APPLIED, R.VERIFIED),
        FormCommand(
            DecideRuling,
            DECISION
            | {"criteria_met": EVERY, "decided_on": OPTIONAL}
            | {"measure": OPTIONAL, "effects_until": OPTIONAL, "exclusions": EVERY},
        ),
    ),
    # A decision published to the case library is served and appealed as well (until then).
    "service": (
        AUTHORITIES | INSPECTORS,
        (R.DECIDED, R.PUBLISHED),
        FormCommand(ServeRuling, {"served_on": OPTIONAL, "served_to": TEXT}),
    ),
    "appeal": (REPORTERS, (R.DECIDED, R.PUBLISHED), FormCommand(AppealRuling, {"grounds": TEXT})),
    "appeal-decision": (
        AUTHORITIES,
        (R.APPEALED,),
        FormCommand(DecideAppeal, DECISION | {"result": TEXT, "criteria_met": changed_criteria}),
    ),
    "publication": (
        AUTHORITIES,
        (R.DECIDED, R.APPEAL_DECIDED),
        FormCommand(PublishRuling, {"summary": TEXT, "tags": tags}),
    ),
    "pairing": (
        AUTHORITIES | INSPECTORS,
        (R.APPLIED, R.VERIFIED),
        FormCommand(PairRulings, {"accountability_ruling_id": TEXT}),
    ),
}


def pairable(viewer: Viewer, ruling: Ruling) -> list[dict[str, Any]]:
    """The accountability proposals a fault-tolerance application may be paired with: on a
    finding it names, of its unit, undecided (the domain checks the subject again)."""
    if not isinstance(ruling, ToleranceRuling) or ruling.paired_with is not None:
        return []
    found: dict[str, dict[str, Any]] = {}
    for finding_id in ruling.finding_ids:
        chosen = RulingFilter(finding_id=finding_id, kind=RulingKind.ACCOUNTABILITY.value)
        for row in viewer.services.rulings.page(chosen, 100, None).items:
            open_ = row["status"] in (R.PROPOSED.value, R.VERIFIED.value)
            if open_ and row["unit_code"] == ruling.unit_code and free(viewer, row["id"], ruling):
                found[str(row["id"])] = row
    return list(found.values())


def free(viewer: Viewer, proposal_id: Any, ruling: Ruling) -> bool:
    """A proposal not paired yet, of the application's person (the list has neither)."""
    proposal = viewer.services.app.load(Ruling, proposal_id)
    same = person_name(proposal.subject) == person_name(ruling.subject)
    return proposal.paired_with is None and same


def tolerance_pending(viewer: Viewer, ruling: Ruling) -> bool:
    """An accountability ruling whose paired fault-tolerance application is undecided."""
    if not isinstance(ruling, AccountabilityRuling) or ruling.paired_with is None:
        return False
    tolerance = viewer.services.app.load(Ruling, ruling.paired_with)
    return tolerance.status in (R.APPLIED, R.VERIFIED, R.APPEALED)


@router.get("/rulings")
def rulings(
    request: Request,
    viewer: ViewerDep,
    kind: Text = None,
    status: Text = None,
    unit_code: Text = None,
    cursor: Text = None,
) -> Response:
    """问责与容错: every ruling the viewer may see, by kind, status and unit."""
    services = viewer.services
    wait_for_own_writes(viewer, services.rulings)
    chosen = {
        "kind": kind if kind in {k.value for k in RulingKind} else None,
        "status": status if status in {s.value for s in RulingStatus} else None,
        "unit_code": unit_code or None,
    }
    return listing(
        request,
        viewer,
        ("rulings.html", "_ruling_rows.html"),
        scoping.unit_codes(services, viewer.actor, chosen["unit_code"]),
        lambda units: services.rulings.page(
            RulingFilter(chosen["kind"], units, chosen["status"]), 50, cursor or None
        ),
        chosen,
        units=visible_units(viewer),
    )


def load(viewer: Viewer, ruling_id: str) -> Ruling:
    missing = "未找到该问责或容错记录，或您无权查看。"
    return record_of(viewer, viewer.services.app.get_ruling, ruling_id, missing)


def ruling_page(
    request: Request, viewer: Viewer, ruling_id: str, refusal: Refusal | None = None
) -> Response:
    wait_for_own_writes(viewer, viewer.services.view("evidence", EvidenceView))
    ruling = load(viewer, ruling_id)
    accountability = isinstance(ruling, AccountabilityRuling)
    appeal_by = ruling.appeal_until(due_by_of)
    out_of_time = appeal_by is not None and today() > appeal_by  # 申诉期限已过
    allowed = [
        action
        for action in offered(viewer, ACTIONS, ruling.status)
        if not (action == "appeal" and (ruling.appeal is not None or out_of_time))
        and not (action == "service" and (ruling.service or ruling.appeal) is not None)
        and not (action == "statement" and not isinstance(ruling, AccountabilityRuling))
    ]
    candidates = pairable(viewer, ruling)
    if not candidates:
        allowed = [action for action in allowed if action != "pairing"]
    if tolerance_pending(viewer, ruling):  # 容错认定在先: the form would only be refused
        allowed = [action for action in allowed if action != "decision"]
    return record_page(
        request,
        "ruling.html",
        viewer,
        allowed,
        refusal,
        ruling.version,
        ruling=ruling,
        # A linked finding passed to another unit since (转办, 分设) is not the unit's to
        # open: named, not linked.
        passed_on=out_of_sight(viewer, ruling.finding_ids),
        appeal_by=appeal_by,
        accountability=accountability,
        # The forms the regulations provide for the subject's kind: the forms offer no other.
        forms=[f.value for f in FORMS_FOR[subject_kind(ruling.subject)]],
        policy=viewer.services.app.get_tolerance_policy(),
        candidates=candidates,
        events=[event_out(e) for e in viewer.services.app.aggregate_history(ruling.id)],
        documents=documents_of(viewer, str(ruling.id)),
        issuable=issuable(viewer, DECISIONS[accountability]) if ruling.decision else [],
    )


# 问责或容错详情: subject, linked findings, decision, appeal, publication, its events.
record_routes(router, "/rulings/{ruling_id}", ruling_page, load, ACTIONS)
