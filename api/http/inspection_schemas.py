"""Request and response schemas of inspection rounds (督查活动) and major decisions
(重大行政决策)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, NotRequired
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints, model_validator
from typing_extensions import TypedDict

from api.http.read_schemas import Answer, Identified, Instant, Versioned
from api.http.schemas import (
    Body,
    Day,
    EvidenceList,
    LongText,
    Name,
    OptionalText,
    Reason,
    Title,
    UnitCode,
    storable,
    text,
)
from domain.vocabulary import (
    AccountabilityLinkKind,
    EntityKind,
    InspectionKind,
    ProcedureStep,
    ResultUse,
)

Seed = text(200, min_length=16)
# A second party's seed: whatever it committed to (only the hash was sent), up to 200
# characters; the reveal must take every such seed, or the round could never be drawn.
CoSeed = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(storable)]
Commitment = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# An inspector's name as the pool and the teams keep it: a name (one of spaces only is blank,
# refused) without the spaces around it, so that "甲" and "甲 " are one inspector, named once.
InspectorName = Annotated[Name, AfterValidator(str.strip)]


# -- inspection rounds ------------------------------------------------------------------------


class PoolInspector(Body):
    """An inspector of the round's pool and the unit they belong to (for 回避)."""

    name: InspectorName
    unit_code: UnitCode | None = None


class InspectionRules(Body):
    team_size: int = Field(default=2, ge=2, le=20, description="inspectors per unit, at least 2")
    share_percent: int = Field(default=5, ge=1, le=100, description="share of units to draw")


class InspectionCreate(Body):
    title: Title
    kind: InspectionKind
    scope: LongText
    period_start: Day
    period_end: Day
    units: Annotated[list[UnitCode], Field(min_length=1, max_length=2000)]
    inspectors: Annotated[list[PoolInspector], Field(min_length=2, max_length=500)]
    rules: InspectionRules = InspectionRules()


class SeedCommitment(Body):
    commitment: Commitment = Field(description="hex SHA-256 of the seed's UTF-8 bytes")


class DrawRequest(Body):
    seed: Seed  # type: ignore[valid-type]


class CoSeedReveal(Body):
    seed: CoSeed = Field(description="the second party's seed, 1–200 characters")


class Target(Body):
    unit_code: UnitCode
    team: Annotated[list[InspectorName], Field(min_length=1, max_length=20)]


class Assignment(Body):
    targets: Annotated[list[Target], Field(min_length=1, max_length=2000)]


class FindingLink(Body):
    finding_id: UUID


class UnitResult(Body):
    unit_code: UnitCode
    result: LongText


class Conclusion(Body):
    summary: LongText
    concluded_on: Day
    results: Annotated[list[UnitResult], Field(max_length=2000)] = Field(default_factory=list)


# -- major decisions --------------------------------------------------------------------------


class DecisionCreate(Body):
    title: Title
    year: int = Field(ge=2000, le=2100)
    unit_code: UnitCode
    description: OptionalText | None = None


class StepRecord(Body):
    step: ProcedureStep
    done_on: Day
    evidence: EvidenceList = Field(default_factory=list)
    note: OptionalText = ""
    outcome: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None,
        description="legality_review: lawful | lawful_after_changes | unlawful; "
        "risk_assessment: low | medium | high",
    )
    summary: OptionalText | None = Field(
        default=None, description="public_participation / expert_argumentation: what was said"
    )
    participants: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    opinions: Annotated[int, Field(ge=0, le=10_000_000)] | None = None


class DecisionTaken(Body):
    decided_on: Day
    summary: LongText


class ImplementationRecord(Body):
    implemented_on: Day
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
    corrected_on: Day


class EvaluationPlan(Body):
    evaluator: Title
    scope: LongText
    planned_on: Day


class EvaluationReport(Body):
    score: int = Field(ge=0, le=100)
    conclusion: LongText
    findings: Annotated[list[LongText], Field(max_length=100)] = Field(default_factory=list)
    reported_on: Day


class EvaluationFeedback(Body):
    feedback: LongText
    rectification_required: bool
    deadline: Day | None = None


class EvaluationRectification(Body):
    summary: LongText
    evidence: EvidenceList = Field(default_factory=list)


class ResultUseRecord(Body):
    use: ResultUse
    description: LongText


# -- answers ----------------------------------------------------------------------------------


class InspectorPublic(TypedDict):
    """An inspector of the pool: a name and the unit they belong to (for 回避)."""

    name: str
    unit_code: str | None


class RulesPublic(TypedDict):
    """A round's rules; a round of a 随机抽查事项 names the matter and its department."""

    team_size: int
    share_percent: int
    matter_id: NotRequired[str]
    unit_code: NotRequired[str]


class ChainHeadPublic(TypedDict):
    """The audit chain's head mixed into the draw."""

    index: int
    hash: str
    position: int


class TargetPublic(TypedDict):
    """A unit drawn or assigned, and its team's names."""

    unit_code: str
    team: list[str]


class UnitResultPublic(TypedDict):
    unit_code: str
    result: str


class RoundTitle(Identified):
    """A round's id, title and kind, as every list shows them."""

    title: str
    kind: str


class RoundScope(Answer):
    """What a round covers: its scope, period, units, inspectors and rules."""

    scope: str
    period_start: date
    period_end: date
    population: list[str]
    inspectors: list[InspectorPublic]
    rules: RulesPublic


class RoundProgress(Answer):
    """How far a round has come: its status, its draw, its findings and results."""

    status: str
    status_label: str
    commitment: str | None
    seed: str | None
    chain_head: ChainHeadPublic | None
    algorithm: str | None
    targets: list[TargetPublic]
    finding_ids: list[UUID]
    summary: str | None
    concluded_on: date | None
    results: list[UnitResultPublic]


class InspectionItem(RoundProgress, RoundScope, RoundTitle):
    """A round as the board lists it."""

    version: int
    launched_at: Instant
    updated_at: Instant


class InspectionPage(Answer):
    items: list[InspectionItem]
    next_cursor: str | None


class RoundRecord(Versioned):
    """A round read alone: its id and version, title and kind (with its label)."""

    title: str
    kind: str
    kind_label: str


class InspectionPublic(RoundProgress, RoundScope, RoundRecord):
    """One round, now or as it was (`version`, `as_of`)."""

    created_at: Instant
    updated_at: Instant


class DrawCheck(Answer):
    """The draw re-derived from the stored events: ok, or every problem found."""

    inspection_id: UUID
    ok: bool
    problems: list[str]
    algorithm: str | None
    commitment: str | None
    seed: str | None
    co_commitment: str | None = Field(
        default=None, description="v2: the second party's commitment (H of its seed)"
    )
    co_seed: str | None = Field(default=None, description="v2: the second party's seed")
    chain_head: ChainHeadPublic | None
    population: list[str]
    targets: list[TargetPublic]


class DrawPublic(TypedDict):
    """What re-derives a random draw: the algorithm, the seeds and their commitments, the
    chain head mixed in (v2: the beacon, the head of the first checkpoint after both
    commitments)."""

    algorithm: str | None
    commitment: str | None
    seed: str | None
    co_commitment: NotRequired[str | None]
    co_seed: NotRequired[str | None]
    chain_head: ChainHeadPublic | None


class PublicInspection(RoundScope, RoundTitle):
    """一公开: a concluded round, with nothing personal but the inspectors' names."""

    draw: DrawPublic | None
    targets: list[TargetPublic]
    findings_count: int
    summary: str | None
    results: list[UnitResultPublic]
    concluded_on: date | None


class PublicInspectionPage(Answer):
    items: list[PublicInspection]
    next_cursor: str | None


class ProcedureProgress(TypedDict):
    """The required steps, those done, and the share done."""

    required: list[str]
    done: list[str]
    completeness: float


class DecisionFacts(Answer):
    """What a decision is and where it stands, as every list and read shows it."""

    title: str
    year: int
    unit_code: str
    description: str | None
    status: str
    status_label: str


class DecisionItem(DecisionFacts, Identified):
    """A decision as the catalogue lists it, with its procedure's completeness."""

    steps_done: list[str]
    missing_steps: list[str]
    flaws: list[str]
    flagged: bool
    procedure: ProcedureProgress
    decided_on: date | None
    implemented_on: date | None
    links: list[str]
    corrections: int
    evaluations: int
    evaluation_status: str | None
    latest_score: int | None
    result_uses: int
    version: int
    catalogued_at: Instant
    updated_at: Instant


class DecisionPage(Answer):
    items: list[DecisionItem]
    next_cursor: str | None


class PublicDecision(DecisionFacts, Identified):
    """A decision as the published catalogue (重大行政决策目录) shows it to anyone: what is
    decided, by which unit, how far its procedure has come; nothing of accountability."""

    procedure: ProcedureProgress
    decided_on: date | None
    implemented_on: date | None
    catalogued_at: Instant


class PublicDecisionPage(Answer):
    items: list[PublicDecision]
    next_cursor: str | None


class LinkPublic(TypedDict):
    """决策问责: a finding or an accountability ruling linked to the decision."""

    kind: str
    target_id: UUID


class CorrectionPublic(TypedDict):
    reason: str
    correction: str
    corrected_on: date


class DecisionPublic(DecisionFacts, Versioned):
    """One decision with its steps, links, corrections and evaluations, now or as it was."""

    steps: dict[str, dict[str, Any]]
    procedure: ProcedureProgress
    decided_on: date | None
    decision_summary: str | None
    flagged: bool
    missing_steps: list[str]
    flaws: list[str] = Field(
        description="unlawful_review, review_after_collective_decision, "
        "risk_assessment_after_collective_decision"
    )
    links: list[LinkPublic]
    implemented_on: date | None
    corrections: list[CorrectionPublic]
    evaluations: list[dict[str, Any]]
    created_at: Instant
    updated_at: Instant


# -- 一单两库一细则 (random spot checks of market entities) -------------------------------------


class MatterCreate(Body):
    """A 随机抽查事项 with its 细则 (entity kinds and industries: none named covers all)."""

    unit_code: UnitCode
    title: Title
    legal_basis: text(2_000)  # type: ignore[valid-type]
    method: Title
    share_percent: int = Field(ge=1, le=100, description="抽查比例: percent of covered entities")
    rounds_per_year: int = Field(ge=1, le=12, description="抽查频次: rounds a year at most")
    entity_kinds: Annotated[list[EntityKind], Field(max_length=3)] = Field(default_factory=list)
    industries: Annotated[list[Name], Field(max_length=50)] = Field(default_factory=list)
    matter_id: UUID | None = None


class MarketEntityItem(Answer):
    credit_code: str
    name: str
    entity_kind: str
    entity_kind_label: str
    industry: str
    address: str | None
    status: str


class MarketEntityPage(Answer):
    items: list[MarketEntityItem]
    next_cursor: str | None


class OfficerItem(Answer):
    name: str
    unit_code: str
    certificate: str
    valid_until: date
    status: str


class OfficerPage(Answer):
    items: list[OfficerItem]
    next_cursor: str | None


class MatterItem(Identified):
    """An item of the 随机抽查事项清单 with its 细则 and how many rounds it has held."""

    unit_code: str
    title: str
    legal_basis: str
    method: str
    entity_kinds: list[str]
    entity_kind_labels: list[str]
    industries: list[str]
    share_percent: int
    rounds_per_year: int
    status: str
    rounds: int


class MatterPage(Answer):
    items: list[MatterItem]
    next_cursor: str | None
