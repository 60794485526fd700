"""Reads of the finding board and the work ledger that only the console's pages ask (no view
offers them): findings raised and closed per month, the findings whose deadline is past or
near, the findings closed last, and the years the ledger has.

They are SQL over the read models' own tables, so they live beside those tables rather
than in `api/`. Each reads through the view (`table()`, `fetch_all()`), parameterised,
limited to the viewer's units when `unit_codes` is not empty (an empty tuple: every unit).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed

from domain.deadlines import BEHIND_BY
from domain.vocabulary import FindingStatus
from projections.finding_board import FindingBoardView
from projections.work_ledger import WorkLedgerView

UNITS = "(cardinality(%(units)s::text[]) = 0 OR f.unit_code = ANY(%(units)s::text[]))"

MONTHLY = (
    "WITH months AS (SELECT generate_series(%(first)s::date, %(last)s::date, "
    "interval '1 month')::date AS m) "
    "SELECT to_char(m, 'YYYY-MM') AS month, "
    "(SELECT count(*) FROM {board} f WHERE f.found_on >= m "
    "AND f.found_on < m + interval '1 month' AND " + UNITS + ") AS raised, "
    "(SELECT count(*) FROM {board} f WHERE f.closed_on >= m "
    "AND f.closed_on < m + interval '1 month' AND f.status = %(closed)s AND " + UNITS + ") "
    "AS closed FROM months ORDER BY m"
)

# Past or near their deadline, or behind schedule (finding_board.behind, in SQL).
DEADLINES = (
    "SELECT * FROM {board} f WHERE f.status = %(rectifying)s AND f.deadline IS NOT NULL "
    "AND (f.deadline <= %(near)s OR (f.ordered_on IS NOT NULL AND f.deadline > f.ordered_on "
    "AND 100.0 * (%(today)s::date - f.ordered_on) / (f.deadline - f.ordered_on) "
    "- f.progress_percent > %(behind_by)s)) AND " + UNITS + " "
    "ORDER BY f.deadline, f.raised_position LIMIT %(limit)s"
)

# What waits on someone (the console's 待办), by what: an order to sign for, a report sent
# back, a deadline past (the day it runs to) or near, a dispute or an extension to answer (初审,
# 审批), a raised finding to give its order, a report to check (验收). Each is asked on its own,
# with a limit of its own, so that one kind of wait never crowds out another.
RECTIFYING = "f.status = %(rectifying)s AND "
WAITING_ON: dict[str, str] = {
    "sign": RECTIFYING + "NOT f.acknowledged AND NOT f.disputed",
    "returned": RECTIFYING + "f.returned",
    "overdue": RECTIFYING + "coalesce(f.due_by, f.deadline) < %(today)s",
    "due": RECTIFYING + "f.deadline <= %(near)s AND coalesce(f.due_by, f.deadline) >= %(today)s",
    "dispute": RECTIFYING + "f.disputed",
    "review": RECTIFYING + "f.extension_stage = %(applied)s",
    "decide": RECTIFYING + "f.extension_stage = %(forwarded)s",
    "order": "f.status = %(raised)s",
    "verify": "f.status = %(reported)s",
}
WAITING = {
    key: "SELECT * FROM {board} f WHERE " + waiting + " AND " + UNITS + " "
    "ORDER BY f.deadline NULLS LAST, f.raised_position LIMIT %(limit)s"
    for key, waiting in WAITING_ON.items()
}

CLOSED_LAST = (
    "SELECT id, unit_code, title, closed_on, updated_at FROM {board} f "
    "WHERE f.status = %(closed)s AND " + UNITS + " ORDER BY f.updated_at DESC LIMIT %(limit)s"
)


def statement(board: FindingBoardView, text: str) -> Composed:
    return SQL(text).format(board=board.table("finding_board"))


def findings_per_month(
    board: FindingBoardView, first: date, last: date, unit_codes: tuple[str, ...]
) -> list[dict[str, Any]]:
    """[{month: 'YYYY-MM', raised, closed}] for every month from `first`'s to `last`'s (both
    the first day of their month), months without findings counted as 0."""
    rows = board.fetch_all(
        statement(board, MONTHLY),
        {
            "first": first,
            "last": last,
            "units": list(unit_codes),
            "closed": FindingStatus.CLOSED.value,
        },
    )
    return [{"month": r["month"], "raised": r["raised"], "closed": r["closed"]} for r in rows]


def deadlines_by(
    board: FindingBoardView, today: date, near: date, unit_codes: tuple[str, ...], limit: int
) -> list[DictRow]:
    """The board's rows of findings under rectification whose deadline is on or before
    `near`, or that are behind schedule on `today`, soonest first (then in the order they
    were raised)."""
    rows: list[DictRow] = board.fetch_all(
        statement(board, DEADLINES),
        {
            "rectifying": FindingStatus.RECTIFYING.value,
            "today": today,
            "near": near,
            "behind_by": BEHIND_BY,
            "units": list(unit_codes),
            "limit": limit,
        },
    )
    return rows


def waiting_rows(
    board: FindingBoardView,
    waiting_on: str,
    today: date,
    near: date,
    unit_codes: tuple[str, ...],
    limit: int,
) -> list[DictRow]:
    """The board's rows of the findings that wait on someone for `waiting_on` (a key of
    WAITING_ON), deadline first, at most `limit`."""
    rows: list[DictRow] = board.fetch_all(
        statement(board, WAITING[waiting_on]),
        {
            "rectifying": FindingStatus.RECTIFYING.value,
            "raised": FindingStatus.RAISED.value,
            "reported": FindingStatus.REPORTED.value,
            # An application's stage as the board keeps it (FindingBoard.extension_*).
            "applied": "applied",
            "forwarded": "forwarded",
            "today": today,
            "near": near,
            "units": list(unit_codes),
            "limit": limit,
        },
    )
    return rows


def closed_findings(
    board: FindingBoardView, unit_codes: tuple[str, ...], limit: int
) -> list[dict[str, Any]]:
    """The findings closed last (id, unit, title, when closed and updated), newest first."""
    rows = board.fetch_all(
        statement(board, CLOSED_LAST),
        {"closed": FindingStatus.CLOSED.value, "units": list(unit_codes), "limit": limit},
    )
    return [dict(r) for r in rows]


def ledger_years(ledger: WorkLedgerView) -> list[int]:
    """The years that have key-work items, newest first."""
    rows = ledger.fetch_all(
        SQL("SELECT DISTINCT year FROM {} ORDER BY year DESC").format(ledger.table("work_ledger"))
    )
    return [int(r["year"]) for r in rows]
