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

    @classmethod
    def event_classes(cls) -> tuple[type, ...]:
        """Every event class this aggregate stores, with those of its kinds (a ruling's:
        accountability and tolerance): the creation events and each `@event` method's class,
        as the library registers them when the classes are made."""
        kinds = [cls]
        for kind in kinds:  # grows as it goes: every subclass, however deep
            kinds += kind.__subclasses__()
        owners = {(k.__module__, k.__qualname__) for k in kinds}
        concrete = [k for k in kinds if not k.__subclasses__()]  # an abstract kind makes none
        created = [e for k in concrete for e in library._created_event_classes.get(k, [])]
        changed = [
            e
            for e in library.decorated_funcs
            if (e.__module__, e.__qualname__.rpartition(".")[0]) in owners
        ]
        return tuple(created + changed)
