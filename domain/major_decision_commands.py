"""Commands on the catalogue of major administrative decisions (重大行政决策目录) and their
third-party evaluations (第三方评估)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.actors import Actor
from domain.commands import CommandBase, CommandResult
from domain.errors import NotFound, PermissionDenied, UnknownReference
from domain.findings import Finding, parse
from domain.major_decisions import MajorDecision
from domain.messages import Command, command
from domain.rulings import AccountabilityRuling
from domain.vocabulary import AccountabilityLinkKind, Role


def forbid_unit(actor: Actor, what: str) -> None:
    """Some steps are the supervisors' own: a unit does not judge its own decision."""
    if actor.role is Role.UNIT:
        raise PermissionDenied(f"a unit account does not {what}")


@command(
    roles=(Role.INSPECTOR, Role.ADMIN),
    handler="do_catalogue_decision",
    path="/major-decisions",
    status=201,
)
@dataclass(frozen=True)
class CatalogueDecision(Command):
    """列入重大行政决策目录 (inspector, admin): title, year, responsible unit."""

    title: str
    year: int
    unit_code: str
    description: str | None = None
    decision_id: UUID | None = None


class MajorDecisionCommands(CommandBase):
    def do_catalogue_decision(
        self,
        cmd: CatalogueDecision,
        *,
        actor: Actor,
        expected_version: int | None,
        **save_kwargs: Any,
    ) -> CommandResult:
        """列入重大行政决策目录: the decision, its year and responsible unit (a new record)."""
        self.active_unit(cmd.unit_code)
        decision = MajorDecision(
            id=cmd.decision_id or uuid4(),
            title=cmd.title,
            year=cmd.year,
            unit_code=cmd.unit_code,
            description=cmd.description,
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


RECORDER = (Role.INSPECTOR, Role.ADMIN, Role.UNIT)  # the responsible unit, or on its behalf
OVERSEER = (Role.INSPECTOR, Role.AUTHORITY, Role.ADMIN)  # 决策问责, 纠错, 结果运用
LISTER = (Role.INSPECTOR, Role.ADMIN)
ON_DECISION: dict[str, Any] = {"aggregate": MajorDecision, "target": "decision_id"}


@command(
    roles=RECORDER,
    method="record_step",
    name="record_decision_step",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/procedure-steps",
)
@dataclass(frozen=True)
class RecordDecisionStep(Command):
    """记录决策程序: 公众参与、专家论证、风险评估、合法性审查、集体讨论决定."""

    decision_id: UUID
    step: str
    done_on: date
    evidence: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


@command(
    roles=RECORDER,
    method="decide",
    name="decide_decision",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/decision",
)
@dataclass(frozen=True)
class DecideDecision(Command):
    """作出决策: flagged when a required step was not done by the decision date."""

    decision_id: UUID
    decided_on: date
    summary: str


@command(
    roles=RECORDER,
    method="implement",
    name="implement_decision",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/implementation",
)
@dataclass(frozen=True)
class ImplementDecision(Command):
    """决策实施."""

    decision_id: UUID
    implemented_on: date
    note: str = ""


@command(
    roles=OVERSEER,
    method="link_accountability",
    name="link_decision_accountability",
    before="check_link_target",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/accountability-link",
)
@dataclass(frozen=True)
class LinkDecisionAccountability(Command):
    """决策问责: a flagged decision linked to a finding or an accountability ruling."""

    decision_id: UUID
    kind: str
    target_id: UUID


@command(
    roles=OVERSEER,
    method="correct",
    name="correct_decision",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/correction",
)
@dataclass(frozen=True)
class CorrectDecision(Command):
    """纠错."""

    decision_id: UUID
    reason: str
    correction: str
    corrected_on: date


@command(
    roles=LISTER,
    method="plan_evaluation",
    name="plan_decision_evaluation",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/evaluations",
)
@dataclass(frozen=True)
class PlanDecisionEvaluation(Command):
    """第三方评估计划 (the first; a later one is 二次评估, after the feedback is dealt with)."""

    decision_id: UUID
    evaluator: str
    scope: str
    planned_on: date


@command(
    roles=LISTER,
    method="report_evaluation",
    name="report_decision_evaluation",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/evaluations/{number}/report",
)
@dataclass(frozen=True)
class ReportDecisionEvaluation(Command):
    """评估报告: score 0–100, conclusion, findings."""

    decision_id: UUID
    number: int
    score: int
    conclusion: str
    reported_on: date
    findings: list[str] = field(default_factory=list)


@command(
    roles=LISTER,
    method="give_feedback",
    name="give_evaluation_feedback",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/evaluations/{number}/feedback",
)
@dataclass(frozen=True)
class GiveEvaluationFeedback(Command):
    """评估结果反馈: with or without rectification (and its deadline)."""

    decision_id: UUID
    number: int
    feedback: str
    rectification_required: bool
    deadline: date | None = None


@command(
    roles=RECORDER,
    method="report_rectification",
    name="report_evaluation_rectification",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/evaluations/{number}/rectification",
)
@dataclass(frozen=True)
class ReportEvaluationRectification(Command):
    """反馈整改 (the responsible unit, or an inspector)."""

    decision_id: UUID
    number: int
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@command(
    roles=OVERSEER,
    method="use_results",
    name="use_evaluation_results",
    **ON_DECISION,
    path="/major-decisions/{decision_id}/evaluations/{number}/result-use",
)
@dataclass(frozen=True)
class UseEvaluationResults(Command):
    """结果运用."""

    decision_id: UUID
    number: int
    use: str
    description: str
