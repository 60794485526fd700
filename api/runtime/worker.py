"""The projection worker: a child process that `serve` starts, watches and restarts.

Projection runners are threads that hand the GIL back and forth with the API's request
threads; on a two-core machine that halves the command rate (measured: docs/adr/006). In
their own process they use the other core. The child runs `supervision projections run
--exit-with-parent`, so it stops when the service does, even after a SIGKILL.
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
        while not self._stopping.is_set():
            self.process = subprocess.Popen(
                [*WORKER_COMMAND, "projections", "run", "--exit-with-parent"], env=self.env
            )
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
