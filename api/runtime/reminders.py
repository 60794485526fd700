"""The reminder scheduler (issue 15 item 5): on a day, record on every rectifying finding the
reminders and 催办 its rules demand (domain/reminders.py), each once, as the service itself.

One process runs it at a time (a session advisory lock); another that starts meanwhile does
nothing. A reminder a racing process recorded first is skipped: the finding refuses a rule
twice, and the command carries the version it was computed on.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date
from uuid import UUID

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.errors import InvalidTransition, VersionConflict
from domain.findings import Finding
from domain.registry import RemindFinding
from domain.reminders import Calendar, Facts, Policy, due_reminders
from domain.vocabulary import FindingStatus, Role
from infra.locks import REMINDER_LOCK, only_one
from infra.settings import Settings
from projections.finding_board import FindingFilter, due_by_of

log = logging.getLogger("supervision.reminders")
SCHEDULER = Actor(id="scheduler", name="督办提醒", role=Role.ADMIN)


def remind(
    services: Services,
    finding: Finding,
    today: date,
    calendar: Calendar,
    policy: Policy,
) -> list[str]:
    """Record the finding's due reminders; answers the kinds recorded."""
    assert finding.deadline is not None and finding.ordered_on is not None  # it was ordered
    facts = Facts(
        ordered_on=finding.ordered_on,
        deadline=finding.deadline,
        severity=finding.severity.value,
        acknowledged=finding.acknowledged,
        sent=frozenset(finding.reminded),
        disputed=finding.dispute is not None,
        runs_to=due_by_of(finding.deadline) or finding.deadline,
        since=finding.reminders_from,
    )
    recorded, version = [], finding.version
    for due in due_reminders(facts, today, calendar, policy):
        message = RemindFinding(finding.id, due.rule, due.kind.value, due.due_on)
        try:
            answer = services.app.handle(message, actor=SCHEDULER, expected_version=version)
        except (VersionConflict, InvalidTransition):
            log.info("reminder_skipped", extra={"finding_id": str(finding.id), "rule": due.rule})
            break  # another process moved the finding on: it reminds from there next time
        version = answer.version
        recorded.append(due.kind.value)
    return recorded


def policy_of(settings: Settings) -> Policy:
    """The reminder rules' numbers the deployment configured (SUPERVISION_REMIND_*)."""
    return Policy(
        acknowledge_within=settings.remind_acknowledge_within,
        near_before=dict(settings.remind_near_before),
        overdue_every=settings.remind_overdue_every,
        escalate_after=settings.remind_escalate_after,
    )


def send_reminders(
    services: Services, today: date, calendar: Calendar, policy: Policy
) -> Counter[str] | None:
    """Every reminder due by `today`, by kind; None when another process is running it."""
    with only_one(services.database, REMINDER_LOCK) as mine:
        if not mine:
            log.info("reminders_already_running")
            return None
        sent: Counter[str] = Counter()
        cursor = None
        while True:
            page = services.board.list(FindingFilter(status="rectifying"), today, 200, cursor)
            for item in page.items:
                finding = services.app.get_finding(UUID(str(item["id"])))
                if finding.status is FindingStatus.RECTIFYING:
                    sent.update(remind(services, finding, today, calendar, policy))
            cursor = page.next_cursor
            if cursor is None:
                break
        log.info("reminders_sent", extra={"today": today.isoformat(), "sent": dict(sent)})
        return sent
