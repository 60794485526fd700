"""Key-work items (重点工作): the list, its execution ledger (台账) and evaluation (考评)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Path
from fastapi.responses import Response

from api.documents import excel
from api.http import scoping
from api.http.command_routes import mount
from api.http.deps import (
    Cursor,
    Limit,
    Reader,
    ServicesDep,
    UnitFilter,
    Year,
    YearFilter,
    reached,
)
from api.http.presentation import record_out
from api.http.read_schemas import SchemePublic, WorkItemPage
from api.http.routing import Router
from api.http.schemas import (
    Evaluation,
    ProgressEntry,
    ReasonOnly,
    SchemeCreate,
    SchemeRevision,
    WorkItemCreate,
    YearEndWeights,
)
from domain import clock
from domain.registry import (
    AdoptEvaluationScheme,
    CancelWorkItem,
    CloseWorkItem,
    EvaluateWorkItem,
    Listing,
    LogProgress,
    ReviseEvaluationScheme,
    SetYearEndWeights,
)
from domain.vocabulary import WorkItemStatus
from domain.work_items import WorkItem
from projections.finding_board import due_by_of
from projections.work_ledger import LedgerFilter

router = Router(prefix="/api/v1/work-items", tags=["work items"])
schemes = Router(prefix="/api/v1/evaluation-schemes", tags=["work items"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def work_item_out(item: WorkItem) -> dict[str, Any]:
    today = clock.today()
    return record_out(
        item,
        {
            "title": item.title,
            "year": item.year,
            "lead_unit": item.lead_unit,
            "co_units": item.co_units,
            "due_on": item.due_on,
            "source_ref": item.source_ref,
            "description": item.description,
            "status": item.status.value,
            "status_label": item.status.label,
            "percent": item.percent,
            "progress": item.progress,
            "evaluation": item.evaluation,
            "closing_reason": item.closing_reason,
            "overdue": item.overdue(today, due_by_of),
            "deadline_colour": item.deadline_colour(today, due_by_of),
            "leader": item.leader,
            "milestones": [
                {**m, "deadline_colour": item.milestone_colour(m, today, due_by_of)}
                for m in item.milestones
            ],
        },
    )


@router.get("", response_model=WorkItemPage, dependencies=[reached("work_ledger")])
def list_work_items(
    services: ServicesDep,
    actor: Reader,
    year: YearFilter = None,
    unit_code: UnitFilter = None,
    status: WorkItemStatus | None = None,
    overdue: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The ledger: items of a year, of a unit (lead or co-unit, with merged units), by status,
    and open past their due date (`overdue`) or not."""
    return scoping.scoped_page(
        services,
        actor,
        unit_code,
        lambda units: services.ledger.page(
            LedgerFilter(year, units, status and status.value, overdue), limit, cursor
        ),
    )


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "the 执行台账 workbook",
        }
    },
    dependencies=[reached("work_ledger")],
)
def export_ledger(
    services: ServicesDep,
    actor: Reader,
    year: Year,
) -> Response:
    """The year's 执行台账 as an Excel workbook (a unit account: its own units' items)."""
    units = scoping.unit_codes(services, actor, None)
    if units is scoping.NOTHING:
        ledger = excel.Ledger([], {}, {})
    else:
        ledger = excel.collect_ledger(services, year, units)
    filename = quote(f"执行台账-{year}.xlsx")
    return Response(
        excel.write_ledger(ledger),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )


mount(
    router,
    {
        Listing: WorkItemCreate,
        LogProgress: ProgressEntry,
        EvaluateWorkItem: Evaluation,
        CloseWorkItem: ReasonOnly,
        CancelWorkItem: ReasonOnly,
    },
)
mount(
    schemes,
    {
        AdoptEvaluationScheme: SchemeCreate,
        ReviseEvaluationScheme: SchemeRevision,
        SetYearEndWeights: YearEndWeights,
    },
)


@schemes.get("/{year}", response_model=SchemePublic)
def evaluation_scheme(
    services: ServicesDep, actor: Reader, year: Annotated[int, Path(ge=2000, le=2100)]
) -> dict[str, Any]:
    """年度考评办法: the year's score bands, or the defaults while none was adopted."""
    return services.app.get_evaluation_scheme(year)
