"""Finding board (问题清单): the current state of every finding, with the contract's filters."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Composed, Identifier, Placeholder

from domain.clock import business_day
from domain.deadlines import colour_of
from domain.findings import LOOP_STEPS, Finding
from domain.reminders import runs_to
from domain.vocabulary import ExtensionReview, FindingStatus
from infra.workdays import WORKING_DAYS
from projections.base import (
    AggregateTable,
    ReadModel,
    ReadModelView,
    RowsFill,
    handles,
    other_aggregates,
    stamped,
)
from projections.paging import Page, bigrams, in_units, text_search, where_equal

BOARD = AggregateTable(
    "finding_board",
    "unit_code text NOT NULL, title text NOT NULL, description text NOT NULL, "
    "category text NOT NULL, severity text NOT NULL, source text NOT NULL, "
    "status text NOT NULL, found_on date NOT NULL, deadline date, work_item_id uuid, "
    "escalations int NOT NULL DEFAULT 0, reopen_count int NOT NULL DEFAULT 0, closed_on date, "
    "first_deadline date, reported_on date, ordered_on date, "
    "progress_percent int NOT NULL DEFAULT 0, acknowledged boolean NOT NULL DEFAULT false, "
    "disputed boolean NOT NULL DEFAULT false, returned boolean NOT NULL DEFAULT false, "
    "extension_stage text, due_by date",
    first="raised",
    copied="unit_code title description category severity source found_on work_item_id",
    indexes={
        "unit": "(unit_code, raised_position)",
        "status": "(status, deadline)",
        "position": "(raised_position)",
        # 立项: the findings from one source (领导批示, 会议议定), newest first.
        "source": "(source, raised_position)",
        # The overdue list: rectifying findings, newest first, a deadline check each.
        "rectifying": "(raised_position) WHERE status = 'rectifying'",
        # Scorecards: the rectifying findings whose deadline is still ahead on a given day
        # (the rest of the rectifying ones counted are overdue).
        # (due_by: the day the deadline runs to, the next working day for one on a day off.)
        "due": (
            "(coalesce(due_by, deadline), found_on) INCLUDE (unit_code) WHERE status = 'rectifying'"
        ),
    },
)


OPEN = (FindingStatus.RAISED, FindingStatus.RECTIFYING, FindingStatus.REPORTED)
COUNTED = ("raised", "closed", "open", "overdue")


@dataclass(frozen=True)
class FindingFilter:
    unit_codes: tuple[str, ...] = ()
    status: str | None = None
    overdue: bool | None = None
    category: str | None = None
    severity: str | None = None
    year: int | None = None
    q: str | None = None
    source: str | None = None  # 立项: 领导批示, 会议议定, 日常督查…


SEARCHED_GRAMS = bigrams(SQL("title || ' ' || description"))
# What a list reads: every column but the search index (`grams`), which is no answer's
# business; `raised_position` is the paging key, which board_item drops from each item.
LISTED = SQL(", ").join(
    Identifier(c)
    for c in (
        "id",
        "unit_code",
        "title",
        "description",
        "category",
        "severity",
        "source",
        "status",
        "found_on",
        "deadline",
        "work_item_id",
        "escalations",
        "reopen_count",
        "closed_on",
        "ordered_on",
        "progress_percent",
        "due_by",
        "version",
        "raised_position",
        "raised_at",
        "updated_at",
    )
)
COUNTS = "finding_tallies"
# Scorecards: a unit's extensions, returns (审核退回) and reopenings, by the year found.
STEPS = "finding_step_tallies"
STEP_COLUMNS = ("extensions", "returns", "reopenings")
KEY_COLUMNS = SQL("unit_code, found_on, status, deadline, closed_on, first_deadline, reported_on")


def count_key(row: str) -> Composed:
    """The count a finding row stands in: unit, year found, status and, once closed with a
    deadline, whether on time (1) or late (0); -1 otherwise. (Which rectifying findings are
    overdue depends on the day asked, so scorecards count those on the board itself.)

    On time (docs/scorecards.md): the unit reported (the report the closing verification
    accepted) by the FIRST deadline it was given; extensions do not move it, and a slow
    verifier does not make the unit late. A finding closed with no report counts by the day
    it was closed."""
    return SQL(
        "{r}.unit_code, extract(year FROM {r}.found_on)::int, {r}.status, "
        "CASE WHEN {r}.status = 'closed' AND coalesce({r}.first_deadline, {r}.deadline) "
        "IS NOT NULL THEN (coalesce(coalesce({r}.reported_on, {r}.closed_on) <= "
        "coalesce({r}.first_deadline, {r}.deadline), false))::int ELSE -1 END::smallint"
    ).format(r=SQL(row))


@dataclass(frozen=True)
class FromBefore:
    """A column an update sets from the row before it: as SQL (over the row's columns and
    the changes' placeholders) and as Python (over the row before and the changes), for a
    fill kept in Python (fill_batch)."""

    sql: Composable
    python: Callable[[Mapping[str, Any], Mapping[str, Any]], Any]


# The first deadline a finding was given (on time is judged by it): set once.
FIRST_DEADLINE = FromBefore(
    SQL("coalesce(first_deadline, %(deadline)s::date)"),
    lambda before, changes: (
        before["first_deadline"] if before["first_deadline"] is not None else changes["deadline"]
    ),
)
# 初审 forwarding an application still waiting; one that lapsed stays lapsed (a log from
# before applications lapsed with their round may review one a report had ended).
FORWARDED = FromBefore(
    SQL("CASE WHEN extension_stage IS NULL THEN NULL ELSE 'forwarded' END"),
    lambda before, changes: None if before["extension_stage"] is None else "forwarded",
)
# What a fill copies of each row: the columns of its definition. The search index, added
# beside them, is worked out at the fill's end (finish_filling), by PostgreSQL as a query's.
FILLED = BOARD.types


@dataclass
class BoardFill(RowsFill):
    """A batch of a fill, kept in Python (FindingBoardView.fill_batch): the rows of the
    batch's findings as its statements would leave them, and the steps it tallies per unit
    and year."""

    tallies: dict[tuple[str, int], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )


class FindingBoardView(ReadModelView):
    projection_name = "finding_board"
    # 2: the first deadline and the report's day (on time by them), and the step tallies;
    # 3: the day of the order and the progress reported (黄 when behind schedule), and what
    # waits on whom (签收, a dispute, a report sent back, an extension applied or forwarded);
    # 4: the day each deadline runs to (overdue from the day after), and version 3's columns
    # again for deployments of the commits that made version 3 with fewer of them; 5: that day
    # kept only where the holiday calendar is known (else NULL: the deadline counts); 6: a
    # count that falls to zero is deleted, as a board counted once (count_all) never has it;
    # 7: an application for more time lapses with the report, a 转办, a reopening and a
    # withdrawal (which ends a 退办 too).
    schema_version = 7

    def open_ids(self, unit_codes: Sequence[str]) -> list[UUID]:
        """The units' findings not yet closed or withdrawn (a split unit's to transfer)."""
        rows = self.fetch_all(
            SQL(
                "SELECT id FROM {} WHERE unit_code = ANY(%s) AND NOT status = ANY(%s) ORDER BY id"
            ).format(self.table(BOARD.name)),
            (list(unit_codes), [FindingStatus.CLOSED.value, FindingStatus.WITHDRAWN.value]),
        )
        return [UUID(str(r["id"])) for r in rows]

    def units_of(self, finding_ids: Collection[UUID]) -> dict[UUID, str]:
        """The unit each of these findings lies with now (its record's `unit_code`: moved by
        a 转办 or a split's 转隶, kept by a merger); one the board does not have yet, none."""
        rows = self.fetch_all(
            SQL("SELECT id, unit_code FROM {} WHERE id = ANY(%s)").format(self.table(BOARD.name)),
            (list(finding_ids),),
        )
        return {UUID(str(r["id"])): str(r["unit_code"]) for r in rows}

    def period_counts(
        self, groups: Mapping[str, Sequence[str]], start: date, end: date, today: date
    ) -> dict[str, dict[str, int]]:
        """Per key of `groups` (a unit and the units merged into it): the findings found and
        those closed between `start` and `end` (inclusive), and those open and overdue on
        `today` (情况通报 of a period)."""
        codes = [code for code, group in groups.items() for _ in group]
        members = [member for group in groups.values() for member in group]
        rows = self.fetch_all(
            SQL(
                "SELECT g.code, "
                "count(*) FILTER (WHERE b.found_on BETWEEN %(start)s AND %(end)s) AS raised, "
                "count(*) FILTER (WHERE b.closed_on BETWEEN %(start)s AND %(end)s) AS closed, "
                "count(*) FILTER (WHERE b.status = ANY(%(open)s)) AS open, "
                "count(*) FILTER (WHERE b.status = 'rectifying' "
                "AND coalesce(b.due_by, b.deadline) < %(today)s) AS overdue "
                "FROM unnest(%(codes)s::text[], %(members)s::text[]) AS g(code, member) "
                "JOIN {} b ON b.unit_code = g.member GROUP BY g.code"
            ).format(self.table(BOARD.name)),
            {"start": start, "end": end, "today": today, "codes": codes, "members": members,
             "open": [s.value for s in OPEN]},
        )  # fmt: skip
        found = {str(r["code"]): {k: int(r[k]) for k in COUNTED} for r in rows}
        return {code: found.get(code, dict.fromkeys(COUNTED, 0)) for code in groups}

    def table_statements(self) -> list[Composed]:
        return [
            *self.define(BOARD),
            *self.search_column(BOARD.name, SEARCHED_GRAMS),
            # Scorecards read the counts below now; this index only cost writes.
            SQL("DROP INDEX IF EXISTS {}").format(self.table("finding_board_found_idx")),
            # Scorecards: how many findings of a unit and year stand in each state (and
            # whether closed ones were on time), kept in the statement that changes a
            # finding's row. (finding_counts, keyed by deadline too, came before.)
            SQL("DROP TABLE IF EXISTS {}").format(self.table("finding_counts")),
            self.define_table(
                COUNTS,
                "unit_code text NOT NULL, year int NOT NULL, "
                "status text NOT NULL, on_time smallint NOT NULL, n int NOT NULL, "
                "PRIMARY KEY (unit_code, year, status, on_time)",
            ),
            self.define_table(
                STEPS,
                "unit_code text NOT NULL, year int NOT NULL, "
                + ", ".join(f"{c} int NOT NULL DEFAULT 0" for c in STEP_COLUMNS)
                + ", PRIMARY KEY (unit_code, year)",
            ),
            # A board made before the counts: count what it holds, once.
            self.count_all(),
        ]

    def count_all(self) -> Composed:
        """Count the findings the board holds, when nothing is counted yet."""
        return SQL(
            "INSERT INTO {counts} SELECT {key}, count(*) FROM {board} r GROUP BY 1, 2, 3, 4 "
            "HAVING NOT EXISTS (SELECT FROM {counts})"
        ).format(counts=self.table(COUNTS), key=count_key("r"), board=self.table(BOARD.name))

    def finish_filling(self, conn: Connection[Any]) -> None:
        """A fill leaves each finding's count out of its statements (the row before, the
        count it leaves, the one it joins: most of the server's work for an event); the
        filled board is counted once instead, and the search index of the rows it copied is
        worked out once."""
        conn.execute(self.count_all())
        conn.execute(
            SQL("UPDATE {} SET grams = {} WHERE grams = '{{}}'").format(
                self.table(BOARD.name), SEARCHED_GRAMS
            )
        )
        super().finish_filling(conn)

    copies_fill = True
    # While a batch of a fill is kept in Python (fill_batch).
    _fill: BoardFill | None = None

    def start_fill(self, conn: Connection[Any], ids: list[UUID]) -> BoardFill:
        """A batch of a fill starts from the rows its findings had; the handlers change
        them in Python as their statements would have."""
        stored = RowsFill.of(self.rows_of(conn, BOARD.name, FILLED, ids))
        return BoardFill(stored.rows, stored.stored)

    def write_fill(self, conn: Connection[Any], fill: BoardFill) -> dict[str, int]:
        """Each row the batch changed, written anew (deleted first where it was stored, then
        copied with the new ones); the steps it tallied, added per unit and year. A board
        kept live (a runner's long batch, not a fill from zero) also moves the rows' counts
        and works out their search index, which a fill leaves to its end (finish_filling)."""
        live = not self.filling
        # Rows stored before and written anew leave the counts they stood in …
        rewritten = list(fill.changed & fill.stored) if live else []
        if rewritten:
            conn.execute(self.recount, {"sign": -1, "ids": rewritten})
        rows = self.write_rows(conn, BOARD.name, FILLED, fill)
        if live:  # … and every row written joins those it stands in now, searchable
            changed = list(fill.changed)
            conn.execute(self.index_rows, (changed,))
            conn.execute(self.recount, {"sign": 1, "ids": changed})
        if rewritten:  # a count only falls to zero where one was taken from
            conn.execute(SQL("DELETE FROM {} WHERE n = 0").format(self.table(COUNTS)))
        if fill.tallies:
            with conn.cursor() as cursor:
                cursor.executemany(
                    self.add_tallies,
                    [
                        (unit, year, *(counted[c] for c in STEP_COLUMNS))
                        for (unit, year), counted in fill.tallies.items()
                    ],
                )
        return {"rows": rows, "tallies": len(fill.tallies)}

    @cached_property
    def recount(self) -> Composed:
        """The findings `ids` as the board holds them, added to their counts (`sign` 1) or
        taken from them (-1)."""
        return SQL(
            "INSERT INTO {counts} (unit_code, year, status, on_time, n) "
            "SELECT {key}, %(sign)s * count(*) FROM {board} r WHERE r.id = ANY(%(ids)s::uuid[]) "
            "GROUP BY 1, 2, 3, 4 ON CONFLICT (unit_code, year, status, on_time) "
            "DO UPDATE SET n = {counts}.n + EXCLUDED.n"
        ).format(counts=self.table(COUNTS), key=count_key("r"), board=self.table(BOARD.name))

    @cached_property
    def index_rows(self) -> Composed:
        """The search index of the findings given, worked out from their rows."""
        return SQL("UPDATE {} SET grams = {} WHERE id = ANY(%s::uuid[])").format(
            self.table(BOARD.name), SEARCHED_GRAMS
        )

    @cached_property
    def add_tallies(self) -> Composed:
        """A fill's steps of one unit and year, added to those counted before."""
        return SQL(
            "INSERT INTO {steps} (unit_code, year, {columns}) VALUES (%s, %s, {values}) "
            "ON CONFLICT (unit_code, year) DO UPDATE SET {sums}"
        ).format(
            steps=self.table(STEPS),
            columns=SQL(", ").join(map(Identifier, STEP_COLUMNS)),
            values=SQL(", ").join(SQL("%s") for _ in STEP_COLUMNS),
            sums=SQL(", ").join(
                SQL("{0} = {1}.{0} + EXCLUDED.{0}").format(Identifier(c), self.table(STEPS))
                for c in STEP_COLUMNS
            ),
        )

    def insert(self, tracking: Tracking, row: dict[str, Any]) -> None:
        """The finding's row, and one more in its count (counted at the end of a fill)."""
        if (fill := self._fill) is not None:
            fill.insert(row["id"], row, BOARD.defaults)
            return
        filling = self.filling

        def build() -> Composed:
            grams = bigrams(SQL("%(title)s::text || ' ' || %(description)s::text"))
            insert = self.insert_statement(
                BOARD.name, row, BOARD.types, "(id) DO NOTHING", {"grams": grams}
            )
            if filling:
                return insert
            return SQL(", ins AS ({} RETURNING {}) {}").format(
                insert, KEY_COLUMNS, self.count_in("ins")
            )

        self.apply(tracking, build, row, key=("insert-counted", filling))

    def count_in(
        self, source: str, row: str | None = None, when: Composable = SQL("TRUE")
    ) -> Composed:
        """INSERT … ON CONFLICT: one more finding under the key of each `row` (default: the
        rows of `source`) that `source` yields `when` it holds."""
        return SQL(
            "INSERT INTO {counts} (unit_code, year, status, on_time, n) "
            "SELECT {key}, 1 FROM {source} WHERE {when} "
            "ON CONFLICT (unit_code, year, status, on_time) "
            "DO UPDATE SET n = {counts}.n + 1"
        ).format(
            counts=self.table(COUNTS),
            key=count_key(row or source),
            source=SQL(source),
            when=when,
        )

    def update(
        self,
        tracking: Tracking,
        event: Any,
        *increments: str,
        computed: dict[str, FromBefore] | None = None,
        tally: str | None = None,
        **changes: Any,
    ) -> None:
        """Set the changed columns (and add one to each of `increments`, and set each
        `computed` column to its expression over the row before) on the event's row; a
        `tally` (one of STEP_COLUMNS) counts one more such step for the finding's unit.
        The finding's count moves with its key: a count left at zero goes (not while
        filling, whose counts are made at its end: finish_filling)."""
        changes = stamped(event, changes)
        filling = self.filling
        if changes.get("deadline") is not None:  # the day it runs to moves with it
            changes["due_by"] = due_by_of(changes["deadline"])
        if (fill := self._fill) is not None:
            self.fold(fill, event.originator_id, increments, computed or {}, tally, changes)
            return
        searched = "title" in changes or "description" in changes

        # Composed only for a statement not seen before (see ReadModelView.statement).
        def build() -> Composed:
            expressions = {column: e.sql for column, e in (computed or {}).items()}
            if searched:
                texts = (
                    Placeholder(c) + SQL("::text") if c in changes else Identifier(c)
                    for c in ("title", "description")
                )
                expressions["grams"] = bigrams(SQL(" || ' ' || ").join(texts))
            update = self.update_statement(BOARD.name, changes, increments, {}, expressions)
            if filling:
                if tally is None:
                    return update
                return SQL(", upd AS ({} RETURNING {}) {}").format(
                    update, KEY_COLUMNS, self.tally(tally)
                )
            moved = SQL("({}) IS DISTINCT FROM ({})").format(count_key("old"), count_key("upd"))
            left = SQL("(c.unit_code, c.year, c.status, c.on_time) = ({}) AND {}").format(
                count_key("old"), moved
            )
            return SQL(
                ", old AS (SELECT {cols} FROM {board} WHERE id = %(_id)s), "
                "upd AS ({update} RETURNING {cols}), "
                "gone AS (DELETE FROM {counts} c USING old, upd WHERE {left} AND c.n = 1), "
                "fewer AS (UPDATE {counts} c SET n = c.n - 1 FROM old, upd "
                "WHERE {left} AND c.n > 1){tallied} {count}"
            ).format(
                cols=KEY_COLUMNS,
                board=self.table(BOARD.name),
                update=update,
                counts=self.table(COUNTS),
                left=left,
                count=self.count_in("upd, old", "upd", moved),
                tallied=SQL("")
                if tally is None
                else SQL(", tallied AS ({})").format(self.tally(tally)),
            )

        key = ("update", filling, increments, *changes, "=", *(computed or {}), searched, tally)
        self.apply(tracking, build, {**changes, "_id": event.originator_id}, key=key)

    @staticmethod
    def fold(
        fill: BoardFill,
        finding_id: UUID,
        increments: tuple[str, ...],
        computed: Mapping[str, FromBefore],
        tally: str | None,
        changes: Mapping[str, Any],
    ) -> None:
        """update's statement, on a fill's row in Python: every column is set from the row
        before (the changes, the computed columns, one more in each of `increments`), and
        a `tally` counts under the unit and year of the row after."""
        before = fill.update(finding_id, changes, increments)
        if before is None:  # as an UPDATE of no row
            return
        row = fill.rows[finding_id]
        for column, expression in computed.items():
            row[column] = expression.python(before, changes)
        if tally is not None:
            assert tally in STEP_COLUMNS, tally
            fill.tallies[(row["unit_code"], row["found_on"].year)][tally] += 1

    def tally(self, tally: str) -> Composed:
        """One more `tally` (one of STEP_COLUMNS) for the unit and year of the finding
        updated (the CTE `upd`)."""
        assert tally in STEP_COLUMNS, tally
        return SQL(
            "INSERT INTO {steps} (unit_code, year, {column}) "
            "SELECT unit_code, extract(year FROM found_on)::int, 1 FROM upd "
            "ON CONFLICT (unit_code, year) DO UPDATE SET {column} = {steps}.{column} + 1"
        ).format(steps=self.table(STEPS), column=Identifier(tally))

    def list(self, f: FindingFilter, today: date, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("status", "category", "severity", "source"))
        params["today"] = today
        where += in_units(f.unit_codes, params)
        if f.year is not None:
            where.append(SQL("found_on >= %(y0)s AND found_on < %(y1)s"))
            params["y0"], params["y1"] = date(f.year, 1, 1), date(f.year + 1, 1, 1)
        if f.overdue is not None:
            overdue = SQL("(status = 'rectifying' AND coalesce(due_by, deadline) < %(today)s)")
            where.append(overdue if f.overdue else SQL("NOT ") + overdue)
        if f.q:
            columns: list[Composable] = [SQL("title"), SQL("description")]
            where.append(text_search(columns, f.q, self.grams(f.q), params))
        return self.keyset_page(
            BOARD.name,
            where,
            params,
            "raised_position",
            limit,
            cursor,
            descending=True,
            columns=LISTED,
            item=lambda r: board_item(r, today),
        )


def deadline_colour(
    status: str,
    deadline: date | None,
    today: date,
    ordered_on: date | None = None,
    percent: int = 0,
    due_by: date | None = None,
) -> str | None:
    """The 督办单's colour of a rectifying finding (docs/scorecards.md), `colour_of` its
    deadline, with the order's day as the start of the time allowed; none in another
    status. `due_by`: the day the deadline runs to (a deadline on a day off runs to the next
    working day)."""
    if status != FindingStatus.RECTIFYING or deadline is None:
        return None
    return colour_of(deadline, today, ordered_on, percent, due_by)


def board_item(row: DictRow, today: date) -> dict[str, Any]:
    hidden = ("raised_position", "ordered_on", "progress_percent", "due_by")
    item = {k: v for k, v in row.items() if k not in hidden}
    item["overdue"] = (
        row["status"] == FindingStatus.RECTIFYING
        and row["deadline"] is not None
        and (row["due_by"] or row["deadline"]) < today
    )
    item["deadline_colour"] = deadline_colour(
        row["status"],
        row["deadline"],
        today,
        row["ordered_on"],
        row["progress_percent"],
        row["due_by"],
    )
    return item


def due_by_of(deadline: date) -> date | None:
    """The day `deadline` runs to (`runs_to`: the next working day for one on a day off),
    where the State Council's calendar for its year is known; None elsewhere (the deadline
    itself counts, and nothing goes stale when next year's calendar is published)."""
    return runs_to(deadline, WORKING_DAYS) if WORKING_DAYS.known(deadline) else None


def given_anew(e: Any) -> dict[str, Any]:
    """An order given (again): the day it was given, no progress reported yet, and the
    unit to sign for it (not disputing it yet, nor asking for more time)."""
    return {
        "ordered_on": business_day(e.timestamp),
        "progress_percent": 0,
        "acknowledged": False,
        "disputed": False,
        "extension_stage": None,
    }


# The loop's steps the board keeps more of than the version: what waits on whom.
WAITING_STEPS = (
    Finding.ProgressReported,
    Finding.OrderAcknowledged,
    Finding.OrderDisputed,
    Finding.DisputeRejected,
    Finding.ExtensionApplied,
    Finding.ExtensionReviewed,
)


class FindingBoard(ReadModel[FindingBoardView]):
    """Keeps one row per finding; every other event only advances the tracking record."""

    name = "finding_board"
    ignores = other_aggregates(Finding)

    @handles(Finding.Raised)
    def raised(self, e: Finding.Raised, tracking: Tracking) -> None:
        self.view.insert(tracking, BOARD.first_row(e, tracking, status=FindingStatus.RAISED.value))

    @handles(Finding.RectificationOrdered)
    def rectification_ordered(self, e: Finding.RectificationOrdered, tracking: Tracking) -> None:
        self.view.update(
            tracking,
            e,
            computed={"first_deadline": FIRST_DEADLINE},
            status=FindingStatus.RECTIFYING.value,
            deadline=e.deadline,
            **given_anew(e),
        )

    @handles(Finding.RectificationReported)
    def rectification_reported(self, e: Finding.RectificationReported, tracking: Tracking) -> None:
        reported_on = business_day(e.timestamp)  # the day it came in
        self.view.update(
            tracking,
            e,
            status=FindingStatus.REPORTED.value,
            reported_on=reported_on,
            returned=False,
            extension_stage=None,  # an application still waiting lapses with the report
        )

    @handles(Finding.Verified)
    def verified(self, e: Finding.Verified, tracking: Tracking) -> None:
        if e.outcome == "accepted":
            self.view.update(
                tracking, e, status=FindingStatus.CLOSED.value, closed_on=e.verified_on
            )
        elif e.new_deadline is not None:
            self.view.update(
                tracking,
                e,
                tally="returns",
                status=FindingStatus.RECTIFYING.value,
                deadline=e.new_deadline,
                returned=True,
            )
        else:
            self.view.update(
                tracking, e, tally="returns", status=FindingStatus.RECTIFYING.value, returned=True
            )

    @handles(Finding.DeadlineExtended)
    def deadline_extended(self, e: Finding.DeadlineExtended, tracking: Tracking) -> None:
        self.view.update(tracking, e, tally="extensions", deadline=e.new_deadline)

    @handles(Finding.Escalated)
    def escalated(self, e: Finding.Escalated, tracking: Tracking) -> None:
        self.view.update(tracking, e, "escalations")

    @handles(Finding.ProgressReported)
    def progress_reported(self, e: Finding.ProgressReported, tracking: Tracking) -> None:
        self.view.update(tracking, e, progress_percent=e.percent)

    @handles(Finding.OrderAcknowledged)
    def acknowledged(self, e: Finding.OrderAcknowledged, tracking: Tracking) -> None:
        self.view.update(tracking, e, acknowledged=True)

    @handles(Finding.OrderDisputed)
    def disputed(self, e: Finding.OrderDisputed, tracking: Tracking) -> None:
        self.view.update(tracking, e, disputed=True)

    @handles(Finding.DisputeRejected)
    def dispute_rejected(self, e: Finding.DisputeRejected, tracking: Tracking) -> None:
        self.view.update(tracking, e, disputed=False)

    @handles(Finding.ExtensionApplied)
    def extension_applied(self, e: Finding.ExtensionApplied, tracking: Tracking) -> None:
        self.view.update(tracking, e, extension_stage="applied")

    @handles(Finding.ExtensionReviewed)
    def extension_reviewed(self, e: Finding.ExtensionReviewed, tracking: Tracking) -> None:
        if e.outcome == ExtensionReview.FORWARDED:
            self.view.update(tracking, e, computed={"extension_stage": FORWARDED})
        else:
            self.view.update(tracking, e, extension_stage=None)

    @handles(*(step for step in LOOP_STEPS if step not in WAITING_STEPS), Finding.PowerItemCited)
    def recorded(self, e: Any, tracking: Tracking) -> None:
        """Steps the board shows only as the finding's new version."""
        self.view.update(tracking, e)

    @handles(Finding.ExtensionDecided)
    def extension_decided(self, e: Finding.ExtensionDecided, tracking: Tracking) -> None:
        if e.new_deadline is None:
            self.view.update(tracking, e, extension_stage=None)
        else:
            self.view.update(
                tracking, e, tally="extensions", deadline=e.new_deadline, extension_stage=None
            )

    @handles(Finding.Reassigned)
    def reassigned(self, e: Finding.Reassigned, tracking: Tracking) -> None:
        # Its counts move with it; the order is given anew to the new unit.
        self.view.update(tracking, e, unit_code=e.to_unit, **given_anew(e))

    @handles(Finding.Amended)
    def amended(self, e: Finding.Amended, tracking: Tracking) -> None:
        board_fields = {k: v for k, v in e.changes.items() if k not in ("evidence", "origin")}
        self.view.update(tracking, e, **board_fields)

    @handles(Finding.Withdrawn)
    def withdrawn(self, e: Finding.Withdrawn, tracking: Tracking) -> None:
        self.view.update(
            tracking,
            e,
            status=FindingStatus.WITHDRAWN.value,
            disputed=False,
            extension_stage=None,  # nothing waits for an answer on a finding withdrawn
        )

    @handles(Finding.Reopened)
    def reopened(self, e: Finding.Reopened, tracking: Tracking) -> None:
        changes: dict[str, Any] = {
            "status": FindingStatus.RECTIFYING.value,
            "closed_on": None,
            **given_anew(e),
        }
        if e.new_deadline is not None:
            changes["deadline"] = e.new_deadline
        self.view.update(tracking, e, "reopen_count", tally="reopenings", **changes)
