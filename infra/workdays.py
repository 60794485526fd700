"""Working days in mainland China: the State Council's public holidays and their 调休 make-up
days, as the `chinesecalendar` package keeps them (ADR 021).

A deadline of "N working days" and the reminders before it count these days: a Saturday
that the 国务院办公厅 notice makes a working day (2026-02-14, before the Spring Festival)
counts; a weekday of the holiday does not. For a year the package does not know yet (the
notice for the next year comes out in the autumn), Monday to Friday are working days and a
warning is logged once for that year: the count is then what an office would assume until
the notice is published.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


class WorkingDays:
    """The working-day calendar (one per process; it only reads the package's tables)."""

    def __init__(self) -> None:
        self.unknown_years: set[int] = set()
        # The package's answer for each day asked, None for a year it does not know: the
        # package checks its argument on every call, which a rebuild does a million times.
        self.days: dict[date, bool | None] = {}

    def listed(self, day: date) -> bool | None:
        """The package's answer for `day`, or None for a year it does not know yet."""
        if day in self.days:
            return self.days[day]
        try:
            answer: bool | None = bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            answer = None
        self.days[day] = answer
        return answer

    def is_working_day(self, day: date) -> bool:
        answer = self.listed(day)
        if answer is None:
            if day.year not in self.unknown_years:
                self.unknown_years.add(day.year)
                log.warning(
                    "no holiday calendar for this year yet: Monday to Friday are working days",
                    extra={"year": day.year},
                )
            return day.weekday() < 5
        return answer

    def known(self, day: date) -> bool:
        """Whether the State Council's calendar for the day's year is known."""
        return self.listed(day) is not None

    def add(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (before it, for a negative count); `day`
        itself for 0."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` comes
        first): how many working days `end` lies past `start`."""
        if end < start:
            return -self.between(end, start)
        days, day = 0, start
        while day < end:
            day += timedelta(days=1)
            days += self.is_working_day(day)
        return days


# The process's calendar, for whatever judges a deadline (overdue, the board's colours).
WORKING_DAYS = WorkingDays()
