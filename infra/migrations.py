"""The explicit migrate step: versioned migrations of the log's own tables, under a lock.

The tables that cannot be rebuilt (the event log, its chain, metadata, idempotency records and
checkpoints, the SQL functions that append to them, the change-notification triggers, the
read-access log, the console's sessions, the data subjects' keys and the Merkle store) are
made and changed only by the numbered SQL files in infra/schema/, applied once each by
yoyo-migrations, which records them in its own tables (`_yoyo_migration`, ADR 023). Read
models can be rebuilt, so their tables are still made by their recorders (IF NOT EXISTS).

Everything runs under one advisory lock, so concurrent start-ups never race; processes then
run with the library's CREATE_TABLE=n.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from eventsourcing.postgres import PostgresDatastore, PostgresRecorder
from psycopg import Connection
from psycopg.sql import SQL, Composable, Identifier
from yoyo import read_migrations
from yoyo.backends import get_backend_class
from yoyo.connections import parse_uri
from yoyo.migrations import MigrationList, default_migration_table

from infra.database import Database
from infra.persistence import borrowed, resilient
from infra.recorder import meta_table

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_310_201_801  # any constant shared by every process of the service
EVENTS_TABLE = "supervision_events"
# The numbered migrations, applied in the order of their names (0001_baseline.sql, …).
SCHEMA_MIGRATIONS = Path(__file__).with_name("schema")
# yoyo's backend for psycopg 3 (its plain `postgresql://` one is psycopg2's).
YOYO_SCHEME = "postgresql+psycopg"


class AlgorithmMismatch(RuntimeError):
    """The configured chain hash differs from the one the log was created with (`recorded`:
    what the log's row holds, None when it holds none)."""

    def __init__(self, message: str, recorded: str | None = None) -> None:
        super().__init__(message)
        self.recorded = recorded


class NoEventLog(AlgorithmMismatch):
    """The database holds no event log yet (it was never migrated)."""


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
    migrations_dir: Path = SCHEMA_MIGRATIONS,
    service: Database | None = None,
) -> list[str]:
    """Apply the migrations not applied yet, record the chain's hash algorithm (or refuse
    another) and make the read models' tables; the ids of the migrations applied now.

    With a `service` database whose role is not the owner's (`database`'s), that role gets
    only what the service needs (`grant_service`) and owns the read models' tables.

    At most two connections at once, as for any one-shot command (ADR 018): yoyo's, which
    holds the lock throughout, and one more for the hash record and then the read models.
    """
    migrations = read_migrations(str(migrations_dir))
    role = service.params.get("user") if service is not None else None
    if role == database.params.get("user"):
        role = None  # one role for both: nothing to grant
    with migration_backend(database) as backend:
        applied = apply_migrations(backend, migrations)
        done = set(backend.get_applied_migration_hashes())
        in_force = [m.id for m in migrations if m.hash in done]
        record_algorithm(database, algorithm)
        if role is not None:
            grant_service(database, str(role), migrated_tables(migrations_dir))
        datastore = datastore_for(service if service is not None and role else database)
        try:
            for make_view in read_model_tables:
                make_view(datastore).create_table()
        finally:
            datastore.close()
    log.info(
        "migrated",
        extra={
            "hash_algorithm": algorithm,
            "migrations_applied": applied,
            "schema_version": in_force[-1] if in_force else None,
        },
    )
    return applied


# The log's own tables: the service may add to them and read them, never change them.
APPEND_ONLY = (
    "supervision_events",
    "supervision_chain",
    "supervision_checkpoints",
    "supervision_cosignatures",
)
CREATED = re.compile(
    r'CREATE (?:TABLE IF NOT EXISTS|OR REPLACE FUNCTION)\s+(?:"public"\.)?"?(\w+)"?'
)


def migrated_tables(migrations_dir: Path = SCHEMA_MIGRATIONS) -> frozenset[str]:
    """The tables and functions the numbered migrations make (the owner's); every other one
    of the schema is a read model's (the service's)."""
    texts = (path.read_text(encoding="utf-8") for path in migrations_dir.glob("*.sql"))
    return frozenset(name for text in texts for name in CREATED.findall(text))


# What the owner made in the schema that a migration did not: read models' relations and
# functions, to hand to the service's role (ALTER … OWNER TO), as `kind, name, arguments`.
READ_MODEL_OBJECTS = """
SELECT 'TABLE', c.relname, '' FROM pg_class c
  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
    AND pg_get_userbyid(c.relowner) = current_user AND NOT c.relname = ANY(%(owned)s)
    AND c.relname NOT LIKE '\\_yoyo%%' AND c.relname <> 'yoyo_lock'
UNION ALL
SELECT 'FUNCTION', p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace AND pg_get_userbyid(p.proowner) = current_user
    AND NOT p.proname = ANY(%(owned)s)
"""


def grant_service(database: Database, role: str, owned: frozenset[str]) -> None:
    """Give the service's role what it needs and no more (docs/audit.md §5): INSERT and
    SELECT on the log's tables — plus UPDATE on the events, which the library's and the append
    functions' `LOCK TABLE … IN EXCLUSIVE MODE` demands, and which the append-only trigger
    refuses statement by statement; only the tables' owner could drop or disable it — the
    rows of the other tables, the sequences, and the read models' tables as their owner (it
    rebuilds them by moving tables between schemas, which only an owner may)."""
    r = Identifier(role)
    log_tables = SQL(", ").join(Identifier(name) for name in APPEND_ONLY)
    with database.connect(autocommit=True) as conn:
        name = Identifier(conn.info.dbname)
        for statement in (
            SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(name, r),
            SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(r),
            SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
                "TO {}"
            ).format(r),
            SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(
                log_tables, r
            ),
            SQL("GRANT UPDATE ON {} TO {}").format(Identifier(EVENTS_TABLE), r),
            SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(r),
        ):
            conn.execute(statement)
        read_models = conn.execute(READ_MODEL_OBJECTS, {"owned": sorted(owned)}).fetchall()
        for kind, name, arguments in read_models:  # the owner's from before there were two roles
            target: Composable = Identifier(name)
            if kind == "FUNCTION":  # named with its arguments' types, as the server writes them
                target = SQL("{}({})").format(target, SQL(arguments))
            conn.execute(SQL("ALTER {} {} OWNER TO {}").format(SQL(kind), target, r))
    log.info("service role granted", extra={"role": role, "read_models_handed": len(read_models)})


def yoyo_url(database: Database) -> str:
    """The database as yoyo's psycopg 3 URL. Every connection parameter goes in the query,
    which yoyo hands to `psycopg.connect` as it is: a socket directory as host (the embedded
    server's), an empty password (left out), a database name that a URL path would mangle."""
    params = {key: str(value) for key, value in database.params.items()}
    params["application_name"] = database.application_name
    dbname = params.setdefault("dbname", "postgres")
    return f"{YOYO_SCHEME}:///{quote(dbname, safe='')}?{urlencode(params)}"


@contextmanager
def migration_backend(database: Database) -> Iterator[Any]:
    """yoyo's backend on a new connection that holds MIGRATION_LOCK for as long as it is open.

    The lock is taken before yoyo makes its own tables: `yoyo.get_backend` would make them as
    it connects, and two start-ups making them at once collide in the catalog. The connection
    is closed at the end, which releases the lock whatever state a failed migration left the
    session in. yoyo's own lock (a row in `yoyo_lock`) is not used: a process killed while
    holding it would leave the row, and every later start waiting on it; an advisory lock
    goes with its session.
    """
    backend_class = get_backend_class(YOYO_SCHEME)
    backend = backend_class(parse_uri(yoyo_url(database)), default_migration_table)
    try:
        backend.connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        backend.init_database()
        yield backend
    finally:
        backend.connection.close()


def apply_migrations(backend: Any, migrations: MigrationList) -> list[str]:
    """Apply, in order, the migrations that yoyo has no record of; the ids applied.

    Each runs in one transaction with its record in `_yoyo_migration`, on the backend's own
    connection: a migration is applied and recorded, or neither, so one interrupted half way
    is applied again from the start. (yoyo's `apply_one` runs the steps on a second
    connection and records them once they have committed; a crash between the two would
    leave a migration applied but not recorded.) A migration declared `-- transactional:
    false` (CREATE INDEX CONCURRENTLY, …) cannot run inside a transaction: yoyo applies
    that one its own way, on its second connection, the only other one open then.
    """
    backend.ensure_internal_schema_updated()  # yoyo's own tables, before any transaction
    pending = backend.to_apply(migrations)
    for migration in pending:
        migration.load()
        if migration.use_transactions:
            with backend.transaction():
                migration.process_steps(backend, "apply")
                backend.mark_one(migration, log=False)
                backend.log_migration(migration, "apply")
        else:
            backend.apply_one(migration)
        log.info("migration applied", extra={"migration": migration.id})
    return [migration.id for migration in pending]


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


def check_migrated(database: Database) -> None:
    """Refuse to read a database that was never migrated (`NoEventLog`), instead of failing
    on the first table it lacks."""
    with database.connect() as conn:
        refuse_unmigrated(conn)


def refuse_unmigrated(conn: Connection[Any]) -> None:
    """`NoEventLog` where the log's own tables were never made."""
    exists = conn.execute("SELECT to_regclass(%s)", (meta_table(EVENTS_TABLE),)).fetchone()
    if not exists or exists[0] is None:
        raise NoEventLog("the database has no event log yet: run `supervision migrate` first")


def check_algorithm(database: Database, algorithm: str) -> None:
    """Refuse to start on a log made with another hash algorithm, or on an unmigrated one."""
    table = Identifier(meta_table(EVENTS_TABLE))
    with database.connect() as conn:
        refuse_unmigrated(conn)
        row = conn.execute(
            SQL("SELECT value FROM {} WHERE key = 'hash_algorithm'").format(table)
        ).fetchone()
    recorded = row[0] if row else None
    if recorded != algorithm:
        raise AlgorithmMismatch(
            f"the event log was created with hash algorithm {recorded!r}, but "
            f"SUPERVISION_HASH_ALGORITHM is {algorithm!r}; a log's algorithm cannot change",
            recorded,
        )
