"""The connection budget, read from PostgreSQL's own pg_stat_activity: `serve` with one HTTP
worker and its projection worker holds at most 12 connections, idle and under the load of 32
clients; each extra HTTP worker adds at most 4; a one-shot command opens at most 2."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import ADMIN_TOKEN
from tests.served import BIN, Service, migrated_service, running
from tests.support import bearer

SERVE_ONE_WORKER = 12
PER_EXTRA_WORKER = 4
ONE_SHOT = 2
CLIENTS = 32
REQUESTS_PER_CLIENT = 25


class Sampler(threading.Thread):
    """Counts the database's connections by application name every few milliseconds, from
    a connection to another database (so it never counts itself), until stopped."""

    def __init__(self, admin_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.admin_url, self.database = admin_url, database
        self.most: Counter[str] = Counter()
        self.most_in_all = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self.stopping.wait(0.01):
                rows = conn.execute(
                    "SELECT application_name, count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND backend_type = 'client backend' "
                    "GROUP BY application_name",
                    (self.database,),
                ).fetchall()
                for name, count in rows:
                    self.most[name] = max(self.most[name], count)
                self.most_in_all = max(self.most_in_all, sum(count for _, count in rows))

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def sampler(pg_admin_url: str, database_url: str) -> Iterator[Sampler]:
    params = conninfo_to_dict(pg_admin_url)
    params["dbname"] = "postgres"
    watching = Sampler(make_conninfo(**params), str(conninfo_to_dict(database_url)["dbname"]))
    watching.start()
    yield watching
    watching.stop()


def serve(database_url: str, tmp_path: Path, workers: int) -> Service:
    return migrated_service(database_url, tmp_path, SUPERVISION_WORKERS=str(workers))


def load(url: str) -> None:
    """32 clients raising findings and reading the board with read-your-writes."""
    admin = bearer(ADMIN_TOKEN)
    with httpx.Client(base_url=url, timeout=30) as client:
        unit = {"code": "xz01", "name": "城关镇", "kind": "township"}
        assert client.post("/api/v1/units", json=unit, headers=admin).status_code == 201
        account = {"name": "督查员 王", "role": "inspector"}
        token = client.post("/api/v1/accounts", json=account, headers=admin).json()["token"]
    finding = {
        "unit_code": "xz01",
        "title": "整改不到位",
        "description": "说明",
        "category": "work_style",
        "severity": "minor",
        "source": "routine_supervision",
        "found_on": "2026-01-05",
        "evidence": [],
    }

    def client_loop(n: int) -> None:
        with httpx.Client(base_url=url, headers=bearer(token), timeout=30) as own:
            for i in range(REQUESTS_PER_CLIENT):
                answer = own.post("/api/v1/findings", json=finding)
                assert answer.status_code == 201, answer.text
                if i % 5 == n % 5:
                    position = answer.json()["position"]
                    listed = own.get("/api/v1/findings", params={"min_position": position})
                    assert listed.status_code == 200, listed.text

    with ThreadPoolExecutor(CLIENTS) as pool:
        for done in [pool.submit(client_loop, n) for n in range(CLIENTS)]:
            done.result()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_stays_within_its_connection_budget_idle_and_under_load(
    workers: int, database_url: str, sampler: Sampler, tmp_path: Path
) -> None:
    with running(serve(database_url, tmp_path, workers)) as service:
        load(service.url)
    budget = SERVE_ONE_WORKER + PER_EXTRA_WORKER * (workers - 1)
    print(f"connections, most at once: {sampler.most_in_all} ({dict(sampler.most)})")
    assert 0 < sampler.most_in_all <= budget, dict(sampler.most)
    # Each process names itself; none of them holds more than its own share.
    assert sampler.most["supervision-projections"] <= 4, dict(sampler.most)
    assert set(sampler.most) <= {
        "supervision-http",
        "supervision-projections",
        "supervision-serve",
        "supervision-migrate",
        "",  # a connection between its start and its first statement
    }, dict(sampler.most)
    assert sampler.most["supervision-migrate"] <= ONE_SHOT, dict(sampler.most)


def test_a_one_shot_command_opens_at_most_two_connections(
    database_url: str, sampler: Sampler, tmp_path: Path
) -> None:
    with running(serve(database_url, tmp_path, 1)) as service:
        load(service.url)
    sampler.most.clear()
    result = subprocess.run(
        [str(BIN / "supervision"), "projections", "rebuild", "all", "--quiet"],
        env=service.env,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert 0 < sampler.most["supervision-cli"] <= ONE_SHOT, dict(sampler.most)
