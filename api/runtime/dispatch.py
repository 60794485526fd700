"""The loop's clock inside the projection worker: reminders on a timer, notifications sent.

`projections run` (the worker `serve` supervises) starts one `Chaser` thread. Every
`dispatch_every_seconds` it runs a round of the outbox (infra/outbox.py); every
`remind_every_minutes` it runs the reminder rules for today (api/runtime/reminders.py), from
the first working day of a month issues last month's 情况通报 (api/runtime/bulletins.py) —
each under an advisory lock, one process at a time, and each recorded once, so a restart or a
second worker never reminds or issues twice — and collects the uploads no event cites past
their grace period (api/runtime/files.py). All use the process's pool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from api.runtime.bootstrap import Services
from api.runtime.bulletins import issue_monthly_bulletin
from api.runtime.files import collect
from api.runtime.reminders import policy_of, send_reminders
from domain import clock
from infra.channels import Smtp, Webhook
from infra.outbox import Backoff, Channel, Outbox
from infra.settings import Settings
from infra.workdays import WorkingDays

log = logging.getLogger("supervision.dispatch")


def channels_of(settings: Settings) -> dict[str, Channel]:
    """The channels the settings configure (a channel left out leaves its deliveries
    waiting until it is configured)."""
    channels: dict[str, Channel] = {}
    if settings.smtp_host:
        channels["email"] = Smtp(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
        )
    if settings.webhook_secret:
        channels["webhook"] = Webhook(settings.webhook_secret.get_secret_value())
    return channels


def outbox_of(services: Services) -> Outbox:
    s = services.settings
    return Outbox(
        services.database,
        channels_of(s),
        backoff=Backoff(s.delivery_retry_seconds, s.delivery_retry_max_seconds),
        link=s.public_url,
    )


class Chaser(threading.Thread):
    """Runs the outbox and the reminder rules on their timers until `stop()`."""

    def __init__(self, services: Services, monotonic: Callable[[], float] = time.monotonic):
        super().__init__(name="chaser", daemon=True)
        self.services = services
        self.outbox = outbox_of(services)
        self.monotonic = monotonic
        self._stopping = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        settings = self.services.settings
        remind_every = settings.remind_every_minutes * 60
        next_reminders = self.monotonic()  # once at start, then on the timer
        while not self._stopping.is_set():
            if remind_every and self.monotonic() >= next_reminders:
                self.guarded("reminders", self.remind)
                self.guarded("files", self.collect_files)
                next_reminders = self.monotonic() + remind_every
            self.guarded("dispatch", self.outbox.run_once)
            self.rounds += 1
            self._stopping.wait(settings.dispatch_every_seconds)

    def remind(self) -> None:
        policy = policy_of(self.services.settings)
        send_reminders(self.services, clock.today(), WorkingDays(), policy)
        if self.services.settings.monthly_bulletin:
            issue_monthly_bulletin(self.services, clock.today(), WorkingDays())

    def collect_files(self) -> None:
        """Uploads no event cites, past their grace period, are deleted (ADR 033)."""
        grace = self.services.settings.files_grace_hours
        collect(self.services, self.services.clock.now(), grace)

    def guarded(self, what: str, job: Callable[[], object]) -> None:
        """Run `job`; a failure (the database away a moment) is logged and the next round
        tries again, so the thread outlives it."""
        try:
            job()
        except Exception:
            log.exception("chaser_round_failed", extra={"job": what})

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.join(timeout)
