"""Runs each projection under supervision: one active runner per projection, restarted on failure.

The library's `ProjectionRunner` stops when its LISTEN connection drops or a handler fails;
the supervisor notices, logs, waits (with back-off) and starts a new one from the tracking
position, so no event is lost and, with rows and tracking in one transaction, none is
applied twice. A PostgreSQL advisory lock, held on its own connection for as long as the
runner lives, keeps a second process's runner of the same projection on standby.
"""

from __future__ import annotations

import logging
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import ProjectionRunner

from domain.application import Supervision
from infra.database import Database
from projections.registry import ProjectionSpec

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 7_310_202  # first key of the two-key advisory lock of projection runners


@dataclass
class RunnerStatus:
    state: str = "starting"
    restarts: int = 0
    last_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SupervisedRunner(threading.Thread):
    """A thread that keeps one projection's runner alive until `stop()`."""

    def __init__(self, spec: ProjectionSpec, database: Database, env: dict[str, str]) -> None:
        super().__init__(name=f"projection-{spec.name}", daemon=True)
        self.spec, self.database, self.env = spec, database, env
        self.status = RunnerStatus()
        self._stopping = threading.Event()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.join(timeout)

    def run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                self._run_while_holding_lock()
                backoff = 0.2
            except Exception as error:  # supervised: logged, counted, restarted
                if self._stopping.is_set():
                    break
                self.status.restarts += 1
                self.status.state = "restarting"
                self.status.last_error = f"{type(error).__name__}: {error}"
                log.warning(
                    "projection runner failed; restarting",
                    extra={
                        "projection": self.spec.name,
                        "error": self.status.last_error,
                        "restarts": self.status.restarts,
                    },
                )
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self.status.state = "stopped"

    def _run_while_holding_lock(self) -> None:
        key = lock_key(self.spec.name)
        with self.database.connect(autocommit=True) as lock_conn:
            got = lock_conn.execute(
                "SELECT pg_try_advisory_lock(%s::int, %s::int)", (LOCK_NAMESPACE, key)
            ).fetchone()
            if not got or not got[0]:
                self.status.state = "standby"
                self._stopping.wait(2.0)
                return
            with ProjectionRunner(
                application_class=Supervision,
                projection_class=self.spec.projection_class,
                view_class=self.spec.view_class,
                env=self.env,
            ) as runner:
                self.status.state = "running"
                log.info("projection runner started", extra={"projection": self.spec.name})
                while not self._stopping.is_set():
                    runner.run_forever(timeout=1.0)
                    if runner.is_interrupted.is_set() and not self._stopping.is_set():
                        raise RuntimeError("the projection runner stopped by itself")
                    lock_conn.execute("SELECT 1")  # the lock's connection is still alive


def lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def locks_held(datastore: PostgresDatastore) -> set[str]:
    """The projections whose runner lock some process holds right now."""
    from projections.registry import PROJECTIONS

    with datastore.get_connection() as conn:
        rows = conn.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())",
            (LOCK_NAMESPACE,),
        ).fetchall()
    keys = {int(r["objid"]) for r in rows}
    return {spec.name for spec in PROJECTIONS if lock_key(spec.name) in keys}
