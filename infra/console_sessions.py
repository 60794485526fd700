"""The console's sessions, kept by the server so that signing out ends every copy of a cookie.

The cookie is signed and names its session by a random id; a session is valid only while its
row here is open. Signing out closes the row, so a copied cookie is worth nothing after it;
"sign out everywhere" closes every open session of the account's token. Like the read-access
log, this is not the record: no event, no chain, pruned when expired.
"""

from __future__ import annotations

import secrets

from psycopg.sql import SQL, Identifier

from infra.database import Database

SESSIONS_TABLE = "supervision_console_sessions"
_TABLE = Identifier(SESSIONS_TABLE)


OPEN = SQL("INSERT INTO {} (id, token_hash, expires_at) VALUES (%s, %s, to_timestamp(%s))").format(
    _TABLE
)
# Sessions that expired a day ago are of no use to anyone: each sign-in sweeps a few.
PRUNE = SQL(
    "DELETE FROM {0} WHERE id IN (SELECT id FROM {0} "
    "WHERE expires_at < now() - interval '1 day' LIMIT 100)"
).format(_TABLE)
IS_OPEN = SQL(
    "SELECT 1 FROM {} WHERE id = %s AND token_hash = %s AND ended_at IS NULL AND expires_at > now()"
).format(_TABLE)
END = SQL("UPDATE {} SET ended_at = now() WHERE id = %s AND ended_at IS NULL").format(_TABLE)
END_ALL = SQL("UPDATE {} SET ended_at = now() WHERE token_hash = %s AND ended_at IS NULL").format(
    _TABLE
)


def open_session(database: Database, token_hash: str, expires: int) -> str:
    """A new session of this token until `expires` (a Unix time); its id."""
    session_id = secrets.token_urlsafe(24)
    with database.connection() as conn:
        conn.execute(PRUNE)
        conn.execute(OPEN, (session_id, token_hash, expires))
    return session_id


def is_open(database: Database, session_id: str, token_hash: str) -> bool:
    with database.connection() as conn:
        return conn.execute(IS_OPEN, (session_id, token_hash)).fetchone() is not None


def end_session(database: Database, session_id: str) -> None:
    with database.connection() as conn:
        conn.execute(END, (session_id,))


def end_every_session(database: Database, token_hash: str) -> int:
    """Close every open session of this token; how many were open."""
    with database.connection() as conn:
        return conn.execute(END_ALL, (token_hash,)).rowcount
