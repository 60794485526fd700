"""WorkItem (重点工作): listed, progress logged (执行台账), evaluated (考评), closed or cancelled.

"年初有清单、年中有督查、年末有考评、全年有台账" — the seed plan's task 9.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import Aggregate
from domain.errors import InvalidTransition, InvalidValue
from domain.evaluation_schemes import check_grade
from domain.findings import parse
from domain.vocabulary import Grade, WorkItemStatus

W = WorkItemStatus
OPEN = frozenset({W.LISTED, W.IN_PROGRESS})


class WorkItem(Aggregate):
    """One task of a year's key-work list, with its lead unit and co-units."""

    class Listed(Aggregate.Created):
        title: str
        year: int
        lead_unit: str
        co_units: list[str]
        due_on: date
        source_ref: str | None
        description: str | None
        actor: dict[str, Any]

    class ProgressLogged(Aggregate.Event):
        note: str
        percent: int
        actor: dict[str, Any]

    class Evaluated(Aggregate.Event):
        score: int
        grade: str
        comment: str
        actor: dict[str, Any]

    class Closed(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    class Cancelled(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    @event(Listed)
    def __init__(
        self,
        *,
        id: UUID,  # the library takes the aggregate id by this name
        title: str,
        year: int,
        lead_unit: str,
        co_units: list[str],
        due_on: date,
        source_ref: str | None,
        description: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.title = title
        self.year = year
        self.lead_unit = lead_unit
        self.co_units = list(co_units)
        self.due_on = due_on
        self.source_ref = source_ref
        self.description = description
        self.status = W.LISTED
        self.progress: list[dict[str, Any]] = []
        self.percent = 0
        self.evaluation: dict[str, Any] | None = None
        self.closing_reason: str | None = None

    @staticmethod
    def check_listing(year: int, lead_unit: str, co_units: list[str], due_on: date) -> None:
        """The list's own rules: the due date falls in or after its year, units differ."""
        if due_on.year < year:
            raise InvalidValue(f"the due date {due_on.isoformat()} lies before the year {year}")
        if lead_unit in co_units:
            raise InvalidValue("the lead unit cannot also be a co-unit")
        if len(set(co_units)) != len(co_units):
            raise InvalidValue("a co-unit is named twice")

    def overdue(self, today: date) -> bool:
        """逾期: still open (listed or in progress) after its due date."""
        return self.status in OPEN and today > self.due_on

    def units(self) -> set[str]:
        return {self.lead_unit, *self.co_units}

    def check_status(self, action: str, *allowed: WorkItemStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value)

    def log_progress(self, *, note: str, percent: int, actor: dict[str, Any]) -> None:
        """登记进展: a ledger entry with the share done so far (0–100)."""
        self.check_status("log progress", *OPEN)
        if not 0 <= percent <= 100:
            raise InvalidValue("percent must lie between 0 and 100")
        self._progress_logged(note=note, percent=percent, actor=actor)

    @event(ProgressLogged)
    def _progress_logged(self, note: str, percent: int, actor: dict[str, Any]) -> None:
        self.status = W.IN_PROGRESS
        self.percent = percent
        self.progress.append({"note": note, "percent": percent, "actor": actor})

    def evaluate(
        self,
        *,
        score: int,
        grade: str,
        comment: str,
        actor: dict[str, Any],
        bands: dict[str, int] | None = None,
    ) -> None:
        """年末考评: a score of 0–100 and a grade: the one the year's `bands` give the score,
        when the year has adopted bands."""
        self.check_status("evaluate", *OPEN)
        if not 0 <= score <= 100:
            raise InvalidValue("score must lie between 0 and 100")
        chosen = parse(Grade, grade, "grade")
        if bands is not None:
            check_grade(score, chosen, bands)
        self._evaluated(score=score, grade=grade, comment=comment, actor=actor)

    @event(Evaluated)
    def _evaluated(self, score: int, grade: str, comment: str, actor: dict[str, Any]) -> None:
        self.status = W.EVALUATED
        self.evaluation = {"score": score, "grade": grade, "comment": comment}

    def close(self, *, reason: str, actor: dict[str, Any]) -> None:
        """办结: after its evaluation."""
        self.check_status("close", W.EVALUATED)
        self._closed(reason=reason, actor=actor)

    @event(Closed)
    def _closed(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = W.CLOSED
        self.closing_reason = reason

    def cancel(self, *, reason: str, actor: dict[str, Any]) -> None:
        """取消: a task dropped from the list, with its reason."""
        self.check_status("cancel", *OPEN)
        self._cancelled(reason=reason, actor=actor)

    @event(Cancelled)
    def _cancelled(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = W.CANCELLED
        self.closing_reason = reason
