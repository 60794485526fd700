"""Unit scorecards (单位考评): per unit and year, for every active unit or for one unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import TypeAdapter

from api.http import scoping
from api.http.deps import Cursor, Reader, ServicesDep, Year, reached
from api.http.errors import ApiError
from api.http.read_schemas import Scorecard, UnitStats, YearEndScore
from api.http.routes.units import Code
from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.clock import today
from domain.evaluation_schemes import year_end_score
from domain.vocabulary import Role
from projections.paging import MAX_LIMIT, InvalidCursor, decode_key_cursor, encode_key_cursor
from projections.scorecard import Scorecards

router = APIRouter(tags=["scorecards"])

UNIT_STATS = TypeAdapter(UnitStats)


def scorecards_of(services: Services) -> Scorecards:
    return services.scorecards


def may_read(actor: Actor, code: str) -> bool:
    """A unit account reads its own unit and the units merged into it; other roles, all."""
    return actor.role is not Role.UNIT or code in {actor.unit_code, *actor.unit_scope}


@router.get(
    "/api/v1/stats/units", response_model=UnitStats, dependencies=[reached(*Scorecards.READ_MODELS)]
)
def unit_stats(
    services: ServicesDep,
    actor: Reader,
    year: Year,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT)] = None,
    cursor: Cursor = None,
) -> Response:
    """One scorecard per active unit, in code order; a merged unit's records count in its
    successor's row. A unit account sees its own unit's row only. Every unit in one answer,
    unless `limit` asks for pages (then `next_cursor` leads on, as in every list)."""
    cards = scorecards_of(services)
    # One query for every unit's lineage, from the directory the answer already waits for
    # (loading each unit's events instead cost a query per unit).
    groups = cards.lineages(year)
    visible = scoping.unit_codes(services, actor, None)
    if visible:
        groups = {code: group for code, group in groups.items() if code in visible}
    after = after_code(cursor)
    # In code order as Python orders it (the database's collation may not), pages and all.
    codes = sorted(code for code in groups if after is None or code > after)
    page = codes[:limit] if limit is not None else codes
    more = len(page) < len(codes)
    items = cards.for_units(year, today(), {code: groups[code] for code in page})
    answer = {"year": year, "items": items}
    answer["next_cursor"] = encode_key_cursor([page[-1]]) if more else None
    # Written to JSON by the model at once, here in the route's thread: FastAPI would check
    # the answer in one more thread hop first, for rows that hold only JSON's own types.
    body = UNIT_STATS.dump_json(UNIT_STATS.validate_python(answer))
    return Response(body, media_type="application/json")


def after_code(cursor: str | None) -> str | None:
    """The unit code a stats page's cursor continues after (None: from the first)."""
    if cursor is None:
        return None
    key = decode_key_cursor(cursor)
    if len(key) != 1 or not isinstance(key[0], str):
        raise InvalidCursor(f"invalid cursor {cursor!r}")
    return key[0]


@dataclass(frozen=True)
class UnitYear:
    """One unit's scorecard row for a year, as a reader may see it, and the codes it counts
    (the unit and those merged into it with effect by then)."""

    services: Services
    code: str
    year: int
    row: dict[str, Any]
    lineage: list[str]


def unit_year(
    code: Code,
    year: Year,
    services: ServicesDep,
    actor: Reader,
    _: Annotated[None, reached(*Scorecards.READ_MODELS)],
) -> UnitYear:
    """The dependency of a unit's scorecard routes: `/api/v1/units/{code}/…?year=`, once the
    scorecards have processed `min_position`; a unit account reads only its own units."""
    unit = services.app.read_unit(code)
    if not may_read(actor, code):
        raise ApiError(404, "not_found", f"unit {code!r} not found")
    lineage = services.app.lineage_of_year(code, year)
    (row,) = scorecards_of(services).for_units(year, today(), {code: tuple(lineage)})
    row["name"] = unit.name  # the unit's own events: current even before the directory
    return UnitYear(services, code, year, row, lineage)


UnitYearDep = Annotated[UnitYear, Depends(unit_year)]


@router.get("/api/v1/units/{code}/scorecard", response_model=Scorecard)
def unit_scorecard(card: UnitYearDep) -> dict[str, Any]:
    """The unit's scorecard for the year, with the records of the units merged into it."""
    return card.row


@router.get("/api/v1/units/{code}/year-end-score", response_model=YearEndScore)
def unit_year_end_score(card: UnitYearDep) -> dict[str, Any]:
    """年终综合考评: 台账完成度 (the mean share done of the work items the unit leads),
    督查整改 (its findings closed on time, of those closed) and 考评得分 (the mean score of its
    evaluated work items), weighted by the year's scheme (30/30/40 until it sets its own)."""
    services, code, year, row = card.services, card.code, card.year, card.row
    on_time = row["on_time_rate"]
    parts = {
        "ledger": services.ledger.completion(card.lineage, year),
        "supervision": None if on_time is None else round(100 * on_time, 2),
        "evaluation": row["mean_work_item_score"],
    }
    weights = services.app.get_evaluation_scheme(year)["weights"]
    score, used = year_end_score(parts, weights)
    return {
        "code": code,
        "name": row["name"],
        "year": year,
        "parts": parts,
        "weights": weights,
        "weights_used": used,
        "score": score,
    }
