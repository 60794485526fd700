"""The accountability procedure the regulations name (issue 18 item 3): forms per kind of
subject, 约谈 and the measures of 组织调整或者组织处理, 陈述申辩 before the decision, 送达,
the appeal window that runs from it, and 影响期."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain import clock
from domain.errors import (
    AppealWindowClosed,
    ExcludedFromTolerance,
    FormNotForSubject,
    InvalidTransition,
    InvalidValue,
)
from domain.rulings import FORMS_FOR, AccountabilityRuling, ToleranceRuling, add_months, check_form
from domain.vocabulary import AccountabilityForm, OrganisationalMeasure, SubjectKind

INSPECTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
AUTHORITY = {"id": "a1", "name": "决定机关", "role": "authority"}
UNIT = {"id": "u1", "name": "联络员", "role": "unit"}
PERSON = {"unit_code": "fgj", "person": {"name": "张三", "position": "副局长"}}
ORGANISATION = {"unit_code": "fgj"}


@pytest.fixture(autouse=True)
def today() -> Any:
    """Business dates are those of a fixed clock: 2024-07-10 in China."""
    with clock.use(clock.SettableClock(datetime(2024, 7, 10, 4, tzinfo=UTC))) as fixed:
        yield fixed


def proposed(subject: dict[str, Any] = PERSON, form: str = "admonishment") -> AccountabilityRuling:
    return AccountabilityRuling(
        id=uuid4(),
        subject=subject,
        finding_ids=[],
        form=form,
        basis="问责条例",
        facts="未按期整改",
        actor=INSPECTOR,
    )


def decide(ruling: AccountabilityRuling, form: str, **more: Any) -> None:
    ruling.decide(form=form, reasoning="情节", decided_on=date(2024, 6, 3), actor=AUTHORITY, **more)


@pytest.mark.parametrize(
    ("subject", "form"),
    [
        (PERSON, "reorganisation"),
        (ORGANISATION, "admonishment"),
        (ORGANISATION, "organisational_adjustment"),
        (ORGANISATION, "disciplinary_sanction"),
    ],
)
def test_a_form_the_subjects_kind_does_not_take_is_refused_naming_the_rule(
    subject: dict[str, Any], form: str
) -> None:
    with pytest.raises(FormNotForSubject, match="问责方式与问责对象不符") as refused:
        check_form(subject, form)
    assert refused.value.code == "form_not_for_subject"
    ruling = proposed(subject, "circulated_criticism")
    with pytest.raises(FormNotForSubject):
        decide(ruling, form)
    assert ruling.decision is None


def test_each_kind_of_subject_takes_its_forms_and_both_take_interview() -> None:
    for kind, subject in ((SubjectKind.PERSON, PERSON), (SubjectKind.ORGANISATION, ORGANISATION)):
        for form in FORMS_FOR[kind]:
            assert check_form(subject, form.value) is form
    assert AccountabilityForm.INTERVIEW in FORMS_FOR[SubjectKind.PERSON]
    assert AccountabilityForm.INTERVIEW in FORMS_FOR[SubjectKind.ORGANISATION]


def test_an_organisational_adjustment_names_its_measure_and_its_effects_follow() -> None:
    ruling = proposed()
    decide(ruling, "organisational_adjustment", measure="demotion")
    assert ruling.measure is OrganisationalMeasure.DEMOTION
    assert ruling.effects_until == date(2026, 6, 3)  # 降职: two years


def test_a_measure_goes_with_an_organisational_adjustment_alone() -> None:
    ruling = proposed()
    with pytest.raises(InvalidValue, match="a measure goes with organisational_adjustment"):
        decide(ruling, "admonishment", measure="dismissal")
    with pytest.raises(InvalidValue, match="measure"):
        decide(ruling, "organisational_adjustment", measure="exile")
    assert ruling.decision is None


def test_effects_may_be_set_but_not_end_before_the_decision() -> None:
    ruling = proposed()
    with pytest.raises(InvalidValue, match="effects_until"):
        decide(ruling, "interview", effects_until=date(2024, 1, 1))
    decide(ruling, "interview", effects_until=date(2024, 9, 1))
    assert ruling.effects_until == date(2024, 9, 1)


def test_a_form_without_a_set_period_has_no_effects_unless_the_decision_gives_one() -> None:
    ruling = proposed(ORGANISATION, "written_inspection")
    decide(ruling, "written_inspection")
    assert ruling.decision is not None and ruling.effects_until is None


def test_the_statement_is_heard_before_the_decision_and_the_decision_says_so() -> None:
    ruling = proposed()
    ruling.record_statement(statement="事出有因", made_on=date(2024, 6, 1), actor=UNIT)
    decide(ruling, "admonishment")
    assert ruling.statements == [{"statement": "事出有因", "made_on": date(2024, 6, 1)}]
    with pytest.raises(InvalidTransition):
        ruling.record_statement(statement="补充", made_on=date(2024, 6, 5), actor=UNIT)
    assert len(ruling.statements) == 1


def test_a_statement_from_the_future_or_on_a_tolerance_ruling_is_refused() -> None:
    ruling = proposed()
    with pytest.raises(InvalidValue, match="future"):
        ruling.record_statement(statement="x", made_on=date(2024, 7, 11), actor=UNIT)
    tolerance = ToleranceRuling(
        id=uuid4(), subject=PERSON, finding_ids=[], grounds="先行先试", criteria_claimed=[],
        actor=UNIT,
    )  # fmt: skip
    with pytest.raises(InvalidTransition):
        tolerance.record_statement(statement="x", made_on=date(2024, 7, 1), actor=UNIT)


def test_a_decision_is_served_once_on_or_after_its_day() -> None:
    ruling = proposed()
    with pytest.raises(InvalidTransition):
        ruling.serve(served_on=date(2024, 6, 3), served_to="张三", actor=AUTHORITY)
    decide(ruling, "admonishment")
    with pytest.raises(InvalidValue, match="before the decision"):
        ruling.serve(served_on=date(2024, 6, 2), served_to="张三", actor=AUTHORITY)
    with pytest.raises(InvalidValue, match="future"):
        ruling.serve(served_on=date(2024, 7, 11), served_to="张三", actor=AUTHORITY)
    ruling.serve(served_on=date(2024, 6, 10), served_to="张三", actor=AUTHORITY)
    assert ruling.service == {
        "served_on": date(2024, 6, 10),
        "served_to": "张三",
        "appeal_by": date(2024, 7, 10),
    }
    with pytest.raises(InvalidTransition):
        ruling.serve(served_on=date(2024, 6, 11), served_to="张三", actor=AUTHORITY)


def test_an_appeal_within_a_month_of_service_is_taken_and_one_after_it_is_refused(
    today: clock.SettableClock,
) -> None:
    ruling = proposed()
    decide(ruling, "admonishment")
    ruling.serve(served_on=date(2024, 6, 10), served_to="张三", actor=AUTHORITY)
    today.set(datetime(2024, 7, 10, 15, 59, tzinfo=UTC))  # 23:59 in China: the last day
    late = proposed()
    decide(late, "admonishment")
    late.serve(served_on=date(2024, 6, 9), served_to="张三", actor=AUTHORITY)
    with pytest.raises(AppealWindowClosed, match="申诉期限已过") as refused:
        late.lodge_appeal(grounds="事实有误", actor=UNIT)
    assert refused.value.details == {"appeal_by": "2024-07-09"}
    assert late.appeal is None
    ruling.lodge_appeal(grounds="事实有误", actor=UNIT)
    assert ruling.appeal == {"grounds": "事实有误"}


def test_an_unserved_decision_may_be_appealed_whenever() -> None:
    ruling = proposed()
    decide(ruling, "admonishment")
    ruling.lodge_appeal(grounds="未送达", actor=UNIT)
    assert ruling.appeal is not None


@pytest.mark.parametrize(
    ("day", "months", "then"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 6, 3), 6, date(2024, 12, 3)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 6, 3), 24, date(2026, 6, 3)),
    ],
)
def test_months_are_added_as_calendars_add_them(day: date, months: int, then: date) -> None:
    assert add_months(day, months) == then


def applied_for() -> ToleranceRuling:
    return ToleranceRuling(
        id=uuid4(), subject=PERSON, finding_ids=[], grounds="先行先试",
        criteria_claimed=["pilot_inexperience"], actor=UNIT,
    )  # fmt: skip


@pytest.mark.parametrize("outcome", ["exempted", "mitigated"])
def test_a_case_of_the_negative_list_bars_exemption_and_mitigation(outcome: str) -> None:
    ruling = applied_for()
    with pytest.raises(ExcludedFromTolerance, match="属于不予容错情形") as refused:
        ruling.decide(
            outcome=outcome, criteria_met=["pilot_inexperience"], reasoning="r",
            decided_on=date(2024, 6, 3), actor=AUTHORITY, exclusions=["personal_gain"],
        )  # fmt: skip
    assert refused.value.code == "excluded_from_tolerance"
    assert refused.value.details == {"outcome": outcome, "exclusions": ["personal_gain"]}
    assert ruling.decision is None and ruling.exclusions == []


def test_a_denial_records_the_cases_of_the_negative_list_found_once_each() -> None:
    ruling = applied_for()
    ruling.decide(
        outcome="denied", criteria_met=[], reasoning="谋取私利", decided_on=date(2024, 6, 3),
        actor=AUTHORITY, exclusions=["personal_gain", "repeated", "personal_gain"],
    )  # fmt: skip
    assert ruling.exclusions == ["personal_gain", "repeated"]
    with pytest.raises(InvalidValue, match="exclusion"):
        applied_for().decide(
            outcome="denied", criteria_met=[], reasoning="r", decided_on=date(2024, 6, 3),
            actor=AUTHORITY, exclusions=["bogus"],
        )  # fmt: skip
