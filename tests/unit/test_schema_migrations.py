"""The versioned migrations are append-only (ADR 023): numbered without gaps, and an applied
one is never edited, since yoyo knows a migration by its name alone and would not notice."""

from __future__ import annotations

import hashlib
import re

from infra.migrations import SCHEMA_MIGRATIONS

# The digest of each migration as it was released. A new migration adds a line here; a
# changed digest means an applied migration was edited: write a new one instead.
RELEASED = {
    "0001_baseline.sql": "523bc78921d31f2e583a39e3f12a2301fc3f2f5faf2c28751bc06e02ff75685b",
    "0002_notifications.sql": "41c26acdb3a2b25c2e53294bce4d5e8ce037a83b2cab569015331faa76aa450f",
    "0003_append_only.sql": "cfe488fb1cfff3f7dd01587d7ff1865f80e64577ee2175e7e583bfe29c656145",
    "0004_checkpoint_chain.sql": "d5b7537d48d30d9d28f015a2575d0f458cf6799ddeea3838b771ed287a79e9b8",
    "0005_cosignatures.sql": "4f2db6883284f10be17f1ccb93e4a12c41935d4d58a1a0f3e1cff400a90d0d12",
    "0006_files.sql": "3b9b4af3856597d867c8ba5f10139943929e08e47f9b1b76dd1a7c595bedce75",
    "0007_file_uploaders.sql": "d7c0db0123cdeefceeebf1d1e06d11f362442629bfbdcaa139adae48f18360d7",
}


def test_migrations_are_numbered_in_order_without_gaps() -> None:
    names = sorted(path.name for path in SCHEMA_MIGRATIONS.iterdir())
    assert names, "no migrations found"
    for number, name in enumerate(names, start=1):
        assert re.fullmatch(rf"{number:04d}_[a-z0-9_]+\.sql", name), name


def test_released_migrations_are_never_edited() -> None:
    for name, digest in RELEASED.items():
        text = (SCHEMA_MIGRATIONS / name).read_bytes()
        assert hashlib.sha256(text).hexdigest() == digest, f"{name} was edited after release"
    current = {path.name for path in SCHEMA_MIGRATIONS.iterdir()}
    assert current == set(RELEASED), "a new migration adds its digest to RELEASED"
