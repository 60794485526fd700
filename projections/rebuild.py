"""Rebuild without downtime (blue/green): fill fresh tables beside the live ones, then switch.

1. Under a per-projection advisory lock (one rebuild of a projection at a time, across
   processes), a scratch schema gets the view's tables and is filled by replaying the log
   from zero, in batches, outside any long transaction; this repeats until the scratch
   copy is within a few events of the head.
2. The switch is ONE transaction: it locks the live tables (readers and the live runner
   wait a moment — they never see an empty or partial table), feeds the scratch copy the
   last events up to the head as it stands under the lock, moves the live tables out to a
   retired schema and the scratch tables in under the live names, and commits. Indexes
   move with their tables.
3. The live runner carries on against the new tables: its statements name tables, not
   OIDs, so PostgreSQL re-resolves them; events it had already been given up to the switch
   are refused by the tracking guard (a second delivery changes nothing) and later ones
   are applied as usual. The retired tables are dropped afterwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import Projection
from psycopg import Connection, errors
from psycopg.rows import DictRow, dict_row
from psycopg.sql import SQL, Composed, Identifier

from domain.application import Supervision
from infra.database import Database
from infra.migrations import EVENTS_TABLE, schema_datastore
from infra.persistence import borrowed, pinned
from projections.base import ReadModelView, lock_key
from projections.registry import ProjectionSpec
from projections.replay import replay, replay_many, scratch_schema, tables_of

log = logging.getLogger(__name__)

REBUILD_NAMESPACE = 7_310_203  # first key of the two-key advisory lock of rebuilds
CLOSE_ENOUGH = 500  # events left for the switch transaction to apply under the lock
SWITCH_ATTEMPTS = 5
Progress = Callable[[int, int], None]  # (position reached, head)


class RebuildInProgress(RuntimeError):
    """Another rebuild of the same projection holds its lock."""


@dataclass(frozen=True)
class RebuildResult:
    name: str
    position: int
    events_replayed: int
    seconds: float
    switch_ms: float

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": "done",
            "position": self.position,
            "events_replayed": self.events_replayed,
            "seconds": round(self.seconds, 3),
            "switch_ms": round(self.switch_ms, 1),
        }

    def log_fields(self) -> dict[str, object]:
        """As a log record's extra fields (`name` is the record's own: the logger's)."""
        fields = self.as_dict()
        fields["projection"] = fields.pop("name")
        return fields


def rebuild(
    database: Database,
    app: Supervision,
    spec: ProjectionSpec,
    *,
    live_schema: str = "public",
    progress: Progress | None = None,
) -> RebuildResult:
    """Rebuild `spec`'s read model from zero and switch it in; see the module's docstring."""
    (result,) = rebuild_many(database, app, [spec], live_schema=live_schema, progress=progress)
    return result


@dataclass
class ScratchCopy:
    """One read model being rebuilt: its scratch schema, its view and projection over it,
    and the indexes it gets once full."""

    spec: ProjectionSpec
    schema: str
    view: ReadModelView
    projection: Projection[Any]
    indexes: list[Composed]
    scanned: int = 0  # every event up to here has been given to it


def rebuild_many(
    database: Database,
    app: Supervision,
    specs: Sequence[ProjectionSpec],
    *,
    live_schema: str = "public",
    progress: Progress | None = None,
) -> list[RebuildResult]:
    """Rebuild these read models from zero, each beside its live one, and switch each in
    (one transaction each, in turn); see the module's docstring. One read of the log feeds
    every scratch copy: each batch is decoded once, whatever number of read models use it.

    One connection is held throughout (the locks, the indexing, the analysis and the
    switches); the scratch copies are filled on one more, borrowed batch by batch: two in
    all, a one-shot command's budget. Each result's `seconds` run from the common start."""
    if not specs:
        raise ValueError("rebuild_many needs at least one read model")
    started = time.perf_counter()
    reached = 0
    with ExitStack() as stack:
        conn = stack.enter_context(database.connection(autocommit=True, row_factory=dict_row))
        releases = [stack.enter_context(rebuild_lock(conn, spec.name)) for spec in specs]
        schemas = [
            stack.enter_context(scratch_schema(database, f"rebuild_{spec.name}")) for spec in specs
        ]
        store = stack.enter_context(schema_datastore(database, schemas[0]))
        copies = [
            scratch_copy(spec, borrowed(store, schema), live_schema)
            for spec, schema in zip(specs, schemas, strict=True)
        ]
        fed = catch_up(app, copies, progress, reader=conn)
        for copy in copies:
            copy.view.finish_filling(conn)
        results = []
        for copy, fed_before, release in zip(copies, fed, releases, strict=True):
            build_indexes(conn, copy.spec.name, copy.indexes)
            analyse(conn, copy.schema, tables_of(copy.view))
            # What came while the copies before it were switched, and while it was indexed,
            # is applied now, outside the switch's locks.
            (topped_up,) = catch_up(app, [copy], None, reader=conn)
            switch_started = time.perf_counter()
            reached, fed_last = switch(conn, app, copy.view, copy.spec, copy.schema, live_schema)
            switch_ms = (time.perf_counter() - switch_started) * 1000
            release()
            fed_last += topped_up
            result = RebuildResult(
                copy.spec.name,
                reached,
                fed_before + fed_last,
                time.perf_counter() - started,
                switch_ms,
            )
            log.info("projection rebuilt", extra=result.log_fields())
            results.append(result)
    if progress is not None:
        progress(reached, reached)
    return results


def scratch_copy(spec: ProjectionSpec, datastore: PostgresDatastore, live: str) -> ScratchCopy:
    """The scratch copy of `spec`'s read model over `datastore`, its tables made (without
    the indexes it gets once full), to be filled (ReadModelView.finish_filling)."""
    view = spec.view_class(datastore, events_schema=live)
    indexes = deferred_indexes(view)
    view.create_table()
    view.filling = True
    return ScratchCopy(spec, datastore.schema, view, spec.projection_class(view=view), indexes)


@contextmanager
def rebuild_lock(conn: Connection[DictRow], name: str) -> Iterator[Callable[[], None]]:
    """The rebuild's advisory lock, held by `conn`'s session until the block ends or the
    callable it gives is called (a rebuild of several lets each go once it is switched)."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(%s::int, %s::int) AS got", (REBUILD_NAMESPACE, lock_key(name))
    ).fetchone()
    if not row or not row["got"]:
        raise RebuildInProgress(f"a rebuild of {name!r} is already running")
    held = True

    def release() -> None:
        nonlocal held
        if held and not conn.closed:
            conn.execute(
                "SELECT pg_advisory_unlock(%s::int, %s::int)", (REBUILD_NAMESPACE, lock_key(name))
            )
        held = False

    try:
        yield release
    finally:
        release()


def deferred_indexes(view: ReadModelView) -> list[Composed]:
    """Take the view's plain (not unique) indexes out of its CREATE statements and answer
    them: a scratch copy is filled without them and indexed once full, as a bulk load is,
    instead of every row version of the fill entering every index. Writes find their rows
    by primary or unique keys, which stay."""
    deferred = [
        s for s in view.sql_create_statements if s.as_string(None).startswith("CREATE INDEX ")
    ]
    view.sql_create_statements = [s for s in view.sql_create_statements if s not in deferred]
    return deferred


def build_indexes(conn: Connection[DictRow], name: str, statements: list[Composed]) -> None:
    """The deferred indexes of a filled scratch copy, before its statistics and switch."""
    started = time.perf_counter()
    for statement in statements:
        conn.execute(statement)
    log.debug(
        "rebuild indexed",
        extra={
            "projection": name,
            "indexes": len(statements),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


def analyse(conn: Connection[DictRow], schema: str, tables: list[str]) -> None:
    """Statistics for the fresh tables before they go live: without them the planner would
    misjudge every query until autovacuum came round."""
    for table in tables:
        conn.execute(SQL("ANALYZE {}.{}").format(Identifier(schema), Identifier(table)))


def catch_up(
    app: Supervision,
    copies: list[ScratchCopy],
    progress: Progress | None,
    *,
    reader: Connection[DictRow] | None = None,
) -> list[int]:
    """Replay into the scratch copies, outside any long transaction, from where they have
    been given the log up to close to its head (which keeps growing while this runs); how
    many events each was fed now. The rebuild's held connection, idle meanwhile, is the
    `reader` that reads each next batch of the log (replay_many)."""
    fed = [0] * len(copies)
    targets = [(copy.view, copy.projection) for copy in copies]
    after = min(copy.scanned for copy in copies)
    while True:
        head = app.recorder.max_notification_id() or 0
        if head - after <= CLOSE_ENOUGH:
            return fed
        counts = replay_many(
            app,
            targets,
            head,
            None if progress is None else partial(lambda h, p: progress(p, h), head),
            after=after,
            reader=reader,
        )
        fed = [a + b for a, b in zip(fed, counts, strict=True)]
        after = head
        for copy in copies:
            copy.scanned = max(copy.scanned, head)


def switch(
    conn: Connection[DictRow],
    app: Supervision,
    view: ReadModelView,
    spec: ProjectionSpec,
    scratch: str,
    live_schema: str,
) -> tuple[int, int]:
    """The one transaction that catches the scratch copy up under the lock and swaps the
    tables; retried when it loses a deadlock or lock timeout to a reader."""
    tables = tables_of(view)
    for attempt in range(1, SWITCH_ATTEMPTS + 1):
        try:
            with conn.transaction(), pinned(view.datastore, conn):
                return swap(conn, app, view, spec, tables, scratch, live_schema)
        except (errors.DeadlockDetected, errors.LockNotAvailable) as error:
            if attempt == SWITCH_ATTEMPTS:
                raise
            log.warning(
                "rebuild switch lost a lock race; retrying",
                extra={"projection": spec.name, "attempt": attempt, "error": str(error)},
            )
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def swap(
    conn: Connection[DictRow],
    app: Supervision,
    view: ReadModelView,
    spec: ProjectionSpec,
    tables: list[str],
    scratch: str,
    live_schema: str,
) -> tuple[int, int]:
    conn.execute("SET LOCAL lock_timeout = '5s'")
    # The tracking table first: a runner's batch takes it before the rows it writes
    # (ReadModelView.send_batch), so the two never wait on each other.
    first = sorted(tables, key=lambda t: t != view.tracking_table_name)
    live = [t for t in first if exists(conn, live_schema, t)]
    if live:
        conn.execute(
            SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                SQL(", ").join(
                    SQL("{}.{}").format(Identifier(live_schema), Identifier(t)) for t in live
                )
            )
        )
    row = conn.execute(
        SQL("SELECT coalesce(max(notification_id), 0) AS head FROM {}.{}").format(
            Identifier(live_schema), Identifier(EVENTS_TABLE)
        )
    ).fetchone()
    head = int(row["head"]) if row else 0
    with view.bound_to(conn):
        fed = replay(app, view, spec, head)  # from where the copy's tracking stands
    retired = f"retired_{scratch}"[:63]
    conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(retired)))
    for table in live:
        conn.execute(
            SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                Identifier(live_schema), Identifier(table), Identifier(retired)
            )
        )
    for table in tables:
        conn.execute(
            SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                Identifier(scratch), Identifier(table), Identifier(live_schema)
            )
        )
    conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(retired)))
    return head, fed


def exists(conn: Connection[DictRow], schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL AS present",
        (schema, table),
    ).fetchone()
    return bool(row and row["present"])


@dataclass
class RebuildJob:
    """One rebuild running in a thread of this process, as the HTTP API reports it."""

    name: str
    state: str = "running"
    position: int = 0
    head: int = 0
    result: RebuildResult | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        self.done = threading.Event()

    def progress(self, position: int, head: int) -> None:
        self.position, self.head = position, head

    def as_dict(self) -> dict[str, object]:
        if self.result is not None:
            return self.result.as_dict()
        answer: dict[str, object] = {
            "name": self.name,
            "state": self.state,
            "position": self.position,
            "head": self.head,
        }
        if self.error is not None:
            answer["error"] = self.error
        return answer


class RebuildJobs:
    """At most one running rebuild per projection in this process (the advisory lock
    covers other processes); finished jobs are kept so their outcome can be read."""

    def __init__(self, database: Database, app: Supervision) -> None:
        self.database, self.app = database, app
        self.jobs: dict[str, RebuildJob] = {}
        self.lock = threading.Lock()

    def start(self, spec: ProjectionSpec) -> tuple[RebuildJob, bool]:
        """The running job for `spec`, or a new one; and whether it is new."""
        with self.lock:
            job = self.jobs.get(spec.name)
            if job is not None and not job.done.is_set():
                return job, False
            job = self.jobs[spec.name] = RebuildJob(spec.name)
        threading.Thread(
            target=self._run, args=(job, spec), name=f"rebuild-{spec.name}", daemon=True
        ).start()
        return job, True

    def _run(self, job: RebuildJob, spec: ProjectionSpec) -> None:
        try:
            job.result = rebuild(self.database, self.app, spec, progress=job.progress)
            job.state = "done"
        except RebuildInProgress as error:
            job.state, job.error = "refused", str(error)
        except Exception as error:  # reported to whoever asks, and logged
            job.state, job.error = "failed", f"{type(error).__name__}: {error}"
            log.exception("projection rebuild failed", extra={"projection": spec.name})
        finally:
            job.done.set()
