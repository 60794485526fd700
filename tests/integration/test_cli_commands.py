"""`supervision commands`: the registry from the command line, checked as the HTTP routes check."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import cli
from api.runtime.bootstrap import Services
from domain.findings import Finding
from domain.messages import REGISTRY
from infra.settings import Settings
from tests.integration.conftest import ADMIN, raise_finding


def supervision(settings: Settings, *args: str) -> Result:
    env = {
        "SUPERVISION_DATABASE_URL": settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "DEBUG",
    }
    return CliRunner().invoke(cli, list(args), env=env)


def test_list_names_every_registered_command_with_its_roles_and_path(
    fresh_settings: Settings,
) -> None:
    result = supervision(fresh_settings, "commands", "list", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == len(REGISTRY)
    interview = next(line for line in lines if line["name"] == "hold_interview")
    assert interview == {
        "name": "hold_interview",
        "roles": ["inspector", "authority"],
        "path": "POST /api/v1/findings/{finding_id}/interview",
        "doc": interview["doc"],
    }
    assert interview["doc"].startswith("约谈")
    table = supervision(fresh_settings, "commands", "list")
    assert "escalate_finding" in table.output and "提级督办" in table.output


@pytest.fixture
def finding_id(services: Services) -> str:
    services.app.register_unit(code="cjz", name="澄潭街道", kind="subdistrict", actor=ADMIN)
    return str(raise_finding(services, "cjz", "台账不全"))


def test_send_records_the_command_as_the_command_line_administrator(
    services: Services, fresh_settings: Settings, finding_id: str
) -> None:
    result = supervision(
        fresh_settings,
        "commands",
        "send",
        "hold_interview",
        f"finding_id={finding_id}",
        "held_on=2026-03-10",
        "interviewee=街道主任",
        "summary=约谈街道主任，限期补齐台账。",
        "--expected-version",
        "1",
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output.strip().splitlines()[-1])
    assert answer["id"] == finding_id and answer["version"] == 2
    finding = services.app.load(Finding, answer["id"])
    assert finding.interviews == 1
    (last,) = list(services.app.aggregate_history(finding.id))[-1:]
    assert last.actor == {"id": "cli", "name": "命令行管理员", "role": "admin"}
    logged = [json.loads(line) for line in result.output.splitlines()[:-1]]
    sent = [line for line in logged if line["message"] == "command_sent"]
    assert sent and sent[0]["command"] == "hold_interview" and sent[0]["id"] == finding_id


@pytest.mark.parametrize(
    ("args", "said"),
    [
        pytest.param(["no_such_command"], "no command 'no_such_command'", id="unknown-name"),
        pytest.param(["escalate_finding", "reason=x"], "needs finding_id", id="missing-path-field"),
        pytest.param(["escalate_finding", "finding_id=not-an-id", "reason=x"], "UUID", id="bad-id"),
        pytest.param(["escalate_finding", "reason"], "is not field=value", id="not-a-pair"),
    ],
)
def test_send_refuses_what_the_http_route_would_refuse_before_connecting(
    fresh_settings: Settings, args: list[str], said: str
) -> None:
    result = supervision(fresh_settings, "commands", "send", *args)
    assert result.exit_code == 2 and said in result.output


def test_send_reports_a_refused_body_and_a_domain_error_and_records_nothing(
    services: Services, fresh_settings: Settings, finding_id: str
) -> None:
    empty = supervision(
        fresh_settings, "commands", "send", "escalate_finding", f"finding_id={finding_id}"
    )
    assert empty.exit_code == 2 and "reason: Field required" in empty.output
    stale = supervision(
        fresh_settings,
        "commands",
        "send",
        "escalate_finding",
        f"finding_id={finding_id}",
        "reason=提级督办",
        "--expected-version",
        "7",
    )
    assert stale.exit_code == 2 and "version_conflict" in stale.output
    assert len(services.app.aggregate_history(UUID(finding_id))) == 1
