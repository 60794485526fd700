"""`serve --workers N`: N HTTP processes, each with a listening socket of its own.

One Python process uses one core for its requests (the GIL), so a service on several cores
needs several processes. uvicorn's own `--workers` shares ONE listening socket among them,
and the first process to wake accepts every connection waiting: 32 keep-alive clients that
connect at once all land on one worker (measured: 32/0), and the other core idles. Here each
worker binds its own socket with SO_REUSEPORT, and the kernel spreads new connections over
them by a hash of their addresses.

The parent runs what must run once (the projection runners and the automatic checkpoints,
in `serve`), starts the workers with the `spawn` method, restarts any that dies, and stops
them all on SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess

from prometheus_client.multiprocess import mark_process_dead

from api.runtime import listening
from api.runtime.metrics import MULTIPROCESS_DIR

log = logging.getLogger(__name__)

BACKLOG = 2048


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket on host:port that other processes may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit it: an answer's head and body go out at once, not
    # the body after the client's delayed ACK of the head (measured: 48 ms a request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def check_port(host: str, port: int) -> None:
    """Whether the workers can take `host:port`: free of any other listener (bound without
    SO_REUSEPORT, so another service's workers count as using it), and bindable as each
    worker binds it (its family and options); PortUnavailable, in one line, if not."""
    listening.close(listening.bound_sockets(host, port))
    try:
        listening_socket(host, port).close()
    except OSError as error:
        raise listening.PortUnavailable(listening.refusal(host, port, error)) from None


def run_worker(host: str, port: int, parent: int) -> None:
    """One HTTP worker (in a spawned process): its own socket, the app from the factory.
    It stops when its parent is gone, even after a SIGKILL: an orphan would keep answering
    on the port (SO_REUSEPORT) beside the next start of the service."""
    import os

    import uvicorn

    def exit_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        log.warning("the parent process is gone; stopping this HTTP worker")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
        os._exit(1)

    threading.Thread(target=exit_with_parent, name="exit-with-parent", daemon=True).start()
    sock = listening_socket(host, port)
    config = uvicorn.Config("api.main:worker_app", factory=True, log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


class HttpWorkers:
    """Keeps `count` worker processes alive until stopped."""

    def __init__(self, host: str, port: int, count: int) -> None:
        self.host, self.port, self.count = host, port, count
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.restarts = 0

    def start_one(self) -> BaseProcess:
        process = self.context.Process(
            target=run_worker,
            args=(self.host, self.port, os.getpid()),
            name="http-worker",
            daemon=False,
        )
        process.start()
        return process

    def run(self) -> None:
        """Start the workers, then watch them until SIGTERM/SIGINT; stop them all."""
        # Taken before the workers exist, so a port in use fails here, in the parent.
        check_port(self.host, self.port)
        # Each worker's metrics in files here, summed by whichever worker is scraped
        # (api/runtime/metrics.py); the workers read the variable when they start.
        metrics = tempfile.mkdtemp(prefix="supervision-metrics-")
        os.environ[MULTIPROCESS_DIR] = metrics
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())
        self.processes = [self.start_one() for _ in range(self.count)]
        log.info("HTTP workers started", extra={"workers": self.count, "port": self.port})
        backoff = 0.5
        try:
            while not self.stopping.wait(0.5):
                for n, process in enumerate(self.processes):
                    if process.is_alive():
                        continue
                    self.restarts += 1
                    if process.pid is not None:  # its live gauges no longer count
                        mark_process_dead(process.pid)  # type: ignore[no-untyped-call]
                    log.warning(
                        "HTTP worker exited; restarting",
                        extra={"exit_code": process.exitcode, "restarts": self.restarts},
                    )
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
                    if not self.stopping.is_set():
                        self.processes[n] = self.start_one()
        finally:
            self.stop()
            shutil.rmtree(metrics, ignore_errors=True)

    def stop(self, timeout: float = 20.0) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes what it is answering
        for process in self.processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(5)
