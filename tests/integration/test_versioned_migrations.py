"""Versioned migrations of the log's own tables (ADR 023), against real PostgreSQL.

A fresh database gets every migration; a second migrate applies none; a database made by the
migrate step from before versioned migrations is adopted, its records kept, and ends with the
same schema as a fresh one; each migration is applied and recorded in one transaction, or
neither; and what was applied is what `supervision migrate` reports.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from infra.audit import verify_chain
from infra.database import Database
from infra.migrations import SCHEMA_MIGRATIONS, migrate, record_algorithm
from tests.served import BIN

# What `supervision migrate` sent before versioned migrations (the code of commit 8e68722,
# recorded statement by statement, read models left out): the path an existing database took.
LEGACY_STATEMENTS = Path(__file__).with_name("legacy_migrate_statements.json")
EVERY_MIGRATION = sorted(path.stem for path in SCHEMA_MIGRATIONS.glob("*.sql"))
YOYO_TABLES = ["_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock"]

Catalog = dict[str, list[tuple[Any, ...]]]


def migrate_as_before_versioning(url: str) -> None:
    """Make a database as the previous version's `supervision migrate` did: each statement
    in its own transaction, then the chain's hash algorithm recorded."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in json.loads(LEGACY_STATEMENTS.read_text(encoding="utf-8")):
            conn.execute(statement)
    record_algorithm(Database(url), "sha256")


def catalog(url: str) -> Catalog:
    """Everything the migrations make, as PostgreSQL describes it (yoyo's tables left out):
    columns, constraints, indexes, storage options, functions, triggers, composite types."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default, "
        "is_identity FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name <> ALL(%(yoyo)s) ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
        "AND conrelid::regclass::text <> ALL(%(yoyo)s) ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename <> ALL(%(yoyo)s) ORDER BY 1, 2",
        "options": "SELECT relname, reloptions FROM pg_class "
        "WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL ORDER BY 1",
        "functions": "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
        "WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
        "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE NOT tgisinternal ORDER BY 1",
        "types": "SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace "
        "AND typtype = 'c' AND typrelid NOT IN (SELECT oid FROM pg_class WHERE relkind <> 'c') "
        "ORDER BY 1",
    }
    with psycopg.connect(url) as conn:
        return {
            name: conn.execute(query, {"yoyo": YOYO_TABLES}).fetchall()
            for name, query in queries.items()
        }


def recorded(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT migration_id FROM _yoyo_migration ORDER BY applied_at_utc, migration_id"
        ).fetchall()
    return [row[0] for row in rows]


def append_events(url: str, topics: list[str]) -> None:
    """Events written as the service writes them: through the log's append function, which
    chains them and keeps the idempotency record, in one statement."""
    with psycopg.connect(url, autocommit=True) as conn:
        for topic in topics:
            conn.execute(
                "SELECT supervision_events_append(ARRAY[ROW(gen_random_uuid(), 1, %s, "
                "'\\x7b7d'::bytea)::stored_event_uuid], 'p', gen_random_uuid()::text, 'f', "
                "201, '{}')",
                (topic,),
            )


def test_a_fresh_database_gets_every_migration_and_the_schema_made_before(
    new_database: Callable[[], str],
) -> None:
    fresh, before = new_database(), new_database()
    assert EVERY_MIGRATION[0] == "0001_baseline"
    assert migrate(Database(fresh), "sha256") == EVERY_MIGRATION
    assert recorded(fresh) == EVERY_MIGRATION
    migrate_as_before_versioning(before)
    if EVERY_MIGRATION == ["0001_baseline"]:
        # The baseline is what the previous version made, object for object.
        assert catalog(fresh) == catalog(before)
    append_events(fresh, ["domain.units:Unit.Registered"] * 3)
    assert verify_chain(Database(fresh), "sha256").events_verified == 3


def test_a_second_migrate_applies_nothing_and_changes_nothing(
    new_database: Callable[[], str],
) -> None:
    url = new_database()
    migrate(Database(url), "sha256")
    append_events(url, ["domain.units:Unit.Registered"])
    before = catalog(url)
    assert migrate(Database(url), "sha256") == []
    assert catalog(url) == before
    assert recorded(url) == EVERY_MIGRATION
    with psycopg.connect(url) as conn:
        applied = conn.execute("SELECT count(*) FROM _yoyo_log WHERE operation = 'apply'")
        assert applied.fetchone() == (len(EVERY_MIGRATION),)


def test_a_database_made_before_versioned_migrations_is_adopted_with_its_records(
    new_database: Callable[[], str],
) -> None:
    old, fresh = new_database(), new_database()
    migrate_as_before_versioning(old)
    append_events(old, ["domain.accounts:Account.Created", "domain.units:Unit.Registered"])
    with psycopg.connect(old) as conn:
        conn.execute(
            "INSERT INTO supervision_console_sessions (id, token_hash, expires_at) "
            "VALUES ('s-1', 'h', now() + interval '1 hour')"
        )
        tables = conn.execute("SELECT to_regclass('_yoyo_migration')").fetchone()
        assert tables == (None,)

    assert migrate(Database(old), "sha256") == EVERY_MIGRATION
    assert recorded(old) == EVERY_MIGRATION
    migrate(Database(fresh), "sha256")
    assert catalog(old) == catalog(fresh)
    result = verify_chain(Database(old), "sha256")
    assert result.ok and result.events_verified == 2
    with psycopg.connect(old) as conn:
        assert conn.execute("SELECT count(*) FROM supervision_idempotency").fetchone() == (2,)
        assert conn.execute("SELECT id FROM supervision_console_sessions").fetchall() == [("s-1",)]
    # The log goes on where it was, and a second migrate finds nothing to do.
    append_events(old, ["domain.units:Unit.Registered"])
    assert verify_chain(Database(old), "sha256").events_verified == 3
    assert migrate(Database(old), "sha256") == []


def test_a_log_keeps_its_hash_algorithm_across_migrations(
    new_database: Callable[[], str],
) -> None:
    from infra.migrations import AlgorithmMismatch

    url = new_database()
    migrate(Database(url), "sm3")
    with pytest.raises(AlgorithmMismatch, match="sm3"):
        migrate(Database(url), "sha256")


def copy_migrations(into: Path, *extra: tuple[str, str]) -> Path:
    """The service's migrations, plus `extra` (name, SQL) ones after them, in a folder."""
    into.mkdir()
    for path in SCHEMA_MIGRATIONS.glob("*.sql"):
        (into / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in extra:
        (into / name).write_text(text, encoding="utf-8")
    return into


def test_a_failing_migration_is_neither_applied_nor_recorded(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    url = new_database()
    migrate(Database(url), "sha256")
    broken = copy_migrations(
        tmp_path / "broken",
        (
            "9001_half_done.sql",
            "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n",
        ),
    )
    with pytest.raises(psycopg.errors.UndefinedFunction):
        migrate(Database(url), "sha256", migrations_dir=broken)
    assert recorded(url) == EVERY_MIGRATION
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
    fixed = copy_migrations(
        tmp_path / "fixed", ("9001_half_done.sql", "CREATE TABLE half_done (id int);\n")
    )
    assert migrate(Database(url), "sha256", migrations_dir=fixed) == ["9001_half_done"]
    assert recorded(url) == [*EVERY_MIGRATION, "9001_half_done"]


def test_a_migration_outside_a_transaction_is_applied_once(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    url = new_database()
    concurrently = copy_migrations(
        tmp_path / "concurrently",
        (
            "9001_topic_index.sql",
            "-- transactional: false\n"
            "CREATE INDEX CONCURRENTLY supervision_events_topic ON supervision_events (topic);\n",
        ),
    )
    applied = migrate(Database(url), "sha256", migrations_dir=concurrently)
    assert applied == [*EVERY_MIGRATION, "9001_topic_index"]
    assert migrate(Database(url), "sha256", migrations_dir=concurrently) == []
    with psycopg.connect(url) as conn:
        index = conn.execute("SELECT to_regclass('supervision_events_topic')").fetchone()
    assert index == ("supervision_events_topic",)


def test_migrate_logs_what_it_applied(
    new_database: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = new_database()
    with caplog.at_level(logging.INFO, logger="infra.migrations"):
        migrate(Database(url), "sha256")
        migrate(Database(url), "sha256")
    first, second = (r for r in caplog.records if r.getMessage() == "migrated")
    assert first.levelno == logging.INFO
    assert first.__dict__["migrations_applied"] == EVERY_MIGRATION
    assert second.__dict__["migrations_applied"] == []
    assert second.__dict__["schema_version"] == EVERY_MIGRATION[-1]


def test_supervision_migrate_reports_the_migrations_it_applied(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    env = dict(
        os.environ,
        SUPERVISION_DATABASE_URL=new_database(),
        SUPERVISION_DATA_DIR=str(tmp_path),
        SUPERVISION_LOG_FORMAT="json",
        SUPERVISION_LOG_LEVEL="INFO",
    )

    def reported() -> dict[str, Any]:
        done = subprocess.run(
            [str(BIN / "supervision"), "migrate"], env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()
        lines = [json.loads(line) for line in done.stderr.decode().splitlines() if line]
        (summary,) = [line for line in lines if line.get("message") == "migrated"]
        return summary

    first = reported()
    assert first["level"] == "INFO" and first["logger"] == "infra.migrations"
    assert first["migrations_applied"] == EVERY_MIGRATION
    assert first["schema_version"] == EVERY_MIGRATION[-1]
    assert first["hash_algorithm"] == "sha256"
    assert reported()["migrations_applied"] == []
