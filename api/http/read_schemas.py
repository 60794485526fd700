"""Response schemas of the reads: what each answer shows, and nothing else.

Every read route declares one of these as its response model, so an answer is serialised
through it: a field not declared here (a read model's search index, a paging key, a column
added later) never leaves the service, whatever the query selected. Inspection rounds and
major decisions have theirs in api/http/inspection_schemas.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, NotRequired
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from typing_extensions import TypedDict


def isoformat(moment: datetime) -> str:
    return moment.isoformat()


# A time as the API has always written it: `isoformat()`, so UTC is `+00:00` (pydantic's own
# serialiser would write `Z`), whether it came as a datetime or as that text already.
Instant = Annotated[
    datetime,
    PlainSerializer(isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Answer(BaseModel):
    """A response body: only the declared fields are written, anything else is dropped."""

    model_config = ConfigDict(extra="ignore")


# A record's answers share runs of fields through small bases. pydantic lists the fields of
# the bases first, the last base's first: `class FindingItem(FindingFacts, Identified)` writes
# `id`, then the facts, then its own fields, the order the API has always had.


class Identified(Answer):
    """An answer about one record: its id first."""

    id: UUID


class Versioned(Identified):
    """One record as it stands (or stood): its id, then its version."""

    version: int


class ActorPublic(TypedDict):
    """Who did it, as every event records it."""

    id: str
    name: str
    role: str


# -- events -----------------------------------------------------------------------------------


class EventItem(Answer):
    """One of a record's own events: what happened, when, by whom; `data` as recorded."""

    version: int
    event_type: str
    event_label: str
    recorded_at: Instant
    actor: ActorPublic | None
    data: dict[str, Any]


class EventPage(Answer):
    items: list[EventItem]
    next_cursor: str | None


class TimelineItem(EventItem):
    """An event of the finding or of a ruling that links it."""

    aggregate_id: UUID
    aggregate_type: str


class TimelinePage(Answer):
    items: list[TimelineItem]
    next_cursor: str | None


# -- accounts ---------------------------------------------------------------------------------


class AccountItem(Answer):
    """An account as listed (never its token or the token's hash)."""

    id: UUID
    name: str
    role: str
    unit_code: str | None
    status: str = Field(description="active, revoked, or expired (active, past expires_at)")
    created_at: Instant
    expires_at: Instant | None = Field(description="when the token stops working (null: never)")
    version: int


class AccountPage(Answer):
    items: list[AccountItem]
    next_cursor: str | None


# -- units ------------------------------------------------------------------------------------


class UnitItem(Answer):
    """A unit as listed: status `active`, `merged` or `dissolved`."""

    code: str
    name: str
    kind: str
    status: str
    successor_code: str | None
    version: int


class UnitPage(Answer):
    items: list[UnitItem]
    next_cursor: str | None


class UnitPublic(UnitItem):
    """One unit (now, or as it was at a version or time): a split unit names the units it
    was split into; its 内设机构, by name."""

    kind_label: str
    split_into: list[str]
    internal_units: list[str]


class UnitHistoryItem(Answer):
    """An event touching the unit or a unit merged into it, with a line in Chinese."""

    position: int
    recorded_at: Instant
    event_type: str
    aggregate_type: str
    aggregate_id: UUID
    summary: str
    actor: ActorPublic | None
    unit_code: str


class UnitHistoryPage(Answer):
    items: list[UnitHistoryItem]
    next_cursor: str | None


# -- findings ---------------------------------------------------------------------------------


class FindingFacts(Answer):
    """What a finding is about, whether listed or read alone."""

    unit_code: str
    title: str
    description: str
    category: str
    severity: str
    source: str
    status: str


class FindingItem(FindingFacts, Identified):
    """A finding as the board lists it."""

    found_on: date
    deadline: date | None
    work_item_id: UUID | None
    escalations: int
    reopen_count: int
    closed_on: date | None
    version: int
    raised_at: Instant
    updated_at: Instant
    overdue: bool
    deadline_colour: str | None


class FindingPage(Answer):
    items: list[FindingItem]
    next_cursor: str | None


class EvidenceFile(TypedDict):
    """An evidence file, named by its content hash."""

    name: str
    sha256: str
    size: int


class ReportPublic(TypedDict):
    """A rectification report: what the unit did, with its evidence."""

    summary: str
    evidence: list[EvidenceFile]


class OriginPublic(TypedDict):
    """Where a finding came from (领导批示 or 会议议定)."""

    leader: NotRequired[str]
    instructed_on: NotRequired[str]
    meeting: NotRequired[str]
    held_on: NotRequired[str]


class PowerCitation(TypedDict):
    """A power of a unit's 权力清单 a finding cites: its number, and its name as then listed."""

    unit_code: str
    number: int
    name: str


class FindingPublic(FindingFacts, Versioned):
    """One finding with its rectification, now or as it was (`version`, `as_of`)."""

    status_label: str
    found_on: date
    deadline: date | None
    overdue: bool
    deadline_colour: str | None
    requirements: str | None
    evidence: list[EvidenceFile]
    reports: list[ReportPublic]
    escalations: int
    reopen_count: int
    closed_on: date | None
    withdrawn_reason: str | None
    work_item_id: UUID | None
    origin: OriginPublic | None = Field(
        default=None, description="立项: {leader, instructed_on} or {meeting, held_on}"
    )
    power_items: list[PowerCitation] = Field(
        default_factory=list, description="引用的权力事项: the powers of the unit's 权力清单 cited"
    )
    created_at: Instant
    updated_at: Instant


# -- work items -------------------------------------------------------------------------------


class ScorePublic(TypedDict):
    """A work item's year-end evaluation."""

    score: int
    grade: str
    comment: str | None


class WorkItemFacts(Answer):
    """What a work item is, whether listed or read alone."""

    title: str
    year: int
    lead_unit: str
    co_units: list[str]
    due_on: date
    source_ref: str | None
    description: str | None
    status: str


class WorkItemItem(WorkItemFacts, Identified):
    """A work item as the ledger lists it."""

    percent: int
    progress_count: int
    score: int | None
    grade: str | None
    evaluation_comment: str | None
    closing_reason: str | None
    overdue: bool
    deadline_colour: str | None
    leader: str | None
    version: int
    listed_at: Instant
    updated_at: Instant
    evaluation: ScorePublic | None


class WorkItemPage(Answer):
    items: list[WorkItemItem]
    next_cursor: str | None


class ProgressPublic(TypedDict):
    """A progress entry of the ledger."""

    note: str
    percent: int
    actor: ActorPublic | None


class MilestonePublic(TypedDict):
    """A milestone (节点) of a work item: its date, its leader if not the item's, whether
    and when it was reached, and its colour while not reached (红/黄/蓝)."""

    number: int
    title: str
    due_on: date
    leader: str | None
    reached_on: date | None
    note: str | None
    deadline_colour: str | None


class WorkItemPublic(WorkItemFacts, Versioned):
    """One work item with its progress entries and evaluation."""

    status_label: str
    percent: int
    progress: list[ProgressPublic]
    evaluation: ScorePublic | None
    closing_reason: str | None
    overdue: bool
    deadline_colour: str | None
    leader: str | None
    milestones: list[MilestonePublic]
    created_at: Instant
    updated_at: Instant


class SchemePublic(Answer):
    """A year's 考评办法: the lowest score of 优秀, 良好 and 合格; `adopted` false while the
    year has none and the defaults apply."""

    year: int
    bands: dict[str, int]
    adopted: bool
    version: int
    weights: dict[str, int] = Field(
        description="综合考评权重 of 台账完成度 (ledger), 督查整改 (supervision) and 考评得分 "
        "(evaluation); the usual 30/30/40 until the year's scheme sets its own"
    )


# -- rulings ----------------------------------------------------------------------------------


class TolerancePolicyPublic(Answer):
    """The county's 容错免责办法: the conditions (条件) every 免责 and 从轻 needs verified, beside
    the vocabulary's circumstances (情形, one of which must be met) and conditions."""

    adopted: bool
    locality: str | None
    required_conditions: list[str]
    circumstances: list[str]
    conditions: list[str]
    version: int


class RulingItem(Answer):
    """A ruling as listed (no personal data: the subject person stays in the event log)."""

    id: UUID
    kind: str
    unit_code: str
    status: str
    form: str | None
    outcome: str | None
    criteria: list[str]
    finding_ids: list[UUID]
    decided_on: date | None
    appeal_result: str | None
    version: int
    position: int
    created_at: Instant
    updated_at: Instant


class RulingPage(Answer):
    items: list[RulingItem]
    next_cursor: str | None


class PersonPublic(TypedDict, total=False):
    name: str
    position: str


class SubjectPublic(TypedDict):
    """The unit, and the person where one is named."""

    unit_code: str
    person: NotRequired[PersonPublic]
    person_id: NotRequired[str]


class RulingService(TypedDict):
    """送达: the day, to whom, and the last day an appeal is taken (a month on)."""

    served_on: date
    served_to: str
    appeal_by: date


class SubjectStatement(TypedDict):
    """陈述申辩."""

    statement: str
    made_on: date


class RulingPublic(Answer):
    id: UUID
    kind_label: str
    version: int
    status: str
    status_label: str
    subject: SubjectPublic
    unit_code: str
    finding_ids: list[UUID]
    verification: str | None
    decision: dict[str, Any] | None
    appeal: dict[str, Any] | None
    publication: dict[str, Any] | None
    service: RulingService | None
    paired_ruling_id: UUID | None = Field(
        default=None,
        description="关联: the ruling of the other kind on the same case (a fault-tolerance "
        "application and an accountability proposal, decided together, the tolerance first)",
    )
    created_at: Instant
    updated_at: Instant


class AccountabilityRulingPublic(RulingPublic):
    """An accountability ruling (问责); once decided, the `measure` of an organisational
    adjustment (组织调整或者组织处理), the day its effects end (`effects_until`, 影响期) and
    whether the subject was `heard` (陈述申辩) before the decision."""

    kind: Literal["accountability"]
    form: str
    form_label: str
    basis: str
    facts: str
    subject_kind: str
    statements: list[SubjectStatement]
    measure: str | None
    measure_label: str | None
    effects_until: date | None
    heard: bool


class ToleranceRulingPublic(RulingPublic):
    """A fault-tolerance ruling (容错免责)."""

    kind: Literal["fault_tolerance"]
    grounds: str
    criteria_claimed: list[str]
    outcome: str | None
    exclusions: list[str]
    criteria_met: list[str]


AnyRuling = Annotated[
    AccountabilityRulingPublic | ToleranceRulingPublic, Field(discriminator="kind")
]


# -- case library and scorecards --------------------------------------------------------------


class CaseItem(Answer):
    """A published ruling, anonymised."""

    id: UUID
    kind: str
    unit_code: str
    year: int
    form: str | None
    outcome: str | None
    criteria: list[str]
    tags: list[str]
    summary: str
    facts: str
    reasoning: str
    finding_titles: str
    published_at: Instant
    paired: bool = Field(
        default=False,
        description="关联: the ruling was paired with one of the other kind on the same case "
        "(a fault-tolerance application and an accountability proposal)",
    )
    paired_case_id: UUID | None = Field(
        default=None,
        description="that ruling's case, where it is in the library too (a proposal closed by "
        "an exemption, 免予问责, never is)",
    )


class CasePage(Answer):
    items: list[CaseItem]
    next_cursor: str | None


class Scorecard(Answer):
    """A unit's year: findings, on-time rectification, rulings and work items."""

    code: str
    name: str
    year: int
    findings_raised: int
    findings_closed: int
    findings_open: int
    findings_overdue: int
    findings_withdrawn: int
    on_time_rate: float | None = Field(
        description="closed findings the unit reported by the first deadline it was given, "
        "over all closed findings with a deadline (docs/scorecards.md); null: none closed"
    )
    extensions: int = Field(description="deadlines moved: approved 延期申请 and extensions")
    returns: int = Field(description="reports sent back by verification (审核退回)")
    reopenings: int = Field(description="closed findings opened again")
    accountability_by_form: dict[str, int]
    tolerance_by_outcome: dict[str, int]
    work_items: int
    mean_work_item_score: float | None


class YearEndParts(TypedDict):
    """The parts of a unit's year-end score, each 0–100 or null when the unit has none."""

    ledger: float | None
    supervision: float | None
    evaluation: float | None


class YearEndScore(Answer):
    """年终综合考评: a unit's year-end score, the weighted mean of its parts."""

    code: str
    name: str
    year: int
    parts: YearEndParts
    weights: dict[str, int] = Field(description="the year's weights (its scheme's, or 30/30/40)")
    weights_used: dict[str, int] = Field(
        description="the weights of the parts that have a value (a part without one is left "
        "out and the others fill its share)"
    )
    score: float | None


class UnitStats(Answer):
    year: int
    items: list[Scorecard]
    next_cursor: str | None = Field(
        description="the next page's cursor when `limit` cut the list (every unit by default)"
    )


# -- power and responsibility lists (权力清单、责任清单) ------------------------------------------


class PowerItemPublic(TypedDict):
    """A power in force: its kind, legal basis, the internal unit that exercises it and the
    responsibilities that go with it."""

    number: int
    name: str
    kind: str
    kind_label: str
    legal_basis: str
    internal_unit: str | None
    responsibilities: str


class PowerListPublic(Answer):
    """A unit's 权力清单 with its 责任清单 in force, now or at a version or time."""

    unit_code: str
    version: int
    items: list[PowerItemPublic]
    updated_at: Instant


class PowerListEntry(Answer):
    """A unit that has a list, and how many powers are in force on it."""

    unit_code: str
    unit_name: str
    items: int
    version: int
    updated_at: Instant


class PowerListIndex(Answer):
    items: list[PowerListEntry]


# -- 激励 -------------------------------------------------------------------------------------


class CommendationPublic(Versioned):
    """A unit's 激励: its kind, year and reason, what it rests on, and, once withdrawn, why."""

    kind: str
    kind_label: str
    unit_code: str
    year: int
    reason: str
    decided_on: date
    work_item_ids: list[UUID]
    ruling_id: UUID | None
    withdrawn: str | None
    created_at: Instant
    updated_at: Instant


# -- the person register (人员名录) -----------------------------------------------------------


class PersonUnit(TypedDict):
    unit_code: str
    since: date | None


class PersonRuling(TypedDict):
    """A decided ruling on the person's record: its kind (`accountability`,
    `fault_tolerance`), unit, form or outcome, whether it stands against the person (a form
    not revoked; tolerance granted), the appeal's result and the 影响期."""

    ruling_id: UUID
    kind: str
    unit_code: str
    result: str
    result_label: str
    decided_on: date
    effects_until: date | None
    standing: bool
    appeal: str | None


class PersonRecord(Versioned):
    """A person of the register with their record (the authority's)."""

    name: str
    position: str
    unit_code: str
    units: list[PersonUnit]
    record: list[PersonRuling]
    effects_until: date | None
    erased: bool
    subject_id: UUID  # what a shredding names: POST /api/v1/privacy/subjects/{id}/shred
    created_at: datetime
    updated_at: datetime


# -- evidence files and documents (issue 17) ---------------------------------------------------


class UploadedFile(Answer):
    """A kept file as evidence lists cite it, with the type its bytes were read to be."""

    name: str
    sha256: str
    size: int
    content_type: str


class UploadAnswer(Answer):
    files: list[UploadedFile]


class DocumentFile(Answer):
    sha256: str
    size: int


class DocumentItem(Answer):
    """An issued document (公文): its kind, 发文字号, what it is about, its files' hashes."""

    id: UUID
    kind: str
    kind_label: str
    number: str
    title: str
    record_kind: Literal["finding", "ruling", "unit", "county", "group"]
    record_id: str
    issued_on: date
    issued_by: str
    files: dict[str, DocumentFile]
    sealed: bool


class DocumentPage(Answer):
    items: list[DocumentItem]
    next_cursor: str | None
