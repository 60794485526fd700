"""The audit bundle: the stored events, their chain rows and the signed checkpoints in one
JSON Lines file that verifies with no database (format: docs/audit.md).

One verifier judges the database and a bundle alike: it is fed the checkpoints, then the
rows of the walk (`infra.audit.walk`) in the log's order, and checks each link with
`infra.audit.check_row`. `tools/verify_bundle.py` is a second, independent implementation
for auditors outside; the tests hold the two to the same verdicts.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier, Literal

from domain.accounts import Account
from infra.audit import BATCH, StateHash, check_row, walk
from infra.chain import GENESIS, Verification, hasher
from infra.database import Database
from infra.merkle import Frontier
from infra.migrations import EVENTS_TABLE
from infra.recorder import chain_table, meta_table
from infra.signing import (
    NO_PREVIOUS,
    checkpoint_message,
    checkpoint_message_v2,
    key_id,
    verify_cosignature,
)
from infra.stretch import (
    CHUNK,
    PARALLEL_FROM,
    Irregular,
    Stretch,
    check_stretch,
    line_starts,
    run_stretches,
    whole_subtrees,
)

log = logging.getLogger(__name__)

FORMAT = "supervision-audit-bundle"
VERSION = 1
MEDIA_TYPE = "application/x-ndjson"
HEX_HASH = re.compile(r"[0-9a-f]{64}")

Row = tuple[Any, ...]  # a row of `infra.audit.walk`: the event's columns, then its chain row's


def checkpoints_table(events_table: str = EVENTS_TABLE) -> str:
    return events_table.removesuffix("_events") + "_checkpoints"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the chain's row at ledger index `index` has hash `hash`."""

    id: int | None
    index: int
    hash: bytes
    created_at: str
    algorithm: str
    key_id: str
    signature: bytes
    public_key: bytes
    # Version 2: the log, its place in the checkpoints' chain and the Merkle root.
    version: int = 1
    log_id: bytes | None = None
    seq: int | None = None
    root: bytes | None = None
    prev: bytes | None = None

    @property
    def name(self) -> str:
        return f"checkpoint {self.id}" if self.id is not None else f"checkpoint at {self.index}"

    def message(self) -> bytes:
        """The exact bytes its signature covers."""
        if self.version == 1:
            return checkpoint_message(
                self.index, self.hash.hex(), self.created_at, self.algorithm, self.key_id
            )
        # A version-2 row with a field emptied in the database: a message no key signed.
        log_id, root, prev = (v or b"" for v in (self.log_id, self.root, self.prev))
        return checkpoint_message_v2(
            log_id.hex(), self.seq or 0, self.index, self.hash.hex(), root.hex(), prev.hex(),
            self.created_at, self.algorithm, self.key_id,
        )  # fmt: skip

    def named(self, problem: str) -> dict[str, Any]:
        return {"id": self.id, "index": self.index, "hash": self.hash.hex(), "problem": problem}


@dataclass(frozen=True)
class Cosignature:
    """A witness's signature of a chained checkpoint's digest (docs/audit.md §9)."""

    seq: int
    key_id: str
    public_key: bytes
    signature: bytes
    signed_at: str


@dataclass(frozen=True)
class BundleVerification(Verification):
    """The chain's verdict plus the checkpoints': how many held, and the first that did not."""

    checkpoints_verified: int = 0
    bad_checkpoint: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "checkpoints_verified": self.checkpoints_verified,
            "bad_checkpoint": self.bad_checkpoint,
        }


NO_CHECKPOINT = (
    "no checkpoint signed by the pinned key covers the log: its checkpoints were deleted, or "
    "none was ever signed"
)


def too_old(newest: str, hours: float) -> str | None:
    """The problem of a newest checkpoint signed more than `hours` ago, if it is."""
    try:
        signed = datetime.fromisoformat(newest)
    except ValueError:
        return f"the newest checkpoint's time {newest!r} is not a time"
    if datetime.now(UTC) - signed <= timedelta(hours=hours):
        return None
    return (
        f"the newest checkpoint signed by the pinned key was made at {newest}, older than "
        f"the {hours:g} hours asked for: the events after it are covered by no signature"
    )


class Verifier:
    """One walk's verdict. Feed it every checkpoint, then the walk's rows in order."""

    def __init__(
        self,
        algorithm: str,
        trusted_keys: Iterable[bytes],
        *,
        pinned: bool,
        max_age: timedelta | None = None,
        coverage: bool = True,
        prehashed: bool = False,
        witnesses: Iterable[bytes] = (),
        witnesses_required: int = 0,
    ) -> None:
        self.algorithm, self.h = algorithm, hasher(algorithm)
        self.witness_keys = {key_id(key): key for key in witnesses}
        self.witnesses_required = witnesses_required
        self.chained: dict[int, tuple[Checkpoint, str]] = {}  # seq → (it, its digest)
        self.cosigned: dict[int, set[str]] = {}  # seq → the named witnesses that co-signed
        self.witnessed = 0  # checkpoints on the chain co-signed by enough named witnesses
        self.prehashed = prehashed  # the rows carry H(state), hashed by the database
        self.coverage = coverage
        self.keys = {key_id(key): key for key in trusted_keys}
        self.pinned = pinned
        self.max_age = max_age
        self.newest_signed = ""  # the created_at of the newest checkpoint found on the chain
        self.prev, self.count, self.position = GENESIS, 0, -1
        self.chain_problem: str | None = None
        self.bad_checkpoint: dict[str, Any] | None = None
        self.bundle_problem: str | None = None
        self.first_signed: dict[int, Checkpoint] = {}
        self.waiting: dict[int, list[Checkpoint]] = {}  # good so far, not yet met in the walk
        self.checkpoints_verified = 0
        self.fed = 0  # checkpoints fed so far, in the log's order
        self.last_digest = bytes.fromhex(NO_PREVIOUS)  # H(the last one's signed message)
        self.frontier: Frontier | None = None  # the Merkle tree, once a checkpoint has a root
        self.first_hash = b""

    def reject(self, problem: dict[str, Any]) -> None:
        if self.bad_checkpoint is None:
            self.bad_checkpoint = problem

    def checkpoint(self, cp: Checkpoint) -> None:
        self.fed += 1
        problem = self._signature_problem(cp) or self._fork(cp) or self._link_problem(cp)
        self.last_digest = self.h(cp.message())
        if problem is not None:
            self.reject(cp.named(problem))
            return
        if cp.version == 2:
            self.chained[cp.seq or 0] = (cp, self.last_digest.hex())
            self.frontier = self.frontier or Frontier(self.h)
        self.first_signed.setdefault(cp.index, cp)
        self.waiting.setdefault(cp.index, []).append(cp)

    def cosignature(self, cs: Cosignature) -> None:
        """A co-signature: counted when a named witness's verifies against the checkpoint of
        its number; one of a named witness that does not (or whose checkpoint the log lacks)
        means the checkpoints were changed after the witness saw them."""
        key = self.witness_keys.get(cs.key_id)
        if key is None:
            return  # not a witness this verifier names: neither trusted nor blamed
        found = self.chained.get(cs.seq)
        if found is None:
            self.reject(
                {"id": None, "index": None, "hash": None, "problem": (
                    f"witness {cs.key_id} co-signed checkpoint number {cs.seq}, which the log "
                    "does not hold: checkpoints were deleted or changed"
                )}
            )  # fmt: skip
            return
        cp, digest = found
        if not verify_cosignature(key, digest, cs.signature, cs.signed_at):
            self.reject(
                cp.named(
                    f"the co-signature of witness {cs.key_id} on {cp.name} does not verify: "
                    "the checkpoint was changed after the witness signed it"
                )
            )
            return
        self.cosigned.setdefault(cs.seq, set()).add(cs.key_id)

    def _link_problem(self, cp: Checkpoint) -> str | None:
        """A version-2 checkpoint's place in the checkpoints' own chain: its number and the
        hash of the one before it must be those of the checkpoint found before it."""
        if cp.version == 1:
            return None
        if cp.seq != self.fed:
            return (
                f"{cp.name} says it is checkpoint number {cp.seq} of the log, but it is number "
                f"{self.fed}: checkpoints before it were deleted, or added"
            )
        if cp.prev != self.last_digest:
            return (
                f"{cp.name} follows a checkpoint whose hash is {(cp.prev or b'').hex()}, but "
                f"the one before it hashes to {self.last_digest.hex()}: the checkpoints before "
                "it were changed or reordered"
            )
        return None

    def _signature_problem(self, cp: Checkpoint) -> str | None:
        key = self.keys.get(cp.key_id)
        if key is None:
            trusted = "the pinned key" if self.pinned else "a key of the bundle"
            return f"{cp.name} names key {cp.key_id}, which is not {trusted}"
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(cp.signature, cp.message())
        except InvalidSignature:
            return f"the signature of {cp.name} does not verify under key {cp.key_id}"
        return None

    def _fork(self, cp: Checkpoint) -> str | None:
        first = self.first_signed.get(cp.index)
        if first is None or first.hash == cp.hash:
            return None
        return f"fork at index {cp.index}: {first.name} and {cp.name} sign different hashes"

    def event(self, row: Row) -> bool:
        """Check the walk's next row; False once the chain is broken (stop feeding it)."""
        problem = check_row(self.h, self.prev, self.count + 1, row, prehashed=self.prehashed)
        if problem is None and row[0] <= self.position:  # a database's walk is in order
            problem = f"position {row[0]} does not come after position {self.position}"
        if problem is not None:
            self.break_chain(problem)
            return False
        self.prev, self.count, self.position = bytes(row[8]), self.count + 1, row[0]
        if self.frontier is not None:
            self.frontier.add(self.prev)
        if self.count == 1:
            self.first_hash = self.prev
        if self.count in self.waiting:
            self._meet(self.count, self.prev, self.frontier)
        return True

    def stretch(self, stretch: Stretch) -> bool:
        """Rows a worker verified among themselves (`infra.stretch`), joined to the walk so
        far: True when they continue it exactly, False when they do not (then the caller
        walks again, row by row, for the verdict and its message)."""
        if (
            stretch.first_index != self.count + 1
            or stretch.first_prev != self.prev
            or stretch.first_position <= self.position
        ):
            return False
        if self.count == 0:
            self.first_hash = stretch.first_hash
        end = self.count + stretch.count
        for index in sorted(i for i in self.waiting if self.count < i <= end):
            if index not in stretch.marks:
                return False
            here, nodes = stretch.marks[index]
            tree = None
            if self.frontier is not None:
                tree = Frontier(self.h, self.frontier.nodes, self.frontier.size)
                try:
                    tree.extend(nodes, index - self.count)
                except ValueError:
                    return False
            self._meet(index, here, tree)
        if self.frontier is not None:
            try:
                self.frontier.extend(stretch.nodes, stretch.count)
            except ValueError:
                return False
        self.prev, self.count, self.position = stretch.last_hash, end, stretch.last_position
        return True

    def _meet(self, index: int, here: bytes, tree: Frontier | None) -> None:
        """The checkpoints that sign `index`, met where the chain's hash is `here` and the
        Merkle tree of the hashes up to it is `tree`."""
        for cp in self.waiting.pop(index, ()):
            problem = self._off_chain(cp, here, tree)
            if problem is None:
                self.checkpoints_verified += 1
                self.newest_signed = max(self.newest_signed, cp.created_at)
                if len(self.cosigned.get(cp.seq or 0, ())) >= max(self.witnesses_required, 1):
                    self.witnessed += 1
            else:
                self.reject(cp.named(problem))

    def _off_chain(self, cp: Checkpoint, here: bytes, tree: Frontier | None) -> str | None:
        """Why a checkpoint met at its index in the walk does not sign this chain, if so."""
        if cp.hash != here:
            return (
                f"{cp.name} signs hash {cp.hash.hex()} at index {cp.index}, but the "
                f"chain there has {here.hex()}: the chain up to it was rewritten"
            )
        if cp.version == 1 or tree is None:
            return None
        if cp.log_id != self.first_hash:
            return (
                f"{cp.name} names log {(cp.log_id or b'').hex()}, but this log's first chain "
                f"hash is {self.first_hash.hex()}: it was signed for another log"
            )
        root = tree.root()
        if cp.root != root:
            return (
                f"{cp.name} signs Merkle root {(cp.root or b'').hex()} at index {cp.index}, but "
                f"the chain's hashes up to it make {root.hex()}"
            )
        return None

    def coverage_problem(self) -> str | None:
        """What a pinned key demands beyond good checkpoints: at least one on the chain (a
        log whose checkpoints were deleted verifies against no signature), and, with a
        `max_age`, one no older than that (the events after it are signed by nobody)."""
        if self.witnesses_required and self.count and not self.witnessed:
            return (
                f"no checkpoint on the chain is co-signed by {self.witnesses_required} of the "
                "named witnesses"
            )
        if not self.pinned or not self.coverage or not self.count:
            return None
        if not self.checkpoints_verified:
            return NO_CHECKPOINT
        if self.max_age is not None:
            return too_old(self.newest_signed, self.max_age.total_seconds() / 3600)
        return None

    def break_chain(self, problem: str) -> None:
        self.chain_problem = problem

    def result(self) -> BundleVerification:
        if self.chain_problem is None:  # past a broken link no checkpoint can be judged
            for index in sorted(self.waiting):
                for cp in self.waiting[index]:
                    self.reject(
                        cp.named(
                            f"{cp.name} signs index {index}, but the chain ends at index "
                            f"{self.count}: the events after it were cut off"
                        )
                    )
            self.waiting.clear()
        problem = self.chain_problem or (self.bad_checkpoint or {}).get("problem")
        problem = problem or self.bundle_problem or self.coverage_problem()
        return BundleVerification(
            ok=problem is None,
            events_verified=self.count,
            head_index=self.count,
            head_hash=self.prev.hex() if self.count else None,
            first_invalid_index=self.count + 1 if self.chain_problem else None,
            problem=problem,
            checkpoints_verified=self.checkpoints_verified,
            bad_checkpoint=self.bad_checkpoint,
        )


# The database -------------------------------------------------------------------------


@contextmanager
def snapshot(database: Database) -> Iterator[psycopg.Connection[Any]]:
    """A read-only transaction whose queries all see one moment of the log."""
    with database.connection() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn


def read_algorithm(conn: psycopg.Connection[Any], events_table: str = EVENTS_TABLE) -> str:
    query = SQL("SELECT value FROM {} WHERE key = 'hash_algorithm'")
    row = conn.execute(query.format(Identifier(meta_table(events_table)))).fetchone()
    if row is None:
        raise RuntimeError("the event log has no hash algorithm: run `supervision migrate`")
    return str(row[0])


def has_checkpoints(conn: psycopg.Connection[Any], events_table: str = EVENTS_TABLE) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (checkpoints_table(events_table),)).fetchone()
    return row is not None and row[0] is not None


def stored_keys(conn: psycopg.Connection[Any], events_table: str = EVENTS_TABLE) -> list[bytes]:
    """The distinct public keys of the stored checkpoints, in the order they first signed
    (those that are keys at all: Ed25519's 32 bytes; a row's other bytes verify nothing)."""
    if not has_checkpoints(conn, events_table):
        return []
    query = SQL("SELECT public_key FROM {} GROUP BY public_key ORDER BY min(id)")
    rows = conn.execute(query.format(Identifier(checkpoints_table(events_table)))).fetchall()
    return [bytes(row[0]) for row in rows if len(bytes(row[0])) == 32]


def stored_checkpoints(
    conn: psycopg.Connection[Any], events_table: str = EVENTS_TABLE
) -> Generator[Checkpoint, None, None]:
    """The stored checkpoints in the order they were made (none while there is no table)."""
    if not has_checkpoints(conn, events_table):
        return
    query = SQL(
        "SELECT id, ledger_index, hash, CASE WHEN isfinite(created_at) THEN created_at END, "
        "algorithm, key_id, signature, public_key, version, log_id, seq, root, prev, "
        "created_at::text FROM {} ORDER BY id"
    ).format(Identifier(checkpoints_table(events_table)))
    with conn.cursor(name="walk_checkpoints") as cursor:
        cursor.itersize = BATCH
        cursor.execute(query)
        for row in cursor:
            id_, index, hash_, created_at, algorithm, kid, signature, public = row[:8]
            version, log_id, seq, root, prev, stored_at = row[8:]
            yield Checkpoint(
                id=id_,
                index=index,
                hash=bytes(hash_),
                # Signed as `isoformat()` of the aware UTC time: read back, it is the same text.
                # A time no clock gives ('infinity', written in SQL) is kept as stored: its
                # signature then fails, a verdict, where converting it would have crashed.
                created_at=stored_at
                if created_at is None
                else created_at.astimezone(UTC).isoformat(),
                algorithm=algorithm,
                key_id=kid,
                signature=bytes(signature),
                public_key=bytes(public),
                version=version,
                log_id=None if log_id is None else bytes(log_id),
                seq=seq,
                root=None if root is None else bytes(root),
                prev=None if prev is None else bytes(prev),
            )


def stored_cosignatures(conn: psycopg.Connection[Any]) -> Generator[Cosignature, None, None]:
    """The stored co-signatures in the order they came (none while there is no table)."""
    found = conn.execute("SELECT to_regclass('supervision_cosignatures')").fetchone()
    if found is None or found[0] is None:
        return
    query = "SELECT seq, key_id, public_key, signature, signed_at FROM supervision_cosignatures "
    for seq, kid, public, signature, signed_at in conn.execute(query + "ORDER BY id"):
        yield Cosignature(
            seq=seq,
            key_id=kid,
            public_key=bytes(public),
            signature=bytes(signature),
            signed_at=signed_at.astimezone(UTC).isoformat(),
        )


def pinned_keys(pinned_key: bytes | Sequence[bytes] | None) -> list[bytes]:
    if pinned_key is None:
        return []
    return [pinned_key] if isinstance(pinned_key, bytes) else list(pinned_key)


def verify_checkpoints(
    database: Database,
    pinned_key: bytes | Sequence[bytes] | None,
    *,
    max_age: timedelta | None = None,
    coverage: bool = True,
    progress: Callable[[int], None] | None = None,
    events_table: str = EVENTS_TABLE,
    witnesses: Sequence[bytes] = (),
    witnesses_required: int = 0,
    workers: int = 1,
    chunk: int = CHUNK,
    parallel_from: int = PARALLEL_FROM,
    executor: Executor | None = None,
) -> BundleVerification:
    """The database's whole verdict in one snapshot: every link recomputed (as
    `verify_chain`), and every checkpoint signed by the pinned key (without one, by any key
    stored with the checkpoints: that proves less), not forked, and on the chain; with a
    pinned key and `coverage`, at least one on the chain (see Verifier.coverage_problem).
    With `workers` > 1 and at least `parallel_from` rows, stretches of `chunk` rows are
    walked side by side in the same snapshot (`infra.stretch`), by processes of their own or
    of `executor`."""
    pinned, chunk = pinned_keys(pinned_key), whole_subtrees(chunk)
    with snapshot(database) as conn:
        algorithm = read_algorithm(conn, events_table)
        # As verify_chain: with SHA-256 the server hashes each state, 32 bytes travel.
        prehashed = algorithm == "sha256"

        def fed() -> Verifier:
            verifier = Verifier(
                algorithm,
                pinned or stored_keys(conn, events_table),
                pinned=bool(pinned),
                max_age=max_age,
                coverage=coverage,
                prehashed=prehashed,
                witnesses=witnesses,
                witnesses_required=witnesses_required,
            )
            with closing(stored_checkpoints(conn, events_table)) as checkpoints:
                for cp in checkpoints:
                    # Judged as its line in an export would be, so both verdicts agree.
                    line = checkpoint_line(cp)
                    try:
                        parse_checkpoint(line)
                    except Malformed as error:
                        problem = f"malformed checkpoint: {error}"
                        verifier.reject(_malformed_checkpoint(line, problem))
                        continue
                    verifier.checkpoint(cp)
            with closing(stored_cosignatures(conn)) as cosignatures:
                for cs in cosignatures:
                    verifier.cosignature(cs)
            return verifier

        verifier = fed()
        jobs = []
        if workers > 1:
            jobs = walk_jobs(conn, database, events_table, verifier, chunk, parallel_from)
        try:
            stretches = run_stretches(walk_stretch, jobs, workers, executor) if jobs else ()
            for stretch in stretches:
                if not verifier.stretch(stretch):
                    raise Irregular(f"the stretch from index {stretch.first_index}")
                if progress is not None:
                    progress(verifier.count)
        except Irregular as irregular:
            log.info("parallel walk stopped at %s: walking again row by row", irregular)
            verifier, jobs = fed(), []
        if not jobs:
            with closing(walk(conn, events_table, hash_states=prehashed)) as rows:
                for row in rows:
                    if not verifier.event(row):
                        break
                    if progress is not None and verifier.count % BATCH == 0:
                        progress(verifier.count)
    if progress is not None:
        progress(verifier.count)
    return verifier.result()


def walk_jobs(
    conn: psycopg.Connection[Any],
    database: Database,
    events_table: str,
    verifier: Verifier,
    chunk: int,
    parallel_from: int,
) -> list[tuple[Any, ...]]:
    """The stretches of the walk, as `walk_stretch`'s arguments, each from a ledger index
    1 + k·chunk; none (walk row by row) for a short chain, or one whose chain rows are not
    where a whole chain's would be."""
    chain = Identifier(chain_table(events_table))
    total = conn.execute(SQL("SELECT max(ledger_index) FROM {}").format(chain)).fetchone()
    length = int(total[0] or 0) if total else 0
    if length < max(parallel_from, 1):
        return []
    starts = list(range(1, length + 1, chunk))
    found = conn.execute(
        SQL("SELECT ledger_index, position FROM {} WHERE ledger_index = ANY(%s) ORDER BY 1").format(
            chain
        ),
        (starts,),
    ).fetchall()
    positions = [int(position) for _, position in found]
    if [index for index, _ in found] != starts or positions != sorted(set(positions)):
        return []
    exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
    assert exported is not None
    marks = sorted(verifier.waiting)
    jobs = []
    for k, first in enumerate(starts):
        after = positions[k] - 1 if k else 0
        before = positions[k + 1] if k + 1 < len(starts) else None
        wanted = [m for m in marks if m >= first and (before is None or m < first + chunk)]
        job = (database.conninfo, exported[0], events_table, verifier.algorithm)
        jobs.append((*job, verifier.prehashed, after, before, first, wanted))
    return jobs


def walk_stretch(
    conninfo: str,
    snapshot_id: str,
    events_table: str,
    algorithm: str,
    prehashed: bool,
    after: int,
    before: int | None,
    first_index: int,
    marks: list[int],
) -> Stretch | None:
    """A worker's stretch of the database's walk, read in the snapshot the caller exported."""
    with psycopg.connect(conninfo, application_name="supervision-verify") as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute(SQL("SET TRANSACTION SNAPSHOT {}").format(Literal(snapshot_id)))
        rows = walk(
            conn,
            events_table,
            hash_states=prehashed,
            after_position=after,
            before_position=before,
        )
        with closing(rows):
            return check_stretch(rows, algorithm, first_index, marks, prehashed=prehashed)


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a key given as text may be too long a name to be a file's
        return False


def load_public_key(value: str) -> bytes:
    """A raw 32-byte Ed25519 public key from base64 or hex text, or from a file holding
    that text, the 32 raw bytes or a PEM public key."""
    path = Path(value).expanduser()
    if is_file(path):
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{value}: not an Ed25519 public key")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if len(data) == 32:
            return data
        value = data.decode("ascii", "replace")
    text = value.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"not an Ed25519 public key (32 bytes, base64 or hex): {value[:60]!r}")
    return raw


# Writing a bundle ---------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode(line: dict[str, Any]) -> bytes:
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


# Events whose stored state holds a secret (an account's token hash): a bundle carries
# H(state) for them instead of the state, which is all the chain needs (docs/audit.md §3).
HASHED_ONLY = frozenset({get_topic(Account.Created)})


def event_line(row: Row, h: Callable[[bytes], bytes]) -> dict[str, Any]:
    """A row of the walk as a bundle line; the fields of a missing event or chain row null."""
    position, aggregate_id, version, topic, state, index, chained, prev_hash, hash_ = row
    line: dict[str, Any] = {
        "type": "event",
        "index": index,
        "position": position if position is not None else chained,
        "aggregate_id": None if aggregate_id is None else str(aggregate_id),
        "version": version,
        "topic": topic,
        "state": None if state is None else b64(bytes(state)),
        "prev_hash": None if prev_hash is None else bytes(prev_hash).hex(),
        "hash": None if hash_ is None else bytes(hash_).hex(),
    }
    if topic in HASHED_ONLY and state is not None:
        del line["state"]
        line["state_hash"] = h(bytes(state)).hex()
    return line


def checkpoint_line(cp: Checkpoint) -> dict[str, Any]:
    def hex_or_none(value: bytes | None) -> str | None:
        return None if value is None else value.hex()

    return {
        "type": "checkpoint",
        "id": cp.id,
        "version": cp.version,
        "log_id": hex_or_none(cp.log_id),
        "seq": cp.seq,
        "index": cp.index,
        "hash": cp.hash.hex(),
        "root": hex_or_none(cp.root),
        "prev": hex_or_none(cp.prev),
        "created_at": cp.created_at,
        "algorithm": cp.algorithm,
        "key_id": cp.key_id,
        "signature": b64(cp.signature),
        "public_key": b64(cp.public_key),
    }


def cosignature_line(cs: Cosignature) -> dict[str, Any]:
    return {
        "type": "cosignature",
        "seq": cs.seq,
        "key_id": cs.key_id,
        "public_key": b64(cs.public_key),
        "signature": b64(cs.signature),
        "signed_at": cs.signed_at,
    }


class Export:
    """The log as it is at one moment (a REPEATABLE READ snapshot) as a bundle, written
    line by line in constant memory: open it, read `head_index`, stream `lines()`, close."""

    def __init__(self, database: Database, events_table: str = EVENTS_TABLE) -> None:
        self.events_table = events_table
        self.events = self.checkpoints = self.cosignatures = 0
        self.stack = ExitStack()
        self.conn = self.stack.enter_context(snapshot(database))
        try:
            self.algorithm = read_algorithm(self.conn, events_table)
            self.public_keys = stored_keys(self.conn, events_table)
            head = SQL("SELECT COALESCE(max(ledger_index), 0) FROM {}")
            row = self.conn.execute(head.format(Identifier(chain_table(events_table)))).fetchone()
            self.head_index = int(row[0]) if row else 0
        except BaseException:
            self.stack.close()
            raise

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stack.close()

    def lines(self) -> Iterator[bytes]:
        """The header, the checkpoints (so a verifier knows them before the events pass
        by), every row of the walk, and the end line with the counts."""
        yield encode(
            {
                "type": "header",
                "format": FORMAT,
                "version": VERSION,
                "algorithm": self.algorithm,
                "exported_at": datetime.now(UTC).isoformat(),
                "public_keys": [b64(key) for key in self.public_keys],
            }
        )
        with closing(stored_checkpoints(self.conn, self.events_table)) as checkpoints:
            for cp in checkpoints:
                self.checkpoints += 1
                yield encode(checkpoint_line(cp))
        with closing(stored_cosignatures(self.conn)) as cosignatures:
            for cs in cosignatures:
                self.cosignatures += 1
                yield encode(cosignature_line(cs))
        h = hasher(self.algorithm)
        with closing(walk(self.conn, self.events_table)) as rows:
            for row in rows:
                self.events += 1
                yield encode(event_line(row, h))
        counts = {"events": self.events, "checkpoints": self.checkpoints}
        yield encode({"type": "end", **counts, "cosignatures": self.cosignatures})

    def chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        """The lines in chunks of about `size` bytes (one thread hop each over HTTP); the
        snapshot is closed when they are done."""
        try:
            buffer: list[bytes] = []
            filled = 0
            for data in self.lines():
                buffer.append(data)
                filled += len(data)
                if filled >= size:
                    yield b"".join(buffer)
                    buffer, filled = [], 0
            if buffer:
                yield b"".join(buffer)
        finally:
            self.close()

    def write(self, path: Path, progress: Callable[[int], None] | None = None) -> None:
        """Write the bundle to `path` atomically: no reader ever finds half a bundle there."""
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("wb") as out:
                for data in self.lines():
                    out.write(data)
                    if progress is not None and self.events and self.events % BATCH == 0:
                        progress(self.events)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        if progress is not None:
            progress(self.events)


# Reading a bundle ---------------------------------------------------------------------


class Malformed(ValueError):
    """A bundle line without the fields its type needs."""


def _integer(obj: dict[str, Any], key: str, minimum: int) -> int:
    value = obj.get(key)
    if type(value) is not int or not minimum <= value < 2**63:
        raise Malformed(f"{key} is not an integer from {minimum} to 2^63-1")
    return value


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise Malformed(f"{key} is not a string")
    return value


def _hashed_text(obj: dict[str, Any], key: str) -> str:
    """A text the chain hashes as UTF-8 (the aggregate id, the topic)."""
    value = _text(obj, key)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, written as a JSON escape
            raise Malformed(f"{key} is not Unicode text") from None
    return value


def _base64(obj: dict[str, Any], key: str) -> bytes:
    try:
        return base64.b64decode(_text(obj, key), validate=True)
    except binascii.Error:
        raise Malformed(f"{key} is not base64") from None


def _hash(obj: dict[str, Any], key: str) -> bytes:
    value = _text(obj, key)
    try:  # 64 lowercase hex digits: what fromhex reads and hex() writes back unchanged
        digest = bytes.fromhex(value)
    except ValueError:
        digest = b""
    if len(digest) != 32 or digest.hex() != value:
        raise Malformed(f"{key} is not 64 lowercase hex digits")
    return digest


def parse_header(obj: Any) -> tuple[str, list[bytes]]:
    """The header's hash algorithm and public keys."""
    if not isinstance(obj, dict) or obj.get("type") != "header" or obj.get("format") != FORMAT:
        raise Malformed("the first line is not the header of a supervision audit bundle")
    if type(obj.get("version")) is not int or obj["version"] != VERSION:
        raise Malformed(f"format version {obj.get('version')!r} is not {VERSION}")
    algorithm = obj.get("algorithm")
    if algorithm not in ("sha256", "sm3"):
        raise Malformed(f"unknown hash algorithm {algorithm!r} (expected sha256 or sm3)")
    keys = obj.get("public_keys", [])
    if not isinstance(keys, list):
        raise Malformed("public_keys is not a list")
    raw = [_base64({"public key": key}, "public key") for key in keys]
    if any(len(key) != 32 for key in raw):
        raise Malformed("a public key is not 32 bytes")
    return str(algorithm), raw


def parse_checkpoint(obj: dict[str, Any]) -> Checkpoint:
    id_ = obj.get("id")
    if id_ is not None and type(id_) is not int:
        raise Malformed("id is not an integer")
    version = obj.get("version", 1)
    if version not in (1, 2) or type(version) is not int:
        raise Malformed(f"version {version!r} is not 1 or 2")
    chained: dict[str, Any] = {}
    if version == 2:
        chained = {
            "log_id": _hash(obj, "log_id"),
            "seq": _integer(obj, "seq", 1),
            "root": _hash(obj, "root"),
            "prev": _hash(obj, "prev"),
        }
    return Checkpoint(
        id=id_,
        index=_integer(obj, "index", 1),
        hash=_hash(obj, "hash"),
        created_at=_text(obj, "created_at"),
        algorithm=_text(obj, "algorithm"),
        key_id=_text(obj, "key_id"),
        signature=_base64(obj, "signature"),
        public_key=_base64(obj, "public_key"),
        version=version,
        **chained,
    )


def parse_event(obj: dict[str, Any]) -> Row:
    """An event line as a row of the walk (an absent event or chain row: its fields null)."""
    position = _integer(obj, "position", 0)
    content = "state_hash" if "state_hash" in obj else "state"
    if content == "state_hash":
        hashed_only(obj)
    get = obj.get
    stored = {get("aggregate_id") is None, get("version") is None, get("topic") is None}
    stored.add(get(content) is None)
    chained = {get("index") is None, get("prev_hash") is None, get("hash") is None}
    if len(stored) > 1 or len(chained) > 1 or stored == chained == {True}:
        raise Malformed("the event's fields, or the chain row's, are neither all there nor null")
    event: tuple[Any, ...] = (None, None, None, None, None)
    if stored == {False}:
        version = _integer(obj, "version", 0)
        aggregate_id, topic = _hashed_text(obj, "aggregate_id"), _hashed_text(obj, "topic")
        state = StateHash(_hash(obj, content)) if content == "state_hash" else _base64(obj, content)
        event = (position, aggregate_id, version, topic, state)
    link: tuple[Any, ...] = (None, None, None, None)
    if chained == {False}:
        link = (_integer(obj, "index", 1), position, _hash(obj, "prev_hash"), _hash(obj, "hash"))
    return (*event, *link)


def hashed_only(obj: dict[str, Any]) -> None:
    """An event line carries `state_hash` instead of `state` only for an event that holds a
    secret (an account's creation), and never beside `state`: otherwise the line could
    show forged content beside the hash of what was recorded, or withhold the content."""
    if "state" in obj:
        raise Malformed("the event carries both state and state_hash")
    topic = obj.get("topic")
    if obj.get("state_hash") is not None and not (isinstance(topic, str) and topic in HASHED_ONLY):
        raise Malformed(
            f"only an account's creation carries state_hash instead of state: {topic!r}"
        )


# The C scanner under json.loads, without its wrappers (typeshed does not declare it).
SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def quick_object(raw: bytes) -> dict[str, Any] | None:
    """`_object` for the walk in stretches: a line that is one JSON object in UTF-8 and
    nothing else, else None (the caller's line-by-line reading decides what it is)."""
    try:
        text = raw.decode("utf-8")
        obj, end = SCAN(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError):
        return None
    if not isinstance(obj, dict) or text[end:].strip():
        return None
    return obj


def quick_event(obj: dict[str, Any]) -> Row | None:
    """`parse_event` for the walk in stretches, in the common case alone: every field there
    and well formed. None for anything else — never a verdict: the stretch is then not
    clean, and the row-by-row walk reads the line and names what is wrong with it."""
    try:
        position, index, version = obj["position"], obj["index"], obj["version"]
        aggregate_id, topic = obj["aggregate_id"], obj["topic"]
        prev_text, hash_text = obj["prev_hash"], obj["hash"]
        prev_hash, hash_ = bytes.fromhex(prev_text), bytes.fromhex(hash_text)
        if "state_hash" in obj:
            if "state" in obj or topic not in HASHED_ONLY:
                return None
            state: bytes = StateHash(bytes.fromhex(obj["state_hash"]))
            if state.hex() != obj["state_hash"] or len(state) != 32:
                return None
        else:
            state = base64.b64decode(obj["state"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None
    if type(position) is not int or type(index) is not int or type(version) is not int:
        return None
    if not (0 <= position < 2**63 and 0 < index < 2**63 and 0 <= version < 2**63):
        return None
    if type(aggregate_id) is not str or type(topic) is not str:
        return None
    if prev_hash.hex() != prev_text or hash_.hex() != hash_text or len(hash_) != 32:
        return None
    return (position, aggregate_id, version, topic, state, index, position, prev_hash, hash_)


def _object(raw: bytes | str) -> dict[str, Any] | None:
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _malformed_checkpoint(obj: dict[str, Any], problem: str) -> dict[str, Any]:
    id_, index, hash_ = obj.get("id"), obj.get("index"), obj.get("hash")
    return {
        "id": id_ if type(id_) is int else None,
        "index": index if type(index) is int else None,
        "hash": hash_ if isinstance(hash_, str) else None,
        "problem": problem,
    }


def parse_cosignature(obj: dict[str, Any]) -> Cosignature:
    return Cosignature(
        seq=_integer(obj, "seq", 1),
        key_id=_text(obj, "key_id"),
        public_key=_base64(obj, "public_key"),
        signature=_base64(obj, "signature"),
        signed_at=_text(obj, "signed_at"),
    )


def verify_bundle(
    lines: Iterable[bytes | str],
    pinned_key: bytes | Sequence[bytes] | None = None,
    max_age: timedelta | None = None,
    witnesses: Sequence[bytes] = (),
    witnesses_required: int = 0,
) -> BundleVerification:
    """A bundle's verdict, read line by line: the checkpoints' against the pinned key (else
    the header's keys), every link's, and whether the bundle is whole (its end line)."""
    numbered = ((n, raw) for n, raw in enumerate(lines, start=1) if raw.strip())
    return judge(numbered, pinned_key, max_age, witnesses, witnesses_required)


def judge(
    items: Iterator[tuple[int, bytes | str] | Stretch],
    pinned_key: bytes | Sequence[bytes] | None,
    max_age: timedelta | None,
    witnesses: Sequence[bytes],
    witnesses_required: int,
) -> BundleVerification:
    """`verify_bundle` of numbered non-blank lines, where stretches of event lines may come
    verified already (`bundle_items`); Irregular when one does not continue the walk."""
    first = next(items, None)
    try:
        if first is None:
            raise Malformed("the bundle is empty")
        if isinstance(first, Stretch):
            raise Irregular("a bundle begins with its header")
        algorithm, header_keys = parse_header(_object(first[1]))
    except Malformed as error:
        return BundleVerification(False, 0, 0, None, problem=f"line 1: {error}")
    pinned = pinned_keys(pinned_key)
    verifier = Verifier(
        algorithm,
        pinned or header_keys,
        pinned=bool(pinned),
        max_age=max_age,
        witnesses=witnesses,
        witnesses_required=witnesses_required,
    )
    events = checkpoints = cosignatures = 0
    end: dict[str, Any] | None = None
    for item in items:
        if isinstance(item, Stretch):
            if end is not None or not verifier.stretch(item):
                raise Irregular(f"the stretch from index {item.first_index}")
            events += item.count
            continue
        number, raw = item
        obj = _object(raw) or {}
        kind = obj.get("type")
        if end is not None:
            verifier.bundle_problem = f"line {number} comes after the end line"
            break
        if kind == "checkpoint" and not events:
            checkpoints += 1
            try:
                verifier.checkpoint(parse_checkpoint(obj))
            except Malformed as error:
                problem = f"line {number}: malformed checkpoint: {error}"
                verifier.reject(_malformed_checkpoint(obj, problem))
        elif kind == "cosignature" and not events:
            cosignatures += 1
            try:
                verifier.cosignature(parse_cosignature(obj))
            except Malformed as error:
                problem = f"line {number}: malformed co-signature: {error}"
                verifier.reject({"id": None, "index": None, "hash": None, "problem": problem})
        elif kind == "event":
            events += 1
            try:
                row = parse_event(obj)
            except Malformed as error:
                verifier.break_chain(f"line {number}: malformed event: {error}")
                break
            if not verifier.event(row):
                break
        elif kind == "end":
            end = obj
        else:
            verifier.break_chain(f"line {number} is not a line a bundle may hold there")
            break
    else:
        verifier.bundle_problem = incomplete(end, events, checkpoints, cosignatures)
    return verifier.result()


def incomplete(
    end: dict[str, Any] | None, events: int, checkpoints: int, cosignatures: int = 0
) -> str | None:
    """What is missing from a bundle whose lines all verified, if anything (a bundle from
    before co-signatures has no count of them, and none)."""
    if end is None:
        return "the bundle has no end line: it was cut short"
    if end.get("cosignatures", 0) != cosignatures:
        return (
            f"the end line counts {end.get('cosignatures')!r} co-signatures, but the bundle "
            f"holds {cosignatures}"
        )
    if end.get("events") != events or end.get("checkpoints") != checkpoints:
        return (
            f"the end line counts {end.get('events')!r} events and {end.get('checkpoints')!r} "
            f"checkpoints, but the bundle holds {events} and {checkpoints}"
        )
    return None


def chain_hashes_of(path: Path) -> list[bytes]:
    """The chain hashes a bundle holds, in ledger order: what an auditor kept of the log."""
    hashes = []
    with path.open("rb") as file:
        for raw in file:
            obj = _object(raw) or {}
            if obj.get("type") == "event" and isinstance(obj.get("hash"), str):
                hashes.append(bytes.fromhex(obj["hash"]))
    return hashes


def verify_bundle_file(
    path: Path,
    pinned_key: bytes | Sequence[bytes] | None = None,
    progress: Callable[[int], None] | None = None,
    max_age: timedelta | None = None,
    witnesses: Sequence[bytes] = (),
    witnesses_required: int = 0,
    *,
    workers: int = 1,
    chunk: int = CHUNK,
    parallel_from: int = PARALLEL_FROM,
    executor: Executor | None = None,
) -> BundleVerification:
    """`verify_bundle` of a file; `progress` hears how many bytes were read. With `workers`
    > 1 and at least `parallel_from` lines of events, stretches of `chunk` of them are
    verified side by side (`infra.stretch`); should one not come back clean, the file is
    read again line by line for the verdict."""
    judged, chunk = (pinned_key, max_age, witnesses, witnesses_required), whole_subtrees(chunk)
    if workers > 1:
        try:
            items = bundle_items(path, workers, chunk, parallel_from, progress, executor)
            return judge(items, *judged)
        except Irregular as irregular:
            log.info("parallel verification stopped at %s: reading line by line", irregular)

    def lines(file: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
        read = 0
        for n, data in enumerate(file, start=1):
            read += len(data)
            if progress is not None and n % BATCH == 0:
                progress(read)
            if data.strip():
                yield n, data
        if progress is not None:
            progress(read)

    with path.open("rb") as file:
        return judge(lines(file), *judged)


def bundle_items(
    path: Path,
    workers: int,
    chunk: int,
    parallel_from: int,
    progress: Callable[[int], None] | None,
    executor: Executor | None = None,
) -> Iterator[tuple[int, bytes] | Stretch]:
    """A bundle's non-blank lines, numbered, but its event lines (when there are at least
    `parallel_from`) as stretches that `workers` processes verified (`bundle_stretch`)."""
    algorithm, marks = "sha256", set()
    with path.open("rb") as file:
        offset, raw = 0, b""
        first_event: tuple[int, int] | None = None
        for number, raw in enumerate(file, start=1):
            obj = (_object(raw) if raw.strip() else None) or {}
            if number > 1 and obj.get("type") == "event":
                first_event = (number, offset)
                break
            if obj.get("type") == "header":
                algorithm = str(obj.get("algorithm"))
            elif obj.get("type") == "checkpoint" and type(obj.get("index")) is int:
                marks.add(obj["index"])
            offset += len(raw)
            if raw.strip():
                yield number, raw
        if first_event is None:
            return
        starts, lines = line_starts(file, first_event[1], chunk)
        rest: tuple[int, int] | None = first_event
        if lines >= max(parallel_from, 1):
            jobs = []
            for k, start in enumerate(starts):
                last = k + 1 == len(starts)
                where = (
                    str(path),
                    start,
                    None if last else starts[k + 1],
                    first_event[0] + k * chunk,
                )
                wanted = [m for m in marks if k * chunk < m <= (k + 1) * chunk]
                jobs.append((*where, 1 + k * chunk, algorithm, wanted, last))
            for stretch in run_stretches(bundle_stretch, jobs, workers, executor):
                if stretch.count:
                    yield stretch
                if progress is not None:
                    progress(stretch.bytes_read)
                rest = stretch.rest
        if rest is None:
            return
        file.seek(rest[1])
        for later, line in enumerate(file, start=rest[0]):
            if line.strip():
                yield later, line


def bundle_stretch(
    path: str,
    start: int,
    end: int | None,
    first_number: int,
    first_index: int,
    algorithm: str,
    marks: list[int],
    last: bool,
) -> Stretch | None:
    """A worker's stretch of a bundle: the event lines from byte `start` to `end`, all of
    which must be events that verify among themselves. The last stretch may end early, at
    the first line that is not an event (the end line), which it names for the caller."""
    with open(path, "rb") as file:
        file.seek(start)
        data = file.read() if end is None else file.read(end - start)
    stop: list[tuple[int, int]] = []
    malformed: list[str] = []

    def rows() -> Iterator[Row]:
        offset = start
        for number, raw in enumerate(data.splitlines(keepends=True), start=first_number):
            obj = quick_object(raw)
            if obj is None or obj.get("type") != "event":
                stop.append((number, offset))
                return
            row = quick_event(obj)
            if row is None:
                malformed.append(f"line {number}")
                return
            yield row
            offset += len(raw)

    stretch = check_stretch(rows(), algorithm, first_index, marks)
    if malformed or (stop and not last):
        return None
    read = start + len(data)
    if stretch is None:  # no event in it: only the last one, beginning at the end line
        if not stop:
            return None
        return Stretch(first_index, 0, b"", 0, b"", b"", 0, [], bytes_read=read, rest=stop[0])
    return replace(stretch, bytes_read=read, rest=stop[0] if stop else None)
