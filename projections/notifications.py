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

import json
from dataclasses import astuple, dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar, Literal, get_args
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.sql import SQL, Composed

from domain.accounts import Account
from domain.clock import business_day, cn_date
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
from projections.base import (
    ReadModel,
    ReadModelView,
    handles,
    other_aggregates,
)
from projections.paging import Page, decode_cursor, encode_cursor

K = NotificationKind
# The tables: the notifications, and the accounts, findings and units they need.
NOTIFICATIONS, ACCOUNTS = "notifications", "notify_accounts"
FINDINGS, UNITS = "notify_findings", "notify_units"
COLUMNS = ("id", "finding_id", "kind", "subject", "body", "created_at", "read_at")
# Who is told: the liaisons of the finding's unit, its inspector, the supervisors.
UNIT, INSPECTOR, SUPERVISORS = "unit", "inspector", "supervisors"
# How far a finding's round has come, as far as what its unit is told depends on it (the
# Finding aggregate's own flags): raised, no order given yet; ordered, an order the unit
# signs for or disputes (退办); dispute_rejected, its 退办 of the order was not accepted in
# this round, so it signs and may not dispute again (until a 转办, 转隶 or 回头看 gives
# the order anew).
RAISED, ORDERED, DISPUTE_REJECTED = "raised", "ordered", "dispute_rejected"
# reported: its rectification reported, awaiting 验收 (the unit has nothing to sign for until
# the report is sent back).
REPORTED = "reported"
# What a finding's row keeps besides its unit, for the notices told of it later.
Remembered = Literal["title", "applied", "stage"]
REMEMBERED: tuple[Remembered, ...] = get_args(Remembered)


# What each reminder says; a rule names the day it counts from after its `@` (the deadline,
# or for 签收催办 the day of the order: domain/reminders.py).
REMINDERS: dict[ReminderKind | str, str] = {
    ReminderKind.ACKNOWLEDGE: "{deadline}交办的事项尚未签收，请尽快签收或申请退办。",
    # The same, once the unit's 退办 of the order was not accepted: it may only sign.
    "acknowledge_signs": "{deadline}交办的事项尚未签收，请尽快签收。",
    ReminderKind.NEAR: "整改期限（{deadline}）临近，请抓紧办理。",
    ReminderKind.DUE: "今日为整改期限（{deadline}），请及时报送整改情况。",
    # The same, sent on the day a deadline on a day off runs to, or later (after an outage).
    "due_moved": "整改期限（{deadline}）逢休息日顺延至今日届满，请及时报送整改情况。",
    "due_passed": "整改期限（{deadline}）已届满，请及时报送整改情况。",
    ReminderKind.OVERDUE: "已超过整改期限（{deadline}），请立即整改并报送整改情况。",
    ReminderKind.ESCALATION: "整改期限（{deadline}）已过且多次催办未办结，已提级督办。",
}


@dataclass(frozen=True)
class Recipient:
    """An account, as far as telling it needs (notify_accounts)."""

    id: UUID
    role: str
    unit_code: str | None
    active: bool = True


@dataclass(frozen=True)
class Concerned:
    """A finding, as far as telling of it needs (notify_findings): its unit, title and the
    inspector who raised it (an actor id), its last 延期申请 as its 初审 tells it (the
    day asked for and the reason, in a sentence), and how far its round has come (RAISED,
    ORDERED, DISPUTE_REJECTED or REPORTED)."""

    unit_code: str
    title: str
    inspector: str | None
    applied: str | None = None
    stage: str = RAISED


@dataclass(frozen=True)
class Notice:
    """What one event tells: of which finding, what, when, to whom (the liaisons of its
    unit, its inspector, the supervisors), the unit it passes to (转办), if any, and the
    stage its round enters, if it changes (from `from_stage` only, where that is given)."""

    finding_id: UUID
    kind: NotificationKind
    body: str
    at: datetime
    unit: bool
    inspector: bool
    supervisors: bool
    moved_to: str | None
    # Told after `body`: the finding's last 延期申请 (Concerned.applied), then this.
    after_application: str | None = None
    # Told instead of `body` of a finding at one of these stages (the stage before the
    # event: (stage, body) pairs).
    body_at: tuple[tuple[str, str], ...] = ()
    stage: str | None = None
    from_stage: str | None = None

    def body_of(self, finding: Concerned) -> str:
        """The body as told of `finding` (the statement's body expression, in Python)."""
        body = dict(self.body_at).get(finding.stage, self.body)
        if self.after_application is None:
            return body
        return body + (finding.applied or "") + self.after_application

    def changed(self, finding: Concerned) -> Concerned:
        """`finding` as this event leaves it (the statement's update, in Python)."""
        unit_code = self.moved_to if self.moved_to is not None else finding.unit_code
        stage = finding.stage
        if self.stage is not None and self.from_stage in (None, stage):
            stage = self.stage
        return replace(finding, unit_code=unit_code, stage=stage)

    def tells(self, account: Recipient, finding: Concerned) -> bool:
        """Whether `account` is among those told of `finding` (tell's join, in Python)."""
        unit_code = self.moved_to if self.moved_to is not None else finding.unit_code
        return account.active and (
            (self.unit and account.role == Role.UNIT.value and account.unit_code == unit_code)
            or (self.inspector and str(account.id) == finding.inspector)
            or (self.supervisors and account.role == Role.SUPERVISOR.value)
        )


@dataclass
class NotifyFill:
    """A batch of a fill, kept in Python (NotificationsView.fill_batch): every account, the
    batch's findings and the units it names, as the events leave them; what it changed; the
    merges to carry to the findings outside the batch; the notifications it made."""

    accounts: dict[UUID, Recipient]
    findings: dict[UUID, Concerned]
    units: dict[UUID, str]
    stored: set[UUID] = field(default_factory=set)  # findings stored before the batch
    changed_accounts: set[UUID] = field(default_factory=set)
    changed_findings: set[UUID] = field(default_factory=set)
    new_units: set[UUID] = field(default_factory=set)
    merges: list[tuple[str, str]] = field(default_factory=list)
    notifications: list[tuple[Any, ...]] = field(default_factory=list)


class NotificationsView(ReadModelView):
    projection_name = "notifications"
    # 2: 回头看 tells the unit, and a merged unit's findings go to its successor's liaisons;
    # 3: a 到期催办 sent on another day than the deadline says so; 4: an approved extension
    # names the new deadline; 5: a 初审 names the day asked for, the reason and its comment
    # (notify_findings keeps the application); 6: a 退办不予认可 tells the unit; 7: after
    # it a 签收催办 no longer offers 退办 (notify_findings keeps the round's stage); 8: a
    # finding not yet ordered that a split moves is told without asking its unit to sign; 9:
    # nor one whose report awaits 验收 (notify_findings keeps the stage "reported")
    schema_version = 9
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
            "id uuid PRIMARY KEY, unit_code text NOT NULL, title text NOT NULL, inspector text, "
            "applied text, stage text NOT NULL"
        ),
        "notify_units": "id uuid PRIMARY KEY, code text NOT NULL",
    }

    copies_fill = True
    # While a batch of a fill is kept in Python (fill_batch).
    _fill: NotifyFill | None = None

    def table_statements(self) -> list[Any]:
        return [
            *super().table_statements(),
            *self.define_indexes("notifications", account="(account_id, position)"),
        ]

    # -- what the events change (by statements, or kept in a fill's batch) ------------------

    def unit_registered(self, tracking: Tracking, unit_id: UUID, code: str) -> None:
        if (fill := self._fill) is not None:
            if unit_id not in fill.units:
                fill.units[unit_id] = code
                fill.new_units.add(unit_id)
            return
        self.write(
            tracking,
            "INSERT INTO {units} (id, code) SELECT %(id)s::uuid, %(code)s::text WHERE {advanced} "
            "ON CONFLICT DO NOTHING",
            {"id": unit_id, "code": code},
            units="notify_units",
        )

    def unit_merged(self, tracking: Tracking, unit_id: UUID, into: str) -> None:
        if (fill := self._fill) is not None:
            code = fill.units.get(unit_id)
            if code is None:
                return
            fill.merges.append((code, into))
            for finding_id, finding in fill.findings.items():
                if finding.unit_code == code:
                    fill.findings[finding_id] = replace(finding, unit_code=into)
                    fill.changed_findings.add(finding_id)
            return
        self.write(
            tracking,
            "UPDATE {findings} SET unit_code = %(into)s WHERE unit_code = "
            "(SELECT code FROM {units} WHERE id = %(id)s) AND {advanced}",
            {"id": unit_id, "into": into},
            findings="notify_findings",
            units="notify_units",
        )

    def account_created(self, tracking: Tracking, account: Recipient) -> None:
        if (fill := self._fill) is not None:
            if account.id not in fill.accounts:
                fill.accounts[account.id] = account
                fill.changed_accounts.add(account.id)
            return
        self.write(
            tracking,
            "INSERT INTO {accounts} (id, role, unit_code, active) SELECT %(id)s::uuid, "
            "%(role)s::text, %(unit)s::text, true WHERE {advanced} ON CONFLICT DO NOTHING",
            {"id": account.id, "role": account.role, "unit": account.unit_code},
            accounts="notify_accounts",
        )

    def account_revoked(self, tracking: Tracking, account_id: UUID) -> None:
        if (fill := self._fill) is not None:
            if (account := fill.accounts.get(account_id)) is not None:
                fill.accounts[account_id] = replace(account, active=False)
                fill.changed_accounts.add(account_id)
            return
        self.write(
            tracking,
            "UPDATE {accounts} SET active = false WHERE id = %(id)s AND {advanced}",
            {"id": account_id},
            accounts="notify_accounts",
        )

    def finding_raised(self, tracking: Tracking, finding_id: UUID, finding: Concerned) -> None:
        if (fill := self._fill) is not None:
            if finding_id not in fill.findings:
                fill.findings[finding_id] = finding
                fill.changed_findings.add(finding_id)
            return
        self.write(
            tracking,
            "INSERT INTO {findings} (id, unit_code, title, inspector, stage) SELECT "
            "%(id)s::uuid, %(unit)s::text, %(title)s::text, %(inspector)s::text, %(stage)s::text "
            "WHERE {advanced} ON CONFLICT DO NOTHING",
            {
                "id": finding_id,
                "unit": finding.unit_code,
                "title": finding.title,
                "inspector": finding.inspector,
                "stage": finding.stage,
            },
            findings="notify_findings",
        )

    def remember(
        self, tracking: Tracking, finding_id: UUID, column: Remembered, value: str | None
    ) -> None:
        """Keep one thing of a finding that later notices tell (its title, its last 延期申请,
        its round's stage), in the same statement as the tracking advance; None keeps what
        was there (an amendment that leaves the title)."""
        if (fill := self._fill) is not None:
            if value is not None and (finding := fill.findings.get(finding_id)) is not None:
                fill.findings[finding_id] = replace(finding, **{column: value})
                fill.changed_findings.add(finding_id)
            return
        assert column in REMEMBERED  # a fixed name, never a caller's text
        self.write(
            tracking,
            f"UPDATE {{findings}} SET {column} = coalesce(%(value)s::text, {column}) "
            "WHERE id = %(id)s AND {advanced}",
            {"id": finding_id, "value": value},
            findings="notify_findings",
        )

    def tell(self, tracking: Tracking, notice: Notice) -> None:
        """The notice's notifications, one for each account it tells (Notice.tells), told of
        the finding as it was before the event; then the finding as the event leaves it."""
        if (fill := self._fill) is not None:
            finding = fill.findings.get(notice.finding_id)
            if finding is None:
                return
            if (changed := notice.changed(finding)) != finding:
                fill.findings[notice.finding_id] = changed
                fill.changed_findings.add(notice.finding_id)
            position = tracking.notification_id
            subject = f"【{notice.kind.label}】{finding.title}"
            body = notice.body_of(finding)
            fill.notifications.extend(
                (f"{position}-{a.id}", position, a.id, notice.finding_id, notice.kind.value,
                 subject, body, notice.at)
                for a in fill.accounts.values()
                if notice.tells(a, finding)
            )  # fmt: skip
            return
        self.write(
            tracking,
            # The insert reads the finding as it was before the update (one snapshot).
            ", changed AS (UPDATE {findings} SET unit_code = coalesce(%(moved_to)s::text, "
            "unit_code), stage = CASE WHEN coalesce(%(from_stage)s::text = stage, true) "
            "THEN coalesce(%(stage)s::text, stage) ELSE stage END WHERE id = %(id)s "
            "AND (%(moved_to)s::text IS NOT NULL OR %(stage)s::text IS NOT NULL) "
            "AND {advanced}) "
            "INSERT INTO {notifications} (id, position, account_id, finding_id, kind, "
            "subject, body, created_at) SELECT %(_position)s::text || '-' || a.id::text, "
            "%(_position)s::bigint, a.id, f.id, %(kind)s::text, "
            "'【' || %(label)s::text || '】' || f.title, "
            "coalesce(%(body_at)s::jsonb ->> f.stage, %(body)s::text) || "
            "coalesce(coalesce(f.applied, '') || %(after)s::text, ''), %(at)s::timestamptz "
            "FROM {findings} f JOIN {accounts} a ON a.active AND ("
            "(%(unit)s AND a.role = %(unit_role)s "
            "AND a.unit_code = coalesce(%(moved_to)s::text, f.unit_code)) "
            "OR (%(inspector)s AND a.id::text = f.inspector) "
            "OR (%(supervisors)s AND a.role = %(supervisor_role)s)) "
            "WHERE f.id = %(id)s AND {advanced} ON CONFLICT DO NOTHING",
            {
                "id": notice.finding_id,
                "kind": notice.kind.value,
                "label": notice.kind.label,
                "body": notice.body,
                "body_at": json.dumps(dict(notice.body_at), ensure_ascii=False)
                if notice.body_at
                else None,
                "after": notice.after_application,
                "at": notice.at,
                "unit": notice.unit,
                "inspector": notice.inspector,
                "supervisors": notice.supervisors,
                "unit_role": Role.UNIT.value,
                "supervisor_role": Role.SUPERVISOR.value,
                "moved_to": notice.moved_to,
                "stage": notice.stage,
                "from_stage": notice.from_stage,
            },
            notifications="notifications",
            findings="notify_findings",
            accounts="notify_accounts",
        )

    # -- a fill by COPY ----------------------------------------------------------------------

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> NotifyFill:
        """A batch of a fill starts from every account (a few hundred at most), and the
        findings and units of its events."""
        accounts = self.rows_of(conn, ACCOUNTS, self.declared(ACCOUNTS), None)
        findings = self.rows_of(conn, FINDINGS, self.declared(FINDINGS), ids)
        units = self.rows_of(conn, UNITS, self.declared(UNITS), ids)
        fill = NotifyFill(
            accounts={
                r["id"]: Recipient(r["id"], r["role"], r["unit_code"], r["active"])
                for r in accounts
            },
            findings={
                r["id"]: Concerned(
                    r["unit_code"], r["title"], r["inspector"], r["applied"], r["stage"]
                )
                for r in findings
            },
            units={r["id"]: r["code"] for r in units},
        )
        fill.stored = set(fill.findings)
        return fill

    def write_fill(self, conn: Connection[Any], fill: NotifyFill) -> dict[str, int]:
        """The mergers carried to the findings outside the batch; the accounts, findings
        and units it changed, written anew (deleted first where they were stored); its
        notifications."""
        for code, into in fill.merges:
            conn.execute(self.merge_findings, (into, code))
        self.delete_rows(conn, ACCOUNTS, fill.changed_accounts)
        self.delete_rows(conn, FINDINGS, fill.changed_findings & fill.stored)
        accounts = [astuple(fill.accounts[i]) for i in fill.changed_accounts]
        findings = [(i, *astuple(fill.findings[i])) for i in fill.changed_findings]
        units = [(i, fill.units[i]) for i in fill.new_units]
        for table, rows in (
            (ACCOUNTS, accounts),
            (FINDINGS, findings),
            (UNITS, units),
            (NOTIFICATIONS, fill.notifications),
        ):
            self.copy_rows(conn, table, self.declared(table), rows)
        return {"notifications": len(fill.notifications), "findings": len(findings)}

    @cached_property
    def merge_findings(self) -> Composed:
        return SQL("UPDATE {} SET unit_code = %s WHERE unit_code = %s").format(
            self.table("notify_findings")
        )

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
        Finding.DeadlineExtended,
        Finding.Escalated,
        Finding.Withdrawn,
        Finding.InterviewHeld,
        Finding.PowerItemCited,
        Finding.OrderAcknowledged,
        Finding.ProgressReported,
    )

    @handles(Unit.Registered)
    def unit_registered(self, e: Unit.Registered, tracking: Tracking) -> None:
        self.view.unit_registered(tracking, e.originator_id, e.code)

    @handles(Unit.Merged)
    def unit_merged(self, e: Unit.Merged, tracking: Tracking) -> None:
        """机构改革: the merged unit's findings are told to its successor's liaisons."""
        self.view.unit_merged(tracking, e.originator_id, e.into)

    @handles(Account.Created)
    def account_created(self, e: Account.Created, tracking: Tracking) -> None:
        self.view.account_created(tracking, Recipient(e.originator_id, e.role, e.unit_code))

    @handles(Account.Revoked)
    def account_revoked(self, e: Account.Revoked, tracking: Tracking) -> None:
        self.view.account_revoked(tracking, e.originator_id)

    @handles(Finding.Raised)
    def raised(self, e: Finding.Raised, tracking: Tracking) -> None:
        self.view.finding_raised(
            tracking, e.originator_id, Concerned(e.unit_code, e.title, e.actor["id"])
        )

    @handles(Finding.Amended)
    def amended(self, e: Finding.Amended, tracking: Tracking) -> None:
        self.view.remember(tracking, e.originator_id, "title", e.changes.get("title"))

    @handles(Finding.RectificationOrdered)
    def ordered(self, e: Finding.RectificationOrdered, tracking: Tracking) -> None:
        self.tell(
            tracking,
            e,
            K.ORDER,
            (UNIT,),
            "已交办，请签收并于{deadline}前完成整改。",
            stage=ORDERED,
            deadline=cn_date(e.deadline),
        )

    @handles(Finding.Reopened)
    def reopened(self, e: Finding.Reopened, tracking: Tracking) -> None:
        """整改回头看: the matter is given to the unit again, a new round (it may dispute)."""
        again = f"，新的整改期限：{cn_date(e.new_deadline)}" if e.new_deadline else ""
        text = "回头看发现问题反弹，已重新交办{again}。原因：{reason}"
        self.tell(
            tracking, e, K.REOPENED, (UNIT,), text, stage=ORDERED, again=again, reason=e.reason
        )

    @handles(Finding.Reassigned)
    def reassigned(self, e: Finding.Reassigned, tracking: Tracking) -> None:
        """转办: the finding is the new unit's now; its liaisons are told to sign for it. The
        order is given anew: a 退办 rejected before is of the round that ends. One not yet
        ordered has no order to sign for: only a split moves it (a 转办 answers a 退办 of an
        order), and its unit is told so; its order, when given, tells it to sign. Nor has
        one whose rectification is reported (a split moves it too): its unit is told the
        report awaits 验收; if the report is sent back, the unit signs then."""
        split = "因原责任单位分设，该问题已转由本单位负责，"
        unordered = split + "尚未交办整改，交办时另行通知。"
        reported = split + "整改情况已报送、待督查验收，验收结果另行通知。"
        self.tell(
            tracking,
            e,
            K.REASSIGNED,
            (UNIT,),
            "已转办至本单位，请签收办理。",
            moved_to=e.to_unit,
            text_at={RAISED: unordered, REPORTED: reported},
            stage=ORDERED,
            from_stage=DISPUTE_REJECTED,
        )

    @handles(Finding.Reminded)
    def reminded(self, e: Finding.Reminded, tracking: Tracking) -> None:
        kind = ReminderKind(e.kind)
        who = (UNIT, SUPERVISORS) if kind is ReminderKind.ESCALATION else (UNIT,)
        day = date.fromisoformat(e.rule.rpartition("@")[2])
        said: str = REMINDERS[kind]
        if kind is ReminderKind.DUE and (sent_on := business_day(e.timestamp)) != day:
            said = REMINDERS["due_moved" if sent_on == e.due_on else "due_passed"]
        # 签收催办 of an order whose 退办 was not accepted: the unit may no longer dispute it.
        signs = {DISPUTE_REJECTED: REMINDERS["acknowledge_signs"]}
        text_at = signs if kind is ReminderKind.ACKNOWLEDGE else None
        self.tell(tracking, e, K(kind.value), who, said, text_at=text_at, deadline=cn_date(day))

    @handles(Finding.OrderDisputed)
    def disputed(self, e: Finding.OrderDisputed, tracking: Tracking) -> None:
        self.tell(
            tracking, e, K.DISPUTE, (INSPECTOR,), "责任单位申请退办：{reason}", reason=e.reason
        )

    @handles(Finding.DisputeRejected)
    def dispute_rejected(self, e: Finding.DisputeRejected, tracking: Tracking) -> None:
        """退办不予认可: the order stands; the unit is told why, and to sign for it."""
        said = "退办申请不予认可，原交办事项由本单位办理，请尽快签收。理由：{reason}"
        self.tell(
            tracking, e, K.DISPUTE_REJECTED, (UNIT,), said, stage=DISPUTE_REJECTED, reason=e.reason
        )

    @handles(Finding.ExtensionApplied)
    def applied(self, e: Finding.ExtensionApplied, tracking: Tracking) -> None:
        """延期申请: kept for its 初审's notice (the day asked for, the reason)."""
        said = f"申请延期至{cn_date(e.new_deadline)}（理由：{e.reason}）。"
        self.view.remember(tracking, e.originator_id, "applied", said)

    @handles(Finding.ExtensionReviewed)
    def reviewed(self, e: Finding.ExtensionReviewed, tracking: Tracking) -> None:
        """初审: forwarded, the supervisors decide; refused, the unit is told why; either
        names the day asked for and the reason given, then the inspector's comment."""
        outcome = ExtensionReview(e.outcome)
        forwarded = outcome is ExtensionReview.FORWARDED
        self.tell(
            tracking,
            e,
            K.EXTENSION_REVIEW,
            (SUPERVISORS,) if forwarded else (UNIT,),
            "延期申请{label}。",
            after_application=f"初审意见：{e.comment}",
            label=outcome.label,
        )

    @handles(Finding.ExtensionDecided)
    def decided(self, e: Finding.ExtensionDecided, tracking: Tracking) -> None:
        outcome = ExtensionDecision(e.outcome)
        moved = f"，新的整改期限：{cn_date(e.new_deadline)}" if e.new_deadline else ""
        self.tell(
            tracking,
            e,
            K.EXTENSION_DECISION,
            (UNIT, INSPECTOR),
            "延期申请{label}{moved}。理由：{reason}",
            label=outcome.label,
            moved=moved,
            reason=e.reason,
        )

    @handles(Finding.RectificationReported)
    def reported(self, e: Finding.RectificationReported, tracking: Tracking) -> None:
        """整改报送: nobody is told (the inspector's 待办 lists it); the round awaits 验收."""
        self.view.remember(tracking, e.originator_id, "stage", REPORTED)

    @handles(Finding.Verified)
    def verified(self, e: Finding.Verified, tracking: Tracking) -> None:
        """验收: a report sent back returns the round to its order (rectifying again)."""
        outcome = VerificationOutcome(e.outcome)
        again = f"（新的整改期限：{cn_date(e.new_deadline)}）" if e.new_deadline else ""
        self.tell(
            tracking,
            e,
            K.VERIFICATION,
            (UNIT,),
            "{label}：{comment}{again}",
            stage=None if outcome is VerificationOutcome.ACCEPTED else ORDERED,
            from_stage=REPORTED,
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
        after_application: str | None = None,
        *,
        text_at: dict[str, str] | None = None,
        stage: str | None = None,
        from_stage: str | None = None,
        **values: str,
    ) -> None:
        """One notification of `kind` for each active account among `who`, its subject
        `【kind】title` and its body `text` filled with `values` (user text stays text: the
        channels and the console escape it where they must). `moved_to`: the finding is that
        unit's from this event on (转办), in the same statement (one event, one statement:
        the tracking advances once). `after_application`: told after the body, behind the
        finding's last 延期申请 as the read model keeps it. `text_at`: the text instead of
        `text` for a finding whose round is at that stage. `stage`: the stage the round
        enters with the event (from `from_stage` only, where given), in the same statement."""
        notice = Notice(
            e.originator_id,
            kind,
            text.format(**values),
            e.timestamp,
            UNIT in who,
            INSPECTOR in who,
            SUPERVISORS in who,
            moved_to,
            after_application,
            tuple((at, said.format(**values)) for at, said in (text_at or {}).items()),
            stage,
            from_stage,
        )
        self.view.tell(tracking, notice)
