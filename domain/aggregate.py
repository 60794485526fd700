"""The base of every aggregate: the library's, with events timestamped by the service's clock."""

from __future__ import annotations

from datetime import datetime

from eventsourcing import domain as library

from domain import clock


class Aggregate(library.Aggregate):
    """An aggregate whose events take their time from the process's clock (domain/clock.py)."""

    class Event(library.Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            """When the event occurred: the clock's instant, aware and in UTC, so it is stored
            exactly as the library's own timestamp was."""
            return clock.now()

    class Created(Event, library.Aggregate.Created):
        pass
