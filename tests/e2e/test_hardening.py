"""Hardening: security headers on every answer, CORS only when configured, a per-token
limit on commands, and the read-access log (who viewed which finding or ruling, when)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.http.security import CONTENT_SECURITY_POLICY
from api.main import create_app
from api.runtime.bootstrap import Services
from tests.e2e.console import console_as
from tests.e2e.helpers import FINDINGS, all_items, assert_error, ok
from tests.support import ADMIN, Api

ACCESS_LOG = "/api/v1/audit/access-log"


def assert_security_headers(response: Response) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers  # plain http here


@pytest.mark.parametrize(
    ("method", "path", "auth", "status"),
    [
        ("GET", "/api/v1/units", True, 200),
        ("GET", "/api/v1/units", False, 401),
        ("GET", "/api/v1/no-such-thing", True, 404),
        ("POST", "/api/v1/units", True, 422),
        ("GET", "/api/v1/audit/verification", False, 401),
    ],
)
def test_every_api_answer_carries_the_security_headers_and_no_store(
    client: TestClient, method: str, path: str, auth: bool, status: int
) -> None:
    response = client.request(method, path, json={}, headers=ADMIN if auth else {})
    assert response.status_code == status, response.text
    assert_security_headers(response)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"


def test_the_policy_allows_only_this_origin_and_no_inline_script() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_operations_answers_and_oversized_bodies_carry_the_headers_too(
    client: TestClient,
) -> None:
    assert_security_headers(client.get("/healthz"))
    big = client.post(
        "/api/v1/units",
        content=b"x" * (2 * 1024 * 1024),
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert big.status_code == 413
    assert_security_headers(big)


def test_downloads_and_pages_are_not_stored_and_only_the_consoles_assets_may_be(
    client: TestClient,
) -> None:
    with console_as(client, ADMIN) as browser:
        export = browser.get("/ledger/export.xlsx")
        assert export.status_code == 200, export.text
        assert export.headers["content-disposition"].startswith("attachment")
        assert export.headers["cache-control"] == "no-store"
        assert browser.get("/").headers["cache-control"] == "no-store"
    assert client.get("/healthz").headers["cache-control"] == "no-store"
    asset = client.get("/static/console.css")
    assert asset.status_code == 200
    assert "cache-control" not in asset.headers
    assert_security_headers(asset)


def test_hsts_only_over_https(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/healthz").headers
    secure = client.get("https://testserver/healthz")
    assert secure.headers["strict-transport-security"].startswith("max-age=")


@pytest.fixture
def app_with(shared_services: Services) -> Iterator[Any]:
    """Another app on the shared services, built with other settings."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = shared_services.settings.model_copy(update=overrides)
        client = TestClient(create_app(settings, services=shared_services))
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def test_an_unexpected_error_is_a_500_with_the_headers_and_the_error_body(
    shared_services: Services,
) -> None:
    app = create_app(shared_services.settings, services=shared_services)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert_error(response, 500, "internal_error")
    assert_security_headers(response)
    assert "boom" not in response.text


def test_cors_is_off_unless_configured(client: TestClient) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    preflight = client.options(
        "/api/v1/units",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_configured_origins_may_call_the_api_and_others_may_not(app_with: Any) -> None:
    client = app_with(cors_origins=["https://console.example"])
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization",
    }
    allowed = client.options(
        "/api/v1/units", headers={"Origin": "https://console.example", **asked}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://console.example"
    refused = client.options("/api/v1/units", headers={"Origin": "https://evil.example", **asked})
    assert "access-control-allow-origin" not in refused.headers
    read = client.get("/api/v1/units", headers={**ADMIN, "Origin": "https://console.example"})
    assert read.headers["access-control-allow-origin"] == "https://console.example"
    assert_security_headers(read)


def test_commands_over_the_rate_limit_get_429_with_retry_after(app_with: Any) -> None:
    client = app_with(write_rate_limit=3)
    api = Api(client)
    inspector = api.account("inspector")  # the admin's three commands start here
    for _ in range(2):
        api.account("supervisor")
    limited = api.post("/api/v1/accounts", {"name": "第四个", "role": "auditor"}, ADMIN)
    error = assert_error(limited, 429, "too_many_requests")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert error["details"]["limit"] == 3
    assert_security_headers(limited)
    # reads are never limited, and another token has a budget of its own
    for _ in range(5):
        ok(api.get("/api/v1/units", ADMIN))
    assert api.post(FINDINGS, {}, inspector).status_code == 422


def test_there_is_no_rate_limit_unless_configured(api: Api) -> None:
    statuses = {api.post("/api/v1/units", {}, ADMIN).status_code for _ in range(30)}
    assert statuses == {422}


# -- the read-access log --------------------------------------------------------------------------


@pytest.fixture
def viewed(api: Api) -> dict[str, Any]:
    """A finding and a ruling, and an account of each of two units that looked at them."""
    unit, other = api.unit(), api.unit()
    inspector = api.account("inspector")
    reader, stranger = api.account("supervisor", name="领导 陈明"), api.account("unit", other)
    finding = api.finding(inspector, unit)["id"]
    ruling = api.accountability(inspector, unit, [finding])["id"]
    since = datetime.now(UTC).isoformat()
    ok(api.get(f"{FINDINGS}/{finding}", reader))
    ok(api.get(f"{FINDINGS}/{finding}/events", reader))
    ok(api.get(f"/api/v1/rulings/{ruling}", reader))
    assert_error(api.get(f"{FINDINGS}/{finding}", stranger), 404)  # shown nothing: not a view
    return {"finding": finding, "ruling": ruling, "reader": reader, "since": since}


def entries(api: Api, **query: Any) -> list[dict[str, Any]]:
    return all_items(api, ACCESS_LOG, api.account("auditor"), **query)


def test_each_view_of_a_finding_or_ruling_is_logged_with_who_and_when(
    api: Api, viewed: dict[str, Any]
) -> None:
    logged = entries(api, subject_id=viewed["finding"])
    assert [e["path"] for e in logged] == [
        f"{FINDINGS}/{viewed['finding']}",
        f"{FINDINGS}/{viewed['finding']}/events",
    ]
    for entry in logged:
        assert entry["subject_type"] == "finding"
        assert entry["actor"]["name"] == "领导 陈明" and entry["actor"]["role"] == "supervisor"
        assert datetime.fromisoformat(entry["accessed_at"]) >= datetime.fromisoformat(
            viewed["since"]
        )
    (ruling,) = entries(api, subject_id=viewed["ruling"])
    assert ruling["subject_type"] == "ruling"


def test_the_log_filters_by_actor_and_time_and_pages(api: Api, viewed: dict[str, Any]) -> None:
    actor_id = entries(api, subject_id=viewed["ruling"])[0]["actor"]["id"]
    by_actor = entries(api, actor_id=actor_id)
    assert {e["subject_id"] for e in by_actor} == {viewed["finding"], viewed["ruling"]}
    assert entries(api, actor_id=actor_id, after=datetime.now(UTC).isoformat()) == []
    first = ok(api.get(ACCESS_LOG, ADMIN, actor_id=actor_id, limit=1))
    assert len(first["items"]) == 1 and first["next_cursor"]


def test_a_refused_view_is_not_logged_as_a_view(api: Api, viewed: dict[str, Any]) -> None:
    roles = {e["actor"]["role"] for e in entries(api, subject_id=viewed["finding"])}
    assert roles == {"supervisor"}


def test_viewing_adds_nothing_to_the_event_log(
    api: Api, viewed: dict[str, Any], shared_services: Services
) -> None:
    head = shared_services.head()
    ok(api.get(f"{FINDINGS}/{viewed['finding']}", viewed["reader"]))
    assert shared_services.head() == head


def test_an_unparseable_time_or_cursor_is_a_client_error(api: Api) -> None:
    assert_error(api.get(ACCESS_LOG, ADMIN, after="yesterday"), 422)
    assert_error(api.get(ACCESS_LOG, ADMIN, after="2026-01-01T00:00:00"), 422)  # no offset
    assert_error(api.get(ACCESS_LOG, ADMIN, cursor="not-a-cursor"), 400)
