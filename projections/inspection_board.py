"""Inspection board (督查活动): every round with its draw, teams, linked findings and result;
the concluded rounds are also the public list (一公开)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Composable

from domain.inspections import Inspection
from domain.vocabulary import InspectionStatus
from projections.base import AggregateTable, AggregateView, ReadModel, handles, other_aggregates
from projections.paging import Page, where_equal

S = InspectionStatus
ROUNDS = AggregateTable(
    "inspection_board",
    "title text NOT NULL, kind text NOT NULL, scope text NOT NULL, period_start date NOT NULL, "
    "period_end date NOT NULL, population text[] NOT NULL, inspectors jsonb NOT NULL, "
    "rules jsonb NOT NULL, status text NOT NULL, commitment text, seed text, chain_head jsonb, "
    "algorithm text, targets jsonb NOT NULL DEFAULT '[]', "
    "finding_ids uuid[] NOT NULL DEFAULT '{}', summary text, concluded_on date, "
    "results jsonb NOT NULL DEFAULT '[]', co_commitment text, co_seed text",
    first="launched",
    copied="title kind scope period_start period_end population inspectors rules",
    indexes={"status": "(status, launched_position)", "position": "(launched_position)"},
)


@dataclass(frozen=True)
class BoardFilter:
    status: str | None = None
    kind: str | None = None
    year: int | None = None


class InspectionBoardView(AggregateView):
    # 2: a draw's second seed and its commitment (issue 16 item 7).
    schema_version = 2
    rows = ROUNDS

    def page(self, f: BoardFilter, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("status", "kind"))
        return self.rounds(where, params, f.year, limit, cursor, board_item)

    def public_page(self, year: int | None, limit: int, cursor: str | None) -> Page:
        """一公开: concluded rounds only, with nothing personal but the inspectors' names."""
        where: list[Composable] = [SQL("status = %(status)s")]
        params: dict[str, Any] = {"status": InspectionStatus.CONCLUDED.value}
        return self.rounds(where, params, year, limit, cursor, public_item)

    def rounds(
        self,
        where: list[Composable],
        params: dict[str, Any],
        year: int | None,
        limit: int,
        cursor: str | None,
        item: Callable[[Any], dict[str, Any]],
    ) -> Page:
        """A page of the rounds `where` holds (those whose period starts in `year`, if
        given), latest launched first, each shown by `item`."""
        if year is not None:
            where.append(SQL("extract(year FROM period_start) = %(year)s"))
            params["year"] = year
        return self.keyset_page(
            ROUNDS.name,
            where,
            params,
            "launched_position",
            limit,
            cursor,
            descending=True,
            item=item,
        )


def board_item(row: Any) -> dict[str, Any]:
    item = {k: v for k, v in row.items() if k != "launched_position"}
    item["status_label"] = InspectionStatus(row["status"]).label
    return item


def public_item(row: Any) -> dict[str, Any]:
    """What the public list shows: the round, its draw (enough to re-derive it), the units
    drawn, each team's names, the linked findings' count and the results."""
    return {
        "id": row["id"],
        "title": row["title"],
        "kind": row["kind"],
        "scope": row["scope"],
        "period_start": row["period_start"],
        "period_end": row["period_end"],
        "population": row["population"],
        # Names and the unit each belongs to (their post, needed to check 回避); nothing else.
        "inspectors": [{"name": i["name"], "unit_code": i["unit_code"]} for i in row["inspectors"]],
        "rules": row["rules"],
        "draw": {
            "algorithm": row["algorithm"],
            "commitment": row["commitment"],
            "seed": row["seed"],
            "co_commitment": row["co_commitment"],
            "co_seed": row["co_seed"],
            "chain_head": row["chain_head"],
        }
        if row["seed"] is not None
        else None,
        "targets": row["targets"],
        "findings_count": len(row["finding_ids"]),
        "summary": row["summary"],
        "results": row["results"],
        "concluded_on": row["concluded_on"],
    }


class InspectionBoard(ReadModel[InspectionBoardView]):
    """One row per round."""

    name = "inspection_board"
    ignores = other_aggregates(Inspection)

    @handles(Inspection.Launched)
    def launched(self, e: Inspection.Launched, tracking: Tracking) -> None:
        self.view.insert_first(tracking, e, status=S.LAUNCHED.value)

    @handles(Inspection.SeedCommitted)
    def seed_committed(self, e: Inspection.SeedCommitted, tracking: Tracking) -> None:
        self.view.update(tracking, e, "commitment", status=S.SEED_COMMITTED.value)

    @handles(Inspection.CoSeedCommitted)
    def co_seed_committed(self, e: Inspection.CoSeedCommitted, tracking: Tracking) -> None:
        self.view.update(tracking, e, co_commitment=e.commitment)

    @handles(Inspection.CoSeedRevealed)
    def co_seed_revealed(self, e: Inspection.CoSeedRevealed, tracking: Tracking) -> None:
        self.view.update(tracking, e, co_seed=e.seed)

    @handles(Inspection.Drawn)
    def drawn(self, e: Inspection.Drawn, tracking: Tracking) -> None:
        self.view.update(tracking, e, "seed chain_head algorithm targets", status=S.DRAWN.value)

    @handles(Inspection.Assigned)
    def assigned(self, e: Inspection.Assigned, tracking: Tracking) -> None:
        self.view.update(tracking, e, "targets", status=S.DRAWN.value)

    @handles(Inspection.FindingLinked)
    def finding_linked(self, e: Inspection.FindingLinked, tracking: Tracking) -> None:
        self.view.update(tracking, e, appends={"finding_ids": e.finding_id})

    @handles(Inspection.Concluded)
    def concluded(self, e: Inspection.Concluded, tracking: Tracking) -> None:
        self.view.update(tracking, e, "summary concluded_on results", status=S.CONCLUDED.value)
