"""Unit scorecard (单位考评卡): per unit and year, findings raised / closed / open / overdue /
withdrawn, the on-time rate (by the first deadline and the day the unit reported:
docs/scorecards.md), the extensions, returns (审核退回) and reopenings, rulings by form and
outcome, and the work items with their mean score.

Not a projection of its own: it answers by SQL over the finding board, rulings, work ledger
and directory tables, so it is always exactly as current as they are. One statement reads all
of them, so the answer is one consistent snapshot and one round trip however many units it
covers. A unit's records are those of the unit codes grouped under it (itself and the units
merged into it, 机构改革).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from datetime import date
from typing import Any

from psycopg.sql import SQL, Composed, Identifier, Literal

from domain.vocabulary import FindingStatus, RulingKind, RulingStatus, UnitStatus, WorkItemStatus
from projections.base import APPLICATION_NAME, ReadModelView
from projections.directory import DirectoryView
from projections.finding_board import FindingBoardView
from projections.rulings import RulingsView
from projections.work_ledger import WorkLedgerView

KEPT_ANSWERS = 64
OPEN_STATUSES = (FindingStatus.RAISED, FindingStatus.RECTIFYING, FindingStatus.REPORTED)
# A ruling counts once it is decided and as long as that decision stands.
COUNTED_RULINGS = (
    RulingStatus.DECIDED,
    RulingStatus.APPEALED,
    RulingStatus.APPEAL_DECIDED,
    RulingStatus.PUBLISHED,
)

# `grp`: one row per (unit, code whose records count for it); `units`: the unit with the
# array of its codes. Each table is aggregated per unit in its own CTE and left-joined, so
# a unit without records still gets its row (zeros, empty maps, nulls).
SCORECARD_SQL = """
WITH grp AS (
    SELECT DISTINCT g.code, g.member
    FROM unnest(%(codes)s::text[], %(members)s::text[]) AS g(code, member)
),
units AS (
    SELECT code, array_agg(member) AS members FROM grp GROUP BY code
),
findings AS (
    SELECT grp.code,
        sum(c.n) AS raised,
        sum(c.n) FILTER (WHERE c.status = %(closed)s) AS closed,
        sum(c.n) FILTER (WHERE c.status = ANY(%(open)s)) AS open,
        sum(c.n) FILTER (WHERE c.status = %(rectifying)s) AS rectifying,
        sum(c.n) FILTER (WHERE c.status = %(withdrawn)s) AS withdrawn,
        sum(c.n) FILTER (WHERE c.status = %(closed)s AND c.on_time >= 0) AS due,
        sum(c.n) FILTER (WHERE c.status = %(closed)s AND c.on_time = 1) AS on_time
    FROM grp JOIN {counts} c ON c.unit_code = grp.member
    WHERE c.year = %(year)s
    GROUP BY grp.code
),
not_due AS (
    -- overdue = rectifying − rectifying not yet past its deadline on the day asked; the
    -- latter are the few with deadlines ahead, found on the board by its index
    SELECT grp.code, sum(b.n)::bigint AS n
    FROM grp JOIN (
        SELECT unit_code, count(*) AS n FROM (
            -- two index ranges (an OR of the two would read the whole year's entries)
            SELECT unit_code FROM {board} WHERE status = %(rectifying)s
                AND coalesce(due_by, deadline) >= %(today)s
                AND found_on >= %(year_start)s AND found_on < %(year_end)s
            UNION ALL
            SELECT unit_code FROM {board} WHERE status = %(rectifying)s
                AND coalesce(due_by, deadline) IS NULL
                AND found_on >= %(year_start)s AND found_on < %(year_end)s
        ) ahead
        GROUP BY unit_code
    ) b ON b.unit_code = grp.member
    GROUP BY grp.code
),
steps AS (
    SELECT grp.code, sum(s.extensions) AS extensions, sum(s.returns) AS returns,
        sum(s.reopenings) AS reopenings
    FROM grp JOIN {steps} s ON s.unit_code = grp.member
    WHERE s.year = %(year)s
    GROUP BY grp.code
),
ruling_counts AS (
    SELECT code, kind, jsonb_object_agg(key, n) AS counts
    FROM (
        SELECT grp.code, r.kind,
            CASE WHEN r.kind = %(accountability)s THEN r.form ELSE r.outcome END AS key,
            count(*) AS n
        FROM grp JOIN {rulings} r ON r.unit_code = grp.member
        WHERE r.decided_on >= %(year_start)s AND r.decided_on < %(year_end)s
            AND r.status = ANY(%(counted)s)
        GROUP BY 1, 2, 3
    ) decided
    WHERE key IS NOT NULL
    GROUP BY code, kind
),
work AS (
    SELECT grp.code, sum(c.items) AS items,
        sum(c.score_sum)::float8 / nullif(sum(c.scored), 0) AS mean_score
    FROM grp JOIN {work_counts} c ON c.unit_code = grp.member
    WHERE c.year = %(year)s
    GROUP BY grp.code
),
merged_work AS (
    -- a unit with merged codes counts an item two of its codes share once, so its items
    -- are counted on the ledger itself (few units, each by the index on the item's units);
    -- a cancelled item counts for no unit, as in the counts
    SELECT units.code, count(DISTINCT w.id) AS items
    FROM units JOIN {ledger} w ON (w.co_units || w.lead_unit) && units.members
    WHERE cardinality(units.members) > 1 AND w.year = %(year)s
        AND w.status <> %(cancelled)s
    GROUP BY units.code
)
SELECT units.code,
    d.name,
    coalesce(findings.raised, 0) AS findings_raised,
    coalesce(findings.closed, 0) AS findings_closed,
    coalesce(findings.open, 0) AS findings_open,
    coalesce(findings.rectifying, 0) - coalesce(not_due.n, 0) AS findings_overdue,
    coalesce(findings.withdrawn, 0) AS findings_withdrawn,
    coalesce(findings.on_time, 0)::float8 / nullif(findings.due, 0) AS on_time_rate,
    coalesce(steps.extensions, 0) AS extensions,
    coalesce(steps.returns, 0) AS returns,
    coalesce(steps.reopenings, 0) AS reopenings,
    coalesce(acc.counts, '{{}}'::jsonb) AS accountability_by_form,
    coalesce(tol.counts, '{{}}'::jsonb) AS tolerance_by_outcome,
    coalesce(merged_work.items, work.items, 0) AS work_items,
    work.mean_score AS mean_work_item_score
FROM units
LEFT JOIN {directory} d ON d.code = units.code
LEFT JOIN findings ON findings.code = units.code
LEFT JOIN not_due ON not_due.code = units.code
LEFT JOIN steps ON steps.code = units.code
LEFT JOIN ruling_counts acc ON acc.code = units.code AND acc.kind = %(accountability)s
LEFT JOIN ruling_counts tol ON tol.code = units.code AND tol.kind = %(fault_tolerance)s
LEFT JOIN work ON work.code = units.code
LEFT JOIN merged_work ON merged_work.code = units.code
"""


# The units a year's scorecards list, each with the codes whose records count for it (see
# `Scorecards.lineages`). A unit dissolved or split (分设) keeps the records nobody took over
# (a split hands on only its open ones), whatever their dates: dated after the unit ended
# (entered late, or an item of a later year), they keep it a row in their year too, as the
# tables the scorecard counts hold them.
LINEAGES_SQL = """
WITH RECURSIVE tree(root, code) AS (
    SELECT code, code FROM {directory}
    WHERE status = %(active)s
        OR (%(year)s::int IS NOT NULL AND status = %(merged)s
            AND extract(year FROM merged_on) > %(year)s::int)
        OR (%(year)s::int IS NOT NULL AND status = %(dissolved)s)
    UNION
    SELECT t.root, u.code FROM {directory} u JOIN tree t ON u.successor_code = t.code
    WHERE %(year)s::int IS NULL OR extract(year FROM u.merged_on) <= %(year)s::int
),
grp AS (
    SELECT root, array_agg(code ORDER BY code) AS members FROM tree GROUP BY root
)
SELECT grp.root, grp.members
FROM grp JOIN {directory} d ON d.code = grp.root
WHERE d.status <> %(dissolved)s OR extract(year FROM d.ended_on) >= %(year)s::int
    OR EXISTS (SELECT FROM {counts} c
        WHERE c.unit_code = ANY(grp.members) AND c.year = %(year)s::int AND c.n > 0)
    OR EXISTS (SELECT FROM {steps} s
        WHERE s.unit_code = ANY(grp.members) AND s.year = %(year)s::int
            AND (s.extensions > 0 OR s.returns > 0 OR s.reopenings > 0))
    OR EXISTS (SELECT FROM {work_counts} w
        WHERE w.unit_code = ANY(grp.members) AND w.year = %(year)s::int AND w.items > 0)
    OR EXISTS (SELECT FROM {rulings} r
        WHERE r.unit_code = ANY(grp.members) AND r.status = ANY(%(counted)s)
            AND extract(year FROM r.decided_on) = %(year)s::int)
ORDER BY grp.root
"""


class Scorecards:
    """The unit scorecard, read straight from the read-model tables it summarises."""

    def __init__(
        self,
        board: FindingBoardView,
        rulings: RulingsView,
        ledger: WorkLedgerView,
        directory: DirectoryView,
    ) -> None:
        self.board, self.rulings, self.ledger, self.directory = board, rulings, ledger, directory
        # Answers by (question, the positions of the read models they were read at): a
        # read model's tracking position moves whenever its rows may have changed, so an
        # answer kept under the same positions is the answer a new query would give.
        self.answers: OrderedDict[Hashable, list[dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()
        # By the tracking table's key: a table updated once per event keeps the pages that
        # bulk catch-ups left behind, and a scan would read them all.
        self.select_positions: Composed = SQL("SELECT {}").format(
            SQL(", ").join(
                SQL("(SELECT notification_id FROM {}.{} WHERE application_name = {}) AS {}").format(
                    Identifier(v.datastore.schema),
                    Identifier(v.tracking_table_name),
                    Literal(APPLICATION_NAME),
                    Identifier(f"p{n}"),
                )
                for n, v in enumerate((board, rulings, ledger, directory))
            )
        )
        # The tables the two statements read, by the names they give them.
        tables = {
            "counts": board.table("finding_tallies"),
            "steps": board.table("finding_step_tallies"),
            "board": board.table("finding_board"),
            "rulings": rulings.table("rulings"),
            "ledger": ledger.table("work_ledger"),
            "work_counts": ledger.table("work_counts"),
            "directory": directory.table("directory_units"),
        }
        self.select: Composed = SQL(SCORECARD_SQL).format(**tables)
        self.select_lineages: Composed = SQL(LINEAGES_SQL).format(**tables)

    # The read models a scorecard reads (read-your-writes waits for each of them).
    READ_MODELS = ("finding_board", "rulings", "work_ledger", "directory")

    @property
    def views(self) -> tuple[ReadModelView, ...]:
        """The read models of READ_MODELS, in that order."""
        return (self.board, self.rulings, self.ledger, self.directory)

    def wait_for(self, position: int | None, timeout: float) -> None:
        """Block until every read model the scorecard reads has processed `position`."""
        for view in self.views:
            view.wait_for(position, timeout)

    def lineages(self, year: int | None = None) -> dict[str, tuple[str, ...]]:
        """Every active unit with the units merged into it (directly or not), in one query.
        For a `year`: the units standing that year — active ones, those merged into another
        only later, and those dissolved or split that year or later — and those dissolved or
        split before it that still hold records of it (nobody took them over), each with the
        units merged into it with effect in that year or before (a merger's effective_on),
        so every record of the year is in one row."""
        rows = self.directory.fetch_all(
            self.select_lineages,
            {
                "active": UnitStatus.ACTIVE.value,
                "merged": UnitStatus.MERGED.value,
                "dissolved": UnitStatus.DISSOLVED.value,
                "counted": [s.value for s in COUNTED_RULINGS],
                "year": year,
            },
        )
        return {str(r["root"]): tuple(r["members"]) for r in rows}

    def for_units(
        self, year: int, today: date, unit_groups: Mapping[str, tuple[str, ...]]
    ) -> list[dict[str, Any]]:
        """One row per key of `unit_groups`, in its order: the records of the codes in its
        value (the unit itself and the units merged into it) found, decided or listed in
        `year`; overdue as of `today`."""
        if not unit_groups:
            return []
        codes: list[str] = []
        members: list[str] = []
        for code, group in unit_groups.items():
            for member in dict.fromkeys((code, *group)):
                codes.append(code)
                members.append(member)
        params = {
            "codes": codes,
            "members": members,
            "year": year,
            "year_start": date(year, 1, 1),
            "year_end": date(year + 1, 1, 1),
            "today": today,
            "open": [s.value for s in OPEN_STATUSES],
            "closed": FindingStatus.CLOSED.value,
            "rectifying": FindingStatus.RECTIFYING.value,
            "withdrawn": FindingStatus.WITHDRAWN.value,
            "cancelled": WorkItemStatus.CANCELLED.value,
            "counted": [s.value for s in COUNTED_RULINGS],
            "accountability": RulingKind.ACCOUNTABILITY.value,
            "fault_tolerance": RulingKind.FAULT_TOLERANCE.value,
        }
        (positions,) = self.board.fetch_all(self.select_positions)
        key = (year, today, tuple(unit_groups.items()), tuple(positions.values()))
        with self.lock:
            if key in self.answers:
                self.answers.move_to_end(key)
                return copied(self.answers[key])
        rows = {r["code"]: r for r in self.board.fetch_all(self.select, params)}
        answer = [scorecard_row(rows[code], year) for code in unit_groups]
        with self.lock:
            self.answers[key] = answer
            while len(self.answers) > KEPT_ANSWERS:
                self.answers.popitem(last=False)
        return copied(answer)


def copied(answer: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of a kept answer its caller may change: the rows and the maps in them (the
    rest are numbers and strings); deepcopy cost more than the query."""
    return [
        dict(
            row,
            accountability_by_form=dict(row["accountability_by_form"]),
            tolerance_by_outcome=dict(row["tolerance_by_outcome"]),
        )
        for row in answer
    ]


def scorecard_row(row: Mapping[str, Any], year: int) -> dict[str, Any]:
    """The statement's row for a unit, its columns in their order, with the year after the
    unit's name (the maps in it are the query's own; `copied` copies them for callers)."""
    card = {"code": row["code"], "name": row["name"], "year": year}
    card.update((column, value) for column, value in row.items() if column not in card)
    return card
