"""Closed-loop HTTP load: N clients, each sending its next POST as soon as the last is answered.

The clients speak just enough HTTP/1.1 over asyncio streams (one keep-alive connection each)
for JSON POSTs to uvicorn. A general client was the bottleneck here: httpx's AsyncClient
with 32 connections spent about 2 ms of CPU per request, this about 0.04 ms, and on a small
machine every CPU the load generator takes is one the servers and PostgreSQL lack. Each
outcome reports the generator's CPU share, so a run shows that it was not the limit.

A run stops at `limit` requests or `seconds`, whichever comes first.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# The request number (0, 1, ...) → path and JSON body of that request.
MakeRequest = Callable[[int], tuple[str, dict[str, Any]]]
REQUEST_TIMEOUT = 30.0


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
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def client_cpu(self) -> float:
        """The load generator's share of one CPU: near 1.0 would mean it is the bottleneck."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the 2xx latencies, in ms."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened after the server closes it or an error."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        url = urlsplit(base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        fixed = {"Host": f"{self.host}:{self.port}", "Content-Type": "application/json", **headers}
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def open(self) -> None:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        """The status and body of the answer to one JSON POST."""
        await self.open()
        assert self.streams is not None
        reader, writer = self.streams
        payload = json.dumps(body, ensure_ascii=False).encode()
        head = f"POST {path} HTTP/1.1\r\n{self.fixed}Content-Length: {len(payload)}\r\n\r\n"
        writer.write(head.encode() + payload)
        status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
        if "content-length" not in headers:
            raise ValueError("answer without Content-Length")  # uvicorn always sends it
        answer = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, answer


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


async def drive(
    base_url: str,
    headers: dict[str, str],
    make: MakeRequest,
    *,
    clients: int,
    limit: int,
    seconds: float,
) -> Outcome:
    """Send up to `limit` requests from `clients` concurrent loops, for at most `seconds`."""
    connections = [Connection(base_url, headers) for _ in range(clients)]
    # Connected before the clock starts; a fresh set per run, as the server drops idle ones.
    await asyncio.gather(*(c.open() for c in connections))
    outcome = Outcome()
    numbers = itertools.count()
    cpu_start, start = time.process_time(), time.perf_counter()
    deadline = start + seconds

    async def one_client(connection: Connection) -> None:
        # `next(numbers)` needs no lock: the loops only interleave at `await`.
        while (n := next(numbers)) < limit and time.perf_counter() < deadline:
            await send(connection, make(n), outcome)

    try:
        await asyncio.gather(*(one_client(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    outcome.seconds = time.perf_counter() - start
    outcome.client_cpu_seconds = time.process_time() - cpu_start
    return outcome


async def send(connection: Connection, request: tuple[str, dict[str, Any]], out: Outcome) -> None:
    out.sent += 1
    began = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            status, body = await connection.post(*request)
    except (
        OSError,
        TimeoutError,
        ValueError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
    ) as error:
        connection.close()  # its state is unknown; the next request reconnects
        out.errors[type(error).__name__] += 1
        return
    if not 200 <= status < 300:
        out.errors[f"{status} {error_code(body)}".strip()] += 1
        return
    out.latencies_ms.append((time.perf_counter() - began) * 1000)
    out.ok += 1
    out.ids.append(json.loads(body)["id"])


def error_code(body: bytes) -> str:
    """The service's `{"error": {"code": ...}}`, or nothing for other bodies."""
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""
    return str(code)
