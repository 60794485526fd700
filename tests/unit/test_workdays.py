"""Working days follow the State Council's calendar, 调休 make-up Saturdays included."""

from __future__ import annotations

from datetime import date

import pytest

from infra.workdays import WorkingDays

DAYS = WorkingDays()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # Saturday, a make-up working day (调休)
        (date(2026, 2, 16), False),  # Monday, the holiday
        (date(2026, 2, 23), False),  # Monday, still the holiday
        (date(2026, 2, 28), True),  # Saturday, made up after it
        (date(2026, 3, 1), False),  # an ordinary Sunday
        (date(2026, 10, 1), False),  # National Day
    ],
)
def test_a_day_is_a_working_day_as_the_state_council_says(day: date, working: bool) -> None:
    assert DAYS.is_working_day(day) is working


def test_two_working_days_after_the_eve_of_the_spring_festival_fall_after_it() -> None:
    # Friday 13 Feb: Saturday 14 is made up, then the holiday runs to Monday 23 Feb.
    assert DAYS.add(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert DAYS.add(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert DAYS.add(date(2026, 2, 24), -2) == date(2026, 2, 13)
    assert DAYS.add(date(2026, 2, 24), 0) == date(2026, 2, 24)


def test_working_days_between_two_dates_count_the_later_one_and_not_the_earlier() -> None:
    assert DAYS.between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert DAYS.between(date(2026, 2, 24), date(2026, 2, 13)) == -2
    assert DAYS.between(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_a_year_without_a_published_calendar_counts_monday_to_friday_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    days = WorkingDays()
    assert not days.known(date(2099, 1, 1))
    assert days.is_working_day(date(2099, 1, 2))  # a Friday
    assert not days.is_working_day(date(2099, 1, 3))  # a Saturday
    warned = [r for r in caplog.records if "no holiday calendar" in r.getMessage()]
    assert len(warned) == 1 and warned[0].year == 2099  # type: ignore[attr-defined]
