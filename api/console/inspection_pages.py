"""督查活动 (inspection rounds) in the console: the board of rounds, and a round with its draw's
every input and the draw re-derived from the stored events (as
GET /api/v1/inspections/{id}/draw-verification and `supervision inspections verify-draw`)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import (
    PageError,
    Text,
    ViewerDep,
    one_page,
    render,
    unit_names,
    wait_for_own_writes,
)
from api.http.routes.inspections import board
from api.runtime.draws import verify_draw
from domain.errors import NotFound
from projections.inspection_board import BoardFilter

router = APIRouter(include_in_schema=False)
SHOWN = 100


@router.get("/inspections")
def inspections(request: Request, viewer: ViewerDep, cursor: Text = None) -> Response:
    """督查活动: every round, newest first."""
    view = board(viewer.services)
    wait_for_own_writes(viewer, view)
    page = one_page(viewer, lambda: view.page(BoardFilter(), SHOWN, cursor))
    return render(
        request, "inspections.html", viewer, items=page.items, next_cursor=page.next_cursor
    )


@router.get("/inspections/{inspection_id}")
def inspection(request: Request, inspection_id: str, viewer: ViewerDep) -> Response:
    """A round: its scope, pool and rules, the draw's inputs, the units and teams, and the
    draw checked again from the stored events."""
    missing = PageError(404, "未找到该督查活动。", viewer)
    try:
        rid = UUID(inspection_id)
        round_ = viewer.services.app.get_inspection(rid)
    except (ValueError, NotFound):
        raise missing from None
    drawn = round_.seed is not None
    verdict = verify_draw(viewer.services, rid) if drawn else None
    names = unit_names(viewer.services)
    return render(request, "inspection.html", viewer, round=round_, verdict=verdict, names=names)
