"""The audit hash chain: what is hashed, byte by byte, and how a chain is checked.

hash_n = H(hash_{n-1} || envelope_n), hash_0 = 32 zero bytes, where envelope_n is the
concatenation of six length-prefixed fields (4-byte big-endian length, then the bytes):
ledger index (8-byte big-endian), position (8-byte big-endian), aggregate id (UTF-8 of the
canonical UUID text), version (8-byte big-endian), topic (UTF-8), H(stored state bytes).
Hashing H(state) rather than the state lets encrypted personal data be shredded later
without breaking verification.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from cryptography.hazmat.primitives import hashes

Algorithm = Literal["sha256", "sm3"]
HASH_ALGORITHMS = get_args(Algorithm)
GENESIS = bytes(32)


def hasher(algorithm: str) -> Callable[[bytes], bytes]:
    """The chain's hash function: SHA-256 (default) or SM3 (国密, GB/T 32905)."""
    if algorithm == "sha256":
        return lambda data: hashlib.sha256(data).digest()
    if algorithm == "sm3":

        def sm3(data: bytes) -> bytes:
            digest = hashes.Hash(hashes.SM3())
            digest.update(data)
            return digest.finalize()

        return sm3
    raise ValueError(f"unknown hash algorithm {algorithm!r} (expected sha256 or sm3)")


def envelope(
    index: int, position: int, aggregate_id: str, version: int, topic: str, state_hash: bytes
) -> bytes:
    """The length-prefixed envelope of one event, as hashed into the chain (packed in one
    call: verification makes one per event)."""
    aggregate = aggregate_id.encode("utf-8")
    name = topic.encode("utf-8")
    return struct.pack(
        f">IQIQI{len(aggregate)}sIQI{len(name)}sI{len(state_hash)}s",
        8,
        index,
        8,
        position,
        len(aggregate),
        aggregate,
        8,
        version,
        len(name),
        name,
        len(state_hash),
        state_hash,
    )


@dataclass(frozen=True)
class ChainLink:
    ledger_index: int
    position: int
    prev_hash: bytes
    hash: bytes


def link(
    h: Callable[[bytes], bytes],
    prev_hash: bytes,
    index: int,
    position: int,
    aggregate_id: str,
    version: int,
    topic: str,
    state: bytes,
) -> ChainLink:
    """The chain row of one event, given the hash of the row before it."""
    body = envelope(index, position, aggregate_id, version, topic, h(state))
    return ChainLink(index, position, prev_hash, h(prev_hash + body))


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain from the first event."""

    ok: bool
    events_verified: int
    head_index: int
    head_hash: str | None
    first_invalid_index: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "events_verified": self.events_verified,
            "head_index": self.head_index,
            "head_hash": self.head_hash,
            "first_invalid_index": self.first_invalid_index,
            "problem": self.problem,
        }
