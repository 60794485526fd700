"""The dispatcher of notifications (issue 15 item 7, ADR 026): at least once, with back-off.

Notifications are made from the log (projections/notifications.py). The dispatcher takes
each new one up once (a cursor over their log positions, moved in the same statement that
makes the deliveries): one delivery for each channel the account has an address for, to that
address. It then tries every delivery that is due, leasing it first so that two dispatchers
never send the same one at once; a delivery whose process dies mid-send is tried again when
its lease runs out (at least once). A failure worth retrying waits, doubling from
`retry_seconds` up to `max_retry_seconds`, and is tried for as long as it takes: a channel
that is down delays delivery and loses nothing. A refusal (an address the mail server does not
know, a webhook answering 4xx) is final and shown as such. A channel the service has no
configuration for (no mail server, no webhook secret) leaves its deliveries waiting.

Only active accounts are told: a notification of an account revoked by the time it is taken
up makes no delivery, and the deliveries of an account revoked later end `failed` unsent
(each round ends them first, and a delivery is sent only while its account is active).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg.rows import dict_row

from infra.channels import DeliveryFailed, Message
from infra.database import Database

log = logging.getLogger("supervision.outbox")
CHANNELS = ("email", "webhook")
# How many notifications one take-up reads at most (all those of a position go together).
TAKE_UP = 500

TAKE_UP_STATEMENT = """
WITH cursor_row AS (SELECT position FROM supervision_dispatch_cursor FOR UPDATE),
upto AS (
    SELECT max(n.position) AS position FROM (
        SELECT n.position FROM notifications n, cursor_row c WHERE n.position > c.position
        ORDER BY n.position LIMIT %(take)s
    ) n
),
new AS (
    SELECT n.id, n.account_id FROM notifications n, cursor_row c, upto u
    WHERE n.position > c.position AND n.position <= u.position
),
told AS (
    SELECT new.* FROM new JOIN notify_accounts a ON a.id = new.account_id AND a.active
),
made AS (
    INSERT INTO supervision_deliveries (notification_id, channel, address)
    SELECT told.id, c.channel, c.address FROM told
    JOIN supervision_notification_settings s ON s.account_id = told.account_id
    CROSS JOIN LATERAL (VALUES ('email', s.email), ('webhook', s.webhook_url)) c(channel, address)
    WHERE c.address IS NOT NULL
    ON CONFLICT DO NOTHING RETURNING 1
),
moved AS (
    UPDATE supervision_dispatch_cursor SET position = u.position FROM upto u
    WHERE u.position IS NOT NULL RETURNING 1
)
SELECT (SELECT count(*) FROM new) AS notifications, (SELECT count(*) FROM made) AS deliveries,
       (SELECT count(*) FROM moved) AS moved
"""


def account_is(active: bool, table: str) -> str:
    """That the delivery's account is active (or, not `active`, revoked), as the
    notifications read model keeps it; a delivery whose notification it does not hold (yet)
    is neither."""
    state = "a.active" if active else "NOT a.active"
    return f"""EXISTS (SELECT FROM notifications n JOIN notify_accounts a ON a.id = n.account_id
  WHERE n.id = {table}.notification_id AND {state})"""


# A revoked account's deliveries not yet made end, unsent (unless one is being sent now: its
# dispatcher's outcome stands; a lease run out is ended next round).
END_STATEMENT = f"""
UPDATE supervision_deliveries d SET status = 'failed', leased_until = NULL,
    last_error = %(error)s
WHERE status IN ('pending', 'retrying') AND (leased_until IS NULL OR leased_until < now())
  AND {account_is(False, "d")}
"""

LEASE_STATEMENT = f"""
UPDATE supervision_deliveries d
SET leased_until = now() + make_interval(secs => %(lease)s), attempts = d.attempts + 1
FROM (
    SELECT notification_id, channel FROM supervision_deliveries
    WHERE status IN ('pending', 'retrying') AND next_at <= now()
      AND (leased_until IS NULL OR leased_until < now()) AND channel = ANY(%(channels)s)
      AND {account_is(True, "supervision_deliveries")}
    ORDER BY next_at LIMIT %(n)s FOR UPDATE SKIP LOCKED
) due, notifications n
WHERE d.notification_id = due.notification_id AND d.channel = due.channel
  AND n.id = d.notification_id
RETURNING d.notification_id, d.channel, d.address, d.attempts, n.subject, n.body, n.finding_id
"""

# Just before its send: the lease runs from now again, unless another dispatcher took the
# delivery meanwhile (its lease counted one more attempt), or its account has been revoked
# since it was leased (the next round ends it): then this one leaves it.
RENEW_STATEMENT = f"""
UPDATE supervision_deliveries SET leased_until = now() + make_interval(secs => %(lease)s)
WHERE notification_id = %(id)s AND channel = %(channel)s AND attempts = %(attempts)s
  AND status IN ('pending', 'retrying') AND {account_is(True, "supervision_deliveries")}
"""
REVOKED = "the account was revoked: not sent"  # an ended delivery's last_error

SETTLE_STATEMENT = """
UPDATE supervision_deliveries SET status = %(status)s, leased_until = NULL,
    last_error = %(error)s,
    delivered_at = CASE WHEN %(status)s = 'delivered' THEN now() END,
    next_at = now() + make_interval(secs => %(wait)s)
WHERE notification_id = %(id)s AND channel = %(channel)s AND attempts = %(attempts)s
"""


class Channel(Protocol):
    def send(self, address: str, message: Message) -> None: ...


@dataclass(frozen=True)
class Backoff:
    """The wait before the next try after `attempts` failed ones: doubling, capped."""

    first_seconds: float = 30
    max_seconds: float = 3600

    def wait(self, attempts: int) -> float:
        return float(min(self.first_seconds * 2 ** max(attempts - 1, 0), self.max_seconds))


@dataclass(frozen=True)
class Round:
    """What one round of the dispatcher did."""

    taken_up: int = 0
    queued: int = 0
    delivered: int = 0
    failed: int = 0
    left: int = 0  # leased, then taken by another dispatcher (or revoked) before their turn
    ended: int = 0  # deliveries of revoked accounts, ended unsent


class Outbox:
    """Takes notifications up into deliveries and delivers the due ones on `channels`
    (name -> channel; a name missing is a channel that is not configured)."""

    def __init__(
        self,
        database: Database,
        channels: Mapping[str, Channel],
        *,
        backoff: Backoff | None = None,
        link: str | None = None,
        batch: int = 20,
        lease_seconds: float = 60,
    ) -> None:
        self.database = database
        self.channels = dict(channels)
        self.backoff = backoff or Backoff()
        self.link = link.rstrip("/") if link else None
        self.batch = batch
        self.lease_seconds = lease_seconds

    def run_once(self) -> Round:
        """Take up what is new, then deliver what is due (one batch)."""
        taken, queued = self.take_up()
        ended = self.end_revoked()
        outcomes = [self.deliver(row) for row in self.lease()]
        delivered, failed = outcomes.count(True), outcomes.count(False)
        result = Round(taken, queued, delivered, failed, outcomes.count(None), ended)
        if taken or outcomes or ended:
            log.info("dispatch_round", extra=result.__dict__)
        return result

    def take_up(self) -> tuple[int, int]:
        """Make the deliveries of the notifications past the cursor: (notifications,
        deliveries)."""
        with self.database.connection(row_factory=dict_row) as conn:
            row = conn.execute(TAKE_UP_STATEMENT, {"take": TAKE_UP}).fetchone()
        assert row is not None
        return int(row["notifications"]), int(row["deliveries"])

    def end_revoked(self) -> int:
        """End the deliveries of revoked accounts, unsent; how many."""
        with self.database.connection() as conn:
            return conn.execute(END_STATEMENT, {"error": REVOKED}).rowcount

    def lease(self) -> list[dict[str, Any]]:
        """The due deliveries on configured channels, leased to this dispatcher."""
        if not self.channels:
            return []
        with self.database.connection(row_factory=dict_row) as conn:
            return conn.execute(
                LEASE_STATEMENT,
                {"lease": self.lease_seconds, "channels": list(self.channels), "n": self.batch},
            ).fetchall()

    def deliver(self, row: dict[str, Any]) -> bool | None:
        """Send one leased delivery and keep its outcome; whether it was delivered (None:
        another dispatcher took it, its lease having run out while the batch was sent)."""
        link = f"{self.link}/findings/{row['finding_id']}" if self.link else None
        message = Message(row["subject"], row["body"], link)
        where = {"id": row["notification_id"], "channel": row["channel"]}
        if not self.renew(where, row["attempts"]):
            log.info("delivery_taken_by_another_dispatcher_or_revoked", extra=where)
            return None
        try:
            self.channels[row["channel"]].send(row["address"], message)
        except Exception as error:  # any failure is the delivery's outcome, kept: never lost
            known = isinstance(error, DeliveryFailed)
            status = (
                "failed" if isinstance(error, DeliveryFailed) and not error.retry else "retrying"
            )
            text = str(error) if known else f"{type(error).__name__}: {error}"
            wait = self.backoff.wait(row["attempts"])
            log.warning(
                "delivery_failed",
                extra={**where, "attempts": row["attempts"], "status": status, "error": text},
                exc_info=not known,
            )
            self.settle({**where, "attempts": row["attempts"]}, status, text, wait)
            return False
        log.debug("delivered", extra={**where, "attempts": row["attempts"]})
        self.settle({**where, "attempts": row["attempts"]}, "delivered", None, 0)
        return True

    def renew(self, where: dict[str, Any], attempts: int) -> bool:
        with self.database.connection() as conn:
            renewed = conn.execute(
                RENEW_STATEMENT, {**where, "attempts": attempts, "lease": self.lease_seconds}
            )
            return renewed.rowcount == 1

    def settle(self, where: dict[str, Any], status: str, error: str | None, wait: float) -> None:
        with self.database.connection() as conn:
            conn.execute(
                SETTLE_STATEMENT, {**where, "status": status, "error": error, "wait": wait}
            )


def deliveries(
    database: Database,
    status: str | None,
    limit: int,
    after: tuple[datetime, str, str] | None = None,
) -> list[dict[str, Any]]:
    """The deliveries (newest first), of one status or all: what an administrator checks;
    `limit` of them after `after`, the (created_at, notification_id, channel) of the last
    one of the page before."""
    created, notification, channel = after or (None, "", "")
    with database.connection(row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT d.notification_id, n.account_id, n.finding_id, n.kind, d.channel, "
            "d.status, d.attempts, d.next_at, d.last_error, d.delivered_at, d.created_at "
            "FROM supervision_deliveries d JOIN notifications n ON n.id = d.notification_id "
            "WHERE (%(status)s::text IS NULL OR d.status = %(status)s) "
            "AND (%(created)s::timestamptz IS NULL OR d.created_at < %(created)s "
            "OR (d.created_at = %(created)s AND (d.notification_id, d.channel) > "
            "(%(notification)s, %(channel)s))) "
            "ORDER BY d.created_at DESC, d.notification_id, d.channel LIMIT %(n)s",
            {
                "status": status,
                "n": limit,
                "created": created,
                "notification": notification,
                "channel": channel,
            },
        ).fetchall()


def channel_settings(database: Database, account_id: Any) -> dict[str, Any]:
    """The account's channels: its e-mail address and webhook URL (None: not used)."""
    with database.connection(row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT email, webhook_url FROM supervision_notification_settings "
            "WHERE account_id = %s",
            (account_id,),
        ).fetchone()
    return dict(row) if row else {"email": None, "webhook_url": None}


def set_channel_settings(
    database: Database,
    account_id: Any,
    email: str | None,
    webhook_url: str | None,
    *,
    keep: Collection[str] = (),
) -> dict[str, Any]:
    """Set the account's channels, those named in `keep` left as stored; what they are now."""
    with database.connection(row_factory=dict_row) as conn:
        row = conn.execute(
            "INSERT INTO supervision_notification_settings AS t (account_id, email, webhook_url) "
            "VALUES (%(account)s, %(email)s, %(webhook_url)s) ON CONFLICT (account_id) DO UPDATE "
            "SET email = CASE WHEN %(keep_email)s THEN t.email ELSE EXCLUDED.email END, "
            "webhook_url = CASE WHEN %(keep_webhook)s THEN t.webhook_url "
            "ELSE EXCLUDED.webhook_url END, updated_at = now() RETURNING email, webhook_url",
            {
                "account": account_id,
                "email": None if "email" in keep else email,
                "webhook_url": None if "webhook_url" in keep else webhook_url,
                "keep_email": "email" in keep,
                "keep_webhook": "webhook_url" in keep,
            },
        ).fetchone()
    assert row is not None
    return dict(row)
