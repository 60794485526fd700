"""The registry: every command the service takes, each a small immutable type whose fields are
its contract, under the line that says who may send it, what carries it out and where HTTP
clients POST it (domain/messages.py says what a line may name; docs/commands.md how to add one).

The application (domain/application.py) imports this module, so every command here is
registered and has its generated method (`app.escalate_finding(…)`); what carries a command out
lives beside its aggregate: the aggregate's method, or the application's check (`check_*`) or
handler (`do_*`) in domain/<aggregate>_commands.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.accounts import Account
from domain.commendations import Commendation
from domain.evaluation_schemes import EvaluationScheme
from domain.findings import Finding
from domain.inspections import Inspection
from domain.major_decisions import MajorDecision
from domain.messages import Command, command
from domain.power_lists import PowerList
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.spot_checks import EnforcementOfficer, MarketEntity, SpotCheckMatter
from domain.subjects import DataSubject
from domain.tolerance_policies import TolerancePolicy
from domain.units import Unit
from domain.vocabulary import Role
from domain.work_items import WorkItem

# Who may send a command, in the order a refusal names them.
INSPECTOR = (Role.INSPECTOR,)
REPORTER = (Role.INSPECTOR, Role.UNIT)  # an inspector, or the record's own unit
ORGANISERS = (Role.INSPECTOR, Role.ADMIN)
RECORDER = (Role.INSPECTOR, Role.ADMIN, Role.UNIT)  # the responsible unit, or on its behalf
OVERSEER = (Role.INSPECTOR, Role.AUTHORITY, Role.ADMIN)  # 决策问责, 纠错, 结果运用


# -- accounts (opened with a token shown once: api/http/routes/accounts.py) ---


@command(
    roles=(Role.ADMIN,),
    aggregate=Account,
    target="account_id",
    method="revoke",
    path="/accounts/{account_id}/revocation",
)
@dataclass(frozen=True)
class RevokeAccount(Command):
    """Revoke an account: its token is refused from the next request on (this process
    forgets the accounts it kept now; the others when PostgreSQL notifies them)."""

    account_id: UUID
    reason: str


# -- units (单位: named by their code, their id derived from it) ---


@command(roles=(Role.ADMIN,), creates=Unit, before="check_new_unit", path="/units", status=201)
@dataclass(frozen=True)
class RegisterUnit(Command):
    """Register a unit (a duplicate code is a 409 `already_exists`)."""

    code: str
    name: str
    kind: str


@command(roles=(Role.ADMIN,), handler="do_merge_unit", path="/units/{code}/merger")
@dataclass(frozen=True)
class MergeUnit(Command):
    """Merge a unit into its successor (机构改革)."""

    code: str
    into: str
    reason: str
    effective_on: date


BY_CODE: dict[str, Any] = {
    "roles": (Role.ADMIN,),
    "aggregate": Unit,
    "target": "code",
    "id_of": Unit.create_id,
}


@command(method="rename", **BY_CODE, path="/units/{code}/renaming")
@dataclass(frozen=True)
class RenameUnit(Command):
    """Rename a unit; its code, and so every record pointing at it, stays."""

    code: str
    name: str
    reason: str
    effective_on: date


@command(method="dissolve", **BY_CODE, path="/units/{code}/dissolution")
@dataclass(frozen=True)
class DissolveUnit(Command):
    """撤销: the unit takes no new findings, work items or rulings."""

    code: str
    reason: str
    effective_on: date


@command(roles=(Role.ADMIN,), handler="do_split_unit", path="/units/{code}/split")
@dataclass(frozen=True)
class SplitUnit(Command):
    """分设 (机构改革): a unit's duties go to several active units; its open findings and the
    open work items it leads are transferred — each as `assignments` name it, the rest to
    `default_unit` (by default the first of `into`) — and its closed records stay its own."""

    code: str
    into: list[str]
    reason: str
    effective_on: date
    assignments: list[dict[str, Any]] = field(default_factory=list)  # {record_id, unit_code}
    default_unit: str | None = None


@command(method="add_internal_unit", **BY_CODE, path="/units/{code}/internal-units")
@dataclass(frozen=True)
class AddInternalUnit(Command):
    """设立内设机构: a 科室, 中心 or 所 under the unit (power list items then name one of them)."""

    code: str
    name: str = field(metadata={"max_length": 100})


@command(method="remove_internal_unit", **BY_CODE, path="/units/{code}/internal-units/removal")
@dataclass(frozen=True)
class RemoveInternalUnit(Command):
    """撤销内设机构."""

    code: str
    name: str = field(metadata={"max_length": 100})
    reason: str = field(metadata={"max_length": 2000})


# -- findings (督查发现问题) ---------------------------------------------------------------


ON_FINDING: dict[str, Any] = {"aggregate": Finding, "target": "finding_id"}


@command(roles=(Role.ADMIN,), creates=DataSubject, target="subject_id")
@dataclass(frozen=True)
class RecordShredding(Command):
    """删除个人信息: that a data subject's key was destroyed, by whom and why (the route that
    destroys the key records it: POST /api/v1/subjects/{id}/shred)."""

    subject_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    creates=Finding,
    target="finding_id",
    before="check_new_finding",
    path="/findings",
    status=201,
)
@dataclass(frozen=True)
class RaiseFinding(Command):
    """发现问题: raise a finding against an active unit (status `raised`)."""

    unit_code: str
    title: str
    description: str
    category: str
    severity: str
    source: str
    found_on: date
    evidence: list[dict[str, Any]] = field(default_factory=list)
    work_item_id: UUID | None = None
    finding_id: UUID | None = None
    # 立项: {leader, instructed_on} for 领导批示, {meeting, held_on} for 会议议定.
    origin: dict[str, Any] | None = None


@command(
    roles=INSPECTOR,
    method="order_rectification",
    path="/findings/{finding_id}/rectification-order",
    **ON_FINDING,
)
@dataclass(frozen=True)
class OrderRectification(Command):
    """下达整改 → `rectifying`."""

    finding_id: UUID
    deadline: date
    requirements: str


@command(
    roles=REPORTER,
    method="report_rectification",
    path="/findings/{finding_id}/rectification-report",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReportRectification(Command):
    """报送整改情况 (the finding's unit, or an inspector) → `reported`."""

    finding_id: UUID
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@command(
    roles=INSPECTOR,
    method="verify",
    path="/findings/{finding_id}/verification",
    **ON_FINDING,
)
@dataclass(frozen=True)
class VerifyRectification(Command):
    """整改验收: accepted → `closed` (销号); rejected → `rectifying`."""

    finding_id: UUID
    outcome: str
    comment: str
    new_deadline: date | None = None


@command(
    roles=INSPECTOR,
    method="extend_deadline",
    path="/findings/{finding_id}/deadline-extension",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ExtendDeadline(Command):
    """延长整改期限."""

    finding_id: UUID
    new_deadline: date
    reason: str


@command(
    roles=INSPECTOR,
    method="escalate",
    path="/findings/{finding_id}/escalation",
    **ON_FINDING,
)
@dataclass(frozen=True)
class EscalateFinding(Command):
    """提级督办."""

    finding_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    method="amend",
    path="/findings/{finding_id}/amendment",
    **ON_FINDING,
)
@dataclass(frozen=True)
class AmendFinding(Command):
    """更正: correct fields, with a reason; the history keeps what was there before."""

    finding_id: UUID
    changes: dict[str, Any]
    reason: str


@command(
    roles=INSPECTOR,
    method="withdraw",
    path="/findings/{finding_id}/withdrawal",
    **ON_FINDING,
)
@dataclass(frozen=True)
class WithdrawFinding(Command):
    """撤回 → `withdrawn` (terminal)."""

    finding_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    handler="do_reopen_finding",
    path="/findings/{finding_id}/reopening",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReopenFinding(Command):
    """整改回头看: reopen a closed finding → `rectifying`."""

    finding_id: UUID
    reason: str
    new_deadline: date | None = None


@command(
    roles=(Role.UNIT,),
    method="acknowledge_order",
    path="/findings/{finding_id}/acknowledgement",
    **ON_FINDING,
)
@dataclass(frozen=True)
class AcknowledgeOrder(Command):
    """签收: the responsible unit's liaison signs for the rectification order."""

    finding_id: UUID
    note: str | None = None


@command(
    roles=(Role.UNIT,),
    method="dispute_order",
    path="/findings/{finding_id}/dispute",
    **ON_FINDING,
)
@dataclass(frozen=True)
class DisputeOrder(Command):
    """退办: the unit says the matter is not theirs (with reasons), before signing for it."""

    finding_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    method="reject_dispute",
    path="/findings/{finding_id}/dispute-rejection",
    **ON_FINDING,
)
@dataclass(frozen=True)
class RejectDispute(Command):
    """退办不予认可: the order stands; the unit must sign for it."""

    finding_id: UUID
    reason: str


@command(
    roles=INSPECTOR,
    method="reassign",
    path="/findings/{finding_id}/reassignment",
    before="check_reassignment",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReassignFinding(Command):
    """转办: a disputed finding goes to another active unit, which must sign for the order."""

    finding_id: UUID
    to_unit: str = field(metadata={"max_length": 64})
    reason: str = field()


@command(
    roles=REPORTER,
    method="report_progress",
    path="/findings/{finding_id}/progress",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReportFindingProgress(Command):
    """阶段进展: how far the rectification has come (0–100 %), between the order and the
    report (the finding's unit, or an inspector)."""

    finding_id: UUID
    note: str
    percent: int
    evidence: list[dict[str, Any]] = field(default_factory=list)


@command(
    roles=(Role.UNIT,),
    method="apply_for_extension",
    before="working_days",
    path="/findings/{finding_id}/extension-application",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ApplyForExtension(Command):
    """延期申请: the finding's unit asks, before the deadline, for a later one (with reasons)."""

    finding_id: UUID
    new_deadline: date
    reason: str


@command(
    roles=INSPECTOR,
    method="review_extension",
    path="/findings/{finding_id}/extension-review",
    **ON_FINDING,
)
@dataclass(frozen=True)
class ReviewExtension(Command):
    """延期申请初审: the inspector forwards the application (`forwarded`) or refuses it
    (`refused`)."""

    finding_id: UUID
    outcome: str
    comment: str


@command(
    roles=(Role.SUPERVISOR,),
    method="decide_extension",
    path="/findings/{finding_id}/extension-decision",
    **ON_FINDING,
)
@dataclass(frozen=True)
class DecideExtension(Command):
    """延期申请审批: a supervisor approves a forwarded application (`approved`: the deadline
    moves) or rejects it (`rejected`)."""

    finding_id: UUID
    outcome: str
    reason: str


@command(roles=(Role.ADMIN,), method="remind", **ON_FINDING)
@dataclass(frozen=True)
class RemindFinding(Command):
    """督办提醒 / 催办: the reminder scheduler records a rule that fired (no HTTP path: the
    service sends it itself, `supervision reminders run`)."""

    finding_id: UUID
    rule: str
    kind: str
    due_on: date


@command(
    roles=(Role.INSPECTOR, Role.AUTHORITY),
    method="hold_interview",
    path="/findings/{finding_id}/interview",
    **ON_FINDING,
)
@dataclass(frozen=True)
class HoldInterview(Command):
    """约谈: the responsible unit's head is called in over an open finding (task 11); who was
    talked to is named by post (`interviewee`, e.g. 局长), never by name."""

    finding_id: UUID
    held_on: date
    interviewee: str = field(metadata={"max_length": 100})  # 被约谈人职务
    summary: str = field()


@command(
    roles=(Role.INSPECTOR,), handler="do_cite_power_item", path="/findings/{finding_id}/power-items"
)
@dataclass(frozen=True)
class CitePowerItem(Command):
    """引用权力事项: the power in force of the unit's 权力清单 the finding concerns (task 14)."""

    finding_id: UUID
    number: int


# -- the key-work list (重点工作清单 and its execution ledger) -----------------------------


@command(
    roles=(Role.INSPECTOR, Role.ADMIN),
    handler="do_list_work_item",
    name="list_work_item",
    path="/work-items",
    status=201,
)
@dataclass(frozen=True)
class Listing(Command):
    """列入重点工作清单: a task with its lead unit, co-units and due date."""

    # An import row gives one too (api/documents/excel.py), by position.

    title: str
    year: int
    lead_unit: str
    due_on: date
    co_units: tuple[str, ...] = ()
    source_ref: str | None = None
    description: str | None = None
    item_id: UUID | None = None


ON_ITEM: dict[str, Any] = {"aggregate": WorkItem, "target": "item_id"}


@command(roles=REPORTER, method="log_progress", **ON_ITEM, path="/work-items/{item_id}/progress")
@dataclass(frozen=True)
class LogProgress(Command):
    """登记进展 (its lead unit or a co-unit, or an inspector)."""

    item_id: UUID
    note: str
    percent: int


@command(roles=INSPECTOR, handler="do_evaluate_work_item", path="/work-items/{item_id}/evaluation")
@dataclass(frozen=True)
class EvaluateWorkItem(Command):
    """年末考评 (inspectors): score 0–100 and the grade its year's bands give that score."""

    item_id: UUID
    score: int
    grade: str
    comment: str = ""


@command(roles=INSPECTOR, method="close", **ON_ITEM, path="/work-items/{item_id}/closure")
@dataclass(frozen=True)
class CloseWorkItem(Command):
    """办结 (after its evaluation)."""

    item_id: UUID
    reason: str


@command(roles=INSPECTOR, method="cancel", **ON_ITEM, path="/work-items/{item_id}/cancellation")
@dataclass(frozen=True)
class CancelWorkItem(Command):
    """取消 (while still open)."""

    item_id: UUID
    reason: str


@command(roles=ORGANISERS, method="assign_leader", **ON_ITEM, path="/work-items/{item_id}/leader")
@dataclass(frozen=True)
class AssignWorkItemLeader(Command):
    """明确责任领导 (inspectors, administrators): who answers for the item; again to change."""

    item_id: UUID
    leader: str = field(metadata={"max_length": 100})  # 职务及姓名, e.g. 副县长 王某


@command(roles=REPORTER, method="set_milestone", **ON_ITEM, path="/work-items/{item_id}/milestones")
@dataclass(frozen=True)
class SetWorkItemMilestone(Command):
    """设定节点 (an inspector, or the item's lead or co-unit): a dated step, by the due date."""

    item_id: UUID
    title: str = field(metadata={"max_length": 200})
    due_on: date = field()
    leader: str | None = field(default=None, metadata={"max_length": 100})


@command(
    roles=REPORTER,
    method="reach_milestone",
    **ON_ITEM,
    path="/work-items/{item_id}/milestones/{number}/completion",
)
@dataclass(frozen=True)
class ReachWorkItemMilestone(Command):
    """完成节点 (the item's unit, or an inspector): the day it was reached, with a note."""

    item_id: UUID
    number: int
    reached_on: date
    note: str | None = None


# -- power and responsibility lists (权力清单、责任清单, task 14) --------------------------


@command(roles=RECORDER, handler="do_add_power_item", path="/power-lists/{unit_code}/items")
@dataclass(frozen=True)
class AddPowerItem(Command):
    """列入权力事项 (the unit's liaison, an inspector or an administrator): a power with its
    kind, legal basis and responsibilities; the unit's list is compiled with its first item."""

    unit_code: str
    name: str = field(metadata={"max_length": 200})
    kind: str = field()
    legal_basis: str = field(metadata={"max_length": 2000})  # 设定依据
    responsibilities: str = field(metadata={"max_length": 5000})  # 责任事项
    internal_unit: str | None = field(default=None, metadata={"max_length": 100})  # 承办机构


ON_POWERS: dict[str, Any] = {
    "aggregate": PowerList,
    "target": "unit_code",
    "id_of": PowerList.create_id,
}


@command(
    roles=RECORDER,
    handler="do_amend_power_item",
    name="amend_power_item",
    path="/power-lists/{unit_code}/items/{number}/amendment",
)
@dataclass(frozen=True)
class AmendPowerItem(Command):
    """调整权力事项: the fields given change (at least one), with the reason; a new internal
    unit (承办机构) is one the unit has, as on an item added."""

    unit_code: str
    number: int
    reason: str
    name: str | None = field(default=None, metadata={"max_length": 200})
    kind: str | None = None
    legal_basis: str | None = field(default=None, metadata={"max_length": 2000})
    responsibilities: str | None = field(default=None, metadata={"max_length": 5000})
    internal_unit: str | None = field(default=None, metadata={"max_length": 100})


@command(
    roles=RECORDER,
    method="remove_item",
    name="remove_power_item",
    **ON_POWERS,
    path="/power-lists/{unit_code}/items/{number}/removal",
)
@dataclass(frozen=True)
class RemovePowerItem(Command):
    """取消权力事项: the item leaves the list in force (the record keeps it), with the reason."""

    unit_code: str
    number: int
    reason: str


# -- 激励 (有考评、有激励) ---------------------------------------------------------------------

COMMENDERS = (Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)


@command(
    roles=COMMENDERS,
    creates=Commendation,
    target="commendation_id",
    before="check_commendation",
    path="/commendations",
    status=201,
)
@dataclass(frozen=True)
class RecordCommendation(Command):
    """记录激励: 通报表扬 or 评优评先推荐 (citing the unit's work items evaluated 优秀 or
    良好), or 容错后正常使用 (citing its fault-tolerance ruling, decided 免责 or 从轻)."""

    kind: str
    unit_code: str
    year: int
    reason: str
    decided_on: date
    work_item_ids: list[UUID] = field(default_factory=list)
    ruling_id: UUID | None = None
    commendation_id: UUID | None = None


@command(
    roles=COMMENDERS,
    method="withdraw",
    name="withdraw_commendation",
    aggregate=Commendation,
    target="commendation_id",
    path="/commendations/{commendation_id}/withdrawal",
)
@dataclass(frozen=True)
class WithdrawCommendation(Command):
    """撤销激励, with the reason (the record keeps both)."""

    commendation_id: UUID
    reason: str


# -- inspection rounds (督查活动) --------------------------------------------------------


@command(
    roles=ORGANISERS,
    handler="do_launch_inspection",
    name="launch_inspection",
    path="/inspections",
    status=201,
)
@dataclass(frozen=True)
class Launch(Command):
    """启动督查活动 (inspector, admin): kind, scope, period, units, inspector pool, rules."""

    # The population is recorded sorted.

    title: str
    kind: str
    scope: str
    period_start: date
    period_end: date
    units: tuple[str, ...]
    inspectors: tuple[tuple[str, str | None], ...]  # (name, the unit they belong to)
    team_size: int = 2
    share_percent: int = 5
    inspection_id: UUID | None = None


ON_ROUND: dict[str, Any] = {"aggregate": Inspection, "target": "inspection_id"}
# Who commits a random round's second seed: not an organiser of the round (issue 16 item 7).
SECOND_PARTIES = (Role.SUPERVISOR, Role.AUTHORITY)


@command(
    roles=ORGANISERS,
    method="commit_seed",
    name="commit_inspection_seed",
    **ON_ROUND,
    path="/inspections/{inspection_id}/seed-commitment",
)
@dataclass(frozen=True)
class CommitInspectionSeed(Command):
    """提交种子承诺: H(seed) for a random round, before the draw."""

    inspection_id: UUID
    commitment: str


@command(
    roles=SECOND_PARTIES,
    method="commit_co_seed",
    name="commit_inspection_co_seed",
    **ON_ROUND,
    path="/inspections/{inspection_id}/co-seed-commitment",
)
@dataclass(frozen=True)
class CommitInspectionCoSeed(Command):
    """第二方种子承诺: H(seed) of a second party (a supervising leader, the discipline
    commission), after the inspector's: neither can then compute the draw alone."""

    inspection_id: UUID
    commitment: str


@command(
    roles=SECOND_PARTIES,
    handler="do_reveal_inspection_co_seed",
    name="reveal_inspection_co_seed",
    path="/inspections/{inspection_id}/co-seed",
)
@dataclass(frozen=True)
class RevealInspectionCoSeed(Command):
    """第二方揭示种子: the party that committed the second seed reveals it, once a checkpoint
    has been signed after both commitments (409 before): that checkpoint's head becomes the
    draw's beacon."""

    inspection_id: UUID
    seed: str


@command(
    roles=ORGANISERS,
    method="draw",
    name="draw_inspection",
    **ON_ROUND,
    path="/inspections/{inspection_id}/draw",
)
@dataclass(frozen=True)
class DrawInspection(Command):
    """双随机抽取: reveal the seed; it is mixed with the second party's seed and the beacon
    (the head signed by the first checkpoint after both commitments): 409 until the second
    seed is revealed."""

    inspection_id: UUID
    seed: str


@command(
    roles=ORGANISERS,
    method="assign",
    name="assign_inspection",
    **ON_ROUND,
    path="/inspections/{inspection_id}/assignment",
)
@dataclass(frozen=True)
class AssignInspection(Command):
    """指派 (a round that is not random): the units and their teams."""

    inspection_id: UUID
    targets: list[dict[str, Any]]


@command(
    roles=ORGANISERS,
    method="link_finding",
    name="link_inspection_finding",
    before="finding_of_round",
    **ON_ROUND,
    path="/inspections/{inspection_id}/finding-link",
)
@dataclass(frozen=True)
class LinkInspectionFinding(Command):
    """关联发现问题: a finding raised in this round against one of its inspected units."""

    inspection_id: UUID
    finding_id: UUID


@command(
    roles=ORGANISERS,
    method="conclude",
    name="conclude_inspection",
    **ON_ROUND,
    path="/inspections/{inspection_id}/conclusion",
)
@dataclass(frozen=True)
class ConcludeInspection(Command):
    """结束督查活动: the summary and each inspected unit's result (made public)."""

    inspection_id: UUID
    summary: str
    concluded_on: date
    results: list[dict[str, Any]] = field(default_factory=list)


# -- the person register (人员名录, issue 18 item 5) ------------------------------------------


@command(
    roles=(Role.AUTHORITY, Role.INSPECTOR, Role.ADMIN),
    handler="do_register_person",
    path="/persons",
    status=201,
)
@dataclass(frozen=True)
class RegisterPerson(Command):
    """列入人员名录 (authority, inspector, admin): a person rulings then name by `person_id`;
    their name and position sealed under a key of their own, shredded with it."""

    unit_code: str
    name: str = field(metadata={"max_length": 100})
    position: str = field(default="", metadata={"max_length": 100})
    person_id: UUID | None = None


@command(
    roles=(Role.AUTHORITY, Role.INSPECTOR, Role.ADMIN),
    handler="do_move_person",
    path="/persons/{person_id}/transfer",
)
@dataclass(frozen=True)
class MovePerson(Command):
    """调动: the person belongs to another active unit from `effective_on` (their record
    keeps every ruling, whichever unit it was decided in)."""

    person_id: UUID
    unit_code: str
    reason: str
    effective_on: date


# -- 一单两库一细则 (random spot checks of market entities, task 14) ------------------------


@command(
    roles=ORGANISERS,
    creates=MarketEntity,
    before="check_new_market_entity",
    path="/market-entities",
    status=201,
)
@dataclass(frozen=True)
class RegisterMarketEntity(Command):
    """列入检查对象名录库 (inspector, admin): a market entity by its 统一社会信用代码 (a
    code with a wrong check character is 422; a listed one, 409 `already_exists`)."""

    credit_code: str = field(metadata={"max_length": 40})
    name: str = field(metadata={"max_length": 200})
    entity_kind: str = field()
    industry: str = field(metadata={"max_length": 100})  # 行业 (食品经营, 特种设备…)
    address: str | None = field(default=None, metadata={"max_length": 200})  # 住所


@command(
    roles=ORGANISERS,
    method="delist",
    name="delist_market_entity",
    aggregate=MarketEntity,
    target="credit_code",
    id_of=MarketEntity.id_of,
    path="/market-entities/{credit_code}/delisting",
)
@dataclass(frozen=True)
class DelistMarketEntity(Command):
    """移出检查对象名录库 (注销, 吊销…): no longer drawn; its record stays."""

    credit_code: str
    reason: str


@command(
    roles=RECORDER,
    creates=EnforcementOfficer,
    before="check_new_officer",
    path="/enforcement-officers",
    status=201,
)
@dataclass(frozen=True)
class RegisterOfficer(Command):
    """列入执法检查人员名录库 (the unit's liaison, inspector, admin): an officer of an active
    unit with their 执法证 number and its validity."""

    name: str = field(metadata={"max_length": 100})
    unit_code: str = field()
    certificate: str = field(metadata={"max_length": 40})  # 执法证号
    valid_until: date = field()


@command(
    roles=RECORDER,
    method="delist",
    name="delist_officer",
    aggregate=EnforcementOfficer,
    target="certificate",
    id_of="officer_id_of",
    path="/enforcement-officers/{certificate}/delisting",
)
@dataclass(frozen=True)
class DelistOfficer(Command):
    """移出执法检查人员名录库 (调离, 证件注销): drawn no more; the teams drawn keep them."""

    certificate: str
    reason: str


@command(
    roles=RECORDER,
    creates=SpotCheckMatter,
    target="matter_id",
    before="check_new_matter",
    path="/spot-check-matters",
    status=201,
)
@dataclass(frozen=True)
class ListSpotCheckMatter(Command):
    """列入随机抽查事项清单 with its 细则: the department, the basis, the method, the
    entities covered (kinds, industries; none named: all), 抽查比例 and 抽查频次."""

    unit_code: str
    title: str = field(metadata={"max_length": 200})
    legal_basis: str = field(metadata={"max_length": 2000})  # 抽查依据
    method: str = field(metadata={"max_length": 200})  # 检查方式
    share_percent: int = field()
    rounds_per_year: int = field()
    entity_kinds: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    matter_id: UUID | None = None


ON_MATTER: dict[str, Any] = {"aggregate": SpotCheckMatter, "target": "matter_id"}


@command(
    roles=RECORDER,
    method="withdraw",
    name="withdraw_spot_check_matter",
    **ON_MATTER,
    path="/spot-check-matters/{matter_id}/withdrawal",
)
@dataclass(frozen=True)
class WithdrawSpotCheckMatter(Command):
    """移出随机抽查事项清单: no further rounds; those held stay on record."""

    matter_id: UUID
    reason: str


@command(
    roles=ORGANISERS,
    handler="do_launch_spot_check",
    path="/spot-check-matters/{matter_id}/rounds",
    status=201,
)
@dataclass(frozen=True)
class LaunchSpotCheck(Command):
    """启动随机抽查 (inspector, admin): a round of the matter (抽查频次 holds), drawing from
    the 检查对象名录库 entities it covers that its rounds of the year have not drawn, with a
    team from the department's officers whose 执法证 holds through the period."""

    matter_id: UUID
    title: str = field(metadata={"max_length": 200})
    period_start: date = field()
    period_end: date = field()
    team_size: int = 2
    inspection_id: UUID | None = None


# -- major decisions (重大行政决策目录 and their evaluations) --------------------------------


@command(
    roles=(Role.INSPECTOR, Role.ADMIN),
    creates=MajorDecision,
    target="decision_id",
    before="check_new_decision",
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
    outcome: str | None = None
    summary: str | None = None
    participants: int | None = None
    opinions: int | None = None


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
    roles=ORGANISERS,
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
    roles=ORGANISERS,
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
    roles=ORGANISERS,
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


# -- the year's evaluation scheme (年度考评办法) ---------------------------------------------


@command(
    roles=ORGANISERS,
    creates=EvaluationScheme,
    before="check_new_scheme",
    path="/evaluation-schemes",
    status=201,
)
@dataclass(frozen=True)
class AdoptEvaluationScheme(Command):
    """制定考评办法: a year's score bands (a second for the same year is a 409)."""

    year: int
    bands: dict[str, int]


@command(
    roles=ORGANISERS,
    aggregate=EvaluationScheme,
    target="year",
    id_of=EvaluationScheme.create_id,
    method="revise",
    path="/evaluation-schemes/{year}/revision",
)
@dataclass(frozen=True)
class ReviseEvaluationScheme(Command):
    """修订考评办法: new bands, for evaluations made from now on."""

    year: int
    bands: dict[str, int]
    reason: str


@command(
    roles=ORGANISERS,
    aggregate=EvaluationScheme,
    target="year",
    id_of=EvaluationScheme.create_id,
    method="set_weights",
    path="/evaluation-schemes/{year}/weights",
)
@dataclass(frozen=True)
class SetYearEndWeights(Command):
    """设定综合考评权重: the year-end parts' weights (台账完成度, 督查整改, 考评得分)."""

    year: int
    weights: dict[str, int]
    reason: str


# -- rulings (问责 and 容错免责) -----------------------------------------------------------


@command(
    roles=(Role.INSPECTOR,),
    creates=AccountabilityRuling,
    target="ruling_id",
    before="check_accountability",
    path="/rulings/accountability",
    status=201,
)
@dataclass(frozen=True)
class ProposeAccountability(Command):
    """提出问责建议: status `proposed`; linked findings must belong to the subject's unit."""

    subject: dict[str, Any]
    form: str
    basis: str
    facts: str
    finding_ids: list[UUID] = field(default_factory=list)
    ruling_id: UUID | None = None


@command(
    roles=(Role.INSPECTOR, Role.UNIT),
    creates=ToleranceRuling,
    target="ruling_id",
    before="check_tolerance",
    path="/rulings/fault-tolerance",
    status=201,
)
@dataclass(frozen=True)
class ApplyForTolerance(Command):
    """申请容错免责 (an inspector, or the unit for itself): status `applied`."""

    subject: dict[str, Any]
    grounds: str
    finding_ids: list[UUID] = field(default_factory=list)
    criteria_claimed: list[str] = field(default_factory=list)
    ruling_id: UUID | None = None


@command(roles=(Role.AUTHORITY,), handler="do_decide_ruling", path="/rulings/{ruling_id}/decision")
@dataclass(frozen=True)
class DecideRuling(Command):
    """作出决定 (authority only) → `decided`."""

    ruling_id: UUID
    reasoning: str
    decided_on: date
    form: str | None = None
    outcome: str | None = None
    criteria_met: list[str] = field(default_factory=list)
    measure: str | None = None
    effects_until: date | None = None
    exclusions: list[str] = field(default_factory=list)


# -- the county's 容错免责办法 ---------------------------------------------------------------

POLICY_MAKERS = (Role.AUTHORITY, Role.ADMIN)


@command(
    roles=POLICY_MAKERS,
    creates=TolerancePolicy,
    before="check_new_tolerance_policy",
    path="/tolerance-policy",
    status=201,
)
@dataclass(frozen=True)
class AdoptTolerancePolicy(Command):
    """制定容错免责办法: the conditions every 免责 and 从轻 needs verified (once; then revise)."""

    locality: str = field(metadata={"max_length": 100})  # 如 新昌县
    required_conditions: list[str] = field(default_factory=list)


@command(
    roles=POLICY_MAKERS, handler="do_revise_tolerance_policy", path="/tolerance-policy/revision"
)
@dataclass(frozen=True)
class ReviseTolerancePolicy(Command):
    """修订容错免责办法: the conditions required from now on."""

    required_conditions: list[str]
    reason: str


@command(
    roles=(Role.INSPECTOR, Role.AUTHORITY),
    handler="do_pair_rulings",
    path="/rulings/{ruling_id}/pairing",
)
@dataclass(frozen=True)
class PairRulings(Command):
    """关联容错与问责 (on the fault-tolerance ruling): the accountability proposal on a finding
    they share, of the same subject; the tolerance is decided first, and 免责 closes the
    proposal (免予问责), 从轻 bounds its form."""

    ruling_id: UUID
    accountability_ruling_id: UUID


@command(
    roles=(Role.AUTHORITY,),
    handler="do_decide_appeal",
    path="/rulings/{ruling_id}/appeal-decision",
)
@dataclass(frozen=True)
class DecideAppeal(Command):
    """申诉复核 (authority only): upheld or modified → `appeal_decided` (or `published` again,
    for a ruling published before its appeal: ADR 037); revoked → `revoked`."""

    ruling_id: UUID
    result: str
    reasoning: str
    form: str | None = None
    outcome: str | None = None
    criteria_met: list[str] | None = None


ON_RULING: dict[str, Any] = {"aggregate": Ruling, "target": "ruling_id"}


@command(
    roles=(Role.INSPECTOR,), method="verify", path="/rulings/{ruling_id}/verification", **ON_RULING
)
@dataclass(frozen=True)
class VerifyRuling(Command):
    """调查核实 → `verified` (optional before the decision)."""

    ruling_id: UUID
    comment: str


@command(
    roles=(Role.INSPECTOR, Role.UNIT),
    handler="do_appeal_ruling",
    path="/rulings/{ruling_id}/appeal",
)
@dataclass(frozen=True)
class AppealRuling(Command):
    """申诉 (the subject's unit, or an inspector) → `appealed`."""

    ruling_id: UUID
    grounds: str


@command(
    roles=(Role.INSPECTOR, Role.UNIT),
    method="record_statement",
    path="/rulings/{ruling_id}/statement",
    **ON_RULING,
)
@dataclass(frozen=True)
class RecordStatement(Command):
    """陈述申辩 (the subject's unit, or the inspector who heard it): before the decision."""

    ruling_id: UUID
    statement: str
    made_on: date


@command(
    roles=(Role.AUTHORITY, Role.INSPECTOR),
    method="serve",
    path="/rulings/{ruling_id}/service",
    **ON_RULING,
)
@dataclass(frozen=True)
class ServeRuling(Command):
    """送达 a decision: the appeal window (one month) runs from `served_on`."""

    ruling_id: UUID
    served_on: date
    served_to: str


@command(
    roles=(Role.AUTHORITY,), method="publish", path="/rulings/{ruling_id}/publication", **ON_RULING
)
@dataclass(frozen=True)
class PublishRuling(Command):
    """纳入案例库 (authority only): anonymised, never naming the person."""

    ruling_id: UUID
    summary: str
    tags: list[str]


# -- documents (公文: issue 17, ADR 034) -----------------------------------------------------


@command(
    roles=(Role.INSPECTOR, Role.AUTHORITY, Role.ADMIN),
    handler="do_issue_document",
    target="document_id",
    path="/documents",
    status=201,
)
@dataclass(frozen=True)
class IssueDocument(Command):
    """印发公文: a 督办通知书 or 整改通知书 of a finding (`finding_id`), a 情况通报 of a period
    (`period`: YYYY-MM, YYYY-Qn or YYYY; `unit_codes` narrow it to a group), a 年度考评报告
    (`unit_code`, `year`), a 问责决定书 or 容错免责认定书 of a decided ruling (`ruling_id`:
    the authority); rendered as Word and PDF under the kind's next 发文字号."""

    kind: str
    finding_id: UUID | None = None
    ruling_id: UUID | None = None
    unit_code: str | None = None
    year: int | None = None
    period: str | None = None
    unit_codes: list[str] = field(default_factory=list)
    issued_on: date | None = None  # 成文日期 (default: today)
    document_id: UUID | None = None
