"""A key-work item's responsible leader and milestones (节点), and its colours (红/黄/蓝):
the rules of issue 18 item 2 on the aggregate, without any database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from domain import clock
from domain.deadlines import gravest
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from tests.unit.test_work_items import listed  # due on 31 December 2024

ACTOR = {"id": "a1", "name": "督查员", "role": "inspector"}
LISTED_AT = datetime(2024, 3, 1, 2, 0, tzinfo=clock.CHINA)  # listed on 1 March 2024
DUE = date(2024, 12, 31)


@pytest.fixture
def moment() -> Iterator[clock.SettableClock]:
    with clock.use(clock.SettableClock(LISTED_AT)) as frozen:
        yield frozen


def on(frozen: clock.SettableClock, day: date) -> date:
    frozen.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=clock.CHINA))
    return day


def test_a_leader_is_assigned_and_changed_but_not_assigned_twice(
    moment: clock.SettableClock,
) -> None:
    item = listed()
    assert item.leader is None
    item.assign_leader(leader="副县长 王某", actor=ACTOR)
    item.assign_leader(leader="县长 李某", actor=ACTOR)
    assert item.leader == "县长 李某"
    with pytest.raises(InvalidValue, match="already the item's responsible leader"):
        item.assign_leader(leader="县长 李某", actor=ACTOR)
    assert [type(e).__name__ for e in item.collect_events()][-2:] == ["LeaderAssigned"] * 2


def test_milestones_are_numbered_in_order_and_fall_due_within_the_items_dates(
    moment: clock.SettableClock,
) -> None:
    item = listed()
    item.set_milestone(title="制定方案", due_on=date(2024, 4, 30), leader=None, actor=ACTOR)
    item.set_milestone(title="全面推开", due_on=DUE, leader="副县长 王某", actor=ACTOR)
    assert [(m["number"], m["title"], m["leader"]) for m in item.milestones] == [
        (1, "制定方案", None),
        (2, "全面推开", "副县长 王某"),
    ]
    with pytest.raises(InvalidValue, match="by the item's due date 2024-12-31"):
        item.set_milestone(title="太晚", due_on=DUE + timedelta(days=1), leader=None, actor=ACTOR)
    with pytest.raises(InvalidValue, match="lies before 2024"):
        item.set_milestone(title="太早", due_on=date(2023, 12, 31), leader=None, actor=ACTOR)
    assert len(item.milestones) == 2, "a refused milestone records nothing"


def test_a_milestone_is_reached_once_on_a_day_of_its_year_and_not_in_the_future(
    moment: clock.SettableClock,
) -> None:
    item = listed()
    item.set_milestone(title="制定方案", due_on=date(2024, 4, 30), leader=None, actor=ACTOR)
    on(moment, date(2024, 4, 20))
    with pytest.raises(NotFound, match="the item has no milestone number 2"):
        item.reach_milestone(number=2, reached_on=date(2024, 4, 20), note="", actor=ACTOR)
    with pytest.raises(InvalidValue, match="in the future"):
        item.reach_milestone(number=1, reached_on=date(2024, 4, 21), note="", actor=ACTOR)
    with pytest.raises(InvalidValue, match="lies before 2024"):
        item.reach_milestone(number=1, reached_on=date(2023, 12, 31), note="", actor=ACTOR)
    item.reach_milestone(number=1, reached_on=date(2024, 4, 18), note="方案已印发", actor=ACTOR)
    assert item.milestones[0]["reached_on"] == date(2024, 4, 18)
    assert item.milestones[0]["note"] == "方案已印发"
    with pytest.raises(AlreadyExists, match="reached on 2024-04-18"):
        item.reach_milestone(number=1, reached_on=date(2024, 4, 19), note="", actor=ACTOR)


def test_a_closed_or_cancelled_item_takes_no_leader_and_no_milestone(
    moment: clock.SettableClock,
) -> None:
    item = listed()
    item.set_milestone(title="制定方案", due_on=date(2024, 4, 30), leader=None, actor=ACTOR)
    item.cancel(reason="机构改革后调整", actor=ACTOR)
    with pytest.raises(InvalidTransition):
        item.assign_leader(leader="副县长 王某", actor=ACTOR)
    with pytest.raises(InvalidTransition):
        item.set_milestone(title="再定", due_on=date(2024, 5, 30), leader=None, actor=ACTOR)
    with pytest.raises(InvalidTransition):
        item.reach_milestone(number=1, reached_on=date(2024, 3, 2), note="", actor=ACTOR)


@pytest.mark.parametrize(
    ("today", "percent", "colour"),
    [
        (date(2024, 12, 1), 95, None),  # a month left and on schedule
        (date(2024, 12, 20), 99, "blue"),  # within two weeks
        (date(2024, 12, 29), 99, "yellow"),  # three days or less
        (date(2024, 9, 1), 10, "yellow"),  # 60% of the time gone, 10% done
        (date(2025, 1, 1), 99, "red"),  # past its due date, still open
        (date(2024, 12, 30), 100, None),  # all done, awaiting its evaluation
        (date(2025, 1, 5), 100, None),
    ],
)
def test_an_open_item_goes_blue_yellow_red_by_its_own_due_date(
    moment: clock.SettableClock, today: date, percent: int, colour: str | None
) -> None:
    item = listed()
    on(moment, date(2024, 6, 1))
    item.log_progress(note="推进中", percent=percent, actor=ACTOR)
    assert item.deadline_colour(today) == colour


def test_a_milestone_not_reached_colours_the_item_when_graver(
    moment: clock.SettableClock,
) -> None:
    item = listed()
    item.log_progress(note="推进中", percent=50, actor=ACTOR)
    item.set_milestone(title="制定方案", due_on=date(2024, 4, 30), leader=None, actor=ACTOR)
    first = item.milestones[0]
    assert item.milestone_colour(first, date(2024, 4, 20)) == "blue"
    assert item.milestone_colour(first, date(2024, 4, 28)) == "yellow"
    assert item.deadline_colour(date(2024, 5, 2)) == "red", "the milestone's date passed"
    on(moment, date(2024, 5, 3))
    item.reach_milestone(number=1, reached_on=date(2024, 5, 3), note="补齐", actor=ACTOR)
    assert item.milestone_colour(item.milestones[0], date(2024, 5, 3)) is None
    assert item.deadline_colour(date(2024, 5, 3)) is None, "reached: the item's own colour"
    item.evaluate(score=95, grade="excellent", comment="", actor=ACTOR)
    assert item.deadline_colour(date(2025, 3, 1)) is None, "an evaluated item has none"


def test_the_gravest_colour_wins() -> None:
    assert gravest([None, "blue", "yellow"]) == "yellow"
    assert gravest(["blue", "red", "yellow"]) == "red"
    assert gravest([None, None]) is None and gravest([]) is None
