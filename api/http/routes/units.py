"""Units (责任单位): register, rename, merge (机构改革), read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import Path

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
from api.http.presentation import page_out
from api.http.read_schemas import UnitHistoryPage, UnitPage
from api.http.routing import Router
from api.http.schemas import (
    InternalUnit,
    InternalUnitRemoval,
    UnitCreate,
    UnitDissolution,
    UnitMerger,
    UnitRenaming,
    UnitSplit,
)
from domain.clock import CHINA
from domain.registry import (
    AddInternalUnit,
    DissolveUnit,
    MergeUnit,
    RegisterUnit,
    RemoveInternalUnit,
    RenameUnit,
    SplitUnit,
)
from domain.units import Unit

router = Router(prefix="/api/v1/units", tags=["units"])

Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def unit_out(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "kind_label": unit.kind.label,
        "status": unit.status.value,
        "successor_code": unit.successor_code,
        "split_into": unit.split_into,
        "internal_units": unit.internal_units,
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
    return page_out(page)


@router.get(
    "/{code}/history", response_model=UnitHistoryPage, dependencies=[reached("unit_history")]
)
def unit_history(
    code: Code,
    services: ServicesDep,
    actor: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    effective: bool = False,
) -> dict[str, Any]:
    """Every event touching the unit, oldest first, with those of the units merged into it;
    `effective=true`: a merged unit's events only from its merger's `effective_on` on (those
    before stay in its own history)."""
    services.app.read_unit(code)  # kept in memory: only read
    units = scoping.unit_codes(services, actor, code)
    if units is scoping.NOTHING:
        raise ApiError(404, "not_found", f"unit {code!r} not found")
    since = effective_since(services.app.lineage_since(code)) if effective else None
    page = services.history.page(units, limit, cursor, since)
    return page_out(page)


def effective_since(since: Mapping[str, date | None]) -> dict[str, datetime | None]:
    """From when each unit of a lineage (`lineage_since`)'s lines are the unit's: the start,
    in the county's time, of its merger's effective_on (None: the unit's own, always)."""
    return {
        unit: None if day is None else datetime.combine(day, time(), tzinfo=CHINA)
        for unit, day in since.items()
    }


BY_CODE: dict[str, Any] = {"code": Code}
mount(
    router,
    {
        RegisterUnit: UnitCreate,
        RenameUnit: Route(UnitRenaming, params=BY_CODE),
        MergeUnit: Route(UnitMerger, params=BY_CODE),
        DissolveUnit: Route(UnitDissolution, params=BY_CODE),
        SplitUnit: Route(UnitSplit, params=BY_CODE),
        AddInternalUnit: Route(InternalUnit, params=BY_CODE),
        RemoveInternalUnit: Route(InternalUnitRemoval, params=BY_CODE),
    },
)
