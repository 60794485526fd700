"""The layers point one way (api → projections → infra → domain, and inside api from the CLI
down to the runtime), checked by import-linter: every contract pyproject.toml declares."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = len(declared["contracts"])
    assert contracts >= 3
    assert f"Contracts: {contracts} kept, 0 broken" in result.stdout
