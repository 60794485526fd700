"""Hardening middleware: security headers on every response, CORS only when configured, and
a per-token limit on commands (docs/security.md, docs/adr/010-security-model.md)."""

from __future__ import annotations

import hashlib
import math
import time

from fastapi import FastAPI
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import ApiError
from api.http.middleware import HttpMiddleware
from infra.settings import Settings

# One policy for the JSON API and the server-rendered console: scripts, styles, images and
# fetches from this origin only; no inline script, no plug-ins, never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The interactive API page (api/http/docs.py) starts the vendored Swagger UI with an inline
# script and styles; only that page gets this looser policy (it shows no records), and it
# still loads nothing from another origin.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs"})
HSTS = "max-age=31536000; includeSubDomains"

ALWAYS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)

# The console's stylesheets and scripts, and the API page's vendored Swagger UI.
CACHEABLE = ("/static/", "/docs/assets/")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def headers_for(scope: Scope) -> list[tuple[str, str]]:
    """The security headers this request's answer carries."""
    path: str = scope.get("path", "")
    policy = DOCS_CONTENT_SECURITY_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY
    chosen = [*ALWAYS, ("content-security-policy", policy)]
    if not path.startswith(CACHEABLE):
        # Records, documents and exports may name people: no copy is kept on the way. Only
        # the console's and the API page's stylesheets and scripts may be cached.
        chosen.append(("cache-control", "no-store"))
    if scope.get("scheme") == "https":
        chosen.append(("strict-transport-security", HSTS))
    return chosen


class SecurityHeaders(HttpMiddleware):
    """Adds the security headers to every response, errors included (a header the route
    set itself is kept)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = headers_for(scope)
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            # Starlette's outermost error middleware would answer this 500 without our
            # headers; answer it here, and let the exception go on to be logged there.
            if not started:
                answer = ApiError(500, "internal_error", "an unexpected error occurred").response()
                await answer(scope, receive, with_headers)
            raise


def rate_key(scope: Scope) -> str:
    """Whose budget a request spends: its bearer token's (as a hash), else its address's."""
    authorization = Headers(scope=scope).get("authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode("utf-8", "replace")).hexdigest()
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


class WriteRateLimit:
    """At most `per_minute` commands (POST …) per token in any 60 seconds; more get 429
    with `Retry-After`. Reads are never limited. The count is per process (memory)."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        key = rate_key(scope)
        if self.limiter.hit(self.item, key):
            await self.app(scope, receive, send)
            return
        reset_at = self.limiter.get_window_stats(self.item, key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        limit = self.item.amount
        await ApiError(
            429,
            "too_many_requests",
            f"more than {limit} commands a minute with this token; retry in {retry_after} s",
            details={"limit": limit, "window_seconds": 60, "retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        ).response()(scope, receive, send)


def install_rate_limit(app: FastAPI, settings: Settings) -> None:
    """The write limit, when configured; call it before any other middleware is added, so it
    runs innermost (its 429s are logged and counted like every other answer)."""
    if settings.write_rate_limit > 0:
        app.add_middleware(WriteRateLimit, per_minute=settings.write_rate_limit)


def install_security(app: FastAPI, settings: Settings) -> None:
    """CORS (only with configured origins) and the security headers; call it after every
    other middleware is added, so the headers (outermost) cover every answer and CORS
    answers preflights before anything else."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=["ETag", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
