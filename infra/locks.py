"""Session advisory locks that make a job run in one process at a time (the reminder
scheduler): held on one connection for as long as the job runs, released when it ends or
when its process dies (PostgreSQL drops a dead session's locks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from infra.database import Database

REMINDER_LOCK = 0x5E_C0_2E_41  # supervision reminders
BULLETIN_LOCK = 0x5E_C0_2E_42  # the monthly 情况通报


@contextmanager
def only_one(database: Database, key: int) -> Iterator[bool]:
    """Whether this process took the lock (False: another holds it; do nothing)."""
    with database.connection(autocommit=True) as conn:
        (taken,) = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone() or (False,)
        try:
            yield bool(taken)
        finally:
            if taken:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
