"""The authorization matrix's command rows, made from the command registry.

Every registered command with an HTTP path (domain/messages.py) has a row in the matrix of
docs/security.md: `✓` for each role its registry line names, `own` for the unit liaison (a
unit account acts only on its own unit's records), `✗` for the others and for anonymous.
This writes those rows into the document (replacing a command's row, or adding it after the
rows of its resource) or, with --check, says which rows differ and fails; the test suite
runs the check, and tests/e2e/test_authorization_matrix.py calls every cell against the app.

    .venv/bin/python tools/security_matrix.py            # write the rows
    .venv/bin/python tools/security_matrix.py --check    # exit 1 if the document differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.application import Supervision  # noqa: E402  (every command registered)
from domain.messages import REGISTRY  # noqa: E402
from domain.vocabulary import Role  # noqa: E402

DOC = ROOT / "docs" / "security.md"
END = "<!-- authorization-matrix:end -->"
COLUMNS = ("admin", "inspector", "authority", "supervisor", "auditor", "unit", "anonymous")
API = "/api/v1"

assert Supervision.name  # the import registers the commands the application generates


def command_rows() -> dict[tuple[str, str], str]:
    """(method, path) → the matrix row the registry gives that command."""
    rows = {}
    for entry in REGISTRY.values():
        if entry.path is None:
            continue
        allowed = {role.value for role in entry.roles}
        cells = [
            ("own" if role == Role.UNIT.value else "✓") if role in allowed else "✗"
            for role in COLUMNS
        ]
        path = API + entry.path
        rows[("POST", path)] = f"| POST | `{path}` | " + " | ".join(cells) + " |"
    return rows


def key_of(line: str) -> tuple[str, str] | None:
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    if len(cells) != 2 + len(COLUMNS) or not cells[1].startswith("`"):
        return None
    return cells[0], cells[1].strip("`")


def written(text: str) -> str:
    """The document with every command's row as the registry gives it."""
    wanted = command_rows()
    head, end, tail = text.partition(END)
    lines = head.splitlines()
    seen = set()
    for n, line in enumerate(lines):
        key = key_of(line)
        if key in wanted:
            lines[n] = wanted[key]
            seen.add(key)
    for key, row in wanted.items():
        if key in seen:
            continue
        resource = key[1][len(API) :].split("/")[1]
        at = max(
            (n for n, line in enumerate(lines) if f"`{API}/{resource}" in line),
            default=len(lines) - 1,
        )
        lines.insert(at + 1, row)
    return "\n".join(lines) + "\n" + end + tail


def differences(text: str) -> list[str]:
    """The command rows the document lacks or writes otherwise than the registry."""
    have = {key_of(line): line.strip() for line in text.partition(END)[0].splitlines()}
    return [row for key, row in command_rows().items() if have.get(key) != row]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the document differs")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    wrong = differences(text)
    if args.check:
        for row in wrong:
            print(f"docs/security.md should read: {row}", file=sys.stderr)
        return 1 if wrong else 0
    DOC.write_text(written(text), encoding="utf-8")
    print(f"{len(wrong)} command rows written to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
