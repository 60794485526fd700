"""Crypto-shredding a data subject (PIPL Art. 47, ADR 013): destroy the key, and make the
read models forget what they had already read with it.

One transaction destroys the key (the row stays, with `shredded_at`) and scrubs the read
models that hold the person's name (only the case library's private drafts do; the rulings
list and the unit histories never name a person), under the case library's rebuild lock, so
no rebuild is half-way through a replay made with the key. Then, once every process's key
cache has expired (infra.privacy.KEY_TTL_SECONDS) and the case library has processed the
events recorded before the shred, the scrub runs once more: a projection write that read the
key just before it was destroyed, or a process that still held it cached, has landed by
then and is scrubbed too. From then on every decoding yields `[已删除]`, and a rebuild from
the log yields what the scrub left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.sql import SQL, Identifier

from infra.database import Database
from infra.migrations import EVENTS_TABLE
from infra.privacy import KEY_TTL_SECONDS, KEYS, destroy_key, rulings_of_subject
from projections.base import lock_key
from projections.case_library import CaseLibraryView
from projections.rebuild import REBUILD_NAMESPACE


@dataclass(frozen=True)
class Shredded:
    subject_id: UUID
    shredded_at: datetime
    already_shredded: bool
    rulings: list[UUID]

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject_id": str(self.subject_id),
            "shredded_at": self.shredded_at.isoformat(),
            "already_shredded": self.already_shredded,
            "rulings": [str(r) for r in self.rulings],
        }


def shred_subject(
    database: Database,
    subject_id: UUID,
    cases: CaseLibraryView,
    *,
    settle_seconds: float = KEY_TTL_SECONDS,
    catch_up_seconds: float = 5.0,
) -> Shredded:
    """Destroy the subject's key and scrub the read models (raises UnknownSubject)."""
    with database.connection() as conn:
        conn.execute(
            "SELECT pg_advisory_xact_lock(%s::int, %s::int)",
            (REBUILD_NAMESPACE, lock_key(cases.projection_name)),
        )
        destroyed = destroy_key(conn, subject_id)
        rulings = rulings_of_subject(conn, subject_id, EVENTS_TABLE)
        row = conn.execute(
            SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(Identifier(EVENTS_TABLE))
        ).fetchone()
        head = int(row[0]) if row else 0
        cases.forget_person(conn, rulings)
    KEYS.forget(subject_id)
    if rulings:
        time.sleep(settle_seconds)
        deadline = time.monotonic() + catch_up_seconds
        while cases.position() < head and time.monotonic() < deadline:
            time.sleep(0.05)
        with database.connection() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s::int, %s::int)",
                (REBUILD_NAMESPACE, lock_key(cases.projection_name)),
            )
            cases.forget_person(conn, rulings)
    return Shredded(subject_id, destroyed.shredded_at, destroyed.already, rulings)
