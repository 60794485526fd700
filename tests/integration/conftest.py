"""Integration steps: a finding raised on the command side, by the actors the tests use (the
`services` fixture, on a database of the test's own, is in tests/conftest.py)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from api.runtime.bootstrap import Services
from domain.actors import Actor
from domain.vocabulary import Role

INSPECTOR = Actor(id="i-1", name="督查员 赵", role=Role.INSPECTOR)
ADMIN = Actor(id="a-1", name="管理员", role=Role.ADMIN)


def raise_finding(services: Services, unit_code: str, title: str = "问题") -> UUID:
    """A finding raised by the inspector on the command side (no HTTP)."""
    return services.app.raise_finding(
        unit_code=unit_code,
        title=title,
        description="说明",
        category="work_style",
        severity="minor",
        source="petition",
        found_on=date(2024, 1, 1),
        evidence=[],
        actor=INSPECTOR,
    ).id
