"""The MajorDecision aggregate: procedure, decision, 决策问责, 纠错, third-party evaluation."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.major_decisions import REQUIRED_STEPS, MajorDecision
from domain.vocabulary import DecisionStatus, EvaluationStatus
from tests.support import replayed

ACTOR = {"id": "i1", "name": "督查员", "role": "inspector"}
D, E = DecisionStatus, EvaluationStatus


def catalogued() -> MajorDecision:
    return MajorDecision(
        id=uuid4(),
        title="城区公交线网优化调整方案",
        year=2026,
        unit_code="fzb",
        description=None,
        actor=ACTOR,
    )


def with_steps(*steps: str, done_on: date = date(2026, 3, 1)) -> MajorDecision:
    decision = catalogued()
    for step in steps:
        decision.record_step(step=step, done_on=done_on, evidence=[], note="", actor=ACTOR)
    return decision


def implemented() -> MajorDecision:
    decision = with_steps(*REQUIRED_STEPS)
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    decision.implement(implemented_on=date(2026, 5, 1), note="", actor=ACTOR)
    return decision


def evaluated(rectification: bool = True) -> MajorDecision:
    decision = implemented()
    decision.plan_evaluation(
        evaluator="浙江某大学评估中心", scope="实施效果", planned_on=date(2026, 9, 1), actor=ACTOR
    )
    decision.report_evaluation(
        number=1,
        score=72,
        conclusion="基本达到预期",
        findings=["换乘不便"],
        reported_on=date(2026, 10, 1),
        actor=ACTOR,
    )
    decision.give_feedback(
        number=1,
        feedback="请优化换乘站点",
        rectification_required=rectification,
        deadline=date(2026, 12, 31) if rectification else None,
        actor=ACTOR,
    )
    return decision


def test_a_decision_with_every_step_done_beforehand_is_not_flagged() -> None:
    decision = with_steps(*REQUIRED_STEPS)
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    assert decision.status is D.DECIDED and not decision.flagged


def test_a_decision_taken_without_the_legality_review_is_flagged() -> None:
    decision = with_steps(*(s for s in REQUIRED_STEPS if s != "legality_review"))
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    assert decision.flagged and decision.missing_steps == ["legality_review"]


def test_a_step_done_after_the_decision_does_not_count() -> None:
    decision = with_steps(*REQUIRED_STEPS, done_on=date(2026, 5, 1))
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    assert decision.missing_steps == list(REQUIRED_STEPS)


def test_a_step_is_recorded_once() -> None:
    decision = with_steps("risk_assessment")
    with pytest.raises(AlreadyExists):
        decision.record_step(
            step="risk_assessment", done_on=date(2026, 3, 2), evidence=[], note="", actor=ACTOR
        )


def test_an_unknown_step_is_refused() -> None:
    with pytest.raises(InvalidValue):
        catalogued().record_step(
            step="coin_toss", done_on=date(2026, 3, 2), evidence=[], note="", actor=ACTOR
        )


def test_no_step_is_recorded_after_the_decision() -> None:
    decision = with_steps(*REQUIRED_STEPS)
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    with pytest.raises(InvalidTransition):
        decision.record_step(
            step="risk_assessment", done_on=date(2026, 3, 2), evidence=[], note="", actor=ACTOR
        )


def test_only_a_flagged_decision_is_linked_for_accountability() -> None:
    decision = with_steps(*REQUIRED_STEPS)
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    with pytest.raises(InvalidValue):
        decision.link_accountability(kind="ruling", target_id=uuid4(), actor=ACTOR)


def test_a_flagged_decision_links_a_ruling_once() -> None:
    decision = with_steps("collective_decision")
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    ruling = uuid4()
    decision.link_accountability(kind="ruling", target_id=ruling, actor=ACTOR)
    assert decision.links == [{"kind": "ruling", "target_id": ruling}]
    with pytest.raises(AlreadyExists):
        decision.link_accountability(kind="ruling", target_id=ruling, actor=ACTOR)


def test_a_decision_is_not_implemented_before_it_is_taken() -> None:
    with pytest.raises(InvalidTransition):
        catalogued().implement(implemented_on=date(2026, 5, 1), note="", actor=ACTOR)


def test_a_correction_keeps_the_decision_and_marks_it_corrected() -> None:
    decision = implemented()
    decision.correct(reason="r", correction="c", corrected_on=date(2026, 6, 1), actor=ACTOR)
    assert decision.status is D.CORRECTED and decision.decided_on == date(2026, 4, 1)


def test_an_evaluation_needs_an_implemented_decision() -> None:
    with pytest.raises(InvalidTransition):
        with_steps().plan_evaluation(
            evaluator="e", scope="s", planned_on=date(2026, 9, 1), actor=ACTOR
        )


def test_feedback_that_needs_rectification_waits_for_it() -> None:
    decision = evaluated()
    assert decision.evaluations[0]["status"] is E.RECTIFYING
    with pytest.raises(InvalidTransition):
        decision.plan_evaluation(evaluator="e", scope="s", planned_on=date(2027, 1, 1), actor=ACTOR)


def test_a_second_evaluation_follows_the_rectification() -> None:
    decision = evaluated()
    decision.report_rectification(number=1, summary="已调整线路", evidence=[], actor=ACTOR)
    decision.plan_evaluation(
        evaluator="e", scope="二次评估", planned_on=date(2027, 1, 5), actor=ACTOR
    )
    assert [e["number"] for e in decision.evaluations] == [1, 2]
    assert decision.evaluations[0]["status"] is E.RECTIFIED


def test_feedback_without_rectification_closes_the_evaluation() -> None:
    assert evaluated(rectification=False).evaluations[0]["status"] is E.CLOSED


def test_a_score_above_100_is_refused() -> None:
    decision = implemented()
    decision.plan_evaluation(evaluator="e", scope="s", planned_on=date(2026, 9, 1), actor=ACTOR)
    with pytest.raises(InvalidValue):
        decision.report_evaluation(
            number=1,
            score=101,
            conclusion="c",
            findings=[],
            reported_on=date(2026, 10, 1),
            actor=ACTOR,
        )


def test_results_are_used_only_after_the_report() -> None:
    decision = implemented()
    decision.plan_evaluation(evaluator="e", scope="s", planned_on=date(2026, 9, 1), actor=ACTOR)
    with pytest.raises(InvalidTransition):
        decision.use_results(number=1, use="assessment", description="d", actor=ACTOR)
    with pytest.raises(NotFound, match="no evaluation number 2"):
        decision.use_results(number=2, use="assessment", description="d", actor=ACTOR)


def test_the_use_of_results_is_recorded_on_its_evaluation() -> None:
    decision = evaluated()
    decision.use_results(number=1, use="assessment", description="纳入年度考评", actor=ACTOR)
    assert decision.evaluations[0]["uses"] == [{"use": "assessment", "description": "纳入年度考评"}]


def test_a_decision_replayed_from_its_events_is_the_same_decision() -> None:
    decision = evaluated()
    assert vars(replayed(decision.collect_events())) == vars(decision)


def step(decision: MajorDecision, name: str, day: int, **result: object) -> None:
    decision.record_step(
        step=name, done_on=date(2026, 3, day), evidence=[], note="", actor=ACTOR, **result
    )


def every_step(review: str = "lawful", review_day: int = 4, risk_day: int = 3) -> MajorDecision:
    """Every required step, the collective decision on the 5th."""
    decision = catalogued()
    step(decision, "public_participation", 1, summary="公开征求意见", participants=80, opinions=9)
    step(decision, "expert_argumentation", 2, summary="专家论证", participants=5, opinions=3)
    step(decision, "risk_assessment", risk_day, outcome="medium")
    step(decision, "legality_review", review_day, outcome=review)
    step(decision, "collective_decision", 5)
    return decision


def test_each_step_keeps_its_result_and_a_lawful_procedure_in_order_is_not_flagged() -> None:
    decision = every_step(review="lawful_after_changes")
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    assert not decision.flagged and decision.flaws == []
    assert decision.steps["legality_review"]["outcome"] == "lawful_after_changes"
    assert decision.steps["risk_assessment"]["outcome"] == "medium"
    participation = decision.steps["public_participation"]
    assert (participation["summary"], participation["participants"], participation["opinions"]) == (
        "公开征求意见", 80, 9,
    )  # fmt: skip


def test_an_unlawful_review_flags_the_decision_as_a_missing_step_does() -> None:
    decision = every_step(review="unlawful")
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    assert decision.flagged and decision.missing_steps == []
    assert decision.flaws == ["unlawful_review"]
    decision.link_accountability(kind="finding", target_id=uuid4(), actor=ACTOR)  # 决策问责


def test_a_review_or_an_assessment_after_the_collective_decision_flags_it() -> None:
    decision = every_step(review_day=6, risk_day=7)
    decision.decide(decided_on=date(2026, 4, 1), summary="通过", actor=ACTOR)
    assert decision.flaws == [
        "review_after_collective_decision",
        "risk_assessment_after_collective_decision",
    ]


@pytest.mark.parametrize(
    ("name", "result", "words"),
    [
        ("legality_review", {"outcome": "maybe"}, "outcome"),
        ("risk_assessment", {"outcome": "lawful"}, "outcome"),
        ("collective_decision", {"outcome": "lawful"}, "has no outcome"),
        ("legality_review", {"summary": "意见"}, "has no summary"),
        ("risk_assessment", {"participants": 3}, "has no summary"),
        ("public_participation", {"summary": "   "}, "not only spaces"),
    ],
)
def test_a_result_that_does_not_belong_to_its_step_is_refused(
    name: str, result: dict[str, object], words: str
) -> None:
    decision = catalogued()
    with pytest.raises(InvalidValue, match=words):
        step(decision, name, 1, **result)
    assert decision.steps == {}


def test_a_decision_recorded_before_steps_had_results_reads_as_it_did() -> None:
    """Stored v1 events (no results, no flaws) upcast: the result is none, nothing flagged."""
    state = {"step": "legality_review", "done_on": "2026-03-01", "evidence": [], "note": "",
             "actor": ACTOR}  # fmt: skip
    MajorDecision.StepRecorded.upcast_v1_v2(state)
    assert state["outcome"] is None and state["participants"] is None
    decided = {"decided_on": "2026-04-01", "summary": "通过", "missing_steps": [], "actor": ACTOR}
    MajorDecision.Decided.upcast_v1_v2(decided)
    assert decided["flaws"] == []
