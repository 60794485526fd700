"""The 名录库 a market round is drawn from, as the application asks for it: the spot-check
read model brought up to the log's head first (here, or by waiting for the process that
runs it), so an entity or officer listed a moment ago is in the population."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore

from domain.application import Supervision
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from projections.spot_checks import SpotCheckView

SPEC = next(spec for spec in PROJECTIONS if spec.name == "spot_checks")


class CurrentDirectory:
    """domain.spot_checks.SpotCheckDirectory over the read model, current as of each call."""

    def __init__(
        self, app: Supervision, datastore: PostgresDatastore, view: SpotCheckView, timeout: float
    ) -> None:
        self.app, self.datastore, self.view, self.timeout = app, datastore, view, timeout

    def current(self) -> SpotCheckView:
        catch_up(self.app, self.datastore, [SPEC], self.timeout)
        return self.view

    def entity_codes(self, kinds: Sequence[str], industries: Sequence[str]) -> list[str]:
        return self.current().entity_codes(kinds, industries)

    def officer_ids(self, unit_code: str, through: date) -> list[UUID]:
        return self.current().officer_ids(unit_code, through)
