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
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal
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
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "ledger_index bigint PRIMARY KEY, position bigint NOT NULL UNIQUE, "
                "prev_hash bytea NOT NULL, hash bytea NOT NULL)"
            ).format(schema, chain),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (key text PRIMARY KEY, value text NOT NULL)"
            ).format(schema, meta),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                "principal text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, "
                "status_code int NOT NULL, body jsonb NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (principal, key))"
            ).format(schema, idem),
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (id bigserial PRIMARY KEY, "
                "ledger_index bigint NOT NULL, hash bytea NOT NULL, "
                "created_at timestamptz NOT NULL, algorithm text NOT NULL, key_id text NOT NULL, "
                "signature bytea NOT NULL, public_key bytea NOT NULL)"
            ).format(
                schema, Identifier(events_table_name.removesuffix("_events") + "_checkpoints")
            ),
        ]
        self.chain_function_name = f"{self.chain_table_name}_extend"
        self.sql_create_statements.append(
            chain_function(
                schema=self.datastore.schema,
                function=self.chain_function_name,
                events=events_table_name,
                chain=self.chain_table_name,
            )
        )
        self.append_function_name = f"{events_table_name}_append"
        self.sql_create_statements.append(
            append_function(
                schema=self.datastore.schema,
                function=self.append_function_name,
                events=events_table_name,
                event_type=self.stored_event_type_name,
                chain_function=self.chain_function_name,
                idempotency=self.idempotency_table_name,
                channel=self.channel_name,
            )
        )
        self.append_batch_function_name = f"{events_table_name}_append_batch"
        self.sql_create_statements.append(
            append_batch_function(
                schema=self.datastore.schema,
                function=self.append_batch_function_name,
                events=events_table_name,
                event_type=self.stored_event_type_name,
                chain_function=self.chain_function_name,
                idempotency=self.idempotency_table_name,
                channel=self.channel_name,
            )
        )
        self.append_batch_statement = SQL(
            "SELECT out_command, out_positions, out_failure "
            "FROM {}.{}(%s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema, Identifier(self.append_batch_function_name))
        self.group: GroupCommitter | None = None
        self.append_statement = SQL(
            "SELECT position FROM {}.{}(%s, %s, %s, %s, %s, %s) AS position"
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


def chain_function(*, schema: str, function: str, events: str, chain: str) -> Composed:
    """PL/pgSQL that appends the chain rows of the events at `new_positions`: the ones the
    calling transaction inserted, and no others.

    Called under the events table's EXCLUSIVE lock, right after the insert. An event that
    someone put in the table by hand is never chained by the next command (it stays
    without a chain row, and verification names it), whichever the hash. It hashes what
    `infra.chain` hashes, byte for byte (int8send/int4send are big-endian; uuid::text is
    the canonical lowercase form), and the tests check both against each other.
    """
    return SQL(
        """DROP FUNCTION IF EXISTS {schema}.{function}();
CREATE OR REPLACE FUNCTION {schema}.{function}(new_positions bigint[]) RETURNS bigint
LANGUAGE plpgsql AS $body$
DECLARE
    head_index bigint;
    head_hash bytea;
    head_position bigint;
    previous bytea;
    e record;
    indexes bigint[] := '{{}}';
    positions bigint[] := '{{}}';
    prevs bytea[] := '{{}}';
    hashes bytea[] := '{{}}';
BEGIN
    SELECT c.ledger_index, c.hash, c.position INTO head_index, head_hash, head_position
      FROM {schema}.{chain} c ORDER BY c.ledger_index DESC LIMIT 1;
    IF NOT FOUND THEN
        head_index := 0;
        head_hash := decode(repeat('00', 32), 'hex');
        head_position := 0;
    END IF;
    FOR e IN SELECT notification_id, originator_id, originator_version, topic, state
               FROM {schema}.{events}
              WHERE notification_id = ANY(new_positions) AND notification_id > head_position
              ORDER BY notification_id LOOP
        head_index := head_index + 1;
        previous := head_hash;
        head_hash := sha256(previous
            || int4send(8) || int8send(head_index)
            || int4send(8) || int8send(e.notification_id)
            || int4send(octet_length(convert_to(e.originator_id::text, 'UTF8')))
            || convert_to(e.originator_id::text, 'UTF8')
            || int4send(8) || int8send(e.originator_version::bigint)
            || int4send(octet_length(convert_to(e.topic, 'UTF8'))) || convert_to(e.topic, 'UTF8')
            || int4send(32) || sha256(e.state));
        indexes := indexes || head_index;
        positions := positions || e.notification_id;
        prevs := prevs || previous;
        hashes := hashes || head_hash;
    END LOOP;
    INSERT INTO {schema}.{chain} (ledger_index, position, prev_hash, hash)
         SELECT * FROM unnest(indexes, positions, prevs, hashes);
    RETURN head_index;
END
$body$"""
    ).format(
        schema=Identifier(schema),
        function=Identifier(function),
        events=Identifier(events),
        chain=Identifier(chain),
    )


def append_function(
    *,
    schema: str,
    function: str,
    events: str,
    event_type: str,
    chain_function: str,
    idempotency: str,
    channel: str,
) -> Composed:
    """PL/pgSQL for one command's whole write: lock (so insert order is commit order, as in
    the library's recorder), notify the projection runners, insert, chain, keep the answer."""
    return SQL(
        """CREATE OR REPLACE FUNCTION {schema}.{function}(
    new_events {schema}.{event_type}[], idem_principal text, idem_key text,
    idem_fingerprint text, idem_status int, idem_body jsonb) RETURNS SETOF bigint
LANGUAGE plpgsql AS $body$
DECLARE
    positions bigint[];
BEGIN
    LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;
    NOTIFY {channel};
    WITH inserted AS (
        INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)
        SELECT originator_id, originator_version, topic, state FROM unnest(new_events)
        RETURNING notification_id)
    SELECT array_agg(notification_id ORDER BY notification_id) INTO positions FROM inserted;
    PERFORM {schema}.{chain_function}(positions);
    IF idem_key IS NOT NULL THEN
        INSERT INTO {schema}.{idempotency} (principal, key, fingerprint, status_code, body)
        VALUES (idem_principal, idem_key, idem_fingerprint, idem_status,
                idem_body || jsonb_build_object('position', positions[array_length(positions, 1)]));
    END IF;
    RETURN QUERY SELECT unnest(positions);
END
$body$"""
    ).format(
        schema=Identifier(schema),
        function=Identifier(function),
        events=Identifier(events),
        event_type=Identifier(event_type),
        chain_function=Identifier(chain_function),
        idempotency=Identifier(idempotency),
        channel=Identifier(channel),
    )


def append_batch_function(
    *,
    schema: str,
    function: str,
    events: str,
    event_type: str,
    chain_function: str,
    idempotency: str,
    channel: str,
) -> Composed:
    """PL/pgSQL for a batch of commands' writes in one transaction (infra/group_commit.py):
    one lock, one NOTIFY and one chain extension; each command's events and idempotency
    record in its own exception block, so a command that conflicts fails alone."""
    return SQL(
        """CREATE OR REPLACE FUNCTION {schema}.{function}(
    new_events {schema}.{event_type}[], first_event int[], last_event int[],
    idem_principal text[], idem_key text[], idem_fingerprint text[], idem_status int[],
    idem_body jsonb[]) RETURNS TABLE (out_command int, out_positions bigint[], out_failure text)
LANGUAGE plpgsql AS $body$
DECLARE
    i int;
    positions bigint[];
    chained bigint[] := '{{}}';
    failed_table text;
BEGIN
    LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;
    NOTIFY {channel};
    FOR i IN 1 .. coalesce(array_length(first_event, 1), 0) LOOP
        BEGIN
            WITH inserted AS (
                INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)
                SELECT originator_id, originator_version, topic, state
                  FROM unnest(new_events[first_event[i]:last_event[i]])
                RETURNING notification_id)
            SELECT array_agg(notification_id ORDER BY notification_id) INTO positions
              FROM inserted;
            IF idem_key[i] IS NOT NULL THEN
                INSERT INTO {schema}.{idempotency}
                       (principal, key, fingerprint, status_code, body)
                VALUES (idem_principal[i], idem_key[i], idem_fingerprint[i], idem_status[i],
                        idem_body[i] || jsonb_build_object(
                            'position', positions[array_length(positions, 1)]));
            END IF;
            out_command := i; out_positions := positions; out_failure := NULL;
            chained := chained || positions;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS failed_table = TABLE_NAME;
            out_command := i; out_positions := NULL;
            out_failure := CASE WHEN failed_table = {idempotency_name} THEN 'idempotency'
                                ELSE 'events' END;
        END;
        RETURN NEXT;
    END LOOP;
    PERFORM {schema}.{chain_function}(chained);
END
$body$"""
    ).format(
        schema=Identifier(schema),
        function=Identifier(function),
        events=Identifier(events),
        event_type=Identifier(event_type),
        chain_function=Identifier(chain_function),
        idempotency=Identifier(idempotency),
        idempotency_name=Literal(idempotency),
        channel=Identifier(channel),
    )
