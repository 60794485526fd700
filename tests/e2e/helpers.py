"""Shared steps and checks for the end-to-end tests (black box: only HTTP goes in and out;
`visiting_once_waiting` also holds back the read models of the app it serves, and
`status_when_client_leaves` speaks ASGI to it, to leave mid-body)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.main import create_app
from api.runtime.bootstrap import Services
from tests.support import Api

FOUND_ON = "2026-03-05"  # the found_on of tests.support.Api.finding
BEFORE_FOUND_ON = "2026-03-01"
FUTURE = "2099-12-31"
LATER_FUTURE = "2100-06-30"

FINDINGS = "/api/v1/findings"


def finding_body(unit: str, **overrides: Any) -> dict[str, Any]:
    """A finding's body, raised on `unit`, with `overrides`: the fields a test cares about."""
    body: dict[str, Any] = {
        "unit_code": unit,
        "title": "重点工作任务未按期完成",
        "description": "清单中的任务表、时间表、责任表未落实。",
        "category": "work_style",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": FOUND_ON,
        "evidence": [],
    }
    return body | overrides


def assert_error(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The answer is `status` with the contract's error body (and `code`, when given)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}, body  # details null when none
    assert isinstance(error.get("code"), str) and error["code"], body
    assert error["code"] == error["code"].lower() and " " not in error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
    return error


def command(
    api: Api,
    fid: str,
    verb: str,
    body: dict[str, Any],
    who: dict[str, str],
    **headers: str,
) -> Response:
    """POST a command on a finding; extra headers by keyword (If_Match → If-Match)."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    return api.post(f"{FINDINGS}/{fid}/{verb}", body, {**who, **extra})


def ok(response: Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def order(api: Api, inspector: dict[str, str], fid: str, deadline: str = FUTURE) -> dict[str, Any]:
    body = {"deadline": deadline, "requirements": "限期整改到位"}
    return ok(command(api, fid, "rectification-order", body, inspector))


def report(api: Api, who: dict[str, str], fid: str) -> dict[str, Any]:
    body = {"summary": "已按要求整改完毕", "evidence": []}
    return ok(command(api, fid, "rectification-report", body, who))


def verify(
    api: Api,
    inspector: dict[str, str],
    fid: str,
    outcome: str = "accepted",
    **extra: Any,
) -> dict[str, Any]:
    body = {"outcome": outcome, "comment": "验收意见", **extra}
    return ok(command(api, fid, "verification", body, inspector))


def closed_finding(api: Api, inspector: dict[str, str], unit: str) -> dict[str, Any]:
    """A finding carried to `closed`; answers the last command's answer."""
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    report(api, inspector, fid)
    return verify(api, inspector, fid)


def finding(api: Api, who: dict[str, str], fid: str, **params: Any) -> dict[str, Any]:
    return ok(api.get(f"{FINDINGS}/{fid}", who, **params))


def status_of(api: Api, who: dict[str, str], fid: str) -> str:
    status: str = finding(api, who, fid)["status"]
    return status


def events_of(api: Api, who: dict[str, str], fid: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api.get(f"{FINDINGS}/{fid}/events", who))["items"]
    return items


def assert_verified_by(events: list[dict[str, Any]], inspector: str, liaison: str) -> None:
    """A finding's four events, raised, ordered, reported and verified: the inspector named
    `inspector` did all but the report, which the unit's `liaison` made."""
    assert [e["actor"]["name"] for e in events] == [inspector, inspector, liaison, inspector]
    assert [e["actor"]["role"] for e in events] == ["inspector", "inspector", "unit", "inspector"]


def all_items(
    api: Api, path: str, who: dict[str, str], *, limit: int = 500, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, `limit` a page, following next_cursor (at most 1000 pages)."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = dict(params, limit=limit)
        if cursor is not None:
            query["cursor"] = cursor
        page = ok(api.get(path, who, **query))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{path} did not end after 1000 pages")


def board(api: Api, who: dict[str, str], position: int, **filters: Any) -> list[dict[str, Any]]:
    """The finding list as of `position` (read-your-writes), with the given filters."""
    return all_items(api, FINDINGS, who, min_position=position, **filters)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


@contextmanager
def visiting_once_waiting(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A visitor (no cookie, no token) of the app on `services`, whose read models stand still
    (no runner) until a request waits for them: only then do the runners start. A page that
    did not wait shows none of what was recorded before it was asked for."""
    waiting = services.positions.wait

    async def start_runners_then_wait(*args: Any, **kwargs: Any) -> None:
        if services.host is None:
            services.start_runners()
        await waiting(*args, **kwargs)

    monkeypatch.setattr(services.positions, "wait", start_runners_then_wait)
    with TestClient(create_app(services.settings, services=services)) as visitor:
        yield visitor


def status_when_client_leaves(
    client: TestClient, path: str, headers: list[tuple[bytes, bytes]], part: bytes
) -> int:
    """POST `part` of a body to the app at the ASGI level, then leave (`http.disconnect`), as a
    browser closed mid-upload does: the status the app answered (which nobody reads)."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"testserver"), *headers],
    }
    incoming = [
        {"type": "http.request", "body": part, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None
    client.portal.call(call)
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    return int(start["status"])
