"""The application recorder with the audit hash chain and idempotency records.

Inside the library's insert transaction, under its EXCLUSIVE table lock (so the chain's
order is the commit order), it writes one chain row per event and, when a command came
with an Idempotency-Key, the answer to that command: all of it commits, or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from infra.chain import GENESIS, hasher, link
from infra.group_commit import GroupCommitter, KeyTaken, Pending


class IdempotencyKeyTaken(Exception):
    """Another command committed first with the same Idempotency-Key."""


@dataclass
class IdempotencyRecord:
    """The first answer to a command sent with an Idempotency-Key, kept with its events."""

    principal: str
    key: str
    fingerprint: str
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


def chain_table(events_table: str) -> str:
    return events_table.removesuffix("_events") + "_chain"


def meta_table(events_table: str) -> str:
    return events_table.removesuffix("_events") + "_log_meta"


def idempotency_table(events_table: str) -> str:
    return events_table.removesuffix("_events") + "_idempotency"


class ChainedApplicationRecorder(PostgresApplicationRecorder):
    """Records events, their hash-chain rows and idempotency records in one transaction."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        self.chain_table_name = chain_table(events_table_name)
        self.meta_table_name = meta_table(events_table_name)
        self.idempotency_table_name = idempotency_table(events_table_name)
        chain = Identifier(self.chain_table_name)
        meta = Identifier(self.meta_table_name)
        idem = Identifier(self.idempotency_table_name)
        # The tables and the SQL functions named here are made by the versioned migrations
        # (infra/schema/, ADR 023), never by this recorder: see `create_table`.
        self.chain_function_name = f"{self.chain_table_name}_extend"
        self.append_function_name = f"{events_table_name}_append"
        self.append_batch_function_name = f"{events_table_name}_append_batch"
        # The events go in binary (%b): psycopg dumps an array of composites as text by
        # escaping every field, a tenth of the speed (docs/performance.md). In binary each
        # field is dumped as its column's type, so an originator id must be a UUID, never
        # its text (every aggregate's id is).
        self.append_batch_statement = SQL(
            "SELECT out_command, out_positions, out_failure "
            "FROM {}.{}(%b, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema, Identifier(self.append_batch_function_name))
        self.group: GroupCommitter | None = None
        self.append_statement = SQL(
            "SELECT position FROM {}.{}(%b, %s, %s, %s, %s, %s) AS position"
        ).format(schema, Identifier(self.append_function_name))
        self.select_head_statement = SQL(
            "SELECT ledger_index, hash FROM {}.{} ORDER BY ledger_index DESC LIMIT 1"
        ).format(schema, chain)
        self.insert_chain_statement = SQL(
            "INSERT INTO {}.{} (ledger_index, position, prev_hash, hash) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[], %s::bytea[])"
        ).format(schema, chain)
        self.insert_idempotency_statement = SQL(
            "INSERT INTO {}.{} (principal, key, fingerprint, status_code, body) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING key"
        ).format(schema, idem)
        self.select_algorithm_statement = SQL(
            "SELECT value FROM {}.{} WHERE key = 'hash_algorithm'"
        ).format(schema, meta)
        self._algorithm: str | None = None

    @property
    def algorithm(self) -> str:
        """The chain's hash algorithm, as recorded in the log's metadata at migration."""
        if self._algorithm is None:
            with self.datastore.get_connection() as conn:
                row = conn.execute(self.select_algorithm_statement).fetchone()
            if row is None:
                raise RuntimeError("the event log has no hash algorithm: run `supervision migrate`")
            self._algorithm = str(row["value"])
        return self._algorithm

    def create_table(self) -> None:
        """Refused: the log's tables, its SQL functions (`{events}_append`, the chain's
        `{chain}_extend`, which hashes what `infra.chain` hashes, byte for byte) and its
        triggers are made and changed only by the numbered migrations in infra/schema/, which
        `supervision migrate` applies once each (ADR 023). The library's own statements would
        make an event table without its chain."""
        raise ProgrammingError(
            "the event log's schema is made by `supervision migrate` (infra/schema/), "
            "not by the recorder"
        )

    # A request waits at most ~3 × (pool timeout 5 s + 0.5 s) for a database that is
    # down, then answers 503: a restart of a few seconds is ridden out, an outage is told.
    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.5)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        if self.algorithm == "sha256":
            return self._insert_chained_by_database(stored_events, kwargs.get("idempotency"))
        return self._insert_chained_here(stored_events, **kwargs)

    def _insert_chained_by_database(
        self, stored_events: Sequence[StoredEvent], idempotency: IdempotencyRecord | None
    ) -> list[int]:
        """SHA-256: one statement, `{events}_append(...)`, locks, notifies, inserts the
        events, appends their chain rows and keeps the idempotency record, atomically (in
        autocommit, a statement is a transaction). One round trip; the table lock is held
        only while the server works, never while this process waits to run Python."""
        body = self._idempotency_body(idempotency, stored_events) if idempotency else None
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        key = idempotency or IdempotencyRecord("", "", "", 0)
        params = (
            events,
            key.principal or None,
            key.key or None,
            key.fingerprint,
            key.status_code,
            Jsonb(body),
        )
        pending = Pending(events, params[1:])
        try:
            if self.group is not None:
                ids = self.group.write(pending)
            else:
                pending.settle(*self._write_one(pending))
                ids = pending.result()
        except KeyTaken:
            raise IdempotencyKeyTaken(key.key) from None
        if idempotency is not None:
            idempotency.body = dict(body or {}, position=ids[-1])
        return ids

    def enable_group_commit(self, max_batch: int = 128) -> None:
        """Write concurrent commands in shared transactions (see infra/group_commit.py)."""
        if self.group is None:
            self.group = GroupCommitter(self._write_batch, max_batch)

    def close(self) -> None:
        if self.group is not None:
            self.group.close()

    def _write_batch(self, batch: Sequence[Pending]) -> list[tuple[list[int] | None, str | None]]:
        """One call of `{events}_append_batch` for the commands of `batch`, in order (a
        batch of one takes the single-command function, which costs half as much)."""
        if len(batch) == 1:
            return [self._write_one(batch[0])]
        events: list[Any] = []
        first, last = [], []
        for pending in batch:
            first.append(len(events) + 1)
            events.extend(pending.events)
            last.append(len(events))
        columns = list(zip(*(p.idempotency for p in batch), strict=True))
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                self.append_batch_statement,
                (events, first, last, *(list(c) for c in columns)),
                prepare=True,
            ).fetchall()
        by_command = {row["out_command"]: row for row in rows}
        return [
            (
                None
                if by_command[i]["out_positions"] is None
                else [int(p) for p in by_command[i]["out_positions"]],
                by_command[i]["out_failure"],
            )
            for i in range(1, len(batch) + 1)
        ]

    def _write_one(self, pending: Pending) -> tuple[list[int] | None, str | None]:
        with self.datastore.get_connection() as conn:
            try:
                rows = conn.execute(
                    self.append_statement, (pending.events, *pending.idempotency), prepare=True
                ).fetchall()
            except psycopg.errors.UniqueViolation as error:
                taken = error.diag.table_name == self.idempotency_table_name
                return None, "idempotency" if taken else "events"
        return [int(row["position"]) for row in rows], None

    @staticmethod
    def _idempotency_body(
        record: IdempotencyRecord, stored_events: Sequence[StoredEvent]
    ) -> dict[str, Any]:
        """The answer to keep, but for its position (the database fills that in)."""
        first = stored_events[0]
        version = max(
            e.originator_version for e in stored_events if e.originator_id == first.originator_id
        )
        return dict(record.body, id=str(first.originator_id), version=version)

    def _insert_chained_here(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int]:
        """Other algorithms (SM3): this process computes the chain rows, in two round trips."""
        h = hasher(self.algorithm)
        idempotency: IdempotencyRecord | None = kwargs.get("idempotency")
        error: Exception | None = None
        notification_ids: list[int] = []
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.pipeline() as pipeline, conn.cursor() as curs:
                try:
                    notification_ids = self._insert_and_chain(curs, stored_events, h)
                    if idempotency is not None:
                        self._insert_idempotency(
                            curs, idempotency, stored_events, notification_ids[-1]
                        )
                    pipeline.sync()
                except Exception as e:  # re-raised below, once the pipeline has closed
                    error = e
            if error is not None:
                raise error
        return notification_ids

    def _insert_and_chain(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], h: Any
    ) -> list[int]:
        self._lock_table(curs)
        self._notify_channel(curs)
        head_cursor = curs.connection.cursor()
        head_cursor.execute(self.select_head_statement, prepare=True)
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events)
        ids = [row["notification_id"] for row in curs.fetchall()]
        head = head_cursor.fetchone()
        index, prev = (head["ledger_index"], bytes(head["hash"])) if head else (0, GENESIS)
        links = []
        for stored, position in zip(stored_events, ids, strict=True):
            index += 1
            chained = link(
                h,
                prev,
                index,
                position,
                str(stored.originator_id),
                stored.originator_version,
                stored.topic,
                stored.state,
            )
            links.append(chained)
            prev = chained.hash
        curs.execute(
            self.insert_chain_statement,
            (
                [c.ledger_index for c in links],
                [c.position for c in links],
                [c.prev_hash for c in links],
                [c.hash for c in links],
            ),
            prepare=True,
        )
        return ids

    def _insert_idempotency(
        self,
        curs: Cursor[DictRow],
        record: IdempotencyRecord,
        stored_events: Sequence[StoredEvent],
        position: int,
    ) -> None:
        """Keep the command's answer: its fixed fields plus the id, version and position."""
        body = dict(self._idempotency_body(record, stored_events), position=position)
        curs.execute(
            self.insert_idempotency_statement,
            (record.principal, record.key, record.fingerprint, record.status_code, Jsonb(body)),
        )
        if curs.fetchone() is None:
            raise IdempotencyKeyTaken(record.key)
        record.body = body
