"""The Jinja2 environment of the console: templates from the package, Chinese dates, labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from domain.clock import CHINA
from domain.clock import cn_date as clock_cn_date
from domain.clock import today as business_today
from domain.vocabulary import ENUMERATIONS, EventType, event_label


def cn_date(value: Any) -> str:
    """2024年3月5日 (a date, a datetime in 北京时间, or an ISO string); — when empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = value.astimezone(CHINA).date() if value.tzinfo else value.date()
    return clock_cn_date(value)


def cn_datetime(value: Any) -> str:
    """2024年3月5日 14:03 in 北京时间."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return cn_date(value)
    local = value.astimezone(CHINA) if value.tzinfo else value
    return f"{cn_date(local.date())} {local:%H:%M}"


def label(code: Any, enumeration: str) -> str:
    """The Chinese label of `code` in the vocabulary's `enumeration` (e.g. finding_statuses)."""
    if code is None or code == "":
        return "—"
    try:
        return ENUMERATIONS[enumeration](code).label
    except ValueError:
        return str(code)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def options(enumeration: str) -> list[tuple[str, str]]:
    """(code, label) of every member, for a <select>."""
    return [(m.value, m.label) for m in ENUMERATIONS[enumeration]]


# What the success notice says after each form (the event it recorded).
DONE = {
    "read": "标为已读",
    "raised": EventType.FINDING_RAISED.label,
    "rectification-order": EventType.FINDING_RECTIFICATION_ORDERED.label,
    "rectification-report": EventType.FINDING_RECTIFICATION_REPORTED.label,
    "verification": EventType.FINDING_VERIFIED.label,
    "deadline-extension": EventType.FINDING_DEADLINE_EXTENDED.label,
    "escalation": EventType.FINDING_ESCALATED.label,
    "interview": EventType.FINDING_INTERVIEW_HELD.label,
    "acknowledgement": EventType.FINDING_ORDER_ACKNOWLEDGED.label,
    "dispute": EventType.FINDING_ORDER_DISPUTED.label,
    "dispute-rejection": EventType.FINDING_DISPUTE_REJECTED.label,
    "reassignment": EventType.FINDING_REASSIGNED.label,
    "progress": EventType.FINDING_PROGRESS_REPORTED.label,
    "extension-application": EventType.FINDING_EXTENSION_APPLIED.label,
    "extension-review": EventType.FINDING_EXTENSION_REVIEWED.label,
    "extension-decision": EventType.FINDING_EXTENSION_DECIDED.label,
    "amendment": EventType.FINDING_AMENDED.label,
    "withdrawal": EventType.FINDING_WITHDRAWN.label,
    "reopening": EventType.FINDING_REOPENED.label,
    "accountability": EventType.ACCOUNTABILITY_PROPOSED.label,
    "fault-tolerance": EventType.TOLERANCE_APPLIED.label,
    "decision": "作出决定",
    "appeal": EventType.RULING_APPEALED.label,
    "appeal-decision": EventType.ACCOUNTABILITY_APPEAL_DECIDED.label,
    "publication": EventType.RULING_PUBLISHED.label,
    "statement": EventType.STATEMENT_RECORDED.label,
    "service": EventType.RULING_SERVED.label,
    "checkpoint": "签署检查点",
    "work-progress": EventType.WORK_ITEM_PROGRESS_LOGGED.label,
    "milestone": EventType.WORK_ITEM_MILESTONE_SET.label,
    "milestone-completion": EventType.WORK_ITEM_MILESTONE_REACHED.label,
    "leader": EventType.WORK_ITEM_LEADER_ASSIGNED.label,
    "procedure-steps": EventType.DECISION_STEP_RECORDED.label,
    "implementation": EventType.DECISION_IMPLEMENTED.label,
    "correction": EventType.DECISION_CORRECTED.label,
    "evaluation-plan": EventType.EVALUATION_PLANNED.label,
    "pairing": EventType.RULING_PAIRED.label,
    "launched": EventType.INSPECTION_LAUNCHED.label,
    "seed-commitment": EventType.INSPECTION_SEED_COMMITTED.label,
    "co-seed-commitment": EventType.INSPECTION_CO_SEED_COMMITTED.label,
    "co-seed": EventType.INSPECTION_CO_SEED_REVEALED.label,
    "draw": EventType.INSPECTION_DRAWN.label,
    "assignment": EventType.INSPECTION_ASSIGNED.label,
    "conclusion": EventType.INSPECTION_CONCLUDED.label,
    "spot-check": EventType.SPOT_CHECK_ROUND_LAUNCHED.label,
    "matter": EventType.SPOT_CHECK_MATTER_LISTED.label,
    "officer": EventType.OFFICER_REGISTERED.label,
    "entity": EventType.MARKET_ENTITY_REGISTERED.label,
}

# The fields of an event shown on a timeline: (key, Chinese name, how to show it).
EVENT_FIELDS = [
    ("title", "标题", "text"),
    ("deadline", "整改期限", "date"),
    ("new_deadline", "新的整改期限", "date"),
    ("requirements", "整改要求", "text"),
    ("summary", "内容", "text"),
    ("outcome", "结果", "outcome"),
    ("comment", "意见", "text"),
    ("reason", "理由", "text"),
    ("grounds", "理由", "text"),
    ("basis", "依据", "text"),
    ("facts", "事实", "text"),
    ("form", "问责方式", "accountability_forms"),
    ("result", "复核结果", "appeal_results"),
    ("reasoning", "决定理由", "text"),
    ("decided_on", "决定日期", "date"),
    ("measure", "组织处理方式", "organisational_measures"),
    ("exclusions", "不予容错情形", "tolerance_exclusions"),
    ("effects_until", "影响期至", "date"),
    ("statement", "陈述申辩", "text"),
    ("made_on", "陈述日期", "date"),
    ("served_on", "送达日期", "date"),
    ("served_to", "受送达人", "text"),
    ("tags", "标签", "list"),
    ("leader", "责任领导", "text"),
    ("number", "序号", "text"),
    ("due_on", "完成时限", "date"),
    ("reached_on", "完成日期", "date"),
    ("note", "说明", "text"),
    ("percent", "完成比例（%）", "text"),
]


# The events whose `outcome` is of a vocabulary of its own, some codes shared with another's
# (an extension `rejected` is no verification's).
OUTCOMES_OF = {
    "ExtensionReviewed": "extension_reviews",
    "ExtensionDecided": "extension_decisions",
    "Verified": "verification_outcomes",
}


def outcome_label(code: Any, event_type: str | None = None) -> str:
    """An event's outcome in Chinese: by the vocabulary of its event type where it has one,
    else a verification's, a fault-tolerance decision's, a legality review's or a risk
    assessment's (one field, four vocabularies, their codes apart)."""
    if (own := OUTCOMES_OF.get(event_type or "")) is not None:
        try:
            return ENUMERATIONS[own](code).label
        except ValueError:
            return str(code)
    for enumeration in (
        "verification_outcomes",
        "tolerance_outcomes",
        "legality_outcomes",
        "risk_levels",
    ):
        try:
            return ENUMERATIONS[enumeration](code).label
        except ValueError:
            continue
    return str(code)


def unit_choices(units: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Units as a filter's choices: (code, name)."""
    return [(u["code"], u["name"]) for u in units]


def year_choices(years: Iterable[int]) -> list[tuple[int, str]]:
    """Years as a filter's choices: (2026, "2026年")."""
    return [(y, f"{y}年") for y in years]


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        cn_date=cn_date,
        cn_datetime=cn_datetime,
        label=label,
        percent=percent,
        event_label=event_label,
        outcome_label=outcome_label,
        unit_choices=unit_choices,
        year_choices=year_choices,
    )
    env.globals.update(options=options, DONE=DONE, EVENT_FIELDS=EVENT_FIELDS, today=business_today)
    return env


ENVIRONMENT = make_environment()
