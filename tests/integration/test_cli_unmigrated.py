"""Every command that reads the database answers one never migrated as the console script
answers any expected failure: one line pointing to `supervision migrate`, exit 2 — not the
traceback of the first table it lacks (`privacy list`, `audit verify --since/--receipt`)."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from api.cli.main import main
from api.runtime.bootstrap import Services
from infra.bundle import Export
from infra.receipts import make_receipt
from infra.signing import public_key_raw
from tests.integration.conftest import ADMIN

NO_LOG = "错误 (error): the database has no event log yet: run `supervision migrate` first"
SOME_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a bundle and a receipt of another, migrated log are kept."""
    return tmp_path_factory.mktemp("kept")


@pytest.fixture
def of_another_log(services: Services, kept: Path) -> dict[str, str]:
    """A bundle, a receipt and the pinned key of another (migrated) log, as files an auditor
    kept: what `audit verify --since` and `--receipt` take."""
    position = services.app.register_unit(
        code="fgj", name="县发改局", kind="department", actor=ADMIN
    ).position
    services.checkpoint()
    with Export(services.database) as bundle:
        bundle.write(kept / "bundle.jsonl", lambda _: None)
    receipt = make_receipt(services.database, "sha256", position)
    (kept / "receipt.json").write_text(json.dumps(receipt), encoding="utf-8")
    key = base64.b64encode(public_key_raw(services.key())).decode()
    return {"bundle": str(kept / "bundle.jsonl"), "receipt": str(kept / "receipt.json"), "key": key}


COMMANDS = {
    "privacy-list": ["privacy", "list"],
    "privacy-list-unit": ["privacy", "list", "--unit", "fgj"],
    "privacy-list-ruling": ["privacy", "list", "--ruling", SOME_ID],
    "privacy-shred": ["privacy", "shred", SOME_ID, "--reason", "r", "--yes"],
    "verify": ["audit", "verify", "--quiet"],
    "verify-since": ["audit", "verify", "--quiet", "--since", "{bundle}"],
    "verify-receipt": ["audit", "verify", "--receipt", "{receipt}", "--public-key", "{key}"],
    "export": ["audit", "export", "--quiet", "--out", "{tmp}/bundle.jsonl"],
    "checkpoint": ["audit", "checkpoint"],
    "replay": ["audit", "replay", "--quiet"],
    "projections-run": ["projections", "run"],
    "projections-status": ["projections", "status"],
    "projections-rebuild": ["projections", "rebuild", "all", "--quiet"],
    "documents-verify": ["documents", "verify", "{bundle}"],
    "documents-issue": ["documents", "issue", "bulletin", "--period", "2026-10"],
    "verify-draw": ["inspections", "verify-draw", SOME_ID],
    "export-ledger": ["export", "ledger", "--year", "2026", "--out", "{tmp}/ledger.xlsx"],
    "reminders": ["reminders", "run"],
    "files-collect": ["files", "collect"],
    "demo": ["demo"],
    "accounts-create": ["accounts", "create", "--name", "王敏", "--role", "auditor"],
    "commands-send": ["commands", "send", "register_unit", "code=x", "name=y", "kind=other"],
}


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_command_on_an_unmigrated_database_says_to_migrate_in_one_line_with_exit_2(
    args: list[str],
    of_another_log: dict[str, str],
    new_database: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", new_database())
    monkeypatch.setenv("SUPERVISION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUPERVISION_LOG_LEVEL", "WARNING")
    argv = [arg.format(tmp=tmp_path, **of_another_log) for arg in args]
    monkeypatch.setattr(sys, "argv", ["supervision", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines() == [NO_LOG]
