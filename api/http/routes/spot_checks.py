"""一单两库一细则 (task 14's random spot checks of market entities): the 检查对象名录库
(`/api/v1/market-entities`), the 执法检查人员名录库 (`/api/v1/enforcement-officers`), the
随机抽查事项清单 (`/api/v1/spot-check-matters`, published without sign-in) and a matter's
rounds, which are inspection rounds of kind `market_random` (drawn and concluded as every
random round is, under `/api/v1/inspections`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query

from api.http.command_routes import Route, mount
from api.http.deps import Cursor, Limit, Reader, ServicesDep, UnitFilter, reached
from api.http.inspection_schemas import (
    MarketEntityPage,
    MatterCreate,
    MatterPage,
    OfficerPage,
)
from api.http.presentation import check_query_text, page_out
from api.http.routing import Router
from api.runtime.bootstrap import Services
from domain.registry import ListSpotCheckMatter
from domain.spot_checks import LISTED
from domain.vocabulary import EntityKind
from projections.spot_checks import ENTITIES, MATTERS, OFFICERS, DirectoryFilter, SpotCheckView

entities = Router(prefix="/api/v1/market-entities", tags=["spot checks"])
officers = Router(prefix="/api/v1/enforcement-officers", tags=["spot checks"])
matters = Router(prefix="/api/v1/spot-check-matters", tags=["spot checks"])
public_router = Router(prefix="/api/v1/public/spot-check-matters", tags=["public"])

mount(entities, {})  # RegisterMarketEntity, DelistMarketEntity: bodies from their fields
mount(officers, {})  # RegisterOfficer, DelistOfficer
# ListSpotCheckMatter's kinds and industries are lists; WithdrawSpotCheckMatter and
# LaunchSpotCheck take bodies from their fields.
mount(matters, {ListSpotCheckMatter: Route(MatterCreate)})


def directory(services: Services) -> SpotCheckView:
    return services.view("spot_checks", SpotCheckView)


def listed(
    services: Services, table: str, f: DirectoryFilter, limit: int, cursor: str | None
) -> dict[str, Any]:
    """A page of one of the three lists, in the order they were listed."""
    page = directory(services).page(table, f, limit, cursor)
    return page_out(page)


# An entity's or officer's status: still listed, or delisted (移出); a matter's: listed, or
# withdrawn (移出清单).
Status = Annotated[Literal["listed", "delisted"] | None, Query()]
MatterStatus = Annotated[Literal["listed", "withdrawn"] | None, Query()]


@entities.get("", response_model=MarketEntityPage, dependencies=[reached("spot_checks")])
def list_market_entities(
    services: ServicesDep,
    actor: Reader,
    industry: Annotated[str | None, Query(max_length=200)] = None,
    entity_kind: EntityKind | None = None,
    status: Status = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """检查对象名录库: the market entities in the order they were listed, by industry, kind
    and status (`listed`, `delisted`)."""
    if industry is not None:
        check_query_text(industry)
    kind = entity_kind and entity_kind.value
    f = DirectoryFilter(status=status, industry=industry, entity_kind=kind)
    return listed(services, ENTITIES.name, f, limit, cursor)


@officers.get("", response_model=OfficerPage, dependencies=[reached("spot_checks")])
def list_officers(
    services: ServicesDep,
    actor: Reader,
    unit_code: UnitFilter = None,
    status: Status = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """执法检查人员名录库: officers with their unit and 执法证, by unit and status."""
    f = DirectoryFilter(status=status, unit_code=unit_code)
    return listed(services, OFFICERS.name, f, limit, cursor)


@matters.get("", response_model=MatterPage, dependencies=[reached("spot_checks")])
def list_matters(
    services: ServicesDep,
    actor: Reader,
    unit_code: UnitFilter = None,
    status: MatterStatus = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """随机抽查事项清单: every matter with its 细则 and its rounds held, by unit and status
    (`listed`, `withdrawn`)."""
    f = DirectoryFilter(status=status, unit_code=unit_code)
    return listed(services, MATTERS.name, f, limit, cursor)


@public_router.get(
    "", response_model=MatterPage, dependencies=[reached("spot_checks", public=True)]
)
def public_matters(
    services: ServicesDep, unit_code: UnitFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    """随机抽查事项清单公开 (no token): the matters in force with their 细则."""
    f = DirectoryFilter(status=LISTED, unit_code=unit_code)
    return listed(services, MATTERS.name, f, limit, cursor)
