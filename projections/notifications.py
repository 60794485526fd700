"""Notifications (issue 15 item 7): who is told what, derived from the log.

Every reminder and 催办, every order (交办, 转办), every dispute, every step of an extension
application and every verification outcome becomes one notification for each account
concerned: the responsible unit's liaisons, the inspector who raised the finding, or the
supervisors who decide applications (and an escalation). The log is the outbox (ADR 026):
a notification exists because its event committed, and this read model writes it with its
tracking position in one transaction, so each is made exactly once, and a rebuild makes the
same ones with the same ids (`<position>-<account>`). What changes after that (read or
not, each channel's delivery) lives in tables a rebuild never touches (infra/outbox.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL

from domain.accounts import Account
from domain.clock import cn_date
from domain.findings import Finding
from domain.units import Unit
from domain.vocabulary import (
    ExtensionDecision,
    ExtensionReview,
    NotificationKind,
    ReminderKind,
    Role,
    VerificationOutcome,
)
from projections.base import ReadModel, ReadModelView, handles, other_aggregates
from projections.paging import Page, decode_cursor, encode_cursor

K = NotificationKind
COLUMNS = ("id", "finding_id", "kind", "subject", "body", "created_at", "read_at")
# Who is told: the liaisons of the finding's unit, its inspector, the supervisors.
UNIT, INSPECTOR, SUPERVISORS = "unit", "inspector", "supervisors"


# What each reminder says; a rule names the day it counts from after its `@` (the deadline,
# or for 签收催办 the day of the order: domain/reminders.py).
REMINDERS = {
    ReminderKind.ACKNOWLEDGE: "{deadline}交办的事项尚未签收，请尽快签收或申请退办。",
    ReminderKind.NEAR: "整改期限（{deadline}）临近，请抓紧办理。",
    ReminderKind.DUE: "今日为整改期限（{deadline}），请及时报送整改情况。",
    ReminderKind.OVERDUE: "已超过整改期限（{deadline}），请立即整改并报送整改情况。",
    ReminderKind.ESCALATION: "整改期限（{deadline}）已过且多次催办未办结，已提级督办。",
}


class NotificationsView(ReadModelView):
    projection_name = "notifications"
    # 2: 回头看 tells the unit, and a merged unit's findings go to its successor's liaisons.
    schema_version = 2
    tables: ClassVar[dict[str, str]] = {
        "notifications": (
            "id text PRIMARY KEY, position bigint NOT NULL, account_id uuid NOT NULL, "
            "finding_id uuid NOT NULL, kind text NOT NULL, subject text NOT NULL, "
            "body text NOT NULL, created_at timestamptz NOT NULL"
        ),
        "notify_accounts": (
            "id uuid PRIMARY KEY, role text NOT NULL, unit_code text, active boolean NOT NULL"
        ),
        "notify_findings": (
            "id uuid PRIMARY KEY, unit_code text NOT NULL, title text NOT NULL, inspector text"
        ),
        "notify_units": "id uuid PRIMARY KEY, code text NOT NULL",
    }

    def table_statements(self) -> list[Any]:
        return [
            *super().table_statements(),
            *self.define_indexes("notifications", account="(account_id, position)"),
        ]

    def inbox(
        self, account_id: UUID, unread_only: bool, limit: int, cursor: str | None
    ) -> tuple[Page, int]:
        """The account's notifications, newest first, and how many it has not read."""
        params: dict[str, Any] = {"account": account_id, "n": limit + 1}
        where = "n.account_id = %(account)s"
        if unread_only:
            where += " AND r.notification_id IS NULL"
        if cursor is not None:
            where += " AND n.position < %(after)s"
            params["after"] = decode_cursor(cursor)
        rows = self.fetch_all(
            SQL(
                "SELECT n.*, r.read_at FROM {} n LEFT JOIN supervision_notification_reads r "
                "ON r.notification_id = n.id WHERE " + where + " ORDER BY n.position DESC "
                "LIMIT %(n)s"
            ).format(self.table("notifications")),
            params,
        )
        more = len(rows) > limit
        page = Page(
            [{c: r[c] for c in COLUMNS} for r in rows[:limit]],
            encode_cursor(rows[limit - 1]["position"]) if more else None,
        )
        return page, self.unread(account_id)

    def unread(self, account_id: UUID) -> int:
        (row,) = self.fetch_all(
            SQL(
                "SELECT count(*) AS n FROM {} n WHERE n.account_id = %(account)s AND NOT EXISTS "
                "(SELECT FROM supervision_notification_reads r WHERE r.notification_id = n.id)"
            ).format(self.table("notifications")),
            {"account": account_id},
        )
        return int(row["n"])

    def mark_read(self, account_id: UUID, notification_id: str) -> bool:
        """Mark one of the account's notifications read (again: no change); False when the
        account has no such notification."""
        rows = self.fetch_all(
            SQL(
                "WITH mine AS (SELECT id FROM {} WHERE id = %(id)s AND account_id = %(account)s), "
                "marked AS (INSERT INTO supervision_notification_reads "
                "(notification_id, account_id, read_at) SELECT id, %(account)s, now() FROM mine "
                "ON CONFLICT DO NOTHING) SELECT id FROM mine"
            ).format(self.table("notifications")),
            {"id": notification_id, "account": account_id},
        )
        return bool(rows)

    def of_finding(self, finding_id: UUID) -> list[dict[str, Any]]:
        """The notifications a finding's events made, oldest first, with each channel's
        delivery (for its timeline)."""
        return [
            dict(r)
            for r in self.fetch_all(
                SQL(
                    "SELECT n.id, n.account_id, n.kind, n.subject, n.created_at, "
                    "coalesce(json_agg(json_build_object('channel', d.channel, 'status', "
                    "d.status, 'attempts', d.attempts, 'last_error', d.last_error, "
                    "'delivered_at', d.delivered_at) ORDER BY d.channel) FILTER "
                    "(WHERE d.channel IS NOT NULL), '[]') AS deliveries FROM {} n "
                    "LEFT JOIN supervision_deliveries d ON d.notification_id = n.id "
                    "WHERE n.finding_id = %(finding)s GROUP BY n.id ORDER BY n.position, n.id"
                ).format(self.table("notifications")),
                {"finding": finding_id},
            )
        ]


class Notifications(ReadModel[NotificationsView]):
    """Each handled finding event tells the accounts concerned; accounts and findings are
    remembered only as far as that needs (role, unit, active; unit, title, inspector)."""

    name = "notifications"
    ignores = (
        *other_aggregates(Unit, Account, Finding),
        Unit.Renamed,
        Unit.Absorbed,
        Unit.Dissolved,
        Unit.Split,
        Unit.InternalUnitAdded,
        Unit.InternalUnitRemoved,
        Finding.RectificationReported,
        Finding.DeadlineExtended,
        Finding.Escalated,
        Finding.Withdrawn,
        Finding.InterviewHeld,
        Finding.PowerItemCited,
        Finding.OrderAcknowledged,
        Finding.DisputeRejected,
        Finding.ProgressReported,
        Finding.ExtensionApplied,
    )

    @handles(Unit.Registered)
    def unit_registered(self, e: Unit.Registered, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            "INSERT INTO {units} (id, code) SELECT %(id)s::uuid, %(code)s::text WHERE {advanced} "
            "ON CONFLICT DO NOTHING",
            {"id": e.originator_id, "code": e.code},
            units="notify_units",
        )

    @handles(Unit.Merged)
    def unit_merged(self, e: Unit.Merged, tracking: Tracking) -> None:
        """机构改革: the merged unit's findings are told to its successor's liaisons."""
        self.view.write(
            tracking,
            "UPDATE {findings} SET unit_code = %(into)s WHERE unit_code = "
            "(SELECT code FROM {units} WHERE id = %(id)s) AND {advanced}",
            {"id": e.originator_id, "into": e.into},
            findings="notify_findings",
            units="notify_units",
        )

    @handles(Account.Created)
    def account_created(self, e: Account.Created, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            "INSERT INTO {accounts} (id, role, unit_code, active) SELECT %(id)s::uuid, "
            "%(role)s::text, %(unit)s::text, true WHERE {advanced} ON CONFLICT DO NOTHING",
            {"id": e.originator_id, "role": e.role, "unit": e.unit_code},
            accounts="notify_accounts",
        )

    @handles(Account.Revoked)
    def account_revoked(self, e: Account.Revoked, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            "UPDATE {accounts} SET active = false WHERE id = %(id)s AND {advanced}",
            {"id": e.originator_id},
            accounts="notify_accounts",
        )

    @handles(Finding.Raised)
    def raised(self, e: Finding.Raised, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            "INSERT INTO {findings} (id, unit_code, title, inspector) SELECT %(id)s::uuid, "
            "%(unit)s::text, %(title)s::text, %(inspector)s::text WHERE {advanced} "
            "ON CONFLICT DO NOTHING",
            {
                "id": e.originator_id,
                "unit": e.unit_code,
                "title": e.title,
                "inspector": e.actor["id"],
            },
            findings="notify_findings",
        )

    @handles(Finding.Amended)
    def amended(self, e: Finding.Amended, tracking: Tracking) -> None:
        self.view.write(
            tracking,
            "UPDATE {findings} SET title = coalesce(%(title)s::text, title) "
            "WHERE id = %(id)s AND {advanced}",
            {"id": e.originator_id, "title": e.changes.get("title")},
            findings="notify_findings",
        )

    @handles(Finding.RectificationOrdered)
    def ordered(self, e: Finding.RectificationOrdered, tracking: Tracking) -> None:
        self.tell(
            tracking,
            e,
            K.ORDER,
            (UNIT,),
            "已交办，请签收并于{deadline}前完成整改。",
            deadline=cn_date(e.deadline),
        )

    @handles(Finding.Reopened)
    def reopened(self, e: Finding.Reopened, tracking: Tracking) -> None:
        """整改回头看: the matter is given to the unit again."""
        again = f"，新的整改期限：{cn_date(e.new_deadline)}" if e.new_deadline else ""
        text = "回头看发现问题反弹，已重新交办{again}。原因：{reason}"
        self.tell(tracking, e, K.REOPENED, (UNIT,), text, again=again, reason=e.reason)

    @handles(Finding.Reassigned)
    def reassigned(self, e: Finding.Reassigned, tracking: Tracking) -> None:
        """转办: the finding is the new unit's now; its liaisons are told to sign for it."""
        self.tell(
            tracking, e, K.REASSIGNED, (UNIT,), "已转办至本单位，请签收办理。", moved_to=e.to_unit
        )

    @handles(Finding.Reminded)
    def reminded(self, e: Finding.Reminded, tracking: Tracking) -> None:
        kind = ReminderKind(e.kind)
        who = (UNIT, SUPERVISORS) if kind is ReminderKind.ESCALATION else (UNIT,)
        deadline = cn_date(date.fromisoformat(e.rule.rpartition("@")[2]))
        self.tell(tracking, e, K(kind.value), who, REMINDERS[kind], deadline=deadline)

    @handles(Finding.OrderDisputed)
    def disputed(self, e: Finding.OrderDisputed, tracking: Tracking) -> None:
        self.tell(
            tracking, e, K.DISPUTE, (INSPECTOR,), "责任单位申请退办：{reason}", reason=e.reason
        )

    @handles(Finding.ExtensionReviewed)
    def reviewed(self, e: Finding.ExtensionReviewed, tracking: Tracking) -> None:
        outcome = ExtensionReview(e.outcome)
        forwarded = outcome is ExtensionReview.FORWARDED
        self.tell(
            tracking,
            e,
            K.EXTENSION_REVIEW,
            (SUPERVISORS,) if forwarded else (UNIT,),
            "延期申请{label}。",
            label=outcome.label,
        )

    @handles(Finding.ExtensionDecided)
    def decided(self, e: Finding.ExtensionDecided, tracking: Tracking) -> None:
        outcome = ExtensionDecision(e.outcome)
        self.tell(
            tracking,
            e,
            K.EXTENSION_DECISION,
            (UNIT, INSPECTOR),
            "延期申请{label}：{reason}",
            label=outcome.label,
            reason=e.reason,
        )

    @handles(Finding.Verified)
    def verified(self, e: Finding.Verified, tracking: Tracking) -> None:
        outcome = VerificationOutcome(e.outcome)
        again = f"（新的整改期限：{cn_date(e.new_deadline)}）" if e.new_deadline else ""
        self.tell(
            tracking,
            e,
            K.VERIFICATION,
            (UNIT,),
            "{label}：{comment}{again}",
            label=outcome.label,
            comment=e.comment,
            again=again,
        )

    def tell(
        self,
        tracking: Tracking,
        e: Any,
        kind: NotificationKind,
        who: tuple[str, ...],
        text: str,
        moved_to: str | None = None,
        **values: str,
    ) -> None:
        """One notification of `kind` for each active account among `who`, its subject
        `【kind】title` and its body `text` filled with `values` (user text stays text: the
        channels and the console escape it where they must). `moved_to`: the finding is that
        unit's from this event on (转办), in the same statement (one event, one statement:
        the tracking advances once)."""
        self.view.write(
            tracking,
            ", moved AS (UPDATE {findings} SET unit_code = %(moved_to)s WHERE id = %(id)s "
            "AND %(moved_to)s::text IS NOT NULL AND {advanced}) "
            "INSERT INTO {notifications} (id, position, account_id, finding_id, kind, "
            "subject, body, created_at) SELECT %(_position)s::text || '-' || a.id::text, "
            "%(_position)s::bigint, a.id, f.id, %(kind)s::text, "
            "'【' || %(label)s::text || '】' || f.title, %(body)s::text, %(at)s::timestamptz "
            "FROM {findings} f JOIN {accounts} a ON a.active AND ("
            "(%(unit)s AND a.role = %(unit_role)s "
            "AND a.unit_code = coalesce(%(moved_to)s::text, f.unit_code)) "
            "OR (%(inspector)s AND a.id::text = f.inspector) "
            "OR (%(supervisors)s AND a.role = %(supervisor_role)s)) "
            "WHERE f.id = %(id)s AND {advanced} ON CONFLICT DO NOTHING",
            {
                "id": e.originator_id,
                "kind": kind.value,
                "label": kind.label,
                "body": text.format(**values),
                "at": e.timestamp,
                "unit": UNIT in who,
                "inspector": INSPECTOR in who,
                "supervisors": SUPERVISORS in who,
                "unit_role": Role.UNIT.value,
                "supervisor_role": Role.SUPERVISOR.value,
                "moved_to": moved_to,
            },
            notifications="notifications",
            findings="notify_findings",
            accounts="notify_accounts",
        )
