"""Commands as messages: each change to the record is a small immutable type, and one registry
says how it is carried out, who may send it, and what the application calls it.

A command's fields are its contract (签收 is `AcknowledgeOrder(finding_id, note)`). Its
registry entry (`@command(...)`) names:

- `name`: the application's method for it (`Supervision.acknowledge_order(...)`), generated
  from the entry (domain/application.py), so no command is written out twice;
- `aggregate` and `target`: the aggregate it changes and the field naming it; with `method`,
  the aggregate's method it calls with the other fields (and the actor), after the common
  checks (the aggregate exists; a unit account sees only its own units' records);
- or `creates`: the aggregate the command makes, from its fields (with the actor), its id
  from the `target` field when given (else a new one, or the one the aggregate derives);
- or `handler`: a method of the application that does the whole command itself, called with
  the command and a `Sending` (actor, expected version, what the recorder stores): one that
  changes two aggregates, or makes one from fields it reshapes;
- `before`: optionally, a method of the application called with the command's other fields
  before the aggregate is loaded or made (that a record the command cites exists; a creation's
  check also gets the actor); what it answers (a mapping, or None) is added to, or replaces,
  the arguments;
- `roles`: who may send it; the doors (HTTP routes, console forms) refuse the others with
  403, and docs/security.md's matrix is checked against it. The application refuses them
  too, except the administrator, as whom the command line and the imports act;
- `path`: where HTTP clients POST it, below `/api/v1` (`/findings/{finding_id}/escalation`;
  the target's field is named in the path), and `status`, what a success answers (201 where
  the command creates a record).

The HTTP routes (api/http/command_routes.py), the console's forms and the CLI take the same
entries.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.vocabulary import Role

C = TypeVar("C", bound="Command")
PATH_FIELD = re.compile(r"{(\w+)}")  # a field a path names: /findings/{finding_id}/…


@dataclass(frozen=True)
class Command:
    """A request to change the record; its fields are its contract."""

    def fields(self, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
        """The command's fields as keyword arguments (lists stay lists, mappings mappings)."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in without
        }


@dataclass(frozen=True)
class Entry:
    """How one kind of command is carried out (see the module's docstring)."""

    command: type[Command]
    name: str
    roles: tuple[Role, ...]  # in the order a refusal names them
    doc: str
    aggregate: type | None = None
    target: str | None = None
    method: str | None = None
    handler: str | None = None
    creates: type | None = None
    before: str | None = None
    # The aggregate's id from the target field's value (a unit's code: uuid5 of it), or the
    # name of the application's method that finds it (an officer's certificate, any form).
    id_of: Callable[[Any], Any] | str | None = None
    path: str | None = None
    status: int = 200

    @property
    def record_name(self) -> str:
        """How a not-found error names the record (`finding`, `work item`)."""
        made = self.aggregate or self.creates
        return snake(made.__name__).replace("_", " ") if made else "record"

    @property
    def record_field(self) -> str | None:
        """The field naming the record the command changes: its target, or the first field
        its path names (none: the command creates the record)."""
        if self.creates is not None:
            return None
        return self.target or next(iter(self.path_fields), None)

    @property
    def path_fields(self) -> list[str]:
        """The fields the HTTP path names, in order."""
        return PATH_FIELD.findall(self.path or "")

    def __post_init__(self) -> None:
        if [self.method, self.handler, self.creates].count(None) != 2:
            raise TypeError(f"{self.command.__name__}: name one of a method, a handler, a creation")
        if self.method is not None and (self.aggregate is None or self.target is None):
            raise TypeError(f"{self.command.__name__}: a method needs an aggregate and a target")
        fields = {f.name for f in dataclasses.fields(self.command)}
        unknown = set(self.path_fields) - fields
        if unknown:
            raise TypeError(f"{self.command.__name__}: its path names no field {sorted(unknown)}")


REGISTRY: dict[type[Command], Entry] = {}
BY_NAME: dict[str, Entry] = {}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def command(
    *,
    roles: tuple[Role, ...],
    aggregate: type | None = None,
    target: str | None = None,
    method: str | None = None,
    handler: str | None = None,
    creates: type | None = None,
    name: str | None = None,
    id_of: Callable[[Any], Any] | str | None = None,
    before: str | None = None,
    path: str | None = None,
    status: int = 200,
) -> Callable[[type[C]], type[C]]:
    """Register a command type (a frozen dataclass of `Command`); see the module."""

    def register(cls: type[C]) -> type[C]:
        entry = Entry(
            command=cls,
            name=name or snake(cls.__name__),
            roles=tuple(roles),
            doc=(cls.__doc__ or "").strip(),
            aggregate=aggregate,
            target=target,
            method=method,
            handler=handler,
            creates=creates,
            id_of=id_of,
            before=before,
            path=path,
            status=status,
        )
        if cls in REGISTRY or entry.name in BY_NAME:
            raise TypeError(f"{cls.__name__} ({entry.name}) is registered twice")
        REGISTRY[cls] = BY_NAME[entry.name] = entry
        return cls

    return register


def entry_of(cmd: Command) -> Entry:
    try:
        return REGISTRY[type(cmd)]
    except KeyError:
        raise TypeError(f"{type(cmd).__name__} is not a registered command") from None
