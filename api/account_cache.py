"""The accounts that tokens name, kept in memory while PostgreSQL says none has changed.

Every request names its account by its token's hash; loading that account from its events
cost about a third of a command's CPU. Here an account, once loaded, is answered from memory
— but only while this process is LISTENing on `supervision_accounts`, the channel a trigger
on the events table notifies in the transaction of every account event (created, revoked,
…); PostgreSQL delivers it when that transaction commits. Any notification empties the
cache (account events are rare), and so does a lost connection: until it listens again,
every lookup goes to the events, as with no cache at all.

A lookup that began before a change and ends after it must not keep the old account: each
invalidation moves a generation counter, and a loaded account is kept only if the counter
did not move while it was being loaded. The process that ran an account command also
invalidates at once, without waiting for the notification; another process learns of it
when the notification arrives (a millisecond or so after the commit).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from infra.database import Database

log = logging.getLogger(__name__)

CHANNEL = "supervision_accounts"
MAX_ENTRIES = 10_000


class AccountCache:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.entries: dict[str, Any] = {}
        self.generation = 0
        self.listening = False
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.listen, name="account-cache", daemon=True)
        self.thread.start()

    def get(self, token_hash: str, load: Callable[[str], Any]) -> Any:
        """The account for `token_hash` (None when there is none): from memory while
        listening, else (and on a miss) from `load`."""
        with self.lock:
            if self.listening and token_hash in self.entries:
                return self.entries[token_hash]
            generation = self.generation
        account = load(token_hash)
        with self.lock:
            if self.listening and self.generation == generation and account is not None:
                if len(self.entries) >= MAX_ENTRIES:
                    self.entries.clear()
                self.entries[token_hash] = account
        return account

    def cached(self, token_hash: str) -> Any:
        """The account kept for `token_hash`, or None (not kept, or not listening)."""
        with self.lock:
            return self.entries.get(token_hash) if self.listening else None

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
                    conn.execute(f"LISTEN {CHANNEL}")
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
                log.warning("account cache: not listening", extra={"error": str(error)})
            finally:
                with self.lock:
                    self.listening = False
                    self.generation += 1
                    self.entries.clear()
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
