"""Integration fixtures: the application and read models on a database of the test's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.bootstrap import Services, build
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
