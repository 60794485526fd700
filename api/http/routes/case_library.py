"""Case library (容错免责案例库): published rulings, anonymised, searchable in Chinese."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.http.deps import (
    Cursor,
    Limit,
    Reader,
    Search,
    ServicesDep,
    UnitFilter,
    YearFilter,
    reached,
)
from api.http.presentation import check_query_text, page_out
from api.http.read_schemas import CasePage
from api.http.routes.rulings import RulingKindFilter, ruling_kind
from api.http.routing import Router
from projections.case_library import CaseFilter

router = Router(prefix="/api/v1/case-library", tags=["case library"])


@router.get("", response_model=CasePage, dependencies=[reached("case_library")])
def search_cases(
    services: ServicesDep,
    actor: Reader,
    kind: RulingKindFilter = None,
    q: Search = None,
    unit_code: UnitFilter = None,
    year: YearFilter = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Published cases, newest first; `q` matches any Chinese text of the case."""
    chosen = ruling_kind(kind)
    for value in (q, unit_code, tag):
        if value is not None:
            check_query_text(value)
    # Anonymised precedents are open to every role, so no unit scoping here.
    units = tuple(services.app.lineage(unit_code)) if unit_code else ()

    page = services.cases.page(CaseFilter(chosen, q or None, units, year, tag), limit, cursor)
    return page_out(page)
