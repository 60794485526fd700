"""For any sequence of commands, a Finding equals the replay of its own events, and a command
the rules refuse raises a domain error and records nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import clock
from domain.errors import DomainError
from tests.support import raised_finding, replayed, state

FOUND_ON = date(2024, 3, 5)
ACTORS = st.sampled_from(
    [
        {"id": "i1", "name": "督查员", "role": "inspector"},
        {"id": "u1", "name": "联络员", "role": "unit"},
    ]
)
DATES = st.integers(min_value=-30, max_value=400).map(lambda d: FOUND_ON + timedelta(days=d))
TEXT = st.text(min_size=1, max_size=20)
CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "title": TEXT,
        "severity": st.sampled_from(["minor", "major", "serious", "bogus"]),
        "found_on": DATES,
        "status": st.just("closed"),
    },
)


TODAY = datetime(2024, 5, 1, 4, 0, tzinfo=clock.CHINA)  # the business date the rules read
OUTCOMES = st.sampled_from(["forwarded", "refused", "approved", "rejected", "bogus"])


class FindingMachine(RuleBasedStateMachine):
    @initialize(actor=ACTORS)
    def raise_finding(self, actor: dict[str, Any]) -> None:
        self.today = clock.use(clock.SettableClock(TODAY))
        self.today.__enter__()
        self.finding = raised_finding(actor, FOUND_ON)
        self.events = list(self.finding.collect_events())

    def teardown(self) -> None:
        self.today.__exit__(None, None, None)  # initialize always ran: it is the first step

    def attempt(self, command: Any, **kwargs: Any) -> None:
        before = state(self.finding)
        try:
            command(**kwargs)
        except DomainError:
            assert self.finding.collect_events() == [], "a refused command recorded an event"
            assert state(self.finding) == before, "a refused command changed the state"
        else:
            new = self.finding.collect_events()
            assert len(new) == 1
            self.events.extend(new)

    @rule(deadline=DATES, actor=ACTORS)
    def order(self, deadline: date, actor: dict[str, Any]) -> None:
        self.attempt(
            self.finding.order_rectification, deadline=deadline, requirements="r", actor=actor
        )

    @rule(actor=ACTORS)
    def report(self, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.report_rectification, summary="s", evidence=[], actor=actor)

    @rule(outcome=st.sampled_from(["accepted", "rejected"]), new=st.none() | DATES, actor=ACTORS)
    def verify(self, outcome: str, new: date | None, actor: dict[str, Any]) -> None:
        self.attempt(
            self.finding.verify,
            outcome=outcome,
            comment="c",
            new_deadline=new,
            verified_on=FOUND_ON + timedelta(days=10),
            actor=actor,
        )

    @rule(new=DATES, actor=ACTORS)
    def extend(self, new: date, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.extend_deadline, new_deadline=new, reason="r", actor=actor)

    @rule(actor=ACTORS)
    def escalate(self, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.escalate, reason="r", actor=actor)

    @rule(changes=CHANGES, actor=ACTORS)
    def amend(self, changes: dict[str, Any], actor: dict[str, Any]) -> None:
        self.attempt(self.finding.amend, changes=changes, reason="r", actor=actor)

    @rule(actor=ACTORS)
    def withdraw(self, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.withdraw, reason="r", actor=actor)

    @rule(new=st.none() | DATES, actor=ACTORS)
    def reopen(self, new: date | None, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.reopen, reason="r", new_deadline=new, actor=actor)

    # -- the unit's answers and the loop (issue 15) ---------------------------------------

    @rule(actor=ACTORS)
    def acknowledge(self, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.acknowledge_order, note=None, actor=actor)

    @rule(actor=ACTORS)
    def dispute(self, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.dispute_order, reason="r", actor=actor)

    @rule(actor=ACTORS)
    def reject_dispute(self, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.reject_dispute, reason="r", actor=actor)

    @rule(to_unit=st.sampled_from(["fgj", "scjgj", "jyj"]), actor=ACTORS)
    def reassign(self, to_unit: str, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.reassign, to_unit=to_unit, reason="r", actor=actor)

    @rule(percent=st.integers(min_value=-5, max_value=105), actor=ACTORS)
    def progress(self, percent: int, actor: dict[str, Any]) -> None:
        self.attempt(
            self.finding.report_progress, note="n", percent=percent, evidence=[], actor=actor
        )

    @rule(new=DATES, actor=ACTORS)
    def apply_for_extension(self, new: date, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.apply_for_extension, new_deadline=new, reason="r", actor=actor)

    @rule(outcome=OUTCOMES, actor=ACTORS)
    def review_extension(self, outcome: str, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.review_extension, outcome=outcome, comment="c", actor=actor)

    @rule(outcome=OUTCOMES, actor=ACTORS)
    def decide_extension(self, outcome: str, actor: dict[str, Any]) -> None:
        before = self.finding.deadline
        self.attempt(self.finding.decide_extension, outcome=outcome, reason="r", actor=actor)
        after = self.finding.deadline
        assert before is None or (after is not None and after >= before), "a deadline moved back"

    @rule(held_on=DATES, actor=ACTORS)
    def interview(self, held_on: date, actor: dict[str, Any]) -> None:
        self.attempt(
            self.finding.hold_interview,
            held_on=held_on,
            interviewee="局长",
            summary="s",
            actor=actor,
        )

    @rule(
        rule=st.sampled_from(["due@2024-06-30", "near@2024-06-30", "overdue:1@2024-06-30"]),
        kind=st.sampled_from(["due", "near", "overdue", "bogus"]),
        actor=ACTORS,
    )
    def remind(self, rule: str, kind: str, actor: dict[str, Any]) -> None:
        self.attempt(self.finding.remind, rule=rule, kind=kind, due_on=FOUND_ON, actor=actor)

    @invariant()
    def each_reminder_rule_is_recorded_once(self) -> None:
        assert len(set(self.finding.reminded)) == len(self.finding.reminded)

    @invariant()
    def an_answered_order_is_not_also_disputed(self) -> None:
        assert not (self.finding.acknowledged and self.finding.dispute is not None)

    @invariant()
    def only_a_rectifying_finding_has_an_application_or_a_dispute_waiting(self) -> None:
        """A report, a 转办 and a reopening end the round an application or a 退办 was made
        in; and a disputed order is answered before the unit reports."""
        if self.finding.extension is not None or self.finding.dispute is not None:
            assert self.finding.status.value == "rectifying", self.finding.status

    @invariant()
    def state_equals_the_replay_of_its_events(self) -> None:
        assert state(replayed(self.events)) == state(self.finding)

    @invariant()
    def a_deadline_never_lies_before_found_on(self) -> None:
        if self.finding.deadline is not None:
            assert self.finding.deadline >= self.finding.found_on


FindingMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestFindingLifecycle = FindingMachine.TestCase
