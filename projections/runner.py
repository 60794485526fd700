"""Runs the projections of a process in one thread, on the process's pool and its listener.

One read of the log serves every projection: a batch of the events any of them uses is
selected once, decoded once, and handed to each projection in a transaction of its own
(rows and tracking together, so a crash loses the batch, never its consistency; a second
delivery changes nothing). A projection whose batch fails is left behind alone: it is
logged, counted, and tried again after a back-off from its tracked position, while the
others go on.

One active runner per projection across all processes: a session advisory lock, taken on
the process's listening connection (infra/listener.py), so it lives exactly as long as
the connection that also brings the NOTIFY of new events. A process that cannot take a
projection's lock keeps it on standby and tries again every few seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.projection import Projection
from psycopg import Connection
from psycopg.rows import tuple_row

from domain.application import Supervision
from infra.database import Database
from infra.listener import Listener
from projections.base import (
    APPLICATION_NAME,
    UNVERSIONED,
    ProjectionLagging,
    ReadModelView,
    TrackingMoved,
    lock_key,
)
from projections.rebuild import RebuildInProgress, rebuild_many
from projections.registry import ProjectionSpec

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 7_310_202  # first key of the two-key advisory lock of projection runners
BATCH = 500  # events selected at once, to keep a runner's latency low
# Events selected at once while a runner catches up (its last selection was full): its long
# batches are written by COPY (ReadModelView.copies), and a longer batch costs less an event.
CATCH_UP_BATCH = 2000
LOCK_RETRY_SECONDS = 2.0


@dataclass
class RunnerStatus:
    state: str = "starting"
    restarts: int = 0
    last_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Run:
    """One projection as a process runs it: its own view object (bound to a connection
    while a batch is applied, so never the one that answers requests), and how far it is."""

    def __init__(
        self,
        spec: ProjectionSpec,
        datastore: PostgresDatastore,
        before_serving: Callable[[Run], None] | None = None,
    ) -> None:
        self.spec = spec
        # Done once, before the first event is applied (a host brings the read model to
        # the code's schema version); tried again at the next resume when it fails.
        self.before_serving = before_serving
        self.view: ReadModelView = spec.view_class(datastore)
        self.projection: Projection[Any] = spec.projection_class(view=self.view)
        self.topics = frozenset(self.view.topics)
        self.status = RunnerStatus()
        self.held = False
        self.scanned = 0  # every event up to here that it uses has been applied
        self.tracked = 0  # the position its tracking record holds, as its batches left it
        self.retry_at = 0.0
        self.backoff = 0.2

    @property
    def name(self) -> str:
        return self.spec.name

    def resume(self) -> None:
        """Start (again) from the tracked position."""
        if self.before_serving is not None:
            self.before_serving(self)
            self.before_serving = None
        self.scanned = self.tracked = self.view.max_tracking_id(APPLICATION_NAME) or 0
        self.status.state = "running"

    def ready(self, now: float) -> bool:
        if not self.held:
            return False
        if self.status.state == "restarting":
            if now < self.retry_at:
                return False
            try:
                self.resume()
            except Exception as error:  # waits out another back-off; the others go on
                self.failed(error)
                return False
        return True

    def failed(self, error: BaseException) -> None:
        self.status.restarts += 1
        self.status.state = "restarting"
        self.status.last_error = f"{type(error).__name__}: {error}"
        self.retry_at = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, 5.0)
        log.warning(
            "projection runner failed; restarting",
            extra={
                "projection": self.name,
                "error": self.status.last_error,
                "restarts": self.status.restarts,
            },
        )

    def apply(self, events: list[tuple[Any, int]]) -> None:
        """The events in one transaction of a pooled connection (see batch_transaction)."""
        try:
            applied = self.apply_from(self.tracked, events)
        except TrackingMoved:
            # Another writer moved the tracking record: a rebuild switched its tables in
            # (the usual case), or another process ran this projection. The batch rolled
            # back; it is applied again from the position the record holds now.
            self.tracked = self.view.max_tracking_id(APPLICATION_NAME) or 0
            log.info(
                "projection tracking moved by another writer; going on from there",
                extra={"projection": self.name, "position": self.tracked},
            )
            applied = self.apply_from(self.tracked, events)
        if applied:
            self.tracked = events[-1][1]
        self.backoff = 0.2

    def apply_from(self, tracked: int, events: list[tuple[Any, int]]) -> int:
        """apply_batch from `tracked`, in a transaction of its own; how many were applied.
        A long batch (catching up after downtime) is written by COPY where the view can
        (ReadModelView.copies), as a rebuild fills its copy, outside a pipeline."""
        view = self.view
        if not view.copies(events):
            with view.batch_transaction() as conn:
                return view.apply_batch(conn, self.projection, events, tracked=tracked)
        with view.batch_transaction(pipelined=False) as conn:
            sent = view.fill_batch(conn, self.projection, events, tracked)
        return 0 if sent is None else sent.events


def feed(app: Supervision, runs: Sequence[Run], limit: int = BATCH) -> bool:
    """One batch of the log (at most `limit` events) to each of `runs`; True when the log
    may hold more for them."""
    start = min(run.scanned for run in runs)
    topics = sorted(set().union(*(run.topics for run in runs)))
    notifications = app.recorder.select_notifications(
        start=start, limit=limit, topics=topics, inclusive_of_start=False
    )
    if not notifications:
        return False
    last = notifications[-1].id
    decoded: dict[int, Any] = {}
    for run in runs:
        wanted = [n for n in notifications if n.id > run.scanned and n.topic in run.topics]
        if wanted:
            try:
                run.apply([(decode(app, n, decoded), n.id) for n in wanted])
            except Exception as error:  # this projection waits; the others go on
                run.failed(error)
                continue
        run.scanned = max(run.scanned, last)
    return len(notifications) == limit


def decode(app: Supervision, notification: Notification, decoded: dict[int, Any]) -> Any:
    """The domain event of a notification, decoded once however many projections use it."""
    event = decoded.get(notification.id)
    if event is None:
        event = decoded[notification.id] = app.mapper.to_domain_event(notification)
    return event


class CatchingUp:
    """What a host logs of a catch-up (its selections full, the log ahead of its runs by
    more than a catch-up selection): its start, where it stands every PROGRESS_SECONDS, and
    its end, with how long it took. A burst that one more selection takes in is no
    catch-up, and is not logged."""

    PROGRESS_SECONDS = 10.0

    def __init__(self, app: Supervision) -> None:
        self.app = app
        self.started: float | None = None
        self.logged = 0.0
        self.position = 0

    def after(self, runs: Sequence[Run], more: bool, start: int) -> None:
        """Called after each selection of `runs`, which began after `start`: `more` when it
        was full."""
        now = time.monotonic()
        if more and (self.started is None or now - self.logged >= self.PROGRESS_SECONDS):
            position = min(run.scanned for run in runs)
            head = self.app.recorder.max_notification_id() or 0
            if self.started is None:
                if head - position <= CATCH_UP_BATCH:
                    return
                self.started, self.position = now, start
            self.logged = now
            log.info(
                "projections catching up",
                extra={"position": position, "head": head, "projections": len(runs)},
            )
        elif not more and self.started is not None:
            position = max((run.scanned for run in runs), default=self.position)
            log.info(
                "projections caught up",
                extra={
                    "from_position": self.position,
                    "position": position,
                    "seconds": round(now - self.started, 1),
                },
            )
            self.started = None


class ProjectionHost(threading.Thread):
    """A thread that keeps this process's projections running until `stop()`."""

    def __init__(
        self,
        specs: Sequence[ProjectionSpec],
        app: Supervision,
        listener: Listener,
        datastore: PostgresDatastore,
        database: Database | None = None,
    ) -> None:
        """`database` is where a rebuild runs; by default the datastore's own pool."""
        super().__init__(name="projections", daemon=True)
        self.app, self.listener = app, listener
        self.database = database or lending(datastore)
        self.runs = {spec.name: Run(spec, datastore, self.rebuild_if_outdated) for spec in specs}
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.locks_tried = 0.0
        recorder = app.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        listener.subscribe(recorder.channel_name, self.notified, self.listening_changed)

    @property
    def statuses(self) -> dict[str, RunnerStatus]:
        return {name: run.status for name, run in self.runs.items()}

    def notified(self, _payload: str) -> None:
        self.wake.set()

    def listening_changed(self, listening: bool) -> None:
        """Locks live with the listening connection: lost with it, taken again after."""
        if not listening:
            for run in self.runs.values():
                if run.held:  # stopped; it starts again once its lock is taken again
                    run.held = False
                    run.status.state = "standby"
                    run.status.restarts += 1
        self.locks_tried = 0.0
        self.wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout)

    def run(self) -> None:
        backoff = 0.2
        more = False
        catching_up = CatchingUp(self.app)
        while not self.stopping.is_set():
            try:
                self.take_locks()
                now = time.monotonic()
                runs = [run for run in self.runs.values() if run.ready(now)]
                # Behind (the last selection was full): catching up, in long batches.
                limit = CATCH_UP_BATCH if more else BATCH
                start = min((run.scanned for run in runs), default=0)
                more = bool(runs) and feed(self.app, runs, limit)
                catching_up.after(runs, more, start)
                backoff = 0.2
            except Exception as error:  # the log cannot be read now: logged, tried again
                log.warning("projections: reading the log failed", extra={"error": str(error)})
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not more:
                self.wake.wait(1.0)
                self.wake.clear()
        self.release_locks()
        for run in self.runs.values():
            run.status.state = "stopped"

    def take_locks(self) -> None:
        """Try, every few seconds, to become the active runner of what is on standby."""
        wanted = [run for run in self.runs.values() if not run.held]
        if not wanted or time.monotonic() - self.locks_tried < LOCK_RETRY_SECONDS:
            return
        self.locks_tried = time.monotonic()
        try:
            names = [run.name for run in wanted]
            got = self.listener.call(lambda conn: [n for n in names if try_lock(conn, n)])
        except (ConnectionError, TimeoutError) as error:
            log.debug("projection locks not tried", extra={"error": str(error)})
            return
        for run in wanted:
            if run.name in got:
                run.held = True
                try:
                    run.resume()
                except Exception as error:  # tried again after a back-off (Run.ready)
                    run.failed(error)
                    continue
                log.info("projection runner started", extra={"projection": run.name})
            else:
                run.status.state = "standby"

    def rebuild_if_outdated(self, run: Run) -> None:
        """Before a read model is served here: when the code's schema version is not the
        one its tables were built with, rebuild it (blue/green, projections/rebuild.py),
        which records the new version with the new tables. Only the holder of the runner's
        lock gets here, so one process rebuilds it, once."""
        if (recorded := outdated(run.view)) is not None:
            rebuild_outdated(self.database, self.app, [(run.spec, recorded)])

    def release_locks(self) -> None:
        held = [run.name for run in self.runs.values() if run.held]
        if not held or not self.listener.listening:
            return
        try:
            self.listener.call(lambda conn: unlock_all(conn, held), timeout=1.0)
        except (ConnectionError, TimeoutError) as error:  # the locks end with the connection
            log.debug("projection locks not released", extra={"error": str(error)})
        for run in self.runs.values():
            run.held = False


def lending(datastore: PostgresDatastore) -> Database:
    """A Database that lends the pool's connections (a rebuild asks for nothing else; its
    conninfo would matter only to a new connection of its own)."""
    conninfo = datastore.pool.conninfo
    return Database(conninfo if isinstance(conninfo, str) else "", pool=datastore)


def outdated(view: ReadModelView) -> int | None:
    """The schema version the read model's tables were built with, when it is not the
    code's (None: they are the code's)."""
    recorded = view.recorded_schema_version()
    if recorded is None:
        recorded = UNVERSIONED
    return None if recorded == view.schema_version else recorded


def rebuild_outdated(
    database: Database, app: Supervision, stale: Sequence[tuple[ProjectionSpec, int]]
) -> None:
    """Rebuild these read models (each with the version its tables were built with)."""
    for spec, recorded in stale:
        log.info(
            "projection schema version changed; rebuilding",
            extra={
                "projection": spec.name,
                "recorded_version": recorded,
                "code_version": spec.view_class.schema_version,
            },
        )
    rebuild_many(database, app, [spec for spec, _ in stale])


def try_lock(conn: Connection[Any], name: str) -> bool:
    with conn.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s::int, %s::int)", (LOCK_NAMESPACE, lock_key(name))
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def unlock(conn: Connection[Any], name: str) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", (LOCK_NAMESPACE, lock_key(name)))


def unlock_all(conn: Connection[Any], names: Sequence[str]) -> None:
    for name in names:
        unlock(conn, name)


@contextmanager
def runs_locked_here(
    datastore: PostgresDatastore, specs: Sequence[ProjectionSpec]
) -> Iterator[tuple[list[Run], list[ProjectionSpec]]]:
    """For a one-shot command: the runs of `specs` whose lock it could take (held on a pooled
    connection until the end), and the specs some other process runs."""
    with datastore.get_connection() as conn:
        mine = [spec for spec in specs if try_lock(conn, spec.name)]
        try:
            runs = [Run(spec, datastore) for spec in mine]
            for run in runs:
                run.held = True
                run.resume()
            yield runs, [spec for spec in specs if spec not in mine]
        finally:
            for spec in mine:
                unlock(conn, spec.name)


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


def catch_up(
    app: Supervision,
    datastore: PostgresDatastore,
    specs: Sequence[ProjectionSpec],
    timeout: float = 30.0,
) -> None:
    """Bring the read models of `specs` up to the log's head now (a one-shot command that
    reads them): here for those no process runs, by waiting for those another one runs.
    One no process runs whose tables an older version built is rebuilt here first, as a
    host rebuilds it before serving it (a rebuild under way elsewhere: ProjectionLagging)."""
    head = app.recorder.max_notification_id() or 0
    stale = [(s, r) for s in specs if (r := outdated(s.view_class(datastore))) is not None]
    if stale and (here := [(s, r) for s, r in stale if s.name not in locks_held(datastore)]):
        try:
            rebuild_outdated(lending(datastore), app, here)
        except RebuildInProgress as error:
            raise ProjectionLagging(here[0][0].name, head, None) from error
    with runs_locked_here(datastore, specs) as (runs, elsewhere):
        while (going := [run for run in runs if run.status.state == "running"]) and feed(
            app, going, CATCH_UP_BATCH
        ):
            pass
        for run in runs:
            if run.status.state == "restarting":
                raise ProjectionLagging(run.name, head, run.scanned)
    for spec in elsewhere:
        spec.view_class(datastore).wait_for(head, timeout)
