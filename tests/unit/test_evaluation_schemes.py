"""A year's score bands (年度考评办法, issue 18 item 2): a grade follows from its score."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidValue
from domain.evaluation_schemes import (
    DEFAULT_BANDS,
    DEFAULT_WEIGHTS,
    EvaluationScheme,
    GradeDisagreesWithScore,
    check_bands,
    check_weights,
    grade_for,
    year_end_score,
)
from domain.vocabulary import Grade, WorkItemStatus
from domain.work_items import WorkItem

ACTOR = {"id": "i1", "name": "督查员", "role": "inspector"}


def item(due_on: date = date(2026, 12, 31)) -> WorkItem:
    return WorkItem(
        id=uuid4(), title="优化营商环境", year=2026, lead_unit="fgj", co_units=[], due_on=due_on,
        source_ref=None, description=None, actor=ACTOR,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "excellent"), (90, "excellent"), (89, "good"), (80, "good"), (79, "pass"),
     (60, "pass"), (59, "fail"), (12, "fail"), (0, "fail")],
)  # fmt: skip
def test_the_default_bands_grade_every_score(score: int, grade: str) -> None:
    assert grade_for(score, DEFAULT_BANDS) is Grade(grade)
    evaluated = item()
    evaluated.evaluate(score=score, grade=grade, comment="", actor=ACTOR, bands=DEFAULT_BANDS)
    assert evaluated.status is WorkItemStatus.EVALUATED


def test_a_score_of_12_graded_excellent_is_refused_naming_the_rule() -> None:
    refused = item()
    with pytest.raises(GradeDisagreesWithScore, match="等次与得分不符") as error:
        refused.evaluate(score=12, grade="excellent", comment="", actor=ACTOR, bands=DEFAULT_BANDS)
    assert error.value.code == "grade_disagrees_with_score"
    assert error.value.details["expected"] == "fail"
    assert refused.evaluation is None and refused.status is WorkItemStatus.LISTED


def test_a_years_own_bands_decide_the_grade() -> None:
    bands = {"excellent": 95, "good": 85, "pass": 70}
    graded = item()
    with pytest.raises(GradeDisagreesWithScore):
        graded.evaluate(score=92, grade="excellent", comment="", actor=ACTOR, bands=bands)
    graded.evaluate(score=92, grade="good", comment="", actor=ACTOR, bands=bands)
    assert graded.evaluation == {"score": 92, "grade": "good", "comment": ""}


@pytest.mark.parametrize(
    "bands",
    [
        {"excellent": 80, "good": 90, "pass": 60},
        {"excellent": 90, "good": 80},
        {"excellent": 90, "good": 80, "pass": 60, "fail": 0},
        {"excellent": 101, "good": 80, "pass": 60},
        {"excellent": 90, "good": 80, "pass": 0},
        {"excellent": 90, "good": 90, "pass": 60},
    ],
)
def test_bands_out_of_order_or_incomplete_are_refused(bands: dict[str, int]) -> None:
    with pytest.raises(InvalidValue):
        check_bands(bands)
    scheme = EvaluationScheme(year=2026, bands=DEFAULT_BANDS, actor=ACTOR)
    with pytest.raises(InvalidValue):
        scheme.revise(bands=bands, reason="修订", actor=ACTOR)
    assert scheme.bands == DEFAULT_BANDS


def test_a_scheme_is_the_years_and_a_revision_replaces_its_bands() -> None:
    scheme = EvaluationScheme(year=2026, bands=DEFAULT_BANDS, actor=ACTOR)
    assert scheme.id == EvaluationScheme.create_id(2026) != EvaluationScheme.create_id(2025)
    scheme.revise(bands={"excellent": 95, "pass": 70, "good": 85}, reason="县考评办法", actor=ACTOR)
    assert scheme.bands == {"excellent": 95, "good": 85, "pass": 70}


def test_a_year_without_adopted_bands_takes_the_evaluators_grade() -> None:
    graded = item()
    graded.evaluate(score=73, grade="excellent", comment="", actor=ACTOR)
    assert graded.evaluation == {"score": 73, "grade": "excellent", "comment": ""}


def test_an_open_item_past_its_due_date_is_overdue_and_a_finished_one_never() -> None:
    late = item(due_on=date(2026, 6, 30))
    assert not late.overdue(date(2026, 6, 30)) and late.overdue(date(2026, 7, 1))
    late.log_progress(note="推进中", percent=50, actor=ACTOR)
    assert late.overdue(date(2026, 7, 1))
    late.evaluate(score=85, grade="good", comment="", actor=ACTOR, bands=DEFAULT_BANDS)
    assert not late.overdue(date(2026, 7, 1))


def test_year_end_weights_are_three_whole_numbers_adding_up_to_100() -> None:
    assert check_weights({"evaluation": 40, "ledger": 30, "supervision": 30}) == DEFAULT_WEIGHTS
    with pytest.raises(InvalidValue, match="no more, no fewer"):
        check_weights({"ledger": 50, "evaluation": 50})
    with pytest.raises(InvalidValue, match="whole number from 0 to 100"):
        check_weights({"ledger": 50.5, "supervision": 19.5, "evaluation": 30})  # type: ignore[dict-item]
    with pytest.raises(InvalidValue, match="add up to 100, not 110"):
        check_weights({"ledger": 50, "supervision": 30, "evaluation": 30})


def test_the_year_end_score_fills_a_missing_parts_share_with_the_others() -> None:
    parts = {"ledger": 70.0, "supervision": 90.0, "evaluation": 80.0}
    assert year_end_score(parts, DEFAULT_WEIGHTS) == (80.0, DEFAULT_WEIGHTS)
    weights = {"ledger": 0, "supervision": 50, "evaluation": 50}
    assert year_end_score({**parts, "supervision": None}, weights) == (80.0, {"evaluation": 50})
    assert year_end_score(dict.fromkeys(parts), DEFAULT_WEIGHTS) == (None, {})
