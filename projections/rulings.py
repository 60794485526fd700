"""Rulings list: every accountability and fault-tolerance ruling with its current state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Composed

from domain.accounts import Account
from domain.findings import Finding
from domain.inspections import Inspection
from domain.major_decisions import MajorDecision
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.units import Unit
from domain.vocabulary import AppealResult, RulingKind, RulingStatus
from domain.work_items import WorkItem
from projections.base import AggregateRows, ReadModel, ReadModelView, handles
from projections.paging import Page, in_units, where_equal

ROWS = AggregateRows(
    "position",
    "created_at",
    {
        "kind": "text",
        "unit_code": "text",
        "status": "text",
        "form": "text",
        "criteria": "text[]",
        "finding_ids": "uuid[]",
    },
)


@dataclass(frozen=True)
class RulingFilter:
    kind: str | None = None
    unit_codes: tuple[str, ...] = ()
    status: str | None = None
    finding_id: Any = None


class RulingsView(ReadModelView):
    projection_name = "rulings"

    def table_statements(self) -> list[Composed]:
        return [
            self.define_table(
                "rulings",
                "id uuid PRIMARY KEY, kind text NOT NULL, "
                "unit_code text NOT NULL, status text NOT NULL, form text, outcome text, "
                "criteria text[] NOT NULL DEFAULT '{}', finding_ids uuid[] NOT NULL, "
                "decided_on date, appeal_result text, version int NOT NULL, "
                "position bigint NOT NULL, created_at timestamptz NOT NULL, "
                "updated_at timestamptz NOT NULL",
            ),
            *self.define_indexes(
                "rulings",
                unit="(unit_code, position)",
                findings="USING gin (finding_ids)",
                # Scorecards: the rulings decided in a year.
                decided="(decided_on)",
            ),
        ]

    def page(self, f: RulingFilter, limit: int, cursor: str | None) -> Page:
        params: dict[str, Any] = {}
        where = where_equal(f, ("kind", "status"), params)
        if f.unit_codes:
            where.append(in_units(f.unit_codes, params))
        if f.finding_id is not None:
            where.append(SQL("%(finding)s = ANY(finding_ids)"))
            params["finding"] = f.finding_id
        return self.keyset_page("rulings", where, params, "position", limit, cursor)


class Rulings(ReadModel[RulingsView]):
    """One row per ruling; no personal data (the subject person stays in the event log)."""

    name = "rulings"
    ignores = (
        Unit,
        Account,
        Finding,
        WorkItem,
        Inspection,
        MajorDecision,
    )

    def insert(
        self, tracking: Tracking, e: Any, kind: RulingKind, status: RulingStatus, **extra: Any
    ) -> None:
        row = ROWS.first_row(
            e,
            tracking,
            kind=kind.value,
            unit_code=e.subject["unit_code"],
            status=status.value,
            finding_ids=list(e.finding_ids),
            **extra,
        )
        self.view.insert_row(tracking, "rulings", row, ROWS.types, "(id) DO NOTHING")

    @handles(AccountabilityRuling.Proposed)
    def proposed(self, e: AccountabilityRuling.Proposed, tracking: Tracking) -> None:
        self.insert(tracking, e, RulingKind.ACCOUNTABILITY, RulingStatus.PROPOSED, form=e.form)

    @handles(ToleranceRuling.Applied)
    def applied(self, e: ToleranceRuling.Applied, tracking: Tracking) -> None:
        self.insert(
            tracking,
            e,
            RulingKind.FAULT_TOLERANCE,
            RulingStatus.APPLIED,
            criteria=list(e.criteria_claimed),
        )

    def update(self, tracking: Tracking, e: Any, **changes: Any) -> None:
        self.view.update_aggregate(tracking, "rulings", e, changes)

    @handles(Ruling.Verified)
    def verified(self, e: Ruling.Verified, tracking: Tracking) -> None:
        self.update(tracking, e, status=RulingStatus.VERIFIED.value)

    @handles(AccountabilityRuling.Decided)
    def accountability_decided(self, e: AccountabilityRuling.Decided, tracking: Tracking) -> None:
        self.update(
            tracking, e, status=RulingStatus.DECIDED.value, form=e.form, decided_on=e.decided_on
        )

    @handles(ToleranceRuling.Decided)
    def tolerance_decided(self, e: ToleranceRuling.Decided, tracking: Tracking) -> None:
        self.update(
            tracking,
            e,
            status=RulingStatus.DECIDED.value,
            outcome=e.outcome,
            criteria=list(e.criteria_met),
            decided_on=e.decided_on,
        )

    @handles(Ruling.Appealed)
    def appealed(self, e: Ruling.Appealed, tracking: Tracking) -> None:
        self.update(tracking, e, status=RulingStatus.APPEALED.value)

    @handles(AccountabilityRuling.AppealDecided)
    def accountability_appeal(
        self, e: AccountabilityRuling.AppealDecided, tracking: Tracking
    ) -> None:
        changes: dict[str, Any] = {"status": after_appeal(e.result), "appeal_result": e.result}
        if e.form is not None:
            changes["form"] = e.form
        self.update(tracking, e, **changes)

    @handles(ToleranceRuling.AppealDecided)
    def tolerance_appeal(self, e: ToleranceRuling.AppealDecided, tracking: Tracking) -> None:
        changes: dict[str, Any] = {"status": after_appeal(e.result), "appeal_result": e.result}
        if e.outcome is not None:
            changes.update(outcome=e.outcome, criteria=list(e.criteria_met or []))
        self.update(tracking, e, **changes)

    @handles(Ruling.Published)
    def published(self, e: Ruling.Published, tracking: Tracking) -> None:
        self.update(tracking, e, status=RulingStatus.PUBLISHED.value)


def after_appeal(result: str) -> str:
    revoked = result == AppealResult.REVOKED
    return (RulingStatus.REVOKED if revoked else RulingStatus.APPEAL_DECIDED).value
