"""Which units a list shows: the filter's unit with the units merged into it, and, for a
unit account, never more than its own unit's lineage (both read from the units' own events,
so a merger counts from the moment it is recorded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.http.presentation import check_query_text, page_out
from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.vocabulary import Role
from projections.paging import Page
from projections.rulings import RulingFilter

NOTHING = None


def unit_codes(services: Services, actor: Actor, unit_code: str | None) -> tuple[str, ...] | None:
    """The unit codes to filter on (() = all units); None when the answer must be empty.
    A code that no unit could have (a NUL character, …) is the client's error, 422."""
    if unit_code is not None:
        check_query_text(unit_code)
    codes = tuple(services.app.lineage(unit_code)) if unit_code else ()
    if actor.role is not Role.UNIT:
        return codes
    own = {actor.unit_code or "", *actor.unit_scope}
    if not codes:
        return tuple(sorted(own))
    visible = tuple(code for code in codes if code in own)  # in the lineage's order
    return visible or NOTHING


def scoped_page(
    services: Services,
    actor: Actor,
    unit_code: str | None,
    fetch: Callable[[tuple[str, ...]], Page],
) -> dict[str, Any]:
    """A list route's answer: one page of what `fetch` finds in the units `unit_codes` gives
    (none: an empty page, and nothing is fetched)."""
    units = unit_codes(services, actor, unit_code)
    return page_out(Page([], None) if units is NOTHING else fetch(units))


def linked_rulings(services: Services, actor: Actor, finding_id: Any) -> list[dict[str, Any]]:
    """The rulings that link a finding, those of them `actor` may read: to a unit, another
    unit's ruling is not there, even on its own finding (one passed to it by 转办 keeps the
    rulings of the unit it came from)."""
    linked = services.rulings.page(RulingFilter(finding_id=finding_id), 500, None).items
    return [ruling for ruling in linked if actor.covers_unit(ruling["unit_code"])]
