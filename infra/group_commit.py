"""Group commit: commands that arrive together are written in ONE transaction.

Every command's write takes the events table's lock and waits for its WAL flush before
the lock is free again, so one-command-per-transaction caps the service at one fsync per
command. Here the request threads hand their command's write to a committer thread and wait;
the committer takes everything that queued up while the previous batch was being written
(no timer: under light load a batch is one command and adds no latency) and writes it with
one call of `{events}_append_batch(...)`: one lock, one NOTIFY, one chain extension, one
commit — one fsync for the whole batch.

Each command keeps its own checks and answer: the function inserts each command's events
and idempotency record inside a PL/pgSQL exception block (a subtransaction), so a command
whose version was taken in the meantime (unique violation on the events) or whose
Idempotency-Key was taken fails alone, and the rest commit. Nothing is acknowledged before
the batch's commit returns; if the commit fails, every command of the batch gets the error
(and is retried or reported as before).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError

log = logging.getLogger(__name__)


class KeyTaken(Exception):
    """The command's Idempotency-Key was recorded by another command first."""


@dataclass
class Pending:
    """One command's write, waiting for the batch that carries it."""

    events: list[Any]
    idempotency: tuple[str | None, str | None, str, int, Any]
    done: threading.Event = field(default_factory=threading.Event)
    positions: list[int] | None = None
    error: BaseException | None = None

    def settle(self, positions: list[int] | None, failure: str | None) -> None:
        """Its outcome: positions, or the name of what conflicted ("idempotency": the key
        was taken; anything else: the events' versions were)."""
        if failure == "idempotency":
            self.error = KeyTaken()
        elif failure is not None:
            self.error = IntegrityError(f"a command's write conflicted: {failure}")
        else:
            self.positions = positions
        self.done.set()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.done.set()

    def result(self) -> list[int]:
        """Its positions, or the error that stopped it (once settled)."""
        if self.error is not None:
            raise self.error
        assert self.positions is not None
        return self.positions


# Writes a batch: (commands) → per command, its positions or the name of what failed.
WriteBatch = Callable[[Sequence[Pending]], list[tuple[list[int] | None, str | None]]]


class GroupCommitter:
    """One committer thread per recorder; request threads call `write()` and wait."""

    def __init__(self, write_batch: WriteBatch, max_batch: int = 128) -> None:
        self.write_batch, self.max_batch = write_batch, max_batch
        self.queue: list[Pending] = []
        self.cond = threading.Condition()
        self.closed = False
        self.batches = 0
        self.commands = 0
        self.thread = threading.Thread(target=self.run, name="group-commit", daemon=True)
        self.thread.start()

    def write(self, pending: Pending) -> list[int]:
        """Queue one command's write; its positions once its batch committed."""
        with self.cond:
            if self.closed:
                raise RuntimeError("the group committer is closed")
            self.queue.append(pending)
            self.cond.notify()
        pending.done.wait()
        return pending.result()

    def run(self) -> None:
        while True:
            with self.cond:
                while not self.queue and not self.closed:
                    self.cond.wait()
                if self.closed and not self.queue:
                    return
                batch = self.queue[: self.max_batch]
                del self.queue[: self.max_batch]
            self.flush(batch)

    def flush(self, batch: list[Pending]) -> None:
        try:
            outcomes = self.write_batch(batch)
        except BaseException as error:  # every command of the batch learns of it
            for pending in batch:
                pending.fail(error)
            if not isinstance(error, Exception):
                raise
            return
        self.batches += 1
        self.commands += len(batch)
        for pending, (positions, failure) in zip(batch, outcomes, strict=True):
            pending.settle(positions, failure)

    def close(self, timeout: float = 10.0) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self.thread.join(timeout)
