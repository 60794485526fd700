"""Commendation (激励, the plan's 有考评、有激励): what a unit earned, recorded beside what it
answers for — 通报表扬 and 评优评先推荐 for work done well, and 容错后正常使用, the official
a fault-tolerance ruling cleared (免责) or mitigated (从轻) being used and promoted as before.

Each rests on the record: a commendation or a recommendation may cite the unit's work items
that were evaluated 优秀 or 良好; 容错后正常使用 cites its fault-tolerance ruling, finally decided
免责 or 从轻 for a subject of that unit (the person stays sealed in the ruling, never copied
here). A commendation given in error is withdrawn with its reason; the record keeps both.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import Aggregate
from domain.errors import InvalidTransition, InvalidValue
from domain.findings import parse
from domain.vocabulary import CommendationKind

K = CommendationKind


def check_grounds(
    kind: str, decided_on: date, work_item_ids: list[UUID], ruling_id: UUID | None
) -> CommendationKind:
    """What each kind rests on: 容错后正常使用 a ruling and no work items; the others no
    ruling; a decision not in the future."""
    chosen = parse(CommendationKind, kind, "kind")
    if chosen is K.NORMAL_USE_AFTER_TOLERANCE:
        if ruling_id is None or work_item_ids:
            raise InvalidValue(f"{chosen.label} cites its fault-tolerance ruling (no work items)")
    elif ruling_id is not None:
        raise InvalidValue(f"{chosen.label} cites work items, not a ruling")
    clock.check_done_by_today(decided_on, "decided_on")
    return chosen


class Commendation(Aggregate):
    """One 激励 of a unit."""

    class Recorded(Aggregate.Created):
        kind: str
        unit_code: str
        year: int
        reason: str
        decided_on: date
        work_item_ids: list[UUID]
        ruling_id: UUID | None
        actor: dict[str, Any]

    class Withdrawn(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Recorded)
    def __init__(
        self,
        *,
        id: UUID,  # the library takes the aggregate id by this name
        kind: str,
        unit_code: str,
        year: int,
        reason: str,
        decided_on: date,
        work_item_ids: list[UUID],
        ruling_id: UUID | None,
        actor: dict[str, Any],
    ) -> None:
        self.kind = CommendationKind(kind)
        self.unit_code = unit_code
        self.year = year
        self.reason = reason
        self.decided_on = decided_on
        self.work_item_ids = list(work_item_ids)
        self.ruling_id = ruling_id
        self.withdrawn: str | None = None

    def withdraw(self, *, reason: str, actor: dict[str, Any]) -> None:
        """撤销激励: once; the record keeps the commendation and why it was withdrawn."""
        if self.withdrawn is not None:
            raise InvalidTransition("withdraw", "withdrawn")
        self._withdrawn(reason=reason, actor=actor)

    @event(Withdrawn)
    def _withdrawn(self, reason: str, actor: dict[str, Any]) -> None:
        self.withdrawn = reason
