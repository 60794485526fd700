"""For any sequence of commands, an accountability or fault-tolerance ruling equals the replay of
its own events, and a command the rules refuse raises a domain error and records nothing.

Each rule also states, from the docstrings of domain/rulings.py, whether its command should be
accepted and which status follows; a published ruling never names the person, a ruling is
appealed at most once, a revoked ruling accepts nothing more, and a published one only its
service and its appeal, while it stands as decided (publication does not take away the right
of appeal; a decision on appeal keeps it published).
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import clock
from domain.errors import DomainError
from domain.rulings import FORMS_FOR, AccountabilityRuling, Ruling, ToleranceRuling, subject_kind
from domain.vocabulary import (
    AccountabilityForm,
    AppealResult,
    RulingStatus,
    ToleranceCriterion,
    ToleranceOutcome,
)
from tests.support import replayed, state

R = RulingStatus
DECIDABLE = (R.PROPOSED, R.APPLIED, R.VERIFIED)
PUBLISHABLE = (R.DECIDED, R.APPEAL_DECIDED)
FINAL = (R.REVOKED,)
PERSON = "张三"
DECIDED_ON = date(2024, 6, 3)
ACTORS = st.sampled_from(
    [
        {"id": "i1", "name": "督查员", "role": "inspector"},
        {"id": "a1", "name": "决定机关", "role": "authority"},
        {"id": "u1", "name": "联络员", "role": "unit"},
    ]
)
SUBJECTS = st.sampled_from(
    [
        {"unit_code": "fgj", "person": {"name": PERSON, "position": "副局长"}},
        {"unit_code": "fgj"},
    ]
)
FINDING_IDS = st.lists(st.uuids(), max_size=2)
DATES = st.integers(min_value=-30, max_value=30).map(lambda d: DECIDED_ON + timedelta(days=d))
TEXT = st.text(max_size=10)
TAGS = st.lists(st.sampled_from(["作风", "审批", "试点"]), max_size=4)
# A summary is text, with the person's name in the middle or not.
SUMMARIES = st.tuples(TEXT, st.booleans(), TEXT)
VALID_FORMS = st.sampled_from(list(AccountabilityForm)).map(str)
FORMS = st.sampled_from([*AccountabilityForm, "bogus", ""]).map(str)
RESULTS = st.sampled_from([*AppealResult, "bogus"]).map(str)
OUTCOMES = st.sampled_from([*ToleranceOutcome, "bogus"]).map(str)
CRITERIA = st.lists(st.sampled_from([*ToleranceCriterion, "bogus"]).map(str), max_size=3)
CLAIMED = st.lists(st.sampled_from(list(ToleranceCriterion)).map(str), max_size=3)
MET = st.lists(st.sampled_from(list(ToleranceCriterion)).map(str), min_size=1, max_size=3)
# Well-formed arguments part of the time, anything at all (bad combinations included) otherwise.
DECISIONS = st.one_of(
    st.tuples(st.sampled_from(["exempted", "mitigated"]), MET),
    st.tuples(st.just("denied"), st.just([])),
    st.tuples(OUTCOMES, CRITERIA),
)
FORM_APPEALS = st.one_of(
    st.tuples(st.just("modified"), VALID_FORMS),
    st.tuples(RESULTS, st.none() | FORMS),
)
OUTCOME_APPEALS = st.one_of(
    DECISIONS.map(lambda decision: ("modified", *decision)),
    st.tuples(RESULTS, st.none() | OUTCOMES, st.none() | CRITERIA),
)


def valid(enum: Any, code: str) -> bool:
    return code in {member.value for member in enum}


def tolerance_outcome_ok(outcome: str, criteria: list[str]) -> bool:
    """Exempted or mitigated names at least one criterion met; denied names none."""
    if not valid(ToleranceOutcome, outcome):
        return False
    if not all(valid(ToleranceCriterion, c) for c in criteria):
        return False
    return (outcome == ToleranceOutcome.DENIED) == (not criteria)


def appeal_becomes(result: str, published: bool) -> RulingStatus:
    if result == AppealResult.REVOKED:
        return R.REVOKED
    return R.PUBLISHED if published else R.APPEAL_DECIDED


class RulingMachine(RuleBasedStateMachine):
    """The lifecycle both kinds share; each kind adds its opening, decision and appeal rules."""

    ruling: Ruling
    events: list[Any]
    person: str | None

    def open(self, ruling: Ruling) -> None:
        self.ruling = ruling
        self.events = list(ruling.collect_events())
        self.person = (ruling.subject.get("person") or {}).get("name")

    def attempt(self, command: Any, accepted: bool, becomes: RulingStatus, **kwargs: Any) -> None:
        """Run a command; `accepted` and `becomes` are what the docstrings say should happen."""
        was = self.ruling.status
        published_on_appeal = was is R.PUBLISHED and self.ruling.appeal is not None
        before = copy.deepcopy(state(self.ruling))
        try:
            command(**kwargs)
        except DomainError:
            assert not accepted, f"a command the rules allow was refused while {was}"
            assert self.ruling.collect_events() == [], "a refused command recorded an event"
            assert state(self.ruling) == before, "a refused command changed the state"
        else:
            assert was not in FINAL, f"a {was} ruling accepted a command"
            assert not published_on_appeal, "a ruling published on appeal accepted a command"
            assert accepted, f"a command the rules refuse was accepted while {was}"
            new = self.ruling.collect_events()
            assert len(new) == 1
            assert new[0].actor == kwargs["actor"]
            now = self.ruling.status
            assert now is becomes, f"{was} became {now}, not {becomes}"
            self.events.extend(new)

    @rule(comment=TEXT, actor=ACTORS)
    def verify(self, comment: str, actor: dict[str, Any]) -> None:
        accepted = self.ruling.status in (R.PROPOSED, R.APPLIED)
        self.attempt(self.ruling.verify, accepted, R.VERIFIED, comment=comment, actor=actor)

    @rule(grounds=TEXT, actor=ACTORS)
    def lodge_appeal(self, grounds: str, actor: dict[str, Any]) -> None:
        """Taken once from a decision; once it is served, only within the month after."""
        served = self.ruling.service
        in_time = served is None or clock.today() <= served["appeal_by"]
        accepted = self.stands_as_decided() and self.ruling.appeal is None and in_time
        self.attempt(self.ruling.lodge_appeal, accepted, R.APPEALED, grounds=grounds, actor=actor)

    @rule(served_on=DATES | st.just(clock.today()), actor=ACTORS)
    def serve(self, served_on: date, actor: dict[str, Any]) -> None:
        """送达: once, on a decided ruling (published or not, before any appeal), not before its
        decision nor after today."""
        ruling = self.ruling
        decided_on = (ruling.decision or {}).get("decided_on")
        accepted = self.stands_as_decided() and ruling.service is None
        accepted = accepted and decided_on is not None and decided_on <= served_on <= clock.today()
        self.attempt(ruling.serve, accepted, ruling.status, served_on=served_on, served_to="本人",
                     actor=actor)  # fmt: skip
        if accepted:
            assert ruling.service is not None and ruling.service["served_on"] == served_on

    def stands_as_decided(self) -> bool:
        """Decided, or published straight from the decision (no appeal yet)."""
        status = self.ruling.status
        return status is R.DECIDED or (status is R.PUBLISHED and self.ruling.appeal is None)

    @rule(statement=TEXT, made_on=DATES, actor=ACTORS)
    def record_statement(self, statement: str, made_on: date, actor: dict[str, Any]) -> None:
        """陈述申辩: an accountability ruling hears it before its decision; a fault-tolerance
        ruling never."""
        ruling = self.ruling
        heard = isinstance(ruling, AccountabilityRuling)
        accepted = heard and ruling.status in (R.PROPOSED, R.VERIFIED)
        self.attempt(ruling.record_statement, accepted, ruling.status, statement=statement,
                     made_on=made_on, actor=actor)  # fmt: skip

    @rule(parts=SUMMARIES, tags=TAGS, actor=ACTORS)
    def publish(self, parts: tuple[str, bool, str], tags: list[str], actor: dict[str, Any]) -> None:
        prefix, naming, suffix = parts
        summary = prefix + (self.person if naming and self.person else "") + suffix
        names_person = bool(self.person) and self.person in summary
        accepted = self.ruling.status in PUBLISHABLE and not names_person
        self.attempt(
            self.ruling.publish, accepted, R.PUBLISHED, summary=summary, tags=tags, actor=actor
        )
        if accepted:
            unique_tags = list(dict.fromkeys(tags))
            assert self.ruling.publication == {"summary": summary, "tags": unique_tags}

    @rule(actor=ACTORS)
    def uphold_on_appeal(self, actor: dict[str, Any]) -> None:
        self.judge_plainly("upheld", actor)

    @rule(actor=ACTORS)
    def revoke_on_appeal(self, actor: dict[str, Any]) -> None:
        self.judge_plainly("revoked", actor)

    @rule(choice=st.integers(min_value=0, max_value=5), actor=ACTORS)
    def advance(self, choice: int, actor: dict[str, Any]) -> None:
        """One well-formed step from wherever the ruling stands, so every status is reached."""
        status = self.ruling.status
        if status in (R.PROPOSED, R.APPLIED) and choice % 2:
            self.verify("核实", actor)
        elif status in DECIDABLE:
            self.decide_validly(choice, actor)
        elif self.stands_as_decided() and choice % 2:
            self.lodge_appeal("申诉", actor)
        elif status is R.APPEALED:
            [self.uphold_on_appeal, self.revoke_on_appeal, self.modify_validly][choice % 3](actor)
        else:
            self.publish(("案例摘要", False, ""), ["作风"], actor)

    def decided(
        self, decide: Any, fits: bool, decided_on: date, actor: dict[str, Any], **decision: Any
    ) -> bool:
        """The kind's `decide` with `decision` (its form, or its outcome and criteria met): the
        rules accept it while the ruling awaits a decision and the decision `fits` the kind."""
        accepted = self.ruling.status in DECIDABLE and fits
        self.attempt(
            decide,
            accepted,
            R.DECIDED,
            reasoning="理由",
            decided_on=decided_on,
            actor=actor,
            **decision,
        )
        return accepted

    def appeal_decided(
        self, decide_appeal: Any, result: str, fits: bool, actor: dict[str, Any], **decision: Any
    ) -> bool:
        """The kind's `decide_appeal` with `result` and what a modification changes: accepted
        on an appealed ruling, for a known result that `fits` the kind."""
        accepted = self.ruling.status is R.APPEALED and valid(AppealResult, result) and fits
        published = self.ruling.publication is not None
        self.attempt(
            decide_appeal,
            accepted,
            appeal_becomes(result, published),
            result=result,
            reasoning="复核",
            actor=actor,
            **decision,
        )
        return accepted

    def decide_validly(self, choice: int, actor: dict[str, Any]) -> None:
        raise NotImplementedError

    def judge_plainly(self, result: str, actor: dict[str, Any]) -> None:
        raise NotImplementedError

    def modify_validly(self, actor: dict[str, Any]) -> None:
        raise NotImplementedError

    @invariant()
    def state_equals_the_replay_of_its_events(self) -> None:
        assert state(replayed(self.events)) == state(self.ruling)

    @invariant()
    def a_published_summary_never_names_the_person(self) -> None:
        if self.ruling.status is R.PUBLISHED:
            assert self.ruling.publication is not None
            assert not (self.person and self.person in self.ruling.publication["summary"])

    @invariant()
    def a_ruling_is_appealed_at_most_once(self) -> None:
        appeals = [e for e in self.events if isinstance(e, Ruling.Appealed)]
        assert len(appeals) <= 1


class AccountabilityMachine(RulingMachine):
    @initialize(subject=SUBJECTS, finding_ids=FINDING_IDS, form=VALID_FORMS)
    def propose(self, subject: dict[str, Any], finding_ids: list[Any], form: str) -> None:
        self.open(
            AccountabilityRuling(
                id=uuid4(),
                subject=subject,
                finding_ids=finding_ids,
                form=form,
                basis="依据",
                facts="事实",
                actor={"id": "i1", "name": "督查员", "role": "inspector"},
            )
        )

    @rule(form=FORMS, decided_on=DATES, actor=ACTORS)
    def decide(self, form: str, decided_on: date, actor: dict[str, Any]) -> None:
        ruling = self.ruling
        assert isinstance(ruling, AccountabilityRuling)
        # A form the subject takes, decided no earlier than any statement heard.
        heard = all(decided_on >= said["made_on"] for said in ruling.statements)
        fits = self.fits(form) and heard
        accepted = self.decided(ruling.decide, fits, decided_on, actor, form=form)
        if accepted:
            assert ruling.form == form

    @rule(appeal=FORM_APPEALS, actor=ACTORS)
    def decide_appeal(self, appeal: tuple[str, str | None], actor: dict[str, Any]) -> None:
        self.judge(*appeal, actor)

    def judge(self, result: str, form: str | None, actor: dict[str, Any]) -> None:
        ruling = self.ruling
        assert isinstance(ruling, AccountabilityRuling)
        old_form = ruling.form
        if result == AppealResult.MODIFIED:
            fits = form is not None and self.fits(form)
        else:
            fits = form is None
        accepted = self.appeal_decided(ruling.decide_appeal, result, fits, actor, form=form)
        if accepted:
            assert ruling.form == (old_form if form is None else form)
            assert ruling.appeal is not None and ruling.appeal["result"] == result

    def fits(self, form: str) -> bool:
        """A form of the vocabulary that the subject's kind (a person, or the unit) takes."""
        allowed = FORMS_FOR[subject_kind(self.ruling.subject)]
        return valid(AccountabilityForm, form) and AccountabilityForm(form) in allowed

    def decide_validly(self, choice: int, actor: dict[str, Any]) -> None:
        allowed = FORMS_FOR[subject_kind(self.ruling.subject)]
        self.decide(allowed[choice % len(allowed)].value, DECIDED_ON, actor)

    def judge_plainly(self, result: str, actor: dict[str, Any]) -> None:
        self.judge(result, None, actor)

    def modify_validly(self, actor: dict[str, Any]) -> None:
        self.judge("modified", "written_inspection", actor)


class ToleranceMachine(RulingMachine):
    @initialize(subject=SUBJECTS, finding_ids=FINDING_IDS, claimed=CLAIMED)
    def apply(self, subject: dict[str, Any], finding_ids: list[Any], claimed: list[str]) -> None:
        self.open(
            ToleranceRuling(
                id=uuid4(),
                subject=subject,
                finding_ids=finding_ids,
                grounds="先行先试",
                criteria_claimed=claimed,
                actor={"id": "u1", "name": "联络员", "role": "unit"},
            )
        )

    @rule(decision=DECISIONS, decided_on=DATES, actor=ACTORS)
    def decide(
        self, decision: tuple[str, list[str]], decided_on: date, actor: dict[str, Any]
    ) -> None:
        outcome, criteria = decision
        ruling = self.ruling
        assert isinstance(ruling, ToleranceRuling)
        fits = tolerance_outcome_ok(outcome, criteria)
        decision = {"outcome": outcome, "criteria_met": criteria}
        accepted = self.decided(ruling.decide, fits, decided_on, actor, **decision)
        if accepted:
            assert (ruling.outcome, ruling.criteria_met) == (outcome, criteria)

    @rule(appeal=OUTCOME_APPEALS, actor=ACTORS)
    def decide_appeal(
        self, appeal: tuple[str, str | None, list[str] | None], actor: dict[str, Any]
    ) -> None:
        self.judge(*appeal, actor)

    def judge(
        self,
        result: str,
        outcome: str | None,
        criteria: list[str] | None,
        actor: dict[str, Any],
    ) -> None:
        ruling = self.ruling
        assert isinstance(ruling, ToleranceRuling)
        old = (ruling.outcome, list(ruling.criteria_met))
        if result == AppealResult.MODIFIED:
            fits = outcome is not None and tolerance_outcome_ok(outcome, criteria or [])
        else:
            fits = outcome is None and not criteria
        decision = {"outcome": outcome, "criteria_met": criteria}
        accepted = self.appeal_decided(ruling.decide_appeal, result, fits, actor, **decision)
        if accepted:
            assert (ruling.outcome, ruling.criteria_met) == (
                old if outcome is None else (outcome, criteria or [])
            )

    def decide_validly(self, choice: int, actor: dict[str, Any]) -> None:
        outcome = list(ToleranceOutcome)[choice % 3]
        met = [c.value for c in ToleranceCriterion][: choice + 1]
        self.decide((outcome.value, [] if outcome == "denied" else met), DECIDED_ON, actor)

    def judge_plainly(self, result: str, actor: dict[str, Any]) -> None:
        self.judge(result, None, None, actor)

    def modify_validly(self, actor: dict[str, Any]) -> None:
        self.judge("modified", "mitigated", ["no_personal_gain"], actor)


RULING_SETTINGS = settings(max_examples=150, stateful_step_count=25, deadline=None)
AccountabilityMachine.TestCase.settings = RULING_SETTINGS
ToleranceMachine.TestCase.settings = RULING_SETTINGS
TestAccountabilityRulingLifecycle = AccountabilityMachine.TestCase
TestToleranceRulingLifecycle = ToleranceMachine.TestCase
