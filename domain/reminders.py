"""Reminders and 催办 (issue 15 item 5): which the rules demand of a rectifying finding on a day.

Each reminder is named by its rule and the day it counts from (`near@2026-03-01`,
`overdue:2@2026-03-01`, `acknowledge@2026-02-10`): a finding records a rule once
(`Finding.remind` refuses it again), so whoever runs the rules, however often, and however
many run at once, every reminder is recorded exactly once, and "were they told?" is answered
by the log; a deadline moved by an approved extension, or an order given anew (a reopening,
a 转办), starts its own reminders. Days are working days in mainland China (the State
Council's holidays and 调休 make-up days: infra/workdays.py), counted by a `Calendar`.

- 签收催办 (`acknowledge`): the order is not signed for within `acknowledge_within` working
  days of the day it was given, nor disputed (a 退办 waits for the inspector's answer, and
  the order cannot be signed for meanwhile);
- 临近提醒 (`near`): `near_before[severity]` working days before the deadline, unless the
  deadline has been reached by the day the rules run (a late run does not announce it);
- 到期催办 (`due`): on the day the deadline runs to (`runs_to`: a deadline on a day off
  runs to the next working day);
- 逾期催办 (`overdue:k`): every `overdue_every` working days after it, the k-th;
- 提级督办提醒 (`escalation`): once `escalate_after` 催办 have been recorded (a 签收催办 counts
  although the order was signed for afterwards).

Nothing is due on a day before the order was given. A series that fell due before its first
day (`Facts.since`: the order, given anew, or the day a report was sent back or the deadline
moved), as a deadline already past when the order is given does, gives no backlog: of its
到期 and 逾期催办 falling due by that day, only the latest is due, on that day (a 到期催办
keeps the day its deadline ran to, which its message names as passed: 已届满); the others
are never sent, and 提级 counts the 催办 that are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from domain.vocabulary import ReminderKind


class Calendar(Protocol):
    def add(self, day: date, count: int) -> date: ...

    def between(self, start: date, end: date) -> int: ...


@dataclass(frozen=True)
class Policy:
    """The reminder rules' numbers (working days), configurable per deployment."""

    acknowledge_within: int = 2
    near_before: dict[str, int] = field(
        default_factory=lambda: {"serious": 5, "major": 3, "minor": 2}
    )
    overdue_every: int = 3
    escalate_after: int = 3


@dataclass(frozen=True)
class Due:
    """A reminder the rules demand: its rule, its kind and the day it fell due."""

    rule: str
    kind: ReminderKind
    due_on: date


@dataclass(frozen=True)
class Facts:
    """What the rules read of a rectifying finding."""

    ordered_on: date
    deadline: date
    severity: str
    acknowledged: bool
    sent: frozenset[str]  # the rules already recorded
    disputed: bool = False  # a 退办 waits for the inspector's answer
    # The day the deadline runs to, where the caller knows it better than the calendar (the
    # finding board's, which keeps a deadline in a year with no published calendar as is).
    runs_to: date | None = None
    # The first day of the current deadline's reminders, where later than the order: the day
    # a report was sent back (验收退回) or the deadline moved.
    since: date | None = None


CHASES = (ReminderKind.ACKNOWLEDGE, ReminderKind.DUE, ReminderKind.OVERDUE)


def runs_to(deadline: date, calendar: Calendar) -> date:
    """The day a deadline runs to: itself, or, when it falls on a day off (a weekend or a
    public holiday that is not a 调休 working day), the first working day after it (as time
    limits run in Chinese law: 期限届满日为法定节假日的，以节假日后的第一个工作日为期限届满日).
    A finding is overdue from the day after."""
    return calendar.add(deadline - timedelta(days=1), 1)


def due_reminders(facts: Facts, today: date, calendar: Calendar, policy: Policy) -> list[Due]:
    """The reminders due by `today` that the finding has not recorded, oldest first."""
    since = max(facts.ordered_on, facts.since or facts.ordered_on)
    if today < since:
        return []
    wanted: list[Due] = []
    to = f"@{facts.deadline.isoformat()}"
    unsigned = Due(
        f"acknowledge@{facts.ordered_on}",
        ReminderKind.ACKNOWLEDGE,
        calendar.add(facts.ordered_on, policy.acknowledge_within),
    )
    # Still to send while the order waits to be signed; once sent, it counts towards 提级.
    if not (facts.acknowledged or facts.disputed) or unsigned.rule in facts.sent:
        wanted.append(unsigned)
    # 到期 on the day the deadline runs to
    end = facts.runs_to or runs_to(facts.deadline, calendar)
    near = calendar.add(facts.deadline, -policy.near_before.get(facts.severity, 3))
    # Not on day one for a deadline given at short notice, nor once the deadline is reached.
    if near > since and (today < end or "near" + to in facts.sent):
        wanted.append(Due("near" + to, ReminderKind.NEAR, near))
    chases = [Due("due" + to, ReminderKind.DUE, end)]
    late = calendar.between(end, today)
    for k in range(1, late // policy.overdue_every + 1):
        day = calendar.add(end, k * policy.overdue_every)
        chases.append(Due(f"overdue:{k}{to}", ReminderKind.OVERDUE, day))
    # A series that fell due before its first day: only the latest by then, on that day (the
    # others recorded before still count towards 提级).
    backlog = [d for d in chases if d.due_on <= since]
    if backlog:
        last = backlog[-1]
        if last.kind is ReminderKind.OVERDUE:
            last = Due(last.rule, last.kind, since)
        told = [d for d in backlog[:-1] if d.rule in facts.sent]
        chases = [*told, last, *chases[len(backlog) :]]
    wanted.extend(chases)
    wanted = [d for d in wanted if d.due_on <= today]
    chased = sorted(d.due_on for d in wanted if d.kind in CHASES)
    if len(chased) >= policy.escalate_after:  # on the day of the 催办 that makes it K
        day = max(chased[policy.escalate_after - 1], since)
        wanted.append(Due("escalation" + to, ReminderKind.ESCALATION, day))
    # By day; on one day in the rules' order (an escalation after the 催办 that causes it).
    return sorted((d for d in wanted if d.rule not in facts.sent), key=lambda d: d.due_on)
