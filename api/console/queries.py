"""What the dashboard shows of the finding board: the last twelve months of findings raised
and closed, the board of deadlines (红/黄/蓝) and the findings closed last.

The SQL is `projections.console_queries`; here are the dashboard's own choices: which
months, how near a deadline must be to show, how many rows, and how an item is shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from projections.console_queries import closed_findings, deadlines_by, findings_per_month
from projections.console_queries import ledger_years as ledger_years
from projections.finding_board import NEAR_DAYS, FindingBoardView, board_item


def monthly_counts(
    board: FindingBoardView, today: date, unit_codes: tuple[str, ...], months: int = 12
) -> list[dict[str, Any]]:
    """[{month: 'YYYY-MM', raised, closed}] for the last `months` months up to today's."""
    last = today.replace(day=1)
    first_month = (last.year * 12 + last.month - 1) - (months - 1)
    first = date(first_month // 12, first_month % 12 + 1, 1)
    return findings_per_month(board, first, last, unit_codes)


def deadline_board(
    board: FindingBoardView, today: date, unit_codes: tuple[str, ...], limit: int = 200
) -> list[dict[str, Any]]:
    """Findings under rectification whose deadline is past or near, soonest first."""
    rows = deadlines_by(board, today + timedelta(days=NEAR_DAYS), unit_codes, limit)
    return [board_item(r, today) for r in rows]


def closed_last(
    board: FindingBoardView, unit_codes: tuple[str, ...], limit: int = 8
) -> list[dict[str, Any]]:
    """The findings closed last, as many as the dashboard's list has room for."""
    return closed_findings(board, unit_codes, limit)
