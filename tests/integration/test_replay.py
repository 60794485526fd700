"""Replay attestation: every read model rebuilt from zero to a position has a digest, and two
replays to the same position give the same digests."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli.main import cli
from api.runtime.bootstrap import Services
from infra.settings import Settings
from projections.registry import PROJECTIONS
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding


def replay(settings: Settings, *args: str) -> dict[str, object]:
    env = {
        "SUPERVISION_DATABASE_URL": settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    result = CliRunner().invoke(cli, ["audit", "replay", "--quiet", *args], env=env)
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.output.strip().splitlines()[-1])
    return answer


def test_two_replays_to_the_same_position_give_the_same_digests(
    services: Services, fresh_settings: Settings
) -> None:
    services.app.register_unit(code="jlz", name="镜岭镇", kind="township", actor=ADMIN)
    first = raise_finding(services, "jlz", "安全隐患")
    services.app.escalate_finding(first, reason="提级", actor=INSPECTOR)
    position = services.head()
    raise_finding(services, "jlz", "之后的问题")

    once = replay(fresh_settings, "--to-position", str(position))
    twice = replay(fresh_settings, "--to-position", str(position))
    assert once == twice and once["to_position"] == position
    digests = once["digests"]
    assert isinstance(digests, dict) and set(digests) == {spec.name for spec in PROJECTIONS}


def test_a_later_position_with_a_new_finding_changes_the_board_digest(
    services: Services, fresh_settings: Settings
) -> None:
    services.app.register_unit(code="xjz", name="小将镇", kind="township", actor=ADMIN)
    raise_finding(services, "xjz", "第一件")
    before = replay(fresh_settings, "--to-position", str(services.head()))
    raise_finding(services, "xjz", "第二件")
    after = replay(fresh_settings)
    assert before["digests"]["finding_board"] != after["digests"]["finding_board"]  # type: ignore[index]
    assert before["digests"]["work_ledger"] == after["digests"]["work_ledger"]  # type: ignore[index]
