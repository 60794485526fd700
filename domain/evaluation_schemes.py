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

    @event(Adopted)
    def __init__(self, *, year: int, bands: dict[str, int], actor: dict[str, Any]) -> None:
        self.year = year
        self.bands = dict(bands)

    def revise(self, *, bands: dict[str, int], reason: str, actor: dict[str, Any]) -> None:
        """修订考评办法: new bands for evaluations from now on."""
        self._revised(bands=check_bands(bands), reason=reason, actor=actor)

    @event(Revised)
    def _revised(self, bands: dict[str, int], reason: str, actor: dict[str, Any]) -> None:
        self.bands = dict(bands)
