"""Commands on the catalogue of major administrative decisions (重大行政决策目录) and their
third-party evaluations (第三方评估)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult
from domain.errors import NotFound, PermissionDenied, UnknownReference
from domain.findings import Finding, parse
from domain.major_decisions import MajorDecision
from domain.rulings import AccountabilityRuling
from domain.vocabulary import AccountabilityLinkKind, Role


def forbid_unit(actor: Actor, what: str) -> None:
    """Some steps are the supervisors' own: a unit does not judge its own decision."""
    if actor.role is Role.UNIT:
        raise PermissionDenied(f"a unit account does not {what}")


class MajorDecisionCommands(CommandBase):
    def catalogue_decision(
        self,
        *,
        title: str,
        year: int,
        unit_code: str,
        description: str | None,
        actor: Actor,
        decision_id: UUID | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """列入重大行政决策目录: the decision, its year and responsible unit."""
        forbid_unit(actor, "catalogue decisions")
        self.active_unit(unit_code)
        decision = MajorDecision(
            id=decision_id or uuid4(),
            title=title,
            year=year,
            unit_code=unit_code,
            description=description,
            actor=actor.as_event_data(),
        )
        return self.record(decision, **save_kwargs)

    def get_decision(
        self,
        decision_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> MajorDecision:
        """The decision now, at a version, or as it was at a time."""
        if as_of is not None:
            version = self.version_as_of(decision_id, as_of)
        return self.load(MajorDecision, decision_id, version=version)

    def decision_command(
        self,
        decision_id: UUID,
        expected_version: int | None,
        actor: Actor,
        change: Callable[[MajorDecision], None],
        **save_kwargs: Any,
    ) -> CommandResult:
        def guarded(decision: MajorDecision) -> None:
            if not actor.covers_unit(decision.unit_code):  # not theirs: as if it were not there
                raise NotFound(f"major decision {decision_id} not found")
            change(decision)

        return self.update(MajorDecision, decision_id, expected_version, guarded, **save_kwargs)

    def record_decision_step(
        self,
        decision_id: UUID,
        *,
        step: str,
        done_on: date,
        evidence: Sequence[dict[str, Any]],
        note: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """记录决策程序 (the responsible unit, or an inspector)."""
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.record_step(
                step=step,
                done_on=done_on,
                evidence=list(evidence),
                note=note,
                actor=actor.as_event_data(),
            ),
            **save_kwargs,
        )

    def decide_decision(
        self,
        decision_id: UUID,
        *,
        decided_on: date,
        summary: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """作出决策: flagged when a required step is missing."""
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.decide(decided_on=decided_on, summary=summary, actor=actor.as_event_data()),
            **save_kwargs,
        )

    def implement_decision(
        self,
        decision_id: UUID,
        *,
        implemented_on: date,
        note: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """决策实施."""
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.implement(
                implemented_on=implemented_on, note=note, actor=actor.as_event_data()
            ),
            **save_kwargs,
        )

    def check_link_target(self, kind: str, target_id: UUID) -> None:
        """The linked finding, or accountability ruling, exists."""
        code = parse(AccountabilityLinkKind, kind, "kind")
        target: type[Finding | AccountabilityRuling] = (
            Finding if code is AccountabilityLinkKind.FINDING else AccountabilityRuling
        )
        try:
            self.load(target, target_id)
        except NotFound:
            name = "finding" if target is Finding else "accountability ruling"
            raise UnknownReference(f"{name} {target_id} does not exist") from None

    def link_decision_accountability(
        self,
        decision_id: UUID,
        *,
        kind: str,
        target_id: UUID,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """决策问责: link a flagged decision to a finding or an accountability ruling."""
        forbid_unit(actor, "link accountability")
        self.check_link_target(kind, target_id)
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.link_accountability(
                kind=kind, target_id=target_id, actor=actor.as_event_data()
            ),
            **save_kwargs,
        )

    def correct_decision(
        self,
        decision_id: UUID,
        *,
        reason: str,
        correction: str,
        corrected_on: date,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """决策纠错."""
        forbid_unit(actor, "order a correction")
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.correct(
                reason=reason,
                correction=correction,
                corrected_on=corrected_on,
                actor=actor.as_event_data(),
            ),
            **save_kwargs,
        )

    def plan_decision_evaluation(
        self,
        decision_id: UUID,
        *,
        evaluator: str,
        scope: str,
        planned_on: date,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """第三方评估计划 (the first evaluation, or the second: 二次评估)."""
        forbid_unit(actor, "plan evaluations")
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.plan_evaluation(
                evaluator=evaluator, scope=scope, planned_on=planned_on, actor=actor.as_event_data()
            ),
            **save_kwargs,
        )

    def report_decision_evaluation(
        self,
        decision_id: UUID,
        number: int,
        *,
        score: int,
        conclusion: str,
        findings: Sequence[str],
        reported_on: date,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """评估报告 (entered by an inspector on the evaluator's report)."""
        forbid_unit(actor, "report evaluations")
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.report_evaluation(
                number=number,
                score=score,
                conclusion=conclusion,
                findings=list(findings),
                reported_on=reported_on,
                actor=actor.as_event_data(),
            ),
            **save_kwargs,
        )

    def give_evaluation_feedback(
        self,
        decision_id: UUID,
        number: int,
        *,
        feedback: str,
        rectification_required: bool,
        deadline: date | None,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """评估结果反馈."""
        forbid_unit(actor, "give feedback on evaluations")
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.give_feedback(
                number=number,
                feedback=feedback,
                rectification_required=rectification_required,
                deadline=deadline,
                actor=actor.as_event_data(),
            ),
            **save_kwargs,
        )

    def report_evaluation_rectification(
        self,
        decision_id: UUID,
        number: int,
        *,
        summary: str,
        evidence: Sequence[dict[str, Any]],
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """反馈整改 (the responsible unit, or an inspector)."""
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.report_rectification(
                number=number,
                summary=summary,
                evidence=list(evidence),
                actor=actor.as_event_data(),
            ),
            **save_kwargs,
        )

    def use_evaluation_results(
        self,
        decision_id: UUID,
        number: int,
        *,
        use: str,
        description: str,
        actor: Actor,
        expected_version: int | None = None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """结果运用."""
        forbid_unit(actor, "record the use of evaluation results")
        return self.decision_command(
            decision_id,
            expected_version,
            actor,
            lambda d: d.use_results(
                number=number, use=use, description=description, actor=actor.as_event_data()
            ),
            **save_kwargs,
        )
