"""WorkItem (重点工作): listed, progress logged (执行台账), evaluated (考评), closed or cancelled;
its responsible leader (责任领导) and its milestones (节点), each with a date and a leader,
go 红/黄/蓝 as findings do.

"年初有清单、年中有督查、年末有考评、全年有台账" — the seed plan's task 9.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import Aggregate
from domain.deadlines import RunsTo, colour_of, gravest, on_the_day
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.evaluation_schemes import check_grade
from domain.findings import parse
from domain.vocabulary import Grade, WorkItemStatus

W = WorkItemStatus
OPEN = frozenset({W.LISTED, W.IN_PROGRESS})

IMPORT_NAMESPACE = uuid5(NAMESPACE_URL, "https://supervision.example/work-items/imported")


class WorkItem(Aggregate):
    """One task of a year's key-work list, with its lead unit and co-units."""

    @staticmethod
    def imported_id(year: int, lead_unit: str, title: str) -> UUID:
        """An imported task's id derives from what makes it the same task (its year, lead
        unit and title), so the same list imported twice at once lists it once: the second
        save finds the id taken."""
        return uuid5(IMPORT_NAMESPACE, f"{year}\n{lead_unit}\n{title}")

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

    class LeadTransferred(Aggregate.Event):
        """机构调整: the lead of an open item passes from a split unit to its successor."""

        from_unit: str
        to_unit: str
        co_units: list[str]  # the co-units after: the new lead is no longer one of them
        reason: str
        actor: dict[str, Any]

    class Cancelled(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    class LeaderAssigned(Aggregate.Event):
        leader: str
        actor: dict[str, Any]

    class MilestoneSet(Aggregate.Event):
        number: int
        title: str
        due_on: date
        leader: str | None
        actor: dict[str, Any]

    class MilestoneReached(Aggregate.Event):
        number: int
        reached_on: date
        note: str | None
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
        self.leader: str | None = None
        self.milestones: list[dict[str, Any]] = []

    @staticmethod
    def check_listing(year: int, lead_unit: str, co_units: list[str], due_on: date) -> None:
        """The list's own rules: the due date falls in or after its year, units differ."""
        if due_on.year < year:
            raise InvalidValue(
                f"the due date {due_on.isoformat()} lies before the year {year}",
                details={"due_on": due_on.isoformat()},
            )
        if lead_unit in co_units:
            raise InvalidValue("the lead unit cannot also be a co-unit")
        if len(set(co_units)) != len(co_units):
            raise InvalidValue("a co-unit is named twice")

    def overdue(self, today: date, runs_to: RunsTo = on_the_day) -> bool:
        """逾期: still open (listed or in progress) after the day its due date runs to (as a
        finding's deadline: `runs_to`, the next working day for one on a day off)."""
        return self.status in OPEN and today > (runs_to(self.due_on) or self.due_on)

    def deadline_colour(self, today: date, runs_to: RunsTo = on_the_day) -> str | None:
        """红/黄/蓝 as for a finding (`domain.deadlines`), while the item is open: its own (the
        time allowed runs from the day it was listed to its due date; none once reported all
        done, awaiting its evaluation) or, when graver, that of a milestone not yet reached."""
        if self.status not in OPEN:
            return None
        listed_on = clock.business_day(self.created_on)
        return item_colour(today, self.due_on, listed_on, self.percent, self.milestones, runs_to)

    def milestone_colour(
        self, milestone: dict[str, Any], today: date, runs_to: RunsTo = on_the_day
    ) -> str | None:
        """A milestone not reached while the item is open: 红 past the day its date runs to,
        黄 three days or less before it, 蓝 within two weeks."""
        if self.status not in OPEN or milestone["reached_on"] is not None:
            return None
        return colour_of(milestone["due_on"], today, due_by=runs_to(milestone["due_on"]))

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

    def transfer_lead(self, *, to_unit: str, reason: str, actor: dict[str, Any]) -> None:
        """机构调整: an open item's lead passes to the unit that takes over the split unit's
        duties (a co-unit of the item then leads it, and is no longer a co-unit)."""
        self.check_status("transfer the item", *OPEN)
        if to_unit == self.lead_unit:
            raise InvalidValue(f"unit {to_unit!r} already leads the item")
        co_units = [c for c in self.co_units if c != to_unit]
        self._lead_transferred(
            from_unit=self.lead_unit, to_unit=to_unit, co_units=co_units, reason=reason, actor=actor
        )

    @event(LeadTransferred)
    def _lead_transferred(
        self, from_unit: str, to_unit: str, co_units: list[str], reason: str, actor: dict[str, Any]
    ) -> None:
        self.lead_unit = to_unit
        self.co_units = list(co_units)

    def cancel(self, *, reason: str, actor: dict[str, Any]) -> None:
        """取消: a task dropped from the list, with its reason."""
        self.check_status("cancel", *OPEN)
        self._cancelled(reason=reason, actor=actor)

    @event(Cancelled)
    def _cancelled(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = W.CANCELLED
        self.closing_reason = reason

    def assign_leader(self, *, leader: str, actor: dict[str, Any]) -> None:
        """明确责任领导: the leader who answers for the item (again, to change them)."""
        self.check_status("assign a leader", *OPEN)
        if leader == self.leader:
            raise InvalidValue(f"{leader!r} is already the item's responsible leader")
        self._leader_assigned(leader=leader, actor=actor)

    @event(LeaderAssigned)
    def _leader_assigned(self, leader: str, actor: dict[str, Any]) -> None:
        self.leader = leader

    def set_milestone(
        self, *, title: str, due_on: date, leader: str | None, actor: dict[str, Any]
    ) -> None:
        """设定节点: a dated step of an open item, within its year and by its due date; the
        next number (from 1). `leader`: who answers for the step, if not the item's leader."""
        self.check_status("set a milestone", *OPEN)
        if due_on > self.due_on:
            raise InvalidValue(
                f"a milestone falls due by the item's due date {self.due_on.isoformat()}",
                details={"due_on": due_on.isoformat()},
            )
        if due_on.year < self.year:
            raise InvalidValue(
                f"the milestone's date {due_on.isoformat()} lies before {self.year}",
                details={"due_on": due_on.isoformat()},
            )
        number = len(self.milestones) + 1
        self._milestone_set(number=number, title=title, due_on=due_on, leader=leader, actor=actor)

    @event(MilestoneSet)
    def _milestone_set(
        self, number: int, title: str, due_on: date, leader: str | None, actor: dict[str, Any]
    ) -> None:
        self.milestones.append(
            {
                "number": number,
                "title": title,
                "due_on": due_on,
                "leader": leader,
                "reached_on": None,
                "note": None,
            }
        )

    def reach_milestone(
        self, *, number: int, reached_on: date, note: str | None, actor: dict[str, Any]
    ) -> None:
        """完成节点: once, while the item is open, on a day of its year or later, not in the
        future (a ledger kept on paper is entered later, so not bound to the day of listing)."""
        self.check_status("report a milestone reached", *OPEN)
        if not 1 <= number <= len(self.milestones):
            raise NotFound(f"the item has no milestone number {number}")
        milestone = self.milestones[number - 1]
        if milestone["reached_on"] is not None:
            raise AlreadyExists(
                f"milestone {number} was reached on {milestone['reached_on'].isoformat()}"
            )
        clock.check_done_by_today(reached_on, "reached_on")
        if reached_on.year < self.year:
            raise InvalidValue(
                f"reached_on {reached_on.isoformat()} lies before {self.year}",
                details={"reached_on": reached_on.isoformat()},
            )
        self._milestone_reached(number=number, reached_on=reached_on, note=note, actor=actor)

    @event(MilestoneReached)
    def _milestone_reached(
        self, number: int, reached_on: date, note: str | None, actor: dict[str, Any]
    ) -> None:
        self.milestones[number - 1].update(reached_on=reached_on, note=note)


def item_colour(
    today: date,
    due_on: date,
    listed_on: date,
    percent: int,
    milestones: list[dict[str, Any]],
    runs_to: RunsTo = on_the_day,
) -> str | None:
    """An open item's colour (`WorkItem.deadline_colour`, and the ledger's from its row): its
    own, none once reported all done, or a graver one of a milestone not yet reached."""
    own = None if percent >= 100 else colour_of(due_on, today, listed_on, percent, runs_to(due_on))
    waiting = [
        colour_of(m["due_on"], today, due_by=runs_to(m["due_on"]))
        for m in milestones
        if m["reached_on"] is None
    ]
    return gravest([own, *waiting])
