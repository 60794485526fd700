"""The WorkItem aggregate's rules: the list, the ledger, the evaluation; without any database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidTransition, InvalidValue
from domain.vocabulary import Grade, WorkItemStatus
from domain.work_items import WorkItem
from projections.finding_board import due_by_of
from projections.work_ledger import first_not_late
from tests.support import then

ACTOR = {"id": "a1", "name": "督查员", "role": "inspector"}
UNIT_ACTOR = {"id": "u1", "name": "联络员", "role": "unit"}
W = WorkItemStatus


def listed() -> WorkItem:
    return WorkItem(
        id=uuid4(),
        title="优化营商环境",
        year=2024,
        lead_unit="fgj",
        co_units=["sjj", "zwb"],
        due_on=date(2024, 12, 31),
        source_ref="新政发〔2018〕46号",
        description=None,
        actor=ACTOR,
    )


in_progress = then(
    listed, lambda item: item.log_progress(note="已启动", percent=10, actor=UNIT_ACTOR)
)
evaluated = then(
    in_progress,
    lambda item: item.evaluate(score=92, grade="excellent", comment="成效明显", actor=ACTOR),
)
closed = then(evaluated, lambda item: item.close(reason="已完成", actor=ACTOR))
cancelled = then(in_progress, lambda item: item.cancel(reason="机构改革后调整", actor=ACTOR))


def test_a_listed_item_starts_at_zero_percent_with_an_empty_ledger() -> None:
    item = listed()
    assert item.status is W.LISTED and item.percent == 0 and item.progress == []
    assert item.evaluation is None and item.closing_reason is None


def test_a_due_date_in_or_after_the_year_is_accepted() -> None:
    assert WorkItem.check_listing(2024, "fgj", ["sjj"], date(2024, 1, 1)) is None
    assert WorkItem.check_listing(2024, "fgj", [], date(2025, 6, 30)) is None


def test_a_due_date_before_the_year_is_refused() -> None:
    with pytest.raises(InvalidValue, match="before the year"):
        WorkItem.check_listing(2024, "fgj", [], date(2023, 12, 31))


def test_the_lead_unit_cannot_also_be_a_co_unit() -> None:
    with pytest.raises(InvalidValue, match="lead unit"):
        WorkItem.check_listing(2024, "fgj", ["sjj", "fgj"], date(2024, 12, 31))


def test_a_co_unit_named_twice_is_refused() -> None:
    with pytest.raises(InvalidValue, match="twice"):
        WorkItem.check_listing(2024, "fgj", ["sjj", "zwb", "sjj"], date(2024, 12, 31))


def test_logging_progress_moves_a_listed_item_to_in_progress() -> None:
    item = listed()
    item.log_progress(note="已启动", percent=10, actor=UNIT_ACTOR)
    assert item.status is W.IN_PROGRESS and item.percent == 10


def test_the_ledger_keeps_its_entries_in_the_order_they_were_logged() -> None:
    item = listed()
    for note, percent in [("启动", 0), ("过半", 55), ("完成", 100)]:
        item.log_progress(note=note, percent=percent, actor=UNIT_ACTOR)
    assert [(e["note"], e["percent"]) for e in item.progress] == [
        ("启动", 0),
        ("过半", 55),
        ("完成", 100),
    ]
    assert item.percent == 100 and item.status is W.IN_PROGRESS


@pytest.mark.parametrize("percent", [101, -1])
def test_progress_outside_0_to_100_is_refused_and_records_nothing(percent: int) -> None:
    item = in_progress()
    item.collect_events()
    with pytest.raises(InvalidValue):
        item.log_progress(note="x", percent=percent, actor=UNIT_ACTOR)
    assert item.collect_events() == []
    assert item.percent == 10 and len(item.progress) == 1


def test_an_evaluation_records_score_and_grade_and_moves_to_evaluated() -> None:
    item = evaluated()
    assert item.status is W.EVALUATED
    assert item.evaluation == {"score": 92, "grade": "excellent", "comment": "成效明显"}


@pytest.mark.parametrize(("score", "grade"), [(0, "fail"), (100, "excellent")])
def test_a_score_of_0_or_100_is_accepted(score: int, grade: str) -> None:
    item = in_progress()
    item.evaluate(score=score, grade=grade, comment="", actor=ACTOR)
    assert item.evaluation is not None and item.evaluation["score"] == score


@pytest.mark.parametrize("score", [-1, 101])
def test_a_score_outside_0_to_100_is_refused(score: int) -> None:
    item = in_progress()
    with pytest.raises(InvalidValue, match="score"):
        item.evaluate(score=score, grade="good", comment="", actor=ACTOR)
    assert item.status is W.IN_PROGRESS and item.evaluation is None


@pytest.mark.parametrize("grade", ["bogus", Grade.EXCELLENT.label, "EXCELLENT", ""])
def test_a_grade_that_is_not_a_grade_code_is_refused(grade: str) -> None:
    item = in_progress()
    with pytest.raises(InvalidValue, match="grade"):
        item.evaluate(score=80, grade=grade, comment="", actor=ACTOR)
    assert item.status is W.IN_PROGRESS and item.evaluation is None


def test_an_item_is_closed_only_after_its_evaluation() -> None:
    for item in (listed(), in_progress()):
        with pytest.raises(InvalidTransition):
            item.close(reason="已完成", actor=ACTOR)
    item = closed()
    assert item.status is W.CLOSED and item.closing_reason == "已完成"


@pytest.mark.parametrize("make", [listed, in_progress])
def test_an_open_item_can_be_cancelled_with_its_reason(make: Callable[[], WorkItem]) -> None:
    item = make()
    item.cancel(reason="取消", actor=ACTOR)
    assert item.status is W.CANCELLED and item.closing_reason == "取消"


def test_an_evaluated_item_can_no_longer_be_cancelled_or_logged() -> None:
    item = evaluated()
    with pytest.raises(InvalidTransition):
        item.cancel(reason="取消", actor=ACTOR)
    with pytest.raises(InvalidTransition):
        item.log_progress(note="补记", percent=100, actor=UNIT_ACTOR)
    with pytest.raises(InvalidTransition):
        item.evaluate(score=50, grade="fail", comment="", actor=ACTOR)
    assert item.status is W.EVALUATED


@pytest.mark.parametrize(("make", "status"), [(closed, "closed"), (cancelled, "cancelled")])
def test_a_closed_or_cancelled_item_takes_no_further_command(
    make: Callable[[], WorkItem], status: str
) -> None:
    item = make()
    item.collect_events()
    commands = [
        lambda: item.log_progress(note="x", percent=50, actor=UNIT_ACTOR),
        lambda: item.evaluate(score=50, grade="pass", comment="", actor=ACTOR),
        lambda: item.close(reason="x", actor=ACTOR),
        lambda: item.cancel(reason="x", actor=ACTOR),
    ]
    for command in commands:
        with pytest.raises(InvalidTransition) as error:
            command()
        assert error.value.details == {"status": status}
    assert item.collect_events() == []


def test_every_event_names_its_actor() -> None:
    item = closed()
    events = item.collect_events()
    assert [type(e).__name__ for e in events] == ["Listed", "ProgressLogged", "Evaluated", "Closed"]
    assert [e.actor for e in events] == [ACTOR, UNIT_ACTOR, ACTOR, ACTOR]  # type: ignore[attr-defined]
    assert item.progress[0]["actor"] == UNIT_ACTOR
    dropped = cancelled().collect_events()[-1]
    assert type(dropped).__name__ == "Cancelled" and dropped.actor == ACTOR  # type: ignore[attr-defined]


def test_an_item_due_on_a_day_off_is_late_only_after_the_working_day_it_runs_to() -> None:
    """As a finding's deadline: due on Saturday 5 December 2026, the item runs to Monday the
    7th; it is 逾期 and 红 from Tuesday, and so is a milestone of the same day."""
    item = WorkItem(
        id=uuid4(), title="颜色", year=2026, lead_unit="fgj", co_units=[],
        due_on=date(2026, 12, 5), source_ref=None, description=None, actor=ACTOR,
    )  # fmt: skip
    item.set_milestone(title="节点", due_on=date(2026, 12, 5), leader=None, actor=ACTOR)
    monday, tuesday = date(2026, 12, 7), date(2026, 12, 8)
    assert item.overdue(monday) and item.deadline_colour(monday) == "red"  # by the date alone
    assert not item.overdue(monday, due_by_of)
    assert item.deadline_colour(monday, due_by_of) == "yellow"
    assert item.milestone_colour(item.milestones[0], monday, due_by_of) == "yellow"
    assert item.overdue(tuesday, due_by_of) and item.deadline_colour(tuesday, due_by_of) == "red"
    assert item.milestone_colour(item.milestones[0], tuesday, due_by_of) == "red"


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 12, 7), date(2026, 12, 5)),  # Monday: Saturday and Sunday not late yet
        (date(2026, 12, 8), date(2026, 12, 8)),
        (date(2026, 10, 8), date(2026, 10, 1)),  # the first working day after National Day
        (date(2026, 10, 9), date(2026, 10, 9)),
    ],
)
def test_the_ledgers_overdue_filter_counts_from_the_day_a_due_date_runs_to(
    today: date, first: date
) -> None:
    assert first_not_late(today) == first
