"""Accountability (问责) and fault-tolerance (容错免责) rulings, without any database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import uuid4

import pytest

from domain import clock
from domain.errors import AppealWindowClosed, InvalidTransition, InvalidValue
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.vocabulary import AccountabilityForm, RulingStatus, ToleranceOutcome
from projections.finding_board import due_by_of
from tests.support import then

R = RulingStatus
INSPECTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
AUTHORITY = {"id": "a1", "name": "决定机关", "role": "authority"}
UNIT_ACTOR = {"id": "u1", "name": "联络员", "role": "unit"}
SUBJECT = {"unit_code": "fgj", "person": {"name": "张三", "position": "副局长"}}
DECIDED_ON = date(2024, 6, 3)


def proposed() -> AccountabilityRuling:
    return AccountabilityRuling(
        id=uuid4(),
        subject=SUBJECT,
        finding_ids=[uuid4()],
        form="circulated_criticism",
        basis="问责条例",
        facts="未按期整改",
        actor=INSPECTOR,
    )


decided = then(
    proposed,
    lambda ruling: ruling.decide(
        form="admonishment", reasoning="情节较重", decided_on=DECIDED_ON, actor=AUTHORITY
    ),
)
appealed = then(decided, lambda ruling: ruling.lodge_appeal(grounds="事实有误", actor=UNIT_ACTOR))


def appeal_answered(result: str, reasoning: str) -> Callable[[], AccountabilityRuling]:
    """An appealed ruling whose appeal the authority decided with `result`, keeping the form."""
    return then(
        appealed,
        lambda ruling: ruling.decide_appeal(
            result=result, reasoning=reasoning, form=None, actor=AUTHORITY
        ),
    )


appeal_decided = appeal_answered("upheld", "维持")
revoked = appeal_answered("revoked", "撤销")
verified = then(proposed, lambda ruling: ruling.verify(comment="属实", actor=INSPECTOR))
published = then(
    decided, lambda ruling: ruling.publish(summary="某局副局长未按期整改", tags=[], actor=AUTHORITY)
)


def applied() -> ToleranceRuling:
    return ToleranceRuling(
        id=uuid4(),
        subject=SUBJECT,
        finding_ids=[],
        grounds="先行先试",
        criteria_claimed=["pilot_inexperience", "no_personal_gain"],
        actor=UNIT_ACTOR,
    )


def tolerance_decide(ruling: ToleranceRuling, outcome: str, criteria_met: list[str]) -> None:
    ruling.decide(
        outcome=outcome,
        criteria_met=criteria_met,
        reasoning="认定",
        decided_on=DECIDED_ON,
        actor=AUTHORITY,
    )


def accountability_decide(
    ruling: AccountabilityRuling,
    form: str,
    *,
    measure: str | None = None,
    decided_on: date = DECIDED_ON,
) -> None:
    """The authority decides `form` (and `measure`) on `decided_on`, giving no reasoning."""
    ruling.decide(form=form, measure=measure, reasoning="", decided_on=decided_on, actor=AUTHORITY)


def assert_refused(command: Callable[[], None], status: str) -> None:
    """The command is an invalid transition naming the ruling's `status`."""
    with pytest.raises(InvalidTransition) as error:
        command()
    assert error.value.details == {"status": status}


def test_an_accountability_ruling_is_proposed_with_its_form() -> None:
    ruling = proposed()
    assert ruling.status is R.PROPOSED and ruling.form is AccountabilityForm.CIRCULATED_CRITICISM
    assert ruling.decision is None and ruling.appeal is None and ruling.unit_code == "fgj"


def test_a_decision_makes_its_form_final() -> None:
    ruling = decided()
    assert ruling.status is R.DECIDED and ruling.form is AccountabilityForm.ADMONISHMENT
    assert ruling.decision == {
        "form": "admonishment",
        "reasoning": "情节较重",
        "decided_on": DECIDED_ON,
    }
    assert ruling.effects_until == date(2024, 12, 3)  # 诫勉: six months' 影响期 by default
    assert ruling.measure is None and ruling.statements == []


def test_a_decision_with_an_unknown_form_is_refused() -> None:
    ruling = proposed()
    with pytest.raises(InvalidValue, match="form"):
        accountability_decide(ruling, "诫勉")
    assert ruling.status is R.PROPOSED and ruling.decision is None


def test_a_modified_appeal_replaces_the_accountability_form() -> None:
    ruling = appealed()
    assert ruling.status is R.APPEALED
    ruling.decide_appeal(
        result="modified", reasoning="情节较轻", form="circulated_criticism", actor=AUTHORITY
    )
    assert ruling.status is R.APPEAL_DECIDED
    assert ruling.form is AccountabilityForm.CIRCULATED_CRITICISM
    assert ruling.appeal == {"grounds": "事实有误", "result": "modified", "reasoning": "情节较轻"}


def test_an_upheld_appeal_keeps_the_decided_form() -> None:
    ruling = appeal_decided()
    assert ruling.status is R.APPEAL_DECIDED and ruling.form is AccountabilityForm.ADMONISHMENT


def test_a_modified_accountability_appeal_must_name_a_valid_form() -> None:
    ruling = appealed()
    for form in (None, "bogus"):
        with pytest.raises(InvalidValue):
            ruling.decide_appeal(result="modified", reasoning="", form=form, actor=AUTHORITY)
    assert ruling.status is R.APPEALED and ruling.form is AccountabilityForm.ADMONISHMENT


@pytest.mark.parametrize("result", ["upheld", "revoked"])
def test_an_upheld_or_revoked_appeal_takes_no_form(result: str) -> None:
    ruling = appealed()
    with pytest.raises(InvalidValue, match="takes no form"):
        ruling.decide_appeal(
            result=result, reasoning="", form="written_inspection", actor=AUTHORITY
        )
    assert ruling.status is R.APPEALED


def test_an_unknown_appeal_result_is_refused() -> None:
    ruling = appealed()
    with pytest.raises(InvalidValue, match="result"):
        ruling.decide_appeal(result="overturned", reasoning="", form=None, actor=AUTHORITY)
    assert ruling.status is R.APPEALED


def test_an_appeal_decision_needs_a_lodged_appeal() -> None:
    ruling = decided()
    with pytest.raises(InvalidTransition):
        ruling.decide_appeal(result="upheld", reasoning="", form=None, actor=AUTHORITY)
    assert ruling.status is R.DECIDED and ruling.appeal is None


def test_an_exempted_or_mitigated_tolerance_decision_needs_a_criterion_met() -> None:
    for outcome in ("exempted", "mitigated"):
        ruling = applied()
        with pytest.raises(InvalidValue, match="at least one criterion"):
            tolerance_decide(ruling, outcome, [])
        assert ruling.status is R.APPLIED and ruling.outcome is None


def test_an_exempted_tolerance_decision_records_its_criteria_met() -> None:
    ruling = applied()
    tolerance_decide(ruling, "exempted", ["pilot_inexperience", "no_personal_gain"])
    assert ruling.status is R.DECIDED and ruling.outcome is ToleranceOutcome.EXEMPTED
    assert ruling.criteria_met == ["pilot_inexperience", "no_personal_gain"]


def test_a_denied_tolerance_decision_meets_no_criterion() -> None:
    ruling = applied()
    with pytest.raises(InvalidValue, match="meets no criterion"):
        tolerance_decide(ruling, "denied", ["due_procedure"])
    tolerance_decide(ruling, "denied", [])
    assert ruling.outcome is ToleranceOutcome.DENIED and ruling.criteria_met == []


def test_an_unknown_tolerance_criterion_or_outcome_is_refused() -> None:
    ruling = applied()
    with pytest.raises(InvalidValue, match="criterion"):
        tolerance_decide(ruling, "exempted", ["pilot_inexperience", "bogus"])
    with pytest.raises(InvalidValue, match="outcome"):
        tolerance_decide(ruling, "forgiven", ["pilot_inexperience"])
    assert ruling.status is R.APPLIED


def test_a_modified_tolerance_appeal_replaces_outcome_and_criteria() -> None:
    ruling = applied()
    tolerance_decide(ruling, "denied", [])
    ruling.lodge_appeal(grounds="符合容错情形", actor=UNIT_ACTOR)
    with pytest.raises(InvalidValue, match="at least one criterion"):
        ruling.decide_appeal(
            result="modified",
            reasoning="",
            outcome="mitigated",
            criteria_met=None,
            actor=AUTHORITY,
        )
    ruling.decide_appeal(
        result="modified",
        reasoning="从轻",
        outcome="mitigated",
        criteria_met=["loss_remedied"],
        actor=AUTHORITY,
    )
    assert ruling.status is R.APPEAL_DECIDED and ruling.outcome is ToleranceOutcome.MITIGATED
    assert ruling.criteria_met == ["loss_remedied"]


def test_an_upheld_tolerance_appeal_takes_no_new_outcome() -> None:
    ruling = applied()
    tolerance_decide(ruling, "exempted", ["due_procedure"])
    ruling.lodge_appeal(grounds="x", actor=INSPECTOR)
    with pytest.raises(InvalidValue, match="takes no new outcome"):
        ruling.decide_appeal(
            result="upheld", reasoning="", outcome=None, criteria_met=["x"], actor=AUTHORITY
        )
    assert ruling.status is R.APPEALED and ruling.criteria_met == ["due_procedure"]


def test_a_decision_is_appealed_only_once() -> None:
    ruling = appealed()
    with pytest.raises(InvalidTransition):
        ruling.lodge_appeal(grounds="再次申诉", actor=UNIT_ACTOR)
    ruling.decide_appeal(result="upheld", reasoning="维持", form=None, actor=AUTHORITY)
    with pytest.raises(InvalidTransition):
        ruling.lodge_appeal(grounds="再次申诉", actor=UNIT_ACTOR)
    assert ruling.appeal == {"grounds": "事实有误", "result": "upheld", "reasoning": "维持"}


def test_an_undecided_ruling_cannot_be_appealed() -> None:
    for ruling in (proposed(), verified()):
        with pytest.raises(InvalidTransition):
            ruling.lodge_appeal(grounds="x", actor=UNIT_ACTOR)
        assert ruling.appeal is None


def test_a_revoked_ruling_takes_no_further_command() -> None:
    ruling = revoked()
    assert ruling.status is R.REVOKED
    ruling.collect_events()
    commands: list[Callable[[], None]] = [
        lambda: ruling.verify(comment="x", actor=INSPECTOR),
        lambda: accountability_decide(ruling, "admonishment"),
        lambda: ruling.lodge_appeal(grounds="x", actor=UNIT_ACTOR),
        lambda: ruling.decide_appeal(result="upheld", reasoning="", form=None, actor=AUTHORITY),
        lambda: ruling.publish(summary="某局", tags=[], actor=AUTHORITY),
    ]
    for command in commands:
        assert_refused(command, "revoked")
    assert ruling.collect_events() == [] and ruling.status is R.REVOKED


def test_publishing_refuses_a_summary_that_names_the_person() -> None:
    ruling = decided()
    with pytest.raises(InvalidValue, match="must not name the person"):
        ruling.publish(summary="副局长张三未按期整改", tags=["作风"], actor=AUTHORITY)
    assert ruling.status is R.DECIDED and ruling.publication is None


def test_publishing_an_anonymous_summary_keeps_each_tag_once() -> None:
    ruling = decided()
    ruling.publish(summary="某局副局长未按期整改", tags=["作风", "整改", "作风"], actor=AUTHORITY)
    assert ruling.status is R.PUBLISHED
    assert ruling.publication == {"summary": "某局副局长未按期整改", "tags": ["作风", "整改"]}


def test_a_ruling_without_a_named_person_publishes_any_summary() -> None:
    ruling = AccountabilityRuling(
        id=uuid4(),
        subject={"unit_code": "fgj"},
        finding_ids=[],
        form="reorganisation",
        basis="",
        facts="",
        actor=INSPECTOR,
    )
    accountability_decide(ruling, "reorganisation")
    ruling.publish(summary="张三所在单位被改组", tags=[], actor=AUTHORITY)
    assert ruling.status is R.PUBLISHED


# Each status a ruling is built in above, by its name as a refusal names it.
BUILT: dict[str, Callable[[], Ruling]] = {
    "proposed": proposed,
    "applied": applied,
    "verified": verified,
    "decided": decided,
    "appealed": appealed,
    "appeal_decided": appeal_decided,
    "revoked": revoked,
    "published": published,
}
PUBLISHABLE = ("decided", "appeal_decided")
VERIFIABLE = ("proposed", "applied")


def all_but(allowed: tuple[str, ...]) -> list[str]:
    """Every status of BUILT but the `allowed` ones."""
    return [status for status in BUILT if status not in allowed]


@pytest.mark.parametrize("status", PUBLISHABLE)
def test_a_decided_or_appeal_decided_ruling_can_be_published(status: str) -> None:
    ruling = BUILT[status]()
    ruling.publish(summary="某局", tags=[], actor=AUTHORITY)
    assert ruling.status is R.PUBLISHED


@pytest.mark.parametrize("status", all_but(PUBLISHABLE))
def test_a_ruling_is_published_only_from_decided_or_appeal_decided(status: str) -> None:
    ruling = BUILT[status]()
    assert_refused(lambda: ruling.publish(summary="某局", tags=[], actor=AUTHORITY), status)


@pytest.mark.parametrize("status", VERIFIABLE)
def test_a_proposed_or_applied_ruling_can_be_verified(status: str) -> None:
    ruling = BUILT[status]()
    ruling.verify(comment="属实", actor=INSPECTOR)
    assert ruling.status is R.VERIFIED and ruling.verification == "属实"


@pytest.mark.parametrize("status", all_but(VERIFIABLE))
def test_a_ruling_is_verified_only_while_proposed_or_applied(status: str) -> None:
    ruling = BUILT[status]()
    assert_refused(lambda: ruling.verify(comment="x", actor=INSPECTOR), status)


def test_a_verified_ruling_can_still_be_decided() -> None:
    ruling = verified()
    accountability_decide(ruling, "admonishment")
    assert ruling.status is R.DECIDED and ruling.verification == "属实"


def test_every_ruling_event_names_its_actor() -> None:
    ruling = appeal_decided()
    events = ruling.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Proposed",
        "Decided",
        "Appealed",
        "AppealDecided",
    ]
    assert [e.actor for e in events] == [  # type: ignore[attr-defined]
        INSPECTOR,
        AUTHORITY,
        UNIT_ACTOR,
        AUTHORITY,
    ]


def test_a_decision_dated_before_a_statement_heard_is_refused() -> None:
    ruling = proposed()
    ruling.record_statement(statement="情况属实", made_on=DECIDED_ON, actor=UNIT_ACTOR)
    day_before = date(2024, 6, 2)
    with pytest.raises(InvalidValue, match="before the statement heard on 2024-06-03"):
        accountability_decide(ruling, "admonishment", decided_on=day_before)
    assert ruling.status is R.PROPOSED
    accountability_decide(ruling, "admonishment")


def test_an_appeal_changing_the_form_takes_the_new_forms_measure_and_period_of_effect() -> None:
    """诫勉 has six months' 影响期, 书面检查 none; a measure goes with 组织调整 only; a revoked
    decision leaves none."""
    ruling = appealed()  # 诫勉 decided on 2024-06-03
    assert ruling.effects_until == date(2024, 12, 3)
    ruling.decide_appeal(
        result="modified", reasoning="改为书面检查", form="written_inspection", actor=AUTHORITY
    )
    assert ruling.effects_until is None and ruling.measure is None

    adjusted = proposed()
    accountability_decide(adjusted, "organisational_adjustment", measure="demotion")
    assert adjusted.effects_until == date(2026, 6, 3)
    adjusted.lodge_appeal(grounds="过重", actor=UNIT_ACTOR)
    adjusted.decide_appeal(result="modified", reasoning="改为诫勉", form="admonishment",
                           actor=AUTHORITY)  # fmt: skip
    assert adjusted.measure is None and adjusted.effects_until == date(2024, 12, 3)

    assert revoked().effects_until is None


def test_an_appeal_due_on_a_day_off_is_taken_on_the_working_day_it_runs_to() -> None:
    """Served on 1 September 2026, an appeal is due a month later, on 1 October, a holiday:
    it is taken on the 8th, the first working day after (期限届满日为法定节假日的，顺延)."""
    ruling = decided()
    ruling.serve(served_on=date(2026, 9, 1), served_to="张三", actor=AUTHORITY)
    assert ruling.appeal_until() == date(2026, 10, 1)  # no calendar at hand: a Thursday
    assert ruling.appeal_until(due_by_of) == date(2026, 10, 8)
    back = datetime(2026, 10, 8, 10, tzinfo=clock.CHINA)
    with clock.use(clock.SettableClock(back)):
        with pytest.raises(AppealWindowClosed, match="2026-10-01"):
            ruling.lodge_appeal(grounds="不服", actor=UNIT_ACTOR)  # by the date alone
        ruling.lodge_appeal(grounds="不服", actor=UNIT_ACTOR, runs_to=due_by_of)
    assert ruling.status is R.APPEALED


@pytest.mark.parametrize(
    ("served_on", "monday"),
    [
        (date(2026, 11, 6), date(2026, 12, 7)),  # due Sunday 6 December 2026
        (date(2026, 12, 2), date(2027, 1, 4)),  # due Saturday 2 January 2027: no calendar yet
    ],
)
def test_an_appeal_due_on_a_weekend_runs_to_the_monday_calendar_or_not(
    served_on: date, monday: date
) -> None:
    ruling = decided()
    ruling.serve(served_on=served_on, served_to="张三", actor=AUTHORITY)
    assert ruling.appeal_until() == ruling.appeal_until(due_by_of) == monday
