"""The explicit migrate step: every table is created once, under an advisory lock.

Processes then run with the library's CREATE_TABLE=n, so concurrent start-ups never race
on CREATE TABLE / CREATE TYPE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore, PostgresRecorder
from psycopg.sql import SQL, Identifier, Literal

from infra.access_log import create_access_log_table
from infra.console_sessions import create_sessions_table
from infra.database import Database
from infra.merkle_store import create_merkle_table
from infra.persistence import borrowed, resilient
from infra.privacy import create_subject_keys_table
from infra.recorder import ChainedApplicationRecorder, meta_table

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_310_201_801  # any constant shared by every process of the service
EVENTS_TABLE = "supervision_events"


class AlgorithmMismatch(RuntimeError):
    """The configured chain hash differs from the one the log was created with."""


def datastore_for(
    database: Database, pool_size: int = 1, max_overflow: int = 0, schema: str = ""
) -> PostgresDatastore:
    p = database.params
    datastore = PostgresDatastore(
        dbname=str(p.get("dbname", "postgres")),
        host=str(p.get("host", "localhost")),
        port=str(p.get("port", "5432")),
        user=str(p.get("user", "postgres")),
        password=str(p.get("password", "")),
        pool_size=pool_size,
        max_overflow=max_overflow,
        schema=schema,
    )
    kwargs = datastore.pool.kwargs
    assert isinstance(kwargs, dict)
    kwargs["application_name"] = database.application_name
    return resilient(datastore)


@contextmanager
def schema_datastore(database: Database, schema: str) -> Iterator[PostgresDatastore]:
    """A datastore over `schema` (a scratch copy of read models) that borrows the process's
    pool, so it costs no connection of its own; a pool of one is made where there is none."""
    if database.pool is None:
        own = datastore_for(database, schema=schema)
        try:
            yield own
        finally:
            own.close()
        return
    yield borrowed(database.pool, schema)


def migrate(
    database: Database,
    algorithm: str,
    read_model_tables: Iterable[Callable[[PostgresDatastore], PostgresRecorder]] = (),
) -> None:
    """Create the event store, chain, idempotency and read-model tables; record the hash."""
    with database.connect(autocommit=True) as lock_conn:
        lock_conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            datastore = datastore_for(database)
            try:
                ChainedApplicationRecorder(datastore, events_table_name=EVENTS_TABLE).create_table()
                for make_view in read_model_tables:
                    make_view(datastore).create_table()
            finally:
                datastore.close()
            record_algorithm(database, algorithm)
            migrate_change_notifications(database)
            migrate_security_tables(database)
            migrate_privacy_tables(database)
            with database.connect() as conn:
                create_merkle_table(conn)
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    log.info("migrated", extra={"hash_algorithm": algorithm})


# The kinds whose changes are notified at commit: (trigger, topic prefix, channel).
NOTIFIED_KINDS = (
    ("supervision_accounts_changed", "domain.accounts:", "supervision_accounts"),
    ("supervision_units_changed", "domain.units:", "supervision_units"),
)


def migrate_change_notifications(database: Database) -> None:
    """Triggers that notify a kind's channel in the transaction of each of its events
    (delivered at commit): processes that keep accounts or units in memory forget them
    (api/runtime/kept.py). Other events pass the triggers' WHEN tests and nothing else."""
    events = Identifier(EVENTS_TABLE)
    with database.connect() as conn:
        conn.execute(
            "CREATE OR REPLACE FUNCTION supervision_notify_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM pg_notify(TG_ARGV[0], NEW.originator_id::text); "
            "RETURN NULL; END $$"
        )
        conn.execute("DROP FUNCTION IF EXISTS supervision_accounts_notify() CASCADE")
        for trigger, prefix, channel in NOTIFIED_KINDS:
            conn.execute(SQL("DROP TRIGGER IF EXISTS {} ON {}").format(Identifier(trigger), events))
            conn.execute(
                SQL(
                    "CREATE TRIGGER {} AFTER INSERT ON {} FOR EACH ROW "
                    "WHEN (NEW.topic LIKE {}) EXECUTE FUNCTION supervision_notify_change({})"
                ).format(Identifier(trigger), events, Literal(prefix + "%"), Literal(channel))
            )


# -- security (issue #6): tables kept outside the domain event log ----------------------------


def migrate_security_tables(database: Database) -> None:
    """The read-access log (who viewed which finding or ruling) and the console's sessions:
    not events, so not in the event store nor in the hash chain (docs/security.md)."""
    with database.connect() as conn:
        create_access_log_table(conn)
        create_sessions_table(conn)


def migrate_privacy_tables(database: Database) -> None:
    """The data subjects' keys (personal data encrypted at rest, ADR 013): outside the
    event log, so that destroying a key forgets a person without touching the chain."""
    with database.connect() as conn:
        create_subject_keys_table(conn)


def record_algorithm(database: Database, algorithm: str) -> None:
    """The first migration fixes the log's hash algorithm; later ones must agree with it."""
    table = Identifier(meta_table(EVENTS_TABLE))
    with database.connect() as conn:
        conn.execute(
            SQL(
                "INSERT INTO {} (key, value) VALUES ('hash_algorithm', %s) ON CONFLICT DO NOTHING"
            ).format(table),
            (algorithm,),
        )
    check_algorithm(database, algorithm)


def check_algorithm(database: Database, algorithm: str) -> None:
    """Refuse to start on a log made with another hash algorithm, or on an unmigrated one."""
    table = Identifier(meta_table(EVENTS_TABLE))
    with database.connect() as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (meta_table(EVENTS_TABLE),)).fetchone()
        if not exists or exists[0] is None:
            raise AlgorithmMismatch(
                "the database has no event log yet: run `supervision migrate` first"
            )
        row = conn.execute(
            SQL("SELECT value FROM {} WHERE key = 'hash_algorithm'").format(table)
        ).fetchone()
    recorded = row[0] if row else None
    if recorded != algorithm:
        raise AlgorithmMismatch(
            f"the event log was created with hash algorithm {recorded!r}, but "
            f"SUPERVISION_HASH_ALGORITHM is {algorithm!r}; a log's algorithm cannot change"
        )
