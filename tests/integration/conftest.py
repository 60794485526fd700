"""Integration steps: a finding raised on the command side, by the actors the tests use (the
`services` fixture, on a database of the test's own, is in tests/conftest.py)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.vocabulary import Role

INSPECTOR = Actor(id="i-1", name="督查员 赵", role=Role.INSPECTOR)
ADMIN = Actor(id="a-1", name="管理员", role=Role.ADMIN)


# What raise_finding fills in for a finding, unless told otherwise.
FINDING: dict[str, Any] = {
    "description": "说明",
    "category": "work_style",
    "severity": "minor",
    "source": "petition",
    "found_on": date(2024, 1, 1),
    "evidence": [],
}


def raise_finding(
    services: Services,
    unit_code: str,
    title: str = "问题",
    actor: Actor = INSPECTOR,
    **overrides: Any,
) -> UUID:
    """A finding raised on the command side (no HTTP), by the inspector unless told otherwise:
    FINDING's fields, with `overrides` on top."""
    fields = {**FINDING, **overrides}
    return services.app.raise_finding(unit_code=unit_code, title=title, actor=actor, **fields).id
