"""The console's inspection rounds (issue 18 item 9): an inspector launches a random round,
commits the seed's hash, a supervisor commits and (after a checkpoint) reveals the second
seed, the inspector draws and concludes with each unit's result, and the page verifies the
draw; each step's form shows only when the round is at it; a refused step says why in Chinese
and records nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.draw import commitment_of
from tests.e2e.console import console_as, submit
from tests.e2e.helpers import ok
from tests.support import ADMIN, Api

SEED = "督查室控制台抽签种子·控制台测试用"
WRONG = "不是承诺过的那个种子·这是一个错误的种子"
CO_SEED = "督查室主任控制台第二方种子·测试用"


def key(n: int) -> str:
    return f"inspect-{n}-" + "k" * 20


def test_a_round_is_launched_drawn_concluded_and_verified_in_the_console(
    api: Api, client: TestClient
) -> None:
    units = [api.unit(f"控制台抽查单位{n}", "township") for n in range(4)]
    inspector = api.account("inspector", name="督查员 控制台")
    leader = api.account("supervisor", name="督查室主任 控制台")
    with console_as(client, inspector) as browser:
        form = browser.get("/inspections/new")
        assert form.status_code == 200 and "检查人员名录" in form.text
        launch = {"form_key": key(1), "title": "控制台双随机抽查<script>", "kind": "random",
                  "scope": "行政执法事项", "period_start": "2026-03-01",
                  "period_end": "2026-04-30", "units": units, "team_size": "2",
                  "share_percent": "50",
                  "inspectors": f"王敏，{units[0]}\n李强 {units[1]}\n张华\n赵丽"}  # fmt: skip
        bad = submit(browser, form, "/inspections", {**launch, "period_end": "2026-01-01"})
        assert bad.status_code == 422 and "检查结束日期不能早于开始日期" in bad.text
        launched = submit(browser, form, "/inspections", launch)
        assert launched.status_code == 303, launched.text
        page = launched.headers["location"].partition("?")[0]
        shown = browser.get(launched.headers["location"])
        assert "已完成：启动督查活动" in shown.text
        assert "控制台双随机抽查&lt;script&gt;" in shown.text, "user text stays text"
        assert 'id="form-seed-commitment"' in shown.text and 'id="form-draw"' not in shown.text
        assert 'class="seed-source"' in shown.text, "the seed is hashed in the browser"
        assert "抽查规则" in shown.text and "docs/" not in shown.text
        commit = {"form_key": key(2), "commitment": commitment_of(SEED)}
        assert submit(browser, shown, f"{page}/seed-commitment", commit).status_code == 303
        waiting = browser.get(page)
        assert 'id="form-seed-commitment"' not in waiting.text
        assert 'id="form-co-seed-commitment"' not in waiting.text, "a second party's step"
    with console_as(client, leader) as browser:
        shown = browser.get(page)
        co = {"form_key": key(3), "commitment": commitment_of(CO_SEED)}
        assert submit(browser, shown, f"{page}/co-seed-commitment", co).status_code == 303
        early = submit(browser, browser.get(page), f"{page}/co-seed",
                       {"form_key": key(4), "seed": CO_SEED})  # fmt: skip
        assert early.status_code == 409 and "尚未签署检查点" in early.text, early.text
        ok(api.post("/api/v1/audit/checkpoints", None, ADMIN), 201)
        wrong = submit(browser, browser.get(page), f"{page}/co-seed",
                       {"form_key": key(5), "seed": WRONG})  # fmt: skip
        assert wrong.status_code == 422 and "种子与此前提交的承诺不符" in wrong.text
        revealed = submit(browser, browser.get(page), f"{page}/co-seed",
                          {"form_key": key(6), "seed": CO_SEED})  # fmt: skip
        assert revealed.status_code == 303, revealed.text
    with console_as(client, inspector) as browser:
        shown = browser.get(page)
        assert 'id="form-draw"' in shown.text
        short = submit(browser, shown, f"{page}/draw", {"form_key": key(70), "seed": "12345"})
        assert short.status_code == 422 and "“随机种子”不能少于 16 个字符。" in short.text
        drawn = submit(browser, shown, f"{page}/draw", {"form_key": key(7), "seed": SEED})
        assert drawn.status_code == 303, drawn.text
        shown = browser.get(page)
        assert 'id="draw-verdict"' in shown.text and "校验通过" in shown.text
        round_ = ok(api.get(f"/api/v1/inspections/{page.rpartition('/')[2]}", inspector))
        targets = [t["unit_code"] for t in round_["targets"]]
        assert len(targets) == 2
        results = {f"result-{code}": "未发现问题" for code in targets}
        conclusion = {"form_key": key(8), "summary": "抽查完毕", "concluded_on": "2026-04-30"}
        done = submit(browser, shown, f"{page}/conclusion", conclusion | results)
        assert done.status_code == 303, done.text
        final = browser.get(page)
        assert "检查结果（已公开）" in final.text and 'id="actions"' not in final.text
    concluded = ok(api.get(f"/api/v1/inspections/{round_['id']}", inspector))
    assert concluded["status"] == "concluded"
    assert sorted(r["unit_code"] for r in concluded["results"]) == sorted(targets)


def test_a_special_round_is_assigned_its_units_and_teams_in_the_console(
    api: Api, client: TestClient
) -> None:
    units = [api.unit(f"专项督查单位{n}", "department") for n in range(2)]
    inspector = api.account("inspector", name="督查员 专项")
    with console_as(client, inspector) as browser:
        launch = {"form_key": key(20), "title": "专项督查", "kind": "special",
                  "scope": "重点工作", "period_start": "2026-05-01", "period_end": "2026-05-31",
                  "units": units, "team_size": "2", "inspectors": "王敏\n周婷\n刘洋"}  # fmt: skip
        launched = submit(browser, browser.get("/inspections/new"), "/inspections", launch)
        page = launched.headers["location"].partition("?")[0]
        shown = browser.get(page)
        assert (
            'id="form-assignment"' in shown.text and 'id="form-seed-commitment"' not in shown.text
        )
        assert "抽查规则" not in shown.text, "a round not drawn at random has no draw rules"
        stranger = {"form_key": key(21), "targets": f"{units[0]}：王敏、陌生人"}
        refused = submit(browser, shown, f"{page}/assignment", stranger)
        assert refused.status_code == 422 and 'id="form-assignment"' in refused.text
        targets = f"{units[0]}：王敏、周婷\n{units[1]}:刘洋，王敏"
        done = submit(
            browser, shown, f"{page}/assignment", {"form_key": key(22), "targets": targets}
        )
        assert done.status_code == 303 and done.headers["location"].endswith("done=assignment")
        assert 'id="form-conclusion"' in browser.get(page).text
    round_ = ok(api.get(f"/api/v1/inspections/{page.rpartition('/')[2]}", inspector))
    assert round_["targets"] == [{"unit_code": units[0], "team": ["王敏", "周婷"]},
                                 {"unit_code": units[1], "team": ["刘洋", "王敏"]}]  # fmt: skip


def test_a_pool_naming_a_unit_code_nobody_has_is_refused_naming_its_line(
    api: Api, client: TestClient
) -> None:
    """The form lists the units' codes for the pool; a code no unit has is refused, its line
    named; a pool of one says how many it needs; the pool corrected, the round launches."""
    units = [api.unit(f"回避核对单位{n}", "township") for n in range(2)]
    inspector = api.account("inspector", name="督查员 回避")
    with console_as(client, inspector) as browser:
        form = browser.get("/inspections/new")
        codes = form.text.split('id="unit-codes"', 1)[1].split("</details>", 1)[0]
        assert all(f"<code>{code}</code>" in codes for code in units)
        launch = {"form_key": key(30), "title": "回避核对", "kind": "special", "scope": "专项",
                  "period_start": "2026-05-01", "period_end": "2026-05-31", "units": units,
                  "inspectors": f"王敏，{units[0]}\n张三，zzz\n周婷\n刘洋"}  # fmt: skip
        refused = submit(browser, form, "/inspections", launch)
        assert refused.status_code == 422
        assert "检查人员名录中“张三，zzz”一行：没有代码为“zzz”的单位" in refused.text
        one = submit(browser, form, "/inspections", {**launch, "inspectors": "王敏"})
        assert one.status_code == 422 and "“检查人员名录”至少填写2人。" in one.text
        pool = f"王敏，{units[0]}\n张三，{units[1]}\n周婷"
        fixed = {**launch, "form_key": key(31), "inspectors": pool}
        launched = submit(browser, form, "/inspections", fixed)
        assert launched.status_code == 303, launched.text
    rid = launched.headers["location"].partition("?")[0].rpartition("/")[2]
    kept = ok(api.get(f"/api/v1/inspections/{rid}", inspector))["inspectors"]
    assert {"name": "张三", "unit_code": units[1]} in kept
