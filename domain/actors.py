"""Who did it: every event names its actor (account id, name and role)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """The authenticated account on whose behalf a command runs."""

    id: str
    name: str
    role: Role
    unit_code: str | None = None

    def as_event_data(self) -> dict[str, str]:
        """The actor as stored in every event: {id, name, role}."""
        return {"id": self.id, "name": self.name, "role": self.role.value}


SYSTEM = Actor(id="system", name="系统", role=Role.ADMIN)
