"""The reminder rules (domain/reminders.py) in working days, across the 2026 Spring Festival
(holiday 15–23 February; Saturday 14 and Saturday 28 February are 调休 working days)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.reminders import Due, Facts, Policy, due_reminders
from domain.vocabulary import ReminderKind as K
from infra.workdays import WorkingDays

CALENDAR = WorkingDays()
ORDERED = date(2026, 2, 13)  # a Friday, the last working day but one before the holiday
FACTS = Facts(
    ORDERED, deadline=date(2026, 2, 26), severity="major", acknowledged=False, sent=frozenset()
)


def due(today: date, facts: Facts = FACTS, policy: Policy = Policy()) -> list[Due]:
    return due_reminders(facts, today, CALENDAR, policy)


def test_each_rule_falls_on_its_working_day_across_the_spring_festival() -> None:
    # 3 working days back: the 调休 Saturday (a run this late no longer announces it: below)
    assert due(date(2026, 2, 25))[0] == Due("near@2026-02-26", K.NEAR, date(2026, 2, 14))
    assert due(date(2026, 3, 4)) == [
        Due("acknowledge@2026-02-13", K.ACKNOWLEDGE, date(2026, 2, 24)),  # 2 working days on
        Due("due@2026-02-26", K.DUE, date(2026, 2, 26)),
        Due("overdue:1@2026-02-26", K.OVERDUE, date(2026, 3, 2)),  # 27th, Saturday 28th, 2nd
        Due("escalation@2026-02-26", K.ESCALATION, date(2026, 3, 2)),  # the third 催办
    ]


@pytest.mark.parametrize(
    ("today", "rules"),
    [
        pytest.param(date(2026, 2, 13), [], id="the-day-of-the-order"),
        pytest.param(date(2026, 2, 20), ["near@2026-02-26"], id="in-the-holiday"),
        pytest.param(
            date(2026, 2, 24), ["near@2026-02-26", "acknowledge@2026-02-13"], id="back-at-work"
        ),
    ],
)
def test_a_reminder_is_due_only_from_its_day(today: date, rules: list[str]) -> None:
    assert [d.rule for d in due(today)] == rules


def test_what_a_finding_recorded_is_not_due_again_and_a_signed_order_is_not_chased() -> None:
    everything = frozenset(d.rule for d in due(date(2026, 3, 4)))
    recorded = Facts(**{**vars(FACTS), "sent": everything})
    assert due(date(2026, 3, 4), recorded) == []
    later = [d.rule for d in due(date(2026, 3, 5), recorded)]
    assert later == ["overdue:2@2026-02-26"]  # three working days after the first
    signed = Facts(**{**vars(FACTS), "acknowledged": True})
    assert "acknowledge@2026-02-13" not in {d.rule for d in due(date(2026, 3, 4), signed)}


def test_a_moved_deadline_starts_its_own_reminders_and_short_notice_has_no_near() -> None:
    moved = Facts(**{**vars(FACTS), "deadline": date(2026, 3, 20), "acknowledged": True})
    assert [d.rule for d in due(date(2026, 3, 19), moved)] == ["near@2026-03-20"]
    assert [d.rule for d in due(date(2026, 3, 20), moved)] == ["due@2026-03-20"]
    short = Facts(**{**vars(FACTS), "deadline": date(2026, 2, 24), "acknowledged": True})
    assert [d.rule for d in due(date(2026, 2, 24), short)] == ["due@2026-02-24"]


def test_the_numbers_are_the_policys() -> None:
    strict = Policy(
        acknowledge_within=1, near_before={"major": 1}, overdue_every=1, escalate_after=9
    )
    assert [d.rule for d in due(date(2026, 2, 25), policy=strict)][-1] == "near@2026-02-26"
    rules = [d.rule for d in due(date(2026, 2, 27), policy=strict)]
    assert rules == [
        "acknowledge@2026-02-13",  # the Saturday make-up day
        "due@2026-02-26",
        "overdue:1@2026-02-26",
    ]


def test_a_disputed_order_is_not_chased_for_signing_while_the_inspector_answers() -> None:
    disputed = Facts(**{**vars(FACTS), "disputed": True})
    assert "acknowledge@2026-02-13" not in {d.rule for d in due(date(2026, 3, 4), disputed)}


def test_a_signing_chased_before_the_unit_signed_counts_towards_escalation() -> None:
    """签收催办 on 24 Feb, signed on the 25th; 到期 on the 26th and 逾期 on 2 March make three
    催办: the escalation is due on the day of the third, as for an order never signed."""
    signed = Facts(**{**vars(FACTS), "acknowledged": True, "sent": frozenset(
        {"acknowledge@2026-02-13", "near@2026-02-26"}
    )})  # fmt: skip
    assert due(date(2026, 3, 4), signed) == [
        Due("due@2026-02-26", K.DUE, date(2026, 2, 26)),
        Due("overdue:1@2026-02-26", K.OVERDUE, date(2026, 3, 2)),
        Due("escalation@2026-02-26", K.ESCALATION, date(2026, 3, 2)),
    ]


def test_a_late_run_does_not_announce_a_deadline_already_reached() -> None:
    assert "near@2026-02-26" in {d.rule for d in due(date(2026, 2, 25))}
    assert "near@2026-02-26" not in {d.rule for d in due(date(2026, 2, 26))}


def test_nothing_is_due_on_a_day_before_the_order() -> None:
    late_order = Facts(**{**vars(FACTS), "ordered_on": date(2026, 3, 10)})
    assert due(date(2026, 3, 4), late_order) == []


def test_the_day_a_deadline_runs_to_may_be_given() -> None:
    """The finding board keeps a deadline in a year with no published calendar as it is; the
    rules then count from the same day (a Saturday here) instead of their fallback."""
    saturday = Facts(**{**vars(FACTS), "deadline": date(2026, 3, 7), "runs_to": date(2026, 3, 7)})
    assert Due("due@2026-03-07", K.DUE, date(2026, 3, 7)) in due(date(2026, 3, 7), saturday)
    assert [d.rule for d in due(date(2026, 3, 7)) if d.kind is K.DUE] == ["due@2026-02-26"]


def test_a_series_that_fell_due_before_the_order_gives_only_its_latest_reminder() -> None:
    """A deadline already past when the order is given (a late-entered ledger): of its 到期
    and 逾期催办 by the order day only the latest is due, on that day; the series goes on
    from there, and 提级 counts the 催办 actually sent."""
    late = Facts(**{**vars(FACTS), "ordered_on": date(2026, 3, 19), "acknowledged": True})
    # runs to 26 Feb; 逾期 on 2, 5, 10, 13 and 18 March (the fifth): the order on the 19th
    assert due(date(2026, 3, 19), late) == [
        Due("overdue:5@2026-02-26", K.OVERDUE, date(2026, 3, 19))
    ]
    told = Facts(**{**vars(late), "sent": frozenset({"overdue:5@2026-02-26"})})
    assert due(date(2026, 3, 20), told) == []
    assert [d.rule for d in due(date(2026, 3, 30), told)] == [
        "overdue:6@2026-02-26",  # 23 March
        "overdue:7@2026-02-26",  # 26 March
        "escalation@2026-02-26",  # the third 催办 sent
    ]
    # A deadline that ran out before the order, with no 逾期 yet: its 到期催办 keeps its day
    just = Facts(**{**vars(late), "ordered_on": date(2026, 2, 27)})
    assert due(date(2026, 2, 27), just) == [Due("due@2026-02-26", K.DUE, date(2026, 2, 26))]


def test_a_report_sent_back_or_an_order_given_anew_after_the_deadline_gives_one_reminder() -> None:
    """Sent back (验收退回) on 19 March with the deadline of 26 February, the reminders of
    the weeks the report waited are not sent: one 逾期催办 on that day; so for a reopening
    (its day is the order's, given anew), or a deadline moved to a day already past."""
    before = frozenset({"acknowledge@2026-02-13", "near@2026-02-26", "due@2026-02-26"})
    returned = Facts(**{**vars(FACTS), "acknowledged": True, "sent": before,
                        "since": date(2026, 3, 19)})  # fmt: skip
    assert due(date(2026, 3, 19), returned) == [
        Due("overdue:5@2026-02-26", K.OVERDUE, date(2026, 3, 19)),
        Due("escalation@2026-02-26", K.ESCALATION, date(2026, 3, 19)),  # 签收, 到期 and this
    ]
    reopened = Facts(**{**vars(FACTS), "ordered_on": date(2026, 3, 19), "sent": before})
    assert [d.rule for d in due(date(2026, 3, 19), reopened)] == ["overdue:5@2026-02-26"]
