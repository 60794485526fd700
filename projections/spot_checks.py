"""一单两库 (the spot-check directories): the 检查对象名录库's market entities, the
执法检查人员名录库's officers and the 随机抽查事项清单, as lists — and, for a matter's round,
the entities it covers and the officers who may go (domain.spot_checks.SpotCheckDirectory)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Composed

from domain.spot_checks import (
    DELISTED,
    LISTED,
    WITHDRAWN,
    EnforcementOfficer,
    MarketEntity,
    SpotCheckMatter,
)
from domain.vocabulary import EntityKind
from projections.base import AggregateTable, ReadModel, ReadModelView, handles, other_aggregates
from projections.paging import Page, where_equal

ENTITIES = AggregateTable(
    "spot_check_entities",
    "credit_code text NOT NULL UNIQUE, name text NOT NULL, entity_kind text NOT NULL, "
    "industry text NOT NULL, address text, status text NOT NULL",
    first="listed",
    copied="credit_code name entity_kind industry address",
    indexes={"covered": "(status, industry, entity_kind)", "position": "(listed_position)"},
)
OFFICERS = AggregateTable(
    "spot_check_officers",
    "name text NOT NULL, unit_code text NOT NULL, certificate text NOT NULL UNIQUE, "
    "valid_until date NOT NULL, status text NOT NULL",
    first="listed",
    copied="name unit_code certificate valid_until",
    indexes={"unit": "(unit_code, status)", "position": "(listed_position)"},
)
MATTERS = AggregateTable(
    "spot_check_matters",
    "unit_code text NOT NULL, title text NOT NULL, legal_basis text NOT NULL, "
    "method text NOT NULL, entity_kinds text[] NOT NULL, industries text[] NOT NULL, "
    "share_percent int NOT NULL, rounds_per_year int NOT NULL, status text NOT NULL, "
    "rounds int NOT NULL DEFAULT 0",
    first="listed",
    copied="unit_code title legal_basis method entity_kinds industries share_percent "
    "rounds_per_year",
    indexes={"position": "(listed_position)"},
)
SHOWN = {
    ENTITIES.name: ("credit_code", "name", "entity_kind", "industry", "address", "status"),
    OFFICERS.name: ("name", "unit_code", "certificate", "valid_until", "status"),
    MATTERS.name: (
        "id",
        "unit_code",
        "title",
        "legal_basis",
        "method",
        "entity_kinds",
        "industries",
        "share_percent",
        "rounds_per_year",
        "status",
        "rounds",
    ),
}


@dataclass(frozen=True)
class DirectoryFilter:
    """What a list of one of the three is narrowed to (a field left None: any)."""

    status: str | None = None
    unit_code: str | None = None  # officers, matters
    industry: str | None = None  # entities
    entity_kind: str | None = None  # entities


class SpotCheckView(ReadModelView):
    projection_name = "spot_checks"

    def table_statements(self) -> list[Composed]:
        return [*self.define(ENTITIES), *self.define(OFFICERS), *self.define(MATTERS)]

    # -- the directory a round is drawn from ------------------------------------------------

    def entity_codes(self, kinds: Sequence[str], industries: Sequence[str]) -> list[str]:
        """The listed entities of those kinds and industries (none named: any), by code."""
        rows = self.fetch_all(
            SQL(
                "SELECT credit_code FROM {} WHERE status = %(listed)s "
                "AND (cardinality(%(kinds)s::text[]) = 0 OR entity_kind = ANY(%(kinds)s)) "
                "AND (cardinality(%(industries)s::text[]) = 0 OR industry = ANY(%(industries)s)) "
                "ORDER BY credit_code"
            ).format(self.table(ENTITIES.name)),
            {"listed": LISTED, "kinds": list(kinds), "industries": list(industries)},
        )
        return [str(r["credit_code"]) for r in rows]

    def officer_ids(self, unit_code: str, through: date) -> list[UUID]:
        """The unit's listed officers whose certificate holds through the day."""
        rows = self.fetch_all(
            SQL(
                "SELECT id FROM {} WHERE unit_code = %s AND status = %s AND valid_until >= %s "
                "ORDER BY certificate"
            ).format(self.table(OFFICERS.name)),
            (unit_code, LISTED, through),
        )
        return [UUID(str(r["id"])) for r in rows]

    def officer_of_number(self, number: str) -> UUID | None:
        """The officer whose certificate, in its one form (NFKC, upper case, trimmed), is
        `number`, however it was typed when listed (officers listed until 2026-12-07 keep the
        id and the certificate as typed then)."""
        rows = self.fetch_all(
            SQL(
                "SELECT id FROM {} "
                "WHERE upper(btrim(normalize(certificate, NFKC), E' \\t\\r\\n')) = %s "
                "ORDER BY listed_position LIMIT 1"
            ).format(self.table(OFFICERS.name)),
            (number,),
        )
        return UUID(str(rows[0]["id"])) if rows else None

    def entity_names(self, codes: Sequence[str]) -> dict[str, str]:
        """The names of the entities among `codes` (a round's population and targets)."""
        rows = self.fetch_all(
            SQL("SELECT credit_code, name FROM {} WHERE credit_code = ANY(%s)").format(
                self.table(ENTITIES.name)
            ),
            (list(codes),),
        )
        return {str(r["credit_code"]): str(r["name"]) for r in rows}

    # -- the lists --------------------------------------------------------------------------

    def page(self, table: str, f: DirectoryFilter, limit: int, cursor: str | None) -> Page:
        """A page of one of the three lists, in the order they were listed."""
        fields = {ENTITIES.name: ("status", "industry", "entity_kind")}.get(
            table, ("status", "unit_code")
        )
        where, params = where_equal(f, fields)
        return self.keyset_page(
            table, where, params, "listed_position", limit, cursor, item=lambda r: shown(table, r)
        )

    def counts(self) -> dict[str, int]:
        """How many entities and officers are listed now (the page's summary)."""
        query = SQL(
            "SELECT (SELECT count(*) FROM {} WHERE status = %(s)s) AS entities, "
            "(SELECT count(*) FROM {} WHERE status = %(s)s) AS officers"
        ).format(self.table(ENTITIES.name), self.table(OFFICERS.name))
        (row,) = self.fetch_all(query, {"s": LISTED})
        return {"entities": int(row["entities"]), "officers": int(row["officers"])}


def shown(table: str, row: Any) -> dict[str, Any]:
    item = {c: row[c] for c in SHOWN[table]}
    if "entity_kind" in item:
        item["entity_kind_label"] = EntityKind(item["entity_kind"]).label
    if "entity_kinds" in item:
        item["entity_kind_labels"] = [EntityKind(k).label for k in item["entity_kinds"]]
    return item


class SpotChecks(ReadModel[SpotCheckView]):
    """One row per entity, officer and matter; a matter counts its rounds."""

    name = "spot_checks"
    ignores = other_aggregates(MarketEntity, EnforcementOfficer, SpotCheckMatter)

    @handles(MarketEntity.Registered)
    def entity_listed(self, e: MarketEntity.Registered, tracking: Tracking) -> None:
        self.view.insert_aggregate(ENTITIES, tracking, e, status=LISTED)

    @handles(MarketEntity.Amended)
    def entity_amended(self, e: MarketEntity.Amended, tracking: Tracking) -> None:
        self.view.update_aggregate(ENTITIES, tracking, e, **e.changes)

    @handles(MarketEntity.Delisted)
    def entity_delisted(self, e: MarketEntity.Delisted, tracking: Tracking) -> None:
        self.view.update_aggregate(ENTITIES, tracking, e, status=DELISTED)

    @handles(EnforcementOfficer.Registered)
    def officer_listed(self, e: EnforcementOfficer.Registered, tracking: Tracking) -> None:
        self.view.insert_aggregate(OFFICERS, tracking, e, status=LISTED)

    @handles(EnforcementOfficer.Delisted)
    def officer_delisted(self, e: EnforcementOfficer.Delisted, tracking: Tracking) -> None:
        self.view.update_aggregate(OFFICERS, tracking, e, status=DELISTED)

    @handles(SpotCheckMatter.Listed)
    def matter_listed(self, e: SpotCheckMatter.Listed, tracking: Tracking) -> None:
        self.view.insert_aggregate(MATTERS, tracking, e, status=LISTED)

    @handles(SpotCheckMatter.RoundLaunched)
    def round_launched(self, e: SpotCheckMatter.RoundLaunched, tracking: Tracking) -> None:
        self.view.update_aggregate(MATTERS, tracking, e, increments=("rounds",))

    @handles(SpotCheckMatter.Withdrawn)
    def matter_withdrawn(self, e: SpotCheckMatter.Withdrawn, tracking: Tracking) -> None:
        self.view.update_aggregate(MATTERS, tracking, e, status=WITHDRAWN)
