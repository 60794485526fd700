"""Idempotency-Key replays, and many clients racing on one finding with If-Match."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.e2e.helpers import (
    FINDINGS,
    FUTURE,
    assert_error,
    board,
    command,
    events_of,
    finding,
    finding_body,
    ids,
    ok,
)
from tests.support import ADMIN, Api, unique


def test_same_key_and_body_on_a_command_answers_the_first_answer_and_records_once(
    api: Api,
) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    body = {"deadline": FUTURE, "requirements": "限期整改"}
    key = unique("key")
    first = command(api, fid, "rectification-order", body, inspector, Idempotency_Key=key)
    second = command(api, fid, "rectification-order", body, inspector, Idempotency_Key=key)
    assert first.status_code == second.status_code == 200, second.text
    a, b = first.json(), second.json()
    assert (a["id"], a["version"], a["position"]) == (b["id"], b["version"], b["position"])
    assert second.headers["ETag"] == first.headers["ETag"] == '"2"'
    assert [e["event_type"] for e in events_of(api, inspector, fid)] == [
        "Raised",
        "RectificationOrdered",
    ]
    assert finding(api, inspector, fid)["version"] == 2


def test_same_key_and_body_on_raising_creates_one_finding(api: Api) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    key = unique("key")
    headers = {**inspector, "Idempotency-Key": key}
    first = api.post(FINDINGS, finding_body(unit), headers)
    second = api.post(FINDINGS, finding_body(unit), headers)
    a, b = ok(first, 201), ok(second, 201)
    assert (a["id"], a["version"], a["position"]) == (b["id"], b["version"], b["position"])
    assert len(events_of(api, inspector, a["id"])) == 1
    assert ids(board(api, inspector, b["position"], unit_code=unit)) == [a["id"]]


def test_same_key_with_another_body_is_idempotency_key_reused(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    key = unique("key")
    ok(command(api, fid, "escalation", {"reason": "第一次"}, inspector, Idempotency_Key=key))
    response = command(api, fid, "escalation", {"reason": "第二次"}, inspector, Idempotency_Key=key)
    assert_error(response, 409, "idempotency_key_reused")
    events = events_of(api, inspector, fid)
    assert [e["event_type"] for e in events] == ["Raised", "Escalated"]
    assert events[1]["data"]["reason"] == "第一次"


def test_same_key_on_another_finding_is_idempotency_key_reused(api: Api) -> None:
    inspector = api.account("inspector")
    unit = api.unit()
    one, two = api.finding(inspector, unit)["id"], api.finding(inspector, unit)["id"]
    key = unique("key")
    ok(command(api, one, "withdrawal", {"reason": "误报"}, inspector, Idempotency_Key=key))
    response = command(api, two, "withdrawal", {"reason": "误报"}, inspector, Idempotency_Key=key)
    assert_error(response, 409, "idempotency_key_reused")
    assert finding(api, inspector, two)["status"] == "raised"


def test_different_keys_record_two_commands(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    body = {"reason": "提级督办"}
    a = ok(command(api, fid, "escalation", body, inspector, Idempotency_Key=unique("k")))
    b = ok(command(api, fid, "escalation", body, inspector, Idempotency_Key=unique("k")))
    assert (a["version"], b["version"]) == (2, 3)
    assert len(events_of(api, inspector, fid)) == 3


def test_replayed_account_creation_does_not_disclose_a_token_twice(api: Api) -> None:
    key = unique("key")
    body = {"name": "重试创建的账号", "role": "auditor"}
    first = ok(api.post("/api/v1/accounts", body, {**ADMIN, "Idempotency-Key": key}), 201)
    second = ok(api.post("/api/v1/accounts", body, {**ADMIN, "Idempotency-Key": key}), 201)
    assert first["id"] == second["id"] and first["position"] == second["position"]
    assert first["token"]
    assert second.get("token") != first["token"]


def test_replayed_unit_registration_is_not_already_exists(api: Api) -> None:
    code = unique("u")
    body = {"code": code, "name": "重试登记", "kind": "other"}
    headers = {**ADMIN, "Idempotency-Key": unique("key")}
    first = ok(api.post("/api/v1/units", body, headers), 201)
    second = ok(api.post("/api/v1/units", body, headers), 201)
    assert first == second


def test_a_failed_command_is_not_stored_under_its_key(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    key = unique("key")
    report = {"summary": "尚未下达整改", "evidence": []}
    failed = command(api, fid, "rectification-report", report, inspector, Idempotency_Key=key)
    assert_error(failed, 409, "invalid_transition")
    body = {"deadline": FUTURE, "requirements": "整改"}
    ok(command(api, fid, "rectification-order", body, inspector))
    retried = command(api, fid, "rectification-report", report, inspector, Idempotency_Key=key)
    assert ok(retried)["version"] == 3


@pytest.fixture
def inspector(api: Api) -> dict[str, str]:
    return api.account("inspector")


@pytest.fixture
def fid(api: Api, inspector: dict[str, str]) -> str:
    """A finding the inspector raised on a new unit, that the clients race on."""
    raised: str = api.finding(inspector, api.unit())["id"]
    return raised


def raced(
    client: TestClient, clients: int, send: Callable[[TestClient, int], Response]
) -> list[tuple[int, dict[str, Any]]]:
    """What `clients` threads answered when each, with its own client, sent `send(own, n)` at
    the same moment (after a barrier): the status and body of every answer."""
    barrier = threading.Barrier(clients)
    answers: list[tuple[int, dict[str, Any]]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def race(n: int) -> None:
        try:
            own = TestClient(client.app, raise_server_exceptions=False)
            barrier.wait(timeout=30)
            response = send(own, n)
            with lock:
                answers.append((response.status_code, response.json()))
        except BaseException as error:
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(answers) == clients
    return answers


def test_sixteen_concurrent_orders_with_if_match_one_let_exactly_one_through(
    api: Api, client: TestClient, inspector: dict[str, str], fid: str
) -> None:
    clients = 16
    headers = {**inspector, "If-Match": '"1"'}

    def order(own: TestClient, n: int) -> Response:
        body = {"deadline": FUTURE, "requirements": f"第{n}位督查员下达"}
        return own.post(f"{FINDINGS}/{fid}/rectification-order", json=body, headers=headers)

    answers = raced(client, clients, order)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (clients - 1), answers
    for status, body in answers:
        if status == 409:
            assert body["error"]["code"] == "version_conflict", body
        else:
            assert body["version"] == 2
    got = finding(api, inspector, fid)
    assert got["version"] == 2 and got["status"] == "rectifying"
    assert [e["event_type"] for e in events_of(api, inspector, fid)] == [
        "Raised",
        "RectificationOrdered",
    ]


def test_concurrent_replays_of_one_key_record_the_command_once(
    api: Api, client: TestClient, inspector: dict[str, str], fid: str
) -> None:
    clients = 8
    headers = {**inspector, "Idempotency-Key": unique("key")}

    def replay(own: TestClient, n: int) -> Response:
        return own.post(f"{FINDINGS}/{fid}/escalation", json={"reason": "重试"}, headers=headers)

    answers = raced(client, clients, replay)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * clients, [body for _, body in answers]
    assert {(b["id"], b["version"], b["position"]) for _, b in answers} == {
        (answers[0][1]["id"], 2, answers[0][1]["position"])
    }
    assert [e["event_type"] for e in events_of(api, inspector, fid)] == ["Raised", "Escalated"]


def test_concurrent_escalations_without_if_match_are_all_recorded(
    api: Api, client: TestClient, inspector: dict[str, str], fid: str
) -> None:
    clients = 8

    def escalate(own: TestClient, n: int) -> Response:
        body = {"reason": f"第{n}次督办"}
        return own.post(f"{FINDINGS}/{fid}/escalation", json=body, headers=inspector)

    answers = raced(client, clients, escalate)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * clients, [body for _, body in answers]
    assert sorted(body["version"] for _, body in answers) == list(range(2, clients + 2))
    assert len(events_of(api, inspector, fid)) == clients + 1
