"""消息中心 (issue 15 item 7): the signed-in account's notifications, newest first, with the
unread ones marked and a button to mark each read (as GET /api/v1/inbox and
POST /api/v1/inbox/{id}/read)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.console.web import FormDep, PageError, ViewerDep, redirect, render, wait_for_own_writes

router = APIRouter(include_in_schema=False)
SHOWN = 100
NotificationId = Annotated[str, Path(pattern=r"^[0-9]{1,19}-[0-9a-f-]{36}$")]


def own_account(viewer: ViewerDep) -> UUID:
    account = viewer.account_id
    if account is None:
        raise PageError(409, "初始管理员没有账号，不接收消息。", viewer)
    return account


@router.get("/inbox")
def inbox(request: Request, viewer: ViewerDep, unread: bool = False) -> Response:
    """消息中心: what the loop told this account (交办, 催办, 延期审批, 验收结果…)."""
    account = own_account(viewer)
    view = viewer.services.notifications
    wait_for_own_writes(viewer, view)
    page, count = view.inbox(account, unread, SHOWN, None)
    return render(request, "inbox.html", viewer, items=page.items, unread=count, only_unread=unread)


@router.post("/inbox/{notification_id}/read")
def mark_read(notification_id: NotificationId, viewer: ViewerDep, form: FormDep) -> Response:
    """标为已读, then back to the inbox."""
    if not viewer.services.notifications.mark_read(own_account(viewer), notification_id):
        raise PageError(404, "没有这条消息。", viewer)
    return redirect("/inbox?done=read")
