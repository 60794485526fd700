"""The library's PostgreSQL infrastructure, adjusted for this service.

`PERSISTENCE_MODULE=infra.persistence:SupervisionFactory` gives the application the
hash-chained recorder, a datastore that recovers at once from a database restart, and the
mapper that keeps persons' personal data encrypted at rest (infra/privacy.py, ADR 013).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.domain import TAggregateID
from eventsourcing.persistence import ApplicationRecorder, Mapper, OperationalError, Transcoder
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg.rows import DictRow

from infra.privacy import PersonalDataMapper, SubjectKeys
from infra.recorder import ChainedApplicationRecorder

log = logging.getLogger(__name__)


class ResilientDatastore(PostgresDatastore):
    """After PostgreSQL restarts, every pooled connection is dead. The library retries a
    query that fails on one (0.2 s apart, ten times), which a pool full of dead connections
    can exhaust; so the first failure sweeps the whole pool, replacing every broken
    connection, and the retry finds a live one. (A pre-ping per query would cost a round
    trip each time, and psycopg-pool backs off for seconds between failed checks.)"""

    @contextmanager
    def get_connection(self) -> Iterator[Connection[DictRow]]:
        held = getattr(PINNED, "connections", {}).get(id(self.pool))
        if held is not None:
            yield held
            return
        try:
            with super().get_connection() as conn:
                yield conn
        except OperationalError:
            log.warning("database connection lost; checking every pooled connection")
            self.pool.check()
            raise


def resilient(datastore: PostgresDatastore) -> PostgresDatastore:
    datastore.__class__ = ResilientDatastore  # same state, one more behaviour
    return datastore


# Connections a thread has pinned, by pool (see `pinned`).
PINNED = threading.local()


@contextmanager
def pinned(datastore: PostgresDatastore, conn: Connection[DictRow]) -> Iterator[None]:
    """While the block runs, everything this thread asks of `datastore`'s pool runs on
    `conn`, which it already holds. A thread that holds table locks in a transaction must
    not wait for another pooled connection: the pool's other connections may belong to
    threads waiting for those very locks (a deadlock that only the lock's or the idle
    transaction's timeout would end)."""
    connections: dict[int, Connection[DictRow]] = PINNED.__dict__.setdefault("connections", {})
    key = id(datastore.pool)
    previous = connections.get(key)
    connections[key] = conn
    try:
        yield
    finally:
        if previous is None:
            del connections[key]
        else:
            connections[key] = previous


class BorrowedDatastore(ResilientDatastore):
    """Another schema over a pool that belongs to another datastore: closing it (which the
    library also does when it is garbage-collected) closes nothing."""

    def close(self) -> None:
        """The pool stays open for its owner."""


def borrowed(datastore: PostgresDatastore, schema: str) -> PostgresDatastore:
    """A datastore over `schema` that uses `datastore`'s pool."""
    copied = copy.copy(datastore)
    copied.__class__ = BorrowedDatastore
    copied.schema = schema
    return copied


class SupervisionFactory(PostgresFactory):
    """PostgreSQL with the hash-chained application recorder."""

    application_recorder_class = ChainedApplicationRecorder

    GROUP_COMMIT = "GROUP_COMMIT"  # "y": concurrent commands share transactions
    GROUP_COMMIT_MAX = "GROUP_COMMIT_MAX"  # the most commands in one transaction
    APPLICATION_NAME = "APPLICATION_NAME"  # what pg_stat_activity shows for the pool

    def __init__(self, env: Environment | EnvType | None, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.group_recorders: list[ChainedApplicationRecorder] = []
        resilient(self.datastore)
        name = self.env.get(self.APPLICATION_NAME)
        if name:  # before the pool's first connection, which the recorder makes
            pool_kwargs = self.datastore.pool.kwargs
            assert isinstance(pool_kwargs, dict)
            pool_kwargs["application_name"] = name

    def application_recorder(self) -> ApplicationRecorder:
        recorder = super().application_recorder()
        if isinstance(recorder, ChainedApplicationRecorder) and self.env.get(
            self.GROUP_COMMIT, "n"
        ).lower() in ("y", "yes", "true", "1"):
            recorder.enable_group_commit(int(self.env.get(self.GROUP_COMMIT_MAX, "128")))
            self.group_recorders.append(recorder)
        return recorder

    def close(self) -> None:
        for recorder in self.group_recorders:
            recorder.close()
        super().close()

    def mapper(
        self,
        transcoder: Transcoder | None = None,
        mapper_class: type[Mapper[TAggregateID]] | None = None,
    ) -> Mapper[TAggregateID]:
        """The library's mapper, with each ruling subject's personal data sealed under a
        key of that person's own (and `[已删除]` once the key is destroyed)."""
        if mapper_class is not None:
            return super().mapper(transcoder, mapper_class)
        events_table = (self.env.name.lower() or "stored") + "_events"
        return PersonalDataMapper(
            transcoder=transcoder or self.transcoder(),
            cipher=self.cipher(),
            compressor=self.compressor(),
            keys=SubjectKeys(self.datastore, events_table),
        )
