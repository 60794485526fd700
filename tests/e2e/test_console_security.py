"""The console's doors held as the API's (issue 21): a record read in the console is in the
read-access log, a form of too many fields is a 400 page, and a session ends for every copy
of its cookie when its viewer signs out, signs out everywhere, or is revoked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.console.web import MAX_FORM_FIELDS
from tests.e2e.console import csrf_of, sign_in, submit, token_of
from tests.e2e.helpers import all_items, ok, status_when_client_leaves
from tests.support import ADMIN, Api

ACCESS_LOG = "/api/v1/audit/access-log"


@pytest.fixture
def browsers(client: TestClient) -> Iterator[tuple[TestClient, TestClient]]:
    """Two browsers of the same app, each with a cookie jar of its own."""
    with (
        TestClient(client.app, raise_server_exceptions=False) as first,
        TestClient(client.app, raise_server_exceptions=False) as second,
    ):
        yield first, second


@pytest.fixture
def case(api: Api) -> dict[str, Any]:
    """A finding, an accountability ruling on it naming a person, and an authority."""
    unit = api.unit()
    inspector = api.account("inspector")
    finding = api.finding(inspector, unit)["id"]
    body = {
        "subject": {"unit_code": unit, "person": {"name": "钱多多", "position": "副局长"}},
        "finding_ids": [finding],
        "form": "admonishment",
        "basis": "条例",
        "facts": "未按期整改",
    }
    ruling = ok(api.post("/api/v1/rulings/accountability", body, inspector), 201)["id"]
    authority = api.account("authority", name="纪委 监察员")
    return {"finding": finding, "ruling": ruling, "authority": authority}


def logged(api: Api, subject_id: str) -> list[dict[str, Any]]:
    return all_items(api, ACCESS_LOG, api.account("auditor"), subject_id=subject_id)


def copied(browser: TestClient, into: TestClient) -> None:
    """The session cookie of one browser, copied into another (as an attacker would)."""
    for cookie in browser.cookies.jar:
        into.cookies.set(cookie.name, cookie.value or "")


def test_a_ruling_read_in_the_console_is_in_the_read_access_log(
    api: Api, browsers: tuple[TestClient, TestClient], case: dict[str, Any]
) -> None:
    browser, _ = browsers
    sign_in(browser, token_of(case["authority"]))
    page = browser.get(f"/rulings/{case['ruling']}")
    assert page.status_code == 200 and "钱多多" in page.text
    (entry,) = logged(api, case["ruling"])
    assert entry["path"] == f"/rulings/{case['ruling']}"
    assert entry["subject_type"] == "ruling"
    assert entry["actor"]["name"] == "纪委 监察员" and entry["actor"]["role"] == "authority"


def test_a_finding_read_in_the_console_is_in_the_read_access_log(
    api: Api, browsers: tuple[TestClient, TestClient], case: dict[str, Any]
) -> None:
    browser, _ = browsers
    sign_in(browser, token_of(case["authority"]))
    assert browser.get(f"/findings/{case['finding']}").status_code == 200
    (entry,) = logged(api, case["finding"])
    assert entry["path"] == f"/findings/{case['finding']}"
    assert entry["subject_type"] == "finding" and entry["actor"]["role"] == "authority"


def test_a_form_of_more_fields_than_any_console_form_is_a_400_page(
    browsers: tuple[TestClient, TestClient],
) -> None:
    browser, _ = browsers
    answer = browser.post(
        "/signin",
        content="&".join(["a=1"] * (MAX_FORM_FIELDS + 1)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    assert "表单字段过多" in answer.text and '<html lang="zh-CN">' in answer.text


@pytest.mark.parametrize("escaped", ["%FF%FE", "%ED%A0%80"])  # not UTF-8; a lone surrogate
def test_a_form_whose_text_is_not_utf8_is_a_400_page_and_records_nothing(
    api: Api, browsers: tuple[TestClient, TestClient], escaped: str
) -> None:
    browser, _ = browsers
    inspector = api.account("inspector")
    finding = api.finding(inspector, api.unit())["id"]
    sign_in(browser, token_of(inspector))
    page = browser.get(f"/findings/{finding}")
    answer = browser.post(
        f"/findings/{finding}/escalation",
        content=f"csrf_token={csrf_of(page)}&reason={escaped}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400 and "不是有效的 UTF-8 文本" in answer.text
    assert ok(api.get(f"/api/v1/findings/{finding}", inspector))["version"] == 1


def test_a_copied_cookie_is_worthless_once_its_viewer_signs_out(
    browsers: tuple[TestClient, TestClient],
) -> None:
    browser, thief = browsers
    sign_in(browser, token_of(ADMIN))
    copied(browser, thief)
    assert thief.get("/findings", follow_redirects=False).status_code == 200
    page = browser.get("/")
    signed_out = submit(browser, page, "/signout", {})
    assert signed_out.status_code == 303
    after = thief.get("/findings", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/signin")


def test_signing_out_everywhere_ends_every_session_of_the_account(
    api: Api, browsers: tuple[TestClient, TestClient]
) -> None:
    office, laptop = browsers
    token = token_of(api.account("supervisor"))
    sign_in(office, token)
    sign_in(laptop, token)
    page = office.get("/")
    ended = submit(office, page, "/signout/everywhere", {})
    assert ended.status_code == 303
    for browser in (office, laptop):
        assert browser.get("/", follow_redirects=False).status_code == 303
    sign_in(laptop, token)  # a new sign-in is a new session
    assert laptop.get("/", follow_redirects=False).status_code == 200


def test_a_copied_cookie_of_a_revoked_account_is_worthless(
    api: Api, browsers: tuple[TestClient, TestClient]
) -> None:
    browser, thief = browsers
    body = {"name": "离职督查员", "role": "inspector"}
    created = ok(api.post("/api/v1/accounts", body, ADMIN), 201)
    sign_in(browser, created["token"])
    copied(browser, thief)
    assert thief.get("/findings", follow_redirects=False).status_code == 200
    revoked = api.post(f"/api/v1/accounts/{created['id']}/revocation", {"reason": "离职"}, ADMIN)
    ok(revoked)
    assert thief.get("/findings", follow_redirects=False).status_code == 303


def test_a_form_whose_browser_leaves_before_it_arrives_is_a_400_and_no_error(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Half a form, then the browser is gone: the answer nobody reads is the 400 the API gives
    the same, and nothing is logged as the service's error (it was a 500 with a traceback)."""
    caplog.set_level(logging.DEBUG)
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    assert status_when_client_leaves(client, "/signin", form, b"csrf_token=abc&tok") == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
