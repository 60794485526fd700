"""The real `supervision serve` killed with SIGKILL under write load: nothing acknowledged is lost,
the chain verifies, the board catches up, and one changed byte is still caught."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.served import BIN, Service, migrated_service, running
from tests.support import ADMIN, bearer

WRITERS = 4
LOAD_SECONDS = 1.5


@pytest.fixture
def service(new_database: Callable[[], str], tmp_path: Path) -> Iterator[Service]:
    with running(migrated_service(new_database(), tmp_path)) as svc:
        yield svc


def write_until_refused(url: str, token: str, unit: str, acknowledged: list[str]) -> None:
    """Raise findings until the service stops answering; keep the ids it acknowledged."""
    body = {
        "unit_code": unit,
        "title": "压力测试问题",
        "description": "说明",
        "category": "other",
        "severity": "minor",
        "source": "other",
        "found_on": "2026-01-05",
        "evidence": [],
    }
    with httpx.Client(base_url=url, headers=bearer(token), timeout=5) as client:
        while True:
            try:
                response = client.post("/api/v1/findings", json=body)
            except httpx.HTTPError:
                return
            assert response.status_code == 201, response.text
            acknowledged.append(response.json()["id"])


def listed_ids(client: httpx.Client, unit: str, head: int) -> set[str]:
    """Every finding of the unit on the board, page by page, once it has reached `head`."""
    ids: set[str] = set()
    params: dict[str, object] = {"unit_code": unit, "limit": 500, "min_position": head}
    while True:
        page = client.get("/api/v1/findings", params=params).json()
        ids |= {item["id"] for item in page["items"]}
        if page["next_cursor"] is None:
            return ids
        params["cursor"] = page["next_cursor"]


def verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "supervision"), "audit", "verify", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_nothing_acknowledged_is_lost_when_the_service_is_killed_under_load(
    service: Service,
) -> None:
    admin = httpx.Client(base_url=service.url, headers=ADMIN, timeout=10)
    unit = "crash-unit"
    assert (
        admin.post(
            "/api/v1/units", json={"code": unit, "name": "压力单位", "kind": "township"}
        ).status_code
        == 201
    )
    token = admin.post("/api/v1/accounts", json={"name": "督查员", "role": "inspector"}).json()[
        "token"
    ]
    acknowledged: list[str] = []
    for _ in range(2):  # two kill/restart cycles
        threads = [
            threading.Thread(
                target=write_until_refused, args=(service.url, token, unit, acknowledged)
            )
            for _ in range(WRITERS)
        ]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        service.kill()
        for t in threads:
            t.join(15)
        service.start()

    assert len(acknowledged) > 20
    client = httpx.Client(base_url=service.url, headers=bearer(token), timeout=10)
    for fid in acknowledged:
        response = client.get(f"/api/v1/findings/{fid}")
        assert response.status_code == 200 and response.json()["version"] == 1

    with psycopg.connect(service.env["SUPERVISION_DATABASE_URL"]) as conn:
        events, chained = conn.execute(
            "SELECT (SELECT count(*) FROM supervision_events), "
            "(SELECT count(*) FROM supervision_chain)"
        ).fetchone() or (0, 0)
    assert events == chained >= len(acknowledged) + 2

    head = max(p["head"] for p in client.get("/api/v1/projections").json())
    listed = listed_ids(client, unit, head)
    assert set(acknowledged) <= listed

    ok = verify(service.env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with psycopg.connect(service.env["SUPERVISION_DATABASE_URL"]) as conn:
        conn.execute("SET session_replication_role = replica")  # as the administrator could
        conn.execute(
            "UPDATE supervision_events SET state = set_byte(state, 5, get_byte(state, 5) # 1) "
            "WHERE notification_id = 3"
        )
    broken = verify(service.env)
    assert broken.returncode == 1 and "index 3" in broken.stderr
    assert "Traceback" not in service.log.read_text()
