"""Accounts (admin): create with a token shown once, list, revoke; authentication."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import assert_error, ok
from tests.support import ADMIN, Api, bearer, unique

ACCOUNTS = "/api/v1/accounts"
ROLES = ["admin", "inspector", "authority", "supervisor", "auditor", "unit"]


@pytest.mark.parametrize("role", ROLES)
def test_admin_creates_an_account_of_every_role(api: Api, role: str) -> None:
    unit = api.unit() if role == "unit" else None
    name = f"账号 {role}"
    response = api.post(ACCOUNTS, {"name": name, "role": role, "unit_code": unit}, ADMIN)
    created = ok(response, 201)
    assert created["name"] == name
    assert created["role"] == role
    assert created["unit_code"] == unit
    assert created["version"] == 1 and created["position"] > 0
    assert isinstance(created["token"], str) and len(created["token"]) >= 32
    assert response.headers["ETag"] == '"1"'
    # the token works at once
    assert api.get("/api/v1/units/no-such-unit", bearer(created["token"])).status_code == 404


def test_token_is_shown_in_the_creation_answer_but_never_in_the_account_list(api: Api) -> None:
    created = ok(api.post(ACCOUNTS, {"name": "督查员 王芳", "role": "inspector"}, ADMIN), 201)
    token = created["token"]
    assert token
    items, texts, cursor = [], [], None
    while True:
        params = {"min_position": created["position"], "limit": 500}
        page = api.get(ACCOUNTS, ADMIN, **params, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        texts.append(page.text)
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    mine = [a for a in items if a["id"] == created["id"]]
    assert len(mine) == 1
    assert mine[0]["name"] == "督查员 王芳" and mine[0]["role"] == "inspector"
    assert not any(token in text for text in texts)
    for item in items:
        assert "token" not in item and "token_hash" not in item


def test_unit_role_without_unit_code_is_refused(api: Api) -> None:
    response = api.post(ACCOUNTS, {"name": "联络员", "role": "unit"}, ADMIN)
    assert_error(response, 422)


def test_unit_role_with_an_unknown_unit_is_refused(api: Api) -> None:
    body = {"name": "联络员", "role": "unit", "unit_code": unique("nounit")}
    assert_error(api.post(ACCOUNTS, body, ADMIN), 422)


def test_unknown_role_is_refused(api: Api) -> None:
    assert_error(api.post(ACCOUNTS, {"name": "某人", "role": "emperor"}, ADMIN), 422)


@pytest.mark.parametrize("role", ["inspector", "authority", "supervisor", "auditor", "unit"])
def test_non_admin_cannot_create_accounts(api: Api, role: str) -> None:
    who = api.account(role, api.unit() if role == "unit" else None)
    response = api.post(ACCOUNTS, {"name": "越权", "role": "admin"}, who)
    assert_error(response, 403, "forbidden")


def test_non_admin_cannot_list_accounts(api: Api) -> None:
    who = api.account("inspector")
    assert_error(api.get(ACCOUNTS, who), 403, "forbidden")


def test_missing_token_is_unauthorised_with_the_error_format(api: Api) -> None:
    assert_error(api.get("/api/v1/findings", {}), 401, "unauthorized")
    assert_error(api.post(ACCOUNTS, {"name": "x", "role": "admin"}, {}), 401)


def test_unknown_token_is_unauthorised_with_the_error_format(api: Api) -> None:
    assert_error(api.get("/api/v1/findings", bearer("sv_not-a-real-token")), 401)
    assert_error(api.get("/api/v1/units", bearer(unique("guess"))), 401)


def test_a_token_without_the_bearer_scheme_is_unauthorised(api: Api) -> None:
    token = ADMIN["Authorization"].removeprefix("Bearer ")
    assert_error(api.get("/api/v1/units", {"Authorization": f"Basic {token}"}), 401)


def test_revoked_token_is_refused_on_the_very_next_request(api: Api) -> None:
    created = ok(api.post(ACCOUNTS, {"name": "督查员 将离职", "role": "inspector"}, ADMIN), 201)
    who = bearer(created["token"])
    assert api.get("/api/v1/findings", who).status_code == 200
    revoked = api.post(f"{ACCOUNTS}/{created['id']}/revocation", {"reason": "调离岗位"}, ADMIN)
    answer = ok(revoked)
    assert answer["id"] == created["id"] and answer["version"] == 2
    assert_error(api.get("/api/v1/findings", who), 401)


def test_revoked_account_cannot_run_commands(api: Api) -> None:
    unit = api.unit()
    created = ok(api.post(ACCOUNTS, {"name": "督查员 将离职", "role": "inspector"}, ADMIN), 201)
    ok(api.post(f"{ACCOUNTS}/{created['id']}/revocation", {"reason": "调离"}, ADMIN))
    body = {
        "unit_code": unit,
        "title": "已注销账号的问题",
        "description": "不应被记录",
        "category": "other",
        "severity": "minor",
        "source": "other",
        "found_on": "2026-03-05",
    }
    assert_error(api.post("/api/v1/findings", body, bearer(created["token"])), 401)


def test_revoking_twice_is_an_invalid_transition(api: Api) -> None:
    created = ok(api.post(ACCOUNTS, {"name": "临时账号", "role": "auditor"}, ADMIN), 201)
    path = f"{ACCOUNTS}/{created['id']}/revocation"
    ok(api.post(path, {"reason": "到期"}, ADMIN))
    error = assert_error(api.post(path, {"reason": "再次注销"}, ADMIN), 409, "invalid_transition")
    assert error["details"]["status"] == "revoked"


def test_a_revocation_keeps_to_the_version_its_if_match_names(api: Api) -> None:
    """Like every command (the contract's optional If-Match): another version is a 409 and
    the account still works; the version it has revokes it."""
    created = ok(api.post(ACCOUNTS, {"name": "督查员 待核对", "role": "inspector"}, ADMIN), 201)
    path, who = f"{ACCOUNTS}/{created['id']}/revocation", bearer(created["token"])
    stale = api.post(path, {"reason": "调离岗位"}, {**ADMIN, "If-Match": '"2"'})
    assert_error(stale, 409, "version_conflict")
    assert api.get("/api/v1/findings", who).status_code == 200
    ok(api.post(path, {"reason": "调离岗位"}, {**ADMIN, "If-Match": '"1"'}))
    assert_error(api.get("/api/v1/findings", who), 401)


def test_revoking_an_unknown_account_is_not_found(api: Api) -> None:
    path = f"{ACCOUNTS}/00000000-0000-4000-8000-000000000000/revocation"
    assert_error(api.post(path, {"reason": "无此账号"}, ADMIN), 404, "not_found")


def test_an_accounts_events_show_who_created_and_revoked_it_without_the_token_hash(
    api: Api,
) -> None:
    created = api.post("/api/v1/accounts", {"name": "临时督查员", "role": "inspector"}, ADMIN)
    account_id = created.json()["id"]
    api.post(f"/api/v1/accounts/{account_id}/revocation", {"reason": "借调结束"}, ADMIN)
    auditor = api.account("auditor")
    events = api.get(f"/api/v1/accounts/{account_id}/events", auditor).json()["items"]
    assert [e["event_type"] for e in events] == ["Created", "Revoked"]
    assert events[0]["data"]["role"] == "inspector" and "token_hash" not in events[0]["data"]
    assert events[1]["data"]["reason"] == "借调结束"
    inspector = api.account("inspector")
    assert api.get(f"/api/v1/accounts/{account_id}/events", inspector).status_code == 403


def test_the_global_event_log_shows_an_account_created_without_its_token_hash(api: Api) -> None:
    """Issue 21 item 7: the auditor's log reads the Account.Created event — name and role — but
    not the hash of its token, which stays in the stored and chained event."""
    created = ok(api.post(ACCOUNTS, {"name": "日志账号", "role": "inspector"}, ADMIN), 201)
    auditor = api.account("auditor")
    after = created["position"] - 1
    page = ok(api.get("/api/v1/events", auditor, after=after, limit=1))
    [entry] = page["items"]
    assert entry["aggregate_id"] == created["id"] and entry["event_type"] == "Created"
    assert entry["data"]["name"] == "日志账号" and entry["data"]["role"] == "inspector"
    assert "token_hash" not in entry["data"]
    assert entry["hash"] is not None
