"""Signed checkpoints of the audit hash chain, kept in `supervision_checkpoints`.

A checkpoint signs the chain's head (its highest ledger index and that row's hash) with the
service's Ed25519 key (`infra.signing`), and — version 2 — the log's id, its sequence number,
the Merkle root of the chain up to the head and the hash of the previous checkpoint, so the
checkpoints form a chain of their own. Copied out of the database, checkpoints let an
auditor detect a chain rewritten consistently by someone with the database's keys (ADR 001).
They are made on demand (`POST /api/v1/audit/checkpoints`, `supervision audit checkpoint`)
and by `AutoCheckpointer`, every N new events or T minutes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from infra.audit import chain_problem_after
from infra.chain import hasher
from infra.database import Database
from infra.merkle import Frontier
from infra.migrations import EVENTS_TABLE
from infra.recorder import chain_table
from infra.settings import Settings
from infra.signing import (
    NO_PREVIOUS,
    b64,
    key_id,
    load_or_create_key,
    message_of,
    public_key_raw,
    sign_checkpoint,
    timestamp,
    verify_cosignature,
)

log = logging.getLogger(__name__)

CHECKPOINT_LOCK = 7_310_201_802  # serialises checkpoint makers across processes
DEFAULT_KEY_FILE = "signing-key.pem"


class EmptyLog(RuntimeError):
    """There is no event yet, so no chain head to sign."""


class CheckpointConflict(RuntimeError):
    """The chain no longer holds what the newest checkpoint signed: it was changed."""


class CheckpointRefused(CheckpointConflict):
    """The log does not extend what this signer signed last (its own record, kept outside
    the database): it was cut, rolled back or rewritten. Nothing is signed."""


class SignerState:
    """What this signer signed last — index, hash, algorithm, key, and of a version-2
    checkpoint its sequence number, digest, root and the Merkle tree's frontier — in a file
    of its own beside its key, outside the database: deleting or rewriting the checkpoints
    in the database cannot make it forget, so it refuses to sign a log that does not extend
    it, and extends the Merkle tree from the rows added since without reading the rest."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return data

    def save(self, cp: dict[str, Any], frontier: Frontier | None = None) -> None:
        """Keep what was signed, atomically (mode 0600) — never a lower index than the one
        kept (two signers racing), and never failing the checkpoint already made: a record
        that cannot be written is logged, and the older one still guards the next signing."""
        kept = {k: cp[k] for k in ("index", "hash", "algorithm", "key_id", "created_at")}
        if cp.get("version") == 2:
            kept.update(seq=cp["seq"], digest=digest(cp), root=cp["root"], log_id=cp["log_id"])
        if frontier is not None and frontier.size == cp["index"]:
            kept["frontier"] = [node.hex() for node in frontier.nodes]
        try:
            last = self.load()
            if last is not None and int(last["index"]) > int(kept["index"]):
                return
            self.write(kept)
        except (OSError, ValueError) as error:
            log.error(
                "the signer's record could not be kept",
                extra={"path": str(self.path), "error": str(error)},
            )

    def write(self, kept: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(kept, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def signer_state(settings: Settings) -> SignerState:
    """The signer's record, beside its key (`<key file>.state.json`)."""
    key = signing_key_path(settings)
    return SignerState(key.with_name(key.name + ".state.json"))


def refuse_unless_extends(
    conn: Any, q: _Sql, last: dict[str, Any], head_index: int, algorithm: str
) -> None:
    """Raise CheckpointRefused unless the log holds what was signed last, unchanged, and its
    chain links up from there to the head."""
    signed_index, signed_hash = int(last["index"]), str(last["hash"])
    if head_index < signed_index:
        refuse(
            f"the log ends at index {head_index}, before index {signed_index} that this signer "
            "signed: it was cut or rolled back"
        )
    row = conn.execute(q.row_at, (signed_index,)).fetchone()
    if row is None or bytes(row["hash"]).hex() != signed_hash:
        refuse(
            f"the chain at index {signed_index} no longer has the hash this signer signed: the "
            "log was rewritten (a fork)"
        )
    problem = chain_problem_after(conn, algorithm, signed_index, bytes.fromhex(signed_hash))
    if problem is not None:
        refuse(f"the log after index {signed_index} does not extend it: {problem}")


def refuse_unless_kept(conn: Any, q: _Sql, last: dict[str, Any]) -> None:
    """Raise CheckpointRefused unless the checkpoint this signer made last is still in the
    database as signed: a deleted or changed checkpoint would let the next one chain to a
    history this signer never signed."""
    if last.get("seq") is None:  # a record from before checkpoints were chained
        return
    row = conn.execute(q.at_seq, (int(last["seq"]),)).fetchone()
    if row is None or digest(_row_to_checkpoint(row)) != last["digest"]:
        refuse(
            f"checkpoint {last['seq']}, signed by this signer, is gone from the database or "
            "changed: the checkpoints were rewritten"
        )


def digest(cp: dict[str, Any]) -> str:
    """H(a checkpoint's signed message), hex, H the chain's hash: what the next one's `prev`
    names."""
    return hasher(cp["algorithm"])(message_of(cp)).hex()


def frontier_at(
    conn: Any, q: _Sql, algorithm: str, last: dict[str, Any] | None, index: int
) -> Frontier:
    """The Merkle tree's frontier at `index`: from the signer's record (verified to be on the
    chain) plus the rows after it, else from every chain row."""
    h = hasher(algorithm)
    frontier = Frontier(h)
    if last is not None and "frontier" in last and int(last["index"]) <= index:
        nodes = [bytes.fromhex(node) for node in last["frontier"]]
        frontier = Frontier(h, nodes, int(last["index"]))
    for data in chain_hashes(conn, q, frontier.size, index):
        frontier.add(data)
    return frontier


def chain_hashes(conn: Any, q: _Sql, after: int, upto: int, batch: int = 50_000) -> Iterator[bytes]:
    """The chain's hashes at ledger indexes after+1..upto, in order, a batch a query;
    CheckpointConflict where rows are missing (the indexes are unique and rising, so a batch
    is whole when its last index is its first's plus its length)."""
    while after < upto:
        rows = conn.execute(q.leaves, (after, upto, batch)).fetchall()
        if not rows or rows[-1]["ledger_index"] != after + len(rows):
            raise CheckpointConflict(f"the chain has rows missing after index {after}")
        for row in rows:
            yield bytes(row["hash"])
        after += len(rows)


def refuse(problem: str) -> NoReturn:
    log.error(
        "checkpoint refused: the log does not extend what was signed", extra={"problem": problem}
    )
    raise CheckpointRefused(problem)


def checkpoints_table(events_table: str = EVENTS_TABLE) -> str:
    return events_table.removesuffix("_events") + "_checkpoints"


def signing_key_path(settings: Settings) -> Path:
    """The configured key file, else `DATA_DIR/signing-key.pem`."""
    if settings.signing_key_file is not None:
        return settings.signing_key_file.expanduser()
    return settings.data_dir.expanduser() / DEFAULT_KEY_FILE


def load_signing_key(settings: Settings, *, create: bool = True) -> Ed25519PrivateKey:
    """The service's signing key. Without a configured file the default one under DATA_DIR
    is generated on first use (if `create`); a configured file must exist."""
    path = signing_key_path(settings)
    made = create and settings.signing_key_file is None and not path.exists()
    key = load_or_create_key(path, create=create and settings.signing_key_file is None)
    if made:
        log.warning(
            "generated a new checkpoint signing key",
            extra={"path": str(path), "key_id": checkpoint_key_id(key)},
        )
    return key


def checkpoint_key_id(private_key: Ed25519PrivateKey) -> str:
    return key_id(public_key_raw(private_key))


def as_json(cp: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint as it is shown: without the table's row id."""
    return {k: v for k, v in cp.items() if k != "id"}


def _row_to_checkpoint(row: dict[str, Any]) -> dict[str, Any]:
    created_at: datetime = row["created_at"]

    def hex_or_none(value: Any) -> str | None:
        return None if value is None else bytes(value).hex()

    return {
        "id": row["id"],
        "version": row["version"],
        "log_id": hex_or_none(row["log_id"]),
        "seq": row["seq"],
        "index": row["ledger_index"],
        "hash": bytes(row["hash"]).hex(),
        "root": hex_or_none(row["root"]),
        "prev": hex_or_none(row["prev"]),
        "created_at": timestamp(created_at),
        "algorithm": row["algorithm"],
        "key_id": row["key_id"],
        "signature": b64(bytes(row["signature"])),
        "public_key": b64(bytes(row["public_key"])),
    }


class _Sql:
    def __init__(self, events_table: str) -> None:
        chain = Identifier(chain_table(events_table))
        checkpoints = Identifier(checkpoints_table(events_table))
        columns = (
            "id, version, log_id, seq, ledger_index, hash, root, prev, created_at, algorithm, "
            "key_id, signature, public_key"
        )
        self.head = SQL(
            "SELECT ledger_index, hash FROM {} ORDER BY ledger_index DESC LIMIT 1"
        ).format(chain)
        self.row_at = SQL("SELECT hash FROM {} WHERE ledger_index = %s").format(chain)
        self.leaves = SQL(
            "SELECT ledger_index, hash FROM {} WHERE ledger_index > %s AND ledger_index <= %s "
            "ORDER BY ledger_index LIMIT %s"
        ).format(chain)
        self.newest = SQL("SELECT {} FROM {} ORDER BY id DESC LIMIT 1").format(
            SQL(columns), checkpoints
        )
        self.latest = SQL("SELECT {} FROM {} ORDER BY id DESC LIMIT %s").format(
            SQL(columns), checkpoints
        )
        self.at_seq = SQL("SELECT {} FROM {} WHERE seq = %s").format(SQL(columns), checkpoints)
        self.count = SQL("SELECT count(*) AS n FROM {}").format(checkpoints)
        self.insert = SQL(
            "INSERT INTO {} (version, log_id, seq, ledger_index, hash, root, prev, created_at, "
            "algorithm, key_id, signature, public_key) "
            "VALUES (2, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
        ).format(checkpoints)
        self.page = SQL("SELECT {} FROM {} WHERE id > %s ORDER BY id LIMIT %s").format(
            SQL(columns), checkpoints
        )


def make_checkpoint(
    database: Database,
    algorithm: str,
    private_key: Ed25519PrivateKey,
    events_table: str = EVENTS_TABLE,
    state: SignerState | None = None,
) -> dict[str, Any]:
    """Sign the chain's head and keep the checkpoint; when the newest checkpoint already
    covers the head (same index, hash, algorithm and key), return it instead of a duplicate.

    Raises `EmptyLog` when there is no event, and `CheckpointConflict` when the chain row the
    newest checkpoint signed is gone or has another hash (the chain was changed since).
    With the signer's `state` (its own record of what it signed last, outside the database),
    raises `CheckpointRefused` unless the log extends that, whatever the checkpoints in the
    database say. The returned dict is the checkpoint's JSON plus its row `id`.
    """
    q = _Sql(events_table)
    public = public_key_raw(private_key)
    last = state.load() if state is not None else None
    with database.connection(row_factory=dict_row) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CHECKPOINT_LOCK,))
        head = conn.execute(q.head).fetchone()
        if head is None and last is None:
            raise EmptyLog("the event log is empty: there is no chain head to sign yet")
        index = int(head["ledger_index"]) if head else 0
        head_hash = bytes(head["hash"]) if head else b""
        if last is not None:
            refuse_unless_extends(conn, q, last, index, algorithm)
        newest = conn.execute(q.newest).fetchone()
        if newest is not None:
            signed = conn.execute(q.row_at, (newest["ledger_index"],)).fetchone()
            if signed is None or bytes(signed["hash"]) != bytes(newest["hash"]):
                raise CheckpointConflict(
                    f"the chain row at ledger index {newest['ledger_index']} no longer has the "
                    f"hash signed by checkpoint {newest['id']}: the chain was changed"
                )
            if (
                newest["ledger_index"] == index
                and newest["algorithm"] == algorithm
                and bytes(newest["public_key"]) == public
            ):
                return _row_to_checkpoint(newest)
        if last is not None:
            refuse_unless_kept(conn, q, last)
        first = conn.execute(q.row_at, (1,)).fetchone()
        assert first is not None  # the head exists, so the chain's first row does
        frontier = frontier_at(conn, q, algorithm, last, index)
        chained: dict[str, Any] = {
            "log_id": bytes(first["hash"]).hex(),
            "seq": next_seq(conn, q, newest),
            "root": frontier.root().hex(),
            "prev": NO_PREVIOUS if newest is None else digest(_row_to_checkpoint(newest)),
        }
        created_at = datetime.now(UTC)
        cp = sign_checkpoint(
            private_key, index, head_hash.hex(), timestamp(created_at), algorithm, chained=chained
        )
        row = conn.execute(
            q.insert,
            (
                bytes.fromhex(chained["log_id"]),
                chained["seq"],
                index,
                head_hash,
                frontier.root(),
                bytes.fromhex(chained["prev"]),
                created_at,
                algorithm,
                cp["key_id"],
                base64.b64decode(cp["signature"]),
                public,
            ),
        ).fetchone()
        assert row is not None
    if state is not None:
        state.save(cp, frontier)  # once committed: a signature the database lost is signed again
    log.info("checkpoint", extra={"index": index, "key_id": cp["key_id"]})
    return {"id": row["id"], **cp}


def next_seq(conn: Any, q: _Sql, newest: dict[str, Any] | None) -> int:
    """The next checkpoint's place in the checkpoints' chain: one after the newest's, or,
    after version-1 checkpoints (which had none), one after their count."""
    if newest is not None and newest["seq"] is not None:
        return int(newest["seq"]) + 1
    return int(conn.execute(q.count).fetchone()["n"]) + 1


def list_checkpoints(
    database: Database, limit: int, after_id: int = 0, events_table: str = EVENTS_TABLE
) -> list[dict[str, Any]]:
    """Checkpoints oldest first, after row `after_id` (each dict has its row `id`)."""
    q = _Sql(events_table)
    with database.connection(row_factory=dict_row) as conn:
        rows = conn.execute(q.page, (after_id, limit)).fetchall()
    return [_row_to_checkpoint(row) for row in rows]


def newest_checkpoints(
    database: Database, limit: int, events_table: str = EVENTS_TABLE
) -> list[dict[str, Any]]:
    """The newest `limit` checkpoints, newest first."""
    q = _Sql(events_table)
    with database.connection(row_factory=dict_row) as conn:
        rows = conn.execute(q.latest, (limit,)).fetchall()
    return [_row_to_checkpoint(row) for row in rows]


class AutoCheckpointer(threading.Thread):
    """Makes a checkpoint when `every_events` chain rows were added since the newest one, or
    when `every_minutes` passed since it (or since this started) and there is anything new;
    0 disables either. Looks every `poll_seconds`; the state is read from the database each
    time, so checkpoints made on demand or by another process count too."""

    def __init__(
        self,
        database: Database,
        algorithm: str,
        private_key: Ed25519PrivateKey,
        *,
        every_events: int,
        every_minutes: float,
        poll_seconds: float = 5.0,
        events_table: str = EVENTS_TABLE,
        state: SignerState | None = None,
    ) -> None:
        super().__init__(name="auto-checkpointer", daemon=True)
        self.state = state
        # Why the last attempt refused to sign (the log does not extend what was signed);
        # None while signing works. /readyz reports it.
        self.refused: str | None = None
        self.database, self.algorithm, self.private_key = database, algorithm, private_key
        self.every_events, self.every_minutes = every_events, every_minutes
        self.poll_seconds, self.events_table = poll_seconds, events_table
        self.started_at = datetime.now(UTC)
        self.made = 0
        self._stopping = threading.Event()

    @property
    def enabled(self) -> bool:
        return self.every_events > 0 or self.every_minutes > 0

    def due(self) -> bool:
        """Whether a checkpoint is due now."""
        q = _Sql(self.events_table)
        with self.database.connection(row_factory=dict_row) as conn:
            head = conn.execute(q.head).fetchone()
            newest = conn.execute(q.newest).fetchone()
        head_index = int(head["ledger_index"]) if head else 0
        last_index = int(newest["ledger_index"]) if newest else 0
        if head_index <= last_index:
            return False
        if self.every_events > 0 and head_index - last_index >= self.every_events:
            return True
        if self.every_minutes > 0:
            since: datetime = newest["created_at"] if newest else self.started_at
            return datetime.now(UTC) - since >= timedelta(minutes=self.every_minutes)
        return False

    def check_once(self) -> dict[str, Any] | None:
        """Make a checkpoint if one is due; the checkpoint made, or None."""
        if not self.due():
            return None
        try:
            cp = make_checkpoint(
                self.database, self.algorithm, self.private_key, self.events_table, self.state
            )
        except CheckpointRefused as refusal:
            self.refused = str(refusal)
            raise
        self.refused = None
        self.made += 1
        return cp

    def run(self) -> None:
        if not self.enabled:
            return
        problem: str | None = None
        while not self._stopping.wait(self.poll_seconds):
            try:
                self.check_once()
                problem = None
            except Exception as error:  # e.g. the database is restarting: try again later
                if str(error) != problem:  # said once, not every few seconds
                    log.error("automatic checkpoint failed: %s", error, exc_info=True)
                problem = str(error)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


# Witnesses' co-signatures ---------------------------------------------------------------


class NoSuchCheckpoint(LookupError):
    """No chained (version-2) checkpoint has that number."""


class BadCosignature(ValueError):
    """A co-signature that does not verify, or whose time is not written as signed times are."""


def _cosignature_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "key_id": row["key_id"],
        "public_key": b64(bytes(row["public_key"])),
        "signature": b64(bytes(row["signature"])),
        "signed_at": timestamp(row["signed_at"]),
    }


def add_cosignature(
    database: Database, seq: int, public_key: bytes, signature: bytes, signed_at: str
) -> tuple[dict[str, Any], bool]:
    """Keep a witness's co-signature of checkpoint `seq` once it verifies against that
    checkpoint's digest; (it, True), or (the one this key gave before, False)."""
    try:
        moment = datetime.fromisoformat(signed_at)
        canonical = moment.tzinfo is not None and timestamp(moment) == signed_at
    except ValueError:
        canonical = False
    if not canonical:
        raise BadCosignature(
            "signed_at must be a UTC time written as checkpoints write theirs, e.g. "
            "2026-03-05T08:00:00.123456+00:00"
        )
    q = _Sql(EVENTS_TABLE)
    with database.connection(row_factory=dict_row) as conn:
        row = conn.execute(q.at_seq, (seq,)).fetchone()
        if row is None:
            raise NoSuchCheckpoint(f"no chained checkpoint number {seq}")
        if len(public_key) != 32 or not verify_cosignature(
            public_key, digest(_row_to_checkpoint(row)), signature, signed_at
        ):
            raise BadCosignature(f"the co-signature does not verify for checkpoint {seq}")
        made = conn.execute(
            COSIGN_INSERT, (seq, key_id(public_key), public_key, signature, moment)
        ).fetchone()
        if made is not None:
            log.info("co-signed", extra={"seq": seq, "witness": key_id(public_key)})
            return _cosignature_json(made), True
        kept = conn.execute(COSIGNED_BY, (seq, key_id(public_key))).fetchone()
    assert kept is not None  # the insert met this key's row
    return _cosignature_json(kept), False


def list_cosignatures(database: Database, seq: int) -> list[dict[str, Any]]:
    """The co-signatures of checkpoint `seq`, in the order they came; NoSuchCheckpoint when
    no chained checkpoint has that number (not the same as one nobody co-signed)."""
    with database.connection(row_factory=dict_row) as conn:
        if conn.execute(_Sql(EVENTS_TABLE).at_seq, (seq,)).fetchone() is None:
            raise NoSuchCheckpoint(f"no chained checkpoint number {seq}")
        rows = conn.execute(COSIGNATURES_OF, (seq,)).fetchall()
    return [_cosignature_json(row) for row in rows]


COSIGN_COLUMNS = SQL("seq, key_id, public_key, signature, signed_at")
COSIGN_INSERT = SQL(
    "INSERT INTO supervision_cosignatures (seq, key_id, public_key, signature, signed_at) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (seq, key_id) DO NOTHING RETURNING {}"
).format(COSIGN_COLUMNS)
COSIGNED_BY = SQL("SELECT {} FROM supervision_cosignatures WHERE seq = %s AND key_id = %s").format(
    COSIGN_COLUMNS
)
COSIGNATURES_OF = SQL("SELECT {} FROM supervision_cosignatures WHERE seq = %s ORDER BY id").format(
    COSIGN_COLUMNS
)
