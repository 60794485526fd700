"""重大行政决策 in the console (the seed plan's task 7): the catalogue with each decision's
procedure and flags, and a decision's page — its procedure steps with their results (the
legality review's opinion, the risk level, what participation and argumentation found), its
flags (程序缺失、程序瑕疵), corrections and evaluations — with the forms its viewer may use:
the responsible unit (or an inspector) records the steps, the decision and its implementation,
overseers correct it, organisers plan its third-party evaluation. Each form sends the command
its JSON route sends (api/console/web.py, FormCommand), so the domain's rules are the API's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import (
    OPTIONAL,
    ORGANISERS,
    TEXT,
    FormCommand,
    Offered,
    Refusal,
    Text,
    Viewer,
    ViewerDep,
    offered,
    one_page,
    record_of,
    record_page,
    record_routes,
    render,
    unit_names,
    wait_for_own_writes,
)
from api.http.presentation import event_out
from api.http.routes.major_decisions import catalogue
from domain.major_decisions import AFTER_DECISION, EVALUABLE, MajorDecision
from domain.registry import (
    CorrectDecision,
    DecideDecision,
    ImplementDecision,
    PlanDecisionEvaluation,
    RecordDecisionStep,
)
from domain.vocabulary import DecisionStatus as D
from domain.vocabulary import EvaluationStatus as E
from domain.vocabulary import ProcedureStep, Role
from projections.decision_catalogue import CatalogueFilter

router = APIRouter(include_in_schema=False)
SHOWN = 100
RECORDERS = frozenset({Role.INSPECTOR, Role.ADMIN, Role.UNIT})  # the unit: its own decisions
OVERSEERS = frozenset({Role.INSPECTOR, Role.AUTHORITY, Role.ADMIN})

STEP_FIELDS = {"step": TEXT, "done_on": OPTIONAL, "note": TEXT, "outcome": OPTIONAL}
STEP_FIELDS |= {"summary": OPTIONAL, "participants": OPTIONAL, "opinions": OPTIONAL}
ACTIONS: dict[str, Offered] = {
    "procedure-steps": (RECORDERS, (D.CATALOGUED,), FormCommand(RecordDecisionStep, STEP_FIELDS)),
    "decision": (
        RECORDERS,
        (D.CATALOGUED,),
        FormCommand(DecideDecision, {"decided_on": OPTIONAL, "summary": TEXT}),
    ),
    "implementation": (
        RECORDERS,
        (D.DECIDED,),
        FormCommand(ImplementDecision, {"implemented_on": OPTIONAL, "note": TEXT}),
    ),
    "correction": (
        OVERSEERS,
        AFTER_DECISION,
        FormCommand(
            CorrectDecision, {"reason": TEXT, "correction": TEXT, "corrected_on": OPTIONAL}
        ),
    ),
    "evaluation-plan": (
        ORGANISERS,
        EVALUABLE,
        FormCommand(
            PlanDecisionEvaluation, {"evaluator": TEXT, "scope": TEXT, "planned_on": OPTIONAL}
        ),
    ),
}


@router.get("/major-decisions")
def decisions(request: Request, viewer: ViewerDep, cursor: Text = None) -> Response:
    """重大行政决策目录: every decision, newest first, with its procedure and flags."""
    view = catalogue(viewer.services)
    wait_for_own_writes(viewer, view)
    page = one_page(viewer, lambda: view.page(CatalogueFilter(), SHOWN, cursor))
    steps = [(step.value, step.label) for step in ProcedureStep]
    return render(
        request,
        "decisions.html",
        viewer,
        items=page.items,
        steps=steps,
        names=unit_names(viewer.services),
        next_cursor=page.next_cursor,
    )


def load(viewer: Viewer, decision_id: str) -> MajorDecision:
    """The decision (the catalogue is published: every account reads every decision; a
    unit acts on its own only)."""
    missing = "未找到该重大行政决策事项。"
    app = viewer.services.app
    return record_of(viewer, lambda key, **_: app.get_decision(key), decision_id, missing)


def decision_page(
    request: Request, viewer: Viewer, decision_id: str, refusal: Refusal | None = None
) -> Response:
    decision = load(viewer, decision_id)
    own = viewer.actor.covers_unit(decision.unit_code)
    actions = [a for a in offered(viewer, ACTIONS, decision.status) if own]
    last = decision.evaluations[-1]["status"] if decision.evaluations else None
    if last not in (None, E.RECTIFIED, E.CLOSED):  # one evaluation at a time (二次评估 after)
        actions = [a for a in actions if a != "evaluation-plan"]
    if decision.status is D.CATALOGUED:
        left = [step for step in ProcedureStep if step.value not in decision.steps]
    else:
        left = []
    return record_page(
        request,
        "decision.html",
        viewer,
        actions,
        refusal,
        decision.version,
        decision=decision,
        steps=[(step, decision.steps.get(step.value)) for step in ProcedureStep],
        left=left,
        events=[event_out(e) for e in viewer.services.app.aggregate_history(decision.id)],
    )


record_routes(router, "/major-decisions/{decision_id}", decision_page, load, ACTIONS)
