"""The web console in process: Chinese HTML, sign-in, CSRF, cookie flags, a unit's scope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.console import web
from tests.conftest import ADMIN_TOKEN
from tests.e2e.console import csrf_of, sign_in, submit, token_of
from tests.e2e.helpers import ok
from tests.e2e.test_authorization_matrix import concrete
from tests.security_matrix import CONSOLE
from tests.support import ADMIN, Api

SIGN_OUT = '<button type="submit" class="link">退出</button>'
VERSION = re.compile(r'name="version" value="([0-9]+)"')


@pytest.fixture
def browser(client: TestClient) -> Iterator[TestClient]:
    """A client of the same app with a cookie jar of its own (the session's `client` is
    shared by every e2e test)."""
    with TestClient(client.app, raise_server_exceptions=False) as own:
        yield own


def test_the_console_answers_html_in_chinese(browser: TestClient) -> None:
    sign_in(browser, ADMIN_TOKEN)
    response = browser.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text
    assert "督查工作总览" in response.text
    for year in ("²", "２０２６", "abc"):  # not an ASCII year: the current year's page
        assert browser.get("/", params={"year": year}).status_code == 200, year


def test_an_unauthenticated_visitor_is_sent_to_sign_in(browser: TestClient) -> None:
    response = browser.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    deep = browser.get("/findings?status=raised", follow_redirects=False)
    assert deep.headers["location"] == "/signin?next=%2Ffindings%3Fstatus%3Draised"
    page = browser.get("/signin")
    assert '<html lang="zh-CN">' in page.text and "账号令牌" in page.text


def test_a_wrong_token_is_refused_in_chinese(browser: TestClient) -> None:
    answer = submit(browser, browser.get("/signin"), "/signin", {"token": "sv_wrong"})
    assert answer.status_code == 401
    assert "令牌无效或账号已注销" in answer.text
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_httponly_and_samesite_and_secure_over_https(
    client: TestClient,
) -> None:
    with TestClient(client.app, base_url="https://console.test") as https:
        cookie = sign_in(https, ADMIN_TOKEN).headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" in cookie
    with TestClient(client.app) as plain:
        cookie = sign_in(plain, ADMIN_TOKEN).headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # a browser would drop a Secure cookie over http


def signed_in_with_a_finding(
    browser: TestClient, api: Api
) -> tuple[dict[str, str], dict[str, Any]]:
    """An inspector signed in on `browser`, and a finding they raised (its command answer)."""
    inspector = api.account("inspector")
    finding = api.finding(inspector, api.unit())
    sign_in(browser, token_of(inspector))
    return inspector, finding


def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(
    browser: TestClient, api: Api
) -> None:
    inspector, finding = signed_in_with_a_finding(browser, api)
    body = {"reason": "问题性质严重，提级督办。", "form_key": "k" * 20}
    refused = browser.post(f"/findings/{finding['id']}/escalation", data=body)
    assert refused.status_code == 403
    assert "安全校验未通过" in refused.text
    forged = browser.post(
        f"/findings/{finding['id']}/escalation", data={**body, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    after = api.get(f"/api/v1/findings/{finding['id']}", inspector).json()
    assert after["version"] == finding["version"] and after["escalations"] == 0


def test_a_form_with_the_csrf_token_runs_the_same_command_as_the_api(
    browser: TestClient, api: Api
) -> None:
    inspector = api.account("inspector", name="督查员 李强")
    finding = api.finding(inspector, api.unit())
    sign_in(browser, token_of(inspector))
    page = browser.get(f"/findings/{finding['id']}")
    fields = {
        "form_key": "order-" + "x" * 20,
        "deadline": "2026-04-05",
        "requirements": "限期整改到位。",
    }
    done = submit(browser, page, f"/findings/{finding['id']}/rectification-order", fields)
    assert done.status_code == 303
    shown = api.get(f"/api/v1/findings/{finding['id']}", inspector).json()
    assert shown["status"] == "rectifying" and shown["deadline"] == "2026-04-05"
    events = api.get(f"/api/v1/findings/{finding['id']}/events", inspector).json()["items"]
    assert events[-1]["actor"]["name"] == "督查员 李强"
    assert "2026年4月5日" in browser.get(done.headers["location"]).text


def test_a_refused_command_is_explained_in_chinese_beside_its_form(
    browser: TestClient, api: Api
) -> None:
    inspector = api.account("inspector")
    finding = api.finding(inspector, api.unit(), found_on="2026-03-05")
    sign_in(browser, token_of(inspector))
    page = browser.get(f"/findings/{finding['id']}")
    action = f"/findings/{finding['id']}/rectification-order"
    refused = submit(browser, page, action, {"deadline": "2026-03-01", "requirements": "整改"})
    assert refused.status_code == 422
    assert "期限不能早于问题的发现日期" in refused.text
    assert "Traceback" not in refused.text and "lies before" not in refused.text
    empty = submit(browser, page, action, {"deadline": "", "requirements": "整改"})
    assert empty.status_code == 422 and "“整改期限”请填写有效日期" in empty.text


def test_a_unit_account_sees_only_its_own_units_records(browser: TestClient, api: Api) -> None:
    inspector = api.account("inspector")
    own_unit, other_unit = api.unit("本单位街道"), api.unit("其他乡镇")
    own = api.finding(inspector, own_unit, title="本单位的问题")
    other = api.finding(inspector, other_unit, title="其他单位的问题")
    api.get("/api/v1/findings", inspector, min_position=other["position"])  # board caught up
    sign_in(browser, token_of(api.account("unit", own_unit)))
    listed = browser.get("/findings")
    assert "本单位的问题" in listed.text and "其他单位的问题" not in listed.text
    assert browser.get(f"/findings/{own['id']}").status_code == 200
    hidden = browser.get(f"/findings/{other['id']}")
    assert hidden.status_code == 404 and "未找到该问题，或您无权查看" in hidden.text
    assert '<html lang="zh-CN">' in hidden.text
    assert browser.get(f"/units/{other_unit}").status_code == 404
    assert browser.get("/audit").status_code == 403
    action = f"/findings/{other['id']}/rectification-report"
    refused = submit(browser, listed, action, {"summary": "越权报送"})
    assert refused.status_code == 404
    assert api.get(f"/api/v1/findings/{other['id']}", ADMIN).json()["status"] == "raised"


def test_the_api_keeps_its_bearer_tokens_and_serves_no_console(browser: TestClient) -> None:
    sign_in(browser, ADMIN_TOKEN)
    with_cookie_only = browser.get("/api/v1/findings")
    assert with_cookie_only.status_code == 401
    assert with_cookie_only.json()["error"]["code"] == "unauthorized"
    missing = browser.get("/api/v1/console", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    page_missing = browser.get("/no-such-page", headers={"Accept": "text/html"})
    assert page_missing.status_code == 404 and "页面不存在" in page_missing.text


def test_signing_out_ends_the_session(browser: TestClient) -> None:
    sign_in(browser, ADMIN_TOKEN)
    page = browser.get("/")
    out = submit(browser, page, "/signout", {})
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_form_sent_from_a_page_made_stale_by_another_change_is_refused_and_records_nothing(
    browser: TestClient, api: Api
) -> None:
    """A lost update, prevented: the page's version goes with its forms as the JSON route's
    If-Match does, so a correction typed on a page loaded before someone else's is refused."""
    inspector, finding = signed_in_with_a_finding(browser, api)
    path = f"/findings/{finding['id']}"
    stale = browser.get(path)
    version = VERSION.search(stale.text)
    assert version and int(version[1]) == finding["version"]
    ok(api.post(f"/api/v1{path}/escalation", {"reason": "另一位督查员先行提级督办。"}, inspector))
    correction = {
        "form_key": "amend-" + "s" * 20,
        "version": version[1],
        "title": "B 的标题",
        "reason": "更正标题。",
    }
    refused = submit(browser, stale, f"{path}/amendment", correction)
    assert refused.status_code == 409
    assert "该记录刚被他人更新，请刷新页面后重试。" in refused.text
    shown = api.get(f"/api/v1{path}", inspector).json()
    assert shown["title"] == "重点工作任务未按期完成"
    assert shown["version"] == finding["version"] + 1
    fresh = browser.get(path)
    now = VERSION.search(fresh.text)
    assert now and int(now[1]) == finding["version"] + 1
    again = {**correction, "form_key": "amend-" + "f" * 20, "version": now[1]}
    assert submit(browser, fresh, f"{path}/amendment", again).status_code == 303
    assert api.get(f"/api/v1{path}", inspector).json()["title"] == "B 的标题"


def test_the_correction_form_corrects_every_field_an_amendment_takes(
    browser: TestClient, api: Api
) -> None:
    """描述, 来源 and 发现日期 as well as 标题, 类别 and 严重程度: what the timeline lists as
    corrected, the form can correct."""
    inspector, finding = signed_in_with_a_finding(browser, api)
    path = f"/findings/{finding['id']}"
    page = browser.get(path)
    form = page.text.split('id="form-amendment"', 1)[1].split("</form>", 1)[0]
    for name in ("title", "description", "category", "severity", "source", "found_on"):
        assert f'name="{name}"' in form, name
    correction = {
        "form_key": "amend-" + "c" * 20,
        "description": "更正后的问题描述",
        "source": "petition",
        "found_on": "2026-03-02",
        "reason": "核实后更正",
    }
    assert submit(browser, page, f"{path}/amendment", correction).status_code == 303
    shown = ok(api.get(f"/api/v1{path}", inspector))
    assert (shown["description"], shown["source"]) == ("更正后的问题描述", "petition")
    assert shown["found_on"] == "2026-03-02"


def test_a_form_too_large_is_refused_with_a_page_in_chinese_and_records_nothing(
    browser: TestClient, api: Api
) -> None:
    inspector, finding = signed_in_with_a_finding(browser, api)
    page = browser.get(f"/findings/{finding['id']}")
    fields = {"form_key": "big-" + "x" * 20, "reason": "提级" * 400_000}  # beyond 1 MiB
    refused = submit(browser, page, f"/findings/{finding['id']}/escalation", fields)
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "提交的内容过大，请删减后重试。" in refused.text
    after = api.get(f"/api/v1/findings/{finding['id']}", inspector).json()
    assert after["version"] == finding["version"]
    api_answer = browser.post("/api/v1/units", content=b"x" * (2 * 2**20))
    assert api_answer.status_code == 413
    assert api_answer.json()["error"]["code"] == "payload_too_large", "the API answers JSON"


def test_an_error_page_keeps_the_signed_in_viewers_navigation(
    browser: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert SIGN_OUT not in browser.get("/inbox?unread=maybe").text, "nobody signed in yet"
    sign_in(browser, ADMIN_TOKEN)
    bad = browser.get("/inbox?unread=maybe")
    assert bad.status_code == 400 and "请求参数有误" in bad.text
    assert SIGN_OUT in bad.text, "the navigation of the signed-in viewer"
    missing = browser.get("/findings/x/amendment")
    assert missing.status_code == 405 and SIGN_OUT in missing.text

    def closed(*args: object) -> bool:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(web, "is_open", closed)
    with caplog.at_level("WARNING", logger="api.console.web"):
        drawn = browser.get("/no-such-page")  # no route: only the error page asks who it is
    assert drawn.status_code == 404 and "页面不存在。" in drawn.text
    assert SIGN_OUT not in drawn.text
    assert any(r.getMessage() == "error page drawn without its viewer" for r in caplog.records)


UNSENT = "登录已失效，您刚才提交的表单未能发送"
# Every console form's action a visitor without a session may post to.
FORM_ACTIONS = [path for method, path, mark in CONSOLE if method == "POST" and mark == "sign-in"]


def next_of(answer: Any) -> str:
    """Where the sign-in page a redirect sends to goes on to after signing in."""
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    assert location.path == "/signin", answer.headers["location"]
    (target,) = parse_qs(location.query)["next"]
    return target


def test_a_form_sent_after_signing_out_comes_back_to_its_page_after_signing_in(
    browser: TestClient, api: Api
) -> None:
    """Not to the form's action, which takes POST alone (a 405 page after signing in): to
    the page the form was on, saying that the form was not sent."""
    inspector, finding = signed_in_with_a_finding(browser, api)
    path = f"/findings/{finding['id']}"
    page = browser.get(path)
    assert submit(browser, page, "/signout", {}).status_code == 303
    fields = {"reason": "问题性质严重，提级督办。", "form_key": "late-" + "k" * 20}
    late = browser.post(
        f"{path}/escalation",
        data={"csrf_token": csrf_of(page), **fields},
        headers={"Referer": f"http://testserver{path}?done=amendment"},
        follow_redirects=False,
    )
    assert next_of(late) == f"{path}?unsent=1"
    assert late.headers["location"] == "/signin?next=" + quote(f"{path}?unsent=1", safe="")
    signin = browser.get(late.headers["location"])
    assert UNSENT in signin.text and f'name="next" value="{path}?unsent=1"' in signin.text
    again = {"token": token_of(inspector), "next": next_of(late)}
    signed = submit(browser, signin, "/signin", again)
    assert signed.status_code == 303 and signed.headers["location"] == f"{path}?unsent=1"
    back = browser.get(signed.headers["location"])
    assert back.status_code == 200 and UNSENT in back.text and "已完成" not in back.text
    after = api.get(f"/api/v1/findings/{finding['id']}", inspector).json()
    assert after["version"] == finding["version"] and after["escalations"] == 0
    assert UNSENT not in browser.get(path).text


def test_a_form_sent_without_a_session_goes_back_to_the_page_its_referer_names(
    browser: TestClient, api: Api
) -> None:
    inspector = api.account("inspector")
    finding = api.finding(inspector, api.unit())["id"]

    def sent_from(referer: str | None, action: str = f"/findings/{finding}/escalation") -> str:
        headers = {"Referer": referer} if referer is not None else {}
        sent = browser.post(action, data={"reason": "x"}, headers=headers, follow_redirects=False)
        return next_of(sent)

    here = "http://testserver"
    # A page of this origin, with its query (less the notice of what was done before).
    assert sent_from(f"{here}/inbox?unread=true&done=read") == "/inbox?unread=true&unsent=1"
    # A refused form's page is shown at its action: the page above it.
    assert sent_from(f"{here}/findings/{finding}/escalation") == f"/findings/{finding}?unsent=1"
    # No Referer, another origin's, one that is no page, or one that would not fit in
    # `next`: the page the action stands under.
    for referer in (
        None,
        "",
        "https://evil.example/inbox?unread=true",
        "http://evil.example/inbox",
        f"{here}//evil.example/inbox",
        f"{here}/api/v1/findings",
        f"{here}/signin?next=/inbox",
    ):
        assert sent_from(referer) == f"/findings/{finding}?unsent=1", referer
    long = sent_from(f"{here}/findings?unit_code={'x' * 600}")
    assert long == "/findings?unsent=1"
    assert sent_from(None, "/inbox/1-00000000-0000-4000-8000-000000000001/read") == (
        "/inbox?unsent=1"
    )
    assert sent_from(None, "/findings") == "/findings/new?unsent=1"  # 发现问题's form


@pytest.mark.parametrize("action", FORM_ACTIONS)
def test_no_form_sent_without_a_session_is_sent_on_to_a_path_that_takes_post_alone(
    browser: TestClient, action: str
) -> None:
    """Whatever the form, the page signing in goes on to answers GET (here, without a
    session: the sign-in redirect, never a 405); a new record's form is its own page."""
    sent = concrete(action).replace("{action}", "withdrawal")
    target = next_of(browser.post(sent, data={"csrf_token": "x"}, follow_redirects=False))
    assert target.endswith("?unsent=1") and urlsplit(target).path != sent
    again = browser.get(target, follow_redirects=False)
    assert again.status_code == 303 and next_of(again) == target


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "http:/x", ""]
)
def test_signing_in_goes_on_to_no_other_site(browser: TestClient, target: str) -> None:
    page = browser.get("/signin", params={"next": target})
    assert 'name="next" value="/"' in page.text
    signed = submit(browser, page, "/signin", {"token": ADMIN_TOKEN, "next": target})
    assert signed.status_code == 303 and signed.headers["location"] == "/"


PASSED_ON = "已转办，不再由本单位办理"


def test_a_units_ruling_and_history_no_longer_link_a_finding_passed_to_another_unit(
    browser: TestClient, api: Api
) -> None:
    """转办: the first unit keeps its ruling on the finding and its history lines of it, but
    the finding's page answers it 404 now: they name the finding without a link; the finding
    that stays is linked."""
    inspector = api.account("inspector")
    first, second = api.unit("县市场监管局"), api.unit("县商务局")
    liaison = api.account("unit", first)
    passed = api.finding(inspector, first, title="农贸市场秤具未检定")["id"]
    kept = api.finding(inspector, first, title="食品抽检不合格未处置")["id"]
    ruling = api.accountability(inspector, first, [passed, kept])["id"]
    ok(api.post(f"/api/v1/findings/{passed}/rectification-order",
                {"deadline": "2099-06-30", "requirements": "整改"}, inspector))  # fmt: skip
    ok(api.post(f"/api/v1/findings/{passed}/dispute", {"reason": "不属本单位"}, liaison))
    body = {"to_unit": second, "reason": "职责调整"}
    at = ok(api.post(f"/api/v1/findings/{passed}/reassignment", body, inspector))["position"]
    ok(api.get("/api/v1/findings", inspector, min_position=at))  # the board has it
    ok(api.get(f"/api/v1/units/{first}/history", inspector, min_position=at))
    sign_in(browser, token_of(liaison))
    assert browser.get(f"/findings/{passed}").status_code == 404
    page = browser.get(f"/rulings/{ruling}")
    assert page.status_code == 200
    assert f'href="/findings/{passed}"' not in page.text and PASSED_ON in page.text
    assert f'<a href="/findings/{kept}">查看关联问题 2</a>' in page.text
    history = browser.get(f"/units/{first}")
    assert history.status_code == 200 and "农贸市场秤具未检定" in history.text
    assert f'href="/findings/{passed}"' not in history.text
    assert f'href="/findings/{kept}"' in history.text
    sign_in(browser, token_of(inspector))  # any other role opens every finding
    for path in (f"/rulings/{ruling}", f"/units/{first}"):
        shown = browser.get(path)
        assert f'href="/findings/{passed}"' in shown.text and PASSED_ON not in shown.text
