"""With no DATABASE_URL, an embedded PostgreSQL in DATA_DIR: kept across restarts, and back
after both the service process and the database server were killed with SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.database import start_embedded

WRITER = """
import os, signal, sys
from pathlib import Path
from infra.database import start_embedded
db = start_embedded(Path(sys.argv[1]))
with db.connect() as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS kept (note text)")
    conn.execute("INSERT INTO kept VALUES ('提交后被强制终止')")
os.kill(os.getpid(), signal.SIGKILL)
"""


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def stop_server(data_dir: Path) -> None:
    pid = postmaster_pid(data_dir)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Outside pytest's own temporary root, which pytest keeps private (mode 0700) while the
    embedded server runs as its own system user and must reach its data directory."""
    path = Path(tempfile.mkdtemp(prefix="sv-embedded-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_embedded_database_keeps_committed_data_after_sigkill_of_process_and_server(
    data_dir: Path,
) -> None:
    tmp_path = data_dir
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert writer.returncode == -signal.SIGKILL, writer.stderr
    os.kill(postmaster_pid(tmp_path), signal.SIGKILL)  # the server dies too, as in a power cut
    time.sleep(0.5)
    try:
        database = start_embedded(tmp_path)
        with psycopg.connect(database.conninfo) as conn:
            rows = conn.execute("SELECT note FROM kept").fetchall()
        assert rows == [("提交后被强制终止",)]
    finally:
        stop_server(tmp_path)


def test_the_embedded_server_runs_migrations_as_its_owner_and_the_service_as_its_own_role(
    data_dir: Path,
) -> None:
    """Two roles on the embedded server too: `supervision_service` may not change the log."""
    from api.runtime.bootstrap import build, migrate_database
    from infra.database import SERVICE_ROLE, resolve_database
    from infra.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=None)
    try:
        assert resolve_database(settings, owner=True).params["user"] != SERVICE_ROLE
        migrate_database(settings)
        services = build(settings, runners="off")
        try:
            assert services.database.params["user"] == SERVICE_ROLE
            with services.database.connection() as conn:
                assert conn.execute("SELECT current_user").fetchone() == (SERVICE_ROLE,)
            with (
                pytest.raises(psycopg.errors.InsufficientPrivilege),
                services.database.connect() as conn,
            ):
                conn.execute("DELETE FROM supervision_events")
            migrate_database(settings)  # again: nothing to apply, the grants still hold
        finally:
            services.close()  # the last user of the embedded server: it stops it
    finally:
        if (data_dir / "pgdata" / "postmaster.pid").exists():  # a failure before that
            stop_server(data_dir)
