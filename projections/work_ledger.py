"""Work ledger (执行台账): every key-work item with its progress entries and evaluation."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any, LiteralString
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.sql import SQL, Composed, Literal
from psycopg.types.json import Jsonb

from domain import clock
from domain.vocabulary import WorkItemStatus
from domain.work_items import WorkItem, item_colour
from projections.base import (
    AggregateTable,
    AggregateView,
    Params,
    ReadModel,
    RowsFill,
    column_types,
    handles,
    other_aggregates,
    stamped,
)
from projections.finding_board import due_by_of
from projections.paging import Page, where_equal

ITEMS = AggregateTable(
    "work_ledger",
    "title text NOT NULL, year int NOT NULL, lead_unit text NOT NULL, "
    "co_units text[] NOT NULL, due_on date NOT NULL, source_ref text, description text, "
    "status text NOT NULL, percent int NOT NULL DEFAULT 0, "
    "progress_count int NOT NULL DEFAULT 0, score int, grade text, evaluation_comment text, "
    "closing_reason text, leader text, milestones jsonb NOT NULL DEFAULT '[]'",
    first="listed",
    copied="title year lead_unit co_units due_on source_ref description",
    indexes={"year": "(year, listed_position)", "units": "USING gin ((co_units || lead_unit))"},
)


OPEN_STATUSES = [WorkItemStatus.LISTED.value, WorkItemStatus.IN_PROGRESS.value]


@dataclass(frozen=True)
class LedgerFilter:
    year: int | None = None
    unit_codes: tuple[str, ...] = ()
    status: str | None = None
    overdue: bool | None = None  # open after its due date, as of `today`
    today: date | None = None


COUNTS = "work_counts"
# Scorecards: per unit and year, the items it leads or co-owns and the sum and number of
# the scores of those it leads, kept in the statement that lists or evaluates an item.
COUNTS_DEFINITION = (
    "unit_code text NOT NULL, year int NOT NULL, items int NOT NULL, scored int NOT NULL, "
    "score_sum bigint NOT NULL, PRIMARY KEY (unit_code, year)"
)
PROGRESS = "work_ledger_progress"
PROGRESS_DEFINITION = (
    "item_id uuid NOT NULL, position bigint NOT NULL, note text NOT NULL, percent int NOT NULL, "
    "actor_name text NOT NULL, recorded_at timestamptz NOT NULL, PRIMARY KEY (item_id, position)"
)
COUNT_COLUMNS, PROGRESS_COLUMNS = column_types(COUNTS_DEFINITION), column_types(PROGRESS_DEFINITION)


@dataclass
class LedgerFill(RowsFill):
    """A batch of a fill, kept in Python (WorkLedgerView.fill_batch): the rows of its items
    (RowsFill), the progress entries it adds, and every unit's counts (a few rows a unit and
    year, read whole) as its statements would leave them."""

    counts: RowsFill = field(default_factory=lambda: RowsFill({}, set()))
    progress: list[tuple[Any, ...]] = field(default_factory=list)


def count_key(row: Any) -> tuple[str, int]:
    return row["unit_code"], row["year"]


class WorkLedgerView(AggregateView):
    rows = ITEMS
    # 2: the responsible leader and the milestones (issue 18); 3: the counts move with an
    # item whose lead passes to another unit (分设); 4: a cancelled item counts for no unit.
    schema_version = 4
    _fill: LedgerFill | None = None

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> LedgerFill:
        """The rows the batch's items had, and every count."""
        items = super().start_fill(conn, ids)
        counts = RowsFill.of(self.rows_of(conn, COUNTS, COUNT_COLUMNS, None), count_key)
        return LedgerFill(items.rows, items.stored, counts=counts)

    def write_fill(self, conn: Connection[Any], fill: LedgerFill) -> dict[str, int]:
        """The items' rows and the progress entries copied; each count changed, set."""
        written = super().write_fill(conn, fill)
        self.copy_rows(conn, PROGRESS, PROGRESS_COLUMNS, fill.progress)
        changed = fill.counts.changed
        counts = [tuple(fill.counts.rows[key][c] for c in COUNT_COLUMNS) for key in changed]
        if counts:
            with conn.cursor() as cursor:
                cursor.executemany(self.set_count, counts)
        return {**written, "progress": len(fill.progress), "counts": len(counts)}

    @cached_property
    def set_count(self) -> Composed:
        """One unit's count of a year, as a fill leaves it."""
        return SQL(
            "INSERT INTO {} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (unit_code, year) "
            "DO UPDATE SET items = EXCLUDED.items, scored = EXCLUDED.scored, "
            "score_sum = EXCLUDED.score_sum"
        ).format(self.table(COUNTS))

    def open_led(self, unit_codes: Sequence[str]) -> list[UUID]:
        """The open items the units lead (a split unit's to transfer)."""
        rows = self.fetch_all(
            SQL(
                "SELECT id FROM {} WHERE lead_unit = ANY(%s) AND status = ANY(%s) ORDER BY id"
            ).format(self.table(ITEMS.name)),
            (list(unit_codes), OPEN_STATUSES),
        )
        return [UUID(str(r["id"])) for r in rows]

    def table_statements(self) -> list[Composed]:
        items = self.table(ITEMS.name)
        return [
            *self.define(ITEMS),
            self.define_table(COUNTS, COUNTS_DEFINITION),
            # A ledger made before the counts: count what it holds, once.
            SQL(
                "INSERT INTO {counts} SELECT m.unit_code, w.year, count(*), "
                "count(w.score) FILTER (WHERE m.unit_code = w.lead_unit), "
                "coalesce(sum(w.score) FILTER (WHERE m.unit_code = w.lead_unit), 0) "
                "FROM {items} w CROSS JOIN LATERAL (SELECT DISTINCT u FROM "
                "unnest(w.co_units || w.lead_unit) AS u) AS m(unit_code) "
                "WHERE w.status <> {cancelled} "
                "GROUP BY 1, 2 HAVING NOT EXISTS (SELECT FROM {counts})"
            ).format(
                counts=self.table(COUNTS),
                items=items,
                cancelled=Literal(WorkItemStatus.CANCELLED.value),
            ),
            self.define_table(PROGRESS, PROGRESS_DEFINITION),
        ]

    def list_item(self, tracking: Tracking, row: dict[str, Any]) -> None:
        """The item's row, and one more item for each of its units (each once)."""
        if (fill := self._fill) is not None:
            if fill.insert(row["id"], row, ITEMS.defaults):
                self.count_item(fill.counts, fill.rows[row["id"]], 1)
            return

        def build() -> Composed:
            insert = self.insert_statement(ITEMS.name, row, ITEMS.types, "(id) DO NOTHING", {})
            return SQL(
                ", ins AS ({insert} RETURNING year, lead_unit, co_units) "
                "INSERT INTO {counts} (unit_code, year, items, scored, score_sum) "
                "SELECT DISTINCT m.unit_code, ins.year, 1, 0, 0 FROM ins "
                "CROSS JOIN LATERAL unnest(ins.co_units || ins.lead_unit) AS m(unit_code) "
                "ON CONFLICT (unit_code, year) DO UPDATE SET items = {counts}.items + 1"
            ).format(insert=insert, counts=self.table(COUNTS))

        self.apply(tracking, build, row, key="listed-counted")

    def evaluate(self, tracking: Tracking, changes: dict[str, Any], item_id: Any) -> None:
        """Set the evaluation, and move the lead unit's score sum and count by the change
        from the score the item had (none, or an earlier one) to the new one."""
        if (fill := self._fill) is not None:
            before = fill.update(item_id, changes)
            if before is not None:
                after = fill.rows[item_id]
                lead = (after["lead_unit"], after["year"])
                counted = fill.counts.rows.get(lead)  # as an UPDATE of its row, if there is one
                if counted is not None:
                    old, new = before["score"], after["score"]
                    scored = counted["scored"] + (new is not None) - (old is not None)
                    score_sum = counted["score_sum"] + (new or 0) - (old or 0)
                    fill.counts.update(lead, {"scored": scored, "score_sum": score_sum})
            return

        rescored = (
            ", old AS (SELECT score FROM {items} WHERE id = %(_id)s), "
            "upd AS ({update} RETURNING lead_unit, year, score) "
            "UPDATE {counts} c SET "
            "scored = c.scored + (upd.score IS NOT NULL)::int - (old.score IS NOT NULL)::int, "
            "score_sum = c.score_sum + coalesce(upd.score, 0) - coalesce(old.score, 0) "
            "FROM old, upd WHERE c.unit_code = upd.lead_unit AND c.year = upd.year"
        )
        self.update_counted(tracking, item_id, changes, rescored, ("evaluated-counted", *changes))

    def transfer_lead(self, tracking: Tracking, e: WorkItem.LeadTransferred) -> None:
        """The item's new lead and co-units, and its counts moved with it: one item less for
        each unit it was listed with before and one more for each it is now, and its score
        (if evaluated) from the lead before to the lead now. A count left at zero stays, as
        zero (scorecards add it to nothing)."""
        changes = stamped(e, {"lead_unit": e.to_unit, "co_units": list(e.co_units)})
        if (fill := self._fill) is not None:
            before = fill.update(e.originator_id, changes)
            if before is not None:
                self.count_item(fill.counts, before, -1)
                self.count_item(fill.counts, fill.rows[e.originator_id], 1)
            return

        moved = (
            ", old AS (SELECT lead_unit, co_units, year, score FROM {items} WHERE id = %(_id)s), "
            "upd AS ({update} RETURNING lead_unit, co_units, year, score), "
            "sides AS (SELECT -1 AS sign, o.* FROM old o, upd "
            "UNION ALL SELECT 1, upd.* FROM upd), "
            "moves AS (SELECT DISTINCT s.sign, m.unit_code, s.year, s.lead_unit, s.score "
            "FROM sides s CROSS JOIN LATERAL unnest(s.co_units || s.lead_unit) AS m(unit_code)) "
            "INSERT INTO {counts} (unit_code, year, items, scored, score_sum) "
            "SELECT unit_code, year, sum(sign), "
            "sum(sign * (unit_code = lead_unit AND score IS NOT NULL)::int), "
            "sum(sign * CASE WHEN unit_code = lead_unit THEN coalesce(score, 0) ELSE 0 END) "
            "FROM moves GROUP BY 1, 2 "
            "ON CONFLICT (unit_code, year) DO UPDATE SET "
            "items = {counts}.items + EXCLUDED.items, "
            "scored = {counts}.scored + EXCLUDED.scored, "
            "score_sum = {counts}.score_sum + EXCLUDED.score_sum"
        )
        self.update_counted(tracking, e.originator_id, changes, moved, "transferred-counted")

    def cancel(self, tracking: Tracking, e: WorkItem.Cancelled) -> None:
        """The item cancelled (已取消), and one item less for each unit it was listed with: a
        task dropped from the list is no longer a unit's work. It was open, so it had no
        score to take back."""
        changes = stamped(e, {"status": WorkItemStatus.CANCELLED.value, "closing_reason": e.reason})
        if (fill := self._fill) is not None:
            before = fill.update(e.originator_id, changes)
            if before is not None:
                self.count_item(fill.counts, before, -1)
            return

        dropped = (
            ", upd AS ({update} RETURNING lead_unit, co_units, year) "
            "UPDATE {counts} c SET items = c.items - 1 FROM (SELECT DISTINCT m.unit_code, "
            "upd.year FROM upd CROSS JOIN LATERAL unnest(upd.co_units || upd.lead_unit) "
            "AS m(unit_code)) u WHERE c.unit_code = u.unit_code AND c.year = u.year"
        )
        self.update_counted(tracking, e.originator_id, changes, dropped, "cancelled-counted")

    def update_counted(
        self,
        tracking: Tracking,
        item_id: Any,
        changes: Params,
        counted: LiteralString,
        key: Hashable,
    ) -> None:
        """The item's row updated (guarded, as update_row does) and its counts moved, in one
        statement: `counted` names the UPDATE `{update}`, the ledger `{items}` and the counts
        `{counts}`, and moves the counts by what the update RETURNING gives."""

        def build() -> Composed:
            update = self.update_statement(ITEMS.name, changes, (), {}, {})
            items, counts = self.table(ITEMS.name), self.table(COUNTS)
            return SQL(counted).format(update=update, items=items, counts=counts)

        self.apply(tracking, build, {**changes, "_id": item_id}, key=key)

    @staticmethod
    def count_item(counts: RowsFill, item: dict[str, Any], sign: int) -> None:
        """A fill's counts moved by one `item` (`sign` 1 or -1) in each of its units (each
        once), as an upsert adds: its score counts for its lead unit only."""
        for unit in dict.fromkeys([*item["co_units"], item["lead_unit"]]):
            leads = unit == item["lead_unit"]
            scored = int(leads and item["score"] is not None)
            score = (item["score"] or 0) if leads else 0
            delta = {"items": sign, "scored": sign * scored, "score_sum": sign * score}
            key = (unit, item["year"])
            counted = counts.rows.get(key)
            if counted is None:
                counts.insert(key, {"unit_code": unit, "year": item["year"], **delta}, {})
            else:
                counts.update(key, {c: counted[c] + d for c, d in delta.items()})

    def log_progress(self, tracking: Tracking, e: WorkItem.ProgressLogged) -> None:
        """The entry and the item's new state, in the one guarded statement."""

        params = {
            "_id": e.originator_id,
            "note": e.note,
            "percent": e.percent,
            "actor": str(e.actor.get("name", "")),
            "at": e.timestamp,
            "status": WorkItemStatus.IN_PROGRESS.value,
            "version": e.originator_version,
        }
        if (fill := self._fill) is not None:  # the entry whether or not the item is there
            entry = {"item_id": e.originator_id, "position": tracking.notification_id,
                     "note": e.note, "percent": e.percent, "actor_name": params["actor"],
                     "recorded_at": e.timestamp}  # fmt: skip
            fill.progress.append(tuple(entry[c] for c in PROGRESS_COLUMNS))
            changes = {"status": params["status"], "percent": e.percent}
            fill.update(e.originator_id, stamped(e, changes), increments=("progress_count",))
            return
        self.write(
            tracking,
            ", entry AS (INSERT INTO {progress} (item_id, position, note, percent, "
            "actor_name, recorded_at) SELECT %(_id)s::uuid, %(_position)s::bigint, "
            "%(note)s::text, %(percent)s::int, %(actor)s::text, %(at)s::timestamptz "
            "WHERE {advanced} ON CONFLICT DO NOTHING) "
            "UPDATE {items} SET status = %(status)s, percent = %(percent)s, "
            "progress_count = progress_count + 1, version = %(version)s, "
            "updated_at = %(at)s WHERE id = %(_id)s AND {advanced}",
            params,
            progress=PROGRESS,
            items=ITEMS.name,
        )

    def set_milestone(self, tracking: Tracking, e: WorkItem.MilestoneSet) -> None:
        """The milestone appended to the item's, as the aggregate keeps them."""
        milestone = {
            "number": e.number,
            "title": e.title,
            "due_on": e.due_on.isoformat(),
            "leader": e.leader,
            "reached_on": None,
            "note": None,
        }
        if (fill := self._fill) is not None:
            fill.update(e.originator_id, stamped(e, {}), appends={"milestones": milestone})
            return
        self.milestones(
            tracking, e, "milestones || %(milestone)s::jsonb", milestone=Jsonb([milestone])
        )

    def reach_milestone(self, tracking: Tracking, e: WorkItem.MilestoneReached) -> None:
        """The milestone's day reached and note, set in place."""
        reached = {"reached_on": e.reached_on.isoformat(), "note": e.note}
        if (fill := self._fill) is not None:
            item = fill.rows.get(e.originator_id)
            if item is not None:
                milestones = list(item["milestones"])
                index = e.number - 1
                if not 0 <= index < len(milestones):  # its statement fails (NOT NULL) too
                    raise ValueError(f"work item {e.originator_id} has no milestone {e.number}")
                milestones[index] = {**milestones[index], **reached}
                fill.update(e.originator_id, stamped(e, {"milestones": milestones}))
            return
        self.milestones(
            tracking,
            e,
            "jsonb_set(milestones, %(path)s::text[], "
            "milestones -> %(index)s::int || %(reached)s::jsonb)",
            path=[str(e.number - 1)],
            index=e.number - 1,
            reached=Jsonb(reached),
        )

    def milestones(self, tracking: Tracking, e: Any, new: str, **values: Any) -> None:
        """Set the item's milestones to `new` (SQL over the row's and `values`)."""
        self.write(
            tracking,
            "UPDATE {items} SET milestones = " + new + ", version = %(version)s, "
            "updated_at = %(at)s WHERE id = %(_id)s AND {advanced}",
            {**values, "_id": e.originator_id, "version": e.originator_version, "at": e.timestamp},
            items=ITEMS.name,
        )

    def page(self, f: LedgerFilter, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("year", "status"))
        if f.unit_codes:
            where.append(SQL("(co_units || lead_unit) && %(units)s::text[]"))
            params["units"] = list(f.unit_codes)
        today = f.today or clock.today()
        if f.overdue is not None:
            late = SQL("(status = ANY(%(open)s) AND due_on < %(not_late)s)")
            where.append(late if f.overdue else SQL("NOT ") + late)
            params |= {"open": OPEN_STATUSES, "not_late": first_not_late(today)}
        return self.keyset_page(
            ITEMS.name,
            where,
            params,
            "listed_position",
            limit,
            cursor,
            item=lambda row: ledger_item(row, today),
        )

    def completion(self, unit_codes: list[str], year: int) -> float | None:
        """台账完成度: the mean share done (0–100) of the year's work items these units lead,
        the cancelled left out; none when they lead none."""
        rows = self.fetch_all(
            SQL(
                "SELECT avg(percent)::float8 AS done FROM {} "
                "WHERE lead_unit = ANY(%s) AND year = %s AND status <> %s"
            ).format(self.table(ITEMS.name)),
            (unit_codes, year, WorkItemStatus.CANCELLED.value),
        )
        done = rows[0]["done"] if rows else None
        return None if done is None else float(done)

    def progress_of(self, item_ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
        rows = self.fetch_all(
            SQL("SELECT * FROM {} WHERE item_id = ANY(%s) ORDER BY position").format(
                self.table(PROGRESS)
            ),
            (item_ids,),
        )
        entries: dict[Any, list[dict[str, Any]]] = {}
        for r in rows:
            entries.setdefault(r["item_id"], []).append(
                {
                    "note": r["note"],
                    "percent": r["percent"],
                    "actor_name": r["actor_name"],
                    "recorded_at": r["recorded_at"],
                }
            )
        return entries


ONE_DAY = timedelta(days=1)


def first_not_late(today: date) -> date:
    """The earliest due date an open item is not overdue with on `today`: an item is overdue
    after the day its due date runs to (`due_by_of`: one on a day off runs to the next
    working day), so those due on the days off just before today are not late yet."""
    day = today
    while (due_by_of(day - ONE_DAY) or day - ONE_DAY) >= today:
        day -= ONE_DAY
    return day


def ledger_colour(row: Any, today: date) -> str | None:
    """`WorkItem.deadline_colour` from the ledger's row (its milestones' dates as stored)."""
    if row["status"] not in OPEN_STATUSES:
        return None
    milestones = [{**m, "due_on": date.fromisoformat(m["due_on"])} for m in row["milestones"]]
    listed_on = clock.business_day(row["listed_at"])
    return item_colour(today, row["due_on"], listed_on, row["percent"], milestones, due_by_of)


def ledger_item(row: Any, today: date) -> dict[str, Any]:
    item = {k: v for k, v in row.items() if k not in ("listed_position",)}
    item["overdue"] = row["status"] in OPEN_STATUSES and row["due_on"] < first_not_late(today)
    item["deadline_colour"] = ledger_colour(row, today)
    item["evaluation"] = (
        {"score": row["score"], "grade": row["grade"], "comment": row["evaluation_comment"]}
        if row["score"] is not None
        else None
    )
    return item


class WorkLedger(ReadModel[WorkLedgerView]):
    """One row per work item, one per progress entry."""

    name = "work_ledger"
    ignores = other_aggregates(WorkItem)

    @handles(WorkItem.Listed)
    def listed(self, e: WorkItem.Listed, tracking: Tracking) -> None:
        row = ITEMS.first_row(e, tracking, status=WorkItemStatus.LISTED.value)
        self.view.list_item(tracking, row)

    @handles(WorkItem.ProgressLogged)
    def progress_logged(self, e: WorkItem.ProgressLogged, tracking: Tracking) -> None:
        self.view.log_progress(tracking, e)

    @handles(WorkItem.Evaluated)
    def evaluated(self, e: WorkItem.Evaluated, tracking: Tracking) -> None:
        evaluation = {
            "status": WorkItemStatus.EVALUATED.value,
            "score": e.score,
            "grade": e.grade,
            "evaluation_comment": e.comment,
        }
        self.view.evaluate(tracking, stamped(e, evaluation), e.originator_id)

    @handles(WorkItem.LeadTransferred)
    def lead_transferred(self, e: WorkItem.LeadTransferred, tracking: Tracking) -> None:
        self.view.transfer_lead(tracking, e)

    @handles(WorkItem.LeaderAssigned)
    def leader_assigned(self, e: WorkItem.LeaderAssigned, tracking: Tracking) -> None:
        self.view.update(tracking, e, leader=e.leader)

    @handles(WorkItem.MilestoneSet)
    def milestone_set(self, e: WorkItem.MilestoneSet, tracking: Tracking) -> None:
        self.view.set_milestone(tracking, e)

    @handles(WorkItem.MilestoneReached)
    def milestone_reached(self, e: WorkItem.MilestoneReached, tracking: Tracking) -> None:
        self.view.reach_milestone(tracking, e)

    @handles(WorkItem.Closed)
    def closed(self, e: WorkItem.Closed, tracking: Tracking) -> None:
        self.view.update(tracking, e, status=WorkItemStatus.CLOSED.value, closing_reason=e.reason)

    @handles(WorkItem.Cancelled)
    def cancelled(self, e: WorkItem.Cancelled, tracking: Tracking) -> None:
        self.view.cancel(tracking, e)
