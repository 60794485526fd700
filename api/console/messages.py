"""Errors as a reader of the console sees them: one readable Chinese sentence, never a trace.

The domain's own messages are English sentences for the API's clients; here each error code
(and, for the codes that cover several rules, the rule's wording) becomes Chinese.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from domain.errors import DomainError
from domain.vocabulary import (
    DecisionStatus,
    EvaluationStatus,
    FindingStatus,
    InspectionStatus,
    Labelled,
    RulingStatus,
    WorkItemStatus,
)

# Rules reported as `invalid_value` or `invalid_deadline`, recognised by their English text.
RULES: list[tuple[str, str]] = [
    (r"is not a valid 统一社会信用代码", "统一社会信用代码无效（18 位，末位校验码须正确）。"),
    (r"lies before the finding's found_on", "期限不能早于问题的发现日期。"),
    (
        r"an extension is asked for before the deadline",
        "延期须在整改期限届满前申请，且申请延至的日期须晚于当前期限。",
    ),
    (r"an interview is recorded once held", "约谈日期须在问题发现之日与今天之间。"),
    (r"^served_on .* is before the decision", "送达日期不能早于决定日期。"),
    (r"^effects_until .* is before decided_on", "影响期不能早于决定日期。"),
    (r"has no outcome \(only a review or an assessment\)", "只有合法性审查和风险评估填写结果。"),
    (
        r"has no summary, participants or opinions",
        "只有公众参与和专家论证填写主要意见、参与人次和意见条数，其他程序不填。",
    ),
    (r"implemented on or after the day it was taken", "实施日期不能早于决策日期。"),
    (r"corrected on or after the day it was taken", "纠错日期不能早于决策日期。"),
    (r"lies before the evaluation's report", "整改期限不能早于评估报告日期。"),
    (r"is after the interview held on", "发现日期不能晚于已记录的约谈日期。"),
    (r"has not begun on", "通报期间尚未开始，不能印发该期情况通报。"),
    (r"does not extend the current deadline", "新的整改期限须晚于当前期限。"),
    (r"accepted verification takes no new deadline", "验收通过时不填写新的整改期限。"),
    (r"amendment must change at least one field", "更正须至少修改一项内容。"),
    (r"amendment cannot clear a field", "更正不能清空已有内容。"),
    (r"must not name the person", "入库案例的摘要和标签不得出现当事人姓名。"),
    (r"names at least one criterion met", "免责或从轻减轻的认定须至少选择一项符合的容错情形。"),
    (r"denied application meets no criterion", "不予容错时不选择符合的容错情形。"),
    (r"modified accountability ruling names its new form", "变更决定须选择新的问责方式。"),
    (r"modified fault-tolerance ruling names its new outcome", "变更决定须选择新的认定结果。"),
    (r"takes no form|takes no new outcome", "维持或撤销的复核决定不选择新的问责方式或认定结果。"),
    (r"decision names a form", "问责决定须选择问责方式。"),
    (r"decision names an outcome", "容错认定须选择认定结果。"),
    (r"^finding .* belongs to unit", "关联的问题不属于该单位。"),
    (r"a unit applies only for itself", "责任单位只能为本单位申请。"),
    (
        r"names its origin",
        "来源为领导批示时须填写批示领导和批示日期，为会议议定时须填写会议名称和会议日期。",
    ),
    (r"names no origin", "只有来源为领导批示或会议议定的问题填写立项依据。"),
    (r"is after the finding was raised", "批示或会议日期不能晚于发现日期。"),
    (r"is 1–200 characters", "批示领导或会议名称须为 1–200 个字。"),
    (r"a milestone falls due by the item's due date", "工作节点的完成时限不能晚于工作完成时限。"),
    (r"^the milestone's date .* lies before", "工作节点的完成时限不能早于工作所属年度。"),
    (r"^reached_on .* lies before", "节点完成日期不能早于工作所属年度。"),
    (r"has no milestone number", "该工作节点不存在。"),
    (r"has no evaluation number", "该评估不存在。"),
    (r"item \d+ while status is 'removed'", "该权力事项已取消，不能再调整或取消。"),
    (r"has no item number \d+ in force", "权力清单中没有该编号的在用事项。"),
    (r"already the item's responsible leader", "该领导已是这项工作的责任领导。"),
    (r"^percent .* lies outside 0–100", "“完成比例”须在 0 到 100 之间。"),
    (r"is not a period \(YYYY-MM", "请填写有效的通报期间（如 2026-11、2026-Q3 或 2026）。"),
    (r": the year lies between 2000 and 2999", "通报期间的年份须在 2000 年至 2999 年之间。"),
    (r"the period ends before it starts", "检查结束日期不能早于开始日期。"),
    (r"a round names at least one unit", "请至少选择一个检查对象。"),
    (r"^a unit is named twice", "检查对象不能重复。"),
    (r"an inspector is named twice", "检查人员名录中有重复的姓名。"),
    (r"a team has at least", "每组检查人员不少于 2 人。"),
    (
        r"who do not belong to it \(回避\)",
        "有检查对象可派的检查人员不足（本单位人员须回避），请补充检查人员。",
    ),
    (r"commitment is a lowercase hex", "种子承诺须为 64 位小写十六进制的 SHA-256 值。"),
    (r"seed does not match the", "种子与此前提交的承诺不符。"),
    (r"second seed comes from another party", "第二方种子须由检查组织者以外的人提交。"),
    (
        r"only the party that committed the second seed",
        "只有提交第二方种子承诺的人可以揭示该种子。",
    ),
    (
        r"before a checkpoint is signed",
        "两份种子承诺提交后尚未签署检查点（信标），请待检查点签署后再揭示。",
    ),
    (r"before the second seed is revealed", "第二方种子揭示后才能抽取。"),
    (
        r"results name each inspected unit",
        "每个检查对象的结果只能填写一次，且只能填写本次检查的对象。",
    ),
    (r"cannot conclude before its period starts", "结束日期不能早于检查开始日期。"),
    (r"launched from its 随机抽查事项", "市场主体双随机抽查须在抽查事项中启动。"),
    (r"before round .* is drawn", "该抽查事项本年度的上一轮抽查尚未抽取，请先完成抽取。"),
    (
        r"no entity of the 检查对象名录库 is left",
        "检查对象名录库中没有该事项可抽取的市场主体（本年度已抽过的不再抽取）。",
    ),
    (r"officer\(s\) whose 执法证 holds", "实施部门执法证有效的执法检查人员不足一组。"),
    (r"has expired", "执法证已过期，不能列入名录库。"),
    (r"concern different subjects", "容错申请与问责建议的对象不同，不能关联。"),
    (r"share no finding", "容错申请与问责建议未涉及同一问题，不能关联。"),
    (r"already paired with", "该记录已与其他问责或容错关联。"),
    (r"pairing is made from the fault-tolerance", "请在容错免责申请中关联问责建议。"),
    (r"report rectification: the unit's 退办 awaits", "退办申请尚待答复，暂不能报送整改情况。"),
    (
        r"approve an extension to .* no later than the deadline now",
        "整改期限已另行延长至申请的日期之后，不能批准该延期申请，可作不予批准。",
    ),
    (r"^the list has no item number \d+$", "权力清单中没有该编号的事项。"),
    (
        r"a measure goes with organisational_adjustment",
        "只有问责方式为组织调整时才填写组织处理方式。",
    ),
    (r"move a person whose personal data was erased", "该人员的个人信息已删除，不能再办理调动。"),
]

# Rules whose Chinese names what was refused, from the error's `details` (the same keys).
NAMED_RULES: list[tuple[str, str]] = [
    (
        r"^the unit .* of inspector .* does not exist",
        "检查人员名录中“{inspector}，{unit_code}”一行：没有代码为“{unit_code}”的单位，"
        "请按单位代码一览填写所在单位的代码（不属任何单位的可不填）。",
    ),
]

# A day recorded as done that lies ahead (domain/clock.py check_done_by_today), by its field.
IN_THE_FUTURE = re.compile(r"^(?P<field>[a-z_]+) \S+ is in the future$")
# A code that is none of its vocabulary's (domain/findings.py parse), by its field.
NOT_A_CHOICE = re.compile(r" is not a valid (?P<field>[a-z_]+)$")

CODES = {
    "not_found": "未找到该记录，或您无权查看。",
    "already_exists": "该记录已存在。",
    "version_conflict": "该记录刚被他人更新，请刷新页面后重试。",
    "unit_inactive": "该单位已合并或撤销，不能新增记录。",
    "unknown_reference": "引用的单位、重点工作或问题不存在。",
    "forbidden": "您的账号无权进行此操作。",
    "idempotency_key_reused": "该表单已提交过，请刷新页面后重试。",
    "appeal_window_closed": "申诉期限已过，不能再提出申诉。",
    "excluded_from_tolerance": "查实存在负面清单情形的，不予容错，不能认定免责或从轻减轻。",
    "tolerance_criteria_unmet": (
        "免责或从轻减轻须至少符合一项容错情形，并查实本县容错免责办法要求的全部条件。"
    ),
    "grade_disagrees_with_score": "考评等次与得分不符，请按本年度考评办法的分档确定等次。",
    "tolerance_pending": "关联的容错免责申请尚未认定：容错认定在先，请先作出容错认定。",
    "form_exceeds_mitigation": "关联的容错认定为从轻减轻，只能选择较轻的问责方式。",
    "paired_ruling_decided": "关联的问责已终结或已作出决定，复核不能改变其所依据的容错认定。",
    "rendering_unavailable": "本机未安装公文排版所需的组件（Pango 与中文字体），请联系管理员。",
    "spot_check_frequency_reached": (
        "该抽查事项本年度的抽查次数已达细则规定的频次，不能再启动抽查。"
    ),
}

FIELDS = {
    "unit_code": "责任单位",
    "title": "问题标题",
    "description": "问题描述",
    "category": "问题类别",
    "severity": "严重程度",
    "source": "问题来源",
    "found_on": "发现日期",
    "deadline": "整改期限",
    "requirements": "整改要求",
    "summary": "内容摘要",
    "outcome": "验收结果",
    "comment": "意见",
    "new_deadline": "新的整改期限",
    "reason": "理由",
    "form": "问责方式",
    "basis": "问责依据",
    "facts": "主要事实",
    "grounds": "理由",
    "criteria_claimed": "容错情形",
    "criteria_met": "符合的容错情形",
    "reasoning": "决定理由",
    "decided_on": "决定日期",
    "result": "复核结果",
    "tags": "标签",
    "name": "姓名",
    "position": "职务",
    "changes": "更正内容",
    "leader": "责任领导",
    "due_on": "完成时限",
    "reached_on": "完成日期",
    "note": "说明",
    "percent": "完成比例",
    "number": "序号",
    "step": "程序",
    "done_on": "完成日期",
    "participants": "参与人次",
    "opinions": "意见条数",
    "implemented_on": "实施日期",
    "correction": "纠错内容",
    "corrected_on": "纠错日期",
    "evaluator": "评估机构",
    "scope": "评估范围",
    "planned_on": "计划日期",
    "reported_on": "报告日期",
    "accountability_ruling_id": "问责建议",
    "work_item_id": "重点工作",
    "to_unit": "转交单位",
    "held_on": "约谈日期",
    "interviewee": "被约谈人职务",
    # The domain's names of a choice it refuses (domain/findings.py parse), where the form's
    # field is called otherwise.
    "criterion": "容错情形",
    "exclusion": "不予容错情形",
    "statement": "陈述申辩内容",
    "made_on": "陈述日期",
    "measure": "组织调整或者组织处理的方式",
    "effects_until": "影响期至",
    "exclusions": "不予容错情形",
    "served_on": "送达日期",
    "served_to": "受送达人",
    "commitment": "种子承诺",
    "seed": "随机种子",
    "targets": "检查对象",
    "concluded_on": "结束日期",
    "period_start": "开始日期",
    "period_end": "结束日期",
    "team_size": "每组人数",
    "share_percent": "抽查比例",
    "rounds_per_year": "抽查频次",
    "legal_basis": "抽查依据",
    "method": "检查方式",
    "entity_kinds": "检查对象类型",
    "industries": "检查对象行业",
    "certificate": "执法证号",
    "valid_until": "执法证有效期至",
    "credit_code": "统一社会信用代码",
    "entity_kind": "主体类型",
    "industry": "行业",
    "address": "住所",
    "kind": "类型",
    "period": "通报期间",
    "year": "年度",
    "issued_on": "印发日期",
    # A finding's 立项依据 (its `origin`): by the path, as their names mean other things alone.
    "origin.leader": "批示领导",
    "origin.instructed_on": "批示日期",
    "origin.meeting": "会议名称",
    "origin.held_on": "会议日期",
}
# A field whose name means another thing on another kind of record's form (by the form's
# action; a form that makes a record, by the path it posts to), as the form labels it.
FIELDS_OF_FORM = {
    "milestone": {"title": "节点内容"},
    "procedure-steps": {"outcome": "结果", "summary": "主要意见"},
    # 作出决定 of a ruling and 决策 of a major decision share their action: their summary and
    # outcome are each one form's; the day is 决定日期 on both.
    "decision": {"summary": "决策内容", "outcome": "认定结果"},
    "implementation": {"note": "实施情况"},
    "extension-application": {"new_deadline": "申请延至"},
    "extension-review": {"outcome": "初审意见", "comment": "说明"},
    "extension-decision": {"outcome": "审批意见"},
    "amendment": {"title": "标题"},
    "accountability": {"name": "责任人姓名"},
    "appeal-decision": {"outcome": "变更后的认定结果", "reasoning": "复核理由"},
    "publication": {"summary": "案例摘要"},
    "milestone-completion": {"note": "完成情况", "number": "工作节点"},
    "progress": {"note": "阶段进展情况"},
    "work-progress": {"note": "工作进展情况"},
    "rectification-report": {"summary": "整改情况"},
    "interview": {"summary": "约谈内容及整改要求"},
    "conclusion": {"summary": "检查情况综述"},
    "inspections": {
        "title": "活动名称",
        "kind": "活动类型",
        "scope": "检查范围和内容",
        "period_start": "检查开始日期",
        "period_end": "检查结束日期",
        "team_size": "每组检查人数",
        "share_percent": "抽取比例",
        "units": "检查对象名录",
        "inspectors": "检查人员名录",
    },
    "launch": {"title": "抽查名称"},
    "matter": {"title": "抽查事项", "unit_code": "实施部门"},
    "officer": {"unit_code": "所在部门"},
    "entity": {"name": "主体名称"},
}

# What the items of a list are counted in, where not 项 (a list too short says its minimum).
COUNTED = {"inspectors": "人", "team": "人"}
PROBLEMS = {
    "missing": "必须填写",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长",
    "date_from_datetime_parsing": "请填写有效日期（年-月-日）",
    "date_parsing": "请填写有效日期（年-月-日）",
    "date_type": "请填写有效日期（年-月-日）",
    "date_too_early": "不能早于1900年",
    "date_too_late": "不能晚于2100年",
    "enum": "请选择有效的选项",
    "uuid_parsing": "编号无效",
    "int_parsing": "请填写整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "too_long": "选择过多",
    "string_pattern_mismatch": "格式不正确",
}
# What the rule a problem broke allows, said after it (from the error's context, pydantic's
# `ctx`), where the bare problem would not tell what to type: a seed of 16 characters at
# least is not 「不能为空」. A minimum of one is what 「不能为空」 says. (A list too short
# says its minimum in what it counts: too_short.)
BOUNDS: dict[str, tuple[str, str, Any]] = {
    "string_too_short": ("min_length", "不能少于 {} 个字符", 1),
    "string_too_long": ("max_length", "内容过长，不能超过 {} 个字符", None),
    "greater_than_equal": ("ge", "数值过小，不能小于 {}", None),
    "less_than_equal": ("le", "数值过大，不能大于 {}", None),
    "greater_than": ("gt", "数值过小，须大于 {}", None),
    "less_than": ("lt", "数值过大，须小于 {}", None),
    "too_long": ("max_length", "选择过多，最多 {} 项", None),
}


def too_short(error: Any, loc: list[str]) -> str:
    """A list shorter than its minimum says the minimum, in what it counts (“至少填写2人”)."""
    least = int((error.get("ctx") or {}).get("min_length", 1))
    counted = next((COUNTED[p] for p in reversed(loc) if p in COUNTED), "项")
    return f"至少填写{'一' if least == 1 else least}{counted}"


def status_label(status: Any) -> str:
    """A status's Chinese name; a code two record kinds share (closed) reads as the first's."""
    for enum in (
        FindingStatus,
        RulingStatus,
        WorkItemStatus,
        DecisionStatus,
        InspectionStatus,
        EvaluationStatus,
    ):
        try:
            member: Labelled = enum(status)
        except ValueError:
            continue
        return member.label
    return str(status)


def labels_of(form: str | None) -> dict[str, str]:
    """Each field's Chinese name, as the form posted to `form` (its action) labels it."""
    return FIELDS | FIELDS_OF_FORM.get(form or "", {})


def domain_message(error: DomainError, form: str | None = None) -> str:
    """The Chinese sentence for a domain error: its rule's, else its status's or code's; a
    field it names, as the form `form` (its action) labels it."""
    fields = labels_of(form)
    future = IN_THE_FUTURE.match(error.message)
    if future:
        return f"“{fields.get(future['field'], '日期')}”不能晚于今天。"
    for pattern, message in NAMED_RULES:
        if re.search(pattern, error.message) and error.details:
            return message.format_map(error.details)
    for pattern, message in RULES:
        if re.search(pattern, error.message):
            return message
    choice = NOT_A_CHOICE.search(error.message)
    if choice:
        return f"“{fields.get(choice['field'], '选项')}”{PROBLEMS['enum']}。"
    if error.code == "invalid_transition":
        status = (error.details or {}).get("status")
        return f"当前状态为“{status_label(status)}”，不能进行此操作。"
    return CODES.get(error.code, "提交的内容不符合规则，请检查后重试。")


def validation_message(error: ValidationError, form: str | None = None) -> str:
    """Each field that failed, by its Chinese name (on `form`'s own terms where it names a
    field otherwise): 「整改期限」请填写有效日期（年-月-日）."""
    fields = labels_of(form)
    parts = []
    for e in error.errors()[:5]:
        loc = [str(p) for p in e.get("loc", ())]
        # The field by its path within the body first (origin.held_on), then by its name.
        names = [
            fields.get(".".join(loc[i - 1 : i + 1]), fields.get(p, "")) for i, p in enumerate(loc)
        ]
        field = next((n for n in reversed(names) if n), "输入")
        kind = str(e.get("type"))
        said = too_short(e, loc) if kind == "too_short" else problem(kind, e.get("ctx") or {})
        parts.append(f"“{field}”{said}")
    return "；".join(dict.fromkeys(parts)) + "。"


def problem(kind: str, ctx: dict[str, Any]) -> str:
    """What is wrong with a field, in Chinese: with the bound it broke, where one is known
    (BOUNDS), so that the reader knows what to type."""
    said = PROBLEMS.get(kind, "填写有误")
    if kind not in BOUNDS:
        return said
    key, bounded, unsaid = BOUNDS[kind]
    bound = ctx.get(key)
    if bound is None or isinstance(bound, bool) or bound == unsaid:
        return said
    if isinstance(bound, float) and bound.is_integer():
        bound = int(bound)
    return bounded.format(bound)
