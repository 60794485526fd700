"""Decision catalogue (重大行政决策目录): every major decision with its procedure completeness,
its 决策问责 links, corrections and the state of its third-party evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL

from domain.major_decisions import MajorDecision, procedure
from domain.vocabulary import DecisionStatus, EvaluationStatus
from projections.base import AggregateTable, AggregateView, ReadModel, handles, other_aggregates
from projections.paging import Page, where_equal

S = DecisionStatus
CATALOGUE = AggregateTable(
    "decision_catalogue",
    "title text NOT NULL, year int NOT NULL, unit_code text NOT NULL, description text, "
    "status text NOT NULL, steps_done text[] NOT NULL DEFAULT '{}', missing_steps text[], "
    "flaws text[], "
    "decided_on date, implemented_on date, links text[] NOT NULL DEFAULT '{}', "
    "corrections int NOT NULL DEFAULT 0, evaluations int NOT NULL DEFAULT 0, "
    "evaluation_status text, latest_score int, result_uses int NOT NULL DEFAULT 0",
    first="catalogued",
    copied="title year unit_code description",
    indexes={"year": "(year, catalogued_position)", "position": "(catalogued_position)"},
)


@dataclass(frozen=True)
class CatalogueFilter:
    year: int | None = None
    unit_code: str | None = None
    status: str | None = None
    flagged: bool | None = None


class DecisionCatalogueView(AggregateView):
    rows = CATALOGUE
    # 2: the decision's flaws (an unlawful review, a review or an assessment after the
    # collective decision), which flag it as a missing step does.
    schema_version = 2

    def page(self, f: CatalogueFilter, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("year", "unit_code", "status"))
        if f.flagged is not None:
            flagged = SQL(
                "coalesce(cardinality(missing_steps), 0) + coalesce(cardinality(flaws), 0) > 0"
            )
            where.append(flagged if f.flagged else SQL("NOT ") + flagged)
        return self.keyset_page(
            CATALOGUE.name,
            where,
            params,
            "catalogued_position",
            limit,
            cursor,
            descending=True,
            item=catalogue_item,
        )


def catalogue_item(row: Any) -> dict[str, Any]:
    """A row with its procedure completeness: steps done of the five required ones (before
    the decision), and the missing ones once decided (flagged: 程序缺失)."""
    item = {k: v for k, v in row.items() if k != "catalogued_position"}
    item["status_label"] = S(row["status"]).label
    item["procedure"] = procedure(row["steps_done"], row["missing_steps"] or ())
    item["flagged"] = bool(row["missing_steps"] or row["flaws"])
    item["missing_steps"] = row["missing_steps"] or []
    item["flaws"] = row["flaws"] or []
    return item


class DecisionCatalogue(ReadModel[DecisionCatalogueView]):
    """One row per decision."""

    name = "decision_catalogue"
    ignores = other_aggregates(MajorDecision)

    @handles(MajorDecision.Catalogued)
    def catalogued(self, e: MajorDecision.Catalogued, tracking: Tracking) -> None:
        self.view.insert_first(tracking, e, status=S.CATALOGUED.value)

    @handles(MajorDecision.StepRecorded)
    def step_recorded(self, e: MajorDecision.StepRecorded, tracking: Tracking) -> None:
        self.view.update(tracking, e, appends={"steps_done": e.step})

    @handles(MajorDecision.Decided)
    def decided(self, e: MajorDecision.Decided, tracking: Tracking) -> None:
        self.view.update(tracking, e, "decided_on missing_steps flaws", status=S.DECIDED.value)

    @handles(MajorDecision.AccountabilityLinked)
    def linked(self, e: MajorDecision.AccountabilityLinked, tracking: Tracking) -> None:
        self.view.update(tracking, e, appends={"links": f"{e.kind}:{e.target_id}"})

    @handles(MajorDecision.Implemented)
    def implemented(self, e: MajorDecision.Implemented, tracking: Tracking) -> None:
        self.view.update(tracking, e, "implemented_on", status=S.IMPLEMENTED.value)

    @handles(MajorDecision.Corrected)
    def corrected(self, e: MajorDecision.Corrected, tracking: Tracking) -> None:
        self.view.update(tracking, e, increments=("corrections",), status=S.CORRECTED.value)

    @handles(MajorDecision.EvaluationPlanned)
    def evaluation_planned(self, e: MajorDecision.EvaluationPlanned, tracking: Tracking) -> None:
        planned = EvaluationStatus.PLANNED.value
        self.view.update(tracking, e, increments=("evaluations",), evaluation_status=planned)

    @handles(MajorDecision.EvaluationReported)
    def evaluation_reported(self, e: MajorDecision.EvaluationReported, tracking: Tracking) -> None:
        reported = EvaluationStatus.REPORTED.value
        self.view.update(tracking, e, evaluation_status=reported, latest_score=e.score)

    @handles(MajorDecision.FeedbackGiven)
    def feedback_given(self, e: MajorDecision.FeedbackGiven, tracking: Tracking) -> None:
        status = (
            EvaluationStatus.RECTIFYING if e.rectification_required else EvaluationStatus.CLOSED
        )
        self.view.update(tracking, e, evaluation_status=status.value)

    @handles(MajorDecision.RectificationReported)
    def rectified(self, e: MajorDecision.RectificationReported, tracking: Tracking) -> None:
        self.view.update(tracking, e, evaluation_status=EvaluationStatus.RECTIFIED.value)

    @handles(MajorDecision.ResultsUsed)
    def results_used(self, e: MajorDecision.ResultsUsed, tracking: Tracking) -> None:
        self.view.update(tracking, e, increments=("result_uses",))
