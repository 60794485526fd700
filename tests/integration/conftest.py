"""Integration fixtures: the application and read models on a database of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import pytest

from api.runtime.bootstrap import Services, build
from domain.actors import Actor
from domain.vocabulary import Role
from infra.settings import Settings

INSPECTOR = Actor(id="i-1", name="督查员 赵", role=Role.INSPECTOR)
ADMIN = Actor(id="a-1", name="管理员", role=Role.ADMIN)


@pytest.fixture
def services(fresh_settings: Settings) -> Iterator[Services]:
    """The command side and read-model views, without in-process projection runners."""
    opened = build(fresh_settings, runners="off")
    yield opened
    opened.close()


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
