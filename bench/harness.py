"""What the bench scripts share: their command line, throw-away databases and server
subprocesses, always cleaned up.

Each is a context manager, so an `ExitStack` undoes them in reverse: the servers stop
(terminate, then kill) before their databases are dropped, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.runtime.bootstrap import migrate_database
from infra.database import postgres_env
from infra.settings import Settings

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin, which holds `supervision`
STOP_SECONDS = 10.0
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


class BenchError(RuntimeError):
    """A setup step failed; the message says which and shows the server's last output."""


# -- command line -------------------------------------------------------------------------------


def bench_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A bench script's parser: the first paragraph of its docstring describes it, and the
    help shows every option's default."""
    return argparse.ArgumentParser(
        prog=prog,
        description=(doc or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )


def parse_with_database_url(parser: argparse.ArgumentParser, help: str) -> argparse.Namespace:
    """The arguments, after a last option `--database-url`: the PostgreSQL server to work on
    (BENCH_DATABASE_URL, else a local one)."""
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", LOCAL_SERVER), help=help
    )
    return parser.parse_args()


# -- databases ----------------------------------------------------------------------------------


@contextmanager
def fresh_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new empty database on the server of `admin_url`; its URL, dropped on exit."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    ident = sql.Identifier(name)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield database_url(admin_url, name)
    finally:
        # FORCE: a server that was killed may leave sessions behind for a moment.
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


@contextmanager
def kept_database(admin_url: str, name: str) -> Iterator[tuple[str, bool]]:
    """The database `name` (created if missing, kept afterwards) and whether it is new:
    lets a long benchmark reuse what an earlier run generated."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        present = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not present:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield database_url(admin_url, name), not present


def database_url(admin_url: str, name: str) -> str:
    return make_conninfo(admin_url, dbname=name)


@contextmanager
def service_database(
    admin_url: str, keep: str | None, prefix: str
) -> Iterator[tuple[Settings, bool]]:
    """The service's settings on a migrated database, and whether that database is new: the
    database `keep` (see kept_database) or else a fresh one named after `prefix`, and a
    temporary data directory; both dropped on exit unless kept."""
    with ExitStack() as stack:
        if keep:
            url, new = stack.enter_context(kept_database(admin_url, keep))
        else:
            url, new = stack.enter_context(fresh_database(admin_url, prefix)), True
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        settings = Settings(database_url=url, data_dir=Path(tmp), log_level="WARNING")
        migrate_database(settings)
        yield settings, new


def library_env(url: str, *, pool_size: int, max_overflow: int) -> dict[str, str]:
    """The `eventsourcing` library's own settings for a stock PostgreSQL application."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        **postgres_env(conninfo_to_dict(url), pool_size=pool_size, max_overflow=max_overflow),
        "CREATE_TABLE": "y",
    }


# -- processes ----------------------------------------------------------------------------------


def clean_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the caller's SUPERVISION_/POSTGRES_ settings.

    A stray SUPERVISION_POOL_SIZE or POSTGRES_POOL_SIZE in the shell would silently make the
    two servers unequal; only what the benchmark sets reaches them.
    """
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUPERVISION_", "POSTGRES_", "PERSISTENCE_MODULE"))
    }
    return {**kept, **overrides}


def service_env(settings: Settings, admin_token: str) -> dict[str, str]:
    """The environment of a `supervision` subprocess on `settings`' database and data
    directory, bootstrapping an administrator with `admin_token`."""
    return clean_env(
        {
            "SUPERVISION_DATABASE_URL": str(settings.database_url),
            "SUPERVISION_LOG_LEVEL": "WARNING",
            "SUPERVISION_BOOTSTRAP_ADMIN_TOKEN": admin_token,
            "SUPERVISION_DATA_DIR": str(settings.data_dir),
        }
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def supervision(*args: str) -> list[str]:
    path = BIN / "supervision"
    if not path.exists():
        raise BenchError(f"{path} not found: run with the service's virtualenv (.venv/bin/python)")
    return [str(path), *args]


def run_once(argv: list[str], env: dict[str, str], timeout: float = 120.0) -> None:
    done = subprocess.run(
        argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")


@contextmanager
def server(
    argv: list[str],
    env: dict[str, str],
    port: int,
    ready_path: str,
    timeout: float = 60.0,
    started: list[subprocess.Popen[bytes]] | None = None,
) -> Iterator[str]:
    """Start `argv` listening on `port`; its base URL once `ready_path` answers 200 (the
    process is appended to `started`, for whoever wants to watch it)."""
    base_url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: nobody reads the output while the load runs, and a full pipe
    # would block the server.
    # BENCH_SERVER_LOG=path keeps the server's log for a look afterwards.
    kept = os.environ.get("BENCH_SERVER_LOG")
    with (
        open(kept, "w+") if kept else tempfile.TemporaryFile(mode="w+", prefix="bench-server-")
    ) as log:
        proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        if started is not None:
            started.append(proc)
        try:
            wait_ready(proc, base_url + ready_path, log, timeout)
            yield base_url
        finally:
            stop(proc)


@contextmanager
def serving(
    env: dict[str, str], started: list[subprocess.Popen[bytes]] | None = None
) -> Iterator[str]:
    """`supervision serve` with `env` on a free local port: its base URL once /healthz answers
    (a log of any size may take a while to open)."""
    port = free_port()
    argv = supervision("serve", "--host", "127.0.0.1", "--port", str(port))
    with server(argv, env, port, "/healthz", timeout=120, started=started) as base_url:
        yield base_url


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: IO[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode}:\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.1)
    raise BenchError(f"{url} not ready after {timeout:.0f} s:\n{tail(log)}")


def tail(log: IO[str], chars: int = 3000) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-chars:]


def percentile(values: list[float] | list[int], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; NaN for none."""
    ordered = sorted(values)
    return (
        float(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))])
        if ordered
        else float("nan")
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets uvicorn close its pools; a server that hangs is killed."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
