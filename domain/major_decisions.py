"""MajorDecision (重大行政决策): catalogued, its procedure steps recorded, decided (flagged when
a step is missing: 决策问责), implemented, corrected (纠错), and evaluated by a third party
with feedback, rectification, a second evaluation (二次评估) and the use of the results.

The seed plan's tasks 7 (健全行政决策机制) and 8 (建立第三方评估制度).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import Aggregate
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.findings import parse
from domain.vocabulary import (
    AccountabilityLinkKind,
    DecisionFlaw,
    DecisionStatus,
    EvaluationStatus,
    LegalityOutcome,
    ProcedureStep,
    ResultUse,
    RiskLevel,
)

D = DecisionStatus
E = EvaluationStatus
REQUIRED_STEPS = tuple(step.value for step in ProcedureStep)


def procedure(steps_done: Iterable[str], missing_steps: Iterable[str]) -> dict[str, Any]:
    """The decision's procedure: the five required steps, those done in time (a step recorded
    after the decision is missing, not done) and the share done (completeness)."""
    recorded, missing = set(steps_done), set(missing_steps)
    done = [s for s in REQUIRED_STEPS if s in recorded and s not in missing]
    return {
        "required": list(REQUIRED_STEPS),
        "done": done,
        "completeness": round(len(done) / len(REQUIRED_STEPS), 2),
    }


AFTER_DECISION = (D.DECIDED, D.IMPLEMENTED, D.CORRECTED)
EVALUABLE = (D.IMPLEMENTED, D.CORRECTED)


class MajorDecision(Aggregate):
    """One entry of the year's catalogue of major administrative decisions (目录化管理)."""

    class Catalogued(Aggregate.Created):
        title: str
        year: int
        unit_code: str
        description: str | None
        actor: dict[str, Any]

    class StepRecorded(Aggregate.Event):
        """记录决策程序. v2 adds the step's result: the legality review's opinion
        (`outcome`: lawful / lawful_after_changes / unlawful), the risk assessment's level
        (`outcome`: low / medium / high), and for public participation and expert
        argumentation a `summary` with the `participants` and the `opinions` received."""

        class_version = 2

        step: str
        done_on: date
        evidence: list[dict[str, Any]]
        note: str
        actor: dict[str, Any]
        outcome: str | None = None
        summary: str | None = None
        participants: int | None = None
        opinions: int | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(outcome=None, summary=None, participants=None, opinions=None)

    class Decided(Aggregate.Event):
        """作出决策. v2 adds `flaws`: an unlawful legality review, a review or a risk
        assessment done after the collective decision (they flag it as a missing step does)."""

        class_version = 2

        decided_on: date
        summary: str
        missing_steps: list[str]
        actor: dict[str, Any]
        flaws: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["flaws"] = []

    class AccountabilityLinked(Aggregate.Event):
        kind: str
        target_id: UUID
        actor: dict[str, Any]

    class Implemented(Aggregate.Event):
        implemented_on: date
        note: str
        actor: dict[str, Any]

    class Corrected(Aggregate.Event):
        reason: str
        correction: str
        corrected_on: date
        actor: dict[str, Any]

    class EvaluationPlanned(Aggregate.Event):
        number: int
        evaluator: str
        scope: str
        planned_on: date
        actor: dict[str, Any]

    class EvaluationReported(Aggregate.Event):
        number: int
        score: int
        conclusion: str
        findings: list[str]
        reported_on: date
        actor: dict[str, Any]

    class FeedbackGiven(Aggregate.Event):
        number: int
        feedback: str
        rectification_required: bool
        deadline: date | None
        actor: dict[str, Any]

    class RectificationReported(Aggregate.Event):
        number: int
        summary: str
        evidence: list[dict[str, Any]]
        actor: dict[str, Any]

    class ResultsUsed(Aggregate.Event):
        number: int
        use: str
        description: str
        actor: dict[str, Any]

    @event(Catalogued)
    def __init__(
        self,
        *,
        id: UUID,
        title: str,
        year: int,
        unit_code: str,
        description: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.title = title
        self.year = year
        self.unit_code = unit_code
        self.description = description
        self.status = D.CATALOGUED
        self.steps: dict[str, dict[str, Any]] = {}
        self.decided_on: date | None = None
        self.decision_summary: str | None = None
        self.missing_steps: list[str] = []
        self.flaws: list[str] = []
        self.links: list[dict[str, Any]] = []
        self.implemented_on: date | None = None
        self.corrections: list[dict[str, Any]] = []
        self.evaluations: list[dict[str, Any]] = []

    # -- guards -----------------------------------------------------------------------------

    def check_status(self, action: str, *allowed: DecisionStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value)

    @property
    def flagged(self) -> bool:
        """Decided with a required procedure step missing (决策程序缺失), an unlawful legality
        review, or a review or risk assessment after the collective decision."""
        return bool(self.missing_steps or self.flaws)

    def evaluation(self, number: int, action: str, *allowed: EvaluationStatus) -> dict[str, Any]:
        if not 1 <= number <= len(self.evaluations):
            raise NotFound(f"the decision has no evaluation number {number}")
        found = self.evaluations[number - 1]
        if found["status"] not in allowed:
            raise InvalidTransition(action, found["status"].value)
        return found

    # -- procedure and decision -------------------------------------------------------------

    def record_step(
        self,
        *,
        step: str,
        done_on: date,
        evidence: list[dict[str, Any]],
        note: str,
        actor: dict[str, Any],
        outcome: str | None = None,
        summary: str | None = None,
        participants: int | None = None,
        opinions: int | None = None,
    ) -> None:
        """记录决策程序: one of the five required steps, with its date, evidence and result:
        the legality review's opinion or the risk assessment's level (`outcome`), public
        participation's and expert argumentation's `summary`, `participants` and `opinions`
        (each optional, and refused on a step it does not belong to)."""
        self.check_status("record a procedure step", D.CATALOGUED)
        code = parse(ProcedureStep, step, "step").value
        clock.check_done_by_today(done_on, "done_on")
        if code in self.steps:
            raise AlreadyExists(f"the step {code!r} is already recorded")
        result = step_result(code, outcome, summary, participants, opinions)
        self._step_recorded(
            step=code, done_on=done_on, evidence=evidence, note=note, actor=actor, **result
        )

    @event(StepRecorded)
    def _step_recorded(
        self,
        step: str,
        done_on: date,
        evidence: list[dict[str, Any]],
        note: str,
        actor: dict[str, Any],
        outcome: str | None = None,
        summary: str | None = None,
        participants: int | None = None,
        opinions: int | None = None,
    ) -> None:
        self.steps[step] = {
            "done_on": done_on,
            "evidence": list(evidence),
            "note": note,
            "outcome": outcome,
            "summary": summary,
            "participants": participants,
            "opinions": opinions,
        }

    def decide(self, *, decided_on: date, summary: str, actor: dict[str, Any]) -> None:
        """作出决策: a required step not done on or before the decision date is missing; an
        unlawful review, or a review or risk assessment after the collective decision, is a
        flaw (either flags the decision: 决策问责)."""
        self.check_status("decide", D.CATALOGUED)
        clock.check_done_by_today(decided_on, "decided_on")
        missing = [
            step
            for step in REQUIRED_STEPS
            if step not in self.steps or self.steps[step]["done_on"] > decided_on
        ]
        self._decided(
            decided_on=decided_on,
            summary=summary,
            missing_steps=missing,
            actor=actor,
            flaws=self.procedure_flaws(),
        )

    def procedure_flaws(self) -> list[str]:
        """合法性审查不合法; 合法性审查、风险评估 after 集体讨论决定 (they must come before it)."""
        flaws = []
        review = self.steps.get(ProcedureStep.LEGALITY_REVIEW.value)
        if review is not None and review["outcome"] == LegalityOutcome.UNLAWFUL.value:
            flaws.append(DecisionFlaw.UNLAWFUL_REVIEW.value)
        collective = self.steps.get(ProcedureStep.COLLECTIVE_DECISION.value)
        for step, flaw in (
            (ProcedureStep.LEGALITY_REVIEW, DecisionFlaw.REVIEW_AFTER_DECISION),
            (ProcedureStep.RISK_ASSESSMENT, DecisionFlaw.RISK_AFTER_DECISION),
        ):
            done = self.steps.get(step.value)
            if collective and done and done["done_on"] > collective["done_on"]:
                flaws.append(flaw.value)
        return flaws

    @event(Decided)
    def _decided(
        self,
        decided_on: date,
        summary: str,
        missing_steps: list[str],
        actor: dict[str, Any],
        flaws: list[str],
    ) -> None:
        self.status = D.DECIDED
        self.decided_on = decided_on
        self.decision_summary = summary
        self.missing_steps = list(missing_steps)
        self.flaws = list(flaws)

    def link_accountability(self, *, kind: str, target_id: UUID, actor: dict[str, Any]) -> None:
        """决策问责: a flagged decision is linked to a finding or an accountability ruling."""
        self.check_status("link accountability", *AFTER_DECISION)
        code = parse(AccountabilityLinkKind, kind, "kind").value
        if not self.flagged:
            raise InvalidValue(
                "only a decision taken with a flawed or missing procedure step is linked"
            )
        if any(link["target_id"] == target_id for link in self.links):
            raise AlreadyExists(f"{kind} {target_id} is already linked")
        self._accountability_linked(kind=code, target_id=target_id, actor=actor)

    @event(AccountabilityLinked)
    def _accountability_linked(self, kind: str, target_id: UUID, actor: dict[str, Any]) -> None:
        self.links.append({"kind": kind, "target_id": target_id})

    def check_after_decision(self, day: date, field: str, done: str) -> None:
        """A day of what follows the decision (implemented, corrected): not before the day it
        was taken, nor after today."""
        clock.check_done_by_today(day, field)
        if self.decided_on is not None:
            rule = f"a decision is {done} on or after the day it was taken"
            clock.check_not_before(day, self.decided_on, field, rule)

    def implement(self, *, implemented_on: date, note: str, actor: dict[str, Any]) -> None:
        """决策实施."""
        self.check_status("record the implementation", D.DECIDED)
        self.check_after_decision(implemented_on, "implemented_on", "implemented")
        self._implemented(implemented_on=implemented_on, note=note, actor=actor)

    @event(Implemented)
    def _implemented(self, implemented_on: date, note: str, actor: dict[str, Any]) -> None:
        self.status = D.IMPLEMENTED
        self.implemented_on = implemented_on

    def correct(
        self, *, reason: str, correction: str, corrected_on: date, actor: dict[str, Any]
    ) -> None:
        """纠错: the decision is corrected (its history stays)."""
        self.check_status("correct", *AFTER_DECISION)
        self.check_after_decision(corrected_on, "corrected_on", "corrected")
        self._corrected(
            reason=reason, correction=correction, corrected_on=corrected_on, actor=actor
        )

    @event(Corrected)
    def _corrected(
        self, reason: str, correction: str, corrected_on: date, actor: dict[str, Any]
    ) -> None:
        self.status = D.CORRECTED
        self.corrections.append(
            {"reason": reason, "correction": correction, "corrected_on": corrected_on}
        )

    # -- third-party evaluation -------------------------------------------------------------

    def plan_evaluation(
        self, *, evaluator: str, scope: str, planned_on: date, actor: dict[str, Any]
    ) -> None:
        """评估计划: the first evaluation, or a second one (二次评估) once the previous one's
        feedback is dealt with (rectified, or closed without rectification)."""
        self.check_status("plan an evaluation", *EVALUABLE)
        if self.evaluations and self.evaluations[-1]["status"] not in (E.RECTIFIED, E.CLOSED):
            raise InvalidTransition("plan another evaluation", self.evaluations[-1]["status"].value)
        number = len(self.evaluations) + 1
        self._evaluation_planned(
            number=number, evaluator=evaluator, scope=scope, planned_on=planned_on, actor=actor
        )

    @event(EvaluationPlanned)
    def _evaluation_planned(
        self, number: int, evaluator: str, scope: str, planned_on: date, actor: dict[str, Any]
    ) -> None:
        self.evaluations.append(
            {
                "number": number,
                "evaluator": evaluator,
                "scope": scope,
                "planned_on": planned_on,
                "status": E.PLANNED,
                "score": None,
                "conclusion": None,
                "findings": [],
                "feedback": None,
                "rectification": None,
                "uses": [],
            }
        )

    def report_evaluation(
        self,
        *,
        number: int,
        score: int,
        conclusion: str,
        findings: list[str],
        reported_on: date,
        actor: dict[str, Any],
    ) -> None:
        """评估报告: the evaluator's score (0–100), conclusion and findings."""
        found = self.evaluation(number, "report the evaluation", E.PLANNED)
        if not 0 <= score <= 100:
            raise InvalidValue("score must lie between 0 and 100")
        clock.check_done_by_today(reported_on, "reported_on")
        clock.check_not_before(
            reported_on,
            found["planned_on"],
            "reported_on",
            "an evaluation is reported on or after the day it was planned",
        )
        self._evaluation_reported(
            number=number,
            score=score,
            conclusion=conclusion,
            findings=findings,
            reported_on=reported_on,
            actor=actor,
        )

    @event(EvaluationReported)
    def _evaluation_reported(
        self,
        number: int,
        score: int,
        conclusion: str,
        findings: list[str],
        reported_on: date,
        actor: dict[str, Any],
    ) -> None:
        self.evaluations[number - 1].update(
            status=E.REPORTED,
            score=score,
            conclusion=conclusion,
            findings=list(findings),
            reported_on=reported_on,
        )

    def give_feedback(
        self,
        *,
        number: int,
        feedback: str,
        rectification_required: bool,
        deadline: date | None,
        actor: dict[str, Any],
    ) -> None:
        """反馈: the results go to the responsible unit, with or without rectification (by a
        deadline not before the day the evaluation was reported)."""
        found = self.evaluation(number, "give feedback", E.REPORTED)
        if deadline is not None and not rectification_required:
            raise InvalidValue("a deadline is given only when rectification is required")
        if deadline is not None:
            clock.check_not_before(
                deadline,
                found["reported_on"],
                "deadline",
                f"the rectification deadline {deadline} lies before the evaluation's report "
                f"of {found['reported_on']}",
            )
        self._feedback_given(
            number=number,
            feedback=feedback,
            rectification_required=rectification_required,
            deadline=deadline,
            actor=actor,
        )

    @event(FeedbackGiven)
    def _feedback_given(
        self,
        number: int,
        feedback: str,
        rectification_required: bool,
        deadline: date | None,
        actor: dict[str, Any],
    ) -> None:
        self.evaluations[number - 1].update(
            status=E.RECTIFYING if rectification_required else E.CLOSED,
            feedback=feedback,
            deadline=deadline,
        )

    def report_rectification(
        self,
        *,
        number: int,
        summary: str,
        evidence: list[dict[str, Any]],
        actor: dict[str, Any],
    ) -> None:
        """反馈整改: the responsible unit reports what it changed."""
        self.evaluation(number, "report rectification", E.RECTIFYING)
        self._rectification_reported(number=number, summary=summary, evidence=evidence, actor=actor)

    @event(RectificationReported)
    def _rectification_reported(
        self, number: int, summary: str, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> None:
        self.evaluations[number - 1].update(
            status=E.RECTIFIED, rectification={"summary": summary, "evidence": list(evidence)}
        )

    def use_results(
        self, *, number: int, use: str, description: str, actor: dict[str, Any]
    ) -> None:
        """结果运用: how a reported evaluation's results were used."""
        self.evaluation(
            number, "record the use of results", E.REPORTED, E.RECTIFYING, E.RECTIFIED, E.CLOSED
        )
        code = parse(ResultUse, use, "use").value
        self._results_used(number=number, use=code, description=description, actor=actor)

    @event(ResultsUsed)
    def _results_used(self, number: int, use: str, description: str, actor: dict[str, Any]) -> None:
        self.evaluations[number - 1]["uses"].append({"use": use, "description": description})


PARTICIPATION = (ProcedureStep.PUBLIC_PARTICIPATION.value, ProcedureStep.EXPERT_ARGUMENTATION.value)


def step_result(
    step: str,
    outcome: str | None,
    summary: str | None,
    participants: int | None,
    opinions: int | None,
) -> dict[str, Any]:
    """A step's result, checked against the step: an `outcome` only for the legality review
    (an opinion) and the risk assessment (a level); a `summary`, `participants` and
    `opinions` only for public participation and expert argumentation."""
    kinds: dict[str, type[LegalityOutcome] | type[RiskLevel]] = {
        ProcedureStep.LEGALITY_REVIEW.value: LegalityOutcome,
        ProcedureStep.RISK_ASSESSMENT.value: RiskLevel,
    }
    if outcome is not None:
        if step not in kinds:
            raise InvalidValue(f"the step {step!r} has no outcome (only a review or an assessment)")
        outcome = parse(kinds[step], outcome, "outcome").value
    counted = (summary, participants, opinions)
    if any(value is not None for value in counted) and step not in PARTICIPATION:
        raise InvalidValue(
            f"the step {step!r} has no summary, participants or opinions (only public "
            "participation and expert argumentation)"
        )
    if summary is not None and not summary.strip():
        raise InvalidValue("the summary says something: not only spaces")
    return {"outcome": outcome, "summary": summary, "participants": participants,
            "opinions": opinions}  # fmt: skip
