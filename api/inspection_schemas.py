"""Request schemas of inspection rounds (督查活动) and major decisions (重大行政决策)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from api.schemas import (
    Body,
    EvidenceList,
    LongText,
    Name,
    OptionalText,
    Reason,
    Title,
    UnitCode,
    text,
)
from domain.vocabulary import AccountabilityLinkKind, InspectionKind, ProcedureStep, ResultUse

Seed = text(200, min_length=16)
Commitment = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


# -- inspection rounds ------------------------------------------------------------------------


class PoolInspector(Body):
    """An inspector of the round's pool and the unit they belong to (for 回避)."""

    name: Name
    unit_code: UnitCode | None = None


class InspectionRules(Body):
    team_size: int = Field(default=2, ge=2, le=20, description="inspectors per unit, at least 2")
    share_percent: int = Field(default=5, ge=1, le=100, description="share of units to draw")


class InspectionCreate(Body):
    title: Title
    kind: InspectionKind
    scope: LongText
    period_start: date
    period_end: date
    units: Annotated[list[UnitCode], Field(min_length=1, max_length=2000)]
    inspectors: Annotated[list[PoolInspector], Field(min_length=2, max_length=500)]
    rules: InspectionRules = InspectionRules()


class SeedCommitment(Body):
    commitment: Commitment = Field(description="hex SHA-256 of the seed's UTF-8 bytes")


class DrawRequest(Body):
    seed: Seed  # type: ignore[valid-type]


class Target(Body):
    unit_code: UnitCode
    team: Annotated[list[Name], Field(min_length=1, max_length=20)]


class Assignment(Body):
    targets: Annotated[list[Target], Field(min_length=1, max_length=2000)]


class FindingLink(Body):
    finding_id: UUID


class UnitResult(Body):
    unit_code: UnitCode
    result: LongText


class Conclusion(Body):
    summary: LongText
    concluded_on: date
    results: Annotated[list[UnitResult], Field(max_length=2000)] = Field(default_factory=list)


# -- major decisions --------------------------------------------------------------------------


class DecisionCreate(Body):
    title: Title
    year: int = Field(ge=2000, le=2100)
    unit_code: UnitCode
    description: OptionalText | None = None


class StepRecord(Body):
    step: ProcedureStep
    done_on: date
    evidence: EvidenceList = Field(default_factory=list)
    note: OptionalText = ""


class DecisionTaken(Body):
    decided_on: date
    summary: LongText


class ImplementationRecord(Body):
    implemented_on: date
    note: OptionalText = ""


class AccountabilityLink(Body):
    """Exactly one of finding_id and ruling_id (an accountability ruling)."""

    finding_id: UUID | None = None
    ruling_id: UUID | None = None

    @model_validator(mode="after")
    def one_target(self) -> AccountabilityLink:
        if (self.finding_id is None) == (self.ruling_id is None):
            raise ValueError("give exactly one of finding_id and ruling_id")
        return self

    @property
    def kind(self) -> AccountabilityLinkKind:
        if self.finding_id is not None:
            return AccountabilityLinkKind.FINDING
        return AccountabilityLinkKind.RULING

    @property
    def target_id(self) -> UUID:
        target = self.finding_id or self.ruling_id
        assert target is not None
        return target


class CorrectionRecord(Body):
    reason: Reason
    correction: LongText
    corrected_on: date


class EvaluationPlan(Body):
    evaluator: Title
    scope: LongText
    planned_on: date


class EvaluationReport(Body):
    score: int = Field(ge=0, le=100)
    conclusion: LongText
    findings: Annotated[list[LongText], Field(max_length=100)] = Field(default_factory=list)
    reported_on: date


class EvaluationFeedback(Body):
    feedback: LongText
    rectification_required: bool
    deadline: date | None = None


class EvaluationRectification(Body):
    summary: LongText
    evidence: EvidenceList = Field(default_factory=list)


class ResultUseRecord(Body):
    use: ResultUse
    description: LongText
