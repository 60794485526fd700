"""The errors that mean "the database cannot be reached just now", named where the database
is, so the outer doors can answer them without importing the driver that raises them.

Both the driver (psycopg) and the event store library (eventsourcing, which wraps the
driver's errors in its own) raise them: while the server restarts, fails over or has no
connection left. The request was fine and may succeed in a moment.
"""

from __future__ import annotations

import psycopg
from eventsourcing import persistence

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)
"""Every kind of error an HTTP request meets when the database is away (a 503, not a 500)."""

CannotConnect = psycopg.OperationalError
"""The driver's error when a command-line run cannot reach or use the database: one clear
line and exit code 2 rather than a traceback."""
