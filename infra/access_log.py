"""The read-access log (查阅记录): who viewed which finding or ruling, and when.

It is kept in a table of its own, outside the domain event log: a view is not a change to
the record, must not lengthen the hash chain, and may be pruned by retention policy without
touching what auditors verify. One cheap INSERT per view, on a pooled connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

ACCESS_LOG_TABLE = "supervision_read_access"

_TABLE = Identifier(ACCESS_LOG_TABLE)


INSERT = SQL(
    "INSERT INTO {} (actor_id, actor_name, actor_role, subject_type, subject_id, path)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
).format(_TABLE)

PAGE = SQL(
    "SELECT id, accessed_at, actor_id, actor_name, actor_role, subject_type, subject_id, path"
    " FROM {} WHERE id > %(cursor)s"
    " AND (%(subject_id)s::text IS NULL OR subject_id = %(subject_id)s)"
    " AND (%(actor_id)s::text IS NULL OR actor_id = %(actor_id)s)"
    " AND (%(after)s::timestamptz IS NULL OR accessed_at > %(after)s)"
    " ORDER BY id LIMIT %(limit)s"
).format(_TABLE)


@dataclass(frozen=True)
class ReadAccess:
    """One view of one finding or ruling by one account."""

    actor_id: str
    actor_name: str
    actor_role: str
    subject_type: str
    subject_id: str
    path: str


@dataclass(frozen=True)
class AccessQuery:
    """Which entries to list: of a subject, of an actor, after a time; oldest first."""

    subject_id: str | None = None
    actor_id: str | None = None
    after: datetime | None = None
    cursor: int = 0
    limit: int = 50


def record_access(datastore: PostgresDatastore, entry: ReadAccess) -> None:
    """Append one entry (its own short transaction on a pooled connection)."""
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(
            INSERT,
            (
                entry.actor_id,
                entry.actor_name,
                entry.actor_role,
                entry.subject_type,
                entry.subject_id,
                entry.path,
            ),
        )


def list_access(datastore: PostgresDatastore, query: AccessQuery) -> list[dict[str, Any]]:
    """Entries matching the query, oldest first, at most `limit` (each with its row `id`)."""
    params = {
        "cursor": query.cursor,
        "subject_id": query.subject_id,
        "actor_id": query.actor_id,
        "after": query.after,
        "limit": query.limit,
    }
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(PAGE, params)
        return [dict(row) for row in cursor.fetchall()]
