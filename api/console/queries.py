"""What the dashboard shows of the finding board: the last twelve months of findings raised
and closed, the board of deadlines (红/黄/蓝) and the findings closed last.

The SQL is `projections.console_queries`; here are the dashboard's own choices: which
months, how near a deadline must be to show, how many rows, and how an item is shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.deadlines import NEAR_DAYS
from projections.console_queries import (
    closed_findings,
    deadlines_by,
    findings_per_month,
    waiting_rows,
)
from projections.console_queries import ledger_years as ledger_years
from projections.finding_board import FindingBoardView, board_item


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
    rows = deadlines_by(board, today, today + timedelta(days=NEAR_DAYS), unit_codes, limit)
    return [board_item(r, today) for r in rows]


# What waits on whom (the home page's 待办), by role: a liaison signs for orders, answers
# reports sent back and deadlines; an inspector gives raised findings their order (交办),
# checks reports (验收), answers disputes and reviews applications (初审); a supervisor
# decides forwarded applications (审批).
TODO_SECTIONS: dict[str, list[tuple[str, str]]] = {
    "unit": [
        ("sign", "待签收的交办事项"),
        ("returned", "验收退回、需重新整改"),
        ("overdue", "已逾期"),
        ("due", "临近整改期限"),
    ],
    "inspector": [
        ("order", "待下达整改的问题"),
        ("verify", "待验收的整改报告"),
        ("dispute", "待处理的退办申请"),
        ("review", "待初审的延期申请"),
    ],
    "supervisor": [("decide", "待审批的延期申请")],
}


def todo(
    board: FindingBoardView, role: str, today: date, unit_codes: tuple[str, ...], limit: int = 200
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The home page's 待办 of a role: (heading, findings) for each section with any, each
    section asked on its own (projections.console_queries.WAITING_ON)."""
    near = today + timedelta(days=NEAR_DAYS)
    return [
        (heading, [board_item(row, today) for row in rows])
        for key, heading in TODO_SECTIONS.get(role, [])
        if (rows := waiting_rows(board, key, today, near, unit_codes, limit))
    ]


def closed_last(
    board: FindingBoardView, unit_codes: tuple[str, ...], limit: int = 8
) -> list[dict[str, Any]]:
    """The findings closed last, as many as the dashboard's list has room for."""
    return closed_findings(board, unit_codes, limit)
