"""Read-your-writes without holding a thread: `min_position` waits on one poller per process.

A read that names `min_position` waits until the read models it reads have processed that
position. Waiting in the request's worker thread, forty such reads of one unit liaison held
forty threads and starved every other request (`/healthz` took 4.5 s). Here a waiting read
is an asyncio future; one thread asks the read models how far they are (one query for the
head and one per read model waited on, every few milliseconds and only while anyone waits)
and settles the futures: reached, past the head of the log (422 at once: that position does
not exist yet), or not reached in time (503 `projection_lagging`, as before). Each account
may hold a few waits at once; more answer 429.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from api.runtime.metrics import WAITING
from projections.base import ProjectionLagging, ReadModelView

log = logging.getLogger(__name__)

INTERVAL = 0.01  # seconds between two looks while anyone waits


class PastTheHead(Exception):
    """The position waited for is past the newest event of the log."""

    def __init__(self, position: int, head: int) -> None:
        super().__init__(f"position {position} is past the head of the log ({head})")
        self.position, self.head = position, head


class TooManyWaits(Exception):
    """The account already holds as many waiting reads as it may."""


@dataclass
class Waiter:
    position: int
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    reached: int | None = field(default=None)
    settled: bool = False

    def settle(self, error: BaseException | None = None) -> None:
        if self.settled:
            return
        self.settled = True

        def resolve() -> None:
            if self.future.done():
                return
            if error is None:
                self.future.set_result(None)
            else:
                self.future.set_exception(error)

        self.loop.call_soon_threadsafe(resolve)


class Positions:
    """The process's poller of read-model positions (its thread starts at the first wait)."""

    def __init__(
        self, views: dict[str, ReadModelView], head: Callable[[], int], per_account: int
    ) -> None:
        self.views, self.head, self.per_account = views, head, per_account
        self.waiters: dict[str, list[Waiter]] = {}
        self.accounts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    async def wait(self, names: Sequence[str], position: int, timeout: float, account: str) -> None:
        """Until every read model of `names` has processed `position` (see the module)."""
        with self.lock:
            if self.accounts[account] >= self.per_account:
                raise TooManyWaits(f"at most {self.per_account} reads of one account may wait")
            self.accounts[account] += 1
        try:
            deadline = time.monotonic() + timeout
            for name in names:
                await self.wait_one(name, position, max(deadline - time.monotonic(), 0.0))
        finally:
            with self.lock:
                self.accounts[account] -= 1
                if not self.accounts[account]:
                    del self.accounts[account]

    async def wait_one(self, name: str, position: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        waiter = Waiter(position, loop.create_future(), loop)
        with self.lock:
            self.waiters.setdefault(name, []).append(waiter)
        WAITING.inc()
        self.start()
        self.wake.set()
        try:
            await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            raise ProjectionLagging(name, position, waiter.reached) from None
        finally:
            WAITING.dec()
            with self.lock:
                waiting = self.waiters.get(name, [])
                if waiter in waiting:
                    waiting.remove(waiter)
                if not waiting:
                    self.waiters.pop(name, None)

    def start(self) -> None:
        with self.lock:
            if self.thread is None and not self.stopping.is_set():
                self.thread = threading.Thread(target=self.run, name="positions", daemon=True)
                self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait()
            try:
                self.look()
            except Exception as error:  # the database is away: the waits time out as lagging
                log.warning("read-model positions unknown", extra={"error": str(error)})
                self.stopping.wait(0.5)
            self.stopping.wait(INTERVAL)

    def look(self) -> None:
        """One turn: the head, then each read model waited on, and the waiters settled."""
        with self.lock:
            watched = {name: list(waiting) for name, waiting in self.waiters.items()}
            if not watched:
                self.wake.clear()
                return
        head = self.head()
        for name, waiting in watched.items():
            reached = self.views[name].position()
            for waiter in waiting:
                waiter.reached = reached
                if waiter.position > head:
                    waiter.settle(PastTheHead(waiter.position, head))
                elif waiter.position <= reached:
                    waiter.settle()

    def close(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(2.0)
