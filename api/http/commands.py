"""Running a command over HTTP: idempotency, the answer and its ETag."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.http.deps import ExpectedVersion, IdempotencyKey, ServicesDep
from api.http.errors import ApiError
from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.application import Supervision
from domain.commands import CommandResult
from domain.errors import DomainError
from infra.queries import stored_answer
from infra.recorder import IdempotencyKeyTaken, IdempotencyRecord


def fingerprint(request: Request, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    canonical = json.dumps(
        [request.method, request.url.path, payload], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer(status: int, body: dict[str, Any]) -> JSONResponse:
    """The answer with its ETag, and a link to the receipt of the event it recorded (ready
    once the next checkpoint is signed: docs/audit.md §8)."""
    headers = {"ETag": f'"{body["version"]}"'}
    if body.get("position"):
        headers["Link"] = f'</api/v1/audit/receipts/{body["position"]}>; rel="receipt"'
    return JSONResponse(body, status_code=status, headers=headers)


def replay(services: Services, actor: Actor, key: str, fp: str) -> JSONResponse | None:
    """The first answer to this key, if any; the same key with another body is a 409."""
    first = stored_answer(services.datastore, actor.id, key)
    if first is None:
        return None
    if first.fingerprint != fp:
        raise ApiError(
            409, "idempotency_key_reused", "this Idempotency-Key was used with a different request"
        )
    return answer(first.status_code, first.body)


def run(
    services: Services,
    request: Request,
    actor: Actor,
    key: str | None,
    body: BaseModel | None,
    command: Callable[..., CommandResult],
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    secret: dict[str, Any] | None = None,
) -> JSONResponse:
    """Run `command` once per Idempotency-Key; answer {id, version, position} (+ extra).

    `secret` fields (a new account's token) go into this answer only, never into the
    stored one, so a replayed answer does not disclose them.
    """
    if key is None:
        result = command()
        return answer(status, {**(extra or {}), **as_body(result), **(secret or {})})
    fp = fingerprint(request, body)
    first = replay(services, actor, key, fp)
    if first is not None:
        return first
    record = IdempotencyRecord(actor.id, key, fp, status, dict(extra or {}))
    try:
        command(idempotency=record)
    except (IdempotencyKeyTaken, DomainError):
        # A concurrent request with the same key may have won the race (its events made
        # ours conflict, or its record took the key): answer what it answered.
        first = replay(services, actor, key, fp)
        if first is None:
            raise
        return first
    return answer(status, {**record.body, **(secret or {})})


def as_body(result: CommandResult) -> dict[str, Any]:
    return {"id": str(result.id), "version": result.version, "position": result.position}


@dataclass
class CommandContext:
    """What every command route needs beside its body and actor: the services, the request
    (for the idempotency fingerprint), the Idempotency-Key and the If-Match version."""

    services: Services
    request: Request
    key: str | None
    expected: int | None

    @property
    def app(self) -> Supervision:
        return self.services.app

    def run(
        self,
        actor: Actor,
        body: BaseModel | None,
        command: Callable[..., CommandResult],
        **answer: Any,
    ) -> JSONResponse:
        """`run` with this request's services, request and Idempotency-Key (`answer`: the
        status, extra fields and secret fields of `run`)."""
        return run(self.services, self.request, actor, self.key, body, command, **answer)


async def command_context(
    request: Request, services: ServicesDep, key: IdempotencyKey, expected: ExpectedVersion
) -> CommandContext:
    return CommandContext(services, request, key, expected)


Command = Annotated[CommandContext, Depends(command_context)]
