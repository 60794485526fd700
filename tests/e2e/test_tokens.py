"""Tokens: 256 random bits, kept only as a hash, compared in constant time, optionally
expiring, and refused from the very next request after a revocation — in every process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from api.main import create_app
from api.runtime.bootstrap import Services, build
from domain import clock
from domain.accounts import Account
from domain.clock import SettableClock
from infra.migrations import EVENTS_TABLE
from infra.recorder import idempotency_table
from tests.e2e.helpers import all_items, assert_error, ok
from tests.support import ADMIN, Api, bearer

ACCOUNTS = "/api/v1/accounts"
PROBE = "/api/v1/units"  # any route every role may read


def create(api: Api, **extra: Any) -> dict[str, Any]:
    body = {"name": "令牌测试", "role": "supervisor", **extra}
    return ok(api.post(ACCOUNTS, body, ADMIN), 201)


def random_bits(token: str) -> int:
    """The entropy carried by the token's random part (after the `sv_` prefix)."""
    assert token.startswith("sv_")
    raw = token.removeprefix("sv_")
    return len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) * 8


def test_a_token_carries_at_least_256_random_bits_and_never_repeats(api: Api) -> None:
    tokens = [create(api)["token"] for _ in range(5)]
    assert all(random_bits(token) >= 256 for token in tokens)
    assert len(set(tokens)) == len(tokens)


def test_the_account_id_is_derived_from_the_tokens_hash(api: Api) -> None:
    created = create(api)
    digest = hashlib.sha256(created["token"].encode()).hexdigest()
    assert created["id"] == str(Account.create_id(digest))


def test_the_token_is_nowhere_in_the_database(api: Api, shared_services: Services) -> None:
    created = create(api, name="不留明文")
    token = created["token"].encode()
    events = sql.Identifier(EVENTS_TABLE)
    idempotency = sql.Identifier(idempotency_table(EVENTS_TABLE))
    with shared_services.database.connect() as conn:
        in_events = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE position(%s IN state) > 0").format(events),
            (token,),
        ).fetchone()
        in_answers = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE body::text LIKE %s").format(idempotency),
            (f"%{created['token']}%",),
        ).fetchone()
    assert in_events == (0,) and in_answers == (0,)


def test_a_replayed_creation_answer_does_not_show_the_token_again(api: Api) -> None:
    body = {"name": "重放", "role": "auditor"}
    headers = {**ADMIN, "Idempotency-Key": f"tok-{time.time_ns()}"}
    first = ok(api.post(ACCOUNTS, body, headers), 201)
    again = ok(api.post(ACCOUNTS, body, headers), 201)
    assert first["token"] and again["token"] is None and again["id"] == first["id"]


def test_tokens_are_compared_in_constant_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    created = create(api)
    compared: list[tuple[Any, Any]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    ok(api.get(PROBE, bearer(created["token"])))
    digest = hashlib.sha256(created["token"].encode()).hexdigest()
    assert (digest, digest) in compared  # the stored hash against the presented one
    compared.clear()
    ok(api.get(PROBE, ADMIN))
    assert compared  # the bootstrap token too


def test_an_account_may_expire_after_some_days(api: Api) -> None:
    before = datetime.now(UTC)
    created = create(api, expires_in_days=30)
    expires = datetime.fromisoformat(created["expires_at"])
    assert before + timedelta(days=30) <= expires <= datetime.now(UTC) + timedelta(days=30)
    ok(api.get(PROBE, bearer(created["token"])))


def test_an_account_without_expiry_says_so(api: Api) -> None:
    assert create(api)["expires_at"] is None


def test_an_expired_token_is_unauthorised(api: Api) -> None:
    with clock.use(SettableClock()) as frozen:
        expires = frozen.now() + timedelta(hours=1)
        created = create(api, expires_at=expires.isoformat())
        headers = bearer(created["token"])
        ok(api.get(PROBE, headers))
        frozen.set(expires)
        error = assert_error(api.get(PROBE, headers), 401, "unauthorized")
    assert "expired" in error["message"]


def listed(api: Api, account_id: str, position: int) -> dict[str, Any]:
    items = all_items(api, ACCOUNTS, ADMIN, min_position=position)
    (item,) = [i for i in items if i["id"] == account_id]
    return item


def test_the_account_list_shows_when_a_token_expires_and_one_past_it_as_expired(
    api: Api,
) -> None:
    with clock.use(SettableClock()) as frozen:
        expires = frozen.now() + timedelta(hours=1)
        created = create(api, expires_at=expires.isoformat())
        forever = create(api)
        at = max(created["position"], forever["position"])
        shown = listed(api, created["id"], at)
        assert shown["status"] == "active"
        assert datetime.fromisoformat(shown["expires_at"]) == expires
        frozen.set(expires)
        assert listed(api, created["id"], at)["status"] == "expired"
        never = listed(api, forever["id"], at)
        assert (never["status"], never["expires_at"]) == ("active", None)


def test_a_token_works_until_the_instant_it_expires(api: Api) -> None:
    with clock.use(SettableClock()) as frozen:
        created = create(api, expires_in_days=30)
        expires = datetime.fromisoformat(created["expires_at"])
        frozen.set(expires - timedelta(microseconds=1))
        ok(api.get(PROBE, bearer(created["token"])))
        frozen.advance(timedelta(microseconds=1))
        assert_error(api.get(PROBE, bearer(created["token"])), 401, "unauthorized")


def test_a_service_built_with_its_own_clock_judges_expiry_by_it(
    api: Api, shared_services: Services
) -> None:
    created = create(api, expires_in_days=1)
    own = SettableClock()
    settings = shared_services.settings.model_copy(update={"projection_runners": "off"})
    services = build(settings, clock=own)
    try:
        with TestClient(create_app(settings, services=services)) as client:
            headers = bearer(created["token"])
            assert client.get(PROBE, headers=headers).status_code == 200
            own.advance(timedelta(days=1))
            assert client.get(PROBE, headers=headers).status_code == 401
    finally:
        services.close()
    ok(api.get(PROBE, bearer(created["token"])))  # the shared service keeps its own time


def test_the_expiry_is_recorded_in_the_accounts_creation_event(api: Api) -> None:
    created = create(api, expires_in_days=7)
    events = ok(api.get(f"{ACCOUNTS}/{created['id']}/events", ADMIN))["items"]
    assert datetime.fromisoformat(events[0]["data"]["expires_at"]) == datetime.fromisoformat(
        created["expires_at"]
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"expires_at": "2000-01-01T00:00:00+08:00"},
        {"expires_at": "2999-01-01T00:00:00"},  # no offset: which midnight?
        {"expires_in_days": 0},
        {"expires_in_days": 100000},
        {"expires_in_days": 5, "expires_at": "2999-01-01T00:00:00+08:00"},
    ],
)
def test_an_impossible_expiry_is_refused(api: Api, extra: dict[str, Any]) -> None:
    body = {"name": "过期参数", "role": "supervisor", **extra}
    assert_error(api.post(ACCOUNTS, body, ADMIN), 422)


@pytest.fixture
def second_process(shared_services: Services) -> Iterator[TestClient]:
    """Another API process on the same database: its own services, pools and memory."""
    settings = shared_services.settings.model_copy(update={"projection_runners": "off"})
    services = build(settings)
    try:
        with TestClient(create_app(settings, services=services)) as client:
            yield client
    finally:
        services.close()


def test_a_revocation_holds_at_once_here_and_in_another_process_once_postgresql_notifies(
    api: Api, second_process: TestClient
) -> None:
    """The process that revoked refuses the very next request; another process keeps
    accounts in memory while it LISTENs, and refuses once PostgreSQL's notification of the
    commit reaches it (about a millisecond, ADR 015) — bounded here at 5 s under any load."""
    created = create(api)
    headers = bearer(created["token"])
    assert second_process.get(PROBE, headers=headers).status_code == 200
    ok(api.post(f"{ACCOUNTS}/{created['id']}/revocation", {"reason": "调离"}, ADMIN))
    assert_error(api.get(PROBE, headers), 401, "unauthorized")
    deadline = time.monotonic() + 5
    while (answer := second_process.get(PROBE, headers=headers)).status_code != 401:
        assert time.monotonic() < deadline, "the revoked token is still accepted after 5 s"
        time.sleep(0.01)
    assert_error(answer, 401, "unauthorized")
