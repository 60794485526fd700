"""Finding (督查发现问题): raised, rectification ordered and reported, verified, closed (销号)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import Aggregate
from domain.clock import business_day
from domain.errors import AlreadyExists, InvalidDeadline, InvalidTransition, InvalidValue
from domain.vocabulary import (
    ExtensionDecision,
    ExtensionReview,
    FindingCategory,
    FindingSource,
    FindingStatus,
    ReminderKind,
    Severity,
    VerificationOutcome,
)

S = FindingStatus
E = TypeVar("E", bound=Enum)
OPEN_STATUSES = frozenset({S.RAISED, S.RECTIFYING, S.REPORTED})
AMENDABLE_FIELDS = frozenset(
    {"title", "description", "category", "severity", "source", "found_on", "evidence", "origin"}
)
# 立项: what a finding from a leader's instruction or a meeting's decision names, and the
# day in it (on or before the day the finding was raised).
ORIGINS = {
    FindingSource.LEADER_INSTRUCTION: ("leader", "instructed_on"),
    FindingSource.MEETING_DECISION: ("meeting", "held_on"),
}


# An `@event` method given `timestamp` receives its event's (the library passes the event's
# attributes the method names); the command that triggers the event never passes one.
When = datetime | None


def ordered_day(timestamp: When) -> date:
    """The business day of an order's event."""
    assert timestamp is not None, "applied from an event"
    return business_day(timestamp)


def checked_origin(source: str, origin: Any, found_on: date) -> dict[str, str] | None:
    """立项: a finding from 领导批示 names the leader and the day of the instruction, one from
    会议议定 the meeting and its day, each on or before `found_on`; any other source names
    none. The origin as the event keeps it (texts, the day in ISO form)."""
    named = ORIGINS.get(parse(FindingSource, source, "source"))
    if named is None:
        if origin:
            raise InvalidValue(
                f"a finding from {source!r} names no origin", details={"origin": origin}
            )
        return None
    what, when = named
    label = FindingSource(source).label
    if not isinstance(origin, dict) or set(origin) != {what, when}:
        raise InvalidValue(
            f"a finding from {label} names its origin: {what} and {when}",
            details={"origin": f"{what}, {when}"},
        )
    text = str(origin[what]).strip()
    try:
        day = origin[when] if isinstance(origin[when], date) else date.fromisoformat(origin[when])
    except (TypeError, ValueError):
        raise InvalidValue(f"{when} is not a day", details={"origin": when}) from None
    if not text or len(text) > 200:
        raise InvalidValue(f"{what} is 1–200 characters", details={"origin": what})
    if day > found_on:
        raise InvalidValue(
            f"{when} {day} is after the finding was raised ({found_on})",
            details={"origin": when},
        )
    return {what: text, when: day.isoformat()}


def parse(enum: type[E], value: Any, field: str) -> E:
    """A code of one of the vocabulary's enumerations, or a domain error naming the field."""
    try:
        return enum(value)
    except ValueError:
        raise InvalidValue(f"{value!r} is not a valid {field}") from None


class Finding(Aggregate):
    """A problem found by supervision, carried through rectification to closure."""

    class Raised(Aggregate.Created):
        """发现问题. v2 adds `origin`: who instructed it and when (领导批示), or the meeting
        that decided it and when (会议议定); None for every other source."""

        class_version = 2

        unit_code: str
        title: str
        description: str
        category: str
        severity: str
        source: str
        found_on: date
        work_item_id: UUID | None
        evidence: list[dict[str, Any]]
        actor: dict[str, Any]
        origin: dict[str, str] | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["origin"] = None

    class RectificationOrdered(Aggregate.Event):
        deadline: date
        requirements: str
        actor: dict[str, Any]

    class RectificationReported(Aggregate.Event):
        summary: str
        evidence: list[dict[str, Any]]
        actor: dict[str, Any]

    class Verified(Aggregate.Event):
        outcome: str
        comment: str
        new_deadline: date | None
        verified_on: date
        actor: dict[str, Any]

    class DeadlineExtended(Aggregate.Event):
        new_deadline: date
        reason: str
        actor: dict[str, Any]

    class Escalated(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    class Amended(Aggregate.Event):
        changes: dict[str, Any]
        reason: str
        actor: dict[str, Any]

    class Withdrawn(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    class Reopened(Aggregate.Event):
        reason: str
        new_deadline: date | None
        actor: dict[str, Any]

    class OrderAcknowledged(Aggregate.Event):
        note: str | None
        actor: dict[str, Any]

    class OrderDisputed(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    class DisputeRejected(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

    class Reassigned(Aggregate.Event):
        from_unit: str
        to_unit: str
        reason: str
        actor: dict[str, Any]

    class ProgressReported(Aggregate.Event):
        note: str
        percent: int
        evidence: list[dict[str, Any]]
        actor: dict[str, Any]

    class ExtensionApplied(Aggregate.Event):
        new_deadline: date
        reason: str
        actor: dict[str, Any]

    class ExtensionReviewed(Aggregate.Event):
        outcome: str
        comment: str
        actor: dict[str, Any]

    class ExtensionDecided(Aggregate.Event):
        outcome: str
        new_deadline: date | None  # the deadline now, when approved
        reason: str
        actor: dict[str, Any]

    class Reminded(Aggregate.Event):
        rule: str
        kind: str
        due_on: date
        actor: dict[str, Any]

    class InterviewHeld(Aggregate.Event):
        held_on: date
        interviewee: str
        summary: str
        actor: dict[str, Any]

    class PowerItemCited(Aggregate.Event):
        """The power of the unit's 权力清单 the finding concerns (its name as listed then)."""

        unit_code: str
        number: int
        name: str
        actor: dict[str, Any]

    @event(Raised)
    def __init__(
        self,
        *,
        id: UUID,
        unit_code: str,
        title: str,
        description: str,
        category: str,
        severity: str,
        source: str,
        found_on: date,
        work_item_id: UUID | None,
        evidence: list[dict[str, Any]],
        actor: dict[str, Any],
        origin: dict[str, str] | None,
    ) -> None:
        self.unit_code = unit_code
        self.origin = origin
        self.title = title
        self.description = description
        self.category = FindingCategory(category)
        self.severity = Severity(severity)
        self.source = FindingSource(source)
        self.found_on = found_on
        self.work_item_id = work_item_id
        self.evidence = list(evidence)
        self.status = S.RAISED
        self.deadline: date | None = None
        self.requirements: str | None = None
        self.reports: list[dict[str, Any]] = []
        self.escalations = 0
        self.interviews = 0
        self.interviewed_on: date | None = None  # the day of the first 约谈
        self.closed_on: date | None = None
        self.withdrawn_reason: str | None = None
        self.reopen_count = 0
        # 签收 and 退办 of the current order: acknowledged by the unit, or disputed (the reason).
        self.acknowledged = False
        self.dispute: str | None = None
        self.dispute_rejected = False  # 退办不予认可 in this round: the unit signs, no 退办 again
        self.progress: list[dict[str, Any]] = []  # 阶段进展 of the current rectification
        # A pending 延期申请: {new_deadline, reason, stage: applied | forwarded}.
        self.extension: dict[str, Any] | None = None
        self.reminded: list[str] = []  # the reminder rules recorded (domain/reminders.py)
        # The business day the current order was given (or given anew: a reopening, a 转办).
        self.ordered_on: date | None = None
        # The business day the reminders of the current deadline start counting from: the
        # order (given anew), the day the report was sent back, the day the deadline moved
        # (domain/reminders.py: a series that fell due before it gives one reminder).
        self.reminders_from: date | None = None
        self.power_items: list[dict[str, Any]] = []  # cited powers of the 权力清单

    # -- guards ---------------------------------------------------------------------------

    def check_status(self, action: str, *allowed: FindingStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value)

    def check_deadline(self, deadline: date, found_on: date | None = None) -> None:
        """A deadline may lie in the past (late-entered ledgers) but never before found_on."""
        found_on = found_on or self.found_on
        if deadline < found_on:
            raise InvalidDeadline(
                f"the deadline {deadline.isoformat()} lies before the finding's "
                f"found_on {found_on.isoformat()}",
                details={"deadline": deadline.isoformat(), "found_on": found_on.isoformat()},
            )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def progress_percent(self) -> int:
        """How far the current rectification has come, as the unit last reported (0: not yet)."""
        return int(self.progress[-1]["percent"]) if self.progress else 0

    def is_overdue(self, today: date, due_by: date | None = None) -> bool:
        """Overdue = rectifying past the day its deadline runs to (`due_by`: a deadline on a
        day off runs to the next working day, domain/reminders.runs_to; absent: the deadline
        itself); derived at read time, never stored."""
        if self.status is not S.RECTIFYING or self.deadline is None:
            return False
        return (due_by or self.deadline) < today

    # -- commands -------------------------------------------------------------------------

    def order_rectification(
        self, *, deadline: date, requirements: str, actor: dict[str, Any]
    ) -> None:
        """下达整改: the unit must rectify by the deadline."""
        self.check_status("order rectification", S.RAISED)
        self.check_deadline(deadline)
        self._rectification_ordered(deadline=deadline, requirements=requirements, actor=actor)

    @event(RectificationOrdered)
    def _rectification_ordered(
        self, deadline: date, requirements: str, actor: dict[str, Any], timestamp: When = None
    ) -> None:
        self.status = S.RECTIFYING
        self.deadline = deadline
        self.requirements = requirements
        self.ordered_on = self.reminders_from = ordered_day(timestamp)

    def report_rectification(
        self, *, summary: str, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> None:
        """报送整改情况: the unit says what it did, with evidence; not while its 退办 awaits
        an answer (the matter may not be the unit's to rectify)."""
        self.check_status("report rectification", S.RECTIFYING)
        if self.dispute is not None:
            raise InvalidTransition(
                "report rectification: the unit's 退办 awaits an answer", self.status.value
            )
        self._rectification_reported(summary=summary, evidence=evidence, actor=actor)

    @event(RectificationReported)
    def _rectification_reported(
        self, summary: str, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> None:
        self.status = S.REPORTED
        self.reports.append({"summary": summary, "evidence": list(evidence)})
        self.extension = None  # an application still waiting lapses with the report

    def verify(
        self,
        *,
        outcome: str,
        comment: str,
        new_deadline: date | None,
        actor: dict[str, Any],
        verified_on: date | None = None,
    ) -> None:
        """整改验收: accepted closes the finding (销号); rejected sends it back to rectifying.
        `verified_on`: the business date, today's unless given."""
        self.check_status("verify rectification", S.REPORTED)
        result = parse(VerificationOutcome, outcome, "outcome")
        if result is VerificationOutcome.ACCEPTED and new_deadline is not None:
            raise InvalidValue("an accepted verification takes no new deadline")
        if new_deadline is not None:
            self.check_deadline(new_deadline)
        self._verified(
            outcome=result.value,
            comment=comment,
            new_deadline=new_deadline,
            verified_on=verified_on or clock.today(),
            actor=actor,
        )

    @event(Verified)
    def _verified(
        self,
        outcome: str,
        comment: str,
        new_deadline: date | None,
        verified_on: date,
        actor: dict[str, Any],
    ) -> None:
        if outcome == VerificationOutcome.ACCEPTED:
            self.status = S.CLOSED
            self.closed_on = verified_on
        else:
            self.status = S.RECTIFYING
            self.reminders_from = verified_on  # sent back: reminded again from that day
            if new_deadline is not None:
                self.deadline = new_deadline

    def extend_deadline(self, *, new_deadline: date, reason: str, actor: dict[str, Any]) -> None:
        """延期: only forward, and only while rectification is under way."""
        self.check_status("extend the deadline", S.RECTIFYING, S.REPORTED)
        self.check_deadline(new_deadline)
        if self.deadline is not None and new_deadline <= self.deadline:
            raise InvalidDeadline(
                f"the new deadline {new_deadline.isoformat()} does not extend the current "
                f"deadline {self.deadline.isoformat()}",
                details={"deadline": self.deadline.isoformat()},
            )
        self._deadline_extended(new_deadline=new_deadline, reason=reason, actor=actor)

    @event(DeadlineExtended)
    def _deadline_extended(
        self, new_deadline: date, reason: str, actor: dict[str, Any], timestamp: When = None
    ) -> None:
        self.deadline = new_deadline
        self.reminders_from = ordered_day(timestamp)

    def escalate(self, *, reason: str, actor: dict[str, Any]) -> None:
        """提级督办: the finding is raised to a higher level of supervision."""
        self.check_status("escalate", *OPEN_STATUSES)
        self._escalated(reason=reason, actor=actor)

    @event(Escalated)
    def _escalated(self, reason: str, actor: dict[str, Any]) -> None:
        self.escalations += 1

    # -- 签收, 退办, 转办: the unit's answer to an order ------------------------------------

    def check_order_open(self, action: str) -> None:
        """An order the unit has neither signed for nor disputed (退办 waits for an answer)."""
        self.check_status(action, S.RECTIFYING)
        if self.acknowledged:
            raise InvalidTransition(
                f"{action}: the order is already acknowledged", self.status.value
            )
        if self.dispute is not None:
            raise InvalidTransition(f"{action}: the order is disputed", self.status.value)

    def acknowledge_order(self, *, note: str | None, actor: dict[str, Any]) -> None:
        """签收: the responsible unit signs for the rectification order."""
        self.check_order_open("acknowledge the order")
        self._order_acknowledged(note=note, actor=actor)

    @event(OrderAcknowledged)
    def _order_acknowledged(self, note: str | None, actor: dict[str, Any]) -> None:
        self.acknowledged = True

    def dispute_order(self, *, reason: str, actor: dict[str, Any]) -> None:
        """退办: the unit says the matter is not theirs, before signing for it; once per
        round: after 退办不予认可 the order stands and the unit signs for it."""
        self.check_order_open("dispute the order")
        if self.dispute_rejected:
            raise InvalidTransition(
                "dispute the order: a dispute of this order was rejected, the unit signs for it",
                self.status.value,
            )
        self._order_disputed(reason=reason, actor=actor)

    @event(OrderDisputed)
    def _order_disputed(self, reason: str, actor: dict[str, Any]) -> None:
        self.dispute = reason

    def check_disputed(self, action: str) -> None:
        self.check_status(action, S.RECTIFYING)
        if self.dispute is None:
            raise InvalidTransition(f"{action}: no dispute awaits an answer", self.status.value)

    def reject_dispute(self, *, reason: str, actor: dict[str, Any]) -> None:
        """退办不予认可: the order stands and the unit must sign for it."""
        self.check_disputed("reject the dispute")
        self._dispute_rejected(reason=reason, actor=actor)

    @event(DisputeRejected)
    def _dispute_rejected(self, reason: str, actor: dict[str, Any]) -> None:
        self.dispute = None
        self.dispute_rejected = True

    def reassign(self, *, to_unit: str, reason: str, actor: dict[str, Any]) -> None:
        """转办: a disputed matter goes to another unit, which must sign for the order."""
        self.check_disputed("reassign the finding")
        if to_unit == self.unit_code:
            raise InvalidValue(
                f"the finding already lies with unit {to_unit!r}", details={"to_unit": to_unit}
            )
        self._reassigned(from_unit=self.unit_code, to_unit=to_unit, reason=reason, actor=actor)

    @event(Reassigned)
    def _reassigned(
        self,
        from_unit: str,
        to_unit: str,
        reason: str,
        actor: dict[str, Any],
        timestamp: When = None,
    ) -> None:
        self.unit_code = to_unit
        self._round_ended()  # the unit that disputed or applied no longer has the matter
        self.acknowledged = False
        # the order, given anew to the new unit
        self.ordered_on = self.reminders_from = ordered_day(timestamp)
        self.progress = []

    def _round_ended(self) -> None:
        """What waits for an answer in a round of rectification (a 退办, an application for
        more time) ends with the round: a 转办, a withdrawal, a reopening (an event's body)."""
        self.dispute = None
        self.dispute_rejected = False
        self.extension = None

    def transfer(self, *, to_unit: str, reason: str, actor: dict[str, Any]) -> None:
        """机构调整转隶: an open finding of a unit that was split goes to the unit that takes
        over its duties, which signs for the order anew (as on a 转办)."""
        self.check_status("transfer the finding", S.RAISED, S.RECTIFYING, S.REPORTED)
        if to_unit == self.unit_code:
            raise InvalidValue(f"the finding already lies with unit {to_unit!r}")
        self._reassigned(from_unit=self.unit_code, to_unit=to_unit, reason=reason, actor=actor)

    def report_progress(
        self, *, note: str, percent: int, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> None:
        """阶段进展: how far the rectification has come, between the order and the report."""
        self.check_status("report progress", S.RECTIFYING)
        if not 0 <= percent <= 100:
            raise InvalidValue(
                f"percent {percent} lies outside 0–100", details={"percent": percent}
            )
        self._progress_reported(note=note, percent=percent, evidence=evidence, actor=actor)

    @event(ProgressReported)
    def _progress_reported(
        self, note: str, percent: int, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> None:
        self.progress.append({"note": note, "percent": percent, "evidence": list(evidence)})

    # -- 延期申请: the unit applies, the inspector reviews, a supervisor decides -------------

    def apply_for_extension(
        self,
        *,
        new_deadline: date,
        reason: str,
        actor: dict[str, Any],
        runs_to: Callable[[date], date] | None = None,
    ) -> None:
        """延期申请: before the deadline has passed, a later one with reasons; one at a time.
        `runs_to`: the day a deadline runs to by the service's working-day calendar (a
        deadline on a day off runs to the next working day, as its overdue does)."""
        self.check_status("apply for an extension", S.RECTIFYING)
        if self.extension is not None:
            raise InvalidTransition(
                "apply for an extension: one awaits a decision", self.status.value
            )
        assert self.deadline is not None  # an order gave one
        today = clock.today()
        last = runs_to(self.deadline) if runs_to is not None else self.deadline
        if today > last or new_deadline <= self.deadline:
            raise InvalidValue(
                f"an extension is asked for before the deadline {self.deadline.isoformat()} "
                f"and moves it later, not to {new_deadline.isoformat()} on {today.isoformat()}",
                details={
                    "deadline": self.deadline.isoformat(),
                    "new_deadline": new_deadline.isoformat(),
                },
            )
        self._extension_applied(new_deadline=new_deadline, reason=reason, actor=actor)

    @event(ExtensionApplied)
    def _extension_applied(self, new_deadline: date, reason: str, actor: dict[str, Any]) -> None:
        self.extension = {"new_deadline": new_deadline, "reason": reason, "stage": "applied"}

    def check_extension(self, action: str, stage: str) -> None:
        self.check_status(action, S.RECTIFYING)
        if self.extension is None or self.extension["stage"] != stage:
            raise InvalidTransition(f"{action}: no application awaits it", self.status.value)

    def review_extension(self, *, outcome: str, comment: str, actor: dict[str, Any]) -> None:
        """延期申请初审: the inspector forwards it to a supervisor, or refuses it."""
        parse(ExtensionReview, outcome, "outcome")
        self.check_extension("review the extension", "applied")
        self._extension_reviewed(outcome=outcome, comment=comment, actor=actor)

    @event(ExtensionReviewed)
    def _extension_reviewed(self, outcome: str, comment: str, actor: dict[str, Any]) -> None:
        if self.extension is None:
            # Logs from before applications lapsed with their round hold reviews of one a
            # report, a 转办, a reopening or a withdrawal has since ended: it stays ended.
            return
        if outcome == ExtensionReview.FORWARDED.value:
            self.extension["stage"] = "forwarded"
        else:
            self.extension = None

    def decide_extension(self, *, outcome: str, reason: str, actor: dict[str, Any]) -> None:
        """延期申请审批: a supervisor approves (the deadline moves) or rejects it. An approval
        moves the deadline later only: one the deadline has passed since it was asked for
        (the inspector extended it meanwhile) is refused, and may be rejected."""
        parse(ExtensionDecision, outcome, "outcome")
        self.check_extension("decide the extension", "forwarded")
        assert self.extension is not None and self.deadline is not None
        approved = outcome == ExtensionDecision.APPROVED.value
        new_deadline = self.extension["new_deadline"] if approved else None
        if new_deadline is not None and new_deadline <= self.deadline:
            raise InvalidTransition(
                f"approve an extension to {new_deadline.isoformat()}, no later than the "
                f"deadline now ({self.deadline.isoformat()})",
                self.status.value,
            )
        self._extension_decided(
            outcome=outcome, new_deadline=new_deadline, reason=reason, actor=actor
        )

    @event(ExtensionDecided)
    def _extension_decided(
        self,
        outcome: str,
        new_deadline: date | None,
        reason: str,
        actor: dict[str, Any],
        timestamp: When = None,
    ) -> None:
        if new_deadline is not None:
            self.deadline = new_deadline
            self.reminders_from = ordered_day(timestamp)
        self.extension = None

    def remind(self, *, rule: str, kind: str, due_on: date, actor: dict[str, Any]) -> None:
        """督办提醒 / 催办: a reminder rule fired for the rectifying finding, recorded once."""
        self.check_status("remind", S.RECTIFYING)
        parse(ReminderKind, kind, "kind")
        if rule in self.reminded:
            raise InvalidTransition(f"remind: rule {rule!r} is already recorded", self.status.value)
        self._reminded(rule=rule, kind=kind, due_on=due_on, actor=actor)

    @event(Reminded)
    def _reminded(self, rule: str, kind: str, due_on: date, actor: dict[str, Any]) -> None:
        self.reminded.append(rule)

    def hold_interview(
        self, *, held_on: date, interviewee: str, summary: str, actor: dict[str, Any]
    ) -> None:
        """约谈: the unit's head is called in over an open finding; recorded once held (on or
        after the day it was found, not later than today)."""
        self.check_status("hold an interview on", *OPEN_STATUSES)
        if not self.found_on <= held_on <= clock.today():
            raise InvalidValue(
                f"an interview is recorded once held, between the finding's found_on "
                f"{self.found_on.isoformat()} and today, not on {held_on.isoformat()}",
                details={"held_on": held_on.isoformat(), "found_on": self.found_on.isoformat()},
            )
        self._interview_held(held_on=held_on, interviewee=interviewee, summary=summary, actor=actor)

    @event(InterviewHeld)
    def _interview_held(
        self, held_on: date, interviewee: str, summary: str, actor: dict[str, Any]
    ) -> None:
        self.interviews += 1
        if self.interviewed_on is None or held_on < self.interviewed_on:
            self.interviewed_on = held_on

    def cite_power_item(
        self, *, unit_code: str, number: int, name: str, actor: dict[str, Any]
    ) -> None:
        """引用权力事项: a power in force of the unit's 权力清单, once; not on a withdrawn
        finding."""
        self.check_status("cite a power on", S.RAISED, S.RECTIFYING, S.REPORTED, S.CLOSED)
        if any(c["unit_code"] == unit_code and c["number"] == number for c in self.power_items):
            raise AlreadyExists(f"the finding already cites power {number} of {unit_code!r}")
        self._power_item_cited(unit_code=unit_code, number=number, name=name, actor=actor)

    @event(PowerItemCited)
    def _power_item_cited(
        self, unit_code: str, number: int, name: str, actor: dict[str, Any]
    ) -> None:
        self.power_items.append({"unit_code": unit_code, "number": number, "name": name})

    def amend(self, *, changes: dict[str, Any], reason: str, actor: dict[str, Any]) -> None:
        """更正: field corrections with a reason; history keeps what was there before."""
        self.check_status("amend", S.RAISED, S.RECTIFYING, S.REPORTED, S.CLOSED)
        self._amended(changes=self.checked_changes(changes), reason=reason, actor=actor)

    def checked_changes(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The changes to record (an origin as the event keeps it), or a domain error."""
        if not changes:
            raise InvalidValue("an amendment must change at least one field")
        unknown = set(changes) - AMENDABLE_FIELDS
        if unknown:
            raise InvalidValue(f"these fields cannot be amended: {sorted(unknown)}")
        for name, enum in (
            ("category", FindingCategory),
            ("severity", Severity),
            ("source", FindingSource),
        ):
            if name in changes:
                parse(enum, changes[name], name)
        if "found_on" in changes:
            self.check_found_on(changes["found_on"])
        if "found_on" in changes and self.deadline is not None:
            self.check_deadline(self.deadline, found_on=changes["found_on"])
        if {"source", "origin", "found_on"} & set(changes):
            source = changes.get("source", self.source.value)
            origin = checked_origin(
                source,
                changes["origin"] if "origin" in changes else self.kept_origin(source),
                changes.get("found_on", self.found_on),
            )
            # The event names the origin it leaves: the one given, or none where the new
            # source names none and the finding had one (replayed, it clears it).
            if "origin" in changes or origin != self.origin:
                return changes | {"origin": origin}
        return changes

    def kept_origin(self, source: str) -> dict[str, str] | None:
        """The origin of an amendment that names none, its source being `source`: the finding's
        own while the source names one (checked_origin refuses it where it is not that
        source's: a source changed to 领导批示 or 会议议定 is given its origin with it), none
        where the source names none (更正 to another source clears the origin)."""
        return self.origin if FindingSource(source) in ORIGINS else None

    def check_found_on(self, found_on: date) -> None:
        """A corrected 发现日期 lies on or before today, and not after the first 约谈."""
        clock.check_done_by_today(found_on, "found_on")
        held_on = self.interviewed_on
        if held_on is not None and found_on > held_on:
            raise InvalidValue(
                f"found_on {found_on} is after the interview held on {held_on}",
                details={"found_on": found_on.isoformat(), "held_on": held_on.isoformat()},
            )

    @event(Amended)
    def _amended(self, changes: dict[str, Any], reason: str, actor: dict[str, Any]) -> None:
        converters = {"category": FindingCategory, "severity": Severity, "source": FindingSource}
        for field, value in changes.items():
            convert = converters.get(field)
            setattr(self, field, convert(value) if convert else value)

    def withdraw(self, *, reason: str, actor: dict[str, Any]) -> None:
        """撤回: a finding raised in error; terminal."""
        self.check_status("withdraw", *OPEN_STATUSES)
        self._withdrawn(reason=reason, actor=actor)

    @event(Withdrawn)
    def _withdrawn(self, reason: str, actor: dict[str, Any]) -> None:
        self.status = S.WITHDRAWN
        self.withdrawn_reason = reason
        self._round_ended()

    def reopen(self, *, reason: str, new_deadline: date | None, actor: dict[str, Any]) -> None:
        """整改回头看: a closed finding recurs and goes back to rectifying."""
        self.check_status("reopen", S.CLOSED)
        if new_deadline is not None:
            self.check_deadline(new_deadline)
        self._reopened(reason=reason, new_deadline=new_deadline, actor=actor)

    @event(Reopened)
    def _reopened(
        self, reason: str, new_deadline: date | None, actor: dict[str, Any], timestamp: When = None
    ) -> None:
        self.status = S.RECTIFYING
        self.closed_on = None
        self.reopen_count += 1
        self.acknowledged = False  # a new round of rectification: the unit signs for it again
        self._round_ended()  # nothing of the round before waits for an answer
        self.ordered_on = self.reminders_from = ordered_day(timestamp)
        self.progress = []
        if new_deadline is not None:
            self.deadline = new_deadline


# The loop's steps between an order and its report that change nothing a listing of the
# finding shows but its version (read models decide on them as one): answers to the order,
# progress, an extension asked for and reviewed, a reminder, an interview. The decision on
# an extension (it may move the deadline) and a reassignment (it moves the unit) are apart.
LOOP_STEPS: tuple[type, ...] = (
    Finding.InterviewHeld,
    Finding.OrderAcknowledged,
    Finding.OrderDisputed,
    Finding.DisputeRejected,
    Finding.ProgressReported,
    Finding.ExtensionApplied,
    Finding.ExtensionReviewed,
    Finding.Reminded,
)

# The course of a finding's rectification, from the order to the decision on an extension:
# the order, its report and verification, the deadline moved, an escalation and the loop's
# steps. Read models that show that course, or have no use for it, decide on it as one; a
# reassignment, an amendment, a withdrawal and a reopening are apart.
RECTIFICATION: tuple[type, ...] = (
    Finding.RectificationOrdered,
    Finding.RectificationReported,
    Finding.Verified,
    Finding.DeadlineExtended,
    Finding.Escalated,
    *LOOP_STEPS,
    Finding.ExtensionDecided,
)
