"""The command line refuses, as usage errors (exit 2, one line, nothing recorded), values that
would otherwise do harm: a negative grace period (that collected fresh uploads), a port or a
replay position out of range, a blank account name, an `--out` it cannot write (which left
an issued document behind, its number taken), and a `--max-age-hours` with no pinned key to
check it against (which was ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import Result

from api.runtime.bootstrap import Services
from infra.settings import Settings
from tests.integration.test_cli_commands import supervision


def events(services: Services) -> int:
    return services.head()


@pytest.mark.parametrize(
    "args",
    [
        ("files", "collect", "--grace-hours", "-1"),
        ("serve", "--port", "99999"),
        ("audit", "replay", "--to-position", "-5", "--quiet"),
        ("accounts", "create", "--name", "   ", "--role", "admin"),
        ("accounts", "create", "--name", "名" * 101, "--role", "admin"),
        ("documents", "issue", "evaluation_report", "--unit-code", "fgj", "--year", "99999"),
    ],
)
def test_a_value_out_of_range_is_a_usage_error_that_records_nothing(
    services: Services, fresh_settings: Settings, args: tuple[str, ...]
) -> None:
    before = events(services)
    refused: Result = supervision(fresh_settings, *args)
    assert refused.exit_code == 2, refused.output
    assert "Traceback" not in refused.output
    assert events(services) == before


def test_a_replay_past_the_head_is_refused(services: Services, fresh_settings: Settings) -> None:
    past = str(events(services) + 10)
    refused = supervision(fresh_settings, "audit", "replay", "--to-position", past, "--quiet")
    assert refused.exit_code == 2 and "lies past the head of the log" in refused.output


def test_an_out_that_cannot_be_written_refuses_before_anything_is_issued(
    services: Services, fresh_settings: Settings, tmp_path: Path
) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    before = events(services)
    args = ("documents", "issue", "bulletin", "--period", "2026-10", "--out", str(taken))
    refused = supervision(fresh_settings, *args)
    assert refused.exit_code == 2, refused.output
    assert "is no directory to write into" in refused.output
    assert events(services) == before, "no document issued, no number taken"


def test_an_export_to_a_path_that_cannot_be_written_says_so_in_one_line(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    args = ("export", "ledger", "--year", "2026", "--out", str(tmp_path / "no" / "x.xlsx"))
    refused = supervision(fresh_settings, *args)
    assert refused.exit_code == 2, refused.output
    assert "错误 (error)" in refused.output and "Traceback" not in refused.output


def test_a_bundle_that_cannot_be_written_is_named_by_the_path_given(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "no" / "bundle.jsonl"
    refused = supervision(fresh_settings, "audit", "export", "--quiet", "--out", str(out))
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.splitlines() == [
        f"错误 (error): [Errno 2] No such file or directory: '{out}'"
    ]


@pytest.mark.parametrize("of_bundle", [False, True], ids=["database", "bundle"])
def test_a_maximum_age_without_a_public_key_is_a_usage_error(
    fresh_settings: Settings, tmp_path: Path, of_bundle: bool
) -> None:
    """Only the checkpoints of a pinned key have an age to check: without one the option was
    ignored, and a log signed by nobody for weeks verified."""
    args = ["audit", "verify", "--quiet", "--max-age-hours", "5"]
    if of_bundle:
        bundle = tmp_path / "bundle.jsonl"
        assert supervision(fresh_settings, "audit", "export", "--out", str(bundle)).exit_code == 0
        args += ["--bundle", str(bundle)]
    refused = supervision(fresh_settings, *args)
    assert refused.exit_code == 2, refused.output
    assert "the age is checked of the checkpoints signed by --public-key" in refused.output
    assert refused.stdout == ""  # no verdict
