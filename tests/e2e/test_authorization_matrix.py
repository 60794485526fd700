"""The authorization matrix of docs/security.md, cell by cell, against the running app.

The matrix is parsed out of the document (between its two markers), so the document and
this test cannot drift: every row is called with a token of every role and with none, and
the app's routes and the document's rows must be the same set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.e2e.helpers import assert_error
from tests.security_matrix import CONSOLE, MATRIX, ROLES, UNKNOWN_ID, Row
from tests.support import ADMIN, Api, unique


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers (HEAD beside GET left out)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before route contexts: the routes are already flat
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    served = set()
    for route in routes:
        methods = getattr(route, "methods", None) or {"GET"}
        for method in methods - {"HEAD"}:
            served.add((method, route.path))
    return served


def concrete(path: str) -> str:
    """A template filled with ids that name nothing: allowed roles get 404/422, not 401/403."""
    path = path.replace("{code}", "no-such-unit-zz").replace("{name}", "no-such-projection")
    path = path.replace("{number}", "1").replace("{position}", "1").replace("{seq}", "1")
    path = path.replace("{sha256}", "0" * 64)
    return re.sub(r"\{[a-z_]*id\}", UNKNOWN_ID, path)


@pytest.fixture(scope="module")
def tokens(client: TestClient) -> Iterator[dict[str, dict[str, str]]]:
    api = Api(client)
    unit = api.unit("矩阵测试单位")
    who = {role: api.account(role, unit if role == "unit" else None) for role in ROLES[:-1]}
    yield {**who, "anonymous": {}}


def call(client: TestClient, row: Row, headers: dict[str, str]) -> Any:
    path = concrete(row.path)
    if row.method == "GET":
        return client.get(path, headers=headers)
    return client.request(row.method, path, json={}, headers=headers)


@pytest.mark.parametrize("row", MATRIX, ids=[f"{r.method} {r.path}" for r in MATRIX])
def test_every_role_gets_what_the_matrix_says(
    client: TestClient, tokens: dict[str, dict[str, str]], row: Row
) -> None:
    wrong = []
    for role in ROLES:
        response = call(client, row, tokens[role])
        if row.allowed[role]:
            if response.status_code in (401, 403):
                wrong.append(f"{role}: {response.status_code}, expected access")
            continue
        expected = 401 if role == "anonymous" else 403
        if response.status_code != expected:
            wrong.append(f"{role}: {response.status_code}, expected {expected}")
        else:
            assert_error(response, expected, "unauthorized" if expected == 401 else "forbidden")
    assert not wrong, f"{row.method} {row.path}: {wrong}"


def documented(app: FastAPI) -> set[tuple[str, str]]:
    """Every route the document lists; the console's only when the app has a console."""
    console = {(method, path) for method, path, _ in CONSOLE}
    has_console = bool(console & served_routes(app))
    return {row.key for row in MATRIX} | (console if has_console else set())


def test_every_route_the_app_serves_is_in_the_matrix(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    missing = served_routes(client.app) - documented(client.app)
    assert not missing, f"routes served but not in docs/security.md: {sorted(missing)}"


def test_every_row_of_the_matrix_is_a_route_the_app_serves(client: TestClient) -> None:
    assert isinstance(client.app, FastAPI)
    stale = documented(client.app) - served_routes(client.app)
    assert not stale, f"rows in docs/security.md the app does not serve: {sorted(stale)}"


@pytest.mark.parametrize(
    ("method", "path", "mark"), CONSOLE, ids=[f"{m} {p}" for m, p, _ in CONSOLE]
)
def test_the_console_shows_an_anonymous_visitor_only_what_the_document_says(
    client: TestClient, method: str, path: str, mark: str
) -> None:
    assert isinstance(client.app, FastAPI)
    assert (method, path) in served_routes(client.app), "the app serves its web console"
    response = client.request(
        method, concrete(path).replace("{action}", "withdrawal"), follow_redirects=False
    )
    if mark == "sign-in":
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/signin")
    elif mark == "csrf":
        assert response.status_code == 403, response.text
    else:
        assert response.status_code not in (401, 403), response.text


def test_the_matrix_lists_each_route_once() -> None:
    keys = [row.key for row in MATRIX] + [(method, path) for method, path, _ in CONSOLE]
    assert len(keys) == len(set(keys))


def test_anonymous_is_refused_wherever_a_signed_in_role_is() -> None:
    # A route some role may not use is never open to anyone without a token.
    for row in MATRIX:
        if not all(row.allowed[role] for role in ROLES[:-1]):
            assert not row.allowed["anonymous"], row


def test_a_revoked_admin_token_is_refused_on_a_matrix_route(api: Api) -> None:
    created = api.post("/api/v1/accounts", {"name": "将注销的管理员", "role": "admin"}, ADMIN)
    token, account_id = created.json()["token"], created.json()["id"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/accounts", headers).status_code == 200
    revoked = api.post(f"/api/v1/accounts/{account_id}/revocation", {"reason": "离职"}, ADMIN)
    assert revoked.status_code == 200, revoked.text
    assert_error(api.get("/api/v1/accounts", headers), 401, "unauthorized")


# Not yours, or not there: the same answer (issue 21 item 8) --------------------------------

BODIES: dict[str, dict[str, Any]] = {
    "rectification-report": {"summary": "已整改", "evidence": []},
    "progress": {"note": "推进中", "percent": 50},
    "appeal": {"grounds": "对认定事实有异议"},
    "statement": {"statement": "对认定事实无异议", "made_on": "2026-01-05"},
    "procedure-steps": {"step": "public_participation", "done_on": "2026-01-05"},
    "decision": {"decided_on": "2026-01-05", "summary": "集体讨论通过"},
    "implementation": {"implemented_on": "2026-01-06"},
    "rectification": {"summary": "已整改", "evidence": []},
    "dispute": {"reason": "不属本单位职责"},
    "extension-application": {"new_deadline": "2099-12-31", "reason": "申请延期"},
    "milestones": {"title": "制定方案", "due_on": "2026-06-30"},
    "completion": {"reached_on": "2026-06-01"},
    "delisting": {"reason": "调离"},
    "withdrawal": {"reason": "事项取消"},
}


@pytest.fixture(scope="module")
def elsewhere(client: TestClient) -> dict[str, str]:
    """A record of every kind, of a unit other than the unit account's: the path
    parameters that name them."""
    api = Api(client)
    unit = api.unit("别人的单位")
    inspector = api.account("inspector")
    finding = api.finding(inspector, unit)["id"]
    item = api.post(
        "/api/v1/work-items",
        {"title": "别人的工作", "year": 2026, "lead_unit": unit, "co_units": [],
         "due_on": "2026-12-31"},
        ADMIN,
    ).json()["id"]  # fmt: skip
    ruling = api.post(
        "/api/v1/rulings/fault-tolerance",
        {"subject": {"unit_code": unit}, "finding_ids": [finding], "grounds": "先行先试",
         "criteria_claimed": ["pilot_inexperience"]},
        inspector,
    ).json()["id"]  # fmt: skip
    decision = api.post(
        "/api/v1/major-decisions", {"title": "别人的决策", "year": 2026, "unit_code": unit}, ADMIN
    ).json()["id"]
    commendation = api.post(
        "/api/v1/commendations",
        {"kind": "commendation_notice", "unit_code": unit, "year": 2026, "reason": "工作突出",
         "decided_on": "2026-01-05"},
        ADMIN,
    ).json()["id"]  # fmt: skip
    certificate = unique("证")
    officer = {"name": "执法员", "unit_code": unit, "certificate": certificate,
               "valid_until": "2099-12-31"}  # fmt: skip
    api.post("/api/v1/enforcement-officers", officer, ADMIN).raise_for_status()
    matter = api.post(
        "/api/v1/spot-check-matters",
        {"unit_code": unit, "title": "别人的抽查事项", "legal_basis": "依据", "method": "实地核查",
         "share_percent": 10, "rounds_per_year": 1},
        ADMIN,
    ).json()["id"]  # fmt: skip
    return {
        "code": unit,
        "certificate": certificate,
        "matter_id": matter,
        "commendation_id": commendation,
        "finding_id": finding,
        "item_id": item,
        "ruling_id": ruling,
        "decision_id": decision,
    }


# Every account may read these of any unit: the unit directory and the published catalogue
# of major decisions (目录公开); everything else of another unit is not there for a unit.
OPEN_TO_EVERY_ACCOUNT = {
    "/api/v1/units/{code}",
    "/api/v1/units/{code}/events",
    "/api/v1/major-decisions/{decision_id}",
    "/api/v1/major-decisions/{decision_id}/events",
}
SCOPED = [
    row
    for row in MATRIX
    if row.allowed["unit"]
    and row.path not in OPEN_TO_EVERY_ACCOUNT
    and re.search(
        r"\{(code|finding_id|item_id|ruling_id|decision_id|commendation_id|certificate|matter_id)\}",
        row.path,
    )
]


@pytest.mark.parametrize("row", SCOPED, ids=[f"{r.method} {r.path}" for r in SCOPED])
def test_a_unit_account_is_told_the_same_of_anothers_record_as_of_one_that_does_not_exist(
    client: TestClient, tokens: dict[str, dict[str, str]], elsewhere: dict[str, str], row: Row
) -> None:
    def answer(ids: dict[str, str]) -> tuple[int, Any]:
        path = row.path.replace("{number}", "1")
        for name, value in ids.items():
            path = path.replace("{" + name + "}", value)
        body = BODIES.get(row.path.rsplit("/", 1)[-1], {})
        params = {"year": 2026} if path.endswith(("/scorecard", "/year-end-score")) else None
        response = client.request(
            row.method, path, json=body, params=params, headers=tokens["unit"]
        )
        return response.status_code, response.json()

    unknown = {name: UNKNOWN_ID for name in elsewhere} | {"code": "no-such-unit-zz"}
    theirs, missing = answer(elsewhere), answer(unknown)
    assert theirs[0] == 404, theirs
    assert theirs == missing
