"""The service's one clock; business dates are China Standard Time dates (北京时间).

Whatever decides by the time (an event's timestamp, a token's expiry, today's business date
and so whether a deadline has passed) asks the process's current clock here rather than
`datetime.now()`, so that tests and simulations set a clock and move it instead of sleeping.
The current clock is the system clock unless `use()` puts another in its place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from threading import Lock
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain.errors import InvalidValue

CHINA = ZoneInfo("Asia/Shanghai")


class Clock(ABC):
    """A source of the current instant; today's business date in China follows from it."""

    @abstractmethod
    def now(self) -> datetime:
        """The current instant, aware and in UTC."""

    def today(self) -> date:
        """The business date in China at this clock's instant (a new day at 16:00 UTC)."""
        return business_day(self.now())


def cn_date(day: date) -> str:
    """A day as Chinese documents and messages write it: 2026年3月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


def business_day(moment: datetime) -> date:
    """The business date in China of an instant (an event's timestamp is in UTC)."""
    return moment.astimezone(CHINA).date()


class SystemClock(Clock):
    """The computer's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock(Clock):
    """A frozen clock: it stands still until it is set or advanced (tests, simulations)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = Lock()  # the HTTP server's threads read it while a test moves it
        self._now = SYSTEM.now() if start is None else in_utc(start)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> datetime:
        """Put the clock at this instant (it needs a time zone); answers it in UTC."""
        moment = in_utc(moment)
        with self._lock:
            self._now = moment
        return moment

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on (or back, with a negative delta); answers the new instant."""
        with self._lock:
            self._now += delta
            return self._now


class CurrentClock(Clock):
    """Whichever clock the process is using at the moment of asking (see `use`)."""

    def now(self) -> datetime:
        return _current.now()


def in_utc(moment: datetime) -> datetime:
    """The instant in UTC; a time without a time zone names no instant."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


SYSTEM = SystemClock()
CURRENT = CurrentClock()
_current: Clock = SYSTEM
C = TypeVar("C", bound=Clock)


def now() -> datetime:
    """The current instant by the process's clock (aware, UTC)."""
    return _current.now()


def today() -> date:
    """The current business date in China by the process's clock."""
    return _current.today()


def check_done_by_today(day: date, field: str) -> None:
    """The day something was done (found, decided, served, completed, …) is today or before
    it: a record of what has happened cannot lie ahead of the business date."""
    current = _current.today()
    if day > current:
        raise InvalidValue(
            f"{field} {day.isoformat()} is in the future",
            details={field: day.isoformat(), "today": current.isoformat()},
        )


def check_not_before(day: date, earliest: date, field: str, rule: str) -> None:
    """A day that follows another (served after the decision, reported after the plan, …) is
    `earliest` or later; else `rule` is refused, with the day by its field in details."""
    if day < earliest:
        raise InvalidValue(rule, details={field: day.isoformat()})


@contextmanager
def use(clock: C) -> Iterator[C]:
    """Make `clock` the process's clock until the block ends (every thread sees it: the
    service answers requests in threads of its own)."""
    global _current
    if isinstance(clock, CurrentClock):
        raise ValueError("the current clock cannot stand in for itself")
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
