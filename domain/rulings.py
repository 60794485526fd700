"""Rulings: accountability (问责, task 11) and fault tolerance (容错免责, task 12).

Both kinds share a lifecycle: raised (proposed / applied) → verified (optional) → decided by
an authority → appealed once → appeal decided (upheld / modified / revoked) → published to
the case library (容错免责案例库), anonymised.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import InvalidTransition, InvalidValue
from domain.findings import parse
from domain.text import names
from domain.vocabulary import (
    AccountabilityForm,
    AppealResult,
    RulingKind,
    RulingStatus,
    ToleranceCriterion,
    ToleranceOutcome,
)

R = RulingStatus
DECIDABLE = (R.PROPOSED, R.APPLIED, R.VERIFIED)
FINAL = (R.DECIDED, R.APPEAL_DECIDED)


def person_name(subject: dict[str, Any]) -> str | None:
    person = subject.get("person") or {}
    name = person.get("name")
    return str(name) if name else None


class Ruling(Aggregate):
    """What both kinds of ruling share: subject, linked findings, lifecycle."""

    kind: ClassVar[RulingKind]

    class Verified(Aggregate.Event):
        comment: str
        actor: dict[str, Any]

    class Appealed(Aggregate.Event):
        grounds: str
        actor: dict[str, Any]

    class Published(Aggregate.Event):
        summary: str
        tags: list[str]
        actor: dict[str, Any]

    def _open(self, subject: dict[str, Any], finding_ids: list[UUID], status: R) -> None:
        self.subject = subject
        self.finding_ids = list(finding_ids)
        self.status = status
        self.verification: str | None = None
        self.decision: dict[str, Any] | None = None
        self.appeal: dict[str, Any] | None = None
        self.publication: dict[str, Any] | None = None

    @property
    def unit_code(self) -> str:
        return str(self.subject["unit_code"])

    def check_status(self, action: str, *allowed: RulingStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value)

    def verify(self, *, comment: str, actor: dict[str, Any]) -> None:
        """调查核实: the facts checked before the decision."""
        self.check_status("verify", R.PROPOSED, R.APPLIED)
        self._verified(comment=comment, actor=actor)

    @event(Verified)
    def _verified(self, comment: str, actor: dict[str, Any]) -> None:
        self.status = R.VERIFIED
        self.verification = comment

    def lodge_appeal(self, *, grounds: str, actor: dict[str, Any]) -> None:
        """申诉: once, against a decision."""
        self.check_status("appeal", R.DECIDED)
        if self.appeal is not None:
            raise InvalidTransition("appeal a second time", self.status.value)
        self._appealed(grounds=grounds, actor=actor)

    @event(Appealed)
    def _appealed(self, grounds: str, actor: dict[str, Any]) -> None:
        self.status = R.APPEALED
        self.appeal = {"grounds": grounds}

    def publish(self, *, summary: str, tags: list[str], actor: dict[str, Any]) -> None:
        """纳入案例库: a final ruling becomes a precedent, without the person's name."""
        self.check_status("publish", *FINAL)
        name = person_name(self.subject)
        if name and any(names(text, name) for text in (summary, *tags)):
            raise InvalidValue("a published case must not name the person (summary or tags)")
        self._published(summary=summary, tags=list(dict.fromkeys(tags)), actor=actor)

    @event(Published)
    def _published(self, summary: str, tags: list[str], actor: dict[str, Any]) -> None:
        self.status = R.PUBLISHED
        self.publication = {"summary": summary, "tags": tags}

    def check_appealed(self) -> None:
        self.check_status("decide an appeal", R.APPEALED)

    def after_appeal(self, result: str, reasoning: str) -> None:
        assert self.appeal is not None
        self.appeal.update(result=result, reasoning=reasoning)
        self.status = R.REVOKED if result == AppealResult.REVOKED else R.APPEAL_DECIDED


class AccountabilityRuling(Ruling):
    """问责: a proposed form of accountability for a unit or a person."""

    kind = RulingKind.ACCOUNTABILITY

    class Proposed(Aggregate.Created):
        subject: dict[str, Any]
        finding_ids: list[UUID]
        form: str
        basis: str
        facts: str
        actor: dict[str, Any]

    class Decided(Aggregate.Event):
        form: str
        reasoning: str
        decided_on: date
        actor: dict[str, Any]

    class AppealDecided(Aggregate.Event):
        result: str
        reasoning: str
        form: str | None
        actor: dict[str, Any]

    @event(Proposed)
    def __init__(
        self,
        *,
        id: UUID,  # the library takes the aggregate id by this name
        subject: dict[str, Any],
        finding_ids: list[UUID],
        form: str,
        basis: str,
        facts: str,
        actor: dict[str, Any],
    ) -> None:
        self._open(subject, finding_ids, R.PROPOSED)
        self.form = AccountabilityForm(form)
        self.basis = basis
        self.facts = facts

    def decide(self, *, form: str, reasoning: str, decided_on: date, actor: dict[str, Any]) -> None:
        """作出问责决定 (the authority): the form becomes final."""
        self.check_status("decide", *DECIDABLE)
        parse(AccountabilityForm, form, "form")
        self._decided(form=form, reasoning=reasoning, decided_on=decided_on, actor=actor)

    @event(Decided)
    def _decided(self, form: str, reasoning: str, decided_on: date, actor: dict[str, Any]) -> None:
        self.status = R.DECIDED
        self.form = AccountabilityForm(form)
        self.decision = {"form": form, "reasoning": reasoning, "decided_on": decided_on}

    def decide_appeal(
        self, *, result: str, reasoning: str, form: str | None, actor: dict[str, Any]
    ) -> None:
        """申诉复核: upheld, modified (a new form), or revoked."""
        self.check_appealed()
        outcome = parse(AppealResult, result, "result")
        if outcome is AppealResult.MODIFIED:
            if form is None:
                raise InvalidValue("a modified accountability ruling names its new form")
            parse(AccountabilityForm, form, "form")
        elif form is not None:
            raise InvalidValue(f"an appeal that is {outcome.value} takes no form")
        self._appeal_decided(result=outcome.value, reasoning=reasoning, form=form, actor=actor)

    @event(AppealDecided)
    def _appeal_decided(
        self, result: str, reasoning: str, form: str | None, actor: dict[str, Any]
    ) -> None:
        if form is not None:
            self.form = AccountabilityForm(form)
        self.after_appeal(result, reasoning)


class ToleranceRuling(Ruling):
    """容错免责: an application to tolerate an honest mistake made while reforming."""

    kind = RulingKind.FAULT_TOLERANCE

    class Applied(Aggregate.Created):
        subject: dict[str, Any]
        finding_ids: list[UUID]
        grounds: str
        criteria_claimed: list[str]
        actor: dict[str, Any]

    class Decided(Aggregate.Event):
        outcome: str
        criteria_met: list[str]
        reasoning: str
        decided_on: date
        actor: dict[str, Any]

    class AppealDecided(Aggregate.Event):
        result: str
        reasoning: str
        outcome: str | None
        criteria_met: list[str] | None
        actor: dict[str, Any]

    @event(Applied)
    def __init__(
        self,
        *,
        id: UUID,  # the library takes the aggregate id by this name
        subject: dict[str, Any],
        finding_ids: list[UUID],
        grounds: str,
        criteria_claimed: list[str],
        actor: dict[str, Any],
    ) -> None:
        self._open(subject, finding_ids, R.APPLIED)
        self.grounds = grounds
        self.criteria_claimed = list(criteria_claimed)
        self.outcome: ToleranceOutcome | None = None
        self.criteria_met: list[str] = []

    @staticmethod
    def check_outcome(outcome: str, criteria_met: list[str]) -> ToleranceOutcome:
        """Exempted or mitigated names at least one criterion met; denied names none."""
        result = parse(ToleranceOutcome, outcome, "outcome")
        for criterion in criteria_met:
            parse(ToleranceCriterion, criterion, "criterion")
        if result is not ToleranceOutcome.DENIED and not criteria_met:
            raise InvalidValue(f"a {result.value} decision names at least one criterion met")
        if result is ToleranceOutcome.DENIED and criteria_met:
            raise InvalidValue("a denied application meets no criterion")
        return result

    def decide(
        self,
        *,
        outcome: str,
        criteria_met: list[str],
        reasoning: str,
        decided_on: date,
        actor: dict[str, Any],
    ) -> None:
        """作出容错认定 (the authority): exempted, mitigated or denied."""
        self.check_status("decide", *DECIDABLE)
        self.check_outcome(outcome, criteria_met)
        self._decided(
            outcome=outcome,
            criteria_met=list(criteria_met),
            reasoning=reasoning,
            decided_on=decided_on,
            actor=actor,
        )

    @event(Decided)
    def _decided(
        self,
        outcome: str,
        criteria_met: list[str],
        reasoning: str,
        decided_on: date,
        actor: dict[str, Any],
    ) -> None:
        self.status = R.DECIDED
        self.outcome = ToleranceOutcome(outcome)
        self.criteria_met = list(criteria_met)
        self.decision = {
            "outcome": outcome,
            "criteria_met": list(criteria_met),
            "reasoning": reasoning,
            "decided_on": decided_on,
        }

    def decide_appeal(
        self,
        *,
        result: str,
        reasoning: str,
        outcome: str | None,
        criteria_met: list[str] | None,
        actor: dict[str, Any],
    ) -> None:
        """申诉复核: upheld, modified (a new outcome), or revoked."""
        self.check_appealed()
        verdict = parse(AppealResult, result, "result")
        if verdict is AppealResult.MODIFIED:
            if outcome is None:
                raise InvalidValue("a modified fault-tolerance ruling names its new outcome")
            self.check_outcome(outcome, criteria_met or [])
        elif outcome is not None or criteria_met:
            raise InvalidValue(f"an appeal that is {verdict.value} takes no new outcome")
        self._appeal_decided(
            result=verdict.value,
            reasoning=reasoning,
            outcome=outcome,
            criteria_met=criteria_met,
            actor=actor,
        )

    @event(AppealDecided)
    def _appeal_decided(
        self,
        result: str,
        reasoning: str,
        outcome: str | None,
        criteria_met: list[str] | None,
        actor: dict[str, Any],
    ) -> None:
        if outcome is not None:
            self.outcome = ToleranceOutcome(outcome)
            self.criteria_met = list(criteria_met or [])
        self.after_appeal(result, reasoning)
