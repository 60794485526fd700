"""Inspection rounds over HTTP: a random round launched, its seed committed, drawn (双随机),
carried out with a finding linked, concluded, verified, and listed publicly (一公开)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import cli
from api.console.public_pages import published_by_now
from api.main import create_app
from api.runtime.bootstrap import Services
from api.runtime.draws import verify_draw
from api.runtime.waiting import TooManyWaits
from domain.actors import Actor
from domain.draw import commitment_of
from domain.vocabulary import Role
from infra.settings import Settings
from tests.e2e.console import console_as
from tests.e2e.helpers import all_items, assert_error, ok, visiting_once_waiting
from tests.support import ADMIN, Api, account_fixture, as_dba, finish_draw, random_round, unique

INSPECTIONS = "/api/v1/inspections"
PUBLIC = "/api/v1/public/inspections"
SEED = "2026年第一轮双随机抽查-种子-7f3a9c"


inspector = account_fixture("inspector", "督查员 王敏")
leader = account_fixture("supervisor", "督查室主任 周红")  # the second party of a draw
CO_SEED = "督查室主任在抽签前提交的第二方随机种子·e2e"


@pytest.fixture
def units(api: Api) -> list[str]:
    return [api.unit(f"抽查对象{n}") for n in range(10)]


def pool(units: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": "王敏", "unit_code": units[0]},
        {"name": "李强", "unit_code": units[1]},
        {"name": "张华", "unit_code": None},
        {"name": "赵丽", "unit_code": None},
    ]


def launch_body(units: list[str], kind: str = "random", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "2026年度行政执法事项双随机抽查",
        "kind": kind,
        "scope": "县府各部门行政执法事项",
        "period_start": "2026-03-01",
        "period_end": "2026-04-30",
        "units": units,
        "inspectors": pool(units),
        "rules": {"team_size": 2, "share_percent": 20},
    }
    body.update(overrides)
    return body


def launched(api: Api, who: dict[str, str], units: list[str], **overrides: Any) -> str:
    rid: str = ok(api.post(INSPECTIONS, launch_body(units, **overrides), who), 201)["id"]
    return rid


def committed(api: Api, who: dict[str, str], units: list[str]) -> str:
    """A round launched and its seed (SEED) committed."""
    rid = launched(api, who, units)
    ok(api.post(f"{INSPECTIONS}/{rid}/seed-commitment", {"commitment": commitment_of(SEED)}, who))
    return rid


def second_party(api: Api, rid: str, leader: dict[str, str]) -> dict[str, Any]:
    """The second party commits its seed, a checkpoint is signed after it (the beacon), and
    it reveals the seed: the round is ready for the inspector's draw; the reveal's answer."""
    body = {"commitment": commitment_of(CO_SEED)}
    ok(api.post(f"{INSPECTIONS}/{rid}/co-seed-commitment", body, leader))
    ok(api.post("/api/v1/audit/checkpoints", None, ADMIN), 201)
    return ok(api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": CO_SEED}, leader))


def ready(api: Api, who: dict[str, str], leader: dict[str, str], units: list[str]) -> str:
    rid = committed(api, who, units)
    second_party(api, rid, leader)
    return rid


def draw(api: Api, who: dict[str, str], rid: str) -> dict[str, Any]:
    """`who` draws round `rid` on SEED; the command's answer."""
    return ok(api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, who))


@pytest.fixture
def drawn(api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]) -> str:
    """A round of `units` drawn by the inspector, the leader its second party; its id."""
    rid = ready(api, inspector, leader, units)
    draw(api, inspector, rid)
    return rid


def test_a_random_round_is_launched_drawn_carried_out_and_concluded(
    api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]
) -> None:
    rid = launched(api, inspector, units)
    commit = api.post(
        f"{INSPECTIONS}/{rid}/seed-commitment", {"commitment": commitment_of(SEED)}, inspector
    )
    assert ok(commit)["version"] == 2 and commit.headers["ETag"] == '"2"'
    assert second_party(api, rid, leader)["version"] == 4
    ok(api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, inspector))
    round_ = ok(api.get(f"{INSPECTIONS}/{rid}", inspector))
    assert round_["status"] == "drawn" and len(round_["targets"]) == 2  # 20% of 10
    homes = {i["name"]: i["unit_code"] for i in round_["inspectors"]}
    for target in round_["targets"]:
        assert len(target["team"]) == 2
        assert all(homes[name] != target["unit_code"] for name in target["team"])
    unit = round_["targets"][0]["unit_code"]
    fid = api.finding(inspector, unit, source="random_inspection")["id"]
    linked = ok(api.post(f"{INSPECTIONS}/{rid}/finding-link", {"finding_id": fid}, inspector))
    results = [{"unit_code": unit, "result": "发现问题1个，已交办整改"}]
    body = {"summary": "抽查2个单位，发现问题1个", "concluded_on": "2026-04-30", "results": results}
    done = ok(api.post(f"{INSPECTIONS}/{rid}/conclusion", body, inspector))
    assert done["version"] == linked["version"] + 1
    verdict = ok(api.get(f"{INSPECTIONS}/{rid}/draw-verification", inspector))
    assert verdict["ok"] is True and verdict["problems"] == []
    assert verdict["algorithm"].endswith("/v2") and verdict["co_seed"] == CO_SEED
    assert verdict["co_commitment"] == commitment_of(CO_SEED)
    board = all_items(api, INSPECTIONS, inspector, min_position=done["position"])
    row = next(item for item in board if item["id"] == rid)
    assert row["status"] == "concluded" and row["finding_ids"] == [fid]


def test_the_public_list_shows_concluded_rounds_without_a_token(
    api: Api,
    client: TestClient,
    inspector: dict[str, str],
    units: list[str],
    drawn: str,
    tmp_path: Path,
) -> None:
    body = {"summary": "未发现问题", "concluded_on": "2026-04-30", "results": []}
    done = ok(api.post(f"{INSPECTIONS}/{drawn}/conclusion", body, inspector))
    open_round = launched(api, inspector, units)
    response = client.get(PUBLIC, params={"min_position": done["position"], "limit": 500})
    page = ok(response)
    item = next(i for i in page["items"] if i["id"] == drawn)
    assert open_round not in {i["id"] for i in page["items"]}
    assert item["summary"] == "未发现问题" and len(item["targets"]) == 2
    assert item["draw"]["seed"] == SEED and item["draw"]["commitment"] == commitment_of(SEED)
    assert {i["name"] for i in item["inspectors"]} == {"王敏", "李强", "张华", "赵丽"}
    assert set(item["inspectors"][0]) == {"name", "unit_code"}
    assert "actor" not in json.dumps(item)
    assert item["draw"]["co_seed"] == CO_SEED
    # A reader re-derives it with the script docs/audit.md §6 prints, standard library only.
    path = tmp_path / "round.json"
    path.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    done_by_hand = subprocess.run(
        [sys.executable, "-", str(path)], input=audit_script(), capture_output=True, text=True
    )
    assert done_by_hand.returncode == 0, done_by_hand.stderr
    assert done_by_hand.stdout.startswith("draw re-derived"), done_by_hand.stdout


def audit_script() -> str:
    """The by-hand verifier of docs/audit.md §6, as the document prints it."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    return text.split("python3 - round.json <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]


def test_the_board_needs_a_token_but_the_public_list_does_not(client: TestClient) -> None:
    assert_error(client.get(INSPECTIONS), 401, "unauthorized")
    assert client.get(PUBLIC).status_code == 200


def test_a_unit_account_cannot_launch_a_round(api: Api, units: list[str]) -> None:
    liaison = api.account("unit", units[0])
    assert_error(api.post(INSPECTIONS, launch_body(units), liaison), 403, "forbidden")


def test_a_seed_that_does_not_match_the_commitment_is_refused(
    api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]
) -> None:
    rid = ready(api, inspector, leader, units)
    wrong = api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED + "-changed"}, inspector)
    assert_error(wrong, 422, "invalid_value")


def test_drawing_before_committing_a_seed_is_an_invalid_transition(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    rid = launched(api, inspector, units)
    error = assert_error(
        api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, inspector), 409, "invalid_transition"
    )
    assert error["details"] == {"status": "launched"}


def test_no_draw_and_no_reveal_before_the_second_party_and_the_beacon(
    api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]
) -> None:
    """The inspector cannot draw on their seed alone; the second party cannot reveal before
    a checkpoint signed after its commitment fixes the beacon; only a second party (not an
    organiser of the round) commits and reveals."""
    rid = committed(api, inspector, units)
    early = api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, inspector)
    assert "second seed" in assert_error(early, 409, "invalid_transition")["message"]
    body = {"commitment": commitment_of(CO_SEED)}
    assert_error(api.post(f"{INSPECTIONS}/{rid}/co-seed-commitment", body, inspector), 403)
    ok(api.post(f"{INSPECTIONS}/{rid}/co-seed-commitment", body, leader))
    waiting = api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": CO_SEED}, leader)
    assert "checkpoint" in assert_error(waiting, 409, "invalid_transition")["message"]
    assert_error(api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": CO_SEED}, inspector), 403)
    ok(api.post("/api/v1/audit/checkpoints", None, ADMIN), 201)
    wrong = api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": CO_SEED + "x"}, leader)
    assert_error(wrong, 422, "invalid_value")
    ok(api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": CO_SEED}, leader))
    ok(api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, inspector))


def test_a_second_partys_short_seed_is_revealed_and_the_round_drawn(
    api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]
) -> None:
    """Only its hash was sent with the commitment: the reveal takes any seed of 1–200
    characters that hashes to it (the inspector's 16 do not bind the second party)."""
    rid = committed(api, inspector, units)
    short = "甲乙丙"
    ok(
        api.post(
            f"{INSPECTIONS}/{rid}/co-seed-commitment", {"commitment": commitment_of(short)}, leader
        )
    )
    ok(api.post("/api/v1/audit/checkpoints", None, ADMIN), 201)
    too_long = api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": "种" * 201}, leader)
    assert_error(too_long, 422, "validation_error")
    ok(api.post(f"{INSPECTIONS}/{rid}/co-seed", {"seed": short}, leader))
    draw(api, inspector, rid)
    assert ok(api.get(f"{INSPECTIONS}/{rid}/draw-verification", inspector))["co_seed"] == short


def test_a_stale_if_match_on_the_draw_is_a_version_conflict(
    api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]
) -> None:
    rid = ready(api, inspector, leader, units)
    stale = api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, {**inspector, "If-Match": '"1"'})
    assert_error(stale, 409, "version_conflict")


def test_a_retried_draw_with_its_idempotency_key_answers_the_first_draw(
    api: Api, inspector: dict[str, str], leader: dict[str, str], units: list[str]
) -> None:
    rid = ready(api, inspector, leader, units)
    headers = {**inspector, "Idempotency-Key": unique("draw")}
    first = ok(api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, headers))
    again = ok(api.post(f"{INSPECTIONS}/{rid}/draw", {"seed": SEED}, headers))
    assert again == first


def test_a_launch_with_too_few_inspectors_left_after_recusal_is_refused(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    inspectors = [{"name": "王敏", "unit_code": units[0]}, {"name": "李强", "unit_code": None}]
    body = launch_body(units, inspectors=inspectors)
    assert_error(api.post(INSPECTIONS, body, inspector), 422, "invalid_value")


def test_inspector_names_are_kept_without_the_spaces_around_them_and_named_once(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    """ "甲" and "甲 " are one inspector: named twice, refused as a duplicate; a name of spaces
    is blank; a name is kept, and matched in a team, without the spaces around it."""
    twice = [*pool(units), {"name": "王敏 ", "unit_code": None}]
    duplicate = api.post(INSPECTIONS, launch_body(units, inspectors=twice), inspector)
    assert "named twice" in assert_error(duplicate, 422, "invalid_value")["message"]
    blank = [*pool(units), {"name": " \u3000", "unit_code": None}]
    refused = api.post(INSPECTIONS, launch_body(units, inspectors=blank), inspector)
    assert "text must not be blank" in assert_error(refused, 422, "validation_error")["message"]
    spaced = [{**i, "name": f" {i['name']}\u3000"} for i in pool(units)]
    rid = launched(api, inspector, units, kind="special", inspectors=spaced)
    names = [i["name"] for i in ok(api.get(f"{INSPECTIONS}/{rid}", inspector))["inspectors"]]
    assert sorted(names) == sorted(i["name"] for i in pool(units))
    team = {"targets": [{"unit_code": units[0], "team": ["李强 ", " 张华"]}]}
    ok(api.post(f"{INSPECTIONS}/{rid}/assignment", team, inspector))
    targets = ok(api.get(f"{INSPECTIONS}/{rid}", inspector))["targets"]
    assert targets == [{"unit_code": units[0], "team": ["李强", "张华"]}]


def test_a_launch_naming_an_unknown_unit_is_refused(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    body = launch_body([*units, unique("nowhere")])
    assert_error(api.post(INSPECTIONS, body, inspector), 422, "unknown_reference")


def test_an_inspector_of_a_unit_that_does_not_exist_is_refused_and_nothing_launched(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    """回避 knows an inspector's unit by its code: a code no unit has would recuse nobody."""
    title, nowhere = unique("名录有误的督查"), unique("nowhere")
    stray = [*pool(units), {"name": "钱伟", "unit_code": nowhere}]
    body = launch_body(units, kind="special", title=title, inspectors=stray)
    error = assert_error(api.post(INSPECTIONS, body, inspector), 422, "unknown_reference")
    assert error["details"] == {"inspector": "钱伟", "unit_code": nowhere}
    position = ok(api.post(INSPECTIONS, launch_body(units), inspector), 201)["position"]
    board = all_items(api, INSPECTIONS, inspector, min_position=position)
    assert title not in {item["title"] for item in board}, "the refused round is not launched"


def test_a_team_of_one_is_refused_by_the_contract(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    body = launch_body(units, rules={"team_size": 1, "share_percent": 5})
    assert_error(api.post(INSPECTIONS, body, inspector), 422, "validation_error")


def test_a_special_round_is_assigned_and_recusal_is_enforced(
    api: Api, inspector: dict[str, str], units: list[str]
) -> None:
    rid = launched(api, inspector, units, kind="special")
    own = {"targets": [{"unit_code": units[0], "team": ["王敏", "张华"]}]}
    assert_error(api.post(f"{INSPECTIONS}/{rid}/assignment", own, inspector), 422, "invalid_value")
    fine = {"targets": [{"unit_code": units[0], "team": ["李强", "张华"]}]}
    ok(api.post(f"{INSPECTIONS}/{rid}/assignment", fine, inspector))
    assert ok(api.get(f"{INSPECTIONS}/{rid}", inspector))["status"] == "drawn"


def test_a_finding_against_a_unit_not_drawn_is_not_linked(
    api: Api, inspector: dict[str, str], units: list[str], drawn: str
) -> None:
    targets = {t["unit_code"] for t in ok(api.get(f"{INSPECTIONS}/{drawn}", inspector))["targets"]}
    other = next(u for u in units if u not in targets)
    fid = api.finding(inspector, other)["id"]
    link = api.post(f"{INSPECTIONS}/{drawn}/finding-link", {"finding_id": fid}, inspector)
    assert_error(link, 422, "invalid_value")


def test_a_finding_raised_outside_the_rounds_period_is_not_linked(
    api: Api, inspector: dict[str, str], drawn: str
) -> None:
    round_ = ok(api.get(f"{INSPECTIONS}/{drawn}", inspector))
    unit = round_["targets"][0]["unit_code"]
    old = api.finding(inspector, unit, found_on="2019-05-01")["id"]
    link = api.post(f"{INSPECTIONS}/{drawn}/finding-link", {"finding_id": old}, inspector)
    error = assert_error(link, 422, "invalid_value")
    assert error["details"] == {
        "found_on": "2019-05-01", "period_start": "2026-03-01", "period_end": "2026-04-30"
    }  # fmt: skip
    assert ok(api.get(f"{INSPECTIONS}/{drawn}", inspector))["version"] == round_["version"]
    last_day = api.finding(inspector, unit, found_on="2026-04-30")["id"]
    ok(api.post(f"{INSPECTIONS}/{drawn}/finding-link", {"finding_id": last_day}, inspector))


def test_an_unknown_round_is_not_found(api: Api, inspector: dict[str, str]) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert_error(api.get(f"{INSPECTIONS}/{missing}", inspector), 404, "not_found")
    assert_error(api.get(f"{INSPECTIONS}/{missing}/draw-verification", inspector), 404)


def test_a_bad_cursor_is_a_400(api: Api, inspector: dict[str, str], client: TestClient) -> None:
    assert_error(api.get(INSPECTIONS, inspector, cursor="zzz"), 400, "invalid_cursor")
    assert_error(client.get(PUBLIC, params={"cursor": "zzz"}), 400, "invalid_cursor")


# -- verify-draw in a scratch database, where events may be tampered with ----------------------

INSPECTOR = Actor(id="i", name="督查员", role=Role.INSPECTOR)
ADMIN_ACTOR = Actor(id="a", name="管理员", role=Role.ADMIN)
LEADER_ACTOR = Actor(id="s", name="督查室主任", role=Role.SUPERVISOR)
DRAWN = 5  # the Drawn event's version: launched, committed, co-committed, co-revealed, drawn


def drawn_in(services: Services) -> str:
    codes = [f"u{n}" for n in range(12)]
    for code in codes:
        services.app.register_unit(code=code, name=code, kind="township", actor=ADMIN_ACTOR)
    inspectors = (("甲", "u0"), ("乙", "u1"), ("丙", None))
    launch = random_round(tuple(codes), inspectors, 25, (date(2026, 3, 1), date(2026, 4, 1)))
    rid = services.app.launch_inspection(launch, actor=INSPECTOR).id
    services.app.commit_inspection_seed(rid, commitment=commitment_of(SEED), actor=INSPECTOR)
    finish_draw(services, rid, (SEED, CO_SEED), INSPECTOR, LEADER_ACTOR)
    return str(rid)


def tamper(services: Services, rid: str, version: int, change: Any) -> None:
    """Rewrite one stored event's state in SQL, as someone with database access could."""
    with as_dba(services.database) as conn:
        row = conn.execute(
            "SELECT state FROM supervision_events WHERE originator_id = %s "
            "AND originator_version = %s",
            (rid, version),
        ).fetchone()
        assert row is not None
        state = json.loads(bytes(row[0]))
        change(state)
        conn.execute(
            "UPDATE supervision_events SET state = %s WHERE originator_id = %s "
            "AND originator_version = %s",
            (json.dumps(state).encode(), rid, version),
        )


def run_cli(settings: Settings, rid: str) -> Any:
    env = {"SUPERVISION_DATABASE_URL": settings.database_url, "SUPERVISION_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, ["inspections", "verify-draw", rid], env=env)


def test_verify_draw_reproduces_a_recorded_draw(
    services: Services, fresh_settings: Settings
) -> None:
    rid = drawn_in(services)
    assert verify_draw(services, UUID(rid)).ok
    result = run_cli(fresh_settings, rid)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["ok"] is True


def tampered_verdict(
    services: Services, settings: Settings, version: int, change: Callable[[dict[str, Any]], Any]
) -> str:
    """What verify-draw says, failing (exit 1), of a drawn round whose event at `version` was
    then changed in the database by `change`."""
    rid = drawn_in(services)
    tamper(services, rid, version, change)
    result = run_cli(settings, rid)
    assert result.exit_code == 1, result.output
    return result.output


def test_verify_draw_detects_a_drawn_unit_changed_in_the_database(
    services: Services, fresh_settings: Settings
) -> None:
    def swap_unit(state: dict[str, Any]) -> None:
        drawn_units = {t["unit_code"] for t in state["targets"]}
        state["targets"][0]["unit_code"] = next(
            f"u{n}" for n in range(12) if f"u{n}" not in drawn_units
        )

    output = tampered_verdict(services, fresh_settings, DRAWN, swap_unit)
    assert "was altered" in output and "differ from the draw" in output


def test_verify_draw_detects_a_changed_seed(services: Services, fresh_settings: Settings) -> None:
    output = tampered_verdict(
        services, fresh_settings, DRAWN, lambda state: state.update(seed=SEED + "x")
    )
    assert "does not match the commitment" in output


def test_verify_draw_detects_a_changed_population(
    services: Services, fresh_settings: Settings
) -> None:
    output = tampered_verdict(
        services, fresh_settings, 1, lambda state: state["population"].remove("u11")
    )
    assert "was altered" in output


def test_verify_draw_detects_a_chain_head_that_is_not_the_chains(
    services: Services, fresh_settings: Settings
) -> None:
    output = tampered_verdict(
        services, fresh_settings, DRAWN, lambda state: state["chain_head"].update(hash="00" * 32)
    )
    assert "the beacon is not the head signed by the first checkpoint" in output


def test_verify_draw_detects_a_changed_second_seed(
    services: Services, fresh_settings: Settings
) -> None:
    output = tampered_verdict(
        services, fresh_settings, DRAWN - 1, lambda state: state.update(seed=CO_SEED + "x")
    )
    assert "co-seed does not match the second party's commitment" in output


def test_verify_draw_of_an_unknown_id_is_a_clear_error(fresh_settings: Settings) -> None:
    result = run_cli(fresh_settings, "not-a-uuid")
    assert result.exit_code == 2 and "is not an id" in result.output


def test_the_console_shows_a_round_its_draws_inputs_and_the_draw_checked_again(
    api: Api,
    client: TestClient,
    inspector: dict[str, str],
    leader: dict[str, str],
    units: list[str],
) -> None:
    drawn = ready(api, inspector, leader, units)
    at = draw(api, inspector, drawn)["position"]
    round_ = ok(api.get(f"{INSPECTIONS}/{drawn}", inspector))
    # The console's pages wait for the writes of their own session (ADR 009); this round was
    # drawn over the API, so its client asks the board for it first, as the contract has it.
    assert drawn in {r["id"] for r in all_items(api, INSPECTIONS, inspector, min_position=at)}
    with console_as(client, inspector) as browser:
        board_page = browser.get("/inspections")
        assert board_page.status_code == 200 and f'href="/inspections/{drawn}"' in board_page.text
        page = browser.get(f"/inspections/{drawn}")
        assert page.status_code == 200 and "校验通过" in page.text
        assert CO_SEED in page.text and round_["targets"][0]["team"][0] in page.text
        assert browser.get("/inspections/not-a-round").status_code == 404
        missing = browser.get("/inspections/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404 and "未找到该督查活动" in missing.text
        launched_only = launched(api, inspector, units)
        assert "双随机抽取校验" not in browser.get(f"/inspections/{launched_only}").text


def test_the_public_portal_needs_no_sign_in_and_keeps_user_text_as_text(
    api: Api, client: TestClient, inspector: dict[str, str], drawn: str
) -> None:
    body = {
        "summary": '未发现问题<b onclick="x()">"</b>',
        "concluded_on": "2026-04-30",
        "results": [],
    }
    ok(api.post(f"{INSPECTIONS}/{drawn}/conclusion", body, inspector))
    with TestClient(client.app, raise_server_exceptions=False) as visitor:  # no cookie, no token
        page = visitor.get("/public/inspections")
        assert page.status_code == 200 and "在浏览器中验证" in page.text
        assert '<b onclick="x()">' not in page.text and "&lt;b onclick=" in page.text
        assert visitor.get("/public/inspections?cursor=not-ours").status_code == 400


# -- the public portal shows what was concluded before it was asked for ----------------------

PORTAL_SUMMARY = "本轮抽查已结束·门户"


def concluded_in(services: Services) -> str:
    """A round drawn and concluded in `services` (whose read models stand still: no runner)."""
    rid = drawn_in(services)
    services.app.conclude_inspection(
        UUID(rid),
        summary=PORTAL_SUMMARY,
        concluded_on=date(2026, 4, 1),
        results=[],
        actor=INSPECTOR,
    )
    return rid


def test_the_public_portal_waits_until_the_rounds_concluded_before_the_visit_are_listed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visitor has no position to ask with: the page waits by itself for the log's head
    (the read models start only once it waits, so a page that did not wait lacks the round)."""
    concluded_in(services)
    with visiting_once_waiting(services, monkeypatch) as visitor:
        page = visitor.get("/public/inspections")
    assert page.status_code == 200 and PORTAL_SUMMARY in page.text
    assert services.host is not None and "数据正在更新" not in page.text


def test_a_public_portal_whose_read_models_lag_is_shown_with_a_notice(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read models that do not catch up within the read wait: the page as it stands, said so."""
    concluded_in(services)
    quick = services.settings.model_copy(update={"read_wait_seconds": 0.2})
    monkeypatch.setattr(services, "settings", quick)
    with TestClient(create_app(quick, services=services)) as visitor:
        page = visitor.get("/public/inspections")
    assert page.status_code == 200 and "数据正在更新" in page.text
    assert PORTAL_SUMMARY not in page.text


# The public pages whose read models a round's units and events keep behind (the catalogue's
# page: tests/e2e/test_major_decisions.py).
PUBLIC_PAGES = ["/public/inspections", "/public/spot-checks", "/public/power-lists"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_shows_a_notice_when_its_read_models_lag_or_its_visitor_waits_enough(
    services: Services, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Each public page waits for its read models (here standing still, past a short read
    wait), and a visitor already holding as many waits as it may gets the page at once: both
    as it stands, with the notice."""
    concluded_in(services)
    quick = services.settings.model_copy(update={"read_wait_seconds": 0.2})
    monkeypatch.setattr(services, "settings", quick)
    with TestClient(create_app(quick, services=services)) as visitor:
        lagging = visitor.get(path)

        async def too_many(*args: Any, **kwargs: Any) -> None:
            raise TooManyWaits("public:testclient holds its waits")

        monkeypatch.setattr(services.positions, "wait", too_many)
        at_once = visitor.get(path)
    for page in (lagging, at_once):
        assert (
            page.status_code == 200 and "数据正在更新，本页可能尚未包含最新公开的内容" in page.text
        )


def test_a_visitor_without_an_address_waits_under_one_shared_name(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ASGI server may give no client address (a Unix socket): such visitors share one
    bound on their waits rather than each having none."""
    concluded_in(services)
    asked: list[str] = []

    async def wait(names: Any, position: int, timeout: float, waiter: str) -> None:
        asked.append(waiter)

    monkeypatch.setattr(services.positions, "wait", wait)
    dependency = published_by_now("inspection_board").dependency
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this thread
        lagging = thread.submit(asyncio.run, dependency(request, services)).result()
    assert asked == ["public:unknown"] and lagging is False
