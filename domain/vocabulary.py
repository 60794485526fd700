"""Every enumeration of the domain with its Chinese label (one vocabulary for API, CLI and console).

Codes are stable English snake_case; labels use the wording of the seed plan
(新政发〔2018〕46号) where it has one.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A string enumeration whose members carry a Chinese label."""

    label: str

    def __new__(cls, code: str, label: str = "") -> Labelled:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member


class Role(Labelled):
    ADMIN = "admin", "系统管理员"
    INSPECTOR = "inspector", "督查员"
    AUTHORITY = "authority", "问责/容错决定机关"
    SUPERVISOR = "supervisor", "领导"
    AUDITOR = "auditor", "审计"
    UNIT = "unit", "责任单位联络员"


class UnitKind(Labelled):
    TOWNSHIP = "township", "乡镇"
    SUBDISTRICT = "subdistrict", "街道"
    DEPARTMENT = "department", "县府部门"
    AGENCY = "agency", "直属机构"
    OTHER = "other", "其他"


class UnitStatus(Labelled):
    ACTIVE = "active", "正常"
    MERGED = "merged", "已合并"
    DISSOLVED = "dissolved", "已撤销"


class AccountStatus(Labelled):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已注销"
    EXPIRED = "expired", "已过期"  # as listed: an account active but past its expires_at


class FindingStatus(Labelled):
    RAISED = "raised", "已发现"
    RECTIFYING = "rectifying", "整改中"
    REPORTED = "reported", "已报整改"
    CLOSED = "closed", "已销号"
    WITHDRAWN = "withdrawn", "已撤回"


class FindingCategory(Labelled):
    POLICY_IMPLEMENTATION = "policy_implementation", "政策落实不到位"
    WORK_STYLE = "work_style", "工作作风问题"
    DERELICTION = "dereliction", "庸政懒政怠政"
    SERVICE_QUALITY = "service_quality", "服务质量问题"
    PROCEDURE_VIOLATION = "procedure_violation", "程序不规范"
    INTEGRITY_RISK = "integrity_risk", "廉政风险"
    OTHER = "other", "其他"


class Severity(Labelled):
    MINOR = "minor", "一般"
    MAJOR = "major", "较重"
    SERIOUS = "serious", "严重"


class FindingSource(Labelled):
    ROUTINE_SUPERVISION = "routine_supervision", "日常督查"
    SPECIAL_SUPERVISION = "special_supervision", "专项督查"
    RANDOM_INSPECTION = "random_inspection", "双随机抽查"
    PETITION = "petition", "群众信访"
    AUDIT_REFERRAL = "audit_referral", "审计移交"
    INSPECTION_TOUR_REFERRAL = "inspection_tour_referral", "巡察移交"
    LEADER_INSTRUCTION = "leader_instruction", "领导批示"
    MEETING_DECISION = "meeting_decision", "会议议定"
    OTHER = "other", "其他"


class VerificationOutcome(Labelled):
    ACCEPTED = "accepted", "验收通过（销号）"
    REJECTED = "rejected", "验收不通过（退回整改）"


class WorkItemStatus(Labelled):
    LISTED = "listed", "已列入清单"
    IN_PROGRESS = "in_progress", "推进中"
    EVALUATED = "evaluated", "已考评"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已取消"


class Grade(Labelled):
    """Year-end evaluation grades (年末考评等次)."""

    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class RulingKind(Labelled):
    ACCOUNTABILITY = "accountability", "问责"
    FAULT_TOLERANCE = "fault_tolerance", "容错免责"


class RulingStatus(Labelled):
    PROPOSED = "proposed", "已提出问责建议"
    APPLIED = "applied", "已申请容错"
    VERIFIED = "verified", "已核实"
    DECIDED = "decided", "已决定"
    APPEALED = "appealed", "申诉中"
    APPEAL_DECIDED = "appeal_decided", "申诉已复核"
    REVOKED = "revoked", "已撤销"
    PUBLISHED = "published", "已入案例库"
    CLOSED = "closed", "免予问责（已终结）"


class AccountabilityForm(Labelled):
    WRITTEN_INSPECTION = "written_inspection", "责令检查"
    CIRCULATED_CRITICISM = "circulated_criticism", "通报批评"
    ADMONISHMENT = "admonishment", "诫勉"
    ORGANISATIONAL_ADJUSTMENT = "organisational_adjustment", "组织调整"
    DISCIPLINARY_SANCTION = "disciplinary_sanction", "纪律处分"
    REORGANISATION = "reorganisation", "改组"
    INTERVIEW = "interview", "约谈"


class SubjectKind(Labelled):
    """Who is held to account: a party organisation or unit (党组织), or a person (党员领导干部)."""

    ORGANISATION = "organisation", "党组织（单位）"
    PERSON = "person", "领导干部"


class OrganisationalMeasure(Labelled):
    """The kinds of 组织调整或者组织处理."""

    SUSPENSION = "suspension", "停职检查"
    REASSIGNMENT = "reassignment", "调整职务"
    ORDERED_RESIGNATION = "ordered_resignation", "责令辞职"
    DEMOTION = "demotion", "降职"
    DISMISSAL = "dismissal", "免职"


class ToleranceOutcome(Labelled):
    EXEMPTED = "exempted", "免责"
    MITIGATED = "mitigated", "从轻减轻"
    DENIED = "denied", "不予容错"


class ToleranceCriterion(Labelled):
    """容错情形: the 三个区分开来 and the usual conditions (codes stable, more may be added)."""

    PILOT_INEXPERIENCE = "pilot_inexperience", "先行先试中因缺乏经验出现失误"
    EXPLORATION_WITHOUT_CLEAR_RULES = (
        "exploration_without_clear_rules",
        "探索试验中因无明确限制出现失误",
    )
    UNINTENDED_FOR_PUBLIC_GOOD = "unintended_for_public_good", "推动发展中的无意过失"
    DUE_PROCEDURE = "due_procedure", "决策程序合规"
    NO_PERSONAL_GAIN = "no_personal_gain", "未谋取私利"
    LOSS_REMEDIED = "loss_remedied", "积极挽回损失、消除影响"
    DISSENT_RECORDED = "dissent_recorded", "集体决策中明确表示不同意见"
    NO_COLLUSION = "no_collusion", "未与他人恶意串通"

    @property
    def circumstance(self) -> bool:
        """情形 (the error arose in one of these), as against 条件 (verified of the case)."""
        return self in CIRCUMSTANCES


# 容错情形: the 三个区分开来's circumstances; every other criterion is a condition (条件).
CIRCUMSTANCES = frozenset(
    {
        ToleranceCriterion.PILOT_INEXPERIENCE,
        ToleranceCriterion.EXPLORATION_WITHOUT_CLEAR_RULES,
        ToleranceCriterion.UNINTENDED_FOR_PUBLIC_GOOD,
    }
)


class EntityKind(Labelled):
    """检查对象名录库's kinds of market entity (市场主体类型)."""

    ENTERPRISE = "enterprise", "企业"
    INDIVIDUAL = "individual", "个体工商户"
    COOPERATIVE = "cooperative", "农民专业合作社"


class PowerKind(Labelled):
    """权力清单's kinds of administrative power (the ten of the usual 权力清单 templates)."""

    LICENSING = "licensing", "行政许可"
    PENALTY = "penalty", "行政处罚"
    COERCION = "coercion", "行政强制"
    LEVY = "levy", "行政征收"
    PAYMENT = "payment", "行政给付"
    INSPECTION = "inspection", "行政检查"
    CONFIRMATION = "confirmation", "行政确认"
    REWARD = "reward", "行政奖励"
    ADJUDICATION = "adjudication", "行政裁决"
    OTHER = "other", "其他行政权力"


class CommendationKind(Labelled):
    """激励: what a unit earns beside what it answers for (有考评、有激励)."""

    COMMENDATION_NOTICE = "commendation_notice", "通报表扬"
    RECOMMENDED_FOR_HONOURS = "recommended_for_honours", "评优评先推荐"
    NORMAL_USE_AFTER_TOLERANCE = "normal_use_after_tolerance", "容错后正常使用"


class ToleranceExclusion(Labelled):
    """容错负面清单 (不予容错的情形): any one found bars 免责 and 从轻."""

    LAW_OR_DISCIPLINE = "law_or_discipline", "违纪违法"
    PERSONAL_GAIN = "personal_gain", "谋取私利"
    REPEATED = "repeated", "屡错屡犯、屡教不改"
    COLLUSION = "collusion", "与他人恶意串通"
    DEFIANCE = "defiance", "明知故犯、违反明令禁止"
    SERIOUS_HARM = "serious_harm", "造成重大损失或恶劣影响且未积极挽回"


class AppealResult(Labelled):
    UPHELD = "upheld", "维持"
    MODIFIED = "modified", "变更"
    REVOKED = "revoked", "撤销"


class ExtensionReview(Labelled):
    """初审 of a unit's 延期申请 by the inspector."""

    FORWARDED = "forwarded", "初审通过，报请审批"
    REFUSED = "refused", "初审不通过（退回）"


class ExtensionDecision(Labelled):
    """The supervisor's decision on a forwarded 延期申请."""

    APPROVED = "approved", "批准延期"
    REJECTED = "rejected", "不予批准"


class ReminderKind(Labelled):
    """What a reminder recorded on a finding is (domain/reminders.py)."""

    ACKNOWLEDGE = "acknowledge", "签收催办"
    NEAR = "near", "临近提醒"
    DUE = "due", "到期催办"
    OVERDUE = "overdue", "逾期催办"
    ESCALATION = "escalation", "提级督办提醒"


class NotificationKind(Labelled):
    """What a notification tells its reader (projections/notifications.py); the reminders'
    codes are those of ReminderKind."""

    ORDER = "order", "交办通知"
    REASSIGNED = "reassigned", "转办通知"
    REOPENED = "reopened", "回头看重新交办"
    ACKNOWLEDGE = "acknowledge", "签收催办"
    NEAR = "near", "临近提醒"
    DUE = "due", "到期催办"
    OVERDUE = "overdue", "逾期催办"
    ESCALATION = "escalation", "提级督办提醒"
    DISPUTE = "dispute", "退办申请"
    DISPUTE_REJECTED = "dispute_rejected", "退办不予认可"
    EXTENSION_REVIEW = "extension_review", "延期申请初审"
    EXTENSION_DECISION = "extension_decision", "延期申请审批"
    VERIFICATION = "verification", "验收结果"


class DeliveryStatus(Labelled):
    """Where a notification's delivery on a channel stands (infra/outbox.py)."""

    PENDING = "pending", "待发送"
    RETRYING = "retrying", "发送失败，等待重试"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "发送失败（不再重试）"


class DeadlineColour(Labelled):
    """The overdue board's colours (红 overdue, 黄 behind, 蓝 deadline near)."""

    RED = "red", "红（已逾期）"
    YELLOW = "yellow", "黄（临期滞后）"
    BLUE = "blue", "蓝（临近期限）"


class EventType(Labelled):
    """Event names as shown on timelines; keyed by the event class's qualified name."""

    UNIT_REGISTERED = "Unit.Registered", "单位登记"
    UNIT_RENAMED = "Unit.Renamed", "单位更名"
    UNIT_MERGED = "Unit.Merged", "单位合并（机构改革）"
    UNIT_ABSORBED = "Unit.Absorbed", "承接被合并单位"
    UNIT_DISSOLVED = "Unit.Dissolved", "单位撤销"
    ACCOUNT_CREATED = "Account.Created", "账号创建"
    ACCOUNT_REVOKED = "Account.Revoked", "账号注销"
    FINDING_RAISED = "Finding.Raised", "发现问题"
    FINDING_RECTIFICATION_ORDERED = "Finding.RectificationOrdered", "下达整改"
    FINDING_RECTIFICATION_REPORTED = "Finding.RectificationReported", "报送整改情况"
    FINDING_VERIFIED = "Finding.Verified", "整改验收"
    FINDING_DEADLINE_EXTENDED = "Finding.DeadlineExtended", "延长整改期限"
    FINDING_ESCALATED = "Finding.Escalated", "提级督办"
    FINDING_AMENDED = "Finding.Amended", "更正"
    FINDING_WITHDRAWN = "Finding.Withdrawn", "撤回"
    FINDING_REOPENED = "Finding.Reopened", "整改回头看（重新打开）"
    FINDING_INTERVIEW_HELD = "Finding.InterviewHeld", "约谈"
    FINDING_PROGRESS_REPORTED = "Finding.ProgressReported", "阶段进展"
    FINDING_EXTENSION_APPLIED = "Finding.ExtensionApplied", "延期申请"
    FINDING_EXTENSION_REVIEWED = "Finding.ExtensionReviewed", "延期申请初审"
    FINDING_EXTENSION_DECIDED = "Finding.ExtensionDecided", "延期申请审批"
    FINDING_REMINDED = "Finding.Reminded", "督办提醒"
    FINDING_ORDER_ACKNOWLEDGED = "Finding.OrderAcknowledged", "签收"
    FINDING_ORDER_DISPUTED = "Finding.OrderDisputed", "退办"
    FINDING_DISPUTE_REJECTED = "Finding.DisputeRejected", "退办不予认可"
    FINDING_REASSIGNED = "Finding.Reassigned", "转办"
    WORK_ITEM_LISTED = "WorkItem.Listed", "列入重点工作清单"
    WORK_ITEM_PROGRESS_LOGGED = "WorkItem.ProgressLogged", "登记进展（台账）"
    WORK_ITEM_EVALUATED = "WorkItem.Evaluated", "年末考评"
    WORK_ITEM_CLOSED = "WorkItem.Closed", "办结"
    WORK_ITEM_CANCELLED = "WorkItem.Cancelled", "取消"
    WORK_ITEM_LEADER_ASSIGNED = "WorkItem.LeaderAssigned", "明确责任领导"
    WORK_ITEM_MILESTONE_SET = "WorkItem.MilestoneSet", "设定工作节点"
    WORK_ITEM_MILESTONE_REACHED = "WorkItem.MilestoneReached", "完成工作节点"
    ACCOUNTABILITY_PROPOSED = "AccountabilityRuling.Proposed", "提出问责建议"
    TOLERANCE_APPLIED = "ToleranceRuling.Applied", "申请容错免责"
    RULING_VERIFIED = "Ruling.Verified", "调查核实"
    ACCOUNTABILITY_DECIDED = "AccountabilityRuling.Decided", "作出问责决定"
    TOLERANCE_DECIDED = "ToleranceRuling.Decided", "作出容错认定"
    RULING_APPEALED = "Ruling.Appealed", "提出申诉"
    ACCOUNTABILITY_APPEAL_DECIDED = "AccountabilityRuling.AppealDecided", "申诉复核决定"
    TOLERANCE_APPEAL_DECIDED = "ToleranceRuling.AppealDecided", "申诉复核决定"
    RULING_PUBLISHED = "Ruling.Published", "纳入案例库"
    STATEMENT_RECORDED = "AccountabilityRuling.StatementRecorded", "陈述申辩"
    SCHEME_ADOPTED = "EvaluationScheme.Adopted", "制定考评办法"
    SCHEME_REVISED = "EvaluationScheme.Revised", "修订考评办法"
    SCHEME_WEIGHTS_SET = "EvaluationScheme.WeightsSet", "设定综合考评权重"
    TOLERANCE_POLICY_ADOPTED = "TolerancePolicy.Adopted", "制定容错免责办法"
    TOLERANCE_POLICY_REVISED = "TolerancePolicy.Revised", "修订容错免责办法"
    POWER_LIST_COMPILED = "PowerList.Compiled", "编制权力清单"
    POWER_ITEM_ADDED = "PowerList.ItemAdded", "列入权力事项"
    POWER_ITEM_AMENDED = "PowerList.ItemAmended", "调整权力事项"
    POWER_ITEM_REMOVED = "PowerList.ItemRemoved", "取消权力事项"
    MARKET_ENTITY_REGISTERED = "MarketEntity.Registered", "列入检查对象名录库"
    MARKET_ENTITY_AMENDED = "MarketEntity.Amended", "更新检查对象信息"
    MARKET_ENTITY_DELISTED = "MarketEntity.Delisted", "移出检查对象名录库"
    OFFICER_REGISTERED = "EnforcementOfficer.Registered", "列入执法检查人员名录库"
    OFFICER_DELISTED = "EnforcementOfficer.Delisted", "移出执法检查人员名录库"
    SPOT_CHECK_MATTER_LISTED = "SpotCheckMatter.Listed", "列入随机抽查事项清单"
    SPOT_CHECK_ROUND_LAUNCHED = "SpotCheckMatter.RoundLaunched", "启动随机抽查"
    SPOT_CHECK_MATTER_WITHDRAWN = "SpotCheckMatter.Withdrawn", "移出随机抽查事项清单"
    DOCUMENT_SEQUENCE_STARTED = "DocumentSequence.Started", "启用发文字号"
    DOCUMENT_NUMBER_TAKEN = "DocumentSequence.NumberTaken", "取发文字号"
    DOCUMENT_ISSUED = "IssuedDocument.Issued", "印发公文"
    UNIT_SPLIT = "Unit.Split", "单位分设"
    INTERNAL_UNIT_ADDED = "Unit.InternalUnitAdded", "设立内设机构"
    INTERNAL_UNIT_REMOVED = "Unit.InternalUnitRemoved", "撤销内设机构"
    WORK_ITEM_LEAD_TRANSFERRED = "WorkItem.LeadTransferred", "机构调整转由其他单位牵头"
    PERSON_REGISTERED = "Person.Registered", "列入人员名录"
    PERSON_MOVED = "Person.Moved", "人员调动"
    PERSON_RULING_DECIDED = "Person.RulingDecided", "记入问责容错记录"
    PERSON_APPEAL_DECIDED = "Person.AppealDecided", "记入复核结果"
    POWER_ITEM_CITED = "Finding.PowerItemCited", "引用权力事项"
    COMMENDATION_RECORDED = "Commendation.Recorded", "记录激励"
    COMMENDATION_WITHDRAWN = "Commendation.Withdrawn", "撤销激励"
    RULING_SERVED = "Ruling.Served", "送达决定"
    RULING_PAIRED = "Ruling.Paired", "关联容错与问责"
    RULING_PARTNER_DECIDED = "Ruling.PartnerDecided", "关联的问责或容错已作出决定"
    ACCOUNTABILITY_CLOSED = "AccountabilityRuling.Closed", "免予问责"
    INSPECTION_LAUNCHED = "Inspection.Launched", "启动督查活动"
    INSPECTION_SEED_COMMITTED = "Inspection.SeedCommitted", "提交随机种子承诺"
    SUBJECT_SHREDDED = "DataSubject.Shredded", "删除当事人个人信息（加密粉碎）"
    INSPECTION_CO_SEED_COMMITTED = "Inspection.CoSeedCommitted", "第二方提交随机种子承诺"
    INSPECTION_CO_SEED_REVEALED = "Inspection.CoSeedRevealed", "第二方揭示随机种子（信标已定）"
    INSPECTION_DRAWN = "Inspection.Drawn", "双随机抽取"
    INSPECTION_ASSIGNED = "Inspection.Assigned", "指派检查对象和检查组"
    INSPECTION_FINDING_LINKED = "Inspection.FindingLinked", "关联督查发现问题"
    INSPECTION_CONCLUDED = "Inspection.Concluded", "督查活动结束"
    DECISION_CATALOGUED = "MajorDecision.Catalogued", "列入重大行政决策目录"
    DECISION_STEP_RECORDED = "MajorDecision.StepRecorded", "记录决策程序"
    DECISION_DECIDED = "MajorDecision.Decided", "作出决策"
    DECISION_LINKED = "MajorDecision.AccountabilityLinked", "关联决策问责"
    DECISION_IMPLEMENTED = "MajorDecision.Implemented", "决策实施"
    DECISION_CORRECTED = "MajorDecision.Corrected", "决策纠错"
    EVALUATION_PLANNED = "MajorDecision.EvaluationPlanned", "制订第三方评估计划"
    EVALUATION_REPORTED = "MajorDecision.EvaluationReported", "提交第三方评估报告"
    EVALUATION_FEEDBACK_GIVEN = "MajorDecision.FeedbackGiven", "评估结果反馈"
    EVALUATION_RECTIFIED = "MajorDecision.RectificationReported", "评估反馈整改情况"
    EVALUATION_RESULTS_USED = "MajorDecision.ResultsUsed", "评估结果运用"


class DocumentKind(Labelled):
    """The official documents the service issues (公文, docs/api-files.md)."""

    SUPERVISION_NOTICE = "supervision_notice", "督办通知书"
    RECTIFICATION_NOTICE = "rectification_notice", "整改通知书"
    BULLETIN = "bulletin", "情况通报"
    EVALUATION_REPORT = "evaluation_report", "年度考评报告"
    ACCOUNTABILITY_DECISION = "accountability_decision", "问责决定书"
    TOLERANCE_DECISION = "tolerance_decision", "容错免责认定书"


ENUMERATIONS: dict[str, type[Labelled]] = {
    "roles": Role,
    "unit_kinds": UnitKind,
    "unit_statuses": UnitStatus,
    "account_statuses": AccountStatus,
    "finding_statuses": FindingStatus,
    "finding_categories": FindingCategory,
    "severities": Severity,
    "finding_sources": FindingSource,
    "verification_outcomes": VerificationOutcome,
    "extension_reviews": ExtensionReview,
    "extension_decisions": ExtensionDecision,
    "reminder_kinds": ReminderKind,
    "notification_kinds": NotificationKind,
    "delivery_statuses": DeliveryStatus,
    "deadline_colours": DeadlineColour,
    "work_item_statuses": WorkItemStatus,
    "grades": Grade,
    "ruling_kinds": RulingKind,
    "ruling_statuses": RulingStatus,
    "accountability_forms": AccountabilityForm,
    "subject_kinds": SubjectKind,
    "organisational_measures": OrganisationalMeasure,
    "tolerance_outcomes": ToleranceOutcome,
    "tolerance_criteria": ToleranceCriterion,
    "tolerance_exclusions": ToleranceExclusion,
    "power_kinds": PowerKind,
    "entity_kinds": EntityKind,
    "commendation_kinds": CommendationKind,
    "appeal_results": AppealResult,
    "document_kinds": DocumentKind,
    "event_types": EventType,
}


def event_label(qualname: str) -> str:
    """The Chinese name of an event class (`Finding.Raised` → 发现问题), else the name."""
    try:
        return EventType(qualname).label
    except ValueError:
        return qualname.rpartition(".")[2]


def vocabulary() -> dict[str, list[dict[str, str]]]:
    """Every enumeration as a list of {code, label}, for the API and the console."""
    return {
        name: [{"code": member.value, "label": member.label} for member in enum]
        for name, enum in ENUMERATIONS.items()
    }


# -- inspection rounds (双随机、一公开) and major decisions (重大行政决策), issue #9 ----------


class InspectionKind(Labelled):
    ROUTINE = "routine", "日常督查"
    SPECIAL = "special", "专项督查"
    RANDOM = "random", "双随机抽查"
    MARKET_RANDOM = "market_random", "市场主体双随机抽查"
    FOLLOW_UP = "follow_up", "督查回头看"


class InspectionStatus(Labelled):
    LAUNCHED = "launched", "已启动"
    SEED_COMMITTED = "seed_committed", "已提交随机种子承诺"
    DRAWN = "drawn", "已确定检查对象"
    CONCLUDED = "concluded", "已结束"


class ProcedureStep(Labelled):
    """重大行政决策法定程序 (the seed plan's task 7)."""

    PUBLIC_PARTICIPATION = "public_participation", "公众参与"
    EXPERT_ARGUMENTATION = "expert_argumentation", "专家论证"
    RISK_ASSESSMENT = "risk_assessment", "风险评估"
    LEGALITY_REVIEW = "legality_review", "合法性审查"
    COLLECTIVE_DECISION = "collective_decision", "集体讨论决定"


class LegalityOutcome(Labelled):
    """合法性审查意见."""

    LAWFUL = "lawful", "合法"
    LAWFUL_AFTER_CHANGES = "lawful_after_changes", "修改后合法"
    UNLAWFUL = "unlawful", "不合法"


class RiskLevel(Labelled):
    """社会稳定风险评估等级."""

    LOW = "low", "低风险"
    MEDIUM = "medium", "中风险"
    HIGH = "high", "高风险"


class DecisionFlaw(Labelled):
    """What flags a decision besides a missing step (决策程序瑕疵)."""

    UNLAWFUL_REVIEW = "unlawful_review", "合法性审查意见为不合法"
    REVIEW_AFTER_DECISION = "review_after_collective_decision", "合法性审查晚于集体讨论决定"
    RISK_AFTER_DECISION = "risk_assessment_after_collective_decision", "风险评估晚于集体讨论决定"


class DecisionStatus(Labelled):
    CATALOGUED = "catalogued", "已列入目录"
    DECIDED = "decided", "已决策"
    IMPLEMENTED = "implemented", "已实施"
    CORRECTED = "corrected", "已纠错"


class EvaluationStatus(Labelled):
    """第三方评估 (the seed plan's task 8): 反馈整改、二次评估、结果运用."""

    PLANNED = "planned", "已制订评估计划"
    REPORTED = "reported", "已提交评估报告"
    RECTIFYING = "rectifying", "反馈整改中"
    RECTIFIED = "rectified", "已整改"
    CLOSED = "closed", "已办结（无需整改）"


class ResultUse(Labelled):
    ASSESSMENT = "assessment", "纳入年度考评"
    POLICY_ADJUSTMENT = "policy_adjustment", "调整完善决策"
    ACCOUNTABILITY = "accountability", "移送问责"
    PUBLICATION = "publication", "向社会公开"


class AccountabilityLinkKind(Labelled):
    FINDING = "finding", "督查发现问题"
    RULING = "ruling", "问责决定"


ENUMERATIONS.update(
    {
        "inspection_kinds": InspectionKind,
        "inspection_statuses": InspectionStatus,
        "procedure_steps": ProcedureStep,
        "legality_outcomes": LegalityOutcome,
        "risk_levels": RiskLevel,
        "decision_flaws": DecisionFlaw,
        "decision_statuses": DecisionStatus,
        "evaluation_statuses": EvaluationStatus,
        "result_uses": ResultUse,
        "accountability_link_kinds": AccountabilityLinkKind,
    }
)
