"""docs/security.md's command rows are made from the command registry (tools/security_matrix.py)
and checked against it: a command's roles cannot differ between the registry, the document and
(tests/e2e/test_authorization_matrix.py) the running app."""

from __future__ import annotations

import subprocess
import sys

from tests.support import TOOLS, load_tool

TOOL = TOOLS / "security_matrix.py"
matrix = load_tool("security_matrix")
ESCALATION = "/api/v1/findings/{finding_id}/escalation"
INTERVIEW = "/api/v1/findings/{finding_id}/interview"


def test_every_registered_command_has_the_row_its_registry_line_gives() -> None:
    rows = matrix.command_rows()
    assert len(rows) >= 40
    assert rows[("POST", ESCALATION)].endswith("| ✗ | ✓ | ✗ | ✗ | ✗ | ✗ | ✗ |")
    assert rows[("POST", INTERVIEW)].endswith("| ✗ | ✓ | ✓ | ✗ | ✗ | ✗ | ✗ |")
    assert rows[("POST", "/api/v1/findings/{finding_id}/rectification-report")].endswith(
        "| ✗ | ✓ | ✗ | ✗ | ✗ | own | ✗ |"
    )
    assert matrix.differences(matrix.DOC.read_text(encoding="utf-8")) == []


def test_writing_replaces_a_wrong_row_and_adds_a_missing_one_after_its_resource() -> None:
    rows = matrix.command_rows()
    wrong = rows[("POST", ESCALATION)].replace("| ✗ | ✓ |", "| ✓ | ✓ |", 1)
    text = "\n".join(
        [
            "| method | path | " + " | ".join(matrix.COLUMNS) + " |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            "| GET | `/api/v1/findings` | ✓ | ✓ | ✓ | ✓ | ✓ | own | ✗ |",
            wrong,
            "| GET | `/api/v1/rulings` | ✓ | ✓ | ✓ | ✓ | ✓ | own | ✗ |",
            matrix.END,
            "after",
        ]
    )
    assert rows[("POST", ESCALATION)] in matrix.differences(text)
    fixed = matrix.written(text).splitlines()
    assert fixed[3] == rows[("POST", ESCALATION)]
    assert fixed.index(rows[("POST", INTERVIEW)]) < fixed.index(
        "| GET | `/api/v1/rulings` | ✓ | ✓ | ✓ | ✓ | ✓ | own | ✗ |"
    )
    assert fixed[-1] == "after" and matrix.differences("\n".join(fixed)) == []


def test_the_command_line_check_passes_on_the_document_as_written() -> None:
    ok = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""
