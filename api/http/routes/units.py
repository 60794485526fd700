"""Units (责任单位): register, rename, merge (机构改革), read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.http import scoping
from api.http.command_routes import Route, mount
from api.http.deps import (
    Cursor,
    Limit,
    Reader,
    ServicesDep,
    reached,
)
from api.http.errors import ApiError
from api.http.presentation import check_time_travel, event_out
from api.http.read_schemas import EventPage, UnitHistoryPage, UnitPage, UnitPublic
from api.http.schemas import UnitCreate, UnitDissolution, UnitMerger, UnitRenaming
from domain.unit_commands import DissolveUnit, MergeUnit, RegisterUnit, RenameUnit
from domain.units import Unit

router = APIRouter(prefix="/api/v1/units", tags=["units"])

Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def unit_out(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "kind_label": unit.kind.label,
        "status": unit.status.value,
        "successor_code": unit.successor_code,
        "version": unit.version,
    }


@router.get("", response_model=UnitPage, dependencies=[reached("directory")])
def list_units(
    services: ServicesDep,
    actor: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every unit, in the order they were registered."""
    page = services.directory.units(limit, cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/{code}/history", response_model=UnitHistoryPage, dependencies=[reached("unit_history")]
)
def unit_history(
    code: Code,
    services: ServicesDep,
    actor: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every event touching the unit, oldest first, with those of the units merged into it."""
    services.app.read_unit(code)  # kept in memory: only read
    units = scoping.unit_codes(services, actor, code)
    if units is scoping.NOTHING:
        raise ApiError(404, "not_found", f"unit {code!r} not found")
    page = services.history.page(units, limit, cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{code}", response_model=UnitPublic)
def get_unit(
    code: Code,
    services: ServicesDep,
    actor: Reader,
    version: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """One unit, with its status and successor after a merger; or as it was then."""
    check_time_travel(version, as_of)
    unit = services.app.unit_as_of(code, version=version, as_of=as_of)
    if version is not None and unit.version != version:
        raise ApiError(404, "not_found", f"unit {code!r} has no version {version}")
    return unit_out(unit)


@router.get("/{code}/events", response_model=EventPage)
def unit_events(code: Code, services: ServicesDep, actor: Reader) -> dict[str, Any]:
    """The unit's own events, oldest first (registration, renamings, merger, dissolution)."""
    unit = services.app.get_unit(code)
    return {
        "items": [event_out(e) for e in services.app.aggregate_history(unit.id)],
        "next_cursor": None,
    }


BY_CODE: dict[str, Any] = {"code": Code}
mount(
    router,
    {
        RegisterUnit: UnitCreate,
        RenameUnit: Route(UnitRenaming, params=BY_CODE),
        MergeUnit: Route(UnitMerger, params=BY_CODE),
        DissolveUnit: Route(UnitDissolution, params=BY_CODE),
    },
)
