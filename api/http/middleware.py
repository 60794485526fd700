"""ASGI middleware: the request body limit, and the access log with metrics."""

from __future__ import annotations

import functools
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import ApiError
from api.runtime.metrics import LATENCY, REQUESTS

log = logging.getLogger("supervision.access")


class HttpMiddleware(ABC):
    """An ASGI middleware that acts on HTTP requests (`handles`), passing everything else —
    lifespan, websockets, what `handles` declines — through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handles(self, scope: Scope) -> bool:
        return bool(scope["type"] == "http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.handles(scope):
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request (through `self.app`)."""


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


class BodyLimit(HttpMiddleware):
    """Refuse bodies over the limit with 413, by Content-Length or while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger: dict[str, int] | None = None,
        answered_within: Callable[[str], bool] | None = None,
    ) -> None:
        """`larger`: paths (by prefix) that take more, such as uploads, and how much.
        `answered_within`: paths whose own error handlers answer the refusal (the console's,
        with a page in Chinese); a body too large by its Content-Length reaches them as it
        does while streaming, when they read it."""
        super().__init__(app)
        self.max_bytes = max_bytes
        self.larger = larger or {}
        self.answered_within = answered_within or (lambda path: False)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        most = next(
            (n for prefix, n in self.larger.items() if scope["path"].startswith(prefix)),
            self.max_bytes,
        )
        length = dict(scope["headers"]).get(b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        too_large = declared is not None and declared > most
        if length is not None and declared is None:
            await ApiError(400, "bad_request", "invalid Content-Length").response()(
                scope, receive, send
            )
            return
        if too_large and not self.answered_within(scope["path"]):
            message = f"the request body exceeds {most} bytes"
            await ApiError(413, "payload_too_large", message).response()(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if too_large:  # told by its Content-Length, refused where it is read
                raise BodyTooLarge(most)
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > most:
                raise BodyTooLarge(most)
            return message

        await self.app(scope, limited, send)


class AccessLog(HttpMiddleware):
    """One structured line and two metrics per request."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            count, latency = metrics_for(scope["method"], template, status["code"])
            count.inc()
            latency.observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": template,
                        "status": status["code"],
                        "ms": round(elapsed * 1000, 2),
                    },
                )


@functools.lru_cache(maxsize=4096)
def metrics_for(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The labelled children of the request metrics (looked up once per combination)."""
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)
