"""`supervision commands`: the registry from the command line, checked as the HTTP routes check."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import cli
from api.runtime.bootstrap import Services
from domain.messages import REGISTRY
from infra.settings import Settings
from tests.integration.conftest import ADMIN


def supervision(settings: Settings, *args: str) -> Result:
    env = {
        "SUPERVISION_DATABASE_URL": settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "DEBUG",
        "COLUMNS": "400",  # one line a message: the refusals below are matched as said
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
def unit_code(services: Services) -> str:
    services.app.register_unit(code="cjz", name="澄潭街道", kind="subdistrict", actor=ADMIN)
    return "cjz"


def test_send_records_the_command_as_the_command_line_administrator(
    services: Services, fresh_settings: Settings, unit_code: str
) -> None:
    result = supervision(
        fresh_settings,
        "commands",
        "send",
        "rename_unit",
        f"code={unit_code}",
        "name=澄潭街道办事处",
        "reason=机构更名",
        "effective_on=2026-03-10",
        "--expected-version",
        "1",
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output.strip().splitlines()[-1])
    unit = services.app.get_unit(unit_code)
    assert (answer["id"], answer["version"]) == (str(unit.id), 2)
    assert unit.name == "澄潭街道办事处"
    (last,) = list(services.app.aggregate_history(unit.id))[-1:]
    assert last.actor == {"id": "cli", "name": "命令行管理员", "role": "admin"}
    logged = [json.loads(line) for line in result.output.splitlines()[:-1]]
    sent = [line for line in logged if line["message"] == "command_sent"]
    assert sent and sent[0]["command"] == "rename_unit" and sent[0]["id"] == answer["id"]


def test_a_text_field_takes_what_was_typed_and_other_fields_read_as_json(
    services: Services, fresh_settings: Settings, unit_code: str
) -> None:
    numeric = supervision(
        fresh_settings, "commands", "send", "register_unit", "code=330102", "name=123", "kind=other"
    )
    assert numeric.exit_code == 0, numeric.output
    assert services.app.get_unit("330102").name == "123"
    launched = supervision(
        fresh_settings,
        "commands",
        "send",
        "launch_inspection",
        "title=专项督查",
        "kind=special",
        "scope=农村危房改造",
        "period_start=2026-03-01",
        "period_end=2026-03-31",
        f'units=["{unit_code}"]',
        'inspectors=[{"name": "王敏"}, {"name": "李强", "unit_code": "330102"}]',
        'rules={"team_size": 2, "share_percent": 50}',
    )
    assert launched.exit_code == 0, launched.output
    round_id = json.loads(launched.output.strip().splitlines()[-1])["id"]
    inspection = services.app.get_inspection(UUID(round_id))
    assert inspection.population == [unit_code]
    assert [i["unit_code"] for i in inspection.inspectors] == ["330102", None]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        pytest.param(["no_such_command"], "no command 'no_such_command'", id="unknown-name"),
        pytest.param(
            ["hold_interview", "finding_id=x"],
            "hold_interview is sent by inspector, authority accounts",
            id="not-an-administrators-command",
        ),
        pytest.param(["rename_unit", "name=x"], "needs code", id="missing-path-field"),
        pytest.param(["rename_unit", "code=cjz", "nam=x"], "no field 'nam'", id="unknown-field"),
        pytest.param(["rename_unit", "code=cjz", "name"], "is not field=value", id="not-a-pair"),
        pytest.param(
            ["list_work_item", "title=x", "--expected-version", "1"],
            "makes a new record",
            id="a-version-for-a-new-record",
        ),
        pytest.param(
            ["correct_decision", "decision_id=not-an-id", "reason=x"],
            "decision_id: Input should be a valid UUID",
            id="bad-path-id",
        ),
    ],
)
def test_send_refuses_what_the_http_route_would_refuse_before_connecting(
    fresh_settings: Settings, args: list[str], said: str
) -> None:
    result = supervision(fresh_settings, "commands", "send", *args)
    assert result.exit_code == 2 and said in result.output, result.output


def test_send_reports_a_refused_body_and_a_domain_error_and_records_nothing(
    services: Services, fresh_settings: Settings, unit_code: str
) -> None:
    short = supervision(
        fresh_settings, "commands", "send", "dissolve_unit", f"code={unit_code}", "reason=撤销"
    )
    assert short.exit_code == 2 and "effective_on: Field required" in short.output
    stale = supervision(
        fresh_settings,
        "commands",
        "send",
        "rename_unit",
        f"code={unit_code}",
        "name=新名",
        "reason=更名",
        "effective_on=2026-03-10",
        "--expected-version",
        "7",
    )
    assert stale.exit_code == 2 and "version_conflict" in stale.output
    unit = services.app.get_unit(unit_code)
    assert len(services.app.aggregate_history(unit.id)) == 1


def test_version_prints_the_installed_packages_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"supervision {version('supervision')}\n"
