"""Replay: build read models from zero into a scratch schema, up to a position, and digest them.

Auditors use it to attest that the read models follow from the log alone (two replays to
the same position give the same digests); tests use it as "a rebuild from zero" to compare
with the incrementally maintained read models.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager, nullcontext
from functools import partial
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.projection import Projection
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.application import Supervision
from infra.database import Database
from infra.migrations import schema_datastore
from infra.persistence import pinned
from projections.base import APPLICATION_NAME, ReadModelView
from projections.registry import ProjectionSpec

BATCH = 2000  # events read, decoded and applied at once (the live runner reads 500)


@contextmanager
def scratch_schema(database: Database, prefix: str = "replay") -> Iterator[str]:
    """A fresh schema, dropped (with everything left in it) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"[:63]
    with database.connection(autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(name)))
    try:
        yield name
    finally:
        with database.connection(autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(name)))


Target = tuple[ReadModelView, Projection[Any]]


def replay(
    app: Supervision,
    view: ReadModelView,
    spec: ProjectionSpec,
    to_position: int,
    progress: Callable[[int], None] | None = None,
    *,
    after: int | None = None,
) -> int:
    """Feed the view's events after `after` (by default, its tracked position) up to
    `to_position`, in order, through a fresh projection; answer how many were fed. Each
    batch is one transaction (rows and tracking of a whole batch commit together: a crash
    loses the batch, not its consistency), unless the view is already bound to a caller's
    transaction."""
    (fed,) = replay_many(
        app, [(view, spec.projection_class(view=view))], to_position, progress, after=after
    )
    return fed


def replay_many(
    app: Supervision,
    targets: Sequence[Target],
    to_position: int,
    progress: Callable[[int], None] | None = None,
    *,
    after: int | None = None,
    reader: Connection[DictRow] | None = None,
) -> list[int]:
    """replay for several read models at once: each batch of the log that any of them uses
    is read (after `after`, by default the lowest of their tracked positions) and decoded
    once, and each view is given its own events of it (set-wise, see
    ReadModelView.send_batch); answer how many events each was fed. A `reader` connection,
    idle otherwise, reads the next batch while this one is applied (see batches)."""
    fed = [0] * len(targets)
    wanted = [frozenset(view.topics) for view, _ in targets]
    # What each view holds already is left out (send_batch), and each batch goes on from
    # where the last left it (a second replay changes nothing; another writer meanwhile,
    # TrackingMoved).
    floors = [tracked_now(view) for view, _ in targets]
    if after is None:
        after = min(floors)
    topics = sorted(frozenset().union(*wanted))
    # Closed on the way out, a failure's included, so that a read under way ends first.
    with closing(batches(app, topics, after, to_position, reader)) as reading:
        for events, reached in reading:
            given = [
                [(e, position) for e, position, topic in events if topic in mine] for mine in wanted
            ]
            applied = in_one_transaction(targets, given, floors)
            fed = [n + k for n, k in zip(fed, applied, strict=True)]
            floors = [
                mine[-1][1] if k else floor
                for mine, k, floor in zip(given, applied, floors, strict=True)
            ]
            if progress is not None:
                progress(reached)
    return fed


def recorder_datastore(app: Supervision) -> PostgresDatastore:
    """The datastore the application's recorder reads the log through."""
    recorder = app.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    return recorder.datastore


Decoded = list[tuple[Any, int, str]]  # a batch's events, with their positions and topics


def batches(
    app: Supervision,
    topics: list[str],
    after: int,
    to_position: int,
    reader: Connection[DictRow] | None = None,
) -> Generator[tuple[Decoded, int]]:
    """The log's events of `topics` after `after` up to `to_position`, read and decoded a
    batch at a time, each with the position it reaches. With a `reader` connection, the
    next batch is read on it and decoded in a thread of its own while the caller applies
    this one: the server writes one batch while the client decodes the next."""

    on_reader = nullcontext if reader is None else partial(pinned, recorder_datastore(app), reader)

    def read(start: int) -> tuple[Decoded, int]:
        with on_reader():
            notifications = app.recorder.select_notifications(
                start=start, limit=BATCH, stop=to_position, topics=topics, inclusive_of_start=False
            )
            events = [(app.mapper.to_domain_event(n), n.id, n.topic) for n in notifications]
        return events, notifications[-1].id if notifications else start

    if reader is None:
        while after < to_position and (batch := read(after))[0]:
            yield batch
            after = batch[1]
        return
    with ThreadPoolExecutor(1, thread_name_prefix="replay-reader") as ahead:
        coming = ahead.submit(read, after) if after < to_position else None
        while coming is not None and (batch := coming.result())[0]:
            after = batch[1]
            coming = ahead.submit(read, after) if after < to_position else None
            yield batch


def tracked_now(view: ReadModelView) -> int:
    """The view's tracked position, read on its bound connection if it has one."""
    if view.connection is not None:
        return view.tracked_on(view.connection)
    return view.max_tracking_id(APPLICATION_NAME) or 0


def in_one_transaction(
    targets: Sequence[Target], given: list[list[tuple[Any, int]]], floors: list[int]
) -> list[int]:
    """Each target's events after its tracked position in `floors`, set-wise, all in one
    transaction: of a pooled connection (ReadModelView.batch_transaction), or the caller's
    where the views are bound already. Views being filled by COPY go first
    (ReadModelView.fill_batch: COPY cannot run in a pipeline); the others' statements then
    go pipelined (ReadModelView.send_batch), so the server applies one view's statements
    while the next view's are made (a view copies a long batch even when it is not being
    filled from zero: ReadModelView.copies). Each view's tracking advance is confirmed
    (TrackingMoved, and nothing of the batch kept, if another writer moved one). Answers
    how many events each was given."""
    bound = {id(view.connection) for view, _ in targets}
    if len(bound) != 1:
        raise ValueError("the views of one replay are all bound to one connection, or none")
    conn = targets[0][0].connection
    work = list(zip(targets, given, floors, strict=True))
    with ExitStack() as stack:
        if conn is None:
            conn = stack.enter_context(targets[0][0].batch_transaction(pipelined=False))
        # Views filled by COPY first, as COPY cannot run in a pipeline; then the others'
        # statements, pipelined.
        sent = {
            i: view.fill_batch(conn, projection, mine, floor)
            for i, ((view, projection), mine, floor) in enumerate(work)
            if view.copies(mine)
        }
        with conn.pipeline():
            for i, ((view, projection), mine, floor) in enumerate(work):
                if i not in sent:
                    sent[i] = view.send_batch(conn, projection, mine, floor)
            for batch in sent.values():
                if batch is not None:
                    batch.confirm()
    return [0 if (batch := sent[i]) is None else batch.events for i in range(len(work))]


def tables_of(view: ReadModelView) -> list[str]:
    """Every table in the view's schema, by name (a scratch schema holds one view's)."""
    rows = view.fetch_all(
        SQL("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename"),
        (view.datastore.schema,),
    )
    return [str(r["tablename"]) for r in rows]


def digest(view: ReadModelView, tables: list[str] | None = None) -> str:
    """SHA-256 over the view's tables (by default every table of its schema), rows in a
    canonical order."""
    schema = view.datastore.schema
    h = hashlib.sha256()
    for table in sorted(tables if tables is not None else tables_of(view)):
        rows = view.fetch_all(
            SQL("SELECT t::text AS row FROM {}.{} t ORDER BY 1").format(
                Identifier(schema), Identifier(table)
            )
        )
        h.update(table.encode() + b"\n")
        for row in rows:
            h.update(str(row["row"]).encode() + b"\n")
    return h.hexdigest()


def attest(
    database: Database,
    app: Supervision,
    spec: ProjectionSpec,
    to_position: int,
    progress: Callable[[int], None] | None = None,
) -> str:
    """The digest of one read model rebuilt from zero up to `to_position`."""
    with scratch_schema(database) as schema, schema_datastore(database, schema) as datastore:
        view = spec.view_class(datastore)
        view.create_table()
        replay(app, view, spec, to_position, progress)
        return digest(view)
