"""One listening connection per process: LISTEN/NOTIFY for everyone, and the runners' locks.

Every part of a process that follows changes (the kept accounts and units, the projection
runners) used to open a connection of its own to LISTEN, and each projection runner one
more to hold its advisory lock: 58 connections for one idle `serve`. Here one thread owns
one connection; parts subscribe to a channel with a callback, and the projection host asks
it to take session advisory locks, which live exactly as long as this connection does.

When the connection is lost, every subscriber is told (`on_state(False)`): what was kept
may have missed a notification and the runners' locks are gone. The thread connects again
with back-off, LISTENs again, and tells them (`on_state(True)`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg.sql import SQL, Identifier

from infra.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
Request = tuple[Callable[[psycopg.Connection[Any]], Any], "Future[Any]"]
WAIT = 0.2  # seconds between looks at the request queue (and at `stop`)
CONNECT_TIMEOUT = 5  # seconds a connection attempt may take


@dataclass(frozen=True)
class Subscriber:
    channel: str
    on_notify: Callable[[str], None]
    on_state: Callable[[bool], None]


class Listener:
    """The process's one listening connection, owned by one thread (started on demand)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.subscribers: list[Subscriber] = []
        self.listening = False
        self.requests: queue.SimpleQueue[Request] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.connects = 0

    def subscribe(
        self, channel: str, on_notify: Callable[[str], None], on_state: Callable[[bool], None]
    ) -> None:
        """Call `on_notify(payload)` for each notification on `channel`, and `on_state`
        whenever listening starts (True) or stops (False)."""
        with self.lock:
            self.subscribers.append(Subscriber(channel, on_notify, on_state))
            listening = self.listening
        if listening:  # the new channel is LISTENed at the next turn of the loop
            self.call(lambda conn: conn.execute(SQL("LISTEN {}").format(Identifier(channel))))
            on_state(True)
        self.start()

    def start(self) -> None:
        with self.lock:
            if self.thread is None and not self.stopping.is_set():
                self.thread = threading.Thread(target=self.run, name="listener", daemon=True)
                self.thread.start()

    def call(self, work: Callable[[psycopg.Connection[Any]], T], timeout: float = 10.0) -> T:
        """Run `work(connection)` on the listening connection, in its thread (a session
        advisory lock taken there lives as long as the connection)."""
        self.start()
        future: Future[T] = Future()
        self.requests.put((work, future))
        return future.result(timeout)

    def run(self) -> None:
        backoff = 0.2
        while not self.stopping.is_set():
            try:
                with self.database.connect(
                    autocommit=True, connect_timeout=CONNECT_TIMEOUT
                ) as conn:
                    if self.stopping.is_set():  # closed while it was connecting
                        break
                    self.connects += 1
                    self.listen(conn)
                    backoff = 0.2
                    self.serve(conn)
            except psycopg.Error as error:
                if self.stopping.is_set():  # closed while it was connecting: nothing to tell
                    break
                log.warning("listener: not listening", extra={"error": str(error)})
            finally:
                self.stop_listening()
                self.fail_requests()
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 5.0)

    def listen(self, conn: psycopg.Connection[Any]) -> None:
        # Under the lock: a subscriber added meanwhile is either LISTENed here or, once
        # `listening` is set, by its own `subscribe`.
        with self.lock:
            channels = sorted({s.channel for s in self.subscribers})
            for channel in channels:
                conn.execute(SQL("LISTEN {}").format(Identifier(channel)))
            self.listening = True
            targets = list(self.subscribers)
        for subscriber in targets:
            subscriber.on_state(True)
        log.debug("listening", extra={"channels": channels})

    def serve(self, conn: psycopg.Connection[Any]) -> None:
        """Notifications to their subscribers, requests run in turn, until stopped."""
        while not self.stopping.is_set():
            for notify in conn.notifies(timeout=WAIT):
                self.dispatch(notify.channel, notify.payload)
            for work, future in self.pending():
                try:
                    future.set_result(work(conn))
                except Exception as error:  # the caller gets it; a dead link shows below
                    future.set_exception(error)
            conn.execute("SELECT 1")  # a connection that died shows here

    def dispatch(self, channel: str, payload: str) -> None:
        with self.lock:
            targets = [s for s in self.subscribers if s.channel == channel]
        for subscriber in targets:
            subscriber.on_notify(payload)

    def stop_listening(self) -> None:
        with self.lock:
            changed, self.listening = self.listening, False
            targets = list(self.subscribers)
        if changed:
            for subscriber in targets:
                subscriber.on_state(False)

    def pending(self) -> Iterator[Request]:
        """The queued requests, each taken off the queue and marked running; one that its
        caller cancelled meanwhile is dropped."""
        while True:
            try:
                work, future = self.requests.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                yield work, future

    def fail_requests(self) -> None:
        for _, future in self.pending():
            future.set_exception(ConnectionError("the listening connection was lost"))

    def close(self, timeout: float = CONNECT_TIMEOUT + 2.0) -> None:
        """Stop, and wait for the thread: one that is still connecting ends when the connection
        is made or given up (`CONNECT_TIMEOUT`), so none outlives the services it served."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
