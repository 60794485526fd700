"""A day on which something was done — a finding found, a ruling or a major decision decided, a
decision step done, a decision implemented or corrected, an evaluation reported, a round
concluded — is today or before it: a record of what has happened cannot lie ahead of the
business date (北京时间). Tomorrow is refused naming the field (in the console by its Chinese
name), and records nothing; so is a day before the one it follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from api.console.messages import FIELDS, domain_message
from domain import clock
from domain.errors import InvalidValue
from domain.major_decisions import REQUIRED_STEPS
from tests.support import cases, raised_finding, replayed, then
from tests.unit.test_inspections import drawn
from tests.unit.test_major_decisions import catalogued, implemented, with_steps
from tests.unit.test_rulings import AUTHORITY, INSPECTOR, applied, proposed
from tests.unit.test_rulings import decided as ruling_decided
from tests.unit.test_work_items import listed as work_item_listed

NOW = datetime(2026, 11, 30, 0, 30, tzinfo=clock.CHINA)  # in UTC still 29 November
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
Case = tuple[Callable[[], Any], str, Act]  # the record, the field, the act given a day
IMPLEMENTED: Case = (
    decided,
    "implemented_on",
    lambda d, day: d.implement(implemented_on=day, note="", actor=INSPECTOR),
)
REPORTED: Case = (
    planned,
    "reported_on",
    lambda d, day: d.report_evaluation(
        number=1, score=80, conclusion="c", findings=[], reported_on=day, actor=INSPECTOR
    ),
)
CONCLUDED: Case = (
    drawn,
    "concluded_on",
    lambda i, day: i.conclude(summary="完毕", concluded_on=day, results=[], actor=INSPECTOR),
)
DONE_ON: dict[str, Case] = {
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
    "its 实施日期": IMPLEMENTED,
    "its 纠错日期": (
        implemented,
        "corrected_on",
        lambda d, day: d.correct(reason="r", correction="c", corrected_on=day, actor=INSPECTOR),
    ),
    "an evaluation's 报告日期": REPORTED,
    "a round's 结束日期": CONCLUDED,
}


@pytest.fixture(autouse=True)
def just_after_midnight_in_china() -> Any:
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


def test_a_found_on_corrected_past_the_first_interview_is_refused() -> None:
    """约谈 is held on or after the day the finding was found: a correction of 发现日期 may not
    move it past the first interview recorded."""
    finding = raised_finding(INSPECTOR, found_on=date(2026, 3, 5))
    for held in (date(2026, 3, 20), date(2026, 3, 9)):
        finding.hold_interview(held_on=held, interviewee="局长", summary="约谈", actor=INSPECTOR)
    with pytest.raises(InvalidValue) as refused:
        finding.amend(changes={"found_on": date(2026, 3, 10)}, reason="更正", actor=INSPECTOR)
    assert refused.value.details == {"found_on": "2026-03-10", "held_on": "2026-03-09"}
    assert domain_message(refused.value) == "发现日期不能晚于已记录的约谈日期。"
    finding.amend(changes={"found_on": date(2026, 3, 9)}, reason="更正", actor=INSPECTOR)
    assert finding.found_on == date(2026, 3, 9)
    assert replayed(finding.collect_events()).interviewed_on == date(2026, 3, 9)


def test_a_correction_dated_before_the_decision_is_refused() -> None:
    decision = decided()
    with pytest.raises(InvalidValue) as refused:
        decision.correct(
            reason="r", correction="c", corrected_on=date(2026, 3, 31), actor=INSPECTOR
        )
    assert domain_message(refused.value) == "纠错日期不能早于决策日期。"
    decision.correct(reason="r", correction="c", corrected_on=date(2026, 4, 1), actor=INSPECTOR)
    assert decision.status.value == "corrected"


def test_a_feedback_deadline_before_the_evaluation_was_reported_is_refused() -> None:
    decision = planned()
    decision.report_evaluation(
        number=1, score=70, conclusion="c", findings=[], reported_on=date(2026, 10, 1),
        actor=INSPECTOR,
    )  # fmt: skip
    with pytest.raises(InvalidValue) as refused:
        decision.give_feedback(
            number=1, feedback="f", rectification_required=True, deadline=date(2026, 9, 30),
            actor=INSPECTOR,
        )  # fmt: skip
    assert domain_message(refused.value) == "整改期限不能早于评估报告日期。"
    decision.give_feedback(
        number=1, feedback="f", rectification_required=True, deadline=date(2026, 10, 1),
        actor=INSPECTOR,
    )  # fmt: skip
    assert decision.evaluations[0]["deadline"] == date(2026, 10, 1)


ORDER: dict[str, Case] = {
    "served before the decision": (
        ruling_decided,
        "served_on",
        lambda r, day: r.serve(served_on=day, served_to="张三", actor=AUTHORITY),
    ),
    "影响期 ending before the decision": (
        proposed,
        "effects_until",
        lambda r, day: r.decide(
            form="admonishment",
            reasoning="情节",
            decided_on=date(2024, 6, 3),
            effects_until=day,
            actor=AUTHORITY,
        ),
    ),
    "implemented before the decision": IMPLEMENTED,
    "reported before it was planned": REPORTED,
    "concluded before the period": CONCLUDED,
    "a milestone before the item's year": (
        work_item_listed,
        "due_on",
        lambda w, day: w.set_milestone(title="节点", due_on=day, leader=None, actor=INSPECTOR),
    ),
}


@pytest.mark.parametrize(("build", "field", "act"), cases(ORDER))
def test_a_day_out_of_order_is_refused_naming_its_field(
    build: Callable[[], Any], field: str, act: Act
) -> None:
    """A day before the one it follows (the decision, the plan, the period, the year) names
    itself in the refusal's details, as a day in the future does."""
    record = build()
    before = len(record._pending_events)
    with pytest.raises(InvalidValue) as refused:
        act(record, date(2023, 12, 31))
    assert refused.value.details == {field: "2023-12-31"}
    assert len(record._pending_events) == before
