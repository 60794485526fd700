"""Work ledger (执行台账): every key-work item with its progress entries and evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Composed
from psycopg.types.json import Jsonb

from domain import clock
from domain.vocabulary import WorkItemStatus
from domain.work_items import WorkItem, item_colour
from projections.base import (
    AggregateTable,
    AggregateView,
    ReadModel,
    handles,
    other_aggregates,
    stamped,
)
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


class WorkLedgerView(AggregateView):
    rows = ITEMS
    schema_version = 2  # 2: the responsible leader and the milestones (issue 18)

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
            # Scorecards: per unit and year, the items it leads or co-owns and the sum and
            # number of the scores of those it leads, kept in the statement that lists or
            # evaluates an item.
            self.define_table(
                COUNTS,
                "unit_code text NOT NULL, year int NOT NULL, "
                "items int NOT NULL, scored int NOT NULL, score_sum bigint NOT NULL, "
                "PRIMARY KEY (unit_code, year)",
            ),
            # A ledger made before the counts: count what it holds, once.
            SQL(
                "INSERT INTO {counts} SELECT m.unit_code, w.year, count(*), "
                "count(w.score) FILTER (WHERE m.unit_code = w.lead_unit), "
                "coalesce(sum(w.score) FILTER (WHERE m.unit_code = w.lead_unit), 0) "
                "FROM {items} w CROSS JOIN LATERAL (SELECT DISTINCT u FROM "
                "unnest(w.co_units || w.lead_unit) AS u) AS m(unit_code) "
                "GROUP BY 1, 2 HAVING NOT EXISTS (SELECT FROM {counts})"
            ).format(counts=self.table(COUNTS), items=items),
            self.define_table(
                "work_ledger_progress",
                "item_id uuid NOT NULL, position bigint NOT NULL, "
                "note text NOT NULL, percent int NOT NULL, actor_name text NOT NULL, "
                "recorded_at timestamptz NOT NULL, PRIMARY KEY (item_id, position)",
            ),
        ]

    def list_item(self, tracking: Tracking, row: dict[str, Any]) -> None:
        """The item's row, and one more item for each of its units (each once)."""

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

        def build() -> Composed:
            update = self.update_statement(ITEMS.name, changes, (), {}, {})
            return SQL(
                ", old AS (SELECT score FROM {items} WHERE id = %(_id)s), "
                "upd AS ({update} RETURNING lead_unit, year, score) "
                "UPDATE {counts} c SET "
                "scored = c.scored + (upd.score IS NOT NULL)::int - (old.score IS NOT NULL)::int, "
                "score_sum = c.score_sum + coalesce(upd.score, 0) - coalesce(old.score, 0) "
                "FROM old, upd WHERE c.unit_code = upd.lead_unit AND c.year = upd.year"
            ).format(items=self.table(ITEMS.name), update=update, counts=self.table(COUNTS))

        key = ("evaluated-counted", *changes)
        self.apply(tracking, build, {**changes, "_id": item_id}, key=key)

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
            progress="work_ledger_progress",
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
        self.milestones(
            tracking, e, "milestones || %(milestone)s::jsonb", milestone=Jsonb([milestone])
        )

    def reach_milestone(self, tracking: Tracking, e: WorkItem.MilestoneReached) -> None:
        """The milestone's day reached and note, set in place."""
        self.milestones(
            tracking,
            e,
            "jsonb_set(milestones, %(path)s::text[], "
            "milestones -> %(index)s::int || %(reached)s::jsonb)",
            path=[str(e.number - 1)],
            index=e.number - 1,
            reached=Jsonb({"reached_on": e.reached_on.isoformat(), "note": e.note}),
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
            late = SQL("(status = ANY(%(open)s) AND due_on < %(today)s)")
            where.append(late if f.overdue else SQL("NOT ") + late)
            params |= {"open": OPEN_STATUSES, "today": today}
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
                self.table("work_ledger_progress")
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


def ledger_colour(row: Any, today: date) -> str | None:
    """`WorkItem.deadline_colour` from the ledger's row (its milestones' dates as stored)."""
    if row["status"] not in OPEN_STATUSES:
        return None
    milestones = [{**m, "due_on": date.fromisoformat(m["due_on"])} for m in row["milestones"]]
    listed_on = clock.business_day(row["listed_at"])
    return item_colour(today, row["due_on"], listed_on, row["percent"], milestones)


def ledger_item(row: Any, today: date) -> dict[str, Any]:
    item = {k: v for k, v in row.items() if k not in ("listed_position",)}
    item["overdue"] = row["status"] in OPEN_STATUSES and row["due_on"] < today
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
        self.view.update(tracking, e, lead_unit=e.to_unit, co_units=list(e.co_units))

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
        self.view.update(
            tracking, e, status=WorkItemStatus.CANCELLED.value, closing_reason=e.reason
        )
