"""Accounts are kept in memory between requests, and forgotten the moment one changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.runtime.bootstrap import Services, build
from api.runtime.kept import ACCOUNTS, UNITS, Kept
from domain.accounts import Account, hash_token
from domain.actors import Actor
from domain.units import Unit
from domain.vocabulary import Role
from infra.listener import Listener
from tests.support import ADMIN, Api, bearer

OTHER_ADMIN = Actor(id="admin-elsewhere", name="另一进程的管理员", role=Role.ADMIN)


@pytest.fixture
def elsewhere(shared_services: Services) -> Iterator[Services]:
    """The command side of another process of the service, on the same database."""
    other = build(shared_services.settings, runners="off")
    yield other
    other.close()


def new_inspector(api: Api) -> tuple[UUID, str]:
    response = api.post("/api/v1/accounts", {"name": "督查员 孙", "role": "inspector"}, ADMIN)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"]), response.json()["token"]


def status_with(client: TestClient, token: str) -> int:
    return client.get("/api/v1/findings", headers=bearer(token)).status_code


def test_an_account_revoked_by_another_process_is_refused_once_postgresql_notifies(
    api: Api, client: TestClient, shared_services: Services, elsewhere: Services
) -> None:
    account_id, token = new_inspector(api)
    deadline = time.monotonic() + 5
    while shared_services.accounts.cached(hash_token(token)) is None:  # once it listens
        assert time.monotonic() < deadline, "the account is never kept"
        assert status_with(client, token) == 200
        time.sleep(0.01)
    # Revoked by another process (as `supervision accounts revoke` would be): this one
    # learns of it only from PostgreSQL's notification.
    elsewhere.app.revoke_account(account_id, reason="调离岗位", actor=OTHER_ADMIN)
    deadline = time.monotonic() + 5
    while status_with(client, token) != 401:
        assert time.monotonic() < deadline, "the revoked token is still accepted after 5 s"
        time.sleep(0.01)


def test_a_revocation_over_http_refuses_the_very_next_request(api: Api, client: TestClient) -> None:
    account_id, token = new_inspector(api)
    assert status_with(client, token) == 200  # kept
    response = api.post(f"/api/v1/accounts/{account_id}/revocation", {"reason": "离职"}, ADMIN)
    assert response.status_code == 200, response.text
    assert status_with(client, token) == 401


def test_a_command_forgets_what_its_process_keeps_of_the_kind_it_changed_before_answering(
    api: Api, elsewhere: Services
) -> None:
    """No notification can reach these caches (they have no listener): only the process's own
    command empties them, and only the one of the kind it changed."""
    account_id, token = new_inspector(api)
    accounts, units = Kept(None, ACCOUNTS), Kept(None, UNITS)
    for kept in (accounts, units):
        kept.listening_changed(True)  # as if it listened
    accounts.get(hash_token(token), elsewhere.app.find_account)
    units.get("kept-unit", lambda code: code)
    elsewhere.app.kept = {Account: accounts, Unit: units}
    elsewhere.app.revoke_account(account_id, reason="调离岗位", actor=OTHER_ADMIN)
    assert accounts.cached(hash_token(token)) is None
    assert units.cached("kept-unit") == "kept-unit"


def test_an_account_loaded_while_it_changes_is_not_kept(shared_services: Services) -> None:
    listener = Listener(shared_services.database)
    cache = Kept(listener, ACCOUNTS)
    try:
        deadline = time.monotonic() + 5
        while not cache.listening:
            assert time.monotonic() < deadline, "the cache never started listening"
            time.sleep(0.01)

        def load_during_a_change(token_hash: str) -> Any:
            cache.invalidate()  # a notification arrives while the account is being read
            return object()

        assert cache.get("h1", load_during_a_change) is not None
        assert cache.cached("h1") is None, "what was read before the change is not kept"
        kept = object()
        assert cache.get("h2", lambda _: kept) is kept
        assert cache.cached("h2") is kept
        listener.close()  # its connection gone: what was kept is forgotten
        assert not cache.listening and cache.cached("h2") is None
    finally:
        listener.close()


def test_without_a_listener_the_cache_keeps_nothing() -> None:
    cache = Kept(None, ACCOUNTS)  # a one-shot command listens to nothing
    assert not cache.listening
    loads: list[str] = []

    def load(token_hash: str) -> object:
        loads.append(token_hash)
        return object()

    cache.get("h", load)
    cache.get("h", load)
    assert loads == ["h", "h"] and cache.cached("h") is None


def test_a_unit_merged_by_another_process_takes_no_new_finding_once_postgresql_notifies(
    api: Api, client: TestClient, shared_services: Services, elsewhere: Services
) -> None:
    old, successor = api.unit("县档案局", "agency"), api.unit("县委办公室", "department")
    inspector = bearer(new_inspector(api)[1])
    finding = {
        "unit_code": old,
        "title": "档案管理不规范",
        "description": "归档不及时。",
        "category": "work_style",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": "2026-01-05",
        "evidence": [],
    }
    deadline = time.monotonic() + 5
    while shared_services.units.cached(old) is None:  # kept once the cache listens
        assert time.monotonic() < deadline, "the unit is never kept"
        assert client.post("/api/v1/findings", json=finding, headers=inspector).status_code == 201
        time.sleep(0.01)
    # Merged on the command side of "another process": this one has only the notification.
    elsewhere.app.merge_unit(
        old, into=successor, reason="机构改革", effective_on=date(2026, 2, 1), actor=OTHER_ADMIN
    )
    deadline = time.monotonic() + 5
    while (
        answer := client.post("/api/v1/findings", json=finding, headers=inspector)
    ).status_code == 201:
        assert time.monotonic() < deadline, "the merged unit still takes findings after 5 s"
        time.sleep(0.01)
    assert answer.json()["error"]["code"] == "unit_inactive", answer.text
