"""What every read model shares: rows and tracking in one transaction, waiting for a position."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

APPLICATION_NAME = "Supervision"

Writer = Callable[[Cursor[DictRow]], object]


class ProjectionLagging(Exception):
    """The read model has not reached the requested position in time."""

    def __init__(self, name: str, wanted: int, reached: int | None) -> None:
        super().__init__(f"projection {name!r} has reached {reached}, not {wanted}")
        self.name, self.wanted, self.reached = name, wanted, reached


class ReadModelView(PostgresTrackingRecorder):
    """A PostgreSQL read model whose rows and tracking record commit together (exactly once)."""

    projection_name: ClassVar[str] = ""

    def __init__(self, datastore: PostgresDatastore, *, tracking_table_name: str = "", **kw: Any):
        super().__init__(
            datastore,
            tracking_table_name=tracking_table_name or f"{self.projection_name}_tracking",
            **kw,
        )
        self.sql_create_statements += self.table_statements()
        self.select_tracking_for_update = SQL(
            "SELECT notification_id FROM {}.{} WHERE application_name = %s FOR UPDATE"
        ).format(Identifier(self.datastore.schema), Identifier(self.tracking_table_name))

    def table_statements(self) -> list[Composed]:
        """CREATE statements of this read model's own tables (IF NOT EXISTS)."""
        return []

    def table(self, name: str) -> Composed:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(name))

    def apply(self, tracking: Tracking, write: Writer | None = None) -> None:
        """Run `write` and advance the tracking record in one transaction; a notification
        that was already processed (a second delivery) changes nothing."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.select_tracking_for_update, (tracking.application_name,))
            row = curs.fetchone()
            if row is not None and row["notification_id"] >= tracking.notification_id:
                return
            if write is not None:
                write(curs)
            self._insert_tracking(curs, tracking)

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION_NAME) or 0

    def wait_for(self, position: int | None, timeout: float) -> None:
        """Read-your-writes: block until this read model has processed `position`."""
        if position is None or position <= 0:
            return
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            reached = self.position()
            if reached >= position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionLagging(self.projection_name, position, reached)
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def fetch_all(self, query: Composed, params: Any = ()) -> list[DictRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, params)
            return curs.fetchall()
