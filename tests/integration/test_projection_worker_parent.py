"""The projection worker `serve` starts stops when `serve` is gone, even after a SIGKILL that
comes while the worker is still starting (it used to look up its parent only once started,
found the process that had adopted it, and ran for good): it watches the PID it was given."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = [sys.executable, "-c", "from api.cli.main import main; main()"]
GONE = "the parent process is gone; stopping the projection runners"

# A stand-in for `serve`: it starts the projection worker as serve does, says its PID, and
# waits to be killed.
SERVE = """
import time
from api.runtime.worker import ProjectionWorker
from infra.database import resolve_database
from infra.settings import Settings

settings = Settings()
worker = ProjectionWorker(settings, resolve_database(settings))
worker.start()
while worker.process is None:
    time.sleep(0.01)
print(worker.process.pid, flush=True)
time.sleep(600)
"""


def env_of(settings: Settings) -> dict[str, str]:
    return dict(
        os.environ,
        SUPERVISION_DATABASE_URL=settings.database_url or "",
        SUPERVISION_DATA_DIR=str(settings.data_dir),
        SUPERVISION_LOG_LEVEL="DEBUG",
        SUPERVISION_LOG_FORMAT="text",
    )


def ended(pid: int, seconds: float = 120) -> bool:
    """Whether process `pid` (not this one's child) has ended within `seconds`: a bound on
    the wait, not a claim about how fast it stops."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.2)
    return False


def test_the_worker_stops_when_the_process_it_was_given_is_gone(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    sleeper = subprocess.Popen(["sleep", "600"])
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*CONSOLE_SCRIPT, "projections", "run", "--exit-with-parent", "--parent-pid",
             str(sleeper.pid)],
            env=env_of(fresh_settings), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    try:
        sleeper.kill()
        sleeper.wait()
        code = worker.wait(120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert code == 0, log.read_text()
    assert GONE in log.read_text()


def test_the_worker_of_a_serve_killed_while_it_starts_stops(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-c", SERVE], env=env_of(fresh_settings), stdout=subprocess.PIPE,
            stderr=out, cwd=ROOT,
        )  # fmt: skip
    assert serve.stdout is not None
    worker = int(serve.stdout.readline())
    serve.send_signal(signal.SIGKILL)  # the worker is still importing and building
    serve.wait()
    serve.stdout.close()
    try:
        assert ended(worker), log.read_text()
    finally:
        if psutil.pid_exists(worker):
            os.kill(worker, signal.SIGKILL)
    assert GONE in log.read_text()
