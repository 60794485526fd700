"""The dashboard (首页) and the finding list (问题清单) with the contract's filters."""

from __future__ import annotations

import secrets
from collections import Counter
from enum import Enum
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.document_pages import documents_of, issuable
from api.console.queries import TODO_SECTIONS, closed_last, deadline_board, monthly_counts, todo
from api.console.web import (
    Text,
    Viewer,
    ViewerDep,
    listing,
    render,
    unit_names,
    visible_units,
    wait_for_own_writes,
)
from api.http import scoping
from api.http.errors import ApiError
from api.http.presentation import check_query_text
from api.http.routes.stats import scorecards_of
from api.runtime.bulletins import previous_month
from domain.clock import today
from domain.vocabulary import DocumentKind, FindingCategory, FindingStatus, Severity
from projections.evidence import EvidenceView
from projections.finding_board import FindingFilter
from projections.paging import Page

router = APIRouter(include_in_schema=False)
E = TypeVar("E", bound=Enum)


def member(enum: type[E], value: str | None) -> E | None:
    """The enumeration member named by a filter, or None (no filter) for anything else."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def year_of(value: str | None, default: int | None) -> int | None:
    return (
        int(value)
        if value and value.isascii() and value.isdigit() and 1900 <= int(value) <= 2999
        else default
    )


def clean_text(value: str | None) -> str | None:
    if not value:
        return None
    try:
        check_query_text(value)
    except ApiError:
        return None
    return value.strip() or None


def ranking(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fewest overdue first, then the best on-time rate, then the fewest open."""
    return sorted(
        rows,
        key=lambda r: (
            r["findings_overdue"],
            -(r["on_time_rate"] if r["on_time_rate"] is not None else -1),
            r["findings_open"],
            r["code"],
        ),
    )


@router.get("/")
def dashboard(request: Request, viewer: ViewerDep, year: Text = None) -> Response:
    """首页: what waits on the viewer (待办: a liaison's orders to sign for, reports sent
    back and deadlines; an inspector's findings to order, reports to check, disputes and
    applications to review; a supervisor's applications to decide), the deadline board,
    counts per unit, raised and closed per month, the ranking."""
    services = viewer.services
    cards = scorecards_of(services)
    wait_for_own_writes(viewer, *cards.views, services.view("evidence", EvidenceView))
    day = today()
    chosen = year_of(year, day.year) or day.year
    units = scoping.unit_codes(services, viewer.actor, None) or ()
    board = deadline_board(services.board, day, units)
    groups = cards.lineages(chosen)
    if units:
        groups = {code: group for code, group in groups.items() if code in units}
    rows = ranking(cards.for_units(chosen, day, groups))
    colours: Counter[tuple[str, str]] = Counter(
        (f["unit_code"], f["deadline_colour"]) for f in board if f["deadline_colour"]
    )
    per_unit = sorted({code for code, _ in colours})
    months = monthly_counts(services.board, day, units)
    waiting = TODO_SECTIONS.get(viewer.role.value)
    period = f"{day.year}-{day.month:02d}"
    bulletins = [] if units else [
        d for p in (previous_month(day), period) for d in documents_of(viewer, p)
    ]  # fmt: skip
    return render(
        request,
        "dashboard.html",
        viewer,
        year=chosen,
        years=list(range(day.year, 2017, -1)),
        board=[f for f in board if f["deadline_colour"]],
        colours=colours,
        per_unit=per_unit,
        rows=rows,
        names=unit_names(services),
        closed=closed_last(services.board, units),
        todo=None if waiting is None else todo(services.board, viewer.role.value, day, units),
        chart={
            "months": [m["month"] for m in months],
            "raised": [m["raised"] for m in months],
            "closed": [m["closed"] for m in months],
        },
        bulletins=bulletins,
        issuable=[] if units else issuable(viewer, DocumentKind.BULLETIN),
        period=period,
        form_key=secrets.token_urlsafe(24),
    )


@router.get("/findings")
def findings(
    request: Request,
    viewer: ViewerDep,
    unit_code: Text = None,
    status: Text = None,
    overdue: Text = None,
    category: Text = None,
    severity: Text = None,
    year: Text = None,
    q: Text = None,
    cursor: Text = None,
) -> Response:
    """问题清单: the board with its filters; an htmx request gets the rows alone."""
    services = viewer.services
    wait_for_own_writes(viewer, services.board)
    chosen: dict[str, Any] = {
        "unit_code": clean_text(unit_code),
        "status": member(FindingStatus, status),
        "overdue": {"true": True, "false": False}.get(overdue or ""),
        "category": member(FindingCategory, category),
        "severity": member(Severity, severity),
        "year": year_of(year, None),
        "q": clean_text(q),
    }
    query = {k: ("true" if v is True else "false" if v is False else v) for k, v in chosen.items()}
    return listing(
        request,
        viewer,
        ("findings.html", "_finding_rows.html"),
        scoping.unit_codes(services, viewer.actor, chosen["unit_code"]),
        lambda units: board_page(viewer, chosen, units, cursor),
        query,
        units=visible_units(viewer),
        today=today(),
        this_year=today().year,
    )


def board_page(
    viewer: Viewer, chosen: dict[str, Any], units: tuple[str, ...], cursor: str | None
) -> Page:
    return viewer.services.board.list(
        FindingFilter(
            units,
            chosen["status"] and chosen["status"].value,
            chosen["overdue"],
            chosen["category"] and chosen["category"].value,
            chosen["severity"] and chosen["severity"].value,
            chosen["year"],
            chosen["q"],
        ),
        today(),
        50,
        clean_text(cursor),
    )
