"""Power and responsibility lists (权力清单、责任清单, task 14): a unit's list is kept by its
liaison, inspectors and administrators (the commands below `/api/v1/power-lists`), and
published (政务公开) without sign-in: the lists in force, and any unit's list as it was at a
version or on a day."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query

from api.documents.excel import every
from api.http.command_routes import mount
from api.http.deps import ServicesDep, reached
from api.http.errors import ApiError
from api.http.presentation import check_time_travel, record_out
from api.http.read_schemas import PowerListIndex, PowerListPublic
from api.http.routing import Router
from api.runtime.bootstrap import Services
from domain.errors import NotFound
from domain.power_lists import PowerList
from domain.vocabulary import PowerKind

router = Router(prefix="/api/v1/power-lists", tags=["power lists"])
public_router = Router(prefix="/api/v1/public/power-lists", tags=["public"])
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]

mount(router, {})  # AddPowerItem, AmendPowerItem, RemovePowerItem: bodies from their fields


def power_list_out(power_list: PowerList) -> dict[str, Any]:
    items = [{**item, "kind_label": PowerKind(item["kind"]).label} for item in power_list.current()]
    return record_out(power_list, {"unit_code": power_list.unit_code, "items": items})


def published(services: Services) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every unit that has a list (directory order), with its list as the API shows it:
    each list loaded once (a county keeps some dozens)."""
    shown = []
    for unit in every(services.directory.units):
        try:
            found = services.app.get_power_list(str(unit["code"]))
        except NotFound:
            continue
        shown.append((unit, power_list_out(found)))
    return shown


def lists(services: Services) -> list[dict[str, Any]]:
    """Every unit that has a list, with the number of its powers in force."""
    return [
        {**shown, "unit_name": unit["name"], "items": len(shown["items"])}
        for unit, shown in published(services)
    ]


@public_router.get(
    "", response_model=PowerListIndex, dependencies=[reached("directory", public=True)]
)
def public_power_lists(services: ServicesDep) -> dict[str, Any]:
    """权力清单公开 (no token): every unit that has a list, with its powers in force."""
    return {"items": lists(services)}


@public_router.get("/{unit_code}", response_model=PowerListPublic)
def public_power_list(
    services: ServicesDep,
    unit_code: Code,
    version: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """One unit's 权力清单 and 责任清单 in force (no token), or as published at `version=N`
    or on `as_of=<time>`: every version it had stays readable."""
    check_time_travel(version, as_of)
    try:
        found = services.app.get_power_list(unit_code, version=version, as_of=as_of)
    except NotFound:
        raise ApiError(404, "not_found", f"unit {unit_code!r} has no power list") from None
    if version is not None and found.version != version:
        raise ApiError(
            404, "not_found", f"the power list of {unit_code!r} has no version {version}"
        )
    return power_list_out(found)
