"""约谈 on the Finding aggregate: an open finding takes one, dated between its finding and today."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from domain import clock
from domain.errors import InvalidTransition, InvalidValue
from domain.findings import Finding
from tests.support import raised_finding

ACTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
TODAY = datetime(2024, 6, 1, 4, 0, tzinfo=clock.CHINA)


def interview(finding: Finding, held_on: date) -> None:
    finding.hold_interview(held_on=held_on, interviewee="局长", summary="限期整改", actor=ACTOR)


def test_an_open_finding_records_each_interview_and_stays_in_its_status() -> None:
    with clock.use(clock.SettableClock(TODAY)):
        finding = raised_finding(ACTOR, found_on=date(2024, 3, 5))
        for day in (date(2024, 3, 5), TODAY.date()):
            interview(finding, day)
    assert finding.interviews == 2 and finding.status.value == "raised"
    held = finding.collect_events()[-1]
    assert isinstance(held, Finding.InterviewHeld)
    assert (held.held_on, held.interviewee) == (TODAY.date(), "局长")


@pytest.mark.parametrize(
    "held_on",
    [
        pytest.param(date(2024, 3, 4), id="before-it-was-found"),
        pytest.param(TODAY.date() + timedelta(days=1), id="after-today"),
    ],
)
def test_an_interview_is_dated_between_the_finding_and_today(held_on: date) -> None:
    with clock.use(clock.SettableClock(TODAY)):
        finding = raised_finding(ACTOR, found_on=date(2024, 3, 5))
        with pytest.raises(InvalidValue) as refused:
            interview(finding, held_on)
    assert refused.value.details == {"held_on": held_on.isoformat(), "found_on": "2024-03-05"}
    assert finding.interviews == 0


def test_a_withdrawn_finding_takes_no_interview() -> None:
    finding = raised_finding(ACTOR)
    finding.withdraw(reason="撤回", actor=ACTOR)
    with pytest.raises(InvalidTransition):
        interview(finding, date(2024, 3, 6))
