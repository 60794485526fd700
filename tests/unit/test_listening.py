"""`serve` takes its port before it says where it listens (api/runtime/listening.py): an
address family the machine lacks is passed over as asyncio passes it over, and the check for
`--workers` refuses a port that its workers could not take."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from api.runtime import http_workers, listening

V6 = (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0))
V4 = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))


def without_ipv6(family: int, *args: Any) -> socket.socket:
    """Makes sockets as a kernel booted with ipv6.disable=1 does."""
    if family == socket.AF_INET6:
        raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")
    return socket.socket(family, *args)


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    answers: list[Any] = []
    monkeypatch.setattr(listening.socket, "getaddrinfo", lambda *_, **__: list(answers))
    yield answers


def test_a_family_the_machine_lacks_is_passed_over(resolving: list[Any]) -> None:
    resolving.extend([V6, V4])
    sockets = listening.bound_sockets("localhost", 0, make=without_ipv6)
    try:
        assert [s.family for s in sockets] == [socket.AF_INET]
        assert sockets[0].getsockname()[0] == "127.0.0.1"
    finally:
        listening.close(sockets)


def test_a_host_of_only_a_family_the_machine_lacks_is_refused(resolving: list[Any]) -> None:
    resolving.append(V6)
    with pytest.raises(listening.PortUnavailable, match="cannot listen on ip6-only:0"):
        listening.bound_sockets("ip6-only", 0, make=without_ipv6)


def test_the_workers_check_refuses_a_port_held_on_ipv4_when_they_serve_on_ipv6() -> None:
    # The workers bind "::" dual-stack: a listener on 0.0.0.0 holds their port, though an
    # IPv6-only socket (the single process's way) could still bind it.
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("0.0.0.0", 0))
        held.listen()
        port = held.getsockname()[1]
        listening.close(listening.bound_sockets("::", port))
        with pytest.raises(listening.PortUnavailable, match=f"port {port} is in use"):
            http_workers.check_port("::", port)
