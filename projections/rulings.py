"""Rulings list: every accountability and fault-tolerance ruling with its current state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Literal

from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling, after_appeal
from domain.vocabulary import AppealResult, RulingKind, RulingStatus
from projections.base import (
    AggregateTable,
    AggregateView,
    ReadModel,
    handles,
    other_aggregates,
    stamped,
)
from projections.paging import Page, holds, in_units, where_equal

RULINGS = AggregateTable(
    "rulings",
    "kind text NOT NULL, unit_code text NOT NULL, status text NOT NULL, form text, "
    "outcome text, criteria text[] NOT NULL DEFAULT '{}', finding_ids uuid[] NOT NULL, "
    "decided_on date, appeal_result text, published boolean NOT NULL DEFAULT false",
    first_position="position",
    first_at="created_at",
    copied="finding_ids",
    indexes={
        "unit": "(unit_code, position)",
        "findings": "USING gin (finding_ids)",
        # Scorecards: the rulings decided in a year.
        "decided": "(decided_on)",
    },
)


@dataclass(frozen=True)
class RulingFilter:
    kind: str | None = None
    unit_codes: tuple[str, ...] = ()
    status: str | None = None
    finding_id: Any = None


class RulingsView(AggregateView):
    rows = RULINGS
    # 2: a ruling published before its appeal stays published once the appeal is decided
    schema_version = 2

    def appeal_decided(self, tracking: Tracking, e: Any, **changes: Any) -> None:
        """The appeal's result and what it changed; the status it leaves: revoked, or
        published when the ruling was published before its appeal, else appeal decided."""
        changes = stamped(e, {**changes, "appeal_result": e.result})
        if e.result == AppealResult.REVOKED:
            self.update_aggregate(
                RULINGS, tracking, e, status=RulingStatus.REVOKED.value, **changes
            )
            return
        if (fill := self._fill) is not None:
            row = fill.rows.get(e.originator_id)
            published = row is not None and bool(row["published"])
            status = after_appeal(e.result, published).value
            fill.update(e.originator_id, {**changes, "status": status})
            return
        status_sql = SQL("CASE WHEN published THEN {} ELSE {} END").format(
            Literal(RulingStatus.PUBLISHED.value), Literal(RulingStatus.APPEAL_DECIDED.value)
        )
        self.update_row(
            tracking, RULINGS.name, e.originator_id, changes, computed={"status": status_sql}
        )

    def page(self, f: RulingFilter, limit: int, cursor: str | None) -> Page:
        where, params = where_equal(f, ("kind", "status"))
        where += in_units(f.unit_codes, params)
        if f.finding_id is not None:
            where.append(holds("finding_ids", "finding", f.finding_id, params))
        return self.keyset_page(RULINGS.name, where, params, "position", limit, cursor)


class Rulings(ReadModel[RulingsView]):
    """One row per ruling; no personal data (the subject person stays in the event log)."""

    name = "rulings"
    ignores = other_aggregates(Ruling)

    def insert(
        self, tracking: Tracking, e: Any, kind: RulingKind, status: RulingStatus, **extra: Any
    ) -> None:
        unit_code = e.subject["unit_code"]
        self.view.insert_first(
            tracking, e, kind=kind.value, unit_code=unit_code, status=status.value, **extra
        )

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

    @handles(Ruling.Verified)
    def verified(self, e: Ruling.Verified, tracking: Tracking) -> None:
        self.view.update(tracking, e, status=RulingStatus.VERIFIED.value)

    @handles(AccountabilityRuling.Decided)
    def accountability_decided(self, e: AccountabilityRuling.Decided, tracking: Tracking) -> None:
        self.view.update(tracking, e, "form decided_on", status=RulingStatus.DECIDED.value)

    @handles(ToleranceRuling.Decided)
    def tolerance_decided(self, e: ToleranceRuling.Decided, tracking: Tracking) -> None:
        decided = RulingStatus.DECIDED.value
        criteria = list(e.criteria_met)
        self.view.update(tracking, e, "outcome decided_on", status=decided, criteria=criteria)

    @handles(
        AccountabilityRuling.StatementRecorded,
        Ruling.Served,
        Ruling.Paired,
        Ruling.PartnerDecided,
    )
    def heard_or_served(self, e: Any, tracking: Tracking) -> None:
        """陈述申辩, 送达 and a pairing change nothing listed but the ruling's version and
        time."""
        self.view.update(tracking, e)

    @handles(AccountabilityRuling.Closed)
    def closed(self, e: AccountabilityRuling.Closed, tracking: Tracking) -> None:
        self.view.update(tracking, e, status=RulingStatus.CLOSED.value)

    @handles(Ruling.Appealed)
    def appealed(self, e: Ruling.Appealed, tracking: Tracking) -> None:
        self.view.update(tracking, e, status=RulingStatus.APPEALED.value)

    @handles(AccountabilityRuling.AppealDecided)
    def accountability_appeal(
        self, e: AccountabilityRuling.AppealDecided, tracking: Tracking
    ) -> None:
        changes: dict[str, Any] = {} if e.form is None else {"form": e.form}
        self.view.appeal_decided(tracking, e, **changes)

    @handles(ToleranceRuling.AppealDecided)
    def tolerance_appeal(self, e: ToleranceRuling.AppealDecided, tracking: Tracking) -> None:
        changes: dict[str, Any] = {}
        if e.outcome is not None:
            changes.update(outcome=e.outcome, criteria=list(e.criteria_met or []))
        self.view.appeal_decided(tracking, e, **changes)

    @handles(Ruling.Published)
    def published(self, e: Ruling.Published, tracking: Tracking) -> None:
        self.view.update(tracking, e, status=RulingStatus.PUBLISHED.value, published=True)
