"""The dashboard's own reads of the finding board (no view offers them): findings raised and
closed per month, the board of deadlines (红/黄/蓝) and the findings closed last.

Each reads the board's table through the view (`table()`, `fetch_all()`), parameterised,
limited to the viewer's units when `unit_codes` is not empty.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from psycopg.sql import SQL, Composed

from domain.vocabulary import FindingStatus
from projections.finding_board import NEAR_DAYS, FindingBoardView, board_item
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

DEADLINES = (
    "SELECT * FROM {board} f WHERE f.status = %(rectifying)s AND f.deadline IS NOT NULL "
    "AND f.deadline <= %(near)s AND " + UNITS + " ORDER BY f.deadline, f.raised_position "
    "LIMIT %(limit)s"
)

CLOSED_LAST = (
    "SELECT id, unit_code, title, closed_on, updated_at FROM {board} f "
    "WHERE f.status = %(closed)s AND " + UNITS + " ORDER BY f.updated_at DESC LIMIT %(limit)s"
)


def statement(board: FindingBoardView, text: str) -> Composed:
    return SQL(text).format(board=board.table("finding_board"))


def monthly_counts(
    board: FindingBoardView, today: date, unit_codes: tuple[str, ...], months: int = 12
) -> list[dict[str, Any]]:
    """[{month: 'YYYY-MM', raised, closed}] for the last `months` months up to today's."""
    last = today.replace(day=1)
    first_month = (last.year * 12 + last.month - 1) - (months - 1)
    first = date(first_month // 12, first_month % 12 + 1, 1)
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


def deadline_board(
    board: FindingBoardView, today: date, unit_codes: tuple[str, ...], limit: int = 200
) -> list[dict[str, Any]]:
    """Findings under rectification whose deadline is past or near, soonest first."""
    rows = board.fetch_all(
        statement(board, DEADLINES),
        {
            "rectifying": FindingStatus.RECTIFYING.value,
            "near": today + timedelta(days=NEAR_DAYS),
            "units": list(unit_codes),
            "limit": limit,
        },
    )
    return [board_item(r, today) for r in rows]


def closed_last(
    board: FindingBoardView, unit_codes: tuple[str, ...], limit: int = 8
) -> list[dict[str, Any]]:
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
