"""Records who viewed which finding or ruling (查阅记录) in the read-access log.

A middleware rather than a line in each route: the routes that show a finding or a ruling
are named once, below, and the entry is written after the answer has been sent, so the
reader does not wait for it (one INSERT on a pooled connection, in a worker thread).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive, Scope, Send

from api.http.middleware import HttpMiddleware
from domain.actors import Actor
from infra.access_log import ReadAccess, record_access

log = logging.getLogger(__name__)

# What a read of a record is, for both doors: the API's routes and the console's pages
# (whose viewer is kept on the request as the API's actor is). Route template → (subject
# type, path parameter holding its id). Only successful views count.
SUBJECTS: dict[str, tuple[str, str]] = {
    "/api/v1/findings/{finding_id}": ("finding", "finding_id"),
    "/api/v1/findings/{finding_id}/events": ("finding", "finding_id"),
    "/api/v1/findings/{finding_id}/timeline": ("finding", "finding_id"),
    "/api/v1/rulings/{ruling_id}": ("ruling", "ruling_id"),
    "/api/v1/rulings/{ruling_id}/events": ("ruling", "ruling_id"),
    "/findings/{finding_id}": ("finding", "finding_id"),
    "/rulings/{ruling_id}": ("ruling", "ruling_id"),
}


def viewed(scope: Scope, status: int) -> ReadAccess | None:
    """The entry for this request, if it showed a finding or a ruling to an account."""
    if status != 200:
        return None
    template = getattr(scope.get("route"), "path", None)
    subject = SUBJECTS.get(template or "")
    actor = (scope.get("state") or {}).get("actor")
    if subject is None or not isinstance(actor, Actor):
        return None
    kind, parameter = subject
    subject_id = (scope.get("path_params") or {}).get(parameter)
    if subject_id is None:
        return None
    return ReadAccess(
        actor_id=actor.id,
        actor_name=actor.name,
        actor_role=actor.role.value,
        subject_type=kind,
        subject_id=str(subject_id),
        path=scope["path"],
    )


class ReadAccessLog(HttpMiddleware):
    """Appends one read-access entry per successful GET of a finding or a ruling."""

    def handles(self, scope: Scope) -> bool:
        return bool(scope["type"] == "http" and scope["method"] == "GET")

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        status: dict[str, Any] = {"code": 0}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        entry = viewed(scope, status["code"])
        if entry is not None:
            await run_in_threadpool(write, scope, entry)


def write(scope: Scope, entry: ReadAccess) -> None:
    """The answer is already sent: a failure here is logged for the operators, not raised."""
    try:
        record_access(scope["app"].state.services.datastore, entry)
    except Exception:
        log.exception(
            "read-access entry not recorded",
            extra={"subject_id": entry.subject_id, "actor_id": entry.actor_id},
        )
