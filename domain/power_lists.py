"""PowerList (权力清单 and 责任清单, the seed plan's task 14): a unit's administrative powers,
each with its kind (行政许可, 行政处罚…), its legal basis (设定依据), the internal unit that
exercises it (承办机构) and the responsibilities that go with it (责任事项) — the power list
and the responsibility list as one record per unit.

A list is amended by events (an item added, amended or removed, each with its reason), so
every version it ever had is kept: the list as published on any day is the record as of that
day. An item keeps its number for good; a removed item stays in the record as removed.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.findings import parse
from domain.text import folded
from domain.vocabulary import PowerKind

POWER_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/power-lists")
AMENDABLE = ("name", "kind", "legal_basis", "internal_unit", "responsibilities")


class PowerList(Aggregate):
    """One unit's 权力清单 with its 责任清单."""

    @staticmethod
    def create_id(unit_code: str) -> UUID:
        """A unit has one list: the id is uuid5 of its code."""
        return uuid5(POWER_NAMESPACE, unit_code)

    class Compiled(Aggregate.Created):
        unit_code: str
        actor: dict[str, Any]

    class ItemAdded(Aggregate.Event):
        number: int
        name: str
        kind: str
        legal_basis: str
        internal_unit: str | None
        responsibilities: str
        actor: dict[str, Any]

    class ItemAmended(Aggregate.Event):
        number: int
        changes: dict[str, Any]
        reason: str
        actor: dict[str, Any]

    class ItemRemoved(Aggregate.Event):
        number: int
        reason: str
        actor: dict[str, Any]

    @event(Compiled)
    def __init__(self, *, unit_code: str, actor: dict[str, Any]) -> None:
        self.unit_code = unit_code
        self.items: list[dict[str, Any]] = []

    def current(self) -> list[dict[str, Any]]:
        """The items in force (not removed), by number."""
        return [item for item in self.items if not item["removed"]]

    def in_force(self, number: int) -> dict[str, Any] | None:
        """The item of that number while it is in force; None for one removed or never had."""
        if 1 <= number <= len(self.items) and not self.items[number - 1]["removed"]:
            return self.items[number - 1]
        return None

    def item(self, number: int, action: str) -> dict[str, Any]:
        """An item in force, by its number, to `action`: one the list never had is not found;
        a removed one keeps its number, out of force for good."""
        if not 1 <= number <= len(self.items):
            raise NotFound(f"the list has no item number {number}")
        if self.items[number - 1]["removed"]:
            raise InvalidTransition(f"{action} item {number}", "removed")
        return self.items[number - 1]

    def check_name(self, name: str, number: int | None = None) -> None:
        """A name once among the items in force, however it is spaced, punctuated or typed
        (full-width forms folded): two powers a reader cannot tell apart are one."""
        if any(same_name(i["name"], name) and i["number"] != number for i in self.current()):
            raise AlreadyExists(f"the list already has a power named {name!r}")

    def add_item(
        self,
        *,
        name: str,
        kind: str,
        legal_basis: str,
        responsibilities: str,
        internal_unit: str | None,
        actor: dict[str, Any],
    ) -> None:
        """列入权力事项: the next number; a name once among the items in force, kept without
        the spaces around it."""
        name = name.strip()
        self.check_name(name)
        self._item_added(
            number=len(self.items) + 1,
            name=name,
            kind=parse(PowerKind, kind, "kind").value,
            legal_basis=legal_basis,
            internal_unit=internal_unit,
            responsibilities=responsibilities,
            actor=actor,
        )

    @event(ItemAdded)
    def _item_added(
        self,
        number: int,
        name: str,
        kind: str,
        legal_basis: str,
        internal_unit: str | None,
        responsibilities: str,
        actor: dict[str, Any],
    ) -> None:
        self.items.append(
            {
                "number": number,
                "name": name,
                "kind": kind,
                "legal_basis": legal_basis,
                "internal_unit": internal_unit,
                "responsibilities": responsibilities,
                "removed": False,
            }
        )

    def amend_item(self, *, number: int, reason: str, actor: dict[str, Any], **fields: Any) -> None:
        """调整权力事项: the fields given that differ from the item's (at least one)."""
        found = self.item(number, "amend")
        unknown = sorted(set(fields) - set(AMENDABLE))
        if unknown:
            raise InvalidValue(f"an amendment changes only {', '.join(AMENDABLE)}: {unknown}")
        if isinstance(fields.get("name"), str):
            fields["name"] = fields["name"].strip()
        changes = {k: v for k, v in fields.items() if v is not None and v != found[k]}
        if not changes:
            raise InvalidValue("an amendment must change at least one field of the item")
        if "kind" in changes:
            changes["kind"] = parse(PowerKind, changes["kind"], "kind").value
        if "name" in changes:
            self.check_name(changes["name"], number)
        self._item_amended(number=number, changes=changes, reason=reason, actor=actor)

    @event(ItemAmended)
    def _item_amended(
        self, number: int, changes: dict[str, Any], reason: str, actor: dict[str, Any]
    ) -> None:
        self.items[number - 1].update(changes)

    def remove_item(self, *, number: int, reason: str, actor: dict[str, Any]) -> None:
        """取消权力事项: the item leaves the list in force; the record keeps it."""
        self.item(number, "remove")
        self._item_removed(number=number, reason=reason, actor=actor)

    @event(ItemRemoved)
    def _item_removed(self, number: int, reason: str, actor: dict[str, Any]) -> None:
        self.items[number - 1]["removed"] = True


def same_name(one: str, other: str) -> bool:
    """Two powers' names read alike: the same once folded as names are (full-width forms,
    case, white space and punctuation: domain.text.folded)."""
    return folded(one)[0] == folded(other)[0]
