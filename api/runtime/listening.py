"""The HTTP port, taken by `serve` before it says where it listens.

uvicorn binds its port only after the application has started, so a port in use was a banner
naming the address, the whole start-up, then uvicorn's error and exit 3. `serve` binds the
port itself first, as uvicorn would (asyncio's `create_server`: every address the host
resolves to, SO_REUSEADDR, IPv6 sockets IPv6 only), and hands the sockets to uvicorn, so no
other process can take the port between the check and the serving.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

# A family this machine does not have (IPv6 turned off in the kernel): asyncio's
# create_server passes over it, and so does `bound_sockets`.
NO_FAMILY = (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT)


class PortUnavailable(RuntimeError):
    """The HTTP service cannot listen on the address it was given (in use, not this
    machine's, not permitted)."""


def bound_sockets(
    host: str, port: int, make: Callable[..., socket.socket] = socket.socket
) -> list[socket.socket]:
    """Sockets bound to every address of `host` on `port` (not listening yet: uvicorn makes
    them listen with its backlog), passing over an address family the machine lacks unless
    it is the only one (`make`: how a socket is made, for the tests)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise PortUnavailable(f"无法解析地址 {host} (cannot resolve {host}): {error}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            try:
                sock = make(family, kind, proto)
            except OSError as error:
                if error.errno in NO_FAMILY and len(addresses) > 1:
                    continue
                raise
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as error:
        close(sockets)
        raise PortUnavailable(refusal(host, port, error)) from None
    if not sockets:
        raise PortUnavailable(f"无法在 {host}:{port} 上监听 (cannot listen on {host}:{port})")
    return sockets


def close(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def refusal(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"端口 {port} 已被占用 (port {port} is in use): "
            "请用 --port 或 SUPERVISION_PORT 换一个端口"
        )
    return f"无法在 {host}:{port} 上监听 (cannot listen on {host}:{port}): {error.strerror}"
