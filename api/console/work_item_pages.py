"""A key-work item's page (重点工作详情): what the item is, its responsible leader, its
milestones (工作节点) with their 红/黄/蓝, its ledger entries and timeline, and the forms the
viewer may use — 登记进展 and the milestones for the item's own unit or an inspector, 明确责任
领导 for inspectors and administrators. Each form sends the registered command its JSON route
sends (api/console/web.py, FormCommand), so the domain's rules and a unit's scope are the
API's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.web import (
    OPTIONAL,
    ORGANISERS,
    REPORTERS,
    TEXT,
    Form,
    FormCommand,
    FormError,
    Offered,
    Refusal,
    Viewer,
    offered,
    record_of,
    record_page,
    record_routes,
)
from api.http.presentation import event_out
from domain.clock import today
from domain.registry import (
    AssignWorkItemLeader,
    LogProgress,
    ReachWorkItemMilestone,
    SetWorkItemMilestone,
)
from domain.vocabulary import WorkItemStatus as W
from domain.work_items import WorkItem
from projections.finding_board import due_by_of

router = APIRouter(include_in_schema=False)
OPEN = (W.LISTED, W.IN_PROGRESS)
COMPLETION = "milestone-completion"


def milestone_number(form: Form, name: str) -> int:
    """The milestone a completion form names (a choice of the page's open milestones)."""
    value = form.get(name)
    if not (value.isascii() and value.isdigit() and len(value) <= 6):
        raise FormError(422, "请选择要报告完成的工作节点。")
    return int(value)


ACTIONS: dict[str, Offered] = {
    "work-progress": (
        REPORTERS,
        OPEN,
        FormCommand(LogProgress, {"note": TEXT, "percent": TEXT}),
    ),
    "milestone": (
        REPORTERS,
        OPEN,
        FormCommand(SetWorkItemMilestone, {"title": TEXT, "due_on": OPTIONAL, "leader": OPTIONAL}),
    ),
    COMPLETION: (
        REPORTERS,
        OPEN,
        FormCommand(
            ReachWorkItemMilestone,
            {"reached_on": OPTIONAL, "note": OPTIONAL},
            path={"number": milestone_number},
        ),
    ),
    "leader": (ORGANISERS, OPEN, FormCommand(AssignWorkItemLeader, {"leader": TEXT})),
}


def load(viewer: Viewer, item_id: str) -> WorkItem:
    missing = "未找到该重点工作，或您无权查看。"
    return record_of(viewer, viewer.services.app.get_work_item, item_id, missing)


def work_item_page(
    request: Request, viewer: Viewer, item_id: str, refusal: Refusal | None = None
) -> Response:
    item = load(viewer, item_id)
    day = today()
    actions = offered(viewer, ACTIONS, item.status)
    refused = refusal.action if refusal else None
    if not any(m["reached_on"] is None for m in item.milestones) and refused != COMPLETION:
        actions = [a for a in actions if a != COMPLETION]  # nothing left to report reached
    return record_page(
        request,
        "work_item.html",
        viewer,
        actions,
        refusal,
        item.version,
        item=item,
        colour=item.deadline_colour(day, due_by_of),
        overdue=item.overdue(day, due_by_of),
        milestones=[
            {**m, "colour": item.milestone_colour(m, day, due_by_of)} for m in item.milestones
        ],
        events=[event_out(e) for e in viewer.services.app.aggregate_history(item.id)],
    )


record_routes(router, "/work-items/{item_id}", work_item_page, load, ACTIONS)
