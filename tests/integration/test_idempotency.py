"""An Idempotency-Key's first answer survives a restart of the service."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from infra.settings import Settings
from tests.support import ADMIN


def events_recorded(settings: Settings) -> int:
    import psycopg

    with psycopg.connect(settings.database_url or "") as conn:
        row = conn.execute("SELECT count(*) FROM supervision_events").fetchone()
    return int(row[0]) if row else 0


def test_a_retry_after_a_restart_gets_the_first_answer_and_records_nothing(
    fresh_settings: Settings,
) -> None:
    body = {"code": "xlx", "name": "新林乡", "kind": "township"}
    headers = {**ADMIN, "Idempotency-Key": "register-xlx-1"}
    with TestClient(create_app(fresh_settings)) as first_process:
        first = first_process.post("/api/v1/units", json=body, headers=headers)
    assert first.status_code == 201
    recorded = events_recorded(fresh_settings)

    with TestClient(create_app(fresh_settings)) as restarted:
        retry = restarted.post("/api/v1/units", json=body, headers=headers)
        reused = restarted.post("/api/v1/units", json={**body, "name": "别的名字"}, headers=headers)
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert events_recorded(fresh_settings) == recorded
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
