"""Receipts (issue 16 item 4): what proves, with nothing but a pinned key, that one event
was recorded — whatever later happens to the database.

A receipt is the event's chain row and envelope (docs/audit.md §1), the first version-2
checkpoint whose index reaches it (signed: the log, its head, the Merkle root) and the
RFC 9162 inclusion proof of the event's chain hash in the tree that checkpoint's root
signs. Verifying it recomputes the event's hash from its fields, the root from the proof,
and the checkpoint's signature; `holds_problem` then says whether a database still holds it
(a log restored from an older backup, or rewritten, does not). Format: docs/audit.md §8.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from infra.bundle import HASHED_ONLY
from infra.chain import envelope, hasher
from infra.checkpoints import _row_to_checkpoint, as_json, checkpoints_table
from infra.database import Database
from infra.merkle import verify_inclusion
from infra.merkle_store import prove_inclusion
from infra.migrations import EVENTS_TABLE
from infra.recorder import chain_table
from infra.signing import key_id, verify_checkpoint

FORMAT = "supervision-receipt"
VERSION = 1


class ReceiptPending(LookupError):
    """No chained checkpoint reaches the event yet: the next one will."""


class ReceiptUnavailable(RuntimeError):
    """The stored Merkle tree does not give the root the checkpoint signed (derived data
    that disagrees with the chain): no receipt that would not verify is handed out."""


def _tables(events_table: str) -> tuple[Identifier, Identifier, Identifier]:
    """The log's events, chain and checkpoints tables."""
    events, chain = Identifier(events_table), Identifier(chain_table(events_table))
    return events, chain, Identifier(checkpoints_table(events_table))


def _queries(events_table: str) -> tuple[SQL | Any, ...]:
    events, chain, checkpoints = _tables(events_table)
    event = SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        "c.ledger_index, c.prev_hash, c.hash FROM {} e JOIN {} c ON c.position = e.notification_id "
        "WHERE e.notification_id = %s"
    ).format(events, chain)
    reaching = SQL(
        "SELECT id, version, log_id, seq, ledger_index, hash, root, prev, created_at, algorithm, "
        "key_id, signature, public_key FROM {} WHERE version = 2 AND ledger_index >= %s "
        "ORDER BY seq LIMIT 1"
    ).format(checkpoints)
    return event, reaching


def make_receipt(
    database: Database, algorithm: str, position: int, events_table: str = EVENTS_TABLE
) -> dict[str, Any] | None:
    """The receipt of the event at `position`; None when there is no chained event there.
    Raises ReceiptPending before a chained checkpoint reaches it, ReceiptUnavailable when
    the stored tree disagrees with the signed root."""
    event_query, reaching = _queries(events_table)
    h = hasher(algorithm)
    with database.connection() as conn:
        named = conn.cursor(row_factory=dict_row)
        row = named.execute(event_query, (position,)).fetchone()
        if row is None:
            return None
        index = int(row["ledger_index"])
        found = named.execute(reaching, (index,)).fetchone()
        if found is None:
            raise ReceiptPending(
                f"no signed checkpoint reaches the event at position {position} (index "
                f"{index}) yet: its receipt is ready once the next checkpoint is made"
            )
        checkpoint = as_json(_row_to_checkpoint(found))
        proof = prove_inclusion(conn, algorithm, index, int(checkpoint["index"]))
    if proof["root"] != checkpoint["root"]:
        raise ReceiptUnavailable(
            f"the stored Merkle tree gives root {proof['root']} at size {checkpoint['index']}, "
            f"but checkpoint {checkpoint['seq']} signed {checkpoint['root']}: run `supervision "
            "audit verify`"
        )
    state = bytes(row["state"])
    event: dict[str, Any] = {
        "index": index,
        "position": int(row["notification_id"]),
        "aggregate_id": str(row["originator_id"]),
        "version": int(row["originator_version"]),
        "topic": row["topic"],
    }
    if row["topic"] in HASHED_ONLY:  # a secret (a token's hash): its hash alone, as in bundles
        event.update(state=None, state_hash=h(state).hex())
    else:
        event.update(state=base64.b64encode(state).decode("ascii"), state_hash=None)
    event["prev_hash"] = bytes(row["prev_hash"]).hex()
    event["hash"] = bytes(row["hash"]).hex()
    return {
        "format": FORMAT,
        "version": VERSION,
        "algorithm": algorithm,
        "event": event,
        "checkpoint": checkpoint,
        "proof": proof["proof"],
    }


def position_of(
    database: Database, aggregate_id: UUID, version: int, events_table: str = EVENTS_TABLE
) -> int | None:
    """The position of one aggregate's event at `version`, if it was recorded."""
    query = SQL(
        "SELECT notification_id FROM {} WHERE originator_id = %s AND originator_version = %s"
    ).format(Identifier(events_table))
    with database.connection() as conn:
        row = conn.execute(query, (aggregate_id, version)).fetchone()
    return None if row is None else int(row[0])


def signed_versions(
    database: Database, aggregate_ids: Sequence[UUID], events_table: str = EVENTS_TABLE
) -> set[tuple[UUID, int]]:
    """The (aggregate, version) steps of `aggregate_ids` a chained checkpoint reaches: those
    whose receipt can be made now (the others wait for the next checkpoint)."""
    query = SQL(
        "SELECT e.originator_id, e.originator_version FROM {} e JOIN {} c "
        "ON c.position = e.notification_id WHERE e.originator_id = ANY(%s) AND c.ledger_index "
        "<= (SELECT max(ledger_index) FROM {} WHERE version = 2)"
    ).format(*_tables(events_table))
    with database.connection() as conn:
        rows = conn.execute(query, (list(aggregate_ids),)).fetchall()
    return {(row[0], int(row[1])) for row in rows}


def receipt_problem(receipt: Any, pinned: Sequence[bytes]) -> str | None:
    """What is wrong with a receipt, or None: its checkpoint is version 2 and signed by a
    pinned key, the event's hash recomputes from its fields, and the proof puts that hash
    at its index in the tree whose root the checkpoint signs."""
    try:
        return _problem(receipt, pinned)
    except (KeyError, TypeError, ValueError, binascii.Error, UnicodeEncodeError) as error:
        return f"the receipt is malformed: {type(error).__name__} {error}"


def _problem(receipt: Any, pinned: Sequence[bytes]) -> str | None:
    if receipt.get("format") != FORMAT or receipt.get("version") != VERSION:
        return f"not a receipt ({FORMAT} version {VERSION})"
    algorithm, event, cp = receipt["algorithm"], receipt["event"], receipt["checkpoint"]
    h = hasher(algorithm)
    if cp.get("version") != 2 or cp["algorithm"] != algorithm:
        return "the receipt's checkpoint is not a chained (version 2) one of its algorithm"
    keys = {key_id(key): key for key in pinned}
    key = keys.get(cp["key_id"])
    if key is None or not verify_checkpoint(cp, key):
        return f"checkpoint {cp['seq']} is not signed by a pinned key"
    if (event.get("state") is None) == (event.get("state_hash") is None):
        return "the receipt's event must carry its state or, for a secret, its state_hash"
    if event.get("state_hash") is not None and event["topic"] not in HASHED_ONLY:
        return f"only an account's creation carries state_hash instead of state: {event['topic']!r}"
    state_hash = (
        bytes.fromhex(event["state_hash"])
        if event.get("state_hash") is not None
        else h(base64.b64decode(event["state"], validate=True))
    )
    index, position, version = (int(event[k]) for k in ("index", "position", "version"))
    body = envelope(index, position, event["aggregate_id"], version, event["topic"], state_hash)
    if h(bytes.fromhex(event["prev_hash"]) + body).hex() != event["hash"]:
        return f"the event's fields do not hash to its hash at index {index}: it was altered"
    path = [bytes.fromhex(node) for node in receipt["proof"]]
    size, root = int(cp["index"]), bytes.fromhex(cp["root"])
    if not verify_inclusion(h, bytes.fromhex(event["hash"]), index - 1, size, path, root):
        return f"the proof does not put the event at index {index} under checkpoint {cp['seq']}"
    return None


def holds_problem(database: Database, receipt: dict[str, Any]) -> str | None:
    """Whether the database still holds a (verified) receipt's event at its index with its
    hash: None, or what it holds instead (a restored older backup, a rewrite)."""
    index, expected = int(receipt["event"]["index"]), receipt["event"]["hash"]
    query = SQL("SELECT hash FROM {} WHERE ledger_index = %s").format(
        Identifier(chain_table(EVENTS_TABLE))
    )
    with database.connection() as conn:
        row = conn.execute(query, (index,)).fetchone()
    if row is None:
        return (
            f"the log has no row at index {index}, which checkpoint "
            f"{receipt['checkpoint']['seq']} signed: it was cut or restored from an older backup"
        )
    if bytes(row[0]).hex() != expected:
        return (
            f"the log's row {index} has hash {bytes(row[0]).hex()}, not the receipt's "
            f"{expected}: it was rewritten or restored from a backup that diverges"
        )
    return None
