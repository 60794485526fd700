"""Reads that wait for `min_position` hold no thread of the real `serve`: eighty of them wait
while other requests are answered, one account may hold only a few, and they all answer once
the read models catch up."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from infra.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.served import BIN, Service, migrated_service, running
from tests.support import ADMIN, bearer

ACCOUNTS = 10
WAITS_PER_ACCOUNT = 8


@pytest.fixture
def lagging_service(new_database: Callable[[], str], tmp_path: Path) -> Iterator[Service]:
    """`serve` with no projection runner anywhere: read models stand still until a test
    starts `supervision projections run` (`Service.env` has what it needs)."""
    service = migrated_service(
        new_database(),
        tmp_path,
        SUPERVISION_PROJECTION_RUNNERS="off",
        SUPERVISION_READ_WAIT_SECONDS="60",
        SUPERVISION_WAITING_READS_PER_ACCOUNT=str(WAITS_PER_ACCOUNT),
    )
    with running(service) as svc:
        yield svc


def inspectors(client: httpx.Client, count: int) -> list[dict[str, str]]:
    headers = []
    for n in range(count):
        response = client.post(
            "/api/v1/accounts",
            json={"name": f"督查员{n}", "role": "inspector"},
            headers=bearer(ADMIN_TOKEN),
        )
        assert response.status_code == 201, response.text
        headers.append(bearer(response.json()["token"]))
    return headers


def reads_waiting(client: httpx.Client) -> float:
    """The service's own count of reads waiting for their position (/metrics)."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("supervision_reads_waiting "):
            return float(line.split()[1])
    raise AssertionError("/metrics has no supervision_reads_waiting")


def until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_eighty_waiting_reads_hold_no_thread_and_answer_once_the_read_models_catch_up(
    lagging_service: Service, tmp_path: Path
) -> None:
    url = lagging_service.url
    with httpx.Client(base_url=url, timeout=90) as client:
        accounts = inspectors(client, ACCOUNTS)
        position = client.post(
            "/api/v1/units",
            json={"code": "xz01", "name": "城关镇", "kind": "township"},
            headers=bearer(ADMIN_TOKEN),
        ).json()["position"]

        def wait(headers: dict[str, str]) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=90) as own:
                return own.get("/api/v1/units", params={"min_position": position}, headers=headers)

        with ThreadPoolExecutor(ACCOUNTS * WAITS_PER_ACCOUNT) as pool:
            waiting: list[Future[httpx.Response]] = [
                pool.submit(wait, headers) for headers in accounts for _ in range(WAITS_PER_ACCOUNT)
            ]
            until(lambda: reads_waiting(client) == len(waiting), "the reads never all waited")
            # While eighty reads wait, the service answers a route that needs no thread and
            # one that runs in the thread pool, and an account that holds its share of
            # waits is refused one more at once.
            for _ in range(5):
                assert client.get("/healthz").status_code == 200
                vocabulary = client.get("/api/v1/vocabulary", headers=bearer(ADMIN_TOKEN))
                assert vocabulary.status_code == 200
            refused = client.get(
                "/api/v1/units", params={"min_position": position}, headers=accounts[0]
            )
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "too_many_waits"
            assert not any(f.done() for f in waiting), "a read answered before its position"
            with (tmp_path / "runner.log").open("wb") as runner_log:
                runner = subprocess.Popen(
                    [str(BIN / "supervision"), "projections", "run"],
                    env=lagging_service.env,
                    stdout=runner_log,
                    stderr=subprocess.STDOUT,
                )
                try:
                    answers = [f.result(timeout=60) for f in waiting]
                finally:
                    runner.terminate()
                    runner.wait(10)
    assert [a.status_code for a in answers] == [200] * len(waiting)
    assert all(any(u["code"] == "xz01" for u in a.json()["items"]) for a in answers)


@contextmanager
def runnerless_client(settings: Settings, read_wait_seconds: float) -> Iterator[TestClient]:
    """The app in this process with no projection runner: its read models stand still."""
    update = {"projection_runners": "off", "read_wait_seconds": read_wait_seconds}
    app = create_app(settings.model_copy(update=update))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def registered(client: TestClient, code: str, name: str) -> int:
    """A subdistrict registered by the admin; the position of its event."""
    unit = {"code": code, "name": name, "kind": "subdistrict"}
    position: int = client.post("/api/v1/units", json=unit, headers=ADMIN).json()["position"]
    return position


def test_a_position_the_read_models_do_not_reach_in_time_is_lagging(
    fresh_settings: Settings,
) -> None:
    with runnerless_client(fresh_settings, read_wait_seconds=0.3) as client:
        position = registered(client, "xz02", "南明街道")
        response = client.get("/api/v1/units", params={"min_position": position}, headers=ADMIN)
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "projection_lagging"
    assert error["details"]["min_position"] == position
    assert response.headers["Retry-After"] == "1"


def test_a_position_past_the_head_of_the_log_is_refused_at_once(
    fresh_settings: Settings,
) -> None:
    with runnerless_client(fresh_settings, read_wait_seconds=60) as client:
        head = registered(client, "xz03", "七星街道")
        response = client.get("/api/v1/units", params={"min_position": head + 1}, headers=ADMIN)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_value"
    assert error["details"] == {"min_position": head + 1, "head": head}
