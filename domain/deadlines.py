"""The 督办 colours of anything with a deadline (docs/scorecards.md): 红 past it, 黄 behind
schedule, 蓝 near. A rectifying finding's colour counts from its order; an open key-work
item's from the day it was listed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from domain.vocabulary import DeadlineColour

# The day a date runs to when it falls on a day off (the finding board's `due_by_of`: the
# next working day), or None for the date itself.
RunsTo = Callable[[date], date | None]


def on_the_day(_: date) -> date | None:
    """A date runs to itself (no calendar at hand)."""
    return None


def past_the_weekend(day: date) -> date:
    """A Saturday or a Sunday runs to the Monday after it: what is known of a year whose
    holidays no calendar holds yet (a last day on a weekend is never the last day)."""
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


NEAR_DAYS = 14  # 蓝: the deadline is within two weeks
BEHIND_DAYS = 3  # 黄: three days or less are left and the unit has not reported
BEHIND_BY = 20  # 黄 too: the progress reported lags the time elapsed by more than 20 points


def colour_of(
    deadline: date,
    today: date,
    started_on: date | None = None,
    percent: int = 0,
    due_by: date | None = None,
) -> str | None:
    """红 past its deadline (or the day it runs to, `due_by`); 黄 behind schedule — three
    days or less left, or the progress reported (0 when none) more than BEHIND_BY points
    behind the share of the time allowed (from `started_on` to the deadline) that has
    passed; 蓝 the deadline within two weeks; else none. Findings and work items alike."""
    if (due_by or deadline) < today:
        return DeadlineColour.RED.value
    if deadline - today <= timedelta(days=BEHIND_DAYS) or behind(
        deadline, today, started_on, percent
    ):
        return DeadlineColour.YELLOW.value
    if deadline - today <= timedelta(days=NEAR_DAYS):
        return DeadlineColour.BLUE.value
    return None


def behind(deadline: date, today: date, started_on: date | None, percent: int) -> bool:
    """The progress lags the elapsed share of the time allowed by more than BEHIND_BY."""
    if started_on is None or deadline <= started_on:
        return False
    elapsed = 100 * (today - started_on).days / (deadline - started_on).days
    return elapsed - percent > BEHIND_BY


SEVERITY = [DeadlineColour.RED.value, DeadlineColour.YELLOW.value, DeadlineColour.BLUE.value]


def gravest(colours: Iterable[str | None]) -> str | None:
    """The gravest of some colours (红, then 黄, then 蓝), or none when none has one."""
    given = set(colours)
    return next((colour for colour in SEVERITY if colour in given), None)
