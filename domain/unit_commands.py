"""The commands on a unit, as messages (domain/messages.py); a unit is
named by its code, its aggregate's id derived from it (`Unit.create_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.messages import Command, command
from domain.units import Unit
from domain.vocabulary import Role


@command(roles=(Role.ADMIN,), handler="do_register_unit", path="/units", status=201)
@dataclass(frozen=True)
class RegisterUnit(Command):
    """Register a unit (a duplicate code is a 409 `already_exists`)."""

    code: str
    name: str
    kind: str


@command(roles=(Role.ADMIN,), handler="do_merge_unit", path="/units/{code}/merger")
@dataclass(frozen=True)
class MergeUnit(Command):
    """Merge a unit into its successor (机构改革)."""

    code: str
    into: str
    reason: str
    effective_on: date


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
