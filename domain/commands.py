"""What every command of the `Supervision` application shares: load, check, change, save.

Each command loads, calls, saves, and answers the aggregate's id, version and position.
Extra keyword arguments to a command are handed to the recorder unchanged (the API uses
them to store an idempotency record in the same transaction as the events).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain import clock
from domain.actors import Actor
from domain.deadlines import RunsTo, on_the_day
from domain.errors import (
    AlreadyExists,
    InvalidValue,
    NotFound,
    PermissionDenied,
    UnitInactive,
    UnknownReference,
    VersionConflict,
)
from domain.messages import REGISTRY, Command, Entry, entry_of, snake
from domain.text import reserved_in
from domain.units import Unit
from domain.vocabulary import Role

A = TypeVar("A", bound=Aggregate)


UNGUARDED_RETRIES = 20


# What every event carries besides what was typed (the library's, and the actor's own).
EVENT_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp"})


class ConcurrentChange(Exception):
    """Another command saved a new version of the aggregate first."""

    def __init__(self, version: int) -> None:
        super().__init__(f"version {version + 1} was recorded by another command first")


class DateAsISO(Transcoding):
    """Business dates (found_on, deadline, effective_on) are stored as YYYY-MM-DD."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class CommandResult:
    """What every command answers: the aggregate's id, its new version, the log position."""

    id: UUID
    version: int
    position: int


@dataclass(frozen=True)
class Sending:
    """What a handler is handed beside its command: who sends it, the version they expect
    (None: no optimistic check) and what the recorder is to store with the events."""

    actor: Actor
    expected_version: int | None = None
    save_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


class Kept(Protocol):
    """Records of one kind kept in memory by key while nothing says one changed (units by
    code, accounts by token hash: api/runtime/kept.py)."""

    def get(self, key: str, load: Callable[[str], Any]) -> Any: ...

    def invalidate(self) -> None: ...


class CommandBase(Application[UUID]):
    """Load → check → change → save, answering id, version and position; unit look-ups."""

    """督查问责: every finding, rectification step and ruling as an immutable event."""

    # Set by the service: what it keeps in memory, by kind of aggregate (a unit's checks and
    # lineages read the units kept; none of them is kept for a command to change). A command
    # of this process that changes one forgets them at once, before answering; the other
    # processes when PostgreSQL notifies them.
    kept: Mapping[type[Aggregate], Kept] = MappingProxyType({})
    # Set by the service: the day a deadline runs to by the working-day calendar (the next
    # working day for one on a day off; None where that year's calendar is not known).
    deadline_runs_to: RunsTo = staticmethod(on_the_day)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- plumbing ---------------------------------------------------------------------------

    def load(self, aggregate_type: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"{aggregate_type.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, aggregate_type):
            raise NotFound(f"{aggregate_type.__name__.lower()} {aggregate_id} not found")
        return aggregate

    def save(self, *objects: Any, **kwargs: Any) -> Any:
        """Every write passes here: nothing typed may carry a reserved character
        (domain/text.py), whichever door it came in by."""
        for obj in objects:
            for event in getattr(obj, "pending_events", ()):
                found = reserved_in(
                    {k: v for k, v in vars(event).items() if k not in EVENT_ENVELOPE}
                )
                if found is not None:
                    where, char = found
                    raise InvalidValue(
                        f"{where} holds {char}, a character reserved for internal use",
                        details={"field": where, "character": char},
                    )
        return super().save(*objects, **kwargs)

    def record(self, *aggregates: Aggregate, **save_kwargs: Any) -> CommandResult:
        """Save and answer for the first aggregate; a lost race on a version is a conflict."""
        try:
            recordings = self.save(*aggregates, **save_kwargs)
        except IntegrityError:
            raise ConcurrentChange(aggregates[0].version - 1) from None
        finally:
            for kind, kept in self.kept.items():
                if any(isinstance(a, kind) for a in aggregates):
                    kept.invalidate()
        main = aggregates[0]
        return CommandResult(main.id, main.version, recordings[-1].notification.id)

    def update(
        self,
        aggregate_type: type[A],
        aggregate_id: UUID,
        expected_version: int | None,
        change: Callable[[A], Sequence[Aggregate] | None],
        *,
        others_lead: bool = False,
        seen_by: Actor | None = None,
        named: str | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """Load, check the expected version, change, save (with any other aggregates the
        change returns, in the same transaction). The answer (and an idempotency record's)
        is the changed aggregate's, or, `others_lead`, the first other's (a record the change
        made: a launch answers with the round it launched).

        `seen_by`: the sender, to whom a record out of their scope is not there (NotFound),
        whatever version they expect: a 409 naming its version would tell them it exists.
        `named`: how NotFound names the record, missing or out of scope (a unit by its code,
        not by the id made of it).

        Without an expected version the client did not ask for optimistic concurrency, so a
        command that loses a race to another one is run again on the newer state (its rules
        are checked again there); with one, the lost race is the client's 409.
        """
        for attempt in range(1, UNGUARDED_RETRIES + 1):
            try:
                aggregate = self.load(aggregate_type, aggregate_id)
            except NotFound:
                if named is None:
                    raise
                raise NotFound(f"{named} not found") from None
            if seen_by is not None and not in_scope(seen_by, aggregate):
                named = named or f"{aggregate_type.__name__.lower()} {aggregate_id}"
                raise NotFound(f"{named} not found")  # as a record that is not there
            if expected_version is not None and expected_version != aggregate.version:
                raise VersionConflict(expected_version, aggregate.version)
            others = change(aggregate) or ()
            saved: tuple[Aggregate, ...] = (
                (*others, aggregate) if others_lead and others else (aggregate, *others)
            )
            try:
                return self.record(*saved, **save_kwargs)
            except ConcurrentChange as conflict:
                if expected_version is not None or attempt == UNGUARDED_RETRIES:
                    raise VersionConflict(expected_version, None) from conflict
                time.sleep(random.uniform(0, 0.002 * attempt))  # spread the next attempts
        raise AssertionError("unreachable")

    # -- commands as messages (domain/messages.py) -------------------------------------------

    if TYPE_CHECKING:  # the methods `install_commands` generates, one per registered command

        def __getattr__(self, name: str) -> Callable[..., CommandResult]: ...

    def handle(
        self,
        cmd: Command,
        *,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """Carry out a registered command: its handler, or load → check → call → save."""
        entry = entry_of(cmd)
        if actor.role not in entry.roles and actor.role is not Role.ADMIN:
            raise PermissionDenied(f"a {actor.role.value} may not {entry.name.replace('_', ' ')}")
        if entry.handler is not None:
            handler = getattr(self, entry.handler)
            result: CommandResult = handler(cmd, Sending(actor, expected_version, save_kwargs))
            return result
        if entry.creates is not None:
            return self.create(entry, cmd, actor, **save_kwargs)
        assert entry.aggregate is not None and entry.target is not None
        assert entry.method is not None
        value = getattr(cmd, entry.target)
        if isinstance(entry.id_of, str):  # the application's method finds the record
            aggregate_id = getattr(self, entry.id_of)(value)
        else:
            aggregate_id = entry.id_of(value) if entry.id_of else value
        arguments = cmd.fields(without=(entry.target,))
        if entry.before is not None:
            arguments |= getattr(self, entry.before)(**arguments) or {}
        method = entry.method

        def change(aggregate: Any) -> Sequence[Aggregate] | None:
            others: Sequence[Aggregate] | None = getattr(aggregate, method)(
                **arguments, actor=actor.as_event_data()
            )
            return others

        named = f"{entry.record_name} {value!r}" if entry.id_of is not None else None
        return self.update(
            entry.aggregate, aggregate_id, expected_version, change, seen_by=actor, named=named,
            **save_kwargs,
        )  # fmt: skip

    def create(self, entry: Entry, cmd: Command, actor: Actor, **save_kwargs: Any) -> CommandResult:
        """Make the aggregate a creating command names from its fields, after its check."""
        assert entry.creates is not None
        arguments = cmd.fields(without=(entry.target,) if entry.target else ())
        if entry.before is not None:
            arguments |= getattr(self, entry.before)(actor=actor, **arguments) or {}
        if entry.target is not None:
            arguments["id"] = getattr(cmd, entry.target) or uuid4()
        aggregate = entry.creates(**arguments, actor=actor.as_event_data())
        try:
            return self.record(aggregate, **save_kwargs)
        except ConcurrentChange:
            raise AlreadyExists(f"{entry.record_name} {aggregate.id} already exists") from None

    # -- units shared by every command ------------------------------------------------------

    def get_unit(self, code: str, version: int | None = None) -> Unit:
        """The unit of this code (at `version`); NotFound names the code, not the id derived
        from it."""
        try:
            return self.load(Unit, Unit.create_id(code), version=version)
        except NotFound:
            raise NotFound(f"unit {code!r} not found") from None

    def read_unit(self, code: str) -> Unit:
        """The unit to read (not to change): kept in memory when the service keeps units."""
        kept = self.kept.get(Unit)
        if kept is None:
            return self.get_unit(code)
        unit: Unit = kept.get(code, self.get_unit)
        return unit

    def active_unit(self, code: str) -> Unit:
        try:
            unit = self.read_unit(code)
        except NotFound:
            raise UnknownReference(f"unit {code!r} does not exist") from None
        if not unit.is_active:
            raise UnitInactive(
                f"unit {code!r} is {unit.status.value} and takes no new records",
                details={
                    "status": unit.status.value,
                    "successor_code": unit.successor_code,
                    "split_into": list(unit.split_into),
                },
            )
        return unit

    def lineage(self, code: str) -> list[str]:
        """The unit and every unit merged into it, directly or through others (机构改革),
        read from the units themselves, so a merger counts from the moment it is recorded."""
        return list(self.lineage_since(code))

    def lineage_since(self, code: str) -> dict[str, date | None]:
        """`lineage` with, for each unit merged in, the day its records become the unit's:
        its merger's effective_on, or the later of the mergers between (None: the unit's
        own). Records before it stay with the predecessor (its history, its scorecards).
        Each unit is read once; an unknown code filters to nothing, rather than failing."""
        since: dict[str, date | None] = {code: None}
        todo = [code]
        while todo:
            current = todo.pop()
            try:
                unit = self.read_unit(current)
            except NotFound:
                continue
            if current != code and unit.merged_on is not None:
                known = since[current]  # its successor's day, set when it was found
                since[current] = unit.merged_on if known is None else max(known, unit.merged_on)
            for code_before in unit.predecessors:
                if code_before not in since:
                    since[code_before] = since[current]
                    todo.append(code_before)
        return since

    def lineage_of_year(self, code: str, year: int) -> list[str]:
        """The codes whose records of `year` are the unit's: its own, and those of the units
        merged into it with effect in that year or before."""
        return of_year(self.lineage_since(code), year)

    def successor_chain(self, code: str) -> list[str]:
        """The unit and the units it was merged into, in order (机构改革 may repeat)."""
        chain = [code]
        unit = self.read_unit(code)
        while unit.successor_code and unit.successor_code not in chain:
            chain.append(unit.successor_code)
            unit = self.read_unit(unit.successor_code)
        return chain

    def get_record(
        self,
        aggregate_type: type[A],
        aggregate_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        viewer: Actor | None = None,
    ) -> A:
        """A record now, at a version, or as it was at a time (time travel); to a viewer whose
        scope it lies outside (another unit's), a record that is not there. The scope is the
        record's as it is now, whichever version is read: after a 转办 the unit that has the
        finding reads its whole course (as its events), and the unit that had it none."""
        if as_of is not None:
            version = self.version_as_of(aggregate_id, as_of)
        record = self.load(aggregate_type, aggregate_id, version=version)
        scoped = record
        if viewer is not None and viewer.role is Role.UNIT and version is not None:
            scoped = self.load(aggregate_type, aggregate_id)
        if viewer is not None and not in_scope(viewer, scoped):
            raise NotFound(
                f"{snake(aggregate_type.__name__).replace('_', ' ')} {aggregate_id} not found"
            )
        return record

    def version_as_of(self, aggregate_id: UUID, as_of: datetime) -> int:
        version = None
        for stored in self.events.get(aggregate_id):
            if getattr(stored, "timestamp", as_of) > as_of:
                break
            version = stored.originator_version
        if version is None:
            raise NotFound(f"{aggregate_id} did not exist at {as_of.isoformat()}")
        return version

    def aggregate_history(self, aggregate_id: UUID) -> list[Any]:
        events = list(self.events.get(aggregate_id))
        if not events:
            raise NotFound(f"{aggregate_id} not found")
        return events


def of_year(since: Mapping[str, date | None], year: int) -> list[str]:
    """The codes of a lineage (`CommandBase.lineage_since`) whose records of `year` are the
    unit's: its own, and those of the units merged into it with effect by then."""
    return [c for c, day in since.items() if day is None or day.year <= year]


def in_scope(actor: Actor, aggregate: Any) -> bool:
    """A unit account acts only on records of its own units (a work item: any of its units);
    another unit's record is, to it, not there."""
    if actor.role is not Role.UNIT:
        return True
    units = aggregate.units() if hasattr(aggregate, "units") else [aggregate.unit_code]
    return any(actor.covers_unit(code) for code in units)


def command_method(entry: Entry) -> Callable[..., CommandResult]:
    """The application's method for a registered command: `app.<name>(target, …, *, fields…,
    actor, expected_version=None, **save_kwargs)`, building the message and handling it; the
    first fields (the record's id, an evaluation's number) may be given by position, or the
    message itself (`app.list_work_item(listing, actor=…)`)."""
    order = [f.name for f in dataclasses.fields(entry.command)]
    fields = set(order)

    def method(self: CommandBase, *args: Any, actor: Actor, **kwargs: Any) -> CommandResult:
        if len(args) == 1 and isinstance(args[0], entry.command):
            return self.handle(args[0], actor=actor, **kwargs)
        if len(args) > len(order):
            raise TypeError(f"{entry.name}() takes at most {len(order)} fields by position")
        kwargs.update(zip(order, args, strict=False))
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in fields}
        return self.handle(entry.command(**given), actor=actor, **kwargs)

    method.__name__ = method.__qualname__ = entry.name
    method.__doc__ = entry.doc
    return method


def install_commands(application: type[CommandBase]) -> None:
    """Give the application a method for every registered command (none written by hand)."""
    for entry in REGISTRY.values():
        if entry.name in vars(application):
            raise TypeError(f"{application.__name__}.{entry.name} is written by hand and generated")
        setattr(application, entry.name, command_method(entry))


def may_see_unit(actor: Actor, unit_code: str) -> bool:
    """A unit liaison sees and reports only on the records of their own unit."""
    return actor.covers_unit(unit_code)


def business_today() -> date:
    return clock.today()


__all__ = ["CommandBase", "CommandResult", "ConcurrentChange", "business_today", "may_see_unit"]
