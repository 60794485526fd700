"""`pip install .` (not only an editable install) carries every package and the command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_every_layer_and_the_supervision_command(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("supervision-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("domain", "infra", "projections", "api"):
        assert f"{package}/__init__.py" in names and f"{package}/py.typed" in names
    assert "api/routes/findings.py" in names and "infra/recorder.py" in names
    # The console's templates and vendored scripts are package data, not only source files.
    for data in ("templates/base.html", "static/echarts.min.js", "static/htmx.min.js"):
        assert f"api/console/{data}" in names, data
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "supervision = api.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
