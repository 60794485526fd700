"""What the application asks of the read models, each brought up to the log's head first
(here, or by waiting for the process that runs it): the 名录库 a market round is drawn from
(an entity or officer listed a moment ago is in the population), and a split unit's open
records (one raised a moment ago is transferred too)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore

from domain.application import Supervision
from projections.base import ProjectionLagging
from projections.finding_board import FindingBoardView
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from projections.spot_checks import SpotCheckView
from projections.work_ledger import WorkLedgerView

log = logging.getLogger("supervision.units")

SPEC = next(spec for spec in PROJECTIONS if spec.name == "spot_checks")
RECORDS = [spec for spec in PROJECTIONS if spec.name in ("finding_board", "work_ledger")]


class CurrentDirectory:
    """domain.spot_checks.SpotCheckDirectory over the read model, current as of each call."""

    def __init__(
        self, app: Supervision, datastore: PostgresDatastore, view: SpotCheckView, timeout: float
    ) -> None:
        self.app, self.datastore, self.view, self.timeout = app, datastore, view, timeout

    def round_inputs(
        self, kinds: Sequence[str], industries: Sequence[str], unit_code: str, through: date
    ) -> tuple[list[str], list[UUID]]:
        catch_up(self.app, self.datastore, [SPEC], self.timeout)
        return (
            self.view.entity_codes(kinds, industries),
            self.view.officer_ids(unit_code, through),
        )

    def officer_of_number(self, number: str) -> UUID | None:
        catch_up(self.app, self.datastore, [SPEC], self.timeout)
        return self.view.officer_of_number(number)


class CurrentRecords:
    """domain.units.UnitRecords over the finding board and the ledger, current as of each
    call (a split transfers every open record the log holds when it is carried out)."""

    def __init__(
        self,
        app: Supervision,
        datastore: PostgresDatastore,
        board: FindingBoardView,
        ledger: WorkLedgerView,
        timeout: float,
    ) -> None:
        self.app, self.datastore, self.timeout = app, datastore, timeout
        self.board, self.ledger = board, ledger

    def open_records(self, unit_codes: Sequence[str]) -> tuple[list[UUID], list[UUID]]:
        catch_up(self.app, self.datastore, RECORDS, self.timeout)
        return self.board.open_ids(unit_codes), self.ledger.open_led(unit_codes)

    def open_records_if_current(
        self, unit_codes: Sequence[str]
    ) -> tuple[list[UUID], list[UUID]] | None:
        try:
            return self.open_records(unit_codes)
        except ProjectionLagging:
            log.warning("open records not current", extra={"units": list(unit_codes)})
            return None
