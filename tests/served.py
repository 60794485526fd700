"""The real `supervision serve` as a subprocess, as an operator runs it: on a database of the
test's own, migrated first, its output kept in a log to look for tracebacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.harness import free_port
from tests.conftest import ADMIN_TOKEN

BIN = Path(sys.executable).parent


def service_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment with the service's: its database, the bootstrap admin, a
    data directory, WARNING logs, and `settings` (SUPERVISION_… names) on top."""
    return dict(
        os.environ,
        SUPERVISION_DATABASE_URL=database_url,
        SUPERVISION_BOOTSTRAP_ADMIN_TOKEN=ADMIN_TOKEN,
        SUPERVISION_DATA_DIR=str(data_dir),
        SUPERVISION_LOG_LEVEL="WARNING",
        **settings,
    )


def supervision(env: dict[str, str], *args: str) -> None:
    """A one-shot `supervision` command run to its end; its output in the failure."""
    done = subprocess.run(
        [str(BIN / "supervision"), *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"supervision {' '.join(args)}:\n{done.stdout}{done.stderr}"


def wait_ready(url: str, log: Path, seconds: float = 30) -> None:
    """Until `url`/readyz answers 200; the service's log in the failure otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"service did not become ready:\n{log.read_text()}")


class Service:
    """One `supervision serve` process; its output is kept to look for tracebacks."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.port = env, log, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_seconds: float = 30) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "supervision"), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_ready(self.url, self.log, ready_seconds)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def migrated_service(database_url: str, data_dir: Path, **settings: str) -> Service:
    """A service (not started) on `database_url`, migrated; its log in `data_dir`."""
    env = service_env(database_url, data_dir, **settings)
    supervision(env, "migrate")
    return Service(env, data_dir / "service.log")


@contextmanager
def running(service: Service, ready_seconds: float = 30) -> Iterator[Service]:
    """The service started and ready, and stopped afterwards (also when it never became
    ready)."""
    try:
        service.start(ready_seconds)
        yield service
    finally:
        service.stop()
