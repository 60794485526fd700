"""The Finding aggregate's lifecycle rules, without any database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from domain import clock
from domain.errors import InvalidDeadline, InvalidTransition, InvalidValue
from domain.findings import Finding
from domain.reminders import runs_to
from domain.vocabulary import FindingStatus
from infra.workdays import WorkingDays
from projections.finding_board import due_by_of
from tests.support import raised_finding, replayed, then

ACTOR = {"id": "a1", "name": "督查员", "role": "inspector"}
UNIT_ACTOR = {"id": "u1", "name": "联络员", "role": "unit"}


def raised(found_on: date = date(2024, 3, 5)) -> Finding:
    return raised_finding(ACTOR, found_on)


def rectifying(deadline: date = date(2024, 4, 1)) -> Finding:
    finding = raised()
    finding.order_rectification(deadline=deadline, requirements="整改", actor=ACTOR)
    return finding


reported = then(
    rectifying,
    lambda finding: finding.report_rectification(summary="已整改", evidence=[], actor=UNIT_ACTOR),
)


def verify(finding: Finding, outcome: str, comment: str, new_deadline: date | None = None) -> None:
    """The inspector's verification of the report, on 2024-03-20."""
    finding.verify(
        outcome=outcome,
        comment=comment,
        new_deadline=new_deadline,
        verified_on=date(2024, 3, 20),
        actor=ACTOR,
    )


def test_a_raised_finding_is_open_and_has_no_deadline() -> None:
    finding = raised()
    assert finding.status is FindingStatus.RAISED and finding.is_open and finding.deadline is None


def test_ordering_rectification_sets_the_deadline_and_moves_to_rectifying() -> None:
    finding = rectifying(date(2024, 4, 1))
    assert finding.status is FindingStatus.RECTIFYING and finding.deadline == date(2024, 4, 1)


def test_a_deadline_may_lie_in_the_past_for_late_entered_ledgers() -> None:
    finding = rectifying(date(2024, 3, 5))
    assert finding.deadline == date(2024, 3, 5)


def test_a_deadline_before_found_on_is_refused() -> None:
    finding = raised(date(2024, 3, 5))
    with pytest.raises(InvalidDeadline):
        finding.order_rectification(deadline=date(2024, 3, 4), requirements="x", actor=ACTOR)
    assert finding.status is FindingStatus.RAISED


def test_accepted_verification_closes_the_finding_on_the_verification_day() -> None:
    finding = reported()
    verify(finding, "accepted", "销号")
    assert finding.status is FindingStatus.CLOSED and finding.closed_on == date(2024, 3, 20)


def test_rejected_report_sends_finding_back_to_rectifying_with_the_new_deadline() -> None:
    finding = reported()
    verify(finding, "rejected", "不充分", new_deadline=date(2024, 5, 1))
    assert finding.status is FindingStatus.RECTIFYING and finding.deadline == date(2024, 5, 1)


def test_an_accepted_verification_takes_no_new_deadline() -> None:
    with pytest.raises(InvalidValue):
        verify(reported(), "accepted", "", new_deadline=date(2024, 5, 1))


def test_a_deadline_extension_must_move_the_deadline_later() -> None:
    finding = rectifying(date(2024, 4, 1))
    with pytest.raises(InvalidDeadline):
        finding.extend_deadline(new_deadline=date(2024, 4, 1), reason="延期", actor=ACTOR)
    finding.extend_deadline(new_deadline=date(2024, 4, 15), reason="延期", actor=ACTOR)
    assert finding.deadline == date(2024, 4, 15)


def test_overdue_means_rectifying_past_the_deadline() -> None:
    finding = rectifying(date(2024, 4, 1))  # a Monday
    assert finding.is_overdue(date(2024, 4, 2))
    assert not finding.is_overdue(date(2024, 4, 1))
    finding.report_rectification(summary="已整改", evidence=[], actor=UNIT_ACTOR)
    assert not finding.is_overdue(date(2024, 4, 2))


def test_a_deadline_on_a_day_off_runs_to_the_next_working_day() -> None:
    days = WorkingDays()
    finding = rectifying(date(2024, 4, 4))  # 清明节 (holiday 4–6 April 2024)
    runs = due_by_of(date(2024, 4, 4))
    assert not finding.is_overdue(date(2024, 4, 7), runs)  # Sunday 7 April: a 调休 working day
    assert finding.is_overdue(date(2024, 4, 8), runs)
    assert due_by_of(date(2099, 12, 26)) is None  # a year whose calendar is not known yet
    assert runs_to(date(2024, 4, 4), days) == date(2024, 4, 7)
    assert runs_to(date(2026, 2, 17), days) == date(2026, 2, 24)  # the Spring Festival
    assert runs_to(date(2026, 2, 14), days) == date(2026, 2, 14)  # a make-up Saturday
    assert runs_to(date(2026, 3, 8), days) == date(2026, 3, 9)  # a Sunday


def test_a_closed_finding_can_be_reopened_but_not_withdrawn() -> None:
    finding = reported()
    verify(finding, "accepted", "")
    with pytest.raises(InvalidTransition):
        finding.withdraw(reason="误报", actor=ACTOR)
    finding.reopen(reason="回头看发现反弹", new_deadline=date(2024, 6, 1), actor=ACTOR)
    assert finding.status is FindingStatus.RECTIFYING and finding.reopen_count == 1
    assert finding.closed_on is None and finding.deadline == date(2024, 6, 1)


def test_a_withdrawn_finding_takes_no_further_command() -> None:
    finding = raised()
    finding.withdraw(reason="误报", actor=ACTOR)
    with pytest.raises(InvalidTransition) as error:
        finding.order_rectification(deadline=date(2024, 4, 1), requirements="x", actor=ACTOR)
    assert error.value.details == {"status": "withdrawn"}


def test_an_amendment_changes_only_the_named_fields_and_refuses_others() -> None:
    finding = raised()
    finding.amend(changes={"severity": "serious", "title": "新标题"}, reason="复核", actor=ACTOR)
    assert finding.severity == "serious" and finding.title == "新标题"
    assert finding.description == "说明"
    with pytest.raises(InvalidValue):
        finding.amend(changes={"status": "closed"}, reason="x", actor=ACTOR)
    with pytest.raises(InvalidValue):
        finding.amend(changes={}, reason="x", actor=ACTOR)


def test_amending_found_on_past_the_deadline_is_refused() -> None:
    finding = rectifying(date(2024, 4, 1))
    with pytest.raises(InvalidDeadline):
        finding.amend(changes={"found_on": date(2024, 4, 2)}, reason="x", actor=ACTOR)


INSTRUCTION = {"leader": "县长 王建国", "instructed_on": "2024-03-01"}


def by_instruction() -> Finding:
    """A finding from 领导批示, naming the leader and the day."""
    return raised_finding(ACTOR, source="leader_instruction", origin=INSTRUCTION)


def test_correcting_the_source_to_one_that_names_no_origin_clears_the_origin() -> None:
    finding = by_instruction()
    finding.amend(changes={"source": "routine_supervision"}, reason="来源登记有误", actor=ACTOR)
    assert finding.source == "routine_supervision" and finding.origin is None
    events = finding.collect_events()
    assert events[-1].changes == {"source": "routine_supervision", "origin": None}
    assert replayed(events).origin is None


def test_an_origin_given_with_a_source_that_names_none_is_still_refused() -> None:
    finding = by_instruction()
    with pytest.raises(InvalidValue, match="names no origin"):
        finding.amend(
            changes={"source": "petition", "origin": INSTRUCTION}, reason="x", actor=ACTOR
        )
    assert finding.source == "leader_instruction" and finding.origin == INSTRUCTION


@pytest.mark.parametrize(
    ("before", "source"),
    [
        pytest.param(raised, "leader_instruction", id="routine-to-an-instruction"),
        pytest.param(by_instruction, "meeting_decision", id="an-instruction-to-a-meeting"),
    ],
)
def test_correcting_the_source_to_one_that_names_an_origin_asks_for_that_origin(
    before: Callable[[], Finding], source: str
) -> None:
    finding = before()
    with pytest.raises(InvalidValue, match="names its origin"):
        finding.amend(changes={"source": source}, reason="来源登记有误", actor=ACTOR)
    meeting = {"meeting": "县政府第12次常务会议", "held_on": date(2024, 3, 4)}
    origin = INSTRUCTION if source == "leader_instruction" else meeting
    finding.amend(changes={"source": source, "origin": origin}, reason="更正", actor=ACTOR)
    kept = {k: str(v) for k, v in origin.items()}  # the day as the event keeps it
    assert finding.source == source and finding.origin == kept


def test_correcting_only_the_day_found_keeps_the_origin_of_an_unchanged_source() -> None:
    finding = by_instruction()
    finding.amend(changes={"found_on": date(2024, 3, 2)}, reason="日期有误", actor=ACTOR)
    assert finding.origin == INSTRUCTION
    assert finding.collect_events()[-1].changes == {"found_on": date(2024, 3, 2)}


def test_escalation_counts_and_keeps_the_status() -> None:
    finding = rectifying()
    finding.escalate(reason="提级督办", actor=ACTOR)
    finding.escalate(reason="再次提级", actor=ACTOR)
    assert finding.escalations == 2 and finding.status is FindingStatus.RECTIFYING


def test_every_event_names_its_actor() -> None:
    finding = reported()
    events = finding.collect_events()
    assert [e.actor for e in events] == [ACTOR, ACTOR, UNIT_ACTOR]  # type: ignore[attr-defined]


def test_a_log_that_reviews_an_application_its_report_had_ended_still_loads() -> None:
    """Before applications lapsed with their round, a log could review (and decide) one after
    the unit's report: such a log replays, the application stays ended, and the unit may
    apply anew once the report is sent back."""
    with clock.use(clock.SettableClock(datetime(2024, 3, 10, 4, tzinfo=clock.CHINA))):
        finding = raised_finding(ACTOR, found_on=date(2024, 3, 5))
        finding.order_rectification(deadline=date(2024, 6, 30), requirements="r", actor=ACTOR)
        finding.apply_for_extension(new_deadline=date(2024, 9, 30), reason="汛期", actor=ACTOR)
        finding.report_rectification(summary="已整改", evidence=[], actor=ACTOR)
        finding.trigger_event(
            Finding.ExtensionReviewed, outcome="forwarded", comment="属实", actor=ACTOR
        )  # as the service recorded it then
        replayed_finding = replayed(finding.collect_events())
        assert replayed_finding.extension is None and finding.extension is None
        finding.verify(outcome="rejected", comment="不到位", new_deadline=None, actor=ACTOR)
        finding.apply_for_extension(new_deadline=date(2024, 8, 31), reason="补充", actor=ACTOR)
        assert finding.extension == {
            "new_deadline": date(2024, 8, 31),
            "reason": "补充",
            "stage": "applied",
        }
