"""Per-unit history: every event that touches a unit, oldest first, following mergers.

A unit is touched by its own events, by its findings', by the work items it leads or
co-owns, and by the rulings whose subject it is. The projection remembers which units each
aggregate touches (a private table), because only an aggregate's first event names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from domain.clock import cn_date
from domain.commendations import Commendation
from domain.findings import RECTIFICATION, Finding
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.units import Unit
from domain.vocabulary import (
    AccountabilityForm,
    CommendationKind,
    ExtensionDecision,
    ExtensionReview,
    ReminderKind,
    ToleranceOutcome,
    event_label,
)
from domain.work_items import WorkItem
from projections.base import ReadModel, ReadModelView, handles, other_aggregates
from projections.paging import Page, decode_cursor, encode_cursor

HISTORY, TOUCHES = "unit_history", "unit_history_touches"  # the lines; each aggregate's units
COLUMNS = (
    "position",
    "recorded_at",
    "event_type",
    "aggregate_type",
    "aggregate_id",
    "summary",
    "actor",
    "unit_code",
)


# What a line says after its event's name, by the kind of event: the first entry whose
# classes the event is one of. An event of none says its name alone.
DETAILS: tuple[tuple[Any, Callable[[Any], str]], ...] = (
    (
        Unit.Registered | Finding.Raised | WorkItem.Listed,
        lambda e: str(getattr(e, "title", None) or getattr(e, "name", "")),
    ),
    (Unit.Renamed, lambda e: f"更名为{e.name}"),
    (Unit.Merged, lambda e: f"并入 {e.into}"),
    (Finding.Reassigned | WorkItem.LeadTransferred, lambda e: f"{e.from_unit} → {e.to_unit}"),
    (Unit.Split, lambda e: f"分设为 {'、'.join(e.into)}"),
    (Unit.InternalUnitAdded | Unit.InternalUnitRemoved, lambda e: e.name),
    (Finding.Reminded, lambda e: ReminderKind(e.kind).label),
    (Finding.ExtensionApplied, lambda e: f"申请延期至{cn_date(e.new_deadline)}"),
    (Finding.ExtensionReviewed, lambda e: ExtensionReview(e.outcome).label),
    (Finding.ExtensionDecided, lambda e: ExtensionDecision(e.outcome).label),
    (
        Finding.RectificationOrdered | Finding.DeadlineExtended,
        lambda e: f"期限{cn_date(getattr(e, 'deadline', None) or e.new_deadline)}",
    ),
    (WorkItem.ProgressLogged | Finding.ProgressReported, lambda e: f"进度 {e.percent}%"),
    (WorkItem.Evaluated, lambda e: f"得分 {e.score}"),
    (Finding.PowerItemCited, lambda e: f"{e.number}. {e.name}"),
    (Commendation.Recorded, lambda e: f"{CommendationKind(e.kind).label}（{e.year}年度）"),
    (WorkItem.LeaderAssigned, lambda e: e.leader),
    (WorkItem.MilestoneSet, lambda e: f"节点{e.number} {e.title}，{cn_date(e.due_on)}前完成"),
    (WorkItem.MilestoneReached, lambda e: f"节点{e.number} 于{cn_date(e.reached_on)}完成"),
    (
        AccountabilityRuling.Proposed | AccountabilityRuling.Decided,
        lambda e: AccountabilityForm(e.form).label,
    ),
    (ToleranceRuling.Decided, lambda e: ToleranceOutcome(e.outcome).label),
    # To whom: a person's name, kept out of the lines.
    (Ruling.Served, lambda e: f"{cn_date(e.served_on)}送达"),
)


# Event class -> its name in Chinese and what its lines add to it (DETAILS), looked up once
# per class: a rebuild summarises every event.
SUMMARIES: dict[type, tuple[str, Callable[[Any], str] | None]] = {}


def summarise(event: Any) -> str:
    """A line in Chinese for the timeline; it never names a ruling's subject person."""
    cls = type(event)
    found = SUMMARIES.get(cls)
    if found is None:
        describes = (describe for kinds, describe in DETAILS if issubclass(cls, kinds))
        found = SUMMARIES[cls] = (event_label(cls.__qualname__), next(describes, None))
    label, describe = found
    detail = describe(event) if describe is not None else ""
    return f"{label}：{detail}" if detail else label


@dataclass
class Fill:
    """A batch of a fill, kept in Python: each aggregate's touched units (unit code ->
    aggregate type, as of the event at hand), which aggregates' touches it changed, and the
    history lines it made (the columns of `unit_history`, in order)."""

    touches: dict[UUID, dict[str, str]] = field(default_factory=dict)
    stored: set[UUID] = field(default_factory=set)  # aggregates with touches before it
    changed: set[UUID] = field(default_factory=set)
    lines: list[tuple[Any, ...]] = field(default_factory=list)

    def record(self, tracking: Tracking, event: Any, units: Iterable[tuple[str, str]]) -> None:
        """The event's line in each of `units` (unit code, aggregate type)."""
        position, at, name = tracking.notification_id, event.timestamp, type(event).__name__
        summary, actor = summarise(event), getattr(event, "actor", None)
        self.lines.extend(
            (position, unit, at, name, kind, event.originator_id, summary, actor)
            for unit, kind in units
        )


class UnitHistoryView(ReadModelView):
    projection_name = "unit_history"
    # 2: a service's line no longer names whom it was served to; 3: days in Chinese
    schema_version = 3
    tables: ClassVar[dict[str, str]] = {
        "unit_history": (
            "position bigint NOT NULL, unit_code text NOT NULL, "
            "recorded_at timestamptz NOT NULL, event_type text NOT NULL, "
            "aggregate_type text NOT NULL, aggregate_id uuid NOT NULL, summary text NOT NULL, "
            "actor jsonb, PRIMARY KEY (unit_code, position)"
        ),
        "unit_history_touches": (
            "aggregate_id uuid NOT NULL, "
            "unit_code text NOT NULL, aggregate_type text NOT NULL, "
            "PRIMARY KEY (aggregate_id, unit_code)"
        ),
    }

    copies_fill = True
    # While a batch of a fill is kept in Python (fill_batch): its touches and lines.
    _fill: Fill | None = None

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> Fill:
        """A batch of a fill starts from the units each of its aggregates touches (those
        of earlier batches); its touches and lines are then kept in Python."""
        fill = Fill()
        touches = self.declared(TOUCHES)
        for row in self.rows_of(conn, TOUCHES, touches, ids, key="aggregate_id"):
            touched = fill.touches.setdefault(row["aggregate_id"], {})
            touched[row["unit_code"]] = row["aggregate_type"]
        fill.stored = set(fill.touches)
        return fill

    def write_fill(self, conn: Connection[Any], fill: Fill) -> dict[str, int]:
        """The touches the batch changed, written anew (deleted first where they were
        stored), and its lines, each by one COPY."""
        self.delete_rows(conn, TOUCHES, fill.changed & fill.stored, key="aggregate_id")
        touches = [(i, u, k) for i in fill.changed for u, k in fill.touches[i].items()]
        self.copy_rows(conn, TOUCHES, self.declared(TOUCHES), touches)
        self.copy_rows(conn, HISTORY, self.declared(HISTORY), fill.lines)
        return {"touches": len(touches), "lines": len(fill.lines)}

    def first_event(self, tracking: Tracking, event: Any, kind: str, units: list[str]) -> None:
        """An aggregate's first event: remember its units, and record the event for each."""
        if (fill := self._fill) is not None:
            touched = fill.touches.setdefault(event.originator_id, {})
            fill.changed.add(event.originator_id)
            units = list(dict.fromkeys(units))
            for unit in units:
                touched.setdefault(unit, kind)
            fill.record(tracking, event, ((unit, kind) for unit in units))
            return
        self.write(
            tracking,
            ", touches AS (INSERT INTO {touches} (aggregate_id, unit_code, aggregate_type) "
            "SELECT %(id)s::uuid, u, %(kind)s::text FROM unnest(%(units)s::text[]) u "
            "WHERE {advanced} ON CONFLICT DO NOTHING) "
            "INSERT INTO {history} (position, unit_code, recorded_at, event_type, "
            "aggregate_type, aggregate_id, summary, actor) SELECT %(_position)s::bigint, u, "
            "%(at)s::timestamptz, %(type)s::text, %(kind)s::text, %(id)s::uuid, "
            "%(summary)s::text, %(actor)s::jsonb FROM unnest(%(units)s::text[]) u "
            "WHERE {advanced} ON CONFLICT DO NOTHING",
            self.params(event, kind, units),
            touches="unit_history_touches",
            history="unit_history",
        )

    def later_event(self, tracking: Tracking, event: Any) -> None:
        """Any later event: recorded for each unit its aggregate touches."""
        if (fill := self._fill) is not None:
            if touched := fill.touches.get(event.originator_id):
                fill.record(tracking, event, touched.items())
            return
        self.write(
            tracking,
            "INSERT INTO {history} (position, unit_code, recorded_at, event_type, "
            "aggregate_type, aggregate_id, summary, actor) SELECT %(_position)s::bigint, "
            "t.unit_code, %(at)s::timestamptz, %(type)s::text, t.aggregate_type, "
            "%(id)s::uuid, %(summary)s::text, %(actor)s::jsonb FROM {touches} t "
            "WHERE t.aggregate_id = %(id)s AND {advanced} ON CONFLICT DO NOTHING",
            self.params(event, "", []),
            touches="unit_history_touches",
            history="unit_history",
        )

    def moved(self, tracking: Tracking, event: Any, kind: str, old: str, new: str) -> None:
        """An aggregate passed from one unit to another (转办): the event in both units'
        histories; its later events in the new unit's only."""
        if (fill := self._fill) is not None:
            touched = fill.touches.setdefault(event.originator_id, {})
            touched.pop(old, None)
            touched.setdefault(new, kind)
            fill.changed.add(event.originator_id)
            fill.record(tracking, event, ((unit, kind) for unit in (old, new)))
            return
        self.write(
            tracking,
            ", gone AS (DELETE FROM {touches} WHERE aggregate_id = %(id)s "
            "AND unit_code = %(old)s AND {advanced}), "
            "touches AS (INSERT INTO {touches} (aggregate_id, unit_code, aggregate_type) "
            "SELECT %(id)s::uuid, %(new)s::text, %(kind)s::text WHERE {advanced} "
            "ON CONFLICT DO NOTHING) "
            "INSERT INTO {history} (position, unit_code, recorded_at, event_type, "
            "aggregate_type, aggregate_id, summary, actor) SELECT %(_position)s::bigint, u, "
            "%(at)s::timestamptz, %(type)s::text, %(kind)s::text, %(id)s::uuid, "
            "%(summary)s::text, %(actor)s::jsonb FROM unnest(%(units)s::text[]) u "
            "WHERE {advanced} ON CONFLICT DO NOTHING",
            self.params(event, kind, [old, new]) | {"old": old, "new": new},
            touches="unit_history_touches",
            history="unit_history",
        )

    @staticmethod
    def params(event: Any, kind: str, units: list[str]) -> dict[str, Any]:
        return {
            "id": event.originator_id,
            "kind": kind,
            "units": units,
            "at": event.timestamp,
            "type": type(event).__name__,
            "summary": summarise(event),
            "actor": Jsonb(getattr(event, "actor", None)),
        }

    def page(
        self,
        unit_codes: tuple[str, ...],
        limit: int,
        cursor: str | None,
        since: Mapping[str, datetime | None] | None = None,
    ) -> Page:
        """The units' lines, oldest first; with `since`, a unit's lines only from its moment
        on (a merged unit's from its merger's effective_on: those before stay its own)."""
        after = decode_cursor(cursor) if cursor else 0
        froms = [(since or {}).get(code) for code in unit_codes]
        # One index range scan per unit code (a unit and those merged into it), each
        # stopping after a page, then merged: however long the history, a page costs a
        # few index pages, not a sort of the whole history. An event that touched two of
        # the units (a work item's lead and co-unit, merged since) is one line: the first
        # unit's of `unit_codes` (the unit asked for before those merged into it).
        rows = self.fetch_all(
            SQL(
                "SELECT DISTINCT ON (h.position) h.* FROM unnest(%(units)s::text[], "
                "%(froms)s::timestamptz[]) WITH ORDINALITY AS u(code, since, rank) "
                "CROSS JOIN LATERAL "
                "(SELECT * FROM {} WHERE unit_code = u.code AND position > %(after)s "
                "AND (u.since IS NULL OR recorded_at >= u.since) "
                "ORDER BY position LIMIT %(n)s) h ORDER BY h.position, u.rank LIMIT %(n)s"
            ).format(self.table("unit_history")),
            {"units": list(unit_codes), "froms": froms, "after": after, "n": limit + 1},
        )
        items = [{c: r[c] for c in COLUMNS} for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(rows[limit - 1]["position"]) if more else None)


class UnitHistory(ReadModel[UnitHistoryView]):
    """Each aggregate's first event names the units it touches; every later one is a line in
    those units' histories. Accounts, inspection rounds and major decisions are not part of
    a unit's timeline."""

    name = "unit_history"
    ignores = (
        *other_aggregates(Unit, Finding, WorkItem, Ruling, Commendation),
        Ruling.PartnerDecided,  # the decision itself is on the line of the ruling decided
    )

    @handles(
        Unit.Renamed,
        Unit.Merged,
        Unit.Absorbed,
        Unit.Dissolved,
        Unit.Split,
        Unit.InternalUnitAdded,
        Unit.InternalUnitRemoved,
        *RECTIFICATION,
        Finding.Amended,
        Finding.Withdrawn,
        Finding.Reopened,
        Finding.PowerItemCited,
        WorkItem.ProgressLogged,
        WorkItem.Evaluated,
        WorkItem.Closed,
        WorkItem.Cancelled,
        WorkItem.LeaderAssigned,
        WorkItem.MilestoneSet,
        WorkItem.MilestoneReached,
        Commendation.Withdrawn,
        Ruling.Verified,
        AccountabilityRuling.StatementRecorded,
        AccountabilityRuling.Decided,
        ToleranceRuling.Decided,
        Ruling.Served,
        Ruling.Paired,
        AccountabilityRuling.Closed,
        Ruling.Appealed,
        AccountabilityRuling.AppealDecided,
        ToleranceRuling.AppealDecided,
        Ruling.Published,
    )
    def later(self, e: Any, tracking: Tracking) -> None:
        self.view.later_event(tracking, e)

    @handles(Finding.Reassigned)
    def finding_reassigned(self, e: Finding.Reassigned, tracking: Tracking) -> None:
        self.view.moved(tracking, e, "finding", e.from_unit, e.to_unit)

    @handles(WorkItem.LeadTransferred)
    def lead_transferred(self, e: WorkItem.LeadTransferred, tracking: Tracking) -> None:
        self.view.moved(tracking, e, "work_item", e.from_unit, e.to_unit)

    @handles(Unit.Registered)
    def unit_registered(self, e: Unit.Registered, tracking: Tracking) -> None:
        self.view.first_event(tracking, e, "unit", [e.code])

    @handles(Finding.Raised)
    def finding_raised(self, e: Finding.Raised, tracking: Tracking) -> None:
        self.view.first_event(tracking, e, "finding", [e.unit_code])

    @handles(Commendation.Recorded)
    def commendation_recorded(self, e: Commendation.Recorded, tracking: Tracking) -> None:
        self.view.first_event(tracking, e, "commendation", [e.unit_code])

    @handles(WorkItem.Listed)
    def work_item_listed(self, e: WorkItem.Listed, tracking: Tracking) -> None:
        self.view.first_event(tracking, e, "work_item", [e.lead_unit, *e.co_units])

    @handles(AccountabilityRuling.Proposed)
    def accountability_proposed(self, e: AccountabilityRuling.Proposed, tracking: Tracking) -> None:
        self.view.first_event(tracking, e, "ruling", [e.subject["unit_code"]])

    @handles(ToleranceRuling.Applied)
    def tolerance_applied(self, e: ToleranceRuling.Applied, tracking: Tracking) -> None:
        self.view.first_event(tracking, e, "ruling", [e.subject["unit_code"]])
