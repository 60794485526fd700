"""Who did it: every event names its actor (account id, name and role)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """The authenticated account on whose behalf a command runs."""

    id: str
    name: str
    role: Role
    unit_code: str | None = None
    # A unit account's unit and every unit merged into it (机构改革: the successor's
    # records include its predecessors'), filled in by whoever authenticates the account.
    unit_scope: frozenset[str] = frozenset()

    def covers_unit(self, unit_code: str) -> bool:
        """A unit liaison acts only for their own unit (and the units merged into it)."""
        if self.role is not Role.UNIT:
            return True
        return unit_code == self.unit_code or unit_code in self.unit_scope

    def keeps_receipt_of(self, recorded_by: Mapping[str, Any] | None) -> bool:
        """Whose receipts one may have (docs/audit.md §8): auditors and administrators any
        event's, everyone else those of the events they recorded (`recorded_by`: the event's
        stored actor)."""
        if self.role in (Role.AUDITOR, Role.ADMIN):
            return True
        return recorded_by is not None and recorded_by.get("id") == self.id

    def as_event_data(self) -> dict[str, str]:
        """The actor as stored in every event: {id, name, role}."""
        return {"id": self.id, "name": self.name, "role": self.role.value}
