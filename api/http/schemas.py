"""Request and response schemas (never the event classes themselves)."""

from __future__ import annotations

import re
import types
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.vocabulary import (
    AccountabilityForm,
    AppealResult,
    CommendationKind,
    FindingCategory,
    FindingSource,
    Grade,
    OrganisationalMeasure,
    Role,
    Severity,
    ToleranceCriterion,
    ToleranceExclusion,
    ToleranceOutcome,
    UnitKind,
    VerificationOutcome,
)


def storable(value: str) -> str:
    """PostgreSQL text holds any Unicode but NUL, and only what UTF-8 can encode."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def not_blank(value: str) -> str:
    """A text a record requires says something: not only spaces."""
    if not value.strip():
        raise ValueError("text must not be blank")
    return value


def text(max_length: int, min_length: int = 1) -> Any:
    """A text of at most `max_length` characters that PostgreSQL can store; a required one
    (`min_length` 1) not blank either."""
    checks = [AfterValidator(storable), *([AfterValidator(not_blank)] if min_length else [])]
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        *checks,
    ]


Name = text(100)
Title = text(200)
LongText = text(10_000)
Reason = text(2_000)
OptionalText = text(5_000, min_length=0)
SourceRef = text(200)
UnitCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


ISO_DAY = re.compile(r"([0-9]{4})-[0-9]{2}-[0-9]{2}")
FIRST_YEAR = 1900  # the first year the lists' year filters take (api/http/deps.py)
LAST_YEAR = 2100  # the last year a work item takes: a day beyond is a typing slip (9999)


def day_as_written(value: Any) -> Any:
    """A day is written YYYY-MM-DD (api.md), from 1900 to 2100: not a number, which pydantic
    would read as seconds since 1970 (0 as 1970-01-01), nor a datetime at midnight; a
    deadline of 9999-12-31 would never fall due."""
    if isinstance(value, date):
        return value
    written = ISO_DAY.fullmatch(value) if isinstance(value, str) else None
    if written is None:
        raise PydanticCustomError("date_parsing", "a day is written YYYY-MM-DD")
    if int(written[1]) < FIRST_YEAR:
        raise PydanticCustomError("date_too_early", "a day lies in 1900 or later")
    if int(written[1]) > LAST_YEAR:
        raise PydanticCustomError("date_too_late", "a day lies in 2100 or earlier")
    return value


Day = Annotated[date, BeforeValidator(day_as_written)]  # every day a request body holds


def takes_bool_for_int(annotation: Any, value: Any) -> bool:
    """Whether `value` puts a boolean where `annotation` asks for an integer (an int, maybe
    optional or constrained, or a mapping of them)."""
    if get_origin(annotation) is Annotated:
        return takes_bool_for_int(get_args(annotation)[0], value)
    if get_origin(annotation) in (Union, types.UnionType):
        return any(takes_bool_for_int(part, value) for part in get_args(annotation))
    if get_origin(annotation) is dict and isinstance(value, dict):
        _, values = get_args(annotation)
        return any(takes_bool_for_int(values, v) for v in value.values())
    return annotation is int and isinstance(value, bool)


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @model_validator(mode="before")
    @classmethod
    def numbers_are_not_booleans(cls, data: Any) -> Any:
        """JSON's true and false are not the numbers 1 and 0, which pydantic's lax mode would
        make of them (a score of `true` was recorded as 1)."""
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                value = data.get(field.alias or name)
                if takes_bool_for_int(field.annotation, value):
                    raise PydanticCustomError(
                        "int_type", "{field} should be a number, not true or false", {"field": name}
                    )
        return data


class Evidence(Body):
    """An evidence file, named by its content hash (the file itself lives elsewhere)."""

    name: text(255)  # type: ignore[valid-type]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    size: int = Field(ge=0, le=10**12)


EvidenceList = Annotated[list[Evidence], Field(max_length=100)]


# -- accounts ---------------------------------------------------------------------------------


class AccountCreate(Body):
    name: Name  # type: ignore[valid-type]
    role: Role
    unit_code: UnitCode | None = None


class Revocation(Body):
    reason: Reason  # type: ignore[valid-type]


# -- units ------------------------------------------------------------------------------------


class UnitCreate(Body):
    code: UnitCode
    name: Name  # type: ignore[valid-type]
    kind: UnitKind


class UnitRenaming(Body):
    name: Name  # type: ignore[valid-type]
    reason: Reason  # type: ignore[valid-type]
    effective_on: Day


class UnitMerger(Body):
    into: UnitCode
    reason: Reason  # type: ignore[valid-type]
    effective_on: Day


class InternalUnit(Body):
    name: Name  # type: ignore[valid-type]


class InternalUnitRemoval(InternalUnit):
    reason: Reason  # type: ignore[valid-type]


class RecordAssignment(Body):
    """A split unit's open finding or work item, and the successor that takes it."""

    record_id: UUID
    unit_code: UnitCode


class UnitSplit(Body):
    """分设: the successors, and which takes which open record (the rest: `default_unit`)."""

    into: Annotated[list[UnitCode], Field(min_length=2, max_length=20)]
    reason: Reason  # type: ignore[valid-type]
    effective_on: Day
    assignments: Annotated[list[RecordAssignment], Field(max_length=5000)] = []
    default_unit: UnitCode | None = None


# -- findings ---------------------------------------------------------------------------------


class FindingOrigin(Body):
    """立项: who instructed it and when (领导批示), or the meeting that decided it and when
    (会议议定)."""

    leader: Name | None = None  # type: ignore[valid-type]
    instructed_on: Day | None = None
    meeting: Title | None = None  # type: ignore[valid-type]
    held_on: Day | None = None


class FindingCreate(Body):
    unit_code: UnitCode
    title: Title  # type: ignore[valid-type]
    description: LongText  # type: ignore[valid-type]
    category: FindingCategory
    severity: Severity
    source: FindingSource
    found_on: Day
    work_item_id: UUID | None = None
    evidence: EvidenceList = []
    origin: FindingOrigin | None = Field(
        default=None,
        description="required with source leader_instruction ({leader, instructed_on}) and "
        "meeting_decision ({meeting, held_on}); not given with any other source",
    )


class RectificationOrder(Body):
    deadline: Day
    requirements: LongText  # type: ignore[valid-type]


class RectificationReport(Body):
    summary: LongText  # type: ignore[valid-type]
    evidence: EvidenceList = []


class Verification(Body):
    outcome: VerificationOutcome
    comment: OptionalText = ""  # type: ignore[valid-type]
    new_deadline: Day | None = None


class DeadlineExtension(Body):
    new_deadline: Day
    reason: Reason  # type: ignore[valid-type]


class ReasonOnly(Body):
    reason: Reason  # type: ignore[valid-type]


class Reopening(Body):
    reason: Reason  # type: ignore[valid-type]
    new_deadline: Day | None = None


class FindingChanges(BaseModel):
    """The fields an amendment may correct; anything else is refused."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None  # type: ignore[valid-type]
    description: LongText | None = None  # type: ignore[valid-type]
    category: FindingCategory | None = None
    severity: Severity | None = None
    source: FindingSource | None = None
    found_on: Day | None = None
    evidence: EvidenceList | None = None
    origin: FindingOrigin | None = None


class Amendment(Body):
    changes: FindingChanges
    reason: Reason  # type: ignore[valid-type]


# -- answers ----------------------------------------------------------------------------------


class CommandAnswer(BaseModel):
    id: UUID
    version: int
    position: int


class AccountCreated(CommandAnswer):
    name: str
    role: Role
    unit_code: str | None
    token: str | None = Field(description="shown once; a replayed answer omits it")


# -- work items -------------------------------------------------------------------------------


class WorkItemCreate(Body):
    title: Title  # type: ignore[valid-type]
    year: int = Field(ge=2000, le=2100)
    lead_unit: UnitCode
    co_units: Annotated[list[UnitCode], Field(max_length=50)] = []
    due_on: Day
    source_ref: SourceRef | None = None  # type: ignore[valid-type]
    description: OptionalText | None = None  # type: ignore[valid-type]


class ProgressEntry(Body):
    note: LongText  # type: ignore[valid-type]
    percent: int = Field(ge=0, le=100)


class Evaluation(Body):
    score: int = Field(ge=0, le=100)
    grade: Grade
    comment: OptionalText = ""  # type: ignore[valid-type]


# The lowest score of each grade but 不合格: {"excellent": 90, "good": 80, "pass": 60}. Here
# only numbers (90.0 read as 90; 90.5 kept, for the domain to refuse); the domain checks the
# three grades are named, with whole numbers from 1 to 100, in order: 422 invalid_value
# (docs/commands.md), not the schema's validation_error.
Bands = dict[str, Annotated[int | float, Field(union_mode="left_to_right")]]


class SchemeCreate(Body):
    """制定考评办法."""

    year: int = Field(ge=2000, le=2100)
    bands: Bands


class Weights(Body):
    """The three parts' weights, whole numbers from 0 to 100, no other part (422
    validation_error); that they add up to 100 the domain checks (422 invalid_value)."""

    model_config = ConfigDict(extra="forbid")

    ledger: int = Field(ge=0, le=100, description="台账完成度")
    supervision: int = Field(ge=0, le=100, description="督查整改")
    evaluation: int = Field(ge=0, le=100, description="考评得分")


class YearEndWeights(Body):
    """设定综合考评权重: 台账完成度 (ledger), 督查整改 (supervision), 考评得分 (evaluation)."""

    weights: Weights
    reason: Reason  # type: ignore[valid-type]


class SchemeRevision(Body):
    """修订考评办法."""

    bands: Bands
    reason: Reason  # type: ignore[valid-type]


# -- rulings ----------------------------------------------------------------------------------


class Person(Body):
    name: Name  # type: ignore[valid-type]
    position: text(100, min_length=0) = ""  # type: ignore[valid-type]


class Subject(Body):
    """The unit, and the person: by name, or by their id in the register (人员名录)."""

    unit_code: UnitCode
    person: Person | None = None
    person_id: UUID | None = None


FindingIds = Annotated[list[UUID], Field(max_length=100)]
Tag = text(50)
Tags = Annotated[list[Tag], Field(max_length=20)]  # type: ignore[valid-type]


class AccountabilityCreate(Body):
    subject: Subject
    finding_ids: FindingIds = []
    form: AccountabilityForm
    basis: LongText  # type: ignore[valid-type]
    facts: LongText  # type: ignore[valid-type]


class ToleranceCreate(Body):
    subject: Subject
    finding_ids: FindingIds = []
    grounds: LongText  # type: ignore[valid-type]
    criteria_claimed: Annotated[list[ToleranceCriterion], Field(max_length=20)] = []


Criteria = Annotated[list[ToleranceCriterion], Field(max_length=20)]


class TolerancePolicyCreate(Body):
    """制定容错免责办法: the county (its name) and the conditions (条件) it requires."""

    locality: Name  # type: ignore[valid-type]
    required_conditions: Criteria = []


class TolerancePolicyRevision(Body):
    """修订容错免责办法."""

    required_conditions: Criteria
    reason: Reason  # type: ignore[valid-type]


class CommendationCreate(Body):
    """记录激励."""

    kind: CommendationKind
    unit_code: UnitCode
    year: int = Field(ge=2000, le=2100)
    reason: Reason  # type: ignore[valid-type]
    decided_on: Day
    work_item_ids: Annotated[list[UUID], Field(max_length=50)] = []
    ruling_id: UUID | None = None


class RulingVerification(Body):
    comment: LongText  # type: ignore[valid-type]


class Decision(Body):
    """Accountability: {form, reasoning, decided_on}; fault tolerance: {outcome,
    criteria_met[], reasoning, decided_on}."""

    form: AccountabilityForm | None = None
    outcome: ToleranceOutcome | None = None
    criteria_met: Annotated[list[ToleranceCriterion], Field(max_length=20)] = []
    reasoning: LongText  # type: ignore[valid-type]
    decided_on: Day
    measure: OrganisationalMeasure | None = None
    effects_until: Day | None = None
    exclusions: Annotated[list[ToleranceExclusion], Field(max_length=10)] = []


class Statement(Body):
    """陈述申辩: the subject's statement, and the day it was made."""

    statement: LongText  # type: ignore[valid-type]
    made_on: Day


class Service(Body):
    """送达: the day the decision was served, and to whom."""

    served_on: Day
    served_to: Name  # type: ignore[valid-type]


class Appeal(Body):
    grounds: LongText  # type: ignore[valid-type]


class AppealDecision(Body):
    result: AppealResult
    reasoning: LongText  # type: ignore[valid-type]
    form: AccountabilityForm | None = None
    outcome: ToleranceOutcome | None = None
    criteria_met: Annotated[list[ToleranceCriterion], Field(max_length=20)] | None = None


class Publication(Body):
    summary: LongText  # type: ignore[valid-type]
    tags: Tags = []


class UnitDissolution(Body):
    reason: Reason  # type: ignore[valid-type]
    effective_on: Day


# -- documents (公文) --------------------------------------------------------------------------


class DocumentIssue(Body):
    """印发公文: the kind, and what names its record (as its kind needs: docs/api-files.md)."""

    kind: Literal[
        "supervision_notice",
        "rectification_notice",
        "bulletin",
        "evaluation_report",
        "accountability_decision",
        "tolerance_decision",
    ]
    finding_id: UUID | None = None
    ruling_id: UUID | None = None
    unit_code: UnitCode | None = None
    year: int | None = Field(default=None, ge=2000, le=2999)
    period: (
        Annotated[str, StringConstraints(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")] | None
    ) = None
    unit_codes: Annotated[list[UnitCode], Field(max_length=200)] = []
    issued_on: Day | None = None
    document_id: UUID | None = None
