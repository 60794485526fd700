"""Request dependencies as `Annotated` aliases: services, the current actor, command headers."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from pydantic import AfterValidator
from starlette.concurrency import run_in_threadpool

from api.http.errors import ApiError
from api.http.schemas import storable
from api.runtime.bootstrap import Services
from domain.accounts import Account, hash_token
from domain.actors import Actor
from domain.vocabulary import Role
from projections.paging import MAX_LIMIT

BOOTSTRAP_ADMIN_ID = "bootstrap-admin"


# Dependencies are `async def`: FastAPI runs a sync dependency in the thread pool, and a
# thread hop per dependency costs more than the work most of them do.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_actor(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    """The account behind `Authorization: Bearer <token>`; unknown, revoked or expired → 401.

    An expiry takes effect on the very next request. A revocation too in the process that
    made it; another process answers from the accounts it keeps while it LISTENs, and forgets
    them when PostgreSQL's notification of the commit arrives (about a millisecond, ADR 015;
    a unit liaison's account is always read afresh). The actor is kept on the request for
    the read-access log (api/http/read_access.py).
    """
    actor = await authenticate(services, authorization)
    request.state.actor = actor
    return actor


async def authenticate(services: Services, authorization: str | None) -> Actor:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    bootstrap = services.settings.bootstrap_admin_token
    if bootstrap is not None and hmac.compare_digest(
        token.encode("utf-8", "surrogatepass"), bootstrap.get_secret_value().encode()
    ):
        return Actor(id=BOOTSTRAP_ADMIN_ID, name="初始管理员", role=Role.ADMIN)
    token_hash = hash_token(token.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
    kept = services.accounts.cached(token_hash)
    if kept is not None and kept.role is not Role.UNIT:
        # From memory: no thread, no query.
        actor = actor_of(kept, token_hash, frozenset(), services.clock.now())
    else:
        actor = await run_in_threadpool(account_actor, services, token_hash)
    if actor is None:
        raise ApiError(
            401,
            "unauthorized",
            "the token is unknown, revoked or expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return actor


def account_actor(services: Services, token_hash: str) -> Actor | None:
    """The active, unexpired account with this token hash; a unit account's scope includes
    the units merged into its unit (机构改革)."""
    account = services.accounts.get(token_hash, services.app.find_account)
    if account is None:
        return None
    scope: frozenset[str] = frozenset()
    if account.role is Role.UNIT and account.unit_code:
        scope = frozenset(services.app.lineage(account.unit_code))
    return actor_of(account, token_hash, scope, services.clock.now())


def actor_of(
    account: Account, token_hash: str, scope: frozenset[str], now: datetime
) -> Actor | None:
    """The account's actor, if it admits a request at `now` (active, unexpired) by this token;
    `now` is read from the service's clock, so a test moves it instead of waiting."""
    if not account.admits(now) or not hmac.compare_digest(account.token_hash, token_hash):
        return None
    return Actor(
        id=str(account.id),
        name=account.name,
        role=account.role,
        unit_code=account.unit_code,
        unit_scope=scope,
    )


ActorDep = Annotated[Actor, Depends(current_actor)]


def require(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency that lets only the given roles through (403 for the others)."""

    async def check(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ApiError(
                403,
                "forbidden",
                f"this action needs the role: {allowed}",
                details={"role": actor.role.value, "allowed": [r.value for r in roles]},
            )
        return actor

    return check


Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
Lister = Annotated[Actor, Depends(require(Role.INSPECTOR, Role.ADMIN))]
Reader = ActorDep

ETAG = re.compile(r'^\s*(?:W/)?(?:"(\d{1,18})"|(\d{1,18}))\s*$')  # quoted, or bare: not half


async def expected_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """`If-Match: "<version>"` → the version the client expects the aggregate to be at."""
    if if_match is None or if_match.strip() == "*":
        return None
    m = ETAG.match(if_match)
    if not m:
        raise ApiError(400, "invalid_if_match", 'If-Match must be a version such as "3"')
    return int(m.group(1) or m.group(2))


ExpectedVersion = Annotated[int | None, Depends(expected_version)]


async def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise ApiError(
            400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 printable characters"
        )
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=200)]
MinPosition = Annotated[int | None, Query(ge=0, le=2**62)]
Year = Annotated[int, Query(ge=1900, le=2999)]  # the year of a scorecard or a ledger
# A list's filters: on a year, on a unit's code (with the units merged into it), on text.
YearFilter = Annotated[int | None, Query(ge=1900, le=2999)]


def storable_filter(value: str | None) -> str | None:
    """A filter's text as a text column may hold it: NUL or a lone surrogate is refused
    (422 validation_error), before it reaches a query."""
    return None if value is None else storable(value)


UnitFilter = Annotated[str | None, Query(max_length=64), AfterValidator(storable_filter)]
Search = Annotated[str | None, Query(max_length=200), AfterValidator(storable_filter)]


def public_waiter(request: Request) -> str:
    """Whose waits a request without an account holds: its client address's (one shared name
    when the server gives none, as over a Unix socket)."""
    client = request.client.host if request.client else "unknown"
    return f"public:{client}"


def reached(*names: str, public: bool = False) -> Any:
    """A route dependency: the read models `names` have processed the request's
    `min_position` (read-your-writes). It waits without holding a thread; a position past
    the head of the log is 422 at once, one not reached in time 503 (api/runtime/waiting.py). The
    waits an account may hold at once are bounded (of a `public` route: per client address)."""

    async def wait(
        services: ServicesDep, actor: ActorDep, min_position: MinPosition = None
    ) -> None:
        if min_position is not None and min_position > 0:
            await services.positions.wait(
                names, min_position, services.settings.read_wait_seconds, actor.id
            )

    async def wait_public(
        request: Request, services: ServicesDep, min_position: MinPosition = None
    ) -> None:
        if min_position is not None and min_position > 0:
            await services.positions.wait(
                names, min_position, services.settings.read_wait_seconds, public_waiter(request)
            )

    return Depends(wait_public if public else wait)
