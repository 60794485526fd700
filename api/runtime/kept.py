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

import threading
from collections.abc import Callable
from typing import Any

from infra.listener import Listener

ACCOUNTS = "supervision_accounts"
UNITS = "supervision_units"
MAX_ENTRIES = 10_000


class Kept:
    """One kind's cache, kept while the process's listener LISTENs on its channel (with no
    listener, as in one-shot commands, nothing is kept: every lookup loads)."""

    def __init__(self, listener: Listener | None, channel: str) -> None:
        self.channel = channel
        self.entries: dict[str, Any] = {}
        self.generation = 0
        self.listening = False
        self.lock = threading.Lock()
        if listener is not None:
            listener.subscribe(channel, self.notified, self.listening_changed)

    def get(self, key: str, load: Callable[[str], Any]) -> Any:
        """The aggregate for `key` (as `load` answers it): from memory while listening,
        else (and on a miss) from `load`; what `load` raises is raised."""
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
        with self.lock:
            return self.entries.get(key) if self.listening else None

    def invalidate(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()

    def notified(self, _payload: str) -> None:
        self.invalidate()

    def listening_changed(self, listening: bool) -> None:
        """Starting or stopping, what was kept may have missed notifications."""
        with self.lock:
            self.listening = listening
            self.generation += 1
            self.entries.clear()
