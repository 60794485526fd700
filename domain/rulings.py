"""Rulings: accountability (问责, task 11) and fault tolerance (容错免责, task 12).

Both kinds share a lifecycle: raised (proposed / applied) → verified (optional) → decided by
an authority → appealed once → appeal decided (upheld / modified / revoked) → published to
the case library (容错免责案例库), anonymised.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import Aggregate
from domain.deadlines import RunsTo, on_the_day, past_the_weekend
from domain.errors import (
    AlreadyExists,
    AppealWindowClosed,
    ExcludedFromTolerance,
    FormNotForSubject,
    InvalidTransition,
    InvalidValue,
)
from domain.findings import parse
from domain.text import names
from domain.vocabulary import (
    AccountabilityForm,
    AppealResult,
    OrganisationalMeasure,
    RulingKind,
    RulingStatus,
    SubjectKind,
    ToleranceCriterion,
    ToleranceExclusion,
    ToleranceOutcome,
)

R = RulingStatus
F = AccountabilityForm
M = OrganisationalMeasure
DECIDABLE = (R.PROPOSED, R.APPLIED, R.VERIFIED)
FINAL = (R.DECIDED, R.APPEAL_DECIDED)
# A decision is served and appealed while it stands as decided, published to the case library
# or not: publication does not take away the right of appeal (申诉), and an appeal does not
# stop the decision (申诉期间不停止问责决定的执行), so a published case stays published.
STANDING = (R.DECIDED, R.PUBLISHED)

# 《中国共产党问责条例》: a party organisation is held to account by 检查, 通报 or 改组, a leading
# cadre by 通报, 诫勉, 组织调整或者组织处理 or 纪律处分 (referred to the discipline body);
# 约谈 applies to both, and so does 责令检查, which local 问责办法 order of cadres as well.
FORMS_FOR: dict[SubjectKind, tuple[AccountabilityForm, ...]] = {
    SubjectKind.ORGANISATION: (
        F.WRITTEN_INSPECTION,
        F.CIRCULATED_CRITICISM,
        F.REORGANISATION,
        F.INTERVIEW,
    ),
    SubjectKind.PERSON: (
        F.WRITTEN_INSPECTION,
        F.CIRCULATED_CRITICISM,
        F.ADMONISHMENT,
        F.ORGANISATIONAL_ADJUSTMENT,
        F.DISCIPLINARY_SANCTION,
        F.INTERVIEW,
    ),
}
# 影响期 (months a decision bears on the person's promotion and use) when the decision sets
# none: 诫勉 six months; 调整职务, 责令辞职 and 免职 a year; 降职 two.
EFFECT_MONTHS: dict[AccountabilityForm | OrganisationalMeasure, int] = {
    F.ADMONISHMENT: 6,
    M.REASSIGNMENT: 12,
    M.ORDERED_RESIGNATION: 12,
    M.DISMISSAL: 12,
    M.DEMOTION: 24,
}
# 从轻: a fault-tolerance ruling decided mitigated bounds its paired accountability to the
# lighter forms (no 组织调整或者组织处理, 纪律处分 or 改组).
HEAVY_FORMS = frozenset({F.ORGANISATIONAL_ADJUSTMENT, F.DISCIPLINARY_SANCTION, F.REORGANISATION})
APPEAL_MONTHS = 1  # 自收到问责决定之日起一个月内提出书面申诉


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def effects_until_of(
    decided_on: date, form: AccountabilityForm, measure: OrganisationalMeasure | None
) -> date | None:
    """影响期 by default: EFFECT_MONTHS of the form, or of an organisational adjustment's
    measure, from the decision; none for the other forms."""
    months = EFFECT_MONTHS.get(form)
    if months is None and measure is not None:
        months = EFFECT_MONTHS.get(measure)
    return add_months(decided_on, months) if months else None


def subject_kind(subject: dict[str, Any]) -> SubjectKind:
    """A subject that names a person is that person; else the unit, as an organisation."""
    return SubjectKind.PERSON if subject.get("person") else SubjectKind.ORGANISATION


def check_form(
    subject: dict[str, Any], form: str, measure: str | None = None
) -> AccountabilityForm:
    """A form the regulations provide for the subject's kind; a measure (the kind of
    组织调整或者组织处理) with that form and with no other."""
    chosen = parse(AccountabilityForm, form, "form")
    kind = subject_kind(subject)
    if chosen not in FORMS_FOR[kind]:
        allowed = "、".join(f"{f.label} ({f.value})" for f in FORMS_FOR[kind])
        raise FormNotForSubject(
            f"{chosen.label} ({chosen.value}) is not a form of accountability for the subject, "
            f"a {kind.label} ({kind.value}) (问责方式与问责对象不符); its forms: {allowed}",
            details={"form": chosen.value, "subject_kind": kind.value},
        )
    if measure is not None:
        parse(OrganisationalMeasure, measure, "measure")
        if chosen is not F.ORGANISATIONAL_ADJUSTMENT:
            raise InvalidValue(f"a measure goes with organisational_adjustment, not {form}")
    return chosen


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

    class Paired(Aggregate.Event):
        """A fault-tolerance application and an accountability proposal on a case they share,
        of the same subject: decided together (the tolerance first)."""

        with_ruling_id: UUID
        actor: dict[str, Any]

    class PartnerDecided(Aggregate.Event):
        """The ruling paired with this one was decided, or its decision changed on appeal:
        recorded on both, so two such decisions never pass each other unseen."""

        with_ruling_id: UUID
        actor: dict[str, Any]

    class Served(Aggregate.Event):
        """送达: the decision handed to the subject, on a day; the appeal window runs from it."""

        served_on: date
        served_to: str
        actor: dict[str, Any]

    def _open(self, subject: dict[str, Any], finding_ids: list[UUID], status: R) -> None:
        self.subject = subject
        self.finding_ids = list(finding_ids)
        self.status = status
        self.verification: str | None = None
        self.decision: dict[str, Any] | None = None
        self.appeal: dict[str, Any] | None = None
        self.publication: dict[str, Any] | None = None
        self.service: dict[str, Any] | None = None
        self.paired_with: UUID | None = None  # the ruling of the other kind on the same case
        # The rulings of the other kind decided (or closed) in step with this one.
        self.partners_decided: list[UUID] = []

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

    def pair(self, *, with_ruling_id: UUID, actor: dict[str, Any]) -> None:
        """关联: once, while undecided."""
        self.check_status("pair", *DECIDABLE)
        if self.paired_with is not None:
            raise AlreadyExists(f"the ruling is already paired with {self.paired_with}")
        self._paired(with_ruling_id=with_ruling_id, actor=actor)

    @event(Paired)
    def _paired(self, with_ruling_id: UUID, actor: dict[str, Any]) -> None:
        self.paired_with = with_ruling_id

    def note_partner_decided(self, *, actor: dict[str, Any]) -> None:
        """Its paired ruling was decided (or changed on appeal) in the same transaction."""
        assert self.paired_with is not None
        self._partner_decided(with_ruling_id=self.paired_with, actor=actor)

    def note_closed(self, *, proposal_id: UUID, actor: dict[str, Any]) -> None:
        """Its 免责 closed an accountability proposal on its case it was not paired with (免予
        问责), in the same transaction: the exemption is then not open to appeal."""
        self._partner_decided(with_ruling_id=proposal_id, actor=actor)

    @event(PartnerDecided)
    def _partner_decided(self, with_ruling_id: UUID, actor: dict[str, Any]) -> None:
        # The version it takes is the point, too: a concurrent decision of the pair conflicts.
        if with_ruling_id not in self.partners_decided:
            self.partners_decided.append(with_ruling_id)

    def serve(self, *, served_on: date, served_to: str, actor: dict[str, Any]) -> None:
        """送达: once, on or after the day of the decision and not in the future; a decision
        published to the case library is served as well, until it is appealed."""
        self.check_standing("serve")
        if self.service is not None:
            raise InvalidTransition("serve a second time", self.status.value)
        assert self.decision is not None
        decided_on = self.decision["decided_on"]
        clock.check_not_before(
            served_on,
            decided_on,
            "served_on",
            f"served_on {served_on} is before the decision of {decided_on}",
        )
        clock.check_done_by_today(served_on, "served_on")
        self._served(served_on=served_on, served_to=served_to, actor=actor)

    @event(Served)
    def _served(self, served_on: date, served_to: str, actor: dict[str, Any]) -> None:
        self.service = {
            "served_on": served_on,
            "served_to": served_to,
            "appeal_by": add_months(served_on, APPEAL_MONTHS),
        }

    def appeal_until(self, runs_to: RunsTo = on_the_day) -> date | None:
        """The last day an appeal is taken, once the decision was served: a month after its
        service, or, when that is a day off, the working day it runs to (`runs_to`: 期限届满日
        为法定节假日的，以节假日后的第一个工作日为期限届满日); None while unserved."""
        if self.service is None:
            return None
        last: date = self.service["appeal_by"]
        return runs_to(last) or past_the_weekend(last)  # no calendar for that year: weekends

    def lodge_appeal(
        self, *, grounds: str, actor: dict[str, Any], runs_to: RunsTo = on_the_day
    ) -> None:
        """申诉: once, against a decision; within a month of its service, when it was served
        (to the working day a last day off runs to). A decision published to the case library
        is appealed all the same."""
        self.check_standing("appeal")
        if self.appeal is not None:
            raise InvalidTransition("appeal a second time", self.status.value)
        last = self.appeal_until(runs_to)
        if self.service is not None and last is not None and clock.today() > last:
            raise AppealWindowClosed(
                f"the decision was served on {self.service['served_on']}: an appeal was due by "
                f"{last} (申诉期限已过)",
                details={"appeal_by": last.isoformat()},
            )
        self._appealed(grounds=grounds, actor=actor)

    @event(Appealed)
    def _appealed(self, grounds: str, actor: dict[str, Any]) -> None:
        self.status = R.APPEALED
        self.appeal = {"grounds": grounds}

    def check_standing(self, action: str) -> None:
        """The decision stands as it was made: decided, or published with no appeal yet (one
        published after its appeal was decided is past both service and appeal)."""
        self.check_status(action, *STANDING)
        if self.status is R.PUBLISHED and self.appeal is not None:
            raise InvalidTransition(f"{action} after the appeal was decided", self.status.value)

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

    def record_statement(self, *, statement: str, made_on: date, actor: dict[str, Any]) -> None:
        """陈述申辩 belongs to accountability; a fault-tolerance application is its own plea."""
        raise InvalidTransition("record a statement on a fault-tolerance ruling", self.status.value)

    def check_appealed(self) -> None:
        self.check_status("decide an appeal", R.APPEALED)

    def after_appeal(self, result: str, reasoning: str) -> None:
        """Revoked, the ruling is; else decided on appeal, and still published when it was
        published before the appeal (the case library shows the decision on appeal)."""
        assert self.appeal is not None
        self.appeal.update(result=result, reasoning=reasoning)
        self.status = after_appeal(result, self.publication is not None)


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
        """作出问责决定. v2 adds the `measure` of an organisational adjustment and the day
        its effects (影响期) end."""

        class_version = 2

        form: str
        reasoning: str
        decided_on: date
        actor: dict[str, Any]
        measure: str | None
        effects_until: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(measure=None, effects_until=None)

    class AppealDecided(Aggregate.Event):
        result: str
        reasoning: str
        form: str | None
        actor: dict[str, Any]

    class StatementRecorded(Aggregate.Event):
        """陈述申辩: what the subject said in their defence, heard before the decision."""

        statement: str
        made_on: date
        actor: dict[str, Any]

    class Closed(Aggregate.Event):
        """免予问责: the fault-tolerance ruling paired with it decided 免责."""

        tolerance_ruling_id: UUID
        reason: str
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
        self.statements: list[dict[str, Any]] = []
        self.measure: OrganisationalMeasure | None = None
        self.effects_until: date | None = None

    def close(self, *, tolerance_ruling_id: UUID, reason: str, actor: dict[str, Any]) -> None:
        """免予问责: closed without a decision, its paired fault-tolerance ruling decided 免责."""
        self.check_status("close", *DECIDABLE)
        self._closed(tolerance_ruling_id=tolerance_ruling_id, reason=reason, actor=actor)

    @event(Closed)
    def _closed(self, tolerance_ruling_id: UUID, reason: str, actor: dict[str, Any]) -> None:
        self.status = R.CLOSED

    def record_statement(self, *, statement: str, made_on: date, actor: dict[str, Any]) -> None:
        """陈述申辩: heard while the ruling is open; after the decision it comes too late."""
        self.check_status("record a statement", R.PROPOSED, R.VERIFIED)
        clock.check_done_by_today(made_on, "made_on")
        self._statement_recorded(statement=statement, made_on=made_on, actor=actor)

    @event(StatementRecorded)
    def _statement_recorded(self, statement: str, made_on: date, actor: dict[str, Any]) -> None:
        self.statements.append({"statement": statement, "made_on": made_on})

    def decide(
        self,
        *,
        form: str,
        reasoning: str,
        decided_on: date,
        actor: dict[str, Any],
        measure: str | None = None,
        effects_until: date | None = None,
    ) -> None:
        """作出问责决定 (the authority): a form the subject's kind allows becomes final; its
        影响期 ends on `effects_until`, by default as EFFECT_MONTHS says."""
        self.check_status("decide", *DECIDABLE)
        clock.check_done_by_today(decided_on, "decided_on")
        for heard in self.statements:  # 陈述申辩 is heard before the decision
            clock.check_not_before(
                decided_on,
                heard["made_on"],
                "decided_on",
                f"decided_on {decided_on} is before the statement heard on {heard['made_on']}",
            )
        chosen = check_form(self.subject, form, measure)
        if effects_until is not None:
            clock.check_not_before(
                effects_until,
                decided_on,
                "effects_until",
                f"effects_until {effects_until} is before decided_on {decided_on}",
            )
        else:
            effects_until = effects_until_of(
                decided_on, chosen, None if measure is None else M(measure)
            )
        self._decided(
            form=form,
            reasoning=reasoning,
            decided_on=decided_on,
            actor=actor,
            measure=measure,
            effects_until=effects_until,
        )

    @event(Decided)
    def _decided(
        self,
        form: str,
        reasoning: str,
        decided_on: date,
        actor: dict[str, Any],
        measure: str | None,
        effects_until: date | None,
    ) -> None:
        self.status = R.DECIDED
        self.form = AccountabilityForm(form)
        self.decision = {"form": form, "reasoning": reasoning, "decided_on": decided_on}
        self.measure = None if measure is None else M(measure)
        self.effects_until = effects_until

    def decide_appeal(
        self, *, result: str, reasoning: str, form: str | None, actor: dict[str, Any]
    ) -> None:
        """申诉复核: upheld, modified (a new form), or revoked."""
        self.check_appealed()
        outcome = parse(AppealResult, result, "result")
        if outcome is AppealResult.MODIFIED:
            if form is None:
                raise InvalidValue("a modified accountability ruling names its new form")
            check_form(self.subject, form)
        elif form is not None:
            raise InvalidValue(f"an appeal that is {outcome.value} takes no form")
        self._appeal_decided(result=outcome.value, reasoning=reasoning, form=form, actor=actor)

    @event(AppealDecided)
    def _appeal_decided(
        self, result: str, reasoning: str, form: str | None, actor: dict[str, Any]
    ) -> None:
        if form is not None:  # modified: a measure goes with 组织调整 only, 影响期 with the form
            new = AccountabilityForm(form)
            if new is not F.ORGANISATIONAL_ADJUSTMENT:
                self.measure = None
            if new is not self.form and self.decision is not None:
                decided_on = self.decision["decided_on"]
                self.effects_until = effects_until_of(decided_on, new, self.measure)
            self.form = new
        self.after_appeal(result, reasoning)
        if self.status is R.REVOKED:  # no decision stands, and no 影响期 with it
            self.effects_until = None


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
        """作出容错认定. v2 adds the cases of the negative list (负面清单) found."""

        class_version = 2

        outcome: str
        criteria_met: list[str]
        reasoning: str
        decided_on: date
        actor: dict[str, Any]
        exclusions: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["exclusions"] = []

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
        self.exclusions: list[str] = []

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
        exclusions: list[str] | None = None,
    ) -> None:
        """作出容错认定 (the authority): exempted, mitigated or denied; a case of the negative
        list found (`exclusions`) bars 免责 and 从轻 (负面清单)."""
        self.check_status("decide", *DECIDABLE)
        clock.check_done_by_today(decided_on, "decided_on")
        result = self.check_outcome(outcome, criteria_met)
        found = [parse(ToleranceExclusion, e, "exclusion").value for e in exclusions or []]
        found = list(dict.fromkeys(found))
        if found and result is not ToleranceOutcome.DENIED:
            labels = "、".join(ToleranceExclusion(e).label for e in found)
            raise ExcludedFromTolerance(
                f"a {result.value} decision is barred: the case meets the negative list "
                f"({labels}; 属于不予容错情形)",
                details={"outcome": result.value, "exclusions": found},
            )
        self._decided(
            outcome=outcome,
            criteria_met=list(criteria_met),
            reasoning=reasoning,
            decided_on=decided_on,
            actor=actor,
            exclusions=found,
        )

    @event(Decided)
    def _decided(
        self,
        outcome: str,
        criteria_met: list[str],
        reasoning: str,
        decided_on: date,
        actor: dict[str, Any],
        exclusions: list[str],
    ) -> None:
        self.status = R.DECIDED
        self.outcome = ToleranceOutcome(outcome)
        self.criteria_met = list(criteria_met)
        self.exclusions = list(exclusions)
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
            result = self.check_outcome(outcome, criteria_met or [])
            if self.exclusions and result is not ToleranceOutcome.DENIED:
                labels = "、".join(ToleranceExclusion(e).label for e in self.exclusions)
                raise ExcludedFromTolerance(
                    f"a {result.value} decision on appeal is barred: the decision found the "
                    f"negative list ({labels}; 属于不予容错情形)",
                    details={"outcome": result.value, "exclusions": list(self.exclusions)},
                )
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


def after_appeal(result: str, published: bool) -> RulingStatus:
    """The status an appeal's `result` leaves: revoked, or published (when the decision was
    published before its appeal) or appeal decided."""
    if result == AppealResult.REVOKED:
        return R.REVOKED
    return R.PUBLISHED if published else R.APPEAL_DECIDED
