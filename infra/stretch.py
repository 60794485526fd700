"""Verifying a long log on every core: the walk cut into stretches that worker processes
check side by side, then joined in order (ADR 028).

A row's link holds or not on its own: hash_n = H(prev_hash_n || envelope_n) needs only the
row, its stated prev_hash included. What ties the rows together — each prev_hash equal to
the hash before it, the indexes counting up, the positions rising, the Merkle tree growing
— is checked inside a stretch by its worker and across stretches by `Verifier.stretch`.
Stretches start at ledger indexes 1, 1 + CHUNK, 1 + 2·CHUNK…, so each full one is a whole
subtree of the RFC 9162 tree: its worker hands back that subtree's root (and, where a
checkpoint stands inside it, the subtrees so far), never its leaves.

A stretch that is not clean (a row that does not verify, a line that is not an event, a
stretch that does not begin where it should) is never judged here: the caller walks the
whole log again row by row, and that walk's verdict, with its exact message, is the answer.
The parallel walk can only say "every row holds", and it says so only when the row-by-row
walk would.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, BinaryIO

from infra.audit import check_row
from infra.chain import hasher
from infra.merkle import Frontier

log = logging.getLogger(__name__)

CHUNK = 1 << 15  # rows per stretch: a power of two, so a full stretch is one Merkle subtree
# Below this many rows a walk stays in one process: starting the workers costs more.
PARALLEL_FROM = 4 * CHUNK


class Irregular(Exception):
    """A stretch did not come back clean: walk again, row by row, for the exact verdict."""


@dataclass(frozen=True)
class Stretch:
    """What a worker found in one stretch of the walk, all of whose rows verified."""

    first_index: int  # the ledger index of its first row
    count: int  # rows
    first_prev: bytes  # the prev_hash its first row states (the hash before the stretch)
    first_position: int
    first_hash: bytes
    last_hash: bytes
    last_position: int
    nodes: list[bytes]  # the stretch's own Merkle frontier over all its rows
    # At the rows a checkpoint names (by ledger index): that row's hash and the stretch's
    # own frontier up to it.
    marks: dict[int, tuple[bytes, list[bytes]]] = field(default_factory=dict)
    bytes_read: int = 0  # how far into a bundle file the stretch ends (progress)
    rest: tuple[int, int] | None = None  # a bundle's last stretch: (line number, offset) of
    # the first line after its events, which the caller reads on its own


def workers_available() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def line_starts(
    file: BinaryIO, start: int, every: int, block: int = 1 << 23
) -> tuple[list[int], int]:
    """Where the lines `every`, 2·`every`… after the one at byte `start` begin (that one's
    offset first), and how many lines there are from it to the end (a last one without a
    newline counted): newlines are counted a block at a time, and sought one by one only in
    the blocks where a stretch begins."""
    file.seek(start)
    starts, newlines, offset, last = [start], 0, start, b"\n"
    while data := file.read(block):
        count = data.count(b"\n")
        position, seen = 0, newlines
        while newlines + count >= len(starts) * every:
            while seen < len(starts) * every:
                position = data.index(b"\n", position) + 1
                seen += 1
            starts.append(offset + position)
        newlines, offset, last = newlines + count, offset + len(data), data[-1:]
    if starts[-1] == offset and len(starts) > 1:
        starts.pop()  # the file ends with the newline before it: no line begins there
    return starts, newlines + (last != b"\n")


def whole_subtrees(chunk: int) -> int:
    """`chunk`, a stretch's rows, once it is known to be a power of two (ValueError else):
    only then is each full stretch one subtree of the Merkle tree."""
    if chunk < 1 or chunk & (chunk - 1):
        raise ValueError(f"a stretch of {chunk} rows: it must be a power of two")
    return chunk


def check_stretch(
    rows: Iterable[tuple[Any, ...]],
    algorithm: str,
    first_index: int,
    marks: Sequence[int],
    *,
    prehashed: bool = False,
) -> Stretch | None:
    """The rows' verdict among themselves, as `Verifier.event` would give it once the row
    before them is known; None when any row does not hold (the caller walks again)."""
    h = hasher(algorithm)
    wanted = set(marks)
    frontier = Frontier(h)
    found: dict[int, tuple[bytes, list[bytes]]] = {}
    prev: bytes | None = None
    first: tuple[bytes, int, bytes] | None = None
    index, position = first_index, -1
    for row in rows:
        if prev is None:  # the stretch's first row: its own prev_hash, checked by the caller
            if row[7] is None:
                return None
            prev = bytes(row[7])
        if check_row(h, prev, index, row, prehashed=prehashed) is not None:
            return None
        if row[0] <= position:
            return None
        prev, position = bytes(row[8]), row[0]
        if first is None:
            first = (bytes(row[7]), position, prev)
        frontier.add(prev)
        if index in wanted:
            found[index] = (prev, list(frontier.nodes))
        index += 1
    if first is None or prev is None:
        return None
    return Stretch(
        first_index=first_index,
        count=index - first_index,
        first_prev=first[0],
        first_position=first[1],
        first_hash=first[2],
        last_hash=prev,
        last_position=position,
        nodes=list(frontier.nodes),
        marks=found,
    )


def run_stretches(
    task: Callable[..., Stretch | None],
    jobs: Sequence[tuple[Any, ...]],
    workers: int,
    executor: Executor | None = None,
) -> Iterator[Stretch]:
    """Each job's stretch, in the jobs' order, from `workers` processes (spawned, not forked:
    the caller may hold threads and pooled connections), or from the caller's `executor`;
    Irregular at the first that is not clean, the others cancelled."""
    log.debug("walk in %d stretches on %d workers", len(jobs), workers)
    with ExitStack() as stack:
        if executor is None:
            spawned = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
            executor = stack.enter_context(spawned)
        futures = [executor.submit(task, *job) for job in jobs]
        try:
            for number, future in enumerate(futures, start=1):
                stretch = future.result()
                if stretch is None:
                    log.info("stretch %d of %d is not clean: walking row by row", number, len(jobs))
                    raise Irregular(f"stretch {number}")
                yield stretch
        finally:
            for future in futures:
                future.cancel()
