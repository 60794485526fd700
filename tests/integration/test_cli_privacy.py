"""`supervision privacy shred` destroys a person's key for good, so it takes the reason from
the operator (there is no default one to record) and asks at the terminal, naming the subject,
before it shreds; without a terminal it shreds only with --yes. A refusal changes nothing."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.runtime.bootstrap import Services
from infra.privacy import list_subjects
from infra.settings import Settings
from tests.integration.conftest import ADMIN, INSPECTOR
from tests.integration.test_cli_commands import supervision

ROOT = Path(__file__).resolve().parents[2]
REASON = "当事人依《个人信息保护法》第四十七条申请删除"


@pytest.fixture
def subject(services: Services) -> UUID:
    """The data subject of a person named in a fault-tolerance application."""
    services.app.register_unit(code="zjj", name="县住建局", kind="department", actor=ADMIN)
    services.app.apply_for_tolerance(
        subject={"unit_code": "zjj", "person": {"name": "李建国", "position": "科长"}},
        grounds="先行先试", criteria_claimed=["pilot_inexperience"], actor=INSPECTOR,
    )  # fmt: skip
    (row,) = subjects(services)
    return UUID(row["subject_id"])


def subjects(services: Services) -> list[dict[str, Any]]:
    with services.database.connection() as conn:
        return list_subjects(conn)


def untouched(services: Services, head: int) -> bool:
    """The key is still there (the name still masked, not gone) and nothing was recorded."""
    (row,) = subjects(services)
    return row["shredded_at"] is None and row["masked_name"] == "李**" and services.head() == head


def test_a_shred_without_a_reason_is_a_usage_error_that_changes_nothing(
    services: Services, fresh_settings: Settings, subject: UUID
) -> None:
    head = services.head()
    refused = supervision(fresh_settings, "privacy", "shred", str(subject), "--yes")
    assert refused.exit_code == 2, refused.output
    assert "Missing option '--reason'" in refused.output
    assert untouched(services, head)


def test_without_a_terminal_a_shred_is_refused_in_one_line_unless_yes_is_given(
    services: Services, fresh_settings: Settings, subject: UUID
) -> None:
    head = services.head()
    refused = supervision(fresh_settings, "privacy", "shred", str(subject), "--reason", REASON)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.splitlines() == [
        "错误 (error): 销毁密钥不可撤销，须在终端确认，或加 --yes (shredding cannot be undone: "
        "run it at a terminal to confirm, or pass --yes)"
    ]
    assert untouched(services, head)


def test_with_yes_the_shred_records_the_reason_the_operator_gave(
    services: Services, fresh_settings: Settings, subject: UUID
) -> None:
    done = supervision(
        fresh_settings, "privacy", "shred", str(subject), "--reason", REASON, "--yes"
    )
    assert done.exit_code == 0, done.output
    (row,) = subjects(services)
    assert row["shredded_at"] is not None and row["masked_name"] is None
    (shredded,) = list(services.app.aggregate_history(subject))
    assert shredded.reason == REASON


def at_a_terminal(settings: Settings, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command run as an operator runs it, its standard input a terminal (a pty) on which
    `answer` was typed; what it printed is kept."""
    env = dict(
        os.environ,
        SUPERVISION_DATABASE_URL=settings.database_url or "",
        SUPERVISION_DATA_DIR=str(settings.data_dir),
        SUPERVISION_LOG_LEVEL="DEBUG",
    )
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode() + b"\n")  # held by the terminal until read
        return subprocess.run(
            [sys.executable, "-c", "from api.cli.main import main; main()", *args],
            stdin=terminal, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
        )  # fmt: skip
    finally:
        os.close(terminal)
        os.close(controller)


def test_at_a_terminal_the_shred_asks_naming_the_subject_and_no_changes_nothing(
    services: Services, fresh_settings: Settings, subject: UUID
) -> None:
    head = services.head()
    asked = at_a_terminal(fresh_settings, "n", "privacy", "shred", str(subject), "--reason", REASON)
    assert asked.returncode == 1, asked.stdout + asked.stderr
    assert str(subject) in asked.stdout and "zjj 的 李**" in asked.stdout
    assert "不可撤销" in asked.stdout
    assert "已取消，未作任何改动 (cancelled: nothing changed)" in asked.stderr
    assert untouched(services, head)


def test_at_a_terminal_the_shred_is_done_once_the_operator_says_yes(
    services: Services, fresh_settings: Settings, subject: UUID
) -> None:
    asked = at_a_terminal(fresh_settings, "y", "privacy", "shred", str(subject), "--reason", REASON)
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert "不可撤销" in asked.stdout
    (row,) = subjects(services)
    assert row["shredded_at"] is not None
