"""`supervision serve` checks what would stop it before it prints where it listens: a database
never migrated is one line naming both ways to migrate it, exit 2, and no banner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


def serve(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`supervision serve` run as an operator runs it (this checkout's code), to its end."""
    env = dict(
        os.environ,
        SUPERVISION_DATABASE_URL=database_url,
        SUPERVISION_DATA_DIR=str(data_dir),
        SUPERVISION_LOG_LEVEL="DEBUG",
        SUPERVISION_LOG_FORMAT="text",
    )
    return subprocess.run(
        [sys.executable, "-c", "from api.cli.main import main; main()", "serve", *args],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_serve_on_an_unmigrated_database_says_to_migrate_before_any_banner(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    refused = serve(new_database(), tmp_path, "--port", str(free_port()))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stdout == ""  # no banner: it does not listen
    assert refused.stderr.splitlines() == [
        "错误 (error): the database has no event log yet: run `supervision migrate` first "
        "(or `supervision serve --migrate`)"
    ]
