"""Major administrative decisions (重大行政决策目录): procedure steps, decision (flagged when a
step is missing: 决策问责), implementation, correction (纠错), third-party evaluation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query

from api.http.command_routes import Route, mount
from api.http.deps import Cursor, Limit, Reader, ServicesDep, YearFilter, reached, require
from api.http.inspection_schemas import (
    AccountabilityLink,
    CorrectionRecord,
    DecisionCreate,
    DecisionPage,
    DecisionTaken,
    EvaluationFeedback,
    EvaluationPlan,
    EvaluationRectification,
    EvaluationReport,
    ImplementationRecord,
    PublicDecisionPage,
    ResultUseRecord,
    StepRecord,
)
from api.http.presentation import page_out, record_out
from api.http.routing import Router
from api.http.schemas import UnitCode
from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.major_decisions import MajorDecision, procedure
from domain.registry import (
    CatalogueDecision,
    CorrectDecision,
    DecideDecision,
    GiveEvaluationFeedback,
    ImplementDecision,
    LinkDecisionAccountability,
    PlanDecisionEvaluation,
    RecordDecisionStep,
    ReportDecisionEvaluation,
    ReportEvaluationRectification,
    UseEvaluationResults,
)
from domain.vocabulary import DecisionStatus, Role
from projections.decision_catalogue import CatalogueFilter, DecisionCatalogueView

router = Router(prefix="/api/v1/major-decisions", tags=["major decisions"])
public_router = Router(prefix="/api/v1/public/major-decisions", tags=["public"])

# The responsible unit records its own procedure, decision, implementation and evaluation
# rectification; inspectors (and admins) may enter them on its behalf.
Recorder = Annotated[Actor, Depends(require(Role.INSPECTOR, Role.ADMIN, Role.UNIT))]
# 决策问责 and 纠错 are for supervisors of the decision: inspectors, authorities, admins.
Overseer = Annotated[Actor, Depends(require(Role.INSPECTOR, Role.AUTHORITY, Role.ADMIN))]
Number = Annotated[int, Path(ge=1, le=100, description="1: the first evaluation, 2: 二次评估")]


def catalogue(services: Services) -> DecisionCatalogueView:
    return services.view("decision_catalogue", DecisionCatalogueView)


def decision_out(d: MajorDecision) -> dict[str, Any]:
    return record_out(
        d,
        {
            "title": d.title,
            "year": d.year,
            "unit_code": d.unit_code,
            "description": d.description,
            "status": d.status.value,
            "status_label": d.status.label,
            "steps": d.steps,
            "procedure": procedure(d.steps, d.missing_steps),
            "decided_on": d.decided_on,
            "decision_summary": d.decision_summary,
            "flagged": d.flagged,
            "missing_steps": d.missing_steps,
            "flaws": d.flaws,
            "links": d.links,
            "implemented_on": d.implemented_on,
            "corrections": d.corrections,
            "evaluations": [
                {**e, "status": e["status"].value, "status_label": e["status"].label}
                for e in d.evaluations
            ],
        },
    )


@router.get("", response_model=DecisionPage, dependencies=[reached("decision_catalogue")])
def list_decisions(
    services: ServicesDep,
    actor: Reader,
    year: YearFilter = None,
    unit_code: Annotated[UnitCode | None, Query()] = None,
    status: DecisionStatus | None = None,
    flagged: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The catalogue with each decision's procedure completeness, newest first."""
    view = catalogue(services)
    f = CatalogueFilter(year, unit_code, status and status.value, flagged)
    page = view.page(f, limit, cursor)
    return page_out(page)


@public_router.get(
    "", response_model=PublicDecisionPage, dependencies=[reached("decision_catalogue", public=True)]
)
def public_decisions(
    services: ServicesDep,
    year: YearFilter = None,
    unit_code: Annotated[UnitCode | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """目录公开 (no token): the catalogue of major decisions, newest first, with each one's
    procedure; what concerns accountability (flags, links) is not shown."""
    page = catalogue(services).page(CatalogueFilter(year, unit_code), limit, cursor)
    return page_out(page)


def link_fields(body: AccountabilityLink) -> dict[str, Any]:
    """The link's kind and target, from whichever of finding_id and ruling_id is given."""
    return {"kind": body.kind.value, "target_id": body.target_id}


AT_NUMBER: dict[str, Any] = {"number": Number}
mount(
    router,
    {
        CatalogueDecision: DecisionCreate,
        RecordDecisionStep: Route(StepRecord, name="record_step"),
        DecideDecision: Route(DecisionTaken, name="decide"),
        ImplementDecision: Route(ImplementationRecord, name="implement"),
        LinkDecisionAccountability: Route(
            AccountabilityLink, prepare=link_fields, name="link_accountability"
        ),
        CorrectDecision: Route(CorrectionRecord, name="correct"),
        PlanDecisionEvaluation: Route(EvaluationPlan, name="plan_evaluation"),
        ReportDecisionEvaluation: Route(
            EvaluationReport, name="report_evaluation", params=AT_NUMBER
        ),
        GiveEvaluationFeedback: Route(EvaluationFeedback, name="give_feedback", params=AT_NUMBER),
        ReportEvaluationRectification: Route(
            EvaluationRectification, name="report_rectification", params=AT_NUMBER
        ),
        UseEvaluationResults: Route(ResultUseRecord, name="use_results", params=AT_NUMBER),
    },
)
