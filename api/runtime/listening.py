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


class PortUnavailable(RuntimeError):
    """The HTTP service cannot listen on the address it was given (in use, not this
    machine's, not permitted)."""


def bound_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address of `host` on `port` (not listening yet: uvicorn makes
    them listen with its backlog)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise PortUnavailable(f"无法解析地址 {host} (cannot resolve {host}): {error}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as error:
        for sock in sockets:
            sock.close()
        raise PortUnavailable(refusal(host, port, error)) from None
    return sockets


def check_port(host: str, port: int) -> None:
    """Whether `host:port` can be bound now (released again at once): for `serve --workers`,
    whose workers bind their own sockets. Bound without SO_REUSEPORT, so another service's
    workers sharing the port (with it) count as using it."""
    for sock in bound_sockets(host, port):
        sock.close()


def refusal(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"端口 {port} 已被占用 (port {port} is in use): "
            "请用 --port 或 SUPERVISION_PORT 换一个端口"
        )
    return f"无法在 {host}:{port} 上监听 (cannot listen on {host}:{port}): {error.strerror}"
