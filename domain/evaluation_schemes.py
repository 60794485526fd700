"""EvaluationScheme (年度考评办法): a year's score bands (等次划分), kept as data.

Once a year's scheme is adopted, a work item's year-end grade follows from its score by the
bands of its year: a score of 12 is never 优秀. A year without one grades as the evaluator
says (the v1 contract's `{score, grade}`, kept for the years and counties that have not put
their 考评办法 on record); DEFAULT_BANDS (优秀 90 and above, 良好 80, 合格 60, below that
不合格) are the usual ones. Adopting or revising a scheme bears on evaluations made after it,
never on those already recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import DomainError, InvalidValue
from domain.vocabulary import Grade

SCHEME_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/evaluation-schemes")
# The lowest score of each grade but the last (不合格 is every score below 合格's).
DEFAULT_BANDS: dict[str, int] = {
    Grade.EXCELLENT.value: 90,
    Grade.GOOD.value: 80,
    Grade.PASS.value: 60,
}


# 年终综合考评: a unit's year-end score weighs three parts, each 0–100 — 台账完成度 (the mean
# share done of the unit's work items), 督查整改 (the share of its findings rectified on time)
# and 考评得分 (the mean score of its evaluated work items); a year's scheme may set its own.
DEFAULT_WEIGHTS: dict[str, int] = {"ledger": 30, "supervision": 30, "evaluation": 40}


class GradeDisagreesWithScore(DomainError, code="grade_disagrees_with_score"):
    """A grade that the year's score bands do not give to the score."""


def check_bands(bands: dict[str, int]) -> dict[str, int]:
    """优秀 > 良好 > 合格 thresholds, each a whole score from 1 to 100."""
    if set(bands) != set(DEFAULT_BANDS):
        raise InvalidValue(
            f"bands name the lowest score of {', '.join(DEFAULT_BANDS)} (no more, no fewer)",
            details={"bands": sorted(bands)},
        )
    scores = [bands[grade] for grade in DEFAULT_BANDS]
    if any(type(score) is not int or not 1 <= score <= 100 for score in scores):
        raise InvalidValue("each band's lowest score is a whole number from 1 to 100")
    if not scores[0] > scores[1] > scores[2]:
        raise InvalidValue("excellent's lowest score lies above good's, and good's above pass's")
    return {grade: bands[grade] for grade in DEFAULT_BANDS}


def check_weights(weights: dict[str, int]) -> dict[str, int]:
    """The three parts' weights: whole numbers from 0 to 100 that add up to 100."""
    if set(weights) != set(DEFAULT_WEIGHTS):
        raise InvalidValue(
            f"weights name {', '.join(DEFAULT_WEIGHTS)} (no more, no fewer)",
            details={"weights": sorted(weights)},
        )
    if any(type(weights[part]) is not int or not 0 <= weights[part] <= 100 for part in weights):
        raise InvalidValue("each weight is a whole number from 0 to 100")
    if sum(weights.values()) != 100:
        raise InvalidValue(f"the weights add up to 100, not {sum(weights.values())}")
    return {part: weights[part] for part in DEFAULT_WEIGHTS}


def year_end_score(
    parts: dict[str, float | None], weights: dict[str, int]
) -> tuple[float | None, dict[str, int]]:
    """The weighted mean of the parts that have a value (a unit with no finding closed has
    no 督查整改 part: the others' weights are scaled up to fill it), and the weights used."""
    used = {part: w for part, w in weights.items() if parts.get(part) is not None and w > 0}
    total = sum(used.values())
    if total == 0:
        return None, {}
    score = sum(w * float(parts[part] or 0) for part, w in used.items()) / total
    return round(score, 2), used


def grade_for(score: int, bands: dict[str, int]) -> Grade:
    """The grade the bands give a score."""
    for grade, lowest in bands.items():
        if score >= lowest:
            return Grade(grade)
    return Grade.FAIL


def check_grade(score: int, grade: Grade, bands: dict[str, int]) -> None:
    """The grade given is the one the bands give the score, else 422 naming the rule."""
    due = grade_for(score, bands)
    if grade is not due:
        raise GradeDisagreesWithScore(
            f"a score of {score} is {due.label} ({due.value}) by the year's bands, not "
            f"{grade.label} ({grade.value}) (等次与得分不符)",
            details={"score": score, "grade": grade.value, "expected": due.value, "bands": bands},
        )


class EvaluationScheme(Aggregate):
    """One year's 考评办法: the score bands of its grades."""

    @staticmethod
    def create_id(year: int) -> UUID:
        """A year has one scheme: the id is uuid5 of the year."""
        return uuid5(SCHEME_NAMESPACE, str(year))

    class Adopted(Aggregate.Created):
        year: int
        bands: dict[str, int]
        actor: dict[str, Any]

    class Revised(Aggregate.Event):
        bands: dict[str, int]
        reason: str
        actor: dict[str, Any]

    class WeightsSet(Aggregate.Event):
        weights: dict[str, int]
        reason: str
        actor: dict[str, Any]

    @event(Adopted)
    def __init__(self, *, year: int, bands: dict[str, int], actor: dict[str, Any]) -> None:
        self.year = year
        self.bands = dict(bands)
        self.weights: dict[str, int] | None = None  # the year-end parts' weights, once set

    def revise(self, *, bands: dict[str, int], reason: str, actor: dict[str, Any]) -> None:
        """修订考评办法: new bands for evaluations from now on."""
        self._revised(bands=check_bands(bands), reason=reason, actor=actor)

    @event(Revised)
    def _revised(self, bands: dict[str, int], reason: str, actor: dict[str, Any]) -> None:
        self.bands = dict(bands)

    def set_weights(self, *, weights: dict[str, int], reason: str, actor: dict[str, Any]) -> None:
        """设定综合考评权重: the year-end parts' weights, kept for the year."""
        checked = check_weights(weights)
        if checked == self.weights:
            raise InvalidValue("the year's weights are already these")
        self._weights_set(weights=checked, reason=reason, actor=actor)

    @event(WeightsSet)
    def _weights_set(self, weights: dict[str, int], reason: str, actor: dict[str, Any]) -> None:
        self.weights = dict(weights)
