"""Unit (责任单位): registered, renamed, merged into a successor (机构改革), dissolved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, UnitInactive
from domain.vocabulary import UnitKind, UnitStatus

UNIT_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/units")
MIN_SPLIT = 2  # 分设: into two units or more


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

    class Split(Aggregate.Event):
        """分设: the unit's duties go to several units; its open records were transferred to
        them (each record's own event), its closed ones stay its own."""

        into: list[str]
        reason: str
        effective_on: date
        actor: dict[str, Any]

    class InternalUnitAdded(Aggregate.Event):
        """内设机构 set up under the unit (a 科室, 中心, 所)."""

        name: str
        actor: dict[str, Any]

    class InternalUnitRemoved(Aggregate.Event):
        name: str
        reason: str
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
        self.split_into: list[str] = []
        self.internal_units: list[str] = []

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
        if not successor.is_active:  # as every command naming a unit that takes no records
            raise UnitInactive(
                f"the successor unit {successor.code!r} is {successor.status.value} and takes "
                "no new records",
                details={
                    "status": successor.status.value,
                    "successor_code": successor.successor_code,
                    "split_into": list(successor.split_into),
                },
            )
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

    def split(
        self, *, into: list[str], reason: str, effective_on: date, actor: dict[str, Any]
    ) -> None:
        """分设: into several active units (checked by the caller), the unit then takes no new
        records (status dissolved, `split_into` naming its successors)."""
        self.check_active("split a unit")
        if len(set(into)) != len(into) or len(into) < MIN_SPLIT or self.code in into:
            raise InvalidValue(
                f"a unit splits into at least {MIN_SPLIT} other units, each named once"
            )
        self._split(into=list(into), reason=reason, effective_on=effective_on, actor=actor)

    @event(Split)
    def _split(
        self, into: list[str], reason: str, effective_on: date, actor: dict[str, Any]
    ) -> None:
        self.status = UnitStatus.DISSOLVED
        self.split_into = list(into)

    def add_internal_unit(self, *, name: str, actor: dict[str, Any]) -> None:
        """设立内设机构 (an active unit's; each name once)."""
        self.check_active("add an internal unit")
        if name.strip() != name or not name:
            raise InvalidValue("an internal unit's name has no surrounding spaces")
        if name in self.internal_units:
            raise AlreadyExists(f"unit {self.code!r} already has an internal unit {name!r}")
        self._internal_unit_added(name=name, actor=actor)

    @event(InternalUnitAdded)
    def _internal_unit_added(self, name: str, actor: dict[str, Any]) -> None:
        self.internal_units.append(name)

    def remove_internal_unit(self, *, name: str, reason: str, actor: dict[str, Any]) -> None:
        """撤销内设机构 (an active unit's, as setting one up)."""
        self.check_active("remove an internal unit")
        if name not in self.internal_units:
            raise InvalidValue(f"unit {self.code!r} has no internal unit {name!r}")
        self._internal_unit_removed(name=name, reason=reason, actor=actor)

    @event(InternalUnitRemoved)
    def _internal_unit_removed(self, name: str, reason: str, actor: dict[str, Any]) -> None:
        self.internal_units.remove(name)

    def check_internal_unit(self, name: str | None) -> None:
        """Once the unit has internal units, a record names one of them (none named is
        refused too); a unit that has set up none takes any name, or none, as before the
        register of internal units."""
        if self.internal_units and name not in self.internal_units:
            said = f"no internal unit {name!r}" if name is not None else "internal units"
            raise InvalidValue(
                f"unit {self.code!r} has {said}: name one of them as internal_unit",
                details={"internal_units": list(self.internal_units)},
            )


class UnitRecords(Protocol):
    """A unit's open records as the read models hold them, current as of the call (the
    composition root gives the application one: api/runtime/directories.py)."""

    def open_records(self, unit_codes: Sequence[str]) -> tuple[list[UUID], list[UUID]]:
        """The units' findings not yet closed or withdrawn, and the open items they lead."""
        ...

    def open_records_if_current(
        self, unit_codes: Sequence[str]
    ) -> tuple[list[UUID], list[UUID]] | None:
        """The same, or None when the read models could not be brought up to date in time
        (the caller, having recorded what it must already, does not wait on them)."""
        ...
