"""Aggregates kept in memory while PostgreSQL says none of their kind has changed.

Every request names its account by its token's hash, and every new record checks that its
unit is active; loading those two from their events cost about half a command's CPU. Here
an account or a unit, once loaded, is answered from memory — but only while this process is
LISTENing on the kind's channel (`supervision_accounts`, `supervision_units`), which a
trigger on the events table notifies in the transaction of every event of that kind;
PostgreSQL delivers it when that transaction commits. Any notification empties the cache
(accounts and units change rarely), and so does a lost connection: until it listens again,
every lookup goes to the events, as with no cache at all.

A lookup that began before a change and ends after it must not keep the old aggregate: each
invalidation moves a generation counter, and a loaded one is kept only if the counter did
not move while it was being loaded. The process that ran the command also invalidates at
once, without waiting for the notification; another process learns of it when the
notification arrives (a millisecond or so after the commit). What is kept is only read: the
commands that change an account or a unit load it afresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from infra.database import Database

log = logging.getLogger(__name__)

ACCOUNTS = "supervision_accounts"
UNITS = "supervision_units"
MAX_ENTRIES = 10_000


class Kept:
    """One kind's cache, listening on its channel (its thread starts at the first lookup)."""

    def __init__(self, database: Database, channel: str) -> None:
        self.database, self.channel = database, channel
        self.entries: dict[str, Any] = {}
        self.generation = 0
        self.listening = False
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        with self.lock:
            if self.thread is None and not self.stopping.is_set():
                self.thread = threading.Thread(
                    target=self.listen, name=f"kept-{self.channel}", daemon=True
                )
                self.thread.start()

    def get(self, key: str, load: Callable[[str], Any]) -> Any:
        """The aggregate for `key` (as `load` answers it): from memory while listening,
        else (and on a miss) from `load`; what `load` raises is raised."""
        if self.thread is None:
            self.start()
        with self.lock:
            if self.listening and key in self.entries:
                return self.entries[key]
            generation = self.generation
        found = load(key)
        with self.lock:
            if self.listening and self.generation == generation and found is not None:
                if len(self.entries) >= MAX_ENTRIES:
                    self.entries.clear()
                self.entries[key] = found
        return found

    def cached(self, key: str) -> Any:
        """What is kept for `key`, or None (not kept, or not listening)."""
        if self.thread is None:
            self.start()
        with self.lock:
            return self.entries.get(key) if self.listening else None

    def invalidate(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()

    def listen(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                with psycopg.connect(
                    self.database.conninfo, autocommit=True, connect_timeout=5
                ) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    with self.lock:  # what was kept before may have missed notifications
                        self.generation += 1
                        self.entries.clear()
                        self.listening = True
                    backoff = 0.5
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.invalidate()
                        conn.execute("SELECT 1")  # a dead connection shows here
            except psycopg.Error as error:
                log.warning(
                    "kept aggregates: not listening",
                    extra={"channel": self.channel, "error": str(error)},
                )
            finally:
                with self.lock:
                    self.listening = False
                    self.generation += 1
                    self.entries.clear()
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def close(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5)
