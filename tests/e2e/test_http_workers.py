"""`supervision serve --workers 2`: two HTTP processes share the port and the work, the read
models are built once, and a worker that dies is replaced."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.served import migrated_service, running, wait_ready
from tests.support import ADMIN


@pytest.fixture
def served(new_database: Callable[[], str], tmp_path: Path) -> Iterator[tuple[str, psutil.Process]]:
    with running(migrated_service(new_database(), tmp_path, SUPERVISION_WORKERS="2")) as svc:
        assert svc.process is not None
        yield svc.url, psutil.Process(svc.process.pid)


def http_workers(parent: psutil.Process) -> list[psutil.Process]:
    """The live spawned HTTP workers (the projection worker runs `projections run`)."""
    found = []
    for p in parent.children():
        try:
            if "spawn_main" in " ".join(p.cmdline()):
                found.append(p)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue  # the killed one, until the parent reaps it
    return found


def accepted_on(process: psutil.Process, port: int) -> int:
    """How many client connections to `port` the process holds."""
    return sum(
        1
        for c in process.net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
    )


def test_two_workers_answer_on_one_port_and_a_killed_one_is_replaced(
    served: tuple[str, psutil.Process],
) -> None:
    url, parent = served
    workers = http_workers(parent)
    assert len(workers) == 2, [p.cmdline() for p in parent.children()]

    port = int(url.rsplit(":", 1)[1])
    with httpx.Client(base_url=url, headers=ADMIN, timeout=10) as client:
        # Connections opened one after another land on both workers (a socket each).
        clients = [httpx.Client(base_url=url, headers=ADMIN, timeout=10) for _ in range(24)]
        try:
            for n, fresh in enumerate(clients):
                body = {"code": f"w{n:02d}", "name": f"单位{n}", "kind": "agency"}
                assert fresh.post("/api/v1/units", json=body).status_code == 201
            held = {w.pid: accepted_on(w, port) for w in workers}
        finally:
            for fresh in clients:
                fresh.close()
        assert sum(held.values()) >= 24 and all(held.values()), held

        workers[0].send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (
            len(now := http_workers(parent)) == 2 and workers[0].pid not in {p.pid for p in now}
        ):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        wait_ready(url, Path(os.devnull))

        # Every unit registered is there, and the read models (built once, by the parent's
        # projection worker) caught up with all of them.
        head = client.post(
            "/api/v1/units", json={"code": "w99", "name": "末位单位", "kind": "agency"}
        ).json()["position"]
        units = client.get("/api/v1/units", params={"limit": 100, "min_position": head})
        assert units.status_code == 200, units.text
        assert {u["code"] for u in units.json()["items"]} >= {f"w{n:02d}" for n in range(24)}


def test_workers_stop_when_serve_is_killed(served: tuple[str, psutil.Process]) -> None:
    """No orphan keeps answering on the port after a SIGKILL of `serve`."""
    _, parent = served
    children = parent.children()
    assert len(http_workers(parent)) == 2
    parent.send_signal(signal.SIGKILL)
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [p.cmdline() for p in alive]


def requests_counted(scrape: str, route: str) -> float:
    """supervision_http_requests_total of GET `route` answered 200, as one scrape tells."""
    wanted = f'supervision_http_requests_total{{method="GET",route="{route}",status="200"}}'
    for line in scrape.splitlines():
        if line.startswith(wanted):
            return float(line.split()[-1])
    return 0.0


def test_a_scrape_of_either_worker_counts_the_requests_of_both(
    served: tuple[str, psutil.Process],
) -> None:
    url, parent = served
    port = int(url.rsplit(":", 1)[1])
    workers = http_workers(parent)
    clients = [httpx.Client(base_url=url, headers=ADMIN, timeout=10) for _ in range(24)]
    try:
        for fresh in clients:  # a connection each: the kernel spreads them over both workers
            assert fresh.get("/api/v1/vocabulary").status_code == 200
        assert all(accepted_on(w, port) > 0 for w in workers), "one worker took every client"
        # Each scrape, on a connection of its own, reaches one worker or the other.
        scrapes = [fresh.get("/metrics").text for fresh in clients[:8]]
    finally:
        for fresh in clients:
            fresh.close()
    assert [requests_counted(s, "/api/v1/vocabulary") for s in scrapes] == [24.0] * 8
