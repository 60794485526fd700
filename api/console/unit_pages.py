"""Units (责任单位) with their history and scorecard, the work ledger (执行台账) with its
Excel export, and the case library (容错免责案例库)."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console.document_pages import documents_of, issuable
from api.console.pages import clean_text, year_of
from api.console.queries import ledger_years
from api.console.web import (
    PageError,
    Text,
    ViewerDep,
    listing,
    one_page,
    out_of_sight,
    render,
    unit_names,
    visible_units,
    wait_for_own_writes,
)
from api.documents import excel
from api.http import scoping
from api.http.routes.stats import may_read, scorecards_of
from api.http.routes.units import effective_since
from api.http.routes.work_items import XLSX
from domain.clock import today
from domain.commands import of_year as of_year_of
from domain.errors import NotFound
from domain.vocabulary import DocumentKind, RulingKind
from projections.case_library import CaseFilter
from projections.evidence import EvidenceView
from projections.work_ledger import LedgerFilter

router = APIRouter(include_in_schema=False)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FIRST_YEAR = 2018  # the seed plan's first year


@router.get("/units")
def units(request: Request, viewer: ViewerDep) -> Response:
    """责任单位: every unit the viewer may see, with its status and successor."""
    wait_for_own_writes(viewer, viewer.services.directory)
    return render(
        request,
        "units.html",
        viewer,
        units=visible_units(viewer),
        names=unit_names(viewer.services),
    )


# The lines whose detail is unit codes (转办, 牵头单位变更, 并入, 分设): shown by the units' names.
BETWEEN_UNITS = frozenset({"Reassigned", "LeadTransferred", "Merged", "Split"})
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def named(line: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A history line as the page shows it: units by their names where it names units."""
    if line["event_type"] not in BETWEEN_UNITS:
        return line
    summary = UNIT_CODE.sub(lambda code: names.get(code[0], code[0]), line["summary"])
    return {**line, "summary": summary}


@router.get("/units/{code}")
def unit(
    request: Request, code: str, viewer: ViewerDep, year: Text = None, cursor: Text = None
) -> Response:
    """A unit: its history (with the units merged into it) and its scorecard for a year."""
    services = viewer.services
    missing = PageError(404, "未找到该单位，或您无权查看。", viewer)
    if not CODE.match(code) or not may_read(viewer.actor, code):
        raise missing
    try:
        found = services.app.get_unit(code)
    except NotFound:
        raise missing from None
    cards = scorecards_of(services)
    evidence = services.view("evidence", EvidenceView)
    wait_for_own_writes(viewer, services.history, evidence, *cards.views)
    chosen = year_of(year, today().year) or today().year
    since = services.app.lineage_since(code)  # one walk of the lineage for the whole page
    lineage, of_year = tuple(since), tuple(of_year_of(since, chosen))
    (card,) = cards.for_units(chosen, today(), {code: of_year})
    members = scoping.unit_codes(services, viewer.actor, code) or (code,)
    effective = effective_since(since)  # a merged unit's lines from its effective_on on
    history = one_page(
        viewer, lambda: services.history.page(members, 200, clean_text(cursor), effective)
    )
    names = unit_names(services)
    return render(
        request,
        "unit.html",
        viewer,
        unit=found,
        card=card,
        year=chosen,
        years=list(range(today().year, FIRST_YEAR - 1, -1)),
        history=[named(line, names) for line in history.items],
        # The unit's lines of a finding passed to another unit since (转办, 分设) stay, but
        # the finding is no longer the unit's to open: not linked.
        passed_on=out_of_sight(
            viewer,
            {h["aggregate_id"] for h in history.items if h["aggregate_type"] == "finding"},
            services.history,
        ),
        next_cursor=history.next_cursor,
        lineage=lineage,
        names=names,
        documents=documents_of(viewer, code),
        issuable=issuable(viewer, DocumentKind.EVALUATION_REPORT),
        form_key=secrets.token_urlsafe(24),
    )


@router.get("/ledger")
def ledger(request: Request, viewer: ViewerDep, year: Text = None) -> Response:
    """执行台账: the year's key-work items with progress and evaluation."""
    services = viewer.services
    wait_for_own_writes(viewer, services.ledger)
    listed = ledger_years(services.ledger)
    # By default the current year, or the last year that has a ledger.
    default = today().year if today().year in listed or not listed else listed[0]
    chosen = year_of(year, default) or default
    units = scoping.unit_codes(services, viewer.actor, None) or ()
    items = list(
        excel.every(
            lambda limit, cursor: services.ledger.page(LedgerFilter(chosen, units), limit, cursor)
        )
    )
    return render(
        request,
        "ledger.html",
        viewer,
        items=items,
        year=chosen,
        years=sorted({*listed, chosen}, reverse=True),
        names=unit_names(services),
    )


@router.get("/ledger/export.xlsx")
def export_ledger(viewer: ViewerDep, year: Text = None) -> Response:
    """The year's 执行台账 as the API's Excel workbook (a unit account: its own items)."""
    chosen = year_of(year, today().year) or today().year
    units = scoping.unit_codes(viewer.services, viewer.actor, None) or ()
    workbook = excel.write_ledger(excel.collect_ledger(viewer.services, chosen, units))
    filename = quote(f"执行台账-{chosen}.xlsx")
    return Response(
        workbook,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )


@router.get("/cases")
def cases(
    request: Request,
    viewer: ViewerDep,
    q: Text = None,
    kind: Text = None,
    year: Text = None,
    tag: Text = None,
    cursor: Text = None,
) -> Response:
    """容错免责案例库: published rulings, anonymised, searched in Chinese (open to every role,
    as the API's case library)."""
    services = viewer.services
    wait_for_own_writes(viewer, services.cases)
    chosen: dict[str, Any] = {
        "q": clean_text(q),
        "kind": kind if kind in {k.value for k in RulingKind} else None,
        "year": year_of(year, None),
        "tag": clean_text(tag),
    }
    return listing(
        request,
        viewer,
        ("cases.html", "_case_rows.html"),
        (),  # the case library is open to every role, anonymised
        lambda units: services.cases.page(
            CaseFilter(chosen["kind"], chosen["q"], units, chosen["year"], chosen["tag"]),
            50,
            clean_text(cursor),
        ),
        chosen,
        years=list(range(today().year, FIRST_YEAR - 1, -1)),
    )
