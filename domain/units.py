"""Unit (责任单位): registered, renamed, merged into a successor (机构改革), dissolved."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import InvalidTransition, InvalidValue
from domain.vocabulary import UnitKind, UnitStatus

UNIT_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/units")


class Unit(Aggregate):
    """A responsible unit: a township, subdistrict, county department or agency."""

    @staticmethod
    def create_id(code: str) -> UUID:
        """Units are found by their code: the id is uuid5 of it."""
        return uuid5(UNIT_NAMESPACE, code)

    class Registered(Aggregate.Created):
        code: str
        name: str
        kind: str
        actor: dict[str, Any]

    class Renamed(Aggregate.Event):
        name: str
        reason: str
        effective_on: date
        actor: dict[str, Any]

    class Merged(Aggregate.Event):
        into: str
        reason: str
        effective_on: date
        actor: dict[str, Any]

    class Absorbed(Aggregate.Event):
        predecessor: str
        effective_on: date
        actor: dict[str, Any]

    class Dissolved(Aggregate.Event):
        reason: str
        effective_on: date
        actor: dict[str, Any]

    @event(Registered)
    def __init__(self, *, code: str, name: str, kind: str, actor: dict[str, Any]) -> None:
        self.code = code
        self.name = name
        self.kind = UnitKind(kind)
        self.status = UnitStatus.ACTIVE
        self.successor_code: str | None = None
        self.merged_on: date | None = None  # the merger's effective_on: its records are the
        self.predecessors: list[str] = []  # successor's from that year on

    @property
    def is_active(self) -> bool:
        return self.status is UnitStatus.ACTIVE

    def check_active(self, action: str) -> None:
        if not self.is_active:
            raise InvalidTransition(action, self.status.value)

    def rename(self, *, name: str, reason: str, effective_on: date, actor: dict[str, Any]) -> None:
        """更名: the code stays, so every record keeps pointing at the unit."""
        self.check_active("rename a unit")
        if name == self.name:
            raise InvalidValue(f"the unit is already named {name!r}")
        self._renamed(name=name, reason=reason, effective_on=effective_on, actor=actor)

    @event(Renamed)
    def _renamed(self, name: str, reason: str, effective_on: date, actor: dict[str, Any]) -> None:
        self.name = name

    def merge_into(
        self, *, successor: Unit, reason: str, effective_on: date, actor: dict[str, Any]
    ) -> None:
        """合并: the successor's history then includes this unit's records."""
        self.check_active("merge a unit")
        if successor.code == self.code:
            raise InvalidValue("a unit cannot be merged into itself")
        if not successor.is_active:
            raise InvalidValue(f"the successor unit {successor.code!r} is not active")
        self._merged(into=successor.code, reason=reason, effective_on=effective_on, actor=actor)

    @event(Merged)
    def _merged(self, into: str, reason: str, effective_on: date, actor: dict[str, Any]) -> None:
        self.status = UnitStatus.MERGED
        self.successor_code = into
        self.merged_on = effective_on

    def absorb(self, *, predecessor: str, effective_on: date, actor: dict[str, Any]) -> None:
        """承接: the successor's records include the merged unit's from now on."""
        self._absorbed(predecessor=predecessor, effective_on=effective_on, actor=actor)

    @event(Absorbed)
    def _absorbed(self, predecessor: str, effective_on: date, actor: dict[str, Any]) -> None:
        self.predecessors.append(predecessor)

    def dissolve(self, *, reason: str, effective_on: date, actor: dict[str, Any]) -> None:
        """撤销: the unit takes no new records."""
        self.check_active("dissolve a unit")
        self._dissolved(reason=reason, effective_on=effective_on, actor=actor)

    @event(Dissolved)
    def _dissolved(self, reason: str, effective_on: date, actor: dict[str, Any]) -> None:
        self.status = UnitStatus.DISSOLVED
