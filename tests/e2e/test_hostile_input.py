"""Hostile input: oversized, deeply nested or non-UTF-8 bodies are client errors, never 500s;
text that looks like SQL or HTML is data, stored and answered verbatim."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.runtime.bootstrap import Services
from tests.e2e.helpers import FINDINGS, all_items, assert_error, finding, ok
from tests.support import ADMIN, Api, unique

JSON = {**ADMIN, "Content-Type": "application/json"}
SQL_TEXT = "x'); DROP TABLE supervision_events; -- \" OR 1=1; SELECT pg_sleep(10);"
HTML_TEXT = '<script>alert("督查")</script><img src=x onerror=alert(1)>&amp;'


def test_a_body_over_the_limit_is_413_even_without_a_content_length(client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b" " * 65536

    response = client.post("/api/v1/accounts", content=chunks(), headers=JSON)
    assert_error(response, 413, "payload_too_large")


def test_a_declared_length_over_the_limit_is_413_before_reading(client: TestClient) -> None:
    response = client.post(
        "/api/v1/units", content=b"{}", headers={**JSON, "Content-Length": str(50 * 1024 * 1024)}
    )
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"name": ' + b"[" * 100_000,
    ],
    ids=["arrays", "objects", "unterminated"],
)
def test_deeply_nested_json_is_a_client_error(client: TestClient, body: bytes) -> None:
    response = client.post("/api/v1/units", content=body, headers=JSON)
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, response.status_code)


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": "u-x", "name": "\xff\xfe", "kind": "other"}',
        b'{"code": "u-x", "name": "\xe4\xb8", "kind": "other"}',  # cut in mid-character
        '{"code": "u-x", "name": "\ud800", "kind": "other"}'.encode("utf-8", "surrogatepass"),
        b'{"code": "u-x", "name": "\\ud800", "kind": "other"}',  # an escaped lone surrogate
    ],
    ids=["invalid-bytes", "truncated", "raw-surrogate", "escaped-surrogate"],
)
def test_text_that_is_not_utf8_is_a_client_error(client: TestClient, body: bytes) -> None:
    response = client.post("/api/v1/units", content=body, headers=JSON)
    assert response.status_code in (400, 422), response.text
    assert_error(response, response.status_code)


def test_invalid_utf8_in_the_query_or_path_is_not_a_server_error(client: TestClient) -> None:
    for path in ("/api/v1/findings?q=%FF%FE", "/api/v1/units/%FF%C0", "/api/v1/findings/%ED%A0%80"):
        response = client.get(path, headers=ADMIN)
        assert response.status_code < 500, (path, response.text)


def test_a_header_that_is_not_utf8_is_unauthorised(client: TestClient) -> None:
    response = client.get("/api/v1/units", headers={"Authorization": b"Bearer \xff\xfe"})
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("text", [SQL_TEXT, HTML_TEXT], ids=["sql", "html"])
def test_sql_and_html_looking_text_is_stored_and_answered_verbatim(
    api: Api, shared_services: Services, text: str
) -> None:
    unit = api.unit(name=text[:100])
    inspector = api.account("inspector", name=text[:100])
    created = api.finding(inspector, unit, title=text[:200], description=text)
    shown = finding(api, inspector, created["id"])
    assert shown["title"] == text[:200] and shown["description"] == text
    response = api.get(f"{FINDINGS}/{created['id']}", inspector)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert ok(api.get(f"/api/v1/units/{unit}", ADMIN))["name"] == text[:100]
    events = ok(api.get(f"{FINDINGS}/{created['id']}/events", inspector))["items"]
    assert events[0]["actor"]["name"] == text[:100]
    # nothing was executed: the log is still there and still verifies
    assert shared_services.head() >= created["position"]
    assert ok(api.get("/api/v1/audit/verification", ADMIN))["ok"] is True


@pytest.mark.parametrize("q", ["%", "_", "\\", "' OR '1'='1", "%' --", "<b>"])
def test_search_text_is_matched_literally(api: Api, q: str) -> None:
    unit = api.unit()
    inspector = api.account("inspector")
    plain = api.finding(inspector, unit, title="普通标题")
    items = all_items(api, FINDINGS, inspector, unit_code=unit, q=q, min_position=plain["position"])
    assert items == []


def test_an_over_long_unit_code_in_a_query_is_refused(api: Api) -> None:
    assert_error(api.get(FINDINGS, ADMIN, unit_code=unique("u") * 20), 422)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/public/spot-check-matters?unit_code=%00",
        "/api/v1/spot-check-matters?unit_code=%00",
        "/api/v1/enforcement-officers?unit_code=%00",
        "/api/v1/privacy/subjects?unit_code=%00",
        "/api/v1/findings?q=%00",
    ],
)
def test_a_nul_in_a_list_filter_is_a_validation_error_on_every_list(
    client: TestClient, path: str
) -> None:
    """A NUL no text column can hold never reaches a query (it was a 500 on some lists)."""
    assert_error(client.get(path, headers=ADMIN), 422, "validation_error")


def test_a_nul_in_an_officers_certificate_is_no_officer(client: TestClient) -> None:
    delisting = client.post(
        "/api/v1/enforcement-officers/%00/delisting", json={"reason": "调离"}, headers=ADMIN
    )
    assert_error(delisting, 404, "not_found")
