"""The commands on a unit after it is registered, as messages (domain/messages.py); a unit is
named by its code, its aggregate's id derived from it (`Unit.create_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.messages import Command, command
from domain.units import Unit
from domain.vocabulary import Role

BY_CODE: dict[str, Any] = {
    "roles": (Role.ADMIN,),
    "aggregate": Unit,
    "target": "code",
    "id_of": Unit.create_id,
}


@command(method="rename", **BY_CODE, path="/units/{code}/renaming")
@dataclass(frozen=True)
class RenameUnit(Command):
    """Rename a unit; its code, and so every record pointing at it, stays."""

    code: str
    name: str
    reason: str
    effective_on: date


@command(method="dissolve", **BY_CODE, path="/units/{code}/dissolution")
@dataclass(frozen=True)
class DissolveUnit(Command):
    """撤销: the unit takes no new findings, work items or rulings."""

    code: str
    reason: str
    effective_on: date
