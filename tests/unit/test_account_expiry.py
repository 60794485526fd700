"""Account expiry: a token admits until its expiry, never after; older accounts never expire."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from domain.accounts import Account, hash_token
from domain.application import Supervision

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ACTOR = {"id": "admin", "name": "管理员", "role": "admin"}


def account(expires_at: datetime | None) -> Account:
    return Account(
        token_hash=hash_token(str(uuid4())),
        name="督查员",
        role="inspector",
        unit_code=None,
        actor=ACTOR,
        expires_at=expires_at,
    )


def test_an_account_without_expiry_admits_at_any_time() -> None:
    assert account(None).admits(NOW + timedelta(days=36500))


def test_an_account_admits_until_its_expiry_and_not_from_then_on() -> None:
    expiring = account(NOW)
    assert expiring.admits(NOW - timedelta(microseconds=1))
    assert not expiring.admits(NOW)
    assert not expiring.admits(NOW + timedelta(days=1))


def test_a_revoked_account_admits_nobody_even_before_its_expiry() -> None:
    revoked = account(NOW + timedelta(days=30))
    revoked.revoke(reason="离职", actor=ACTOR)
    assert not revoked.admits(NOW)


def test_an_account_created_before_expiries_existed_loads_as_never_expiring() -> None:
    app = Supervision(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    (created,) = account(NOW).collect_events()
    stored = app.mapper.to_stored_event(created)
    state = json.loads(stored.state)
    state.pop("expires_at")
    state.pop("class_version", None)  # version 1 stored no class_version
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    loaded = app.mapper.to_domain_event(old)
    assert loaded.expires_at is None
    assert loaded.mutate(None).admits(NOW + timedelta(days=36500))
