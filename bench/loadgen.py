"""Closed-loop HTTP load: N clients, each sending its next POST as soon as the last is answered.

One asyncio loop with one keep-alive connection per client: it costs the load generator far
less CPU than N threads would, so on a small machine the servers, not the client, are what
is measured. A run stops at `limit` requests or `seconds`, whichever comes first.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# The request number (0, 1, ...) → path and JSON body of that request.
MakeRequest = Callable[[int], tuple[str, dict[str, Any]]]


@dataclass
class Outcome:
    """What one bounded run did: 2xx answers are commands done, anything else an error."""

    sent: int = 0
    ok: int = 0
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def client_cpu(self) -> float:
        """The load generator's share of one CPU: near 1.0 would mean it is the bottleneck."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the 2xx latencies, in ms."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def new_client(base_url: str, headers: dict[str, str], clients: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30.0)


async def drive(
    client: httpx.AsyncClient, make: MakeRequest, *, clients: int, limit: int, seconds: float
) -> Outcome:
    """Send up to `limit` requests from `clients` concurrent loops, for at most `seconds`."""
    outcome = Outcome()
    numbers = itertools.count()
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds

    async def one_client() -> None:
        # `next(numbers)` is safe without a lock: the loops only interleave at `await`.
        while (n := next(numbers)) < limit and time.perf_counter() < deadline:
            await send(client, make(n), outcome)

    await asyncio.gather(*(one_client() for _ in range(clients)))
    outcome.seconds = time.perf_counter() - start
    outcome.client_cpu_seconds = time.process_time() - cpu_start
    return outcome


async def send(
    client: httpx.AsyncClient, request: tuple[str, dict[str, Any]], out: Outcome
) -> None:
    path, body = request
    out.sent += 1
    began = time.perf_counter()
    try:
        response = await client.post(path, json=body)
    except httpx.HTTPError as error:
        out.errors[type(error).__name__] += 1
        return
    if not response.is_success:
        code = response.json().get("error", {}).get("code", "") if is_json(response) else ""
        out.errors[f"{response.status_code} {code}".strip()] += 1
        return
    out.latencies_ms.append((time.perf_counter() - began) * 1000)
    out.ok += 1
    out.ids.append(response.json()["id"])


def is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")
