"""The monthly 情况通报 (issue 17 item 2): on the first working day of each month the service
issues the county's bulletin of the month before, as the projection worker's scheduler
(`api/runtime/dispatch.py`) runs it. Exactly once: one process at a time runs it, under an
advisory lock, and issues nothing when the log (as the read model holds it once caught up)
has the county's bulletin of that month; its id, derived from period and scope, makes a
second issuance that would slip past that refused all the same.

Run on a later day of the month (the service was down on the first working day), it issues
the bulletin then; before the first working day it does nothing; nor when someone issued the
county's bulletin of that month by hand already.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from uuid import UUID, uuid4

from api.runtime.bootstrap import Services
from api.runtime.files import EVIDENCE
from api.runtime.reminders import SCHEDULER
from domain.documents import scheduled_bulletin_id
from domain.errors import AlreadyExists, VersionConflict
from domain.registry import IssueDocument
from domain.reminders import Calendar
from domain.vocabulary import DocumentKind
from infra.locks import BULLETIN_LOCK, only_one
from projections.evidence import EvidenceView
from projections.runner import catch_up

log = logging.getLogger("supervision.bulletins")
COUNTY = "county"


def first_working_day(day: date, calendar: Calendar) -> date:
    """The first working day of `day`'s month (holidays and 调休 counted)."""
    return calendar.add(day.replace(day=1) - timedelta(days=1), 1)


def previous_month(day: date) -> str:
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def issued_for(services: Services, period: str) -> bool:
    """A county-wide 情况通报 of the period was issued already (by hand, say): the log as the
    read model holds it once caught up."""
    catch_up(services.app, services.datastore, EVIDENCE, services.settings.read_wait_seconds)
    page = services.view("evidence", EvidenceView).document_page(period, 100, None)
    return any(
        d["kind"] == DocumentKind.BULLETIN and d["record_kind"] == COUNTY for d in page.items
    )


def issue_monthly_bulletin(services: Services, today: date, calendar: Calendar) -> UUID | None:
    """The bulletin of last month, issued if it is due and not yet issued; its id (None when
    it is not due, already issued, or another process is issuing it)."""
    if today < first_working_day(today, calendar):
        return None
    period = previous_month(today)
    document_id = scheduled_bulletin_id(COUNTY, period)
    with only_one(services.database, BULLETIN_LOCK) as mine:
        if not mine or issued_for(services, period):
            return None
        if document_id in services.app.repository:  # its id taken by another document
            document_id = uuid4()
        message = IssueDocument(
            kind=DocumentKind.BULLETIN.value, period=period, issued_on=today,
            document_id=document_id,
        )  # fmt: skip
        try:
            services.app.handle(message, actor=SCHEDULER)
        except (AlreadyExists, VersionConflict):
            log.info("bulletin_already_issued", extra={"period": period})
            return None
    log.info("bulletin_issued", extra={"period": period, "document_id": str(document_id)})
    return document_id
