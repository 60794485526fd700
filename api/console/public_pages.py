"""一公开 without signing in: the concluded inspection rounds, each with everything its draw
used, and a check that re-derives the draw in the reader's own browser (static/verify-draw.js,
the algorithm of docs/audit.md §6 in a few lines of JavaScript, WebCrypto's SHA-256); and the
catalogue of major decisions (重大行政决策目录) with each one's procedure; and each unit's
权力清单 with its 责任清单 in force (and as it was at any version); and the 随机抽查事项清单
with each matter's 细则 (一单两库一细则's 一单).

Each page shows everything published before it was asked for: a visitor has no session
whose writes it could wait for (ADR 009) and no position to name, so the page waits until
the read models it shows have processed the head of the log as it was when the request came
(see `published_by_now`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console.web import Text, behind, one_page, render, unit_names, waited_for
from api.http.deps import ServicesDep, public_waiter
from api.http.routes.inspections import board
from api.http.routes.major_decisions import catalogue
from api.http.routes.power_lists import published
from api.http.routes.spot_checks import directory as spot_checks
from api.runtime.bootstrap import Services
from domain.spot_checks import LISTED
from domain.vocabulary import ProcedureStep
from projections.decision_catalogue import CatalogueFilter
from projections.paging import MAX_LIMIT
from projections.spot_checks import MATTERS, DirectoryFilter

router = APIRouter(include_in_schema=False)
SHOWN = 50


def published_by_now(*names: str) -> Any:
    """What a public page waits for (see `public`): the read models `names` have processed
    every event in the log when the request came, so the page shows whatever was published (a
    round concluded, a decision catalogued) before anyone asked for it. It waits as `min_position`
    does (api/runtime/waiting.py: no thread held, at most `waiting_reads_per_account` waits
    per client address, `read_wait_seconds` at most). A read model that does not catch up in
    time, or a client already holding its waits, gets the page as it stands with a notice:
    True, the page may lag."""

    async def wait(request: Request, services: ServicesDep) -> bool:
        head = await run_in_threadpool(behind, services, names)
        if head is None:
            return False
        return not await waited_for(services, names, head, public_waiter(request))

    return Depends(wait)


@dataclass(frozen=True)
class Visit:
    """A visitor's request for a public page, once the page's read models are as published
    when it came (`lagging`: not quite, and the page says so)."""

    request: Request
    services: Services
    lagging: bool

    def render(self, template: str, **context: Any) -> Response:
        """The page, with a notice when it may lag."""
        return render(self.request, template, None, lagging=self.lagging, **context)


def public(*names: str) -> Any:
    """A public page's dependency: its visit, once the read models `names` are as published
    (see `published_by_now`)."""

    # A default, not an `Annotated` one: annotations are read as the module's names, and
    # `names` is this call's.
    async def visiting(
        request: Request, services: ServicesDep, lagging: bool = published_by_now(*names)
    ) -> Visit:
        return Visit(request, services, lagging)

    return Depends(visiting)


@router.get("/public/inspections")
def public_inspections(
    visit: Annotated[Visit, public("inspection_board", "directory", "spot_checks")],
    cursor: Text = None,
) -> Response:
    """双随机、一公开: concluded rounds, newest first; no account needed."""
    services = visit.services
    page = one_page(None, lambda: board(services).public_page(None, SHOWN, cursor))
    rounds = [
        dict(item, data=json.dumps(item, ensure_ascii=False, default=str)) for item in page.items
    ]
    drawn = [t["unit_code"] for item in page.items for t in item["targets"]]
    names = unit_names(services) | spot_checks(services).entity_names(drawn)
    return visit.render(
        "public_inspections.html", rounds=rounds, names=names, next_cursor=page.next_cursor
    )


@router.get("/public/spot-checks")
def public_spot_checks(visit: Annotated[Visit, public("spot_checks", "directory")]) -> Response:
    """随机抽查事项清单 (一单): the matters in force with their 细则; no account needed."""
    matters = spot_checks(visit.services).page(
        MATTERS.name, DirectoryFilter(status=LISTED), MAX_LIMIT, None
    )
    return visit.render(
        "public_spot_checks.html", matters=matters.items, names=unit_names(visit.services)
    )


@router.get("/public/decisions")
def public_decisions(
    visit: Annotated[Visit, public("decision_catalogue", "directory")], cursor: Text = None
) -> Response:
    """重大行政决策目录: every catalogued decision and how far its procedure has come."""
    services = visit.services
    page = one_page(None, lambda: catalogue(services).page(CatalogueFilter(), SHOWN, cursor))
    return visit.render(
        "public_decisions.html",
        decisions=page.items,
        names=unit_names(services),
        steps=[(step.value, step.label) for step in ProcedureStep],
        next_cursor=page.next_cursor,
    )


@router.get("/public/power-lists")
def public_power_lists(visit: Annotated[Visit, public("directory")]) -> Response:
    """权力清单、责任清单: every unit's list in force, its powers with their basis and duties."""
    units = [
        {**shown, "unit_name": unit["name"], "list": shown, "items": len(shown["items"])}
        for unit, shown in published(visit.services)
    ]
    return visit.render("public_power_lists.html", units=units)
