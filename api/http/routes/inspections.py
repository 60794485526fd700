"""Inspection rounds (督查活动): launch, the double-random draw (双随机), findings, conclusion;
and the public list of concluded rounds (一公开), which needs no token."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.http.command_routes import Route, mount
from api.http.deps import Cursor, Limit, Reader, ServicesDep, YearFilter, reached
from api.http.inspection_schemas import (
    Assignment,
    Conclusion,
    CoSeedReveal,
    DrawCheck,
    DrawRequest,
    FindingLink,
    InspectionCreate,
    InspectionPage,
    PublicInspectionPage,
    SeedCommitment,
)
from api.http.presentation import page_out, record_out
from api.http.routing import Router
from api.runtime.bootstrap import Services
from api.runtime.draws import verify_draw
from domain.inspections import Inspection
from domain.registry import (
    AssignInspection,
    CommitInspectionCoSeed,
    CommitInspectionSeed,
    ConcludeInspection,
    DrawInspection,
    Launch,
    LinkInspectionFinding,
    RevealInspectionCoSeed,
)
from domain.vocabulary import InspectionKind, InspectionStatus
from projections.inspection_board import BoardFilter, InspectionBoardView

router = Router(prefix="/api/v1/inspections", tags=["inspections"])
public_router = Router(prefix="/api/v1/public/inspections", tags=["public"])


def board(services: Services) -> InspectionBoardView:
    view: InspectionBoardView = services.view("inspection_board", InspectionBoardView)
    return view


def inspection_out(inspection: Inspection) -> dict[str, Any]:
    return record_out(
        inspection,
        {
            "title": inspection.title,
            "kind": inspection.kind.value,
            "kind_label": inspection.kind.label,
            "scope": inspection.scope,
            "period_start": inspection.period_start,
            "period_end": inspection.period_end,
            "population": inspection.population,
            "inspectors": inspection.inspectors,
            "rules": inspection.rules,
            "status": inspection.status.value,
            "status_label": inspection.status.label,
            "commitment": inspection.commitment,
            "seed": inspection.seed,
            "chain_head": inspection.chain_head,
            "algorithm": inspection.algorithm,
            "targets": inspection.targets,
            "finding_ids": inspection.finding_ids,
            "summary": inspection.summary,
            "concluded_on": inspection.concluded_on,
            "results": inspection.results,
        },
    )


def launch_fields(body: InspectionCreate) -> dict[str, Any]:
    """The round's pool as (name, unit) pairs and its rules as the launch records them."""
    return {
        "title": body.title,
        "kind": body.kind.value,
        "scope": body.scope,
        "period_start": body.period_start,
        "period_end": body.period_end,
        "units": tuple(body.units),
        "inspectors": tuple((i.name, i.unit_code) for i in body.inspectors),
        "team_size": body.rules.team_size,
        "share_percent": body.rules.share_percent,
    }


@router.get("", response_model=InspectionPage, dependencies=[reached("inspection_board")])
def list_inspections(
    services: ServicesDep,
    actor: Reader,
    status: InspectionStatus | None = None,
    kind: InspectionKind | None = None,
    year: YearFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The board of rounds, newest first, by status, kind and year (of the period's start)."""
    view = board(services)
    f = BoardFilter(status and status.value, kind and kind.value, year)
    page = view.page(f, limit, cursor)
    return page_out(page)


@router.get("/{inspection_id}/draw-verification", response_model=DrawCheck)
def draw_verification(inspection_id: UUID, services: ServicesDep, actor: Reader) -> dict[str, Any]:
    """Re-derive the draw from the stored events and chain rows (as `verify-draw` does)."""
    services.app.get_inspection(inspection_id)
    return verify_draw(services, inspection_id).as_dict()


def assignment_fields(body: Assignment) -> dict[str, Any]:
    """The units and their teams, as the round records them."""
    targets = [{"unit_code": t.unit_code, "team": list(t.team)} for t in body.targets]
    return {"targets": targets}


def conclusion_fields(body: Conclusion) -> dict[str, Any]:
    """The summary, the day and each unit's result, as the round records them."""
    results = [{"unit_code": r.unit_code, "result": r.result} for r in body.results]
    return {"summary": body.summary, "concluded_on": body.concluded_on, "results": results}


mount(
    router,
    {
        Launch: Route(InspectionCreate, prepare=launch_fields),
        CommitInspectionSeed: Route(SeedCommitment, name="commit_seed"),
        CommitInspectionCoSeed: Route(SeedCommitment, name="commit_co_seed"),
        RevealInspectionCoSeed: Route(CoSeedReveal, name="reveal_co_seed"),
        DrawInspection: Route(DrawRequest, name="draw"),
        AssignInspection: Route(Assignment, prepare=assignment_fields, name="assign"),
        LinkInspectionFinding: Route(FindingLink, name="link_finding"),
        ConcludeInspection: Route(Conclusion, prepare=conclusion_fields, name="conclude"),
    },
)


@public_router.get(
    "", response_model=PublicInspectionPage, dependencies=[reached("inspection_board", public=True)]
)
def public_inspections(
    services: ServicesDep,
    year: YearFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """一公开 (no token): concluded rounds with the draw's inputs, the units drawn, each team's
    inspectors (names only), and the results."""
    view = board(services)
    page = view.public_page(year, limit, cursor)
    return page_out(page)
