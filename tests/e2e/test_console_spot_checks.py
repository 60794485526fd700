"""The console's 一单两库一细则 page (issue 18 items 8 and 9): a department's liaison lists a
matter and its officers, an inspector lists entities (a wrong 统一社会信用代码 refused in
Chinese, nothing recorded) and launches a round of the matter, which opens on the round's page
with the entities by name; a liaison sees no entity or launch form."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.runtime.bootstrap import Services
from domain.clock import today
from projections.base import ProjectionLagging
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import ok
from tests.e2e.test_spot_checks import new_code
from tests.support import ADMIN, Api, unique

START = today() + timedelta(days=20)
VALID = START + timedelta(days=400)  # the officers' 执法证


def key(n: int) -> str:
    return f"spot-{n}-" + "q" * 20


def test_a_matter_officers_and_entities_are_listed_and_a_round_launched_in_the_console(
    api: Api, client: TestClient
) -> None:
    department = api.unit("县市场监管局（控制台）", "department")
    liaison = api.account("unit", department, name="市场监管局联络员")
    inspector = api.account("inspector", name="督查员 抽查")
    industry = unique("餐饮服务")
    with console_as(client, liaison) as browser:
        page = browser.get("/spot-checks")
        assert page.status_code == 200 and "随机抽查事项清单" in page.text
        assert 'id="form-entity"' not in page.text and "启动随机抽查" not in page.text
        matter = {"form_key": key(1), "unit_code": department, "title": f"{industry}食品安全检查",
                  "legal_basis": "《食品安全法》", "method": "实地核查", "share_percent": "50",
                  "rounds_per_year": "1", "entity_kinds": ["enterprise"],
                  "industries": f"{industry}\n"}  # fmt: skip
        listed = submit(browser, page, "/spot-checks/matter", matter)
        assert listed.status_code == 303 and listed.headers["location"].endswith("done=matter")
        for n in range(2):
            officer = {"form_key": key(2 + n), "name": f"执法员{n}", "unit_code": department,
                       "certificate": unique("控"), "valid_until": str(VALID)}  # fmt: skip
            assert submit(browser, page, "/spot-checks/officer", officer).status_code == 303
    with console_as(client, inspector) as browser:
        page = browser.get("/spot-checks")
        wrong = new_code()[:-1] + "Z"
        bad = {"form_key": key(5), "credit_code": wrong, "name": "某饭店", "entity_kind":
               "enterprise", "industry": industry, "address": ""}  # fmt: skip
        refused = submit(browser, page, "/spot-checks/entity", bad)
        assert refused.status_code == 422 and "统一社会信用代码无效" in refused.text
        codes = []
        for n in range(4):
            codes.append(new_code())
            entity = bad | {"form_key": key(6 + n), "credit_code": codes[-1],
                            "name": f"餐馆<{n}>"}  # fmt: skip
            assert submit(browser, page, "/spot-checks/entity", entity).status_code == 303
        page = browser.get("/spot-checks")
        assert f"{industry}食品安全检查" in page.text and "启动随机抽查" in page.text
        row = rf'{industry}食品安全检查</td>.*?action="/spot-checks/([0-9a-f-]{{36}})/launch"'
        found = re.search(row, page.text, re.DOTALL)
        assert found, "the inspector's page shows the liaison's matter, with its launch form"
        matter_id = found.group(1)
        launch = {"form_key": key(20), "title": "餐饮服务双随机抽查",
                  "period_start": str(START), "period_end": str(START + timedelta(days=30)),
                  "team_size": "2"}  # fmt: skip
        too_early = launch | {"form_key": key(21), "period_end": str(START - timedelta(days=1))}
        early = submit(browser, page, f"/spot-checks/{matter_id}/launch", too_early)
        assert early.status_code == 422 and "检查结束日期不能早于开始日期" in early.text
        launched = submit(browser, page, f"/spot-checks/{matter_id}/launch", launch)
        assert launched.status_code == 303, launched.text
        assert launched.headers["location"].endswith("done=spot-check"), launched.headers[
            "location"
        ]
        shown = browser.get(launched.headers["location"])
        assert "已完成：启动随机抽查" in shown.text and "市场主体双随机抽查" in shown.text
        assert "4 户市场主体" in shown.text and "县市场监管局（控制台）" in shown.text
        assert 'id="form-seed-commitment"' in shown.text
        again = submit(browser, browser.get("/spot-checks"), f"/spot-checks/{matter_id}/launch",
                       launch | {"form_key": key(22)})  # fmt: skip
        assert again.status_code == 409 and "抽查次数已达细则规定的频次" in again.text
        missing = submit(browser, page, f"/spot-checks/{new_code()}/launch", launch)
        assert missing.status_code == 404


class Lagging:
    """A directory whose read model cannot catch up in time."""

    def round_inputs(self, *_: object) -> tuple[list[str], list[str]]:
        raise ProjectionLagging("spot_checks", 10, 5)


def test_a_launch_while_the_directory_lags_is_a_503_and_records_nothing(
    api: Api, client: TestClient, shared_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    department = api.unit("县市场监管局（滞后）", "department")
    inspector = api.account("inspector", name="督查员 滞后")
    body = {"unit_code": department, "title": "事项", "legal_basis": "依据", "method": "实地核查",
            "share_percent": 10, "rounds_per_year": 1}  # fmt: skip
    created = ok(api.post("/api/v1/spot-check-matters", body, ADMIN), 201)
    matter = created["id"]
    # The matter was listed over the API by another account, and the console waits only for
    # its own session's writes (ADR 009): the inspector's client asks for the matter at its
    # position first, as the contract has it, so the page shows the launch form to send.
    shown = ok(api.get("/api/v1/spot-check-matters", inspector, unit_code=department,
                       min_position=created["position"]))  # fmt: skip
    assert [m["id"] for m in shown["items"]] == [matter]
    monkeypatch.setattr(shared_services.app, "spot_check_directory", Lagging())
    launch = {"title": "抽查", "period_start": str(START), "period_end": str(START)}
    lagging = api.post(f"/api/v1/spot-check-matters/{matter}/rounds", launch, inspector)
    assert lagging.status_code == 503 and lagging.json()["error"]["code"] == "projection_lagging"
    with console_as(client, inspector) as browser:
        page = browser.get("/spot-checks")
        assert f'action="/spot-checks/{matter}/launch"' in page.text
        sent = submit(
            browser,
            page,
            f"/spot-checks/{matter}/launch",
            launch | {"form_key": key(30), "team_size": "2"},
        )
        assert sent.status_code == 503 and "数据正在同步，请稍后重试" in sent.text
        unknown = submit(browser, page, "/spot-checks/nothing", {"form_key": key(31)})
        assert unknown.status_code == 404
        gone = submit(browser, page, f"/spot-checks/{uuid4()}/launch", launch)
        assert gone.status_code == 404 and "未找到该抽查事项" in gone.text
    listed = ok(api.get("/api/v1/spot-check-matters", inspector, unit_code=department,
                        min_position=created["position"]))  # fmt: skip
    assert listed["items"][0]["rounds"] == 0
