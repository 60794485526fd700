"""The listener's thread does not outlive `close()`, even when it is still connecting."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from infra.database import Database
from infra.listener import Listener


@pytest.fixture
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A port that takes a connection and never answers, as a server that hangs would; the
    event is set once a client has connected."""
    server = socket.create_server(("127.0.0.1", 0))
    connected = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        try:
            conn, _ = server.accept()
        except OSError:  # closed before anyone came
            return
        held.append(conn)
        connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connected
    server.close()
    thread.join(2.0)
    for conn in held:
        conn.close()


def test_a_listener_closed_while_connecting_ends_before_close_returns(
    silent_server: tuple[int, threading.Event], caplog: pytest.LogCaptureFixture
) -> None:
    port, connected = silent_server
    listener = Listener(Database(f"host=127.0.0.1 port={port} user=nobody dbname=nothing"))
    with caplog.at_level(logging.DEBUG, logger="infra.listener"):
        listener.start()
        assert connected.wait(5), "the listener never tried to connect"
        listener.close()  # the attempt gives up after CONNECT_TIMEOUT; close waits for that
    assert listener.thread is not None
    assert not listener.thread.is_alive()
    assert listener.connects == 0
    assert caplog.records == []  # a failed attempt after close() began is nothing to tell


@dataclass
class ClosedWhileConnecting(Database):
    """A database whose connection is made just as the listener is closed."""

    closing: Listener | None = None

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        conn = super().connect(**kwargs)
        assert self.closing is not None
        self.closing.stopping.set()  # what close() does first
        return conn


def test_a_listener_closed_as_its_connection_is_made_listens_to_nothing(
    new_database: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    database = ClosedWhileConnecting(new_database())
    listener = Listener(database)
    database.closing = listener
    with caplog.at_level(logging.DEBUG, logger="infra.listener"):
        listener.start()
        listener.close()
    assert listener.thread is not None and not listener.thread.is_alive()
    assert listener.connects == 0 and not listener.listening
    assert "listening" not in [r.getMessage() for r in caplog.records]
