"""Personal data of ruling subjects (admins): the data subjects, and crypto-shredding one
(PIPL Art. 47; ADR 013, docs/security.md)."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field
from starlette.concurrency import run_in_threadpool

from api.http.deps import Admin, Cursor, Limit, ServicesDep, UnitFilter
from api.http.errors import ApiError
from api.http.read_schemas import Answer, Instant
from api.http.routing import Router
from api.http.schemas import Body, Reason, not_blank
from api.runtime.bootstrap import Services
from api.runtime.documents import forget_subject
from domain.actors import Actor
from domain.errors import AlreadyExists
from domain.registry import RecordShredding
from infra.migrations import EVENTS_TABLE
from infra.privacy import UnknownSubject, list_subjects, subject_of_ruling
from projections.paging import decode_cursor, encode_cursor
from projections.privacy import shred_subject

router = Router(prefix="/api/v1/privacy", tags=["privacy"])
log = logging.getLogger(__name__)
DEFAULT_REASON = "依法删除个人信息（当事人申请或保存期限届满）"


class DataSubject(Answer):
    """A person named in rulings: their unit, the masked name until shredded, the cipher."""

    subject_id: UUID
    unit_code: str
    algorithm: str
    masked_name: str | None
    created_at: Instant
    shredded_at: Instant | None


class SubjectPage(Answer):
    items: list[DataSubject]
    next_cursor: str | None


class Shredding(Answer):
    """The subject's key destroyed (now or before: `already_shredded`), and their rulings."""

    subject_id: UUID
    shredded_at: Instant
    already_shredded: bool
    rulings: list[UUID]


def subjects_page(
    services: ServicesDep,
    unit_code: str | None,
    ruling_id: UUID | None,
    after: int,
    limit: int,
) -> list[dict[str, Any]]:
    with services.database.connection() as conn:
        subject = None
        if ruling_id is not None:
            subject = subject_of_ruling(conn, ruling_id, EVENTS_TABLE)
            if subject is None:
                return []
        return list_subjects(
            conn,
            unit_codes=[unit_code] if unit_code else None,
            subject_id=subject,
            after=after,
            limit=limit,
        )


@router.get("/subjects", response_model=SubjectPage)
async def subjects(
    services: ServicesDep,
    actor: Admin,
    unit_code: UnitFilter = None,
    ruling_id: UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Data subjects (persons named in rulings), oldest first: id, unit, masked name (until
    shredded), cipher, created_at, shredded_at; `ruling_id` finds the subject of a ruling."""
    after = decode_cursor(cursor) if cursor else 0
    rows = await run_in_threadpool(subjects_page, services, unit_code, ruling_id, after, limit + 1)
    more = len(rows) > limit
    items = [{k: v for k, v in row.items() if k != "seq"} for row in rows[:limit]]
    return {
        "items": items,
        "next_cursor": encode_cursor(rows[limit - 1]["seq"]) if more else None,
    }


class ShredRequest(Body):
    reason: Annotated[Reason, AfterValidator(not_blank)] = Field(
        default=DEFAULT_REASON, description="why the personal data is erased (recorded)"
    )


@router.post("/subjects/{subject_id}/shred", response_model=Shredding)
async def shred(
    subject_id: UUID, services: ServicesDep, actor: Admin, body: ShredRequest | None = None
) -> dict[str, Any]:
    """Crypto-shred: destroy the subject's key. Their name and position read `[已删除]`
    everywhere from now on; the records, and the hash chain over them, stay. The shredding is
    itself an event on the chain (`DataSubject.Shredded`: who, when, which subject, why;
    `reason` optional). Unknown id → 404; shredding twice answers the first shred again
    (`already_shredded`: true) and records nothing more."""
    try:
        result = await run_in_threadpool(
            shred_subject, services.database, subject_id, services.cases
        )
    except UnknownSubject:
        raise ApiError(404, "not_found", f"data subject {subject_id} not found") from None
    reason = (body or ShredRequest()).reason
    await run_in_threadpool(record_shredding, services, subject_id, reason, actor)
    return result.as_dict()


def record_shredding(services: Services, subject_id: UUID, reason: str, actor: Actor) -> None:
    """The shredding's event, once: a retry after a crash between the key's destruction and
    this records it then; a shred asked again records nothing more. The files sealed for the
    subject (the documents naming them) are deleted: unreadable since the key went, now gone."""
    forget_subject(services, subject_id)
    try:
        services.app.handle(RecordShredding(subject_id, reason), actor=actor)
    except AlreadyExists:
        log.debug("shredding recorded before", extra={"subject_id": str(subject_id)})
