"""The read-access log (auditors, admins): who viewed which finding or ruling, and when."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from api.http.deps import Cursor, Limit, ServicesDep, require
from api.http.errors import ApiError
from api.http.read_schemas import ActorPublic, Answer, Instant
from api.http.routing import Router
from domain.actors import Actor
from domain.vocabulary import Role
from infra.access_log import AccessQuery, list_access
from projections.paging import decode_cursor, encode_cursor

MAX_ID = 2**63 - 1

router = Router(prefix="/api/v1/audit", tags=["audit"])

Auditor = Annotated[Actor, Depends(require(Role.AUDITOR, Role.ADMIN))]
Id = Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


class AccessEntry(Answer):
    """A view of a finding or a ruling: who, when, which record, by which path."""

    id: int
    accessed_at: Instant
    actor: ActorPublic
    subject_type: str
    subject_id: str
    path: str


class AccessPage(Answer):
    items: list[AccessEntry]
    next_cursor: str | None


def entry_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "accessed_at": row["accessed_at"].isoformat(),
        "actor": {"id": row["actor_id"], "name": row["actor_name"], "role": row["actor_role"]},
        "subject_type": row["subject_type"],
        "subject_id": row["subject_id"],
        "path": row["path"],
    }


@router.get("/access-log", response_model=AccessPage)
async def access_log(
    services: ServicesDep,
    actor: Auditor,
    subject_id: Id = None,
    actor_id: Id = None,
    after: AwareDatetime | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Views of findings and rulings, oldest first: of one subject, by one account, after a
    time (ISO 8601 with offset). Kept outside the event log (docs/security.md)."""
    start = decode_cursor(cursor) if cursor else 0
    if not 0 <= start <= MAX_ID:
        raise ApiError(400, "invalid_cursor", f"invalid cursor {cursor!r}")
    query = AccessQuery(subject_id, actor_id, after, start, limit + 1)
    rows = await run_in_threadpool(list_access, services.datastore, query)
    more = len(rows) > limit
    return {
        "items": [entry_out(row) for row in rows[:limit]],
        "next_cursor": encode_cursor(rows[limit - 1]["id"]) if more else None,
    }
