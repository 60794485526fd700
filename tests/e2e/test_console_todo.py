"""The home page's 我的待办 (issue 15 item 8): a liaison sees the orders to sign for, reports sent
back and deadlines of their unit; an inspector the findings to order, the reports to check,
the disputes and applications to review; a supervisor the applications to decide; and a
finding's page shows who was told what and how each delivery stands."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.console.queries import todo
from api.runtime.bootstrap import Services
from domain import clock
from infra.outbox import Outbox, set_channel_settings
from tests.e2e.console import console_as
from tests.e2e.helpers import board, command, ok, order, report
from tests.e2e.test_notifications import inbox
from tests.support import Api, account_fixture

inspector = account_fixture("inspector", "督查员 陈静")
supervisor = account_fixture("supervisor", "督查室主任 周红")
SOON = (clock.today() + timedelta(days=7)).isoformat()
LATER = (clock.today() + timedelta(days=40)).isoformat()


def todo_of(api: Api, client: TestClient, who: dict[str, str], position: int) -> str:
    """The 我的待办 of `who`'s home page once the finding board has `position`: the console
    waits for its own session's writes only (ADR 009), and these were made over the API by
    other accounts, so `who` first asks the API board at that position, as the contract has
    it."""
    board(api, who, position)
    with console_as(client, who) as browser:
        page = browser.get("/")
        assert page.status_code == 200
        return page.text.split('id="todo"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def unit(api: Api) -> str:
    return api.unit("县卫健局", "department")


def test_each_role_sees_what_waits_on_it_and_it_leaves_once_answered(
    api: Api,
    client: TestClient,
    inspector: dict[str, str],
    supervisor: dict[str, str],
    unit: str,
) -> None:
    liaison = api.account("unit", unit)
    signed = api.finding(
        inspector, unit, title="医疗废物处置不规范", found_on=clock.today().isoformat()
    )
    disputed = api.finding(
        inspector, unit, title="村卫生室药品过期", found_on=clock.today().isoformat()
    )
    order(api, inspector, signed["id"], deadline=SOON)
    at = order(api, inspector, disputed["id"], deadline=LATER)["position"]
    mine = todo_of(api, client, liaison, at)
    assert (
        "待签收的交办事项" in mine and "医疗废物处置不规范" in mine and "村卫生室药品过期" in mine
    )
    assert "临近整改期限" in mine

    ok(command(api, signed["id"], "acknowledgement", {}, liaison))
    ok(command(api, disputed["id"], "dispute", {"reason": "属乡镇职责"}, liaison))
    body = {"new_deadline": LATER, "reason": "设备采购周期长"}
    at = ok(command(api, signed["id"], "extension-application", body, liaison))["position"]
    mine = todo_of(api, client, liaison, at)
    assert "待签收的交办事项" not in mine and "医疗废物处置不规范" in mine  # still due soon
    theirs = todo_of(api, client, inspector, at)
    assert "待处理的退办申请" in theirs and "村卫生室药品过期" in theirs
    assert "待初审的延期申请" in theirs and "医疗废物处置不规范" in theirs
    assert "医疗废物处置不规范" not in todo_of(api, client, supervisor, at)  # not forwarded yet

    review = {"outcome": "forwarded", "comment": "属实"}
    at = ok(command(api, signed["id"], "extension-review", review, inspector))["position"]
    decide = todo_of(api, client, supervisor, at)
    assert "待审批的延期申请" in decide and "医疗废物处置不规范" in decide
    approve = {"outcome": "approved", "reason": "同意"}
    at = ok(command(api, signed["id"], "extension-decision", approve, supervisor))["position"]
    assert "医疗废物处置不规范" not in todo_of(api, client, supervisor, at)  # decided
    assert "医疗废物处置不规范" not in todo_of(api, client, liaison, at)  # its deadline is far now


def test_an_inspector_is_asked_to_order_raised_findings_and_to_check_reports(
    api: Api, client: TestClient, inspector: dict[str, str], unit: str
) -> None:
    liaison = api.account("unit", unit)
    today = clock.today().isoformat()
    raised = api.finding(inspector, unit, title="食堂卫生许可过期", found_on=today)
    reported = api.finding(inspector, unit, title="发热门诊标识缺失", found_on=today)
    order(api, inspector, reported["id"], deadline=LATER)
    ok(command(api, reported["id"], "acknowledgement", {}, liaison))
    at = report(api, liaison, reported["id"])["position"]
    theirs = todo_of(api, client, inspector, at)
    to_order = theirs.split("待下达整改的问题", 1)[1].split("</ul>", 1)[0]
    to_check = theirs.split("待验收的整改报告", 1)[1].split("</ul>", 1)[0]
    assert f'/findings/{raised["id"]}"' in to_order and reported["id"] not in to_order
    assert f'/findings/{reported["id"]}"' in to_check and raised["id"] not in to_check
    mine = todo_of(api, client, liaison, at)  # nothing of either waits on the unit
    assert raised["id"] not in mine and reported["id"] not in mine

    at = order(api, inspector, raised["id"], deadline=LATER)["position"]
    verdict = {"outcome": "accepted", "comment": "整改到位"}
    at = ok(command(api, reported["id"], "verification", verdict, inspector))["position"]
    theirs = todo_of(api, client, inspector, at)
    assert raised["id"] not in theirs and reported["id"] not in theirs


def test_one_kind_of_wait_never_crowds_another_out_of_the_todo(
    api: Api, shared_services: Services, inspector: dict[str, str], unit: str
) -> None:
    """Each section is asked on its own: findings waiting on the unit, deadline first, take
    none of the places of a raised finding waiting on the inspector (which has no deadline)."""
    today = clock.today().isoformat()
    waiting_on_unit = api.finding(inspector, unit, title="病历书写不规范", found_on=today)
    order(api, inspector, waiting_on_unit["id"], deadline=SOON)
    raised = api.finding(inspector, unit, title="急救车辆配置不足", found_on=today)
    board(api, inspector, raised["position"])
    sections = dict(todo(shared_services.board, "inspector", clock.today(), (unit,), limit=1))
    assert [f["id"] for f in sections["待下达整改的问题"]] == [UUID(raised["id"])]
    assert "待验收的整改报告" not in sections


def test_an_application_of_a_unit_the_finding_left_leaves_the_supervisors_todo(
    api: Api,
    client: TestClient,
    inspector: dict[str, str],
    supervisor: dict[str, str],
    unit: str,
) -> None:
    """The unit asked for more time, then disputed the order, and the finding went to another
    unit (转办): the application lapses, and no one is asked to decide it any more."""
    liaison = api.account("unit", unit)
    title = "污水处理站超标排放"
    fid = api.finding(inspector, unit, title=title, found_on=clock.today().isoformat())["id"]
    order(api, inspector, fid, deadline=SOON)
    body = {"new_deadline": LATER, "reason": "设备检修"}
    ok(command(api, fid, "extension-application", body, liaison))
    review = {"outcome": "forwarded", "comment": "属实"}
    at = ok(command(api, fid, "extension-review", review, inspector))["position"]
    assert title in todo_of(api, client, supervisor, at)
    ok(command(api, fid, "dispute", {"reason": "属乡镇职责"}, liaison))
    other = api.unit("县生态环境分局", "agency")
    passed = {"to_unit": other, "reason": "职责调整"}
    at = ok(command(api, fid, "reassignment", passed, inspector))["position"]
    assert title not in todo_of(api, client, supervisor, at)


def test_a_findings_page_shows_the_notifications_and_their_deliveries(
    api: Api,
    client: TestClient,
    shared_services: Services,
    inspector: dict[str, str],
    unit: str,
) -> None:
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit, title="公共卫生间保洁不到位")["id"]
    answer = order(api, inspector, fid)
    (item,) = inbox(api, liaison, answer)["items"]
    account = item["id"].split("-", 1)[1]  # a notification's id: <position>-<account id>
    set_channel_settings(shared_services.database, account, "weijian@example.gov.cn", None)
    Outbox(shared_services.database, {}).take_up()  # no mail server: the e-mail waits
    with console_as(client, inspector) as browser:
        page = browser.get(f"/findings/{fid}")
    told = page.text.split('id="notifications"', 1)[1].split("</table>", 1)[0]
    assert "交办通知" in told and "消息中心：已送达" in told and "邮件：待发送" in told
    assert item["kind"] == "order"
