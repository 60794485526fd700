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
    OTHER = "other", "其他"


class VerificationOutcome(Labelled):
    ACCEPTED = "accepted", "验收通过（销号）"
    REJECTED = "rejected", "验收不通过（退回整改）"


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
    "deadline_colours": DeadlineColour,
    "event_types": EventType,
}


def vocabulary() -> dict[str, list[dict[str, str]]]:
    """Every enumeration as a list of {code, label}, for the API and the console."""
    return {
        name: [{"code": member.value, "label": member.label} for member in enum]
        for name, enum in ENUMERATIONS.items()
    }
