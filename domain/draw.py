"""The "double random" draw (双随机): which units are inspected, by which inspectors.

Algorithm `sha256-ctr-fisher-yates/v2` (docs/audit.md §6: v1 below, plus a second party's
seed in the key, and the beacon — the head signed by the first checkpoint after both
commitments — in place of the head at the draw), pure and deterministic, so anyone holding
the recorded events can run it again and must get the same answer. v1:

1. Inputs, all recorded: the round's id; the seed revealed at the draw, whose SHA-256 (hex,
   over its UTF-8 bytes) was committed before; the audit hash chain's head at the draw
   (ledger index and hash), a public value that did not exist when the seed was committed;
   the population (unit codes, de-duplicated and sorted by Unicode code point); the
   inspector pool (names, each with the unit they belong to, sorted by name); the team size;
   the number of units to draw, `max(1, ceil(N × share_percent / 100))`, at most N.
2. key = SHA-256 of the length-prefixed fields (4-byte big-endian length, then the bytes)
   "supervision-draw/v1", round id (canonical UUID text), seed, head index (8 bytes
   big-endian), head hash (32 bytes). The stream is SHA-256(key ‖ counter) for counter =
   0, 1, 2, … (8 bytes big-endian), read 8 bytes at a time as unsigned big-endian integers.
3. uniform(n): take the next integer x; if x < 2^64 − (2^64 mod n), answer x mod n, else
   take another (rejection sampling: no modulo bias).
4. Units: a partial Fisher–Yates shuffle of the sorted population: for i in 0 … k−1, swap
   item i with item i + uniform(N − i); the first k items, in that order, are drawn.
5. Teams, unit by unit in draw order: the pool minus every inspector who belongs to that unit
   (回避), in name order, partially shuffled the same way (same stream, continuing) for
   `team_size` names; the team is listed in the order drawn.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM_V1 = "sha256-ctr-fisher-yates/v1"
DOMAIN_TAG = b"supervision-draw/v1"
# v2 (issue 16 item 7): two seeds committed by two parties, and the head of the first
# checkpoint signed after both commitments (the beacon), not the head at the moment of the
# draw; the key is over "supervision-draw/v2", round id, seed, co-seed, beacon index and hash.
ALGORITHM = "sha256-ctr-fisher-yates/v2"
DOMAIN_TAG_V2 = b"supervision-draw/v2"
TWO_64 = 1 << 64


@dataclass(frozen=True)
class ChainHead:
    """The audit hash chain's newest row when the draw was made (the public value)."""

    index: int
    position: int
    hash: str  # hex

    def as_event_data(self) -> dict[str, Any]:
        return {"index": self.index, "position": self.position, "hash": self.hash}


@dataclass(frozen=True)
class DrawInput:
    """Everything the draw depends on; each field is recorded in the round's events."""

    inspection_id: str
    seed: str
    head_index: int
    head_hash: str
    population: tuple[str, ...]
    inspectors: tuple[tuple[str, str | None], ...]  # (name, unit_code)
    team_size: int
    count: int
    co_seed: str | None = None  # v2: the second party's seed (None: a v1 draw)


def commitment_of(seed: str) -> str:
    """H(seed): the hex SHA-256 of the seed's UTF-8 bytes, recorded before the draw."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def units_to_draw(population_size: int, share_percent: int) -> int:
    """At least the share (rounded up), at least one unit, at most the whole population."""
    if population_size <= 0:
        return 0
    return min(population_size, max(1, math.ceil(population_size * share_percent / 100)))


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def stream_key(
    inspection_id: str, seed: str, head_index: int, head_hash: str, co_seed: str | None = None
) -> bytes:
    """The stream's key: v1 over one seed and the head at the draw, v2 over both seeds and
    the beacon."""
    seeds = [_field(seed.encode("utf-8"))]
    if co_seed is not None:
        seeds.append(_field(co_seed.encode("utf-8")))
    return hashlib.sha256(
        b"".join(
            (
                _field(DOMAIN_TAG if co_seed is None else DOMAIN_TAG_V2),
                _field(inspection_id.encode("utf-8")),
                *seeds,
                _field(head_index.to_bytes(8, "big")),
                _field(bytes.fromhex(head_hash)),
            )
        )
    ).digest()


class Stream:
    """SHA-256 in counter mode: an endless, reproducible sequence of 64-bit integers."""

    def __init__(self, key: bytes) -> None:
        self._numbers = self._generate(key)

    @staticmethod
    def _generate(key: bytes) -> Iterator[int]:
        counter = 0
        while True:
            block = hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
            for offset in range(0, 32, 8):
                yield int.from_bytes(block[offset : offset + 8], "big")
            counter += 1

    def uniform(self, n: int) -> int:
        """An integer in [0, n) without modulo bias."""
        limit = TWO_64 - TWO_64 % n
        while True:
            x = next(self._numbers)
            if x < limit:
                return x % n


def partial_shuffle(items: Sequence[str], k: int, stream: Stream) -> list[str]:
    """The first k items of a Fisher–Yates shuffle of `items` (their order is kept as given)."""
    pool = list(items)
    for i in range(k):
        j = i + stream.uniform(len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


def eligible(inspectors: Sequence[tuple[str, str | None]], unit_code: str) -> list[str]:
    """The pool's names in name order, without those who belong to the unit (回避)."""
    return sorted(name for name, home in inspectors if home != unit_code)


def draw(given: DrawInput) -> list[dict[str, Any]]:
    """The drawn units in draw order, each with its team: [{unit_code, team: [names]}]."""
    stream = Stream(
        stream_key(
            given.inspection_id, given.seed, given.head_index, given.head_hash, given.co_seed
        )
    )
    population = sorted(set(given.population))
    units = partial_shuffle(population, min(given.count, len(population)), stream)
    targets = []
    for unit in units:
        names = eligible(given.inspectors, unit)
        if len(names) < given.team_size:
            raise ValueError(f"only {len(names)} inspectors may inspect {unit!r}")
        targets.append({"unit_code": unit, "team": partial_shuffle(names, given.team_size, stream)})
    return targets


def check_draw(
    given: DrawInput,
    commitment: str,
    recorded: list[dict[str, Any]],
    co_commitment: str | None = None,
) -> list[str]:
    """What is wrong with a recorded draw (nothing: an empty list), from its inputs alone."""
    problems = []
    if commitment_of(given.seed) != commitment:
        problems.append("the revealed seed does not match the commitment recorded before the draw")
    if given.co_seed is not None and commitment_of(given.co_seed) != co_commitment:
        problems.append("the revealed co-seed does not match the second party's commitment")
    if list(given.population) != sorted(set(given.population)):
        problems.append("the recorded population is not sorted and free of repeats")
    for target in recorded:
        homes = {name: home for name, home in given.inspectors}
        if any(homes.get(name) == target["unit_code"] for name in target["team"]):
            problems.append(f"an inspector of unit {target['unit_code']!r} was drawn for it")
    try:
        expected = draw(given)
    except ValueError as error:
        return [*problems, f"the draw cannot be made from its inputs: {error}"]
    if expected != recorded:
        problems.append(
            "the recorded units or teams differ from the draw re-derived from the inputs"
        )
    return problems
