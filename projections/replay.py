"""Replay: build read models from zero into a scratch schema, up to a position, and digest them.

Auditors use it to attest that the read models follow from the log alone (two replays to
the same position give the same digests); tests use it as "a rebuild from zero" to compare
with the incrementally maintained read models.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Identifier

from domain.application import Supervision
from infra.database import Database
from infra.migrations import schema_datastore
from projections.base import APPLICATION_NAME, ReadModelView
from projections.registry import ProjectionSpec

BATCH = 500


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


def replay(
    app: Supervision,
    view: ReadModelView,
    spec: ProjectionSpec,
    to_position: int,
    progress: Callable[[int], None] | None = None,
    *,
    after: int = 0,
) -> int:
    """Feed the view's events after `after` up to `to_position`, in order, through a fresh
    projection; answer how many were fed. Each batch is one transaction (rows and tracking
    of a whole batch commit together: a crash loses the batch, not its consistency), unless
    the view is already bound to a caller's transaction."""
    projection = spec.projection_class(view=view)
    fed = 0
    while after < to_position:
        notifications = app.recorder.select_notifications(
            start=after,
            limit=BATCH,
            stop=to_position,
            topics=list(view.topics),
            inclusive_of_start=False,
        )
        if not notifications:
            break
        events = [(app.mapper.to_domain_event(n), n.id) for n in notifications]
        with in_one_transaction(view):
            for event, position in events:
                projection.process_event(event, Tracking(APPLICATION_NAME, position))
        fed += len(notifications)
        after = notifications[-1].id
        if progress is not None:
            progress(after)
    return fed


@contextmanager
def in_one_transaction(view: ReadModelView) -> Iterator[None]:
    """The view's statements run in one pipelined transaction of a pooled connection (or
    in the caller's, when the view is bound already)."""
    if view.is_bound:
        yield
        return
    with (
        view.datastore.get_connection() as conn,
        conn.transaction(),
        conn.pipeline(),  # statements go out without waiting for each answer
        view.bound_to(conn),
    ):
        yield


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
