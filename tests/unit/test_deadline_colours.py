"""The 督办单's colours (docs/scorecards.md): 红 past the deadline; 黄 three days or less left,
or progress more than 20 points behind the share of the time allowed that has passed; 蓝 the
deadline within two weeks; none for a finding that is not rectifying."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from projections.finding_board import deadline_colour

ORDERED = date(2026, 3, 2)
DEADLINE = ORDERED + timedelta(days=40)


def day(n: int) -> date:
    return ORDERED + timedelta(days=n)


@pytest.mark.parametrize(
    ("today", "percent", "colour"),
    [
        pytest.param(day(2), 0, None, id="just-ordered"),
        pytest.param(day(8), 0, None, id="a-fifth-gone-no-progress-yet"),
        pytest.param(day(9), 0, "yellow", id="more-than-a-fifth-gone-nothing-done"),
        pytest.param(day(20), 40, None, id="half-gone-forty-percent-done"),
        pytest.param(day(20), 29, "yellow", id="half-gone-less-than-thirty-done"),
        pytest.param(day(27), 100, "blue", id="two-weeks-left-done"),
        pytest.param(day(37), 100, "yellow", id="three-days-left"),
        pytest.param(day(41), 100, "red", id="past-the-deadline"),
    ],
)
def test_a_rectifying_findings_colour(today: date, percent: int, colour: str | None) -> None:
    assert deadline_colour("rectifying", DEADLINE, today, ORDERED, percent) == colour


def test_without_the_day_of_the_order_only_the_days_left_count() -> None:
    assert deadline_colour("rectifying", DEADLINE, day(20), None, 0) is None
    assert deadline_colour("rectifying", DEADLINE, day(38), None, 0) == "yellow"


@pytest.mark.parametrize("status", ["raised", "reported", "closed", "withdrawn"])
def test_only_a_rectifying_finding_has_a_colour(status: str) -> None:
    assert deadline_colour(status, DEADLINE, day(41), ORDERED, 0) is None


def test_a_deadline_on_the_day_of_the_order_is_judged_by_the_days_left() -> None:
    assert deadline_colour("rectifying", ORDERED, ORDERED, ORDERED, 0) == "yellow"
