"""消息中心 (issue 15 item 7): the signed-in account's notifications, newest first, with the
unread ones marked and a button to mark each read (as GET /api/v1/inbox and
POST /api/v1/inbox/{id}/read), a page at a time with a link to the older ones (the API's
cursor); marking one read comes back to the page it was marked on."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.console.web import (
    FormDep,
    PageError,
    Text,
    ViewerDep,
    one_page,
    out_of_sight,
    redirect,
    render,
    wait_for_own_writes,
)
from projections.paging import InvalidCursor, decode_cursor, encode_cursor

router = APIRouter(include_in_schema=False)
SHOWN = 100
NotificationId = Annotated[str, Path(pattern=r"^[0-9]{1,19}-[0-9a-f-]{36}$")]


def own_account(viewer: ViewerDep) -> UUID:
    account = viewer.account_id
    if account is None:
        raise PageError(409, "初始管理员没有账号，不接收消息。", viewer)
    return account


@router.get("/inbox")
def inbox(
    request: Request, viewer: ViewerDep, unread: bool = False, cursor: Text = None
) -> Response:
    """消息中心: what the loop told this account (交办, 催办, 延期审批, 验收结果…), SHOWN at a
    time, newest first; 「更早的消息」 goes on from the last one shown."""
    account = own_account(viewer)
    view = viewer.services.notifications
    wait_for_own_writes(viewer, view)
    page = one_page(viewer, lambda: view.inbox(account, unread, SHOWN, cursor)[0])
    return render(
        request,
        "inbox.html",
        viewer,
        items=page.items,
        # A notice of a finding passed on to another unit since (转办, 分设) is shown without
        # its link: the finding's page is no longer there for this unit.
        passed_on=out_of_sight(viewer, {n["finding_id"] for n in page.items}, view),
        unread=view.unread(account),
        only_unread=unread,
        cursor=cursor,
        next_cursor=page.next_cursor,
    )


@router.post("/inbox/{notification_id}/read")
def mark_read(notification_id: NotificationId, viewer: ViewerDep, form: FormDep) -> Response:
    """标为已读, then back to the page of the inbox it was marked on."""
    if not viewer.services.notifications.mark_read(own_account(viewer), notification_id):
        raise PageError(404, "没有这条消息。", viewer)
    back = "/inbox?done=read" + ("&unread=true" if form.get("unread") else "")
    # Only a cursor of ours goes back into the address, as we write it; none, or another
    # text: the first page.
    with suppress(InvalidCursor):
        back += "&cursor=" + encode_cursor(decode_cursor(form.get("cursor")))
    return redirect(back)
