"""BodyLimit at the ASGI level: what it answers itself and what it leaves to the paths that
answer a refusal with their own page."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from api.http.middleware import BodyLimit, BodyTooLarge


def request(path: str, length: bytes) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-length", length)],
    }


def run(limit: BodyLimit, scope: Scope, body: bytes) -> tuple[list[Message], list[bytes]]:
    """What the middleware sent, and what the app behind it read."""
    sent: list[Message] = []
    read: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        read.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 204, "headers": []})

    limit.app = app
    # On a thread of its own: the tier may run where an event loop already runs (the
    # browser tests' Playwright leaves one on the main thread).
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, limit(scope, receive, send)).result()
    return sent, read


def error_of(sent: list[Message]) -> tuple[int, Any]:
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)["error"]["code"]


def limit(**kwargs: Any) -> BodyLimit:
    return BodyLimit(lambda *a: None, 10, answered_within=lambda p: p.startswith("/page"), **kwargs)


def test_a_content_length_that_is_no_number_is_a_bad_request_the_app_never_sees() -> None:
    sent, read = run(limit(), request("/api/v1/units", b"ten"), b"0123")
    assert error_of(sent) == (400, "bad_request") and read == []


def test_an_api_body_too_large_by_its_length_is_refused_before_the_app() -> None:
    sent, read = run(limit(), request("/api/v1/units", b"11"), b"x" * 11)
    assert error_of(sent) == (413, "payload_too_large") and read == []


def test_a_page_body_too_large_by_its_length_is_refused_where_the_page_reads_it() -> None:
    with pytest.raises(BodyTooLarge):
        run(limit(), request("/page/form", b"11"), b"x" * 11)


def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    sent, read = run(limit(), request("/page/form", b"10"), b"x" * 10)
    assert read == [b"x" * 10] and sent[0]["status"] == 204
