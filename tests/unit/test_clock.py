"""The service's one clock: set and moved by tests, read by events and business dates."""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import pytest
from eventsourcing import domain as library
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex

import domain
from domain import clock
from domain.aggregate import Aggregate
from domain.clock import CURRENT, SYSTEM, SettableClock
from domain.units import Unit

ACTOR = {"id": "admin", "name": "管理员", "role": "admin"}
NOON = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def register(code: str) -> Unit:
    return Unit(code=code, name="县审计局", kind="department", actor=ACTOR)


def test_a_frozen_clock_stands_still_until_it_is_advanced() -> None:
    frozen = SettableClock(NOON)
    assert frozen.now() == frozen.now() == NOON
    assert frozen.advance(timedelta(hours=3)) == NOON + timedelta(hours=3)
    assert frozen.now() == NOON + timedelta(hours=3)


def test_a_clock_set_in_another_offset_answers_the_same_instant_in_utc() -> None:
    frozen = SettableClock(NOON)
    beijing = datetime(2025, 3, 6, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    frozen.set(beijing)
    assert frozen.now() == beijing and frozen.now().tzinfo is UTC


def test_a_clock_refuses_a_time_without_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SettableClock(datetime(2025, 3, 5, 12, 0))


def test_today_in_china_begins_at_sixteen_hundred_utc() -> None:
    frozen = SettableClock(datetime(2025, 3, 5, 15, 59, 59, tzinfo=UTC))
    assert frozen.today() == date(2025, 3, 5)
    frozen.advance(timedelta(seconds=1))
    assert frozen.today() == date(2025, 3, 6)


def test_the_process_reads_the_clock_in_use_and_the_system_clock_after() -> None:
    with clock.use(SettableClock(datetime(2025, 12, 31, 16, 0, tzinfo=UTC))) as frozen:
        assert clock.now() == CURRENT.now() == frozen.now()
        assert clock.today() == CURRENT.today() == date(2026, 1, 1)
    before = SYSTEM.now()
    assert before <= clock.now() <= SYSTEM.now()


def test_events_created_under_a_set_clock_carry_its_time() -> None:
    with clock.use(SettableClock(NOON)) as frozen:
        unit = register("clock-a")
        frozen.advance(timedelta(minutes=5))
        unit.rename(
            name="县审计局（新）", reason="更名", effective_on=date(2025, 3, 5), actor=ACTOR
        )
    created, renamed = unit.collect_events()
    assert created.timestamp == NOON and unit.created_on == NOON
    assert renamed.timestamp == NOON + timedelta(minutes=5) == unit.modified_on


def test_an_event_stamped_by_a_set_clock_is_stored_as_the_library_stamps_one() -> None:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO()):
        transcoder.register(transcoding)
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    with clock.use(SettableClock(NOON + timedelta(microseconds=250))):
        ours = register("clock-b").collect_events()[0]
    theirs = type(ours)(**{**vars(ours), "timestamp": library.datetime_now_with_tzinfo()})
    stored, reference = mapper.to_stored_event(ours), mapper.to_stored_event(theirs)
    stamp, their_stamp = (json.loads(s.state)["timestamp"] for s in (stored, reference))
    assert stamp == {"_type_": "datetime_iso", "_data_": "2025-03-05T12:00:00.000250+00:00"}
    assert stamp.keys() == their_stamp.keys() and their_stamp["_type_"] == "datetime_iso"
    assert stored.topic == reference.topic == "domain.units:Unit.Registered"
    loaded = mapper.to_domain_event(stored)
    assert isinstance(loaded, Unit.Registered)
    assert loaded.timestamp == ours.timestamp and loaded.timestamp.tzinfo == UTC


def test_every_aggregate_of_the_domain_is_stamped_by_the_clock() -> None:
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    ours = [kind for kind in subclasses(library.Aggregate) if kind.__module__.startswith("domain.")]
    assert len(ours) >= 7
    assert all(issubclass(kind, Aggregate) for kind in ours), ours


def subclasses(kind: type) -> set[type]:
    found: set[type] = set(kind.__subclasses__())
    return found.union(*(subclasses(sub) for sub in found))
