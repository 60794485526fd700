"""Conventions for bad input: the error format, body limits, text limits, If-Match."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.e2e.helpers import (
    FINDINGS,
    FUTURE,
    assert_error,
    command,
    events_of,
    finding,
    finding_body,
    ok,
    order,
)
from tests.support import ADMIN, Api, unique

MIB = 1024 * 1024


def test_malformed_json_is_a_bad_request_with_the_error_format(
    api: Api, client: TestClient
) -> None:
    response = client.post(
        "/api/v1/units",
        content=b'{"code": "x", "name": ',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    error = assert_error(response, 400)
    assert error["code"] != "validation_error"


def test_malformed_json_on_a_finding_command_is_a_bad_request(api: Api, client: TestClient) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    response = client.post(
        f"{FINDINGS}/{fid}/withdrawal",
        content=b"{reason: unquoted}",
        headers={**inspector, "Content-Type": "application/json"},
    )
    assert_error(response, 400)
    assert finding(api, inspector, fid)["version"] == 1


def test_body_over_one_mebibyte_is_payload_too_large(api: Api, client: TestClient) -> None:
    inspector = api.account("inspector")
    unit = api.unit()
    big = json.dumps(finding_body(unit, description="问" * (MIB // 2))).encode()
    assert len(big) > MIB
    response = client.post(
        FINDINGS, content=big, headers={**inspector, "Content-Type": "application/json"}
    )
    assert_error(response, 413)


def test_a_streamed_body_over_one_mebibyte_is_payload_too_large(
    api: Api, client: TestClient
) -> None:
    chunk = b" " * (64 * 1024)

    def chunks() -> object:
        yield b'{"code": "x", "name": "y", "kind": "other"'
        for _ in range(20):  # 1.25 MiB of whitespace, no Content-Length
            yield chunk
        yield b"}"

    response = client.post(
        "/api/v1/units",
        content=chunks(),  # type: ignore[arg-type]
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert_error(response, 413)


def test_a_body_just_under_the_limit_is_not_refused_for_its_size(
    api: Api, client: TestClient
) -> None:
    code = unique("u")
    body = json.dumps({"code": code, "name": "某单位", "kind": "other"}).encode()
    padded = body[:-1] + b" " * (MIB - len(body) - 10) + b"}"
    assert len(padded) < MIB
    response = client.post(
        "/api/v1/units", content=padded, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_an_over_long_title_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    unit = api.unit()
    response = api.post(FINDINGS, finding_body(unit, title="长" * 10_000), inspector)
    assert_error(response, 422)


def test_an_empty_title_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    response = api.post(FINDINGS, finding_body(api.unit(), title=""), inspector)
    assert_error(response, 422)


def test_an_over_long_unit_name_is_refused(api: Api) -> None:
    body = {"code": unique("u"), "name": "名" * 10_000, "kind": "other"}
    assert_error(api.post("/api/v1/units", body, ADMIN), 422)


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_nul_character_in_a_finding_text_field_is_refused(api: Api, field: str) -> None:
    inspector = api.account("inspector")
    response = api.post(FINDINGS, finding_body(api.unit(), **{field: "前\x00后"}), inspector)
    assert_error(response, 422)


def test_a_nul_character_in_a_command_reason_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    response = command(api, fid, "withdrawal", {"reason": "误报\x00"}, inspector)
    assert_error(response, 422)
    assert finding(api, inspector, fid)["status"] == "raised"


def test_a_nul_character_in_an_account_name_is_refused(api: Api) -> None:
    response = api.post("/api/v1/accounts", {"name": "张\x00三", "role": "auditor"}, ADMIN)
    assert_error(response, 422)


def test_a_nul_character_in_the_search_text_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.get(FINDINGS, inspector, q="资金\x00"), 422)


def test_a_missing_required_field_is_a_validation_error(api: Api) -> None:
    inspector = api.account("inspector")
    body = finding_body(api.unit())
    del body["title"]
    error = assert_error(api.post(FINDINGS, body, inspector), 422)
    assert "details" in error


def test_a_json_array_body_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    assert_error(api.post(FINDINGS, [1, 2, 3], inspector), 422)


def test_an_evidence_hash_that_is_not_sha256_is_refused(api: Api) -> None:
    inspector = api.account("inspector")
    evidence = [{"name": "a.pdf", "sha256": "not-a-hash", "size": 1}]
    assert_error(api.post(FINDINGS, finding_body(api.unit(), evidence=evidence), inspector), 422)


def test_stale_if_match_is_a_version_conflict_and_records_nothing(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    order(api, inspector, fid)
    response = command(api, fid, "escalation", {"reason": "基于旧版本"}, inspector, If_Match='"1"')
    assert_error(response, 409, "version_conflict")
    got = finding(api, inspector, fid)
    assert got["version"] == 2
    assert [e["event_type"] for e in events_of(api, inspector, fid)] == [
        "Raised",
        "RectificationOrdered",
    ]


def test_current_if_match_lets_the_command_through(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    body = {"deadline": FUTURE, "requirements": "整改"}
    response = command(api, fid, "rectification-order", body, inspector, If_Match='"1"')
    assert ok(response)["version"] == 2


def test_if_match_ahead_of_the_finding_is_a_version_conflict(api: Api) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    response = command(api, fid, "withdrawal", {"reason": "x"}, inspector, If_Match='"7"')
    assert_error(response, 409, "version_conflict")
    assert finding(api, inspector, fid)["status"] == "raised"


def test_stale_if_match_on_a_unit_renaming_is_a_version_conflict(api: Api) -> None:
    code = api.unit("旧名")
    body = {"name": "新名", "reason": "更名", "effective_on": "2026-01-01"}
    ok(api.post(f"/api/v1/units/{code}/renaming", body, ADMIN))
    again = {"name": "更新名", "reason": "再更名", "effective_on": "2026-02-01"}
    response = api.post(f"/api/v1/units/{code}/renaming", again, {**ADMIN, "If-Match": '"1"'})
    assert_error(response, 409, "version_conflict")
    assert ok(api.get(f"/api/v1/units/{code}", ADMIN))["name"] == "新名"


@pytest.mark.parametrize("value", ["abc", '"two"', "1.5", '"-1"'])
def test_a_garbage_if_match_is_a_bad_request(api: Api, value: str) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    response = command(api, fid, "withdrawal", {"reason": "x"}, inspector, If_Match=value)
    assert_error(response, 400)
    assert finding(api, inspector, fid)["status"] == "raised"


def test_an_unknown_path_is_not_found_with_the_error_format(api: Api) -> None:
    assert_error(api.get("/api/v1/no-such-thing", ADMIN), 404)


def test_a_wrong_method_answers_with_the_error_format(api: Api, client: TestClient) -> None:
    response = client.delete("/api/v1/units", headers=ADMIN)
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


@pytest.mark.parametrize(
    ("sent", "status"),
    [('"1"', 200), ("1", 200), ('W/"1"', 200), ('"1', 400), ('1"', 400), ('""', 400)],
)
def test_if_match_is_a_version_quoted_or_bare_but_not_half_quoted(
    api: Api, sent: str, status: int
) -> None:
    inspector = api.account("inspector")
    fid = api.finding(inspector, api.unit())["id"]
    answer = api.client.post(
        f"{FINDINGS}/{fid}/escalation",
        json={"reason": "逾期未整改"},
        headers={**inspector, "If-Match": sent},
    )
    assert answer.status_code == status, answer.text
    if status == 400:
        assert_error(answer, 400, "invalid_if_match")
