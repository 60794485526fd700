#!/usr/bin/env python3
"""Verify a supervision audit bundle with no database and nothing of the service.

    python verify_bundle.py BUNDLE [--public-key BASE64_OR_FILE ...] [--max-age-hours H]
                           [--consistency PROOF_JSON | --inclusion PROOF_JSON]
    python verify_bundle.py [BUNDLE] --receipt RECEIPT_JSON --public-key BASE64_OR_FILE

Needs Python 3.11+ and the `cryptography` package, nothing else; written from the format
described in docs/audit.md, independently of the service's own verifier. It recomputes
every link of the hash chain, checks every checkpoint's Ed25519 signature against the
pinned key (pin one obtained out of band; without --public-key the bundle's own keys are
used, which proves only that the bundle agrees with itself), checks that no two checkpoints
sign different hashes for one index and that each signed (index, hash) is on the chain. With
a pinned key, a log that no checkpoint covers fails (its checkpoints were deleted), and so,
with --max-age-hours, does one whose newest checkpoint is older than that.

It prints a JSON verdict on standard output — {ok, events_verified, head_index, head_hash,
first_invalid_index, problem, checkpoints_verified, bad_checkpoint} — and a sentence on
standard error. Exit status: 0 verified, 1 not verified, 2 the bundle or a key unreadable.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import struct
import sys
from collections.abc import Generator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "supervision-audit-bundle"
VERSION = 1
SIGNED_PREFIX = "supervision-checkpoint-v1"
SIGNED_PREFIX_V2 = "supervision-checkpoint-v2"
ALGORITHMS = ("sha256", "sm3")
LOWER_HEX_64 = re.compile(r"[0-9a-f]{64}")
MAX_INT = 2**63
# The topics whose state holds a secret: their lines carry state_hash instead of state.
HASHED_ONLY = frozenset({"domain.accounts:Account.Created"})


# The hash chain ------------------------------------------------------------------------


def digest(algorithm: str, data: bytes) -> bytes:
    """H: SHA-256, or SM3 (GB/T 32905)."""
    if algorithm == "sha256":
        return hashlib.sha256(data).digest()
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def envelope(
    index: int, position: int, aggregate_id: bytes, version: int, topic: bytes, state_hash: bytes
) -> bytes:
    """The six length-prefixed fields of an event (4-byte big-endian lengths, 8-byte
    big-endian integers, UTF-8 texts), packed in one call."""
    return struct.pack(
        f">IQIQI{len(aggregate_id)}sIQI{len(topic)}sI{len(state_hash)}s",
        8, index, 8, position, len(aggregate_id), aggregate_id, 8, version, len(topic), topic,
        len(state_hash), state_hash,
    )  # fmt: skip


def chain_hash(algorithm: str, prev: bytes, index: int, event: dict[str, Any]) -> bytes:
    """hash_n = H(hash_{n-1} || envelope_n), the envelope holding index, position, aggregate
    id, version, topic and H(state)."""
    aggregate_id = event["aggregate_id"].encode("utf-8")
    topic = event["topic"].encode("utf-8")
    # H(state), or, for an event whose state holds a secret, the hash the bundle carries.
    state_hash = event["state_hash"] if "state_hash" in event else digest(algorithm, event["state"])
    fields = envelope(index, event["position"], aggregate_id, event["version"], topic, state_hash)
    return digest(algorithm, prev + fields)


# Reading lines ------------------------------------------------------------------------


class BadLine(Exception):
    """A line lacks a field its type needs, or has it in the wrong shape."""


def need_int(obj: dict[str, Any], key: str, lowest: int) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value < MAX_INT:
        raise BadLine(f"{key} is not an integer from {lowest} to 2^63-1")
    return value


def need_str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise BadLine(f"{key} is not a string")
    return value


def need_text(obj: dict[str, Any], key: str) -> str:
    """A string the chain hashes as UTF-8: one with a lone surrogate is no text."""
    value = need_str(obj, key)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, written as a JSON escape
            raise BadLine(f"{key} is not Unicode text") from None
    return value


def need_b64(obj: dict[str, Any], key: str) -> bytes:
    text = need_str(obj, key)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise BadLine(f"{key} is not base64") from None


def need_hash(obj: dict[str, Any], key: str) -> bytes:
    text = need_str(obj, key)
    if LOWER_HEX_64.fullmatch(text) is None:
        raise BadLine(f"{key} is not 64 lowercase hex digits")
    return bytes.fromhex(text)


def as_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def read_header(obj: dict[str, Any] | None) -> tuple[str, list[bytes]]:
    if obj is None or obj.get("type") != "header" or obj.get("format") != FORMAT:
        raise BadLine("the first line is not the header of a supervision audit bundle")
    version = obj.get("version")
    if type(version) is not int or version != VERSION:
        raise BadLine(f"format version {version!r} is not {VERSION}")
    if obj.get("algorithm") not in ALGORITHMS:
        raise BadLine(f"unknown hash algorithm {obj.get('algorithm')!r} (expected sha256 or sm3)")
    keys = obj.get("public_keys", [])
    if not isinstance(keys, list):
        raise BadLine("public_keys is not a list")
    decoded = [need_b64({"public key": k}, "public key") for k in keys]
    if [k for k in decoded if len(k) != 32]:
        raise BadLine("a public key is not 32 bytes")
    return obj["algorithm"], decoded


def read_checkpoint(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("id") is not None and (
        isinstance(obj["id"], bool) or not isinstance(obj["id"], int)
    ):
        raise BadLine("id is not an integer")
    version = obj.get("version", 1)
    if isinstance(version, bool) or version not in (1, 2):
        raise BadLine(f"version {version!r} is not 1 or 2")
    cp = {
        "id": obj.get("id"),
        "version": version,
        "index": need_int(obj, "index", 1),
        "hash": need_hash(obj, "hash"),
        "created_at": need_str(obj, "created_at"),
        "algorithm": need_str(obj, "algorithm"),
        "key_id": need_str(obj, "key_id"),
        "signature": need_b64(obj, "signature"),
        "public_key": need_b64(obj, "public_key"),
    }
    if version == 2:  # chained: the log, the checkpoint's number, the Merkle root, the one before
        cp["log_id"], cp["seq"] = need_hash(obj, "log_id"), need_int(obj, "seq", 1)
        cp["root"], cp["prev"] = need_hash(obj, "root"), need_hash(obj, "prev")
    return cp


def read_event(obj: dict[str, Any]) -> dict[str, Any]:
    """The event line's fields; `stored` / `chained` say whether the event and its chain
    row are there (an export names a missing one by leaving its fields null)."""
    position = need_int(obj, "position", 0)
    content = "state_hash" if "state_hash" in obj else "state"
    if content == "state_hash":
        if "state" in obj:
            raise BadLine("the event carries both state and state_hash")
        topic = obj.get("topic")
        if obj.get("state_hash") is not None and not (
            isinstance(topic, str) and topic in HASHED_ONLY
        ):
            raise BadLine(
                f"only an account's creation carries state_hash instead of state: {topic!r}"
            )
    stored = {obj.get(k) is None for k in ("aggregate_id", "version", "topic", content)}
    chained = {obj.get(k) is None for k in ("index", "prev_hash", "hash")}
    if len(stored) == 2 or len(chained) == 2 or stored == chained == {True}:
        raise BadLine("the event's fields, or the chain row's, are neither all there nor null")
    event: dict[str, Any] = {"position": position, "stored": stored == {False}}
    event["chained"] = chained == {False}
    if event["stored"]:
        event["version"] = need_int(obj, "version", 0)
        event["aggregate_id"] = need_text(obj, "aggregate_id")
        event["topic"] = need_text(obj, "topic")
        if content == "state_hash":
            event["state_hash"] = need_hash(obj, "state_hash")
        else:
            event["state"] = need_b64(obj, "state")
    if event["chained"]:
        event["index"] = need_int(obj, "index", 1)
        event["prev_hash"] = need_hash(obj, "prev_hash")
        event["hash"] = need_hash(obj, "hash")
    return event


# The verdict ---------------------------------------------------------------------------


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def signed_text(cp: dict[str, Any]) -> bytes:
    if cp["version"] == 1:
        lines = [SIGNED_PREFIX, str(cp["index"]), cp["hash"].hex(), cp["created_at"]]
    else:
        lines = [SIGNED_PREFIX_V2, cp["log_id"].hex(), str(cp["seq"]), str(cp["index"])]
        lines += [cp["hash"].hex(), cp["root"].hex(), cp["prev"].hex(), cp["created_at"]]
    lines += [cp["algorithm"], cp["key_id"]]
    return "\n".join(lines).encode("utf-8")


def label(cp: dict[str, Any]) -> str:
    return f"checkpoint {cp['id']}" if cp["id"] is not None else f"checkpoint at {cp['index']}"


def push_peak(algorithm: str, peaks: list[tuple[int, bytes]], size: int, node: bytes) -> None:
    """A subtree of `size` leaves appended to a tree's subtrees: equal-sized ones merge."""
    while peaks and peaks[-1][0] == size:
        node = merkle_node(algorithm, peaks.pop()[1], node)
        size *= 2
    peaks.append((size, node))


def join_peaks(
    algorithm: str, peaks: list[tuple[int, bytes]], more: list[tuple[int, bytes]]
) -> list[tuple[int, bytes]] | None:
    """The subtrees of a tree followed by another whose own subtrees are `more`; None when
    the other's largest is larger than this one's smallest (they would not line up)."""
    if peaks and more and more[0][0] > peaks[-1][0]:
        return None
    joined = list(peaks)
    for size, node in more:
        push_peak(algorithm, joined, size, node)
    return joined


def peaks_root(algorithm: str, peaks: list[tuple[int, bytes]]) -> bytes:
    """MTH of the leaves under `peaks` (RFC 9162 §2.1.1)."""
    root = peaks[-1][1]
    for _, left in reversed(peaks[:-1]):
        root = merkle_node(algorithm, left, root)
    return root


class Audit:
    """The state of one pass over a bundle."""

    def __init__(
        self,
        algorithm: str,
        keys: list[bytes],
        pinned: bool,
        max_age_hours: float | None = None,
        witnesses: list[bytes] | None = None,
        required: int = 0,
    ) -> None:
        self.algorithm = algorithm
        self.witnesses = {key_id_of(k): k for k in witnesses or []}
        self.required = required
        self.by_seq: dict[int, tuple[dict[str, Any], bytes]] = {}  # good chained checkpoints
        self.cosigners: dict[int, set[str]] = {}
        self.witnessed = 0
        self.trusted = {key_id_of(k): k for k in keys}
        self.pinned = pinned
        self.max_age_hours = max_age_hours
        self.newest_signed = ""
        self.verified = 0
        self.last_hash = bytes(32)
        self.last_position = -1
        self.broken: str | None = None
        self.bad: dict[str, Any] | None = None
        self.incomplete: str | None = None
        self.by_index: dict[int, dict[str, Any]] = {}
        self.unmatched: dict[int, list[dict[str, Any]]] = {}
        self.matched = 0
        self.seen = 0  # checkpoint lines so far
        self.before = bytes(32)  # H(the signed text of the checkpoint line before)
        self.first_hash = b""
        self.peaks: list[tuple[int, bytes]] | None = None  # Merkle subtrees (leaves, MTH)

    def blame(self, cp: dict[str, Any], problem: str) -> None:
        if self.bad is None:
            hash_hex = cp["hash"].hex() if isinstance(cp["hash"], bytes) else cp["hash"]
            self.bad = {"id": cp["id"], "index": cp["index"], "hash": hash_hex}
            self.bad["problem"] = problem

    def add_checkpoint(self, cp: dict[str, Any]) -> None:
        self.seen += 1
        before, self.before = self.before, digest(self.algorithm, signed_text(cp))
        before_this = self.before  # this checkpoint's own digest, which witnesses sign
        key = self.trusted.get(cp["key_id"])
        if key is None:
            whom = "the pinned key" if self.pinned else "a key of the bundle"
            self.blame(cp, f"{label(cp)} names key {cp['key_id']}, which is not {whom}")
            return
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(cp["signature"], signed_text(cp))
        except InvalidSignature:
            self.blame(cp, f"the signature of {label(cp)} does not verify under key {cp['key_id']}")
            return
        earlier = self.by_index.get(cp["index"])
        if earlier is not None and earlier["hash"] != cp["hash"]:
            self.blame(
                cp,
                f"fork at index {cp['index']}: {label(earlier)} and {label(cp)} "
                "sign different hashes",
            )
            return
        if cp["version"] == 2 and cp["seq"] != self.seen:
            self.blame(
                cp,
                f"{label(cp)} says it is checkpoint number {cp['seq']} of the log, but it is "
                f"number {self.seen}: checkpoints before it were deleted, or added",
            )
            return
        if cp["version"] == 2 and cp["prev"] != before:
            self.blame(
                cp,
                f"{label(cp)} follows a checkpoint whose hash is {cp['prev'].hex()}, but the one "
                f"before it hashes to {before.hex()}: the checkpoints before it were changed "
                "or reordered",
            )
            return
        if cp["version"] == 2:
            self.by_seq[cp["seq"]] = (cp, before_this)
            if self.peaks is None:
                self.peaks = []
        self.by_index.setdefault(cp["index"], cp)
        self.unmatched.setdefault(cp["index"], []).append(cp)

    def add_cosignature(self, line: dict[str, Any]) -> None:
        """A witness's co-signature of a chained checkpoint's digest (docs/audit.md §9)."""
        key = self.witnesses.get(line["key_id"])
        if key is None:
            return
        found = self.by_seq.get(line["seq"])
        if found is None:
            self.blame(
                {"id": None, "index": None, "hash": None},
                f"witness {line['key_id']} co-signed checkpoint number {line['seq']}, which the "
                "log does not hold: checkpoints were deleted or changed",
            )
            return
        cp, cp_digest = found
        text = "\n".join(
            ["supervision-cosignature-v1", line["key_id"], cp_digest.hex(), line["signed_at"]]
        )
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(line["signature"], text.encode())
        except InvalidSignature:
            self.blame(
                cp,
                f"the co-signature of witness {line['key_id']} on {label(cp)} does not verify: "
                "the checkpoint was changed after the witness signed it",
            )
            return
        self.cosigners.setdefault(line["seq"], set()).add(line["key_id"])

    def grow_tree(self, data: bytes) -> None:
        """One more leaf of the Merkle tree (RFC 9162 §2.1.1)."""
        assert self.peaks is not None
        push_peak(self.algorithm, self.peaks, 1, merkle_leaf(self.algorithm, data))

    def not_this_log(self, cp: dict[str, Any], peaks: list[tuple[int, bytes]]) -> str | None:
        """Why a checkpoint whose hash is on the chain still does not sign it, if it does not
        (`peaks`: the Merkle subtrees of the chain's hashes up to its index)."""
        if cp["version"] == 1:
            return None
        if cp["log_id"] != self.first_hash:
            return (
                f"{label(cp)} names log {cp['log_id'].hex()}, but this log's first chain hash "
                f"is {self.first_hash.hex()}: it was signed for another log"
            )
        root = peaks_root(self.algorithm, peaks)
        if cp["root"] != root:
            return (
                f"{label(cp)} signs Merkle root {cp['root'].hex()} at index {cp['index']}, but "
                f"the chain's hashes up to it make {root.hex()}"
            )
        return None

    def meet(self, index: int, here: bytes, peaks: list[tuple[int, bytes]]) -> None:
        """The checkpoints that sign `index`, where the chain's hash is `here`."""
        for cp in self.unmatched.pop(index, []):
            if cp["hash"] != here:
                self.blame(
                    cp,
                    f"{label(cp)} signs hash {cp['hash'].hex()} at index {index}, but the chain "
                    f"there has {here.hex()}: the chain up to it was rewritten",
                )
                continue
            problem = self.not_this_log(cp, peaks)
            if problem is not None:
                self.blame(cp, problem)
                continue
            self.matched += 1
            self.newest_signed = max(self.newest_signed, cp["created_at"])
            if len(self.cosigners.get(cp.get("seq") or 0, ())) >= max(self.required, 1):
                self.witnessed += 1

    def add_event(self, event: dict[str, Any]) -> bool:
        index = self.verified + 1
        if not event["chained"]:
            self.broken = f"event at position {event['position']} has no chain row"
        elif not event["stored"]:
            self.broken = (
                f"chain row {event['index']} points at position {event['position']}, "
                "which has no event"
            )
        elif event["index"] != index:
            self.broken = f"expected ledger index {index}, found {event['index']}"
        elif event["prev_hash"] != self.last_hash:
            self.broken = f"chain row {index} does not follow the hash before it"
        elif chain_hash(self.algorithm, self.last_hash, index, event) != event["hash"]:
            self.broken = (
                f"event at ledger index {index} (position {event['position']}) was altered"
            )
        elif event["position"] <= self.last_position:
            self.broken = (
                f"position {event['position']} does not come after position {self.last_position}"
            )
        if self.broken is not None:
            return False
        self.verified, self.last_hash = index, event["hash"]
        self.last_position = event["position"]
        if index == 1:
            self.first_hash = event["hash"]
        if self.peaks is not None:
            self.grow_tree(event["hash"])
        if index in self.unmatched:
            self.meet(index, self.last_hash, self.peaks or [])
        return True

    def add_stretch(self, stretch: dict[str, Any]) -> bool:
        """Event lines a worker checked among themselves (`stretch_of`): True when they carry
        on the chain exactly where it stands, False when they do not (then the bundle is read
        again line by line, for the verdict and its words)."""
        if (
            stretch["first_index"] != self.verified + 1
            or stretch["first_prev"] != self.last_hash
            or stretch["first_position"] <= self.last_position
        ):
            return False
        if self.verified == 0:
            self.first_hash = stretch["first_hash"]
        end = self.verified + stretch["count"]
        for index in sorted(i for i in self.unmatched if self.verified < i <= end):
            if index not in stretch["marks"]:
                return False
            here, peaks = stretch["marks"][index]
            joined = None if self.peaks is None else join_peaks(self.algorithm, self.peaks, peaks)
            if self.peaks is not None and joined is None:
                return False
            self.meet(index, here, joined or [])
        if self.peaks is not None:
            joined = join_peaks(self.algorithm, self.peaks, stretch["peaks"])
            if joined is None:
                return False
            self.peaks = joined
        self.verified, self.last_hash = end, stretch["last_hash"]
        self.last_position = stretch["last_position"]
        return True

    def coverage(self) -> str | None:
        """With a pinned key: at least one checkpoint on the chain, and, with a maximum age,
        the newest no older than that; with witnesses required, one co-signed by so many."""
        if self.required and self.verified and not self.witnessed:
            return (
                f"no checkpoint on the chain is co-signed by {self.required} of the named witnesses"
            )
        if not self.pinned or not self.verified:
            return None
        if not self.matched:
            return (
                "no checkpoint signed by the pinned key covers the log: its checkpoints were "
                "deleted, or none was ever signed"
            )
        if self.max_age_hours is None:
            return None
        try:
            signed = datetime.fromisoformat(self.newest_signed)
        except ValueError:
            return f"the newest checkpoint's time {self.newest_signed!r} is not a time"
        if datetime.now(UTC) - signed <= timedelta(hours=self.max_age_hours):
            return None
        return (
            f"the newest checkpoint signed by the pinned key was made at {self.newest_signed}, "
            f"older than the {self.max_age_hours:g} hours asked for: the events after it are "
            "covered by no signature"
        )

    def verdict(self) -> dict[str, Any]:
        if self.broken is None:
            for index in sorted(self.unmatched):
                for cp in self.unmatched[index]:
                    self.blame(
                        cp,
                        f"{label(cp)} signs index {index}, but the chain ends at index "
                        f"{self.verified}: the events after it were cut off",
                    )
            self.unmatched = {}
        problem = self.broken or (self.bad["problem"] if self.bad else None) or self.incomplete
        problem = problem or self.coverage()
        return {
            "ok": problem is None,
            "events_verified": self.verified,
            "head_index": self.verified,
            "head_hash": self.last_hash.hex() if self.verified else None,
            "first_invalid_index": self.verified + 1 if self.broken else None,
            "problem": problem,
            "checkpoints_verified": self.matched,
            "bad_checkpoint": self.bad,
        }


def unreadable(problem: str) -> dict[str, Any]:
    return {
        "ok": False,
        "events_verified": 0,
        "head_index": 0,
        "head_hash": None,
        "first_invalid_index": None,
        "problem": problem,
        "checkpoints_verified": 0,
        "bad_checkpoint": None,
    }


def verify(
    stream: BinaryIO,
    pinned: list[bytes],
    max_age_hours: float | None = None,
    witnesses: list[bytes] | None = None,
    required: int = 0,
) -> dict[str, Any]:
    lines = ((number, raw) for number, raw in enumerate(stream, 1) if raw.strip())
    return verify_lines(lines, pinned, max_age_hours, witnesses, required)


def verify_lines(
    lines: Iterator[tuple[int, bytes] | dict[str, Any]],
    pinned: list[bytes],
    max_age_hours: float | None = None,
    witnesses: list[bytes] | None = None,
    required: int = 0,
) -> dict[str, Any]:
    """The verdict on a bundle's numbered non-blank lines, among which stretches of event
    lines may come checked already (dicts from `stretch_of`; NotInLine when one does not
    carry on the chain)."""
    first = next(lines, None)
    if first is None:
        return unreadable("line 1: the bundle is empty")
    if isinstance(first, dict):
        raise NotInLine("a bundle begins with its header")
    try:
        algorithm, header_keys = read_header(as_object(first[1]))
    except BadLine as error:
        return unreadable(f"line 1: {error}")
    audit = Audit(
        algorithm, pinned or header_keys, bool(pinned), max_age_hours, witnesses, required
    )
    counted = {"checkpoint": 0, "cosignature": 0, "event": 0}
    end: dict[str, Any] | None = None
    for item in lines:
        if isinstance(item, dict):
            if end is not None or not audit.add_stretch(item):
                raise NotInLine(f"the stretch from index {item['first_index']}")
            counted["event"] += item["count"]
            continue
        number, raw = item
        obj = as_object(raw) or {}
        if end is not None:
            audit.incomplete = f"line {number} comes after the end line"
            return audit.verdict()
        kind = obj.get("type")
        if kind == "checkpoint" and counted["event"] == 0:
            counted["checkpoint"] += 1
            try:
                audit.add_checkpoint(read_checkpoint(obj))
            except BadLine as error:
                cp = {key: obj.get(key) for key in ("id", "index", "hash")}
                cp = {
                    "id": cp["id"] if type(cp["id"]) is int else None,
                    "index": cp["index"] if type(cp["index"]) is int else None,
                    "hash": cp["hash"] if isinstance(cp["hash"], str) else None,
                }
                audit.blame(cp, f"line {number}: malformed checkpoint: {error}")
        elif kind == "cosignature" and counted["event"] == 0:
            counted["cosignature"] += 1
            try:
                line = {"seq": need_int(obj, "seq", 1), "key_id": need_str(obj, "key_id")}
                line["signature"] = need_b64(obj, "signature")
                line["signed_at"] = need_str(obj, "signed_at")
                need_b64(obj, "public_key")
            except BadLine as error:
                nothing = {"id": None, "index": None, "hash": None}
                audit.blame(nothing, f"line {number}: malformed co-signature: {error}")
                continue
            audit.add_cosignature(line)
        elif kind == "event":
            counted["event"] += 1
            try:
                event = read_event(obj)
            except BadLine as error:
                audit.broken = f"line {number}: malformed event: {error}"
                return audit.verdict()
            if not audit.add_event(event):
                return audit.verdict()
        elif kind == "end":
            end = obj
        else:
            audit.broken = f"line {number} is not a line a bundle may hold there"
            return audit.verdict()
    if end is None:
        audit.incomplete = "the bundle has no end line: it was cut short"
    elif end.get("cosignatures", 0) != counted["cosignature"]:
        audit.incomplete = (
            f"the end line counts {end.get('cosignatures')!r} co-signatures, but the bundle "
            f"holds {counted['cosignature']}"
        )
    elif end.get("events") != counted["event"] or end.get("checkpoints") != counted["checkpoint"]:
        audit.incomplete = (
            f"the end line counts {end.get('events')!r} events and "
            f"{end.get('checkpoints')!r} checkpoints, but the bundle holds "
            f"{counted['event']} and {counted['checkpoint']}"
        )
    return audit.verdict()


# Many cores ----------------------------------------------------------------------------
# A long bundle's event lines are cut into stretches of a power-of-two many lines, which
# worker processes check side by side: each link against the prev_hash its own line states,
# and among the stretch's lines the order, the indexes and the Merkle subtrees (a full
# stretch is one). The main process joins them: each stretch must start where the one
# before ended. The first stretch that is not clean sends the whole bundle back to the
# line-by-line pass above, whose verdict and words are the answer.

STRETCH = 1 << 15  # event lines per stretch
PARALLEL_FROM = 4 * STRETCH  # fewer event lines than this: one process


class NotInLine(Exception):
    """A stretch did not come back clean: read the bundle again, line by line."""


SCAN_ONCE = json.JSONDecoder().scan_once


def plain_object(raw: bytes) -> dict[str, Any] | None:
    """A line that is one JSON object in strict UTF-8 and nothing more (what a worker needs;
    any other line ends its stretch, and the line-by-line pass reads it)."""
    try:
        text = raw.decode("utf-8")
        value, end = SCAN_ONCE(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError):
        return None
    return value if isinstance(value, dict) and not text[end:].strip() else None


def plain_event(obj: dict[str, Any]) -> tuple[Any, ...] | None:
    """A whole, well-formed event line's (position, index, version, aggregate id and topic as
    UTF-8, prev_hash, hash, H(state) or None, state or None), for a worker; None for any
    other line (the line-by-line pass then says what is wrong with it)."""
    try:
        position, index, version = obj["position"], obj["index"], obj["version"]
        aggregate_id, topic = obj["aggregate_id"].encode("utf-8"), obj["topic"].encode("utf-8")
        prev_text, hash_text = obj["prev_hash"], obj["hash"]
        prev_hash, hash_ = bytes.fromhex(prev_text), bytes.fromhex(hash_text)
        if "state_hash" in obj:
            if "state" in obj or obj["topic"] not in HASHED_ONLY:
                return None
            state_hash, state = bytes.fromhex(obj["state_hash"]), None
            if state_hash.hex() != obj["state_hash"] or len(state_hash) != 32:
                return None
        else:
            state_hash, state = None, base64.b64decode(obj["state"], validate=True)
    except (KeyError, TypeError, ValueError, AttributeError):  # a UnicodeEncodeError too
        return None
    if type(position) is not int or type(index) is not int or type(version) is not int:
        return None
    if not (0 <= position < MAX_INT and 1 <= index < MAX_INT and 0 <= version < MAX_INT):
        return None
    if prev_hash.hex() != prev_text or hash_.hex() != hash_text or len(hash_) != 32:
        return None
    return position, index, version, aggregate_id, topic, prev_hash, hash_, state_hash, state


def stretch_of(
    path: str,
    start: int,
    end: int | None,
    first_number: int,
    first_index: int,
    algorithm: str,
    marks: list[int],
    last: bool,
) -> dict[str, Any] | None:
    """A worker's check of the event lines from byte `start` to `end` (None: to the end of
    the file); None unless every one is an event that holds. The last stretch may stop at
    the first line that is not an event (the end line), which it names as `rest`."""
    with open(path, "rb") as stream:
        stream.seek(start)
        data = stream.read() if end is None else stream.read(end - start)
    if algorithm == "sha256":
        sha256 = hashlib.sha256

        def h(data: bytes) -> bytes:
            return sha256(data).digest()
    else:

        def h(data: bytes) -> bytes:
            return digest(algorithm, data)

    wanted, found = set(marks), {}
    peaks: list[tuple[int, bytes]] = []
    index, offset, position, prev = first_index, start, -1, b""
    first: dict[str, Any] | None = None
    rest = None
    for number, raw in enumerate(data.splitlines(keepends=True), start=first_number):
        obj = plain_object(raw)
        if obj is None or obj.get("type") != "event":
            rest = (number, offset)
            break
        event = plain_event(obj)
        if event is None:
            return None
        at, listed, version, aggregate_id, topic, prev_hash, hash_, state_hash, state = event
        if first is None:
            prev = prev_hash
        if listed != index or prev_hash != prev or at <= position:
            return None
        fields = envelope(index, at, version=version, aggregate_id=aggregate_id, topic=topic,
                          state_hash=state_hash or h(state))  # fmt: skip
        if h(prev + fields) != hash_:
            return None
        prev, position = hash_, at
        if first is None:
            first = {"first_prev": prev_hash, "first_position": position, "first_hash": prev}
        push_peak(algorithm, peaks, 1, merkle_leaf(algorithm, prev))
        if index in wanted:
            found[index] = (prev, list(peaks))
        index, offset = index + 1, offset + len(raw)
    if (rest is not None and not last) or (first is None and rest is None):
        return None
    stretch: dict[str, Any] = {"first_index": first_index, "count": index - first_index}
    stretch.update(first or {})
    stretch.update(last_hash=prev, last_position=position, peaks=peaks, marks=found)
    stretch.update(read=start + len(data), rest=rest)
    return stretch


def stretched_lines(
    path: str, workers: int, rows: int, parallel_from: int
) -> Iterator[tuple[int, bytes] | dict[str, Any]]:
    """A bundle's numbered non-blank lines, its event lines (at least `parallel_from`) as
    stretches of `rows` that `workers` processes checked."""
    algorithm, marks = "sha256", set()
    with open(path, "rb") as stream:
        offset, raw, first_event = 0, b"", None
        for number, raw in enumerate(stream, start=1):
            obj = (as_object(raw) if raw.strip() else None) or {}
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
        starts, count = stretch_starts(stream, first_event[1], rows)
        rest: tuple[int, int] | None = first_event
        if count >= max(parallel_from, 1):
            rest = yield from checked_stretches(
                path, starts, first_event[0], algorithm, marks, rows, workers
            )
        if rest is None:
            return
        stream.seek(rest[1])
        for later, line in enumerate(stream, start=rest[0]):
            if line.strip():
                yield later, line


def stretch_starts(stream: BinaryIO, start: int, rows: int) -> tuple[list[int], int]:
    """The byte offsets at which stretches of `rows` lines begin, from the line at `start`,
    and the number of lines from there on: newlines counted 8 MiB at a time, and sought one
    by one only in the blocks where a stretch begins."""
    stream.seek(start)
    starts, newlines, offset, last = [start], 0, start, b"\n"
    while block := stream.read(1 << 23):
        in_block = block.count(b"\n")
        at, seen = 0, newlines
        while newlines + in_block >= len(starts) * rows:
            while seen < len(starts) * rows:
                at = block.index(b"\n", at) + 1
                seen += 1
            starts.append(offset + at)
        newlines, offset, last = newlines + in_block, offset + len(block), block[-1:]
    if len(starts) > 1 and starts[-1] == offset:
        starts.pop()
    return starts, newlines + (last != b"\n")


def checked_stretches(
    path: str,
    starts: list[int],
    first_number: int,
    algorithm: str,
    marks: set[int],
    rows: int,
    workers: int,
) -> Generator[dict[str, Any], None, tuple[int, int] | None]:
    """The stretches from `starts`, checked by `workers` spawned processes, in order; what
    follows the last one's events (its `rest`)."""
    jobs = []
    for k, start in enumerate(starts):
        last = k + 1 == len(starts)
        where = (path, start, None if last else starts[k + 1], first_number + k * rows)
        wanted = [m for m in marks if k * rows < m <= (k + 1) * rows]
        jobs.append((*where, 1 + k * rows, algorithm, wanted, last))
    rest = None
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(stretch_of, *job) for job in jobs]
        try:
            for k, future in enumerate(futures):
                stretch = future.result()
                if stretch is None:
                    raise NotInLine(f"the stretch from index {1 + k * rows}")
                if stretch["count"]:
                    yield stretch
                rest = stretch["rest"]
        finally:
            for future in futures:
                future.cancel()
    return rest


def verify_file(
    path: str,
    checks: tuple[Any, ...],
    workers: int = 1,
    rows: int = STRETCH,
) -> tuple[dict[str, Any], int]:
    """The verdict on a bundle file, and how many stretches were checked side by side (0:
    read line by line)."""
    if workers > 1:
        counted: list[dict[str, Any]] = []

        def kept(items: Iterator[tuple[int, bytes] | dict[str, Any]]) -> Iterator[Any]:
            for item in items:
                if isinstance(item, dict):
                    counted.append(item)
                yield item

        try:
            lines = stretched_lines(path, workers, rows, 4 * rows)
            return verify_lines(kept(lines), *checks), len(counted)
        except NotInLine as stopped:
            print(
                f"verify_bundle: {stopped} did not line up: reading again line by line",
                file=sys.stderr,
            )
    with open(path, "rb") as stream:
        return verify(stream, *checks), 0


# Merkle proofs (RFC 9162 §2, docs/audit.md §7) ------------------------------------------


def merkle_leaf(algorithm: str, data: bytes) -> bytes:
    return digest(algorithm, b"\x00" + data)


def merkle_node(algorithm: str, left: bytes, right: bytes) -> bytes:
    return digest(algorithm, b"\x01" + left + right)


def merkle_root(algorithm: str, leaves: list[bytes]) -> bytes:
    """MTH of the chain hashes `leaves`."""

    def mth(low: int, high: int) -> bytes:
        if high - low == 1:
            return merkle_leaf(algorithm, leaves[low])
        k = 1 << ((high - low - 1).bit_length() - 1)
        return merkle_node(algorithm, mth(low, low + k), mth(low + k, high))

    return mth(0, len(leaves)) if leaves else digest(algorithm, b"")


def climb(fn: int, sn: int) -> tuple[int, int]:
    """Up past the levels where fn is a right child's ancestor that is a left one."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def inclusion_holds(
    algorithm: str, data: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, for the leaf at 0-based `index` of a tree of `size`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, merkle_leaf(algorithm, data)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = merkle_node(algorithm, p, r)
            if not fn & 1:
                fn, sn = climb(fn, sn)
        else:
            r = merkle_node(algorithm, r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_holds(
    algorithm: str, old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: the tree of size `old` is a prefix of the tree of size `new`."""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = ([old_root] if old & (old - 1) == 0 else []) + list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = merkle_node(algorithm, c, fr), merkle_node(algorithm, c, sr)
            if not fn & 1:
                fn, sn = climb(fn, sn)
        else:
            sr = merkle_node(algorithm, sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def bundle_leaves(path: str) -> tuple[str, list[bytes]]:
    """The bundle's hash algorithm and its chain hashes, in ledger order."""
    algorithm, leaves = "sha256", []
    with open(path, "rb") as stream:
        for raw in stream:
            obj = as_object(raw) or {}
            if obj.get("type") == "header":
                algorithm = str(obj.get("algorithm"))
            elif obj.get("type") == "event" and isinstance(obj.get("hash"), str):
                leaves.append(bytes.fromhex(obj["hash"]))
    return algorithm, leaves


def proof_problem(kind: str, proof: dict[str, Any], path: str) -> str | None:
    """What is wrong with an inclusion or consistency proof (as the service answers them)
    against the chain of the bundle at `path`, verified already; None when it holds."""
    algorithm, leaves = bundle_leaves(path)
    try:
        nodes = [bytes.fromhex(node) for node in proof["proof"]]
        if kind == "consistency":
            old, new = int(proof["from"]), int(proof["to"])
            old_root, new_root = bytes.fromhex(proof["old_root"]), bytes.fromhex(proof["new_root"])
            if old != len(leaves) or old_root != merkle_root(algorithm, leaves):
                return f"the proof starts from another log than the bundle's {len(leaves)} rows"
            if not consistency_holds(algorithm, old, new, old_root, new_root, nodes):
                return "the consistency proof does not verify"
            return None
        index, size = int(proof["index"]), int(proof["size"])
        root = bytes.fromhex(proof["root"])
        if size > len(leaves) or root != merkle_root(algorithm, leaves[:size]):
            return f"the proof's root is not the root of the bundle's first {size} rows"
        if not inclusion_holds(algorithm, leaves[index - 1], index - 1, size, nodes, root):
            return "the inclusion proof does not verify"
        return None
    except (KeyError, TypeError, ValueError, IndexError) as error:
        return f"the proof is malformed: {error!r}"


def receipt_problem(receipt: Any, keys: list[bytes]) -> str | None:
    """What is wrong with a receipt (GET /api/v1/audit/receipts/{position}), or None: its
    checkpoint is a chained one signed by a pinned key, the event's fields hash to its hash,
    and the inclusion proof puts that hash at its index under the checkpoint's root."""
    try:
        if receipt.get("format") != "supervision-receipt" or receipt.get("version") != 1:
            return "not a receipt (supervision-receipt version 1)"
        algorithm, line = receipt["algorithm"], receipt["event"]
        cp = read_checkpoint(receipt["checkpoint"])
        if cp["version"] != 2 or cp["algorithm"] != algorithm:
            return "the receipt's checkpoint is not a chained (version 2) one of its algorithm"
        key = {key_id_of(k): k for k in keys}.get(cp["key_id"])
        try:
            if key is None:
                raise InvalidSignature
            Ed25519PublicKey.from_public_bytes(key).verify(cp["signature"], signed_text(cp))
        except InvalidSignature:
            return f"checkpoint {cp['seq']} is not signed by a pinned key"
        event = {k: line[k] for k in ("position", "aggregate_id", "version", "topic")}
        if (line.get("state") is None) == (line.get("state_hash") is None):
            return "the receipt's event must carry its state or, for a secret, its state_hash"
        if line.get("state_hash") is not None and line["topic"] not in HASHED_ONLY:
            topic = line["topic"]
            return f"only an account's creation carries state_hash instead of state: {topic!r}"
        if line.get("state_hash") is not None:
            event["state_hash"] = bytes.fromhex(line["state_hash"])
        else:
            event["state"] = base64.b64decode(line["state"], validate=True)
        index, data = int(line["index"]), bytes.fromhex(line["hash"])
        if chain_hash(algorithm, bytes.fromhex(line["prev_hash"]), index, event) != data:
            return f"the event's fields do not hash to its hash at index {index}: it was altered"
        nodes = [bytes.fromhex(node) for node in receipt["proof"]]
        if not inclusion_holds(algorithm, data, index - 1, cp["index"], nodes, cp["root"]):
            return f"the proof does not put the event at index {index} under checkpoint {cp['seq']}"
        return None
    except (AttributeError, KeyError, TypeError, ValueError, BadLine, binascii.Error) as error:
        return f"the receipt is malformed: {type(error).__name__} {error}"


def held_in_bundle(receipt: dict[str, Any], path: str) -> str | None:
    """Whether the bundle at `path` (verified) holds a receipt's event at its index."""
    index, expected = int(receipt["event"]["index"]), receipt["event"]["hash"]
    _, leaves = bundle_leaves(path)
    if index > len(leaves):
        return (
            f"the log has no row at index {index}, which checkpoint "
            f"{receipt['checkpoint']['seq']} signed: it was cut or restored from an older backup"
        )
    if leaves[index - 1].hex() != expected:
        return (
            f"the log's row {index} has hash {leaves[index - 1].hex()}, not the receipt's "
            f"{expected}: it was rewritten or restored from a backup that diverges"
        )
    return None


def check_receipt(path: str, keys: list[bytes], bundle: str | None) -> dict[str, Any]:
    """The receipt's verdict, and, with a (verified) bundle, whether that log still holds it."""
    with open(path, "rb") as stream:
        receipt = json.load(stream)
    problem = receipt_problem(receipt, keys)
    if problem is None and bundle is not None:
        problem = held_in_bundle(receipt, bundle)
    event = receipt.get("event") if isinstance(receipt, dict) else None
    return {
        "ok": problem is None,
        "index": event.get("index") if isinstance(event, dict) else None,
        "position": event.get("position") if isinstance(event, dict) else None,
        "problem": problem,
    }


# The command ---------------------------------------------------------------------------


def public_key(value: str) -> bytes:
    """A raw Ed25519 public key: base64 or hex text, or a file with that text, the raw 32
    bytes, or a PEM public key."""
    path = Path(value).expanduser()
    try:
        is_file = path.is_file()
    except OSError:  # text too long to be a file name
        is_file = False
    if is_file:
        data = path.read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise argparse.ArgumentTypeError(f"{value}: not an Ed25519 public key")
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
        raise argparse.ArgumentTypeError(f"not an Ed25519 public key: {value[:60]!r}")
    return raw


def key_option(parser: argparse.ArgumentParser, flag: str, description: str) -> None:
    """A repeatable option naming an Ed25519 public key (base64, hex or a file holding one)."""
    parser.add_argument(
        flag,
        action="append",
        type=public_key,
        default=[],
        metavar="BASE64_OR_FILE",
        help=description,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify a supervision audit bundle offline (docs/audit.md)."
    )
    parser.add_argument(
        "bundle",
        nargs="?",
        help="the bundle file (JSON Lines); - reads standard input; optional with --receipt",
    )
    key_option(
        parser,
        "--public-key",
        "the checkpoints' Ed25519 public key, obtained out of band (repeatable)",
    )
    parser.add_argument(
        "--max-age-hours",
        type=float,
        default=None,
        metavar="H",
        help="with a pinned key: fail when its newest checkpoint was signed more than H hours ago",
    )
    key_option(
        parser,
        "--witness",
        "a witness's Ed25519 public key (repeatable): its co-signatures are checked",
    )
    parser.add_argument(
        "--witnesses-required",
        type=int,
        default=0,
        metavar="M",
        help="fail unless a checkpoint on the chain is co-signed by M of the named witnesses",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        metavar="N",
        help="processes that check stretches of a long bundle side by side "
        "(default: one per core; 1 reads it line by line)",
    )
    parser.add_argument(
        "--stretch",
        type=int,
        default=STRETCH,
        metavar="LINES",
        help=f"event lines per stretch, a power of two (default {STRETCH}); a bundle of fewer "
        "than four stretches is read line by line",
    )
    proofs = parser.add_mutually_exclusive_group()
    proofs.add_argument(
        "--consistency",
        metavar="PROOF_JSON",
        help="also check a consistency proof (GET /api/v1/audit/proofs/consistency?from=N) "
        "from this bundle's log to a later one",
    )
    proofs.add_argument(
        "--inclusion",
        metavar="PROOF_JSON",
        help="also check an inclusion proof (GET /api/v1/audit/proofs/inclusion) against the "
        "root of this bundle's rows",
    )
    proofs.add_argument(
        "--receipt",
        metavar="RECEIPT_JSON",
        help="check a receipt (GET /api/v1/audit/receipts/{position}) against the pinned key; "
        "with a bundle, also that the bundle's log still holds its event",
    )
    args = parser.parse_args(argv)
    if args.receipt is not None:
        return receipt_command(args)
    if args.bundle is None:
        parser.error("give a bundle, or --receipt")
    if not 0 <= args.witnesses_required <= len(args.witness):
        parser.error(f"{args.witnesses_required} witnesses required, {len(args.witness)} named")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.stretch < 1 or args.stretch & (args.stretch - 1):
        parser.error(f"--stretch {args.stretch} is not a power of two")
    checks = (args.public_key, args.max_age_hours, args.witness, args.witnesses_required)
    stretches = 0
    try:
        if args.bundle == "-":
            result = verify(sys.stdin.buffer, *checks)
        else:
            result, stretches = verify_file(args.bundle, checks, args.workers, args.stretch)
    except OSError as error:
        print(f"verify_bundle: cannot read {args.bundle}: {error}", file=sys.stderr)
        return 2
    kind = "consistency" if args.consistency else "inclusion" if args.inclusion else None
    if kind is not None and result["ok"]:
        if args.bundle == "-":
            print("verify_bundle: a proof is checked against a bundle file, not -", file=sys.stderr)
            return 2
        try:
            with open(args.consistency or args.inclusion, "rb") as proof_file:
                proof = json.load(proof_file)
        except (OSError, ValueError) as error:
            print(f"verify_bundle: cannot read the proof: {error}", file=sys.stderr)
            return 2
        problem = proof_problem(kind, proof, args.bundle)
        result[kind] = {"ok": problem is None, "problem": problem}
        if problem is not None:
            result["ok"], result["problem"] = False, problem
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if result["ok"]:
        print(
            f"verified: {result['events_verified']} events, "
            f"{result['checkpoints_verified']} checkpoints"
            + (f", in {stretches} stretches on {args.workers} processes" if stretches else "")
            + ("" if args.public_key else " (no key pinned: the bundle's own keys were used)"),
            file=sys.stderr,
        )
        return 0
    print(f"NOT verified: {result['problem']}", file=sys.stderr)
    return 1


def receipt_command(args: argparse.Namespace) -> int:
    """`--receipt`: the receipt alone against the pinned key, or beside a bundle."""
    if not args.public_key:
        print(
            "verify_bundle: a receipt is checked against a pinned key (--public-key)",
            file=sys.stderr,
        )
        return 2
    bundle = None if args.bundle in (None, "-") else args.bundle
    try:
        if bundle is not None:
            with open(bundle, "rb") as stream:
                verdict = verify(stream, args.public_key, args.max_age_hours)
            if not verdict["ok"]:
                print(json.dumps(verdict, ensure_ascii=False, indent=2))
                print(f"NOT verified: {verdict['problem']}", file=sys.stderr)
                return 1
        result = check_receipt(args.receipt, args.public_key, bundle)
    except (OSError, ValueError) as error:
        print(f"verify_bundle: cannot read the receipt or the bundle: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if result["ok"]:
        print(f"verified: the event at index {result['index']} was recorded", file=sys.stderr)
        return 0
    print(f"NOT verified: {result['problem']}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
