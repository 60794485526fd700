"""Settings are read whole at start-up: a malformed one stops a command with one line that
names it (exit status 2), not a traceback from deep inside the logging or the driver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import Settings

SUPERVISION = str(Path(sys.executable).parent / "supervision")
ROOT = str(Path(__file__).parents[2])  # the code under test, wherever the package points


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SUPERVISION_LOG_LEVEL", "LOUD", "Input should be 'DEBUG', 'INFO'"),
        ("SUPERVISION_DATABASE_URL", "notaurl", 'not a PostgreSQL URL or conninfo (missing "="'),
        ("SUPERVISION_PORT", "0", "greater than or equal to 1"),
        ("SUPERVISION_REMIND_NEAR_BEFORE", "notjson", "not valid JSON (Expecting value"),
        ("SUPERVISION_REMIND_NEAR_BEFORE", '{"serious": -1}', "serious: -1 is not a whole"),
        ("SUPERVISION_REMIND_NEAR_BEFORE", '{"serious": 2.5}', "serious: 2.5 is not a whole"),
        ("SUPERVISION_REMIND_NEAR_BEFORE", '{"grave": 3}', "unknown severity 'grave'"),
        ("SUPERVISION_REMIND_NEAR_BEFORE", '{"serious": "x"}', "serious: 'x' is not a whole"),
        ("SUPERVISION_REMIND_NEAR_BEFORE", "[3]", "Input should be a valid dictionary"),
    ],
)
def test_a_malformed_setting_stops_a_command_with_one_line_naming_it(
    name: str, value: str, said: str
) -> None:
    env = {**os.environ, "PYTHONPATH": ROOT, name: value}
    done = subprocess.run(
        [SUPERVISION, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"错误 (error): 设置 {name} 有误 (bad setting): ")
    assert said in line


def test_a_level_in_small_letters_and_a_sqlalchemy_url_are_taken() -> None:
    url = "postgresql+psycopg://user@db.example:5432/supervision"
    settings = Settings(log_level=" debug", database_url=url)
    assert settings.log_level == "DEBUG"
    assert settings.database_url == url
    assert Settings(database_url="host=db.example dbname=supervision").database_url
    assert Settings(database_url="").database_url == ""
