"""The reminder scheduler under a simulated clock, run every day across the 2026 Spring Festival
(holiday 15–23 February, make-up working Saturdays 14 and 28 February) by two schedulers at once
(two pools, as two processes), restarted half-way: every rule fires exactly once, on the working
day the rules name (issue 15 items 5 and 10)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from api.runtime.bootstrap import Services, build
from api.runtime.reminders import send_reminders
from domain import clock
from domain.clock import business_day
from domain.findings import Finding
from domain.registry import OrderRectification
from domain.reminders import Policy
from infra.settings import Settings
from infra.workdays import WorkingDays
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding

ORDERED = date(2026, 2, 12)  # a Thursday, two days before the make-up Saturday
DEADLINE = date(2026, 2, 26)
RESTART = date(2026, 2, 25)
LAST = date(2026, 3, 12)
# The day each rule falls due, counted in working days by the State Council's calendar.
EXPECTED = {
    "acknowledge@2026-02-12": date(2026, 2, 14),  # Fri 13, then the make-up Saturday 14
    "near@2026-02-26": date(2026, 2, 24),  # two working days before: 24 and 25 (after the holiday)
    "due@2026-02-26": date(2026, 2, 26),
    "overdue:1@2026-02-26": date(2026, 3, 2),  # 27, the make-up Saturday 28, then Monday 2
    "overdue:2@2026-02-26": date(2026, 3, 5),
    "overdue:3@2026-02-26": date(2026, 3, 10),  # 6, then Monday 9 and 10
    "escalation@2026-02-26": date(2026, 3, 2),  # on the day of the third 催办
}


def at_nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


def race(schedulers: list[Services], day: date) -> list[Counter[str] | None]:
    """Both schedulers run the day's rules at the same moment."""
    answers: list[Counter[str] | None] = [None] * len(schedulers)
    start = threading.Barrier(len(schedulers))

    def run(n: int) -> None:
        start.wait()
        answers[n] = send_reminders(schedulers[n], day, WorkingDays(), Policy())

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(schedulers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_each_reminder_fires_once_on_its_working_day_across_the_spring_festival(
    fresh_settings: Settings,
) -> None:
    first = build(fresh_settings, runners="off")
    with clock.use(clock.SettableClock(at_nine(ORDERED))):
        first.app.register_unit(code="qfx", name="七星街道", kind="subdistrict", actor=ADMIN)
        fid = raise_finding(first, "qfx", "消防通道堵塞", found_on=ORDERED, severity="minor")
        first.app.handle(OrderRectification(fid, DEADLINE, "清理通道"), actor=INSPECTOR)
    catch_up(first.app, first.datastore, [s for s in PROJECTIONS if s.name == "finding_board"])
    schedulers = [first, build(fresh_settings, runners="off")]
    try:
        day = ORDERED
        while day <= LAST:
            if day == RESTART:  # both processes stop and start again
                for services in schedulers:
                    services.close()
                schedulers = [build(fresh_settings, runners="off") for _ in range(2)]
            with clock.use(clock.SettableClock(at_nine(day))):
                race(schedulers, day)
            day += timedelta(days=1)
        history = schedulers[0].app.aggregate_history(fid)
    finally:
        for services in schedulers:
            services.close()
    reminded = [e for e in history if isinstance(e, Finding.Reminded)]
    assert Counter(e.rule for e in reminded) == Counter(EXPECTED.keys())  # each exactly once
    assert {e.rule: business_day(e.timestamp) for e in reminded} == EXPECTED
    assert {e.rule: e.due_on for e in reminded} == EXPECTED
