"""消息中心 (issue 15 item 7): each account's notifications, its channels, and deliveries.

Notifications are made from the log by the `notifications` read model; reads wait for it
with `min_position` like every read. Marking read, the channel settings and the deliveries
are kept beside it (infra/outbox.py, ADR 026).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Path, Query
from pydantic import AfterValidator, Field
from starlette.concurrency import run_in_threadpool

from api.http.deps import Admin, Cursor, Limit, Reader, ServicesDep, reached
from api.http.errors import ApiError
from api.http.read_schemas import Answer, Instant
from api.http.routing import Router
from api.http.schemas import Body
from domain.actors import Actor
from domain.vocabulary import Role
from infra.channels import checked_email, checked_webhook
from infra.outbox import channel_settings, deliveries, set_channel_settings
from projections.paging import InvalidCursor, decode_key_cursor, encode_key_cursor

router = Router(prefix="/api/v1", tags=["notifications"])

EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
WEBHOOK = r"^https?://[^\s]+$"
NotificationId = Annotated[str, Path(pattern=r"^[0-9]{1,19}-[0-9a-f-]{36}$")]
DeliveryState = Literal["pending", "retrying", "delivered", "failed"]


class NotificationPublic(Answer):
    id: str
    finding_id: UUID
    kind: str
    subject: str
    body: str
    created_at: Instant
    read_at: Instant | None


class InboxPage(Answer):
    items: list[NotificationPublic]
    unread: int = Field(description="how many of the account's notifications are unread")
    next_cursor: str | None


class MarkedRead(Answer):
    id: str
    unread: int


class ChannelSettings(Answer):
    email: str | None
    webhook_url: str | None


class ChannelSettingsBody(Body):
    """A field left out keeps what is set; null: the channel is not used."""

    email: (
        Annotated[str, Field(max_length=254, pattern=EMAIL), AfterValidator(checked_email)] | None
    ) = None
    webhook_url: (
        Annotated[str, Field(max_length=2000, pattern=WEBHOOK), AfterValidator(checked_webhook)]
        | None
    ) = None


class DeliveryPublic(Answer):
    notification_id: str
    account_id: UUID
    finding_id: UUID
    kind: str
    channel: str
    status: str
    attempts: int
    next_at: Instant
    last_error: str | None
    delivered_at: Instant | None
    created_at: Instant


class DeliveryList(Answer):
    items: list[DeliveryPublic]
    next_cursor: str | None


def delivery_cursor(row: dict[str, Any]) -> str:
    """The opaque cursor after `row`: its place in the newest-first order."""
    return encode_key_cursor(
        [row["created_at"].isoformat(), row["notification_id"], row["channel"]]
    )


def after_delivery(cursor: str | None) -> tuple[datetime, str, str] | None:
    """The place a cursor of `delivery_cursor` names; InvalidCursor for any other text."""
    if cursor is None:
        return None
    try:
        created, notification, channel = decode_key_cursor(cursor)
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None or not isinstance(notification, str):
            raise ValueError(cursor)
        return moment, notification, str(channel)
    except (ValueError, TypeError):
        raise InvalidCursor(f"invalid cursor {cursor!r}") from None


def account_id(actor: Actor) -> UUID:
    """The actor's account (the bootstrap administrator has none: no inbox, no channels)."""
    try:
        return UUID(actor.id)
    except ValueError:
        raise ApiError(
            409, "no_account", "the bootstrap administrator has no account to notify"
        ) from None


@router.get("/inbox", response_model=InboxPage, dependencies=[reached("notifications")])
def inbox(
    services: ServicesDep,
    actor: Reader,
    unread: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The caller's notifications, newest first (`unread=true`: only those not read yet),
    and how many are unread."""
    page, count = services.notifications.inbox(account_id(actor), unread, limit, cursor)
    return {"items": page.items, "unread": count, "next_cursor": page.next_cursor}


@router.post("/inbox/{notification_id}/read", response_model=MarkedRead)
def mark_read(notification_id: NotificationId, services: ServicesDep, actor: Reader) -> Any:
    """Mark one of the caller's notifications read (again: nothing changes)."""
    me = account_id(actor)
    if not services.notifications.mark_read(me, notification_id):
        raise ApiError(404, "not_found", f"no notification {notification_id} for this account")
    return {"id": notification_id, "unread": services.notifications.unread(me)}


@router.get("/notification-settings", response_model=ChannelSettings)
async def get_channels(services: ServicesDep, actor: Reader) -> Any:
    """The caller's channels besides the inbox: an e-mail address and a webhook URL."""
    return await run_in_threadpool(channel_settings, services.database, account_id(actor))


@router.put("/notification-settings", response_model=ChannelSettings)
async def put_channels(body: ChannelSettingsBody, services: ServicesDep, actor: Reader) -> Any:
    """Set the caller's channels (null: not used; a field left out: kept as it is).
    Notifications made from now on are delivered to them."""
    me = account_id(actor)
    kept = {"email", "webhook_url"} - body.model_fields_set
    return await run_in_threadpool(
        partial(set_channel_settings, keep=kept),
        services.database,
        me,
        body.email,
        body.webhook_url,
    )


@router.get("/deliveries", response_model=DeliveryList)
async def list_deliveries(
    services: ServicesDep,
    actor: Admin,
    status: Annotated[DeliveryState | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Any:
    """Deliveries of notifications by e-mail and webhook, newest first, with each one's
    outcome (attempts, last error): what an administrator checks when a channel is down."""
    after = after_delivery(cursor)
    rows = await run_in_threadpool(deliveries, services.database, status, limit + 1, after)
    more = len(rows) > limit
    return {
        "items": rows[:limit],
        "next_cursor": delivery_cursor(rows[limit - 1]) if more else None,
    }


class DeliveryOutcome(Answer):
    channel: str
    status: str
    attempts: int
    last_error: str | None
    delivered_at: Instant | None


class FindingNotification(Answer):
    id: str
    account_id: UUID
    kind: str
    subject: str
    created_at: Instant
    deliveries: list[DeliveryOutcome]


class FindingNotifications(Answer):
    items: list[FindingNotification]


@router.get(
    "/findings/{finding_id}/notifications",
    response_model=FindingNotifications,
    dependencies=[reached("notifications")],
)
def finding_notifications(finding_id: UUID, services: ServicesDep, actor: Reader) -> Any:
    """Who was told what about the finding, oldest first, and each channel's delivery; why a
    delivery failed (`last_error`) only to administrators (it may name an address or a host)."""
    services.app.get_finding(finding_id, viewer=actor)  # 404 beyond the caller's units
    items = services.notifications.of_finding(finding_id)
    if actor.role is not Role.ADMIN:
        for item in items:
            item["deliveries"] = [dict(d, last_error=None) for d in item["deliveries"]]
    return {"items": items}
