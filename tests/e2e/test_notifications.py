"""消息中心 (issue 15 item 7): the loop's steps tell the accounts concerned, each in their inbox
with an unread count; a reader marks them read; channel settings are each account's own;
a unit sees its own notifications only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.console import inbox_pages
from tests.e2e.console import console_as, sign_in, submit
from tests.e2e.helpers import assert_error, command, ok, order, report
from tests.support import ADMIN, ADMIN_TOKEN, Api, account_fixture

inspector = account_fixture("inspector", "督查员 陈静")
supervisor = account_fixture("supervisor", "督查室主任 周红")
LATER = "2099-06-30"  # (2099年6月30日)


def inbox(api: Api, who: dict[str, str], after: dict[str, Any], **params: Any) -> dict[str, Any]:
    """The inbox once the notifications have caught up with the command answered `after`."""
    return ok(api.get("/api/v1/inbox", who, min_position=after["position"], **params))


def kinds(page: dict[str, Any]) -> list[str]:
    return [item["kind"] for item in page["items"]]


@pytest.fixture
def unit(api: Api) -> str:
    return api.unit("县住建局")


def test_an_order_reaches_the_units_liaisons_and_no_one_else(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    liaison, colleague = api.account("unit", unit), api.account("unit", unit)
    stranger = api.account("unit", api.unit("县交通局"))
    fid = api.finding(inspector, unit, title="老旧小区改造<b>滞后</b>")["id"]
    answer = order(api, inspector, fid, deadline=LATER)
    for who in (liaison, colleague):
        page = inbox(api, who, answer)
        assert kinds(page) == ["order"] and page["unread"] == 1
        (item,) = page["items"]
        assert item["subject"] == "【交办通知】老旧小区改造<b>滞后</b>"
        assert "2099年6月30日前完成整改" in item["body"]
        assert item["finding_id"] == fid and item["read_at"] is None
        assert set(item) == {"id", "finding_id", "kind", "subject", "body", "created_at", "read_at"}
    assert inbox(api, stranger, answer) == {"items": [], "unread": 0, "next_cursor": None}
    assert inbox(api, inspector, answer)["unread"] == 0


def test_marking_read_counts_down_once_and_only_for_the_owner(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    liaison, colleague = api.account("unit", unit), api.account("unit", unit)
    fid = api.finding(inspector, unit)["id"]
    answer = order(api, inspector, fid)
    (item,) = inbox(api, liaison, answer)["items"]
    path = f"/api/v1/inbox/{item['id']}/read"
    assert ok(api.post(path, None, liaison)) == {"id": item["id"], "unread": 0}
    assert ok(api.post(path, None, liaison)) == {"id": item["id"], "unread": 0}
    assert inbox(api, liaison, answer, unread=True)["items"] == []
    (read,) = inbox(api, liaison, answer)["items"]
    assert read["read_at"] is not None
    assert_error(api.post(path, None, colleague), 404, "not_found")
    assert inbox(api, colleague, answer)["unread"] == 1
    assert_error(api.post("/api/v1/inbox/not-an-id/read", None, liaison), 404, "not_found")


def test_disputes_and_applications_reach_the_inspector_and_the_supervisors(
    api: Api, inspector: dict[str, str], supervisor: dict[str, str], unit: str
) -> None:
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid, deadline=LATER)
    disputed = ok(command(api, fid, "dispute", {"reason": "不属本单位职责"}, liaison))
    assert "dispute" in kinds(inbox(api, inspector, disputed))
    rejected = ok(command(api, fid, "dispute-rejection", {"reason": "属于本单位"}, inspector))
    told = inbox(api, liaison, rejected)["items"][0]  # the unit learns why, and to sign
    assert told["kind"] == "dispute_rejected"
    assert told["subject"].startswith("【退办不予认可】")
    assert told["body"] == "退办申请不予认可，原交办事项由本单位办理，请尽快签收。理由：属于本单位"
    ok(command(api, fid, "acknowledgement", {"note": "已签收"}, liaison))
    body = {"new_deadline": "2099-09-30", "reason": "需要更多时间"}
    ok(command(api, fid, "extension-application", body, liaison))
    forwarded = ok(
        command(
            api, fid, "extension-review", {"outcome": "forwarded", "comment": "属实"}, inspector
        )
    )
    assert kinds(inbox(api, supervisor, forwarded))[0] == "extension_review"
    decided = ok(
        command(
            api, fid, "extension-decision", {"outcome": "approved", "reason": "同意"}, supervisor
        )
    )
    for who in (liaison, inspector):
        latest = inbox(api, who, decided)["items"][0]
        assert latest["kind"] == "extension_decision"
        assert latest["body"] == "延期申请批准延期，新的整改期限：2099年9月30日。理由：同意"


def test_a_review_of_an_application_names_the_day_asked_for_the_reason_and_the_comment(
    api: Api, inspector: dict[str, str], supervisor: dict[str, str], unit: str
) -> None:
    """Refused, the unit is told why; forwarded, the supervisors are told what they decide:
    each notice names the day asked for and the reason given, then the inspector's comment."""
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid, deadline=LATER)
    ok(command(api, fid, "acknowledgement", {"note": "已签收"}, liaison))
    asked = {"new_deadline": "2099-09-30", "reason": "汛期<施工>受阻"}
    ok(command(api, fid, "extension-application", asked, liaison))
    review = {"outcome": "refused", "comment": "不同意：已延过一次"}
    refused = ok(command(api, fid, "extension-review", review, inspector))
    told = inbox(api, liaison, refused)["items"][0]
    assert (told["kind"], told["body"]) == (
        "extension_review",
        "延期申请初审不通过（退回）。申请延期至2099年9月30日（理由：汛期<施工>受阻）。"
        "初审意见：不同意：已延过一次",
    )
    again = {"new_deadline": "2099-08-31", "reason": "材料待批"}
    ok(command(api, fid, "extension-application", again, liaison))
    review = {"outcome": "forwarded", "comment": "情况属实"}
    forwarded = ok(command(api, fid, "extension-review", review, inspector))
    told = inbox(api, supervisor, forwarded)["items"][0]
    assert told["body"] == (
        "延期申请初审通过，报请审批。申请延期至2099年8月31日（理由：材料待批）。初审意见：情况属实"
    )


def test_a_split_tells_the_successor_of_a_finding_not_yet_ordered_without_asking_it_to_sign(
    api: Api, inspector: dict[str, str]
) -> None:
    """分设: a finding still raised (登记, no order given) has nothing for the successor to
    sign for: its liaisons are told it is theirs now, and then of the order when it comes;
    one whose order awaits signing is told to sign for it as on a 转办; one whose report
    awaits 验收 is told so."""
    old, successor = api.unit("县农林局（分设前）"), api.unit("县农业农村局")
    liaison = api.account("unit", successor)
    raised = api.finding(inspector, old, title="秸秆禁烧巡查缺位")["id"]
    ordered = api.finding(inspector, old, title="农机补贴兑付滞后")["id"]
    order(api, inspector, ordered, deadline=LATER)
    reported = api.finding(inspector, old, title="畜禽养殖污染整治")["id"]
    order(api, inspector, reported, deadline=LATER)
    report(api, api.account("unit", old), reported)
    body = {"into": [successor, api.unit("县林业局")], "reason": "机构改革：农林职责分设",
            "effective_on": "2026-06-01", "default_unit": successor}  # fmt: skip
    split = ok(api.post(f"/api/v1/units/{old}/split", body, ADMIN))
    told = {i["subject"]: (i["kind"], i["body"]) for i in inbox(api, liaison, split)["items"]}
    assert told == {
        "【转办通知】秸秆禁烧巡查缺位": (
            "reassigned",
            "因原责任单位分设，该问题已转由本单位负责，尚未交办整改，交办时另行通知。",
        ),
        "【转办通知】农机补贴兑付滞后": ("reassigned", "已转办至本单位，请签收办理。"),
        "【转办通知】畜禽养殖污染整治": (
            "reassigned",
            "因原责任单位分设，该问题已转由本单位负责，整改情况已报送、待督查验收，验收结果另行通知。",
        ),
    }
    sent_back = {"outcome": "rejected", "comment": "整改不到位", "new_deadline": LATER}
    answer = ok(command(api, reported, "verification", sent_back, inspector))
    latest = inbox(api, liaison, answer)["items"][0]
    assert latest["body"] == "验收不通过（退回整改）：整改不到位（新的整改期限：2099年6月30日）"
    answer = order(api, inspector, raised, deadline=LATER)
    latest = inbox(api, liaison, answer)["items"][0]
    assert (latest["kind"], latest["body"]) == (
        "order",
        "已交办，请签收并于2099年6月30日前完成整改。",
    )


def test_a_finding_shows_who_was_told_and_only_to_those_who_may_read_it(
    api: Api, inspector: dict[str, str], unit: str
) -> None:
    liaison = api.account("unit", unit)
    stranger = api.account("unit", api.unit("县林业局"))
    fid = api.finding(inspector, unit)["id"]
    answer = order(api, inspector, fid)
    path = f"/api/v1/findings/{fid}/notifications"
    told = ok(api.get(path, liaison, min_position=answer["position"]))["items"]
    assert [(n["kind"], n["deliveries"]) for n in told] == [("order", [])]
    assert_error(api.get(path, stranger), 404)


def test_channel_settings_are_each_accounts_own_and_bad_ones_change_nothing(
    api: Api, unit: str
) -> None:
    liaison, other = api.account("unit", unit), api.account("unit", unit)
    path = "/api/v1/notification-settings"
    assert ok(api.get(path, liaison)) == {"email": None, "webhook_url": None}
    mine = {"email": "lianluoyuan@zjj.gov.cn", "webhook_url": "https://robot.example/send?t=1"}
    assert ok(api.client.put(path, json=mine, headers=liaison)) == mine
    unusable = (
        {"email": "not an address"},
        {"webhook_url": "ftp://x"},
        {"email": "a@b." * 80},
        {"email": "a\u0000b@zjj.gov.cn"},  # a NUL, which the database could not hold
        {"email": "a\u001cb@zjj.gov.cn"},  # a control character the mail library refuses
        {"webhook_url": "http://[::1/x"},  # no URL at all
        {"webhook_url": "http://a..b/robot"},  # a host no resolver takes
        {"webhook_url": "https://robot.example/\u0000"},
        {"webhook_url": "http://" + "a" * 64 + ".com/"},  # a label a resolver never takes
        {"webhook_url": "http://" + "abcdefghi." * 26 + "cn/"},  # a host over 253
        {"webhook_url": "https://robot.example:99999/send"},  # no such port
        {"email": "a@例子.中国"},  # a domain not in its xn-- form: no mail server takes it
        {"email": "a@" + "b" * 64 + ".cn"},
    )
    for bad in unusable:
        assert_error(api.client.put(path, json=bad, headers=liaison), 422, "validation_error")
    assert ok(api.get(path, liaison)) == mine
    # A field left out is kept; null stops the channel.
    moved = {"email": "new@zjj.gov.cn", "webhook_url": mine["webhook_url"]}
    assert ok(api.client.put(path, json={"email": moved["email"]}, headers=liaison)) == moved
    assert ok(api.get(path, liaison)) == moved
    mail_only = {"email": moved["email"], "webhook_url": None}
    assert ok(api.client.put(path, json={"webhook_url": None}, headers=liaison)) == mail_only
    assert ok(api.get(path, other)) == {"email": None, "webhook_url": None}
    cleared = {"email": None, "webhook_url": None}
    assert ok(api.client.put(path, json=cleared, headers=liaison)) == cleared


def test_the_bootstrap_administrator_has_no_inbox(api: Api) -> None:
    assert_error(api.get("/api/v1/inbox", ADMIN), 409, "no_account")
    assert_error(api.get("/api/v1/notification-settings", ADMIN), 409, "no_account")


def test_only_administrators_list_deliveries(api: Api, inspector: dict[str, str]) -> None:
    assert_error(api.get("/api/v1/deliveries", inspector), 403)
    assert ok(api.get("/api/v1/deliveries", ADMIN, status="failed"))["items"] is not None
    assert_error(api.get("/api/v1/deliveries", ADMIN, status="lost"), 422)


def test_the_console_inbox_lists_counts_and_marks_read_with_user_text_as_text(
    api: Api, client: TestClient, inspector: dict[str, str], unit: str
) -> None:
    liaison = api.account("unit", unit)
    fid = api.finding(inspector, unit, title="<script>alert(1)</script>整改")["id"]
    answer = order(api, inspector, fid)
    (item,) = inbox(api, liaison, answer)["items"]  # the notification is there
    with console_as(client, liaison) as browser:
        page = browser.get("/inbox")
        assert page.status_code == 200 and "消息中心" in page.text
        assert '<span class="badge red" title="未读消息">1</span>' in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;整改" in page.text
        assert "<script>alert(1)" not in page.text
        marked = submit(browser, page, f"/inbox/{item['id']}/read", {})
        assert marked.status_code == 303 and marked.headers["location"] == "/inbox?done=read"
        after = browser.get("/inbox?done=read")
        assert "已完成：标为已读" in after.text and 'title="未读消息"' not in after.text
        assert "暂无消息" in browser.get("/inbox?unread=true").text
        again = submit(browser, page, f"/inbox/{item['id']}/read", {})
        assert again.status_code == 303  # (already read: nothing changes)
        unknown = "/inbox/1-00000000-0000-0000-0000-000000000000/read"
        stranger = submit(browser, page, unknown, {})
        assert stranger.status_code == 404 and "没有这条消息" in stranger.text


def test_the_console_inbox_pages_back_to_older_notices_which_can_be_marked_read_there(
    api: Api,
    client: TestClient,
    inspector: dict[str, str],
    unit: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past a page of notices, 「更早的消息」 shows the older ones (the API's cursor); one
    marked read there is counted down, and the page it was marked on comes back."""
    monkeypatch.setattr(inbox_pages, "SHOWN", 2)
    liaison = api.account("unit", unit)
    for title in ("最早的问题", "第二个问题", "最新的问题"):
        answer = order(api, inspector, api.finding(inspector, unit, title=title)["id"])
    oldest = inbox(api, liaison, answer)["items"][-1]
    with console_as(client, liaison) as browser:
        first = browser.get("/inbox")
        assert "最新的问题" in first.text and "最早的问题" not in first.text
        older = re.search(r'href="(/inbox\?cursor=[^"]+)">更早的消息</a>', first.text)
        assert older is not None
        page = browser.get(older[1].replace("&amp;", "&"))
        assert "最早的问题" in page.text and "第二个问题" not in page.text
        assert "更早的消息" not in page.text  # nothing older
        hidden = re.search(r'name="cursor" value="([^"]+)"', page.text)  # the form's own
        assert hidden is not None
        marked = submit(browser, page, f"/inbox/{oldest['id']}/read", {"cursor": hidden[1]})
        assert marked.status_code == 303
        assert marked.headers["location"] == older[1].replace("/inbox?", "/inbox?done=read&")
        back = browser.get(marked.headers["location"])
        assert "最早的问题" in back.text and '<strong id="unread">2</strong>' in back.text
        unread = browser.get("/inbox?unread=true")
        assert "最早的问题" not in unread.text and "更早的消息" not in unread.text  # one page
        newest = inbox(api, liaison, answer)["items"][0]
        assert 'name="unread" value="true"' in unread.text
        marked = submit(browser, unread, f"/inbox/{newest['id']}/read", {"unread": "true"})
        assert marked.headers["location"] == "/inbox?done=read&unread=true"
        forged = submit(browser, page, f"/inbox/{oldest['id']}/read", {"cursor": "\r\nX: y"})
        assert forged.headers["location"] == "/inbox?done=read"  # not ours: the first page
        assert browser.get("/inbox?cursor=not-a-cursor").status_code == 400


def test_the_bootstrap_administrator_has_no_console_inbox(client: TestClient) -> None:
    with TestClient(client.app, raise_server_exceptions=False) as browser:
        sign_in(browser, ADMIN_TOKEN)
        assert 'href="/inbox"' not in browser.get("/").text
        page = browser.get("/inbox")
        assert page.status_code == 409 and "不接收消息" in page.text


def test_a_reopened_finding_and_a_merged_units_findings_reach_the_liaisons_answering_now(
    api: Api, inspector: dict[str, str]
) -> None:
    merged, successor = api.unit("城关镇"), api.unit("城关街道")
    heir = api.account("unit", successor)
    fid = api.finding(inspector, merged)["id"]
    order(api, inspector, fid, deadline=LATER)
    body = {"into": successor, "reason": "撤镇设街道", "effective_on": "2026-03-10"}
    ok(api.post(f"/api/v1/units/{merged}/merger", body, ADMIN))
    ok(command(api, fid, "rectification-report", {"summary": "已整改", "evidence": []}, inspector))
    verified = {"outcome": "accepted", "comment": "同意销号"}
    ok(command(api, fid, "verification", verified, inspector))
    reopened = ok(command(api, fid, "reopening", {"reason": "群众再次反映"}, inspector))
    told = inbox(api, heir, reopened)["items"]
    assert [n["kind"] for n in told] == ["reopened", "verification"]
    assert "回头看发现问题反弹，已重新交办。原因：群众再次反映" in told[0]["body"]


def inbox_links(browser: TestClient, fid: str) -> tuple[int, int, str]:
    """How many of the console inbox's notices of the finding `fid` link to its page, how
    many do not, and the page."""
    page = browser.get("/inbox")
    assert page.status_code == 200, page.text
    notices = re.findall(r'<li class="card[^"]*">.*?</li>', page.text, flags=re.S)
    linked = sum(f'href="/findings/{fid}"' in n for n in notices)
    passed_on = sum("已转办，不再由本单位办理" in n for n in notices)
    return linked, passed_on, page.text


def test_a_notice_of_a_finding_passed_to_another_unit_no_longer_links_to_it(
    api: Api, client: TestClient, inspector: dict[str, str]
) -> None:
    """转办: the first unit's 交办通知 stays in its inbox, but the finding's page is no longer
    there for it (404): the notice is shown without the link, saying why; the new unit's
    notices link to it."""
    first, second = api.unit("县水利局"), api.unit("县自然资源局")
    was, now = api.account("unit", first), api.account("unit", second)
    fid = api.finding(inspector, first, title="河道采砂<监管>缺位")["id"]
    order(api, inspector, fid, deadline=LATER)
    ok(command(api, fid, "dispute", {"reason": "不属本单位职责"}, was))
    passed = ok(command(api, fid, "reassignment", {"to_unit": second, "reason": "职责"}, inspector))
    inbox(api, was, passed)
    assert kinds(inbox(api, now, passed)) == ["reassigned"]
    with console_as(client, was) as browser:
        linked, passed_on, page = inbox_links(browser, fid)
        assert (linked, passed_on) == (0, 1)
        assert "【交办通知】河道采砂&lt;监管&gt;缺位" in page
        assert browser.get(f"/findings/{fid}").status_code == 404  # as the notice says
    with console_as(client, now) as browser:
        assert inbox_links(browser, fid)[:2] == (1, 0)
        assert browser.get(f"/findings/{fid}").status_code == 200


def test_a_split_or_a_merger_leaves_a_link_in_an_inbox_only_where_the_finding_is_seen(
    api: Api, client: TestClient, inspector: dict[str, str]
) -> None:
    """分设 passes a unit's open findings to its successors (转隶): its liaisons' notices of
    them no longer link. A merger keeps them the merged unit's as well as its successor's:
    both links stay."""
    split, heir = api.unit("县文广局（分设前）"), api.unit("县文化和旅游局")
    liaison, successor = api.account("unit", split), api.account("unit", heir)
    fid = api.finding(inspector, split, title="文物保护单位巡查不到位")["id"]
    order(api, inspector, fid, deadline=LATER)
    body = {"into": [heir, api.unit("县广电中心")], "reason": "机构改革",
            "effective_on": "2026-06-01", "default_unit": heir}  # fmt: skip
    done = ok(api.post(f"/api/v1/units/{split}/split", body, ADMIN))
    inbox(api, liaison, done), inbox(api, successor, done)
    with console_as(client, liaison) as browser:
        assert inbox_links(browser, fid)[:2] == (0, 1)
    with console_as(client, successor) as browser:
        assert inbox_links(browser, fid)[:2] == (1, 0)
    merged, into = api.unit("城南镇"), api.unit("城南街道")
    was, now = api.account("unit", merged), api.account("unit", into)
    kept = api.finding(inspector, merged, title="集镇污水管网未接通")["id"]
    order(api, inspector, kept, deadline=LATER)
    body = {"into": into, "reason": "撤镇设街道", "effective_on": "2026-03-10"}
    ok(api.post(f"/api/v1/units/{merged}/merger", body, ADMIN))
    asked = {"new_deadline": "2099-09-30", "reason": "汛期"}
    ok(command(api, kept, "extension-application", asked, now))
    review = {"outcome": "refused", "comment": "理由不足"}
    told = ok(command(api, kept, "extension-review", review, inspector))
    assert kinds(inbox(api, was, told)) == ["order"]
    assert kinds(inbox(api, now, told)) == ["extension_review"]
    for who in (was, now):
        with console_as(client, who) as browser:
            assert inbox_links(browser, kept)[:2] == (1, 0)
            assert browser.get(f"/findings/{kept}").status_code == 200
