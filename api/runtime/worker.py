"""The projection worker: a child process that `serve` starts, watches and restarts.

Projection runners are threads that hand the GIL back and forth with the API's request
threads; on a two-core machine that halves the command rate (measured: docs/adr/006). In
their own process they use the other core. The child runs `supervision projections run
--exit-with-parent --parent-pid PID` with this process's PID, so it stops when the service
does, even after a SIGKILL — also one that comes while the child is still starting: the PID it
watches is the one it was given, not whichever process adopted it by the time it looked.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from infra.database import Database
from infra.settings import Settings

log = logging.getLogger(__name__)

WORKER_COMMAND = [sys.executable, "-c", "from api.cli.main import main; main()"]


class ProjectionWorker(threading.Thread):
    """Keeps one `supervision projections run` child alive until `stop()`."""

    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(name="projection-worker", daemon=True)
        self.env = dict(
            os.environ,
            SUPERVISION_DATABASE_URL=database.conninfo,
            SUPERVISION_HASH_ALGORITHM=settings.hash_algorithm,
            SUPERVISION_LOG_LEVEL=settings.log_level,
            SUPERVISION_LOG_FORMAT=settings.log_format,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        backoff = 0.5
        command = [*WORKER_COMMAND, "projections", "run", "--exit-with-parent"]
        command += ["--parent-pid", str(os.getpid())]  # what the child watches, from its start
        while not self._stopping.is_set():
            self.process = subprocess.Popen(command, env=self.env)
            code = self.process.wait()
            if self._stopping.is_set():
                break
            self.restarts += 1
            log.warning(
                "projection worker exited; restarting",
                extra={"exit_code": code, "restarts": self.restarts},
            )
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        self.join(timeout)


def parent_gone(parent: int, started_under: int) -> bool:
    """Whether the process a worker runs for is gone: `parent` has exited (or is a zombie
    nobody reaped yet), or the worker's own parent, `started_under` when it started, has
    (it was adopted by another)."""
    import psutil

    if os.getppid() != started_under:
        return True
    try:
        status: str = psutil.Process(parent).status()
    except psutil.NoSuchProcess:
        return True
    return status == str(psutil.STATUS_ZOMBIE)
