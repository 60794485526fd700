"""The reads of the log's own tables that the outer doors need: an Idempotency-Key's stored
answer, the hash chain's head, length and rows, and a stream's events beside their chain rows.

They were written in `api/` as SQL; here they sit next to the tables they read (the
recorder writes them, `infra.migrations` names them), so the HTTP runner, the draws and
the command line ask a question by name and never compose SQL or import psycopg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from infra.database import Database
from infra.migrations import EVENTS_TABLE
from infra.recorder import chain_table, idempotency_table

EVENTS = Identifier(EVENTS_TABLE)
CHAIN = Identifier(chain_table(EVENTS_TABLE))
IDEMPOTENCY = Identifier(idempotency_table(EVENTS_TABLE))

ANSWER = SQL("SELECT fingerprint, status_code, body FROM {} WHERE principal = %s AND key = %s")
KEY_USED = SQL("SELECT 1 FROM {} WHERE principal = %s AND key = %s")
RECORDED = SQL("SELECT 1 FROM {} WHERE originator_id = %s LIMIT 1")
HEAD = SQL("SELECT ledger_index, position, hash FROM {} ORDER BY ledger_index DESC LIMIT 1")
CHAIN_ROW = SQL("SELECT ledger_index, position, hash FROM {} WHERE ledger_index = %s")
LENGTH = SQL("SELECT count(*) FROM {}")
STREAM = SQL(
    "SELECT e.notification_id, e.originator_version, e.topic, e.state, c.ledger_index, "
    "c.prev_hash, c.hash FROM {events} e LEFT JOIN {chain} c ON c.position = e.notification_id "
    "WHERE e.originator_id = %s ORDER BY e.originator_version"
)


@dataclass(frozen=True)
class StoredAnswer:
    """What a command sent with an Idempotency-Key answered the first time, and the
    fingerprint of the request that got that answer."""

    fingerprint: str
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class ChainRow:
    """One row of the hash chain: its index, the log position it covers, and its hash."""

    index: int
    position: int
    hash: bytes


@dataclass(frozen=True)
class ChainLink:
    """The chain row covering one event, as a check of that event needs it."""

    index: int
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True)
class ChainedEvent:
    """A stored event of one stream with the chain row that covers it (`None` when no
    row does, which a check of the stream reports as a problem rather than hides)."""

    position: int
    version: int
    topic: str
    state: bytes
    link: ChainLink | None


def stored_answer(datastore: PostgresDatastore, principal: str, key: str) -> StoredAnswer | None:
    """The answer first given to `principal`'s command with this Idempotency-Key, if any.
    It is on a command's path, so it borrows from the pool rather than opening a connection."""
    with datastore.get_connection() as conn:
        row = conn.execute(ANSWER.format(IDEMPOTENCY), (principal, key)).fetchone()
    if row is None:
        return None
    return StoredAnswer(row["fingerprint"], row["status_code"], row["body"])


def idempotency_key_used(database: Database, principal: str, key: str) -> bool:
    """Whether a command of `principal` with this key has committed: a step that ran once
    (the demo loader's) is not run again."""
    with database.connection() as conn:
        return conn.execute(KEY_USED.format(IDEMPOTENCY), (principal, key)).fetchone() is not None


def recorded(database: Database, aggregate_id: UUID) -> bool:
    """Whether the log holds any event of the record `aggregate_id`."""
    with database.connection() as conn:
        return conn.execute(RECORDED.format(EVENTS), (aggregate_id,)).fetchone() is not None


def chain_head(datastore: PostgresDatastore) -> ChainRow | None:
    """The newest row of the hash chain, or `None` while the log is empty."""
    with datastore.get_connection() as conn:
        row = conn.execute(HEAD.format(CHAIN)).fetchone()
    return None if row is None else as_chain_row(row)


def chain_row(datastore: PostgresDatastore, index: int) -> ChainRow | None:
    """The chain's row at `index`, or `None` when the chain has no such row."""
    with datastore.get_connection() as conn:
        row = conn.execute(CHAIN_ROW.format(CHAIN), (index,)).fetchone()
    return None if row is None else as_chain_row(row)


def chain_length(database: Database) -> int:
    """How many rows the hash chain has: how far a full verification has to go."""
    with database.connection() as conn:
        row = conn.execute(LENGTH.format(CHAIN)).fetchone()
    return int(row[0]) if row else 0


def chained_events(datastore: PostgresDatastore, originator_id: UUID) -> list[ChainedEvent]:
    """Every stored event of one stream, oldest first, each beside its chain row, as stored:
    what checking a stream against the chain needs without trusting the decoded events."""
    query = STREAM.format(events=EVENTS, chain=CHAIN)
    with datastore.get_connection() as conn:
        records = conn.execute(query, (originator_id,)).fetchall()
    return [
        ChainedEvent(
            position=r["notification_id"],
            version=r["originator_version"],
            topic=r["topic"],
            state=bytes(r["state"]),
            link=None
            if r["hash"] is None
            else ChainLink(r["ledger_index"], bytes(r["prev_hash"]), bytes(r["hash"])),
        )
        for r in records
    ]


# The first checkpoint that covers a chain index (one signing it or a later one: signed
# after that row was written), with the chain row it signs (both the same hash: a checkpoint
# whose row was changed since is not one to draw from).
FIRST_CHECKPOINT_AFTER = SQL(
    "SELECT c.ledger_index, c.position, c.hash FROM {checkpoints} cp JOIN {chain} c "
    "ON c.ledger_index = cp.ledger_index AND c.hash = cp.hash "
    "WHERE cp.ledger_index >= %s ORDER BY cp.id LIMIT 1"
)


def first_checkpoint_after(datastore: PostgresDatastore, position: int) -> ChainRow | None:
    """The chain row the first checkpoint signed after the event at `position` signs (the
    first covering that event's ledger index), or None while there is none."""
    query = FIRST_CHECKPOINT_AFTER.format(
        checkpoints=Identifier(EVENTS_TABLE.removesuffix("_events") + "_checkpoints"), chain=CHAIN
    )
    with datastore.get_connection() as conn:
        row = conn.execute(
            SQL("SELECT ledger_index FROM {} WHERE position = %s").format(CHAIN), (position,)
        ).fetchone()
        if row is None:
            return None
        found = conn.execute(query, (int(row["ledger_index"]),)).fetchone()
    return None if found is None else as_chain_row(found)


def as_chain_row(row: Any) -> ChainRow:
    return ChainRow(int(row["ledger_index"]), int(row["position"]), bytes(row["hash"]))
