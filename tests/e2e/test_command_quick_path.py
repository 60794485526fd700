"""A command route's two paths (api/http/command_routes.py): a request in order is carried out
without FastAPI's dependency solving; every other request is answered by FastAPI's handling of
the same route, with the refusal it always gave."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tests.e2e.helpers import FINDINGS, assert_error, finding_body, ok, status_when_client_leaves
from tests.support import ADMIN, Api, account_fixture, unit_fixture

inspector = account_fixture("inspector", "督查员 王芳")
unit = unit_fixture("县交通运输局")

LEFT = "command request left to the full path"


def left_for(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The reasons the quick path gave for the requests it left to the full path."""
    return [r.reason for r in caplog.records if r.getMessage() == LEFT]  # type: ignore[attr-defined]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="api.http.command_routes")
    return caplog


def send(api: Api, path: str, content: bytes, headers: dict[str, str]) -> Response:
    return api.client.post(path, content=content, headers=headers)


def test_a_command_in_order_takes_the_quick_path_and_answers_as_the_contract_says(
    api: Api, inspector: dict[str, str], unit: str, logged: pytest.LogCaptureFixture
) -> None:
    created = api.post(
        FINDINGS,
        finding_body(unit, title="道路养护台账不全", description="<b>养护记录</b>缺三个月。"),
        inspector,
    )
    answer = ok(created, 201)
    assert set(answer) == {"id", "version", "position"}
    assert created.headers["ETag"] == f'"{answer["version"]}"'
    assert created.headers["Link"] == (
        f'</api/v1/audit/receipts/{answer["position"]}>; rel="receipt"'
    )
    order = {"deadline": "2099-12-31", "requirements": "限期整改"}
    ordered = api.post(
        f"{FINDINGS}/{answer['id']}/rectification-order",
        order,
        {**inspector, "If-Match": '"1"', "Idempotency-Key": "quick-1"},
    )
    assert ok(ordered)["version"] == 2
    assert left_for(logged) == []
    finding = ok(api.get(f"{FINDINGS}/{answer['id']}", inspector))
    assert finding["status"] == "rectifying"
    assert finding["description"] == "<b>养护记录</b>缺三个月。"


def test_both_paths_give_the_same_answer_to_the_same_command(
    api: Api, inspector: dict[str, str], unit: str, logged: pytest.LogCaptureFixture
) -> None:
    """A `+json` media type is JSON to FastAPI but not one the quick path takes."""
    body = json.dumps(
        finding_body(unit, title="道路养护台账不全", description="<b>养护记录</b>缺三个月。")
    ).encode()
    quick = send(api, FINDINGS, body, {**inspector, "Content-Type": "application/json"})
    full = send(api, FINDINGS, body, {**inspector, "Content-Type": "application/x-finding+json"})
    assert left_for(logged) == ["content-type"]
    assert quick.status_code == full.status_code == 201
    assert set(quick.json()) == set(full.json()) == {"id", "version", "position"}
    assert quick.json()["version"] == full.json()["version"] == 1
    assert {h: quick.headers[h][:1] for h in ("ETag", "Link")} == {
        h: full.headers[h][:1] for h in ("ETag", "Link")
    }
    for answer in (quick, full):
        shown = ok(api.get(f"{FINDINGS}/{answer.json()['id']}", inspector))
        assert shown["title"] == "道路养护台账不全"


@pytest.mark.parametrize(
    ("case", "status", "code", "reason"),
    [
        ("no token", 401, "unauthorized", "unauthorized"),
        ("unknown token", 401, "unauthorized", "unauthorized"),
        ("not an inspector's", 403, "forbidden", "forbidden"),
        ("bad Idempotency-Key", 400, "invalid_idempotency_key", "invalid_idempotency_key"),
        ("bad If-Match", 400, "invalid_if_match", "invalid_if_match"),
        ("If-Match twice", None, None, "if-match sent more than once"),
        ("path not an id", 404, "not_found", "path"),  # the contract's unknown id
        ("form body", 422, "validation_error", "content-type"),
        ("broken JSON", 400, "malformed_json", "body"),
        ("empty body", 422, "validation_error", "body"),
        ("body out of schema", 422, "validation_error", "body"),
    ],
)
def test_a_request_out_of_order_gets_the_refusal_of_the_full_path(
    api: Api,
    inspector: dict[str, str],
    unit: str,
    logged: pytest.LogCaptureFixture,
    case: str,
    status: int | None,
    code: str | None,
    reason: str,
) -> None:
    fid = api.finding(inspector, unit)["id"]
    path = f"{FINDINGS}/{fid}/escalation"
    body = json.dumps({"reason": "逾期未整改"}).encode()
    headers: dict[str, str] = {**inspector, "Content-Type": "application/json"}
    sent: list[tuple[str, str]] | None = None
    if case == "no token":
        del headers["Authorization"]
    elif case == "unknown token":
        headers["Authorization"] = "Bearer not-a-token"
    elif case == "not an inspector's":
        headers |= api.account("unit", unit)
    elif case == "bad Idempotency-Key":
        headers["Idempotency-Key"] = "x" * 256
    elif case == "bad If-Match":
        headers["If-Match"] = "version one"
    elif case == "If-Match twice":
        sent = [*headers.items(), ("If-Match", '"1"'), ("If-Match", '"1"')]
    elif case == "path not an id":
        path = f"{FINDINGS}/not-an-id/escalation"
    elif case == "form body":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = b"reason=x"
    elif case == "broken JSON":
        body = b'{"reason": '
    elif case == "empty body":
        body = b""
    else:
        body = json.dumps({"grounds": "逾期未整改"}).encode()
    answer = api.client.post(path, content=body, headers=sent if sent is not None else headers)
    assert left_for(logged) == [reason]
    if status is None:  # the same header twice: FastAPI reads it, as it always did
        assert ok(answer)["version"] == 2
    else:
        assert_error(answer, status, code)
        events = ok(api.get(f"{FINDINGS}/{fid}/events", ADMIN))["items"]
        assert [e["event_type"] for e in events] == ["Raised"]


def test_a_client_gone_mid_body_is_answered_by_the_full_path_not_a_server_error(
    client: TestClient, inspector: dict[str, str], unit: str, logged: pytest.LogCaptureFixture
) -> None:
    """Half a body, then the client leaves: FastAPI's own reading answers 400, as it always
    did, and nothing is logged as an error."""
    body = json.dumps(finding_body(unit)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"authorization", inspector["Authorization"].encode()),
    ]
    assert status_when_client_leaves(client, FINDINGS, headers, body[:20]) == 400
    assert left_for(logged) == ["body unread"]
    assert not [r for r in logged.records if r.levelno >= logging.ERROR]


def test_dependency_overrides_are_honoured_by_taking_the_full_path(
    client: TestClient, api: Api, inspector: dict[str, str], unit: str,
    logged: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from api.http.commands import command_context
    from api.http.errors import ApiError

    app = client.app
    assert isinstance(app, FastAPI)

    async def refuse() -> None:
        raise ApiError(423, "overridden", "the command context is overridden")

    app.dependency_overrides[command_context] = refuse
    try:
        answer = api.post(FINDINGS, finding_body(unit), inspector)
    finally:
        app.dependency_overrides.clear()
    assert_error(answer, 423, "overridden")  # what the override does, FastAPI's path does
    assert left_for(logged) == ["dependency overrides"]


def test_every_command_route_depends_on_its_role_check_and_command_context_alone(
    client: TestClient,
) -> None:
    """What the quick path calls is all a command route depends on: a dependency added where
    a router is included would be left out of it (ADR 036)."""
    from api.http.command_routes import CommandRoute
    from api.http.commands import command_context

    app = client.app
    assert isinstance(app, FastAPI)
    seen = 0
    for included in app.router.routes:
        for context in getattr(included, "effective_route_contexts", lambda: [])():
            route = context.original_route
            if not isinstance(route, CommandRoute):
                continue
            seen += 1
            calls = [d.call for d in context.dependant.dependencies]
            assert calls == [route.endpoint.quick.roles, command_context], context.path
    assert seen >= 80
