"""A refusal the domain explains in English reaches the console in Chinese words of its own
(api/console/messages.py RULES), not the catch-all 「提交的内容不符合规则」."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import uuid4

import pytest

from api.console.messages import domain_message
from api.runtime.documents import period_of
from domain import clock
from domain.errors import DomainError
from domain.findings import Finding
from domain.major_decisions import MajorDecision, step_result
from domain.persons import Person
from domain.power_lists import PowerList
from domain.rulings import AccountabilityRuling
from domain.subjects import SHREDDED
from tests.support import raised_finding, random_round
from tests.unit.test_inspections import INSPECTOR, county_of
from tests.unit.test_work_items import listed

ACTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
TODAY = datetime(2024, 6, 1, 4, 0, tzinfo=clock.CHINA)
CATCH_ALL = "提交的内容不符合规则，请检查后重试。"


def ordered() -> Finding:
    finding = raised_finding(ACTOR, found_on=date(2024, 3, 5))
    finding.order_rectification(deadline=date(2024, 7, 1), requirements="限期整改", actor=ACTOR)
    return finding


def extension_to_the_past() -> None:
    ordered().apply_for_extension(new_deadline=date(2024, 1, 1), reason="r", actor=ACTOR)


def interview_tomorrow() -> None:
    finding = raised_finding(ACTOR, found_on=date(2024, 3, 5))
    finding.hold_interview(held_on=date(2024, 6, 2), interviewee="局长", summary="s", actor=ACTOR)


def proposed() -> AccountabilityRuling:
    return AccountabilityRuling(
        id=uuid4(), subject={"unit_code": "fgj", "person": {"name": "张三", "position": "副局长"}},
        finding_ids=[], form="admonishment", basis="问责条例", facts="未按期整改", actor=ACTOR,
    )  # fmt: skip


def decided(**more: object) -> AccountabilityRuling:
    ruling = proposed()
    ruling.decide(
        form="admonishment", reasoning="情节", decided_on=date(2024, 5, 3), actor=ACTOR, **more
    )
    return ruling


def catalogued() -> MajorDecision:
    return MajorDecision(
        id=uuid4(), title="城区公交线网优化调整方案", year=2024, unit_code="fzb",
        description=None, actor=ACTOR,
    )  # fmt: skip


def implemented_before_it_was_decided() -> None:
    decision = catalogued()
    decision.decide(decided_on=date(2024, 4, 1), summary="通过", actor=ACTOR)
    decision.implement(implemented_on=date(2024, 3, 1), note="", actor=ACTOR)


def report_while_disputed() -> None:
    finding = ordered()
    finding.dispute_order(reason="不属本单位职责", actor=ACTOR)
    finding.report_rectification(summary="已整改", evidence=[], actor=ACTOR)


def stale_extension_approved() -> None:
    finding = ordered()
    finding.apply_for_extension(new_deadline=date(2024, 8, 1), reason="汛期", actor=ACTOR)
    finding.extend_deadline(new_deadline=date(2024, 9, 1), reason="统筹", actor=ACTOR)
    finding.review_extension(outcome="forwarded", comment="属实", actor=ACTOR)
    finding.decide_extension(outcome="approved", reason="同意", actor=ACTOR)


def erased_person_moved() -> None:
    person_id = uuid4()
    subject = Person.subject_of(person_id, "fgj", SHREDDED, "")
    Person(id=person_id, subject=subject, actor=ACTOR).move(
        unit_code="czj", reason="调任", effective_on=date(2024, 5, 1), actor=ACTOR
    )


def appeal_out_of_time() -> None:
    ruling = proposed()
    ruling.decide(form="admonishment", reasoning="情节", decided_on=date(2024, 4, 1), actor=ACTOR)
    ruling.serve(served_on=date(2024, 4, 1), served_to="张三", actor=ACTOR)
    ruling.lodge_appeal(grounds="不服", actor=ACTOR)  # a month after 1 April, long past


def second_evaluation_planned() -> None:
    decision = catalogued()
    decision.decide(decided_on=date(2024, 4, 1), summary="通过", actor=ACTOR)
    decision.implement(implemented_on=date(2024, 4, 10), note="", actor=ACTOR)
    for _ in range(2):
        decision.plan_evaluation(evaluator="评估中心", scope="实施效果",
                                 planned_on=date(2024, 5, 1), actor=ACTOR)  # fmt: skip


def power_removed_twice() -> None:
    powers = PowerList(unit_code="fgj", actor=ACTOR)
    powers.add_item(name="项目核准", kind="licensing", legal_basis="条例", responsibilities="责任",
                    internal_unit=None, actor=ACTOR)  # fmt: skip
    powers.remove_item(number=1, reason="划转", actor=ACTOR)
    powers.remove_item(number=1, reason="again", actor=ACTOR)


def evaluation_never_planned() -> None:
    decision = catalogued()
    decision.report_evaluation(number=1, score=80, conclusion="c", findings=[],
                               reported_on=date(2024, 5, 1), actor=ACTOR)  # fmt: skip


REFUSALS: dict[str, tuple[Callable[[], object], str]] = {
    "a report while a dispute waits": (
        report_while_disputed,
        "退办申请尚待答复，暂不能报送整改情况。",
    ),
    "an approval the deadline has passed": (
        stale_extension_approved,
        "整改期限已另行延长至申请的日期之后，不能批准该延期申请，可作不予批准。",
    ),
    "a power number never listed": (
        lambda: PowerList(unit_code="fgj", actor=ACTOR).remove_item(
            number=5, reason="r", actor=ACTOR
        ),
        "权力清单中没有该编号的事项。",
    ),
    "a measure with another form": (
        lambda: decided(measure="reassignment"),
        "只有问责方式为组织调整时才填写组织处理方式。",
    ),
    "an erased person moved": (erased_person_moved, "该人员的个人信息已删除，不能再办理调动。"),
    "an appeal out of time": (appeal_out_of_time, "申诉期限已过，不能再提出申诉。"),
    "a second evaluation while one is open": (
        second_evaluation_planned,
        "当前状态为“已制订评估计划”，不能进行此操作。",
    ),
    "a milestone that does not exist": (
        lambda: listed().reach_milestone(
            number=1, reached_on=date(2024, 5, 1), note=None, actor=ACTOR
        ),
        "该工作节点不存在。",
    ),
    "an evaluation that does not exist": (evaluation_never_planned, "该评估不存在。"),
    "a power removed twice": (power_removed_twice, "该权力事项已取消，不能再调整或取消。"),
    "an extension to the past": (
        extension_to_the_past,
        "延期须在整改期限届满前申请，且申请延至的日期须晚于当前期限。",
    ),
    "an interview not yet held": (interview_tomorrow, "约谈日期须在问题发现之日与今天之间。"),
    "a service before the decision": (
        lambda: decided().serve(served_on=date(2024, 5, 2), served_to="张三", actor=ACTOR),
        "送达日期不能早于决定日期。",
    ),
    "a service tomorrow": (
        lambda: decided().serve(served_on=date(2024, 6, 2), served_to="张三", actor=ACTOR),
        "“送达日期”不能晚于今天。",
    ),
    "a statement tomorrow": (
        lambda: proposed().record_statement(statement="s", made_on=date(2024, 6, 2), actor=ACTOR),
        "“陈述日期”不能晚于今天。",
    ),
    "a finding found tomorrow": (
        lambda: raised_finding(ACTOR).amend(
            changes={"found_on": date(2024, 6, 2)}, reason="更正", actor=ACTOR
        ),
        "“发现日期”不能晚于今天。",
    ),
    "a ruling decided tomorrow": (
        lambda: proposed().decide(
            form="admonishment", reasoning="情节", decided_on=date(2024, 6, 2), actor=ACTOR
        ),
        "“决定日期”不能晚于今天。",
    ),
    "effects ending before the decision": (
        lambda: decided(effects_until=date(2024, 1, 1)),
        "影响期不能早于决定日期。",
    ),
    "an implementation before the decision": (
        implemented_before_it_was_decided,
        "实施日期不能早于决策日期。",
    ),
    "opinions on a risk assessment": (
        lambda: step_result("risk_assessment", None, "意见", 3, 1),
        "只有公众参与和专家论证填写主要意见、参与人次和意见条数，其他程序不填。",
    ),
    "an outcome of public participation": (
        lambda: step_result("public_participation", "low", None, None, None),
        "只有合法性审查和风险评估填写结果。",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refusal_is_explained_in_chinese(case: str) -> None:
    refuse, explained = REFUSALS[case]
    with clock.use(clock.SettableClock(TODAY)), pytest.raises(DomainError) as refused:
        refuse()
    assert domain_message(refused.value) == explained != CATCH_ALL


def test_a_progress_percent_beyond_100_names_the_range() -> None:
    with pytest.raises(DomainError) as refused:
        ordered().report_progress(note="n", percent=150, evidence=[], actor=ACTOR)
    assert domain_message(refused.value) == "“完成比例”须在 0 到 100 之间。"


@pytest.mark.parametrize(
    ("period", "explained"),
    [
        ("1999-01", "通报期间的年份须在 2000 年至 2999 年之间。"),
        ("2026-13", "请填写有效的通报期间（如 2026-11、2026-Q3 或 2026）。"),
    ],
)
def test_a_bulletins_period_refused_is_explained(period: str, explained: str) -> None:
    with pytest.raises(DomainError) as refused:
        period_of(period)
    assert domain_message(refused.value) == explained


def test_an_inspector_of_a_unit_nobody_has_is_explained_naming_the_line() -> None:
    app = county_of("u01", "u02")
    pool = (("王敏", "u01"), ("张三", "zzz"), ("周婷", None))
    launch = random_round(("u01", "u02"), pool, 50, (date(2026, 3, 1), date(2026, 4, 30)))
    with pytest.raises(DomainError) as refused:
        app.launch_inspection(launch, actor=INSPECTOR)
    assert domain_message(refused.value) == (
        "检查人员名录中“张三，zzz”一行：没有代码为“zzz”的单位，"
        "请按单位代码一览填写所在单位的代码（不属任何单位的可不填）。"
    )


def verified_as_maybe() -> None:
    finding = ordered()
    finding.report_rectification(summary="已整改", evidence=[], actor=ACTOR)
    finding.verify(outcome="maybe", comment="c", new_deadline=None, actor=ACTOR)


@pytest.mark.parametrize(
    ("refuse", "form", "explained"),
    [
        (lambda: ordered().review_extension(outcome="ok", comment="c", actor=ACTOR),
         "extension-review", "“初审意见”请选择有效的选项。"),
        (lambda: ordered().decide_extension(outcome="", reason="r", actor=ACTOR),
         "extension-decision", "“审批意见”请选择有效的选项。"),
        (lambda: step_result("risk_assessment", "catastrophic", None, None, None),
         "procedure-steps", "“结果”请选择有效的选项。"),
        (verified_as_maybe, "verification", "“验收结果”请选择有效的选项。"),
    ],
)  # fmt: skip
def test_a_choice_refused_names_its_field_as_the_form_labels_it(
    refuse: Callable[[], object], form: str | None, explained: str
) -> None:
    """「请选择有效的选项」 alone does not say which of a form's choices is wrong."""
    with pytest.raises(DomainError) as refused:
        refuse()
    assert domain_message(refused.value, form) == explained
