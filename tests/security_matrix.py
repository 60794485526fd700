"""The authorization matrix and the console's routes, parsed out of docs/security.md, for the
tests that check them cell by cell and for the fuzzer that picks an allowed role per route."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"
BEGIN, END = "<!-- authorization-matrix:begin -->", "<!-- authorization-matrix:end -->"
CONSOLE_BEGIN, CONSOLE_END = "<!-- console-routes:begin -->", "<!-- console-routes:end -->"
CONSOLE_MARKS = ("sign-in", "✓", "csrf")
ROLES = ("admin", "inspector", "authority", "supervisor", "auditor", "unit", "anonymous")
CELLS = {"✓": True, "own": True, "✗": False}
UNKNOWN_ID = str(uuid.UUID(int=0x5EC0_0000_0000_4000_8000_0000_0000_0001))


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: dict[str, bool]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def table(text: str, begin: str, end: str, columns: list[str]) -> list[list[str]]:
    """The body rows of the markdown table between two markers, cell by cell."""
    if begin not in text or end not in text:
        raise AssertionError(f"{DOC} has no table between {begin} and {end}")
    block = text.split(begin, 1)[1].split(end, 1)[0]
    lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == columns, header
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    for cells in rows:
        assert len(cells) == len(columns), cells
    return rows


def parse_matrix(text: str) -> list[Row]:
    """The authorization matrix: method, path, then one cell per role."""
    rows = []
    for cells in table(text, BEGIN, END, ["method", "path", *ROLES]):
        method, path, *marks = cells
        line = " | ".join(cells)
        unknown = [mark for mark in marks if mark not in CELLS]
        assert not unknown, f"unknown cell {unknown} in {line}"
        rows.append(
            Row(method, path.strip("`"), {r: CELLS[m] for r, m in zip(ROLES, marks, strict=True)})
        )
    return rows


def parse_console(text: str) -> list[tuple[str, str, str]]:
    """The console's routes: method, path, what an anonymous visitor gets."""
    rows = []
    for method, path, mark in table(
        text, CONSOLE_BEGIN, CONSOLE_END, ["method", "path", "anonymous"]
    ):
        assert mark in CONSOLE_MARKS, f"unknown cell {mark!r} for {method} {path}"
        rows.append((method, path.strip("`"), mark))
    return rows


MATRIX = parse_matrix(DOC.read_text(encoding="utf-8"))
CONSOLE = parse_console(DOC.read_text(encoding="utf-8"))


def first_allowed_role(row: Row) -> str:
    """The role a client should use for this route (admin when it may)."""
    for role in ("admin", "inspector", "authority", "auditor", "supervisor", "unit"):
        if row.allowed[role]:
            return role
    return "admin"
