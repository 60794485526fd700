"""A day on which something was done — a finding found, a ruling or a major decision decided, a
decision step done, a decision implemented or corrected, an evaluation reported, a round
concluded — is today or before it: a record of what has happened cannot lie ahead of the
business date (北京时间). Tomorrow is refused naming the field (in the console by its Chinese
name), and records nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from api.console.messages import FIELDS, domain_message
from domain import clock
from domain.errors import InvalidValue
from domain.major_decisions import REQUIRED_STEPS
from tests.support import cases, raised_finding, then
from tests.unit.test_inspections import drawn
from tests.unit.test_major_decisions import catalogued, implemented, with_steps
from tests.unit.test_rulings import AUTHORITY, INSPECTOR, applied, proposed

NOW = datetime(2026, 11, 30, 23, 30, tzinfo=clock.CHINA)  # half an hour before the next day
TODAY = date(2026, 11, 30)
TOMORROW = TODAY + timedelta(days=1)

decided = then(
    lambda: with_steps(*REQUIRED_STEPS),
    lambda d: d.decide(decided_on=date(2026, 4, 1), summary="通过", actor=INSPECTOR),
)
planned = then(
    implemented,
    lambda d: d.plan_evaluation(
        evaluator="评估中心", scope="实施效果", planned_on=date(2026, 9, 1), actor=INSPECTOR
    ),
)

Act = Callable[[Any, date], object]
DONE_ON: dict[str, tuple[Callable[[], Any], str, Act]] = {
    "a finding's 发现日期, amended": (
        lambda: raised_finding(INSPECTOR),
        "found_on",
        lambda f, day: f.amend(changes={"found_on": day}, reason="更正", actor=INSPECTOR),
    ),
    "an accountability ruling's 决定日期": (
        proposed,
        "decided_on",
        lambda r, day: r.decide(
            form="admonishment", reasoning="情节", decided_on=day, actor=AUTHORITY
        ),
    ),
    "a fault-tolerance ruling's 决定日期": (
        applied,
        "decided_on",
        lambda r, day: r.decide(
            outcome="denied", criteria_met=[], reasoning="不符合", decided_on=day, actor=AUTHORITY
        ),
    ),
    "a decision step's 完成日期": (
        catalogued,
        "done_on",
        lambda d, day: d.record_step(
            step="public_participation", done_on=day, evidence=[], note="", actor=INSPECTOR
        ),
    ),
    "a major decision's 决策日期": (
        lambda: with_steps(*REQUIRED_STEPS),
        "decided_on",
        lambda d, day: d.decide(decided_on=day, summary="通过", actor=INSPECTOR),
    ),
    "its 实施日期": (
        decided,
        "implemented_on",
        lambda d, day: d.implement(implemented_on=day, note="", actor=INSPECTOR),
    ),
    "its 纠错日期": (
        implemented,
        "corrected_on",
        lambda d, day: d.correct(reason="r", correction="c", corrected_on=day, actor=INSPECTOR),
    ),
    "an evaluation's 报告日期": (
        planned,
        "reported_on",
        lambda d, day: d.report_evaluation(
            number=1, score=80, conclusion="c", findings=[], reported_on=day, actor=INSPECTOR
        ),
    ),
    "a round's 结束日期": (
        drawn,
        "concluded_on",
        lambda i, day: i.conclude(summary="完毕", concluded_on=day, results=[], actor=INSPECTOR),
    ),
}


@pytest.fixture(autouse=True)
def late_evening() -> Any:
    with clock.use(clock.SettableClock(NOW)) as frozen:
        yield frozen


@pytest.mark.parametrize(("build", "field", "act"), cases(DONE_ON))
def test_a_day_done_tomorrow_is_refused_naming_the_field_and_records_nothing(
    build: Callable[[], Any], field: str, act: Act
) -> None:
    record = build()
    before = len(record._pending_events)
    with pytest.raises(InvalidValue) as refused:
        act(record, TOMORROW)
    assert refused.value.message == f"{field} {TOMORROW.isoformat()} is in the future"
    assert refused.value.details == {field: "2026-12-01", "today": "2026-11-30"}
    assert len(record._pending_events) == before
    assert domain_message(refused.value) == f"“{FIELDS[field]}”不能晚于今天。"


@pytest.mark.parametrize(("build", "field", "act"), cases(DONE_ON))
def test_a_day_done_today_is_recorded(build: Callable[[], Any], field: str, act: Act) -> None:
    record = build()
    before = len(record._pending_events)
    act(record, TODAY)
    assert len(record._pending_events) == before + 1
