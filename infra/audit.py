"""Walks the whole hash chain from the first event, streaming, in constant memory."""

from __future__ import annotations

import struct
from collections.abc import Callable, Generator
from contextlib import closing
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from infra.chain import GENESIS, Verification, envelope, hasher
from infra.database import Database
from infra.migrations import EVENTS_TABLE
from infra.recorder import chain_table

BATCH = 5000


def verify_chain(
    database: Database,
    algorithm: str,
    progress: Callable[[int], None] | None = None,
    events_table: str = EVENTS_TABLE,
) -> Verification:
    """Recompute every link; stop at the first event or chain row that does not fit."""
    h = hasher(algorithm)
    prev, count = GENESIS, 0
    # With SHA-256 the server hashes each stored state itself (pgcrypto-free `sha256()`), so
    # only 32 bytes per event travel and Python hashes the short envelope alone.
    prehashed = algorithm == "sha256"
    with (
        database.connection() as conn,
        conn.transaction(),
        closing(walk(conn, events_table, hash_states=prehashed)) as rows,
    ):
        for row in rows:
            problem = check_row(h, prev, count + 1, row, prehashed=prehashed)
            if problem is not None:
                return Verification(
                    ok=False,
                    events_verified=count,
                    head_index=count,
                    head_hash=prev.hex() if count else None,
                    first_invalid_index=count + 1,
                    problem=problem,
                )
            prev, count = bytes(row[8]), count + 1
            if progress is not None and count % BATCH == 0:
                progress(count)
    if progress is not None:
        progress(count)
    return Verification(True, count, count, prev.hex() if count else None)


def walk(
    conn: psycopg.Connection[Any],
    events_table: str = EVENTS_TABLE,
    *,
    hash_states: bool = False,
    after_position: int = 0,
    before_position: int | None = None,
) -> Generator[tuple[Any, ...], None, None]:
    """Every stored event beside its chain row (past `after_position`, and before
    `before_position` if given), in the log's order, through a server-side cursor (the
    caller holds a transaction open). A full outer join: an event without a chain row and a
    chain row without an event come out too, where their position puts them, so the walk
    names the index at which an inserted or deleted event sits. The range is put on each
    side of the join, where the positions' indexes serve it; a walk from the start (or to
    the end) has no bound on that side, so a row written at a position no sequence gives
    (zero, negative, the largest bigint) is walked too, and found without a chain row."""
    bounds = [SQL("{} > %(after)s")] if after_position > 0 else []
    if before_position is not None:
        bounds.append(SQL("{} < %(before)s"))

    def within(column: str) -> Composed:
        named = Identifier(column)
        return SQL(" AND ").join([SQL("TRUE"), *(bound.format(named) for bound in bounds)])

    query = SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, {state}, "
        "c.ledger_index, c.position, c.prev_hash, c.hash "
        "FROM (SELECT * FROM {events} WHERE {events_within}) e "
        "FULL OUTER JOIN (SELECT * FROM {chain} WHERE {chain_within}) c "
        "ON c.position = e.notification_id "
        "ORDER BY COALESCE(e.notification_id, c.position), c.ledger_index"
    ).format(
        events=Identifier(events_table),
        chain=Identifier(chain_table(events_table)),
        events_within=within("notification_id"),
        chain_within=within("position"),
        state=SQL("pg_catalog.sha256(e.state)" if hash_states else "e.state"),
    )
    with conn.cursor(name="walk_chain", row_factory=tuple_row) as cursor:
        cursor.itersize = BATCH
        cursor.execute(query, {"after": after_position, "before": before_position})
        yield from cursor


def chain_problem_after(
    conn: psycopg.Connection[Any],
    algorithm: str,
    index: int,
    hash_: bytes,
    events_table: str = EVENTS_TABLE,
) -> str | None:
    """What breaks the chain after the row at `index` (whose hash is `hash_`), or None: each
    link from there to the head recomputed, as `verify_chain` does from the first."""
    h, prehashed = hasher(algorithm), algorithm == "sha256"
    query = SQL("SELECT position FROM {} WHERE ledger_index = %s").format(
        Identifier(chain_table(events_table))
    )
    found = conn.execute(query, (index,)).fetchone()
    if found is None:
        return f"there is no chain row at index {index}"
    after = int(found["position"] if isinstance(found, dict) else found[0])
    prev, count = hash_, index
    with closing(walk(conn, events_table, hash_states=prehashed, after_position=after)) as rows:
        for row in rows:
            problem = check_row(h, prev, count + 1, row, prehashed=prehashed)
            if problem is not None:
                return problem
            prev, count = bytes(row[8]), count + 1
    return None


class StateHash(bytes):
    """H(state) where a bundle carries it instead of the state (whose bytes hold a secret,
    such as an account's token hash): the chain verifies from the hash alone."""


def check_row(
    h: Callable[[bytes], bytes],
    prev: bytes,
    index: int,
    row: tuple[Any, ...],
    *,
    prehashed: bool = False,
) -> str | None:
    (
        position,
        aggregate_id,
        version,
        topic,
        state,
        ledger_index,
        chained_position,
        prev_hash,
        hash_,
    ) = row
    if ledger_index is None:
        return f"event at position {position} has no chain row"
    if position is None:
        return f"chain row {ledger_index} points at position {chained_position}, which has no event"
    if ledger_index != index:
        return f"expected ledger index {index}, found {ledger_index}"
    if bytes(prev_hash) != prev:
        return f"chain row {index} does not follow the hash before it"
    if None in (aggregate_id, version, topic, state) or hash_ is None:
        return f"event at ledger index {index} (position {position}) has a field emptied: damaged"
    state_hash = bytes(state) if prehashed or isinstance(state, StateHash) else h(bytes(state))
    try:
        fields = envelope(index, position, str(aggregate_id), version, topic, state_hash)
    except UnicodeEncodeError:
        return f"event at ledger index {index} (position {position}) holds text that is not UTF-8"
    except struct.error:
        return f"event at ledger index {index} (position {position}) has a number out of range"
    expected = h(prev + fields)
    if expected != bytes(hash_):
        return f"event at ledger index {index} (position {position}) was altered"
    return None


def read_log(
    datastore: PostgresDatastore, after: int, limit: int, events_table: str = EVENTS_TABLE
) -> list[dict[str, Any]]:
    """Stored events after a position, in global order, each with its chain row and the
    topic of its aggregate's first event (which names the aggregate's kind); on one of the
    datastore's pooled connections."""
    query = SQL(
        "SELECT e.notification_id AS position, e.originator_id, e.originator_version, e.topic, "
        "e.state, c.ledger_index, c.hash, c.prev_hash, (SELECT f.topic FROM {events} f "
        "WHERE f.originator_id = e.originator_id AND f.originator_version = 1) AS first_topic "
        "FROM {events} e LEFT JOIN {chain} c ON c.position = e.notification_id "
        "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
    ).format(events=Identifier(events_table), chain=Identifier(chain_table(events_table)))
    with datastore.get_connection() as conn:
        return list(conn.execute(query, (after, limit)).fetchall())
