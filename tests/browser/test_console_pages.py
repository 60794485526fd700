"""The console in a real browser: a finding carried from raised to closed by an inspector and
a unit, a unit kept out of another unit's finding, and a screenshot of every page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid5

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from api.cli.demo import DEMO_NAMESPACE
from api.cli.demo_data import REFORM_ON
from domain.clock import today
from projections.paging import MAX_LIMIT
from tests.browser.conftest import DESKTOP, PHONE, Service

INSPECTOR = "督查员 王敏"
UNIT = "南明街道 联络员"  # the liaison of 南明街道 (nmjd)
AUDITOR = "县审计局 审计员"
OTHER_UNITS_FINDING = uuid5(DEMO_NAMESPACE, "f01")  # 县发改局's


class Session:
    """One browser context signed in as one account; it remembers every script error."""

    def __init__(self, browser: Browser, service: Service, viewport: ViewportSize) -> None:
        self.context = browser.new_context(
            base_url=service.url,
            viewport=viewport,
            locale="zh-CN",
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def sign_in(self, token: str) -> Page:
        self.page.goto("/")
        expect(self.page).to_have_url(re.compile(r"/signin$"))
        self.page.get_by_label("账号令牌").fill(token)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_role("heading", name="督查工作总览")).to_be_visible()
        return self.page


@pytest.fixture
def sessions(browser: Browser, service: Service) -> Iterator[Any]:
    opened: list[Session] = []

    def open_as(account: str | None, viewport: ViewportSize = DESKTOP) -> Session:
        session = Session(browser, service, viewport)
        if account is not None:
            session.sign_in(service.tokens[account])
        opened.append(session)
        return session

    yield open_as
    for session in opened:
        session.context.close()
    # Chromium logs every 4xx answer as a failed resource (the tests check those statuses
    # themselves); anything else, a script error or a blocked script or style, is a fault.
    errors = [e for s in opened for e in s.errors if not e.startswith("Failed to load resource")]
    assert not errors, errors


def status_of(page: Page) -> str:
    return page.locator("#finding-status").inner_text()


def raised_in_console(
    inspector: Page, title: str, description: str, severity: str = "major"
) -> str:
    """发现问题 in the console's form, for 南明街道 from a random inspection; its page's URL."""
    inspector.goto("/findings/new")
    inspector.get_by_label("责任单位").select_option(label="南明街道（街道）")
    inspector.get_by_label("问题标题").fill(title)
    inspector.get_by_label("问题描述").fill(description)
    inspector.get_by_label("问题类别").select_option("service_quality")
    inspector.get_by_label("严重程度").select_option(severity)
    inspector.get_by_label("问题来源").select_option("random_inspection")
    inspector.get_by_role("button", name="登记").click()
    expect(inspector.get_by_role("heading", name=title)).to_be_visible()
    return inspector.url.split("?")[0]


def test_a_finding_goes_from_raised_to_closed_through_the_console(sessions: Any) -> None:
    inspector = sessions(INSPECTOR).page
    title = f"便民服务窗口午间无人值守（{uuid.uuid4().hex[:6]}）"
    description = "暗访发现便民服务中心午间窗口无人值守，群众等候超过半小时。"
    finding_url = raised_in_console(inspector, title, description, "minor")
    assert status_of(inspector) == "已发现"

    order = inspector.locator("#form-rectification-order")
    order.get_by_label("整改期限").fill((today() + timedelta(days=10)).isoformat())
    order.get_by_label("整改要求").fill("落实午间轮岗值守制度，十日内报送整改情况。")
    order.get_by_role("button", name="下达整改").click()
    expect(inspector.locator("#finding-status")).to_have_text("整改中")
    expect(inspector.locator(".badge.blue").first).to_be_visible()  # 蓝: the deadline is near

    unit = sessions(UNIT).page
    unit.goto(finding_url)
    assert unit.locator("#form-verification").count() == 0  # a unit does not verify
    report = unit.locator("#form-rectification-report")
    report.get_by_label("整改情况").fill("已建立午间轮岗值守制度，并在窗口公示值班表。")
    report.get_by_role("button", name="报送").click()
    expect(unit.locator("#finding-status")).to_have_text("已报整改")

    inspector.goto(finding_url)
    verification = inspector.locator("#form-verification")
    verification.get_by_label("验收通过（销号）").check()
    verification.get_by_label("验收意见").fill("经暗访复查，整改到位，同意销号。")
    verification.get_by_role("button", name="提交验收结果").click()
    expect(inspector.locator("#finding-status")).to_have_text("已销号")
    timeline = inspector.locator("ol.timeline")
    for step in ("发现问题", "下达整改", "报送整改情况", "整改验收"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("南明街道 联络员")

    inspector.goto("/")
    expect(inspector.locator("#closed-last")).to_contain_text(title)


def test_a_refused_command_shows_its_reason_in_chinese_beside_the_form(sessions: Any) -> None:
    inspector = sessions(INSPECTOR).page
    inspector.goto(f"/findings/{uuid5(DEMO_NAMESPACE, 'f04')}")
    extension = inspector.locator("#form-deadline-extension")
    expect(extension).to_have_count(1)  # the demo's f04 is under rectification
    extension.get_by_label("新的整改期限").fill("2000-01-01")
    extension.get_by_label("延期理由").fill("测试")
    extension.get_by_role("button", name="延长期限").click()
    expect(inspector.locator("#form-deadline-extension .error")).to_contain_text("期限")


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_after_signing_in(
    sessions: Any, service: Service
) -> None:
    """The session ends while a form is filled in (signed out elsewhere, expired): sending it
    asks to sign in, then shows the page the form was on (from the browser's own Referer),
    never the form's action (a 405), saying that the form was not sent."""
    session = sessions(INSPECTOR)
    inspector = session.page
    finding = f"/findings/{uuid5(DEMO_NAMESPACE, 'f04')}"
    inspector.goto(finding)
    extension = inspector.locator("#form-deadline-extension")
    extension.get_by_label("新的整改期限").fill((today() + timedelta(days=60)).isoformat())
    extension.get_by_label("延期理由").fill("会话结束后提交")
    session.context.clear_cookies()
    extension.get_by_role("button", name="延长期限").click()
    expect(inspector).to_have_url(re.compile(r"/signin\?next="))
    expect(inspector.get_by_role("alert")).to_contain_text("表单未能发送")
    inspector.get_by_label("账号令牌").fill(service.tokens[INSPECTOR])
    inspector.get_by_role("button", name="登录").click()
    expect(inspector).to_have_url(re.compile(re.escape(finding) + r"\?unsent=1$"))
    expect(inspector.locator("#form-deadline-extension")).to_have_count(1)
    expect(inspector.locator("main .notice")).to_contain_text("表单未能发送")


def test_a_unit_account_cannot_open_another_units_finding(sessions: Any) -> None:
    unit = sessions(UNIT).page
    response = unit.goto(f"/findings/{OTHER_UNITS_FINDING}")
    assert response is not None and response.status == 404
    expect(unit.get_by_role("heading", name="未找到该问题，或您无权查看。")).to_be_visible()
    assert unit.locator("html").get_attribute("lang") == "zh-CN"


PAGES = [
    ("dashboard", "/"),
    ("findings", "/findings"),
    ("findings-overdue", "/findings?overdue=true"),
    ("finding", f"/findings/{uuid5(DEMO_NAMESPACE, 'f01')}"),
    ("finding-new", "/findings/new"),
    ("rulings", "/rulings"),
    ("units", "/units"),
    ("unit-merged-history", "/units/sfj"),
    ("ledger", "/ledger?year=2022"),
    ("work-item", f"/work-items/{uuid5(DEMO_NAMESPACE, 'w06-2022')}"),
    ("cases", "/cases"),
    ("inspections", "/inspections"),
    ("inspection", f"/inspections/{uuid5(DEMO_NAMESPACE, 'i01')}"),
    ("inspection-market", f"/inspections/{uuid5(DEMO_NAMESPACE, 'spot:round')}"),
    ("inspection-new", "/inspections/new"),
    ("spot-checks", "/spot-checks"),
    ("decisions", "/major-decisions"),
    ("decision", f"/major-decisions/{uuid5(DEMO_NAMESPACE, 'd01')}"),
]


def test_every_page_renders_in_chinese_and_is_screenshotted(
    sessions: Any, screenshots: Path
) -> None:
    anonymous = sessions(None).page
    anonymous.goto("/signin")
    anonymous.screenshot(path=screenshots / "signin.png", full_page=True)

    inspector = sessions(INSPECTOR).page
    for name, path in PAGES:
        response = inspector.goto(path)
        assert response is not None and response.status == 200, (path, response)
        assert inspector.locator("html").get_attribute("lang") == "zh-CN"
        expect(inspector.locator("main h1").first).to_be_visible()
        inspector.screenshot(path=screenshots / f"{name}.png", full_page=True)
    inspector.goto("/")
    expect(inspector.locator("#monthly-chart svg")).to_be_visible()  # ECharts drew the chart
    inspector.goto("/rulings")
    inspector.locator("#ruling-results a").first.click()
    expect(inspector.locator("#ruling-status")).to_be_visible()
    inspector.screenshot(path=screenshots / "ruling.png", full_page=True)

    auditor = sessions(AUDITOR).page
    auditor.goto("/audit")
    expect(auditor.locator("#verification")).to_contain_text("校验通过")
    auditor.screenshot(path=screenshots / "audit.png", full_page=True)

    phone = sessions(INSPECTOR, PHONE).page
    phone.goto("/")
    expect(phone.locator("#monthly-chart svg")).to_be_visible()
    phone.screenshot(path=screenshots / "dashboard-phone.png", full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the phone page scrolls sideways ({width}px)"


LIAISON_PHONE: ViewportSize = {"width": 375, "height": 812}
NANMING_FINDING = uuid5(DEMO_NAMESPACE, "f18")  # 南明街道's, from the county head's instruction


def test_a_liaison_works_from_a_phone_375_pixels_wide(sessions: Any, screenshots: Path) -> None:
    """The liaison's pages — 我的待办, 消息中心, a finding with its forms and deliveries — fit a
    375 px phone without scrolling sideways (issue 15 item 8)."""
    phone = sessions(UNIT, LIAISON_PHONE).page
    pages = [
        ("liaison-home-375", "/", "#todo"),
        ("liaison-inbox-375", "/inbox", "main h1"),
        ("liaison-finding-375", f"/findings/{NANMING_FINDING}", "#notifications"),
    ]
    for name, path, shown in pages:
        response = phone.goto(path)
        assert response is not None and response.status == 200, (path, response)
        expect(phone.locator(shown).first).to_be_visible()
        phone.screenshot(path=screenshots / f"{name}.png", full_page=True)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= LIAISON_PHONE["width"], f"{path} scrolls sideways ({width}px)"
    phone.goto("/inbox")
    expect(phone.get_by_role("link", name="消息中心")).to_be_visible()
    expect(phone.locator(".inbox")).to_contain_text("背街小巷路灯损坏未及时修复")
    phone.goto("/")
    expect(phone.locator("#todo")).to_contain_text("待签收的交办事项")


def test_anyone_verifies_a_concluded_draw_in_their_own_browser(
    sessions: Any, screenshots: Path
) -> None:
    """一公开 without signing in: the concluded round with its draw's inputs, re-derived by the
    page's script with the browser's own SHA-256 (issue 18 item 9)."""
    visitor = sessions(None).page
    response = visitor.goto("/public/inspections")
    assert response is not None and response.status == 200
    expect(visitor.locator(".public-round h2").first).to_contain_text("双随机")
    visitor.locator(".verify-draw").first.click()
    expect(visitor.locator(".verify-result").first).to_contain_text("验证通过")
    visitor.screenshot(path=screenshots / "public-inspections.png", full_page=True)
    # Published inputs changed afterwards (a team swapped): the browser's check fails.
    visitor.evaluate(
        """() => { const s = document.querySelector('.public-round');
                   const r = JSON.parse(s.dataset.round); r.targets[0].team.reverse();
                   s.dataset.round = JSON.stringify(r); }"""
    )
    visitor.locator(".verify-draw").first.click()
    expect(visitor.locator(".verify-result").first).to_contain_text("验证失败")


def test_a_liaison_sets_a_milestone_of_its_units_work_item_in_the_console(
    sessions: Any, screenshots: Path
) -> None:
    """县发改局's liaison opens its 2022 task from the ledger, sees the milestones with their
    colours and the leader, and sets one more (issue 18 items 2 and 9)."""
    liaison = sessions("县发改局 联络员").page
    liaison.goto("/ledger?year=2022")
    liaison.get_by_role("link", name="建立科学谋划体系").click()
    expect(liaison.locator("main h1")).to_have_text("建立科学谋划体系")
    expect(liaison.locator("#item-leader")).to_contain_text("常务副县长")
    expect(liaison.locator("#milestones")).to_contain_text("制定年度实施方案")
    expect(liaison.locator("#form-leader")).to_have_count(0)
    form = liaison.locator("#form-milestone")
    form.get_by_label("节点内容").fill("完成年度评估")
    form.get_by_label("完成时限（不晚于工作完成时限）").fill("2022-11-30")
    form.get_by_role("button", name="设定节点").click()
    expect(liaison.get_by_role("status")).to_contain_text("设定工作节点")
    expect(liaison.locator("#milestones tbody tr")).to_have_count(3)
    expect(liaison.locator("#milestones")).to_contain_text("完成年度评估")
    liaison.screenshot(path=screenshots / "work-item-liaison.png", full_page=True)


def test_anyone_reads_the_power_lists_in_force(sessions: Any, screenshots: Path) -> None:
    """权力清单、责任清单 without signing in (issue 18 items 7 and 9): 县发改局's list after the
    demo removed one power and amended another."""
    visitor = sessions(None).page
    response = visitor.goto("/public/power-lists")
    assert response is not None and response.status == 200
    fgj = visitor.locator("#power-list-fgj")
    expect(fgj.locator("h2")).to_have_text("县发改局")
    expect(fgj.locator("tbody tr")).to_have_count(2)
    expect(fgj).to_contain_text("共 2 项")
    expect(fgj).to_contain_text("浙江省企业投资项目核准和备案管理办法")
    expect(fgj).not_to_contain_text("价格违法行为行政处罚")
    visitor.screenshot(path=screenshots / "public-power-lists.png", full_page=True)


def test_an_inspector_runs_a_market_entity_round_in_the_console(
    sessions: Any, screenshots: Path
) -> None:
    """一单两库一细则 in the browser (issue 18 items 8 and 9): the inspector launches a round of
    the demo's food matter, commits the seed's hash computed by the page (the seed itself
    stays in the browser), the supervising leader commits and — once the auditor has signed a
    checkpoint — reveals the second seed, the inspector draws and concludes, and anyone then
    verifies the draw on the public page."""
    seed, co_seed = "浏览器测试的抽签种子·甲方·0001", "浏览器测试的第二方种子·乙方·0002"
    inspector = sessions(INSPECTOR).page
    inspector.goto("/spot-checks")
    expect(inspector.locator("#matters")).to_contain_text("食品经营许可事项监督检查")
    inspector.screenshot(path=screenshots / "spot-checks.png", full_page=True)
    start = today() - timedelta(days=20)  # the round ends today, the day it is concluded
    form = inspector.locator("form[id^=form-launch-]").first
    form.get_by_label("抽查名称").fill("食品经营“双随机”抽查（浏览器）")
    form.get_by_label("开始日期").fill(start.isoformat())
    form.get_by_label("结束日期").fill(today().isoformat())
    form.get_by_role("button", name="启动随机抽查").click()
    expect(inspector.get_by_role("status")).to_contain_text("启动随机抽查")
    expect(inspector.locator("#population")).to_contain_text("户市场主体")
    round_page = inspector.url.partition("?")[0]
    commit = inspector.locator("#form-seed-commitment")
    commit.locator(".seed-source").fill("太短的种子")  # the draw takes 16–200 characters
    expect(commit.locator("#commitment-seed")).to_have_value("")
    commit.locator(".seed-source").fill(seed)
    expect(commit.locator("#commitment-seed")).to_have_value(re.compile(r"^[0-9a-f]{64}$"))
    commit.get_by_role("button", name="提交承诺").click()
    expect(inspector.get_by_role("status")).to_contain_text("提交随机种子承诺")

    leader = sessions("县政府分管领导").page
    leader.goto(round_page)
    second = leader.locator("#form-co-seed-commitment")
    second.locator(".seed-source").fill(co_seed)
    expect(second.locator("#commitment-co")).to_have_value(re.compile(r"^[0-9a-f]{64}$"))
    second.get_by_role("button", name="提交承诺").click()
    expect(leader.get_by_role("status")).to_contain_text("第二方提交随机种子承诺")
    auditor = sessions(AUDITOR).page
    auditor.goto("/audit")
    auditor.get_by_role("button", name="签署检查点").click()
    expect(auditor.get_by_role("status")).to_contain_text("签署检查点")
    leader.goto(round_page)
    leader.locator("#form-co-seed").get_by_label("第二方随机种子").fill(co_seed)
    leader.locator("#form-co-seed").get_by_role("button", name="揭示种子").click()
    expect(leader.get_by_role("status")).to_contain_text("第二方揭示随机种子")

    inspector.goto(round_page)
    inspector.locator("#form-draw").get_by_label("随机种子（与承诺一致）").fill(seed)
    inspector.locator("#form-draw").get_by_role("button", name="公开种子并抽取").click()
    expect(inspector.locator("#draw-verdict")).to_contain_text("校验通过")
    conclude = inspector.locator("#form-conclusion")
    conclude.get_by_label("检查情况综述（将公开）").fill("抽查完毕，未发现问题。")
    conclude.get_by_label("结束日期").fill(today().isoformat())
    results = conclude.locator("input[name^=result-]")
    drawn = results.count()
    assert drawn >= 1
    for n in range(drawn):
        results.nth(n).fill("未发现问题")
    conclude.get_by_role("button", name="结束并公开结果").click()
    expect(inspector.locator("#results li")).to_have_count(drawn)
    inspector.screenshot(path=screenshots / "inspection-market-concluded.png", full_page=True)

    visitor = sessions(None).page
    visitor.goto("/public/inspections")
    ours = visitor.locator(".public-round", has_text="（浏览器）")
    expect(ours.locator(".badge")).to_have_text("市场主体双随机抽查")
    ours.locator(".verify-draw").click()
    expect(ours.locator(".verify-result")).to_contain_text("验证通过")


def test_the_demo_findings_span_the_plans_years_each_against_a_unit_active_then(
    service: Service,
) -> None:
    """The demo's findings fall in every year of the plan, 2018–2022, as well as this one,
    and none was found against a unit after it was merged away (issue 18 item 10)."""
    headers = {"Authorization": f"Bearer {service.tokens[INSPECTOR]}"}
    findings: list[dict[str, Any]] = []
    cursor = None
    with httpx.Client(base_url=service.url, headers=headers) as api:
        while True:
            params = {"limit": MAX_LIMIT} | ({"cursor": cursor} if cursor else {})
            page = api.get("/api/v1/findings", params=params).json()
            findings += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        merged = api.get("/api/v1/units/fzb").json()
    years = {date.fromisoformat(f["found_on"]).year for f in findings}
    assert set(range(2018, 2023)) | {today().year} <= years, sorted(years)
    assert merged["status"] == "merged"
    assert all(f["found_on"] < REFORM_ON.isoformat() for f in findings if f["unit_code"] == "fzb")


def png_file(folder: Path, name: str, colour: str) -> Path:
    from PIL import Image

    path = folder / name
    Image.new("RGB", (320, 240), colour).save(path, format="PNG")
    return path


def test_a_liaison_uploads_photos_with_a_report_and_the_inspector_downloads_them(
    sessions: Any, screenshots: Path, tmp_path: Path
) -> None:
    """Issue 17: the liaison's drop zone uploads photos (progress, thumbnails), the report
    cites them; the inspector's copy hashes to what the event records; a document issued
    beside the finding renders, and its first page is looked at as an image."""
    import hashlib
    import subprocess

    from PIL import Image

    inspector = sessions(INSPECTOR).page
    title = f"农贸市场消防通道堵塞（{uuid.uuid4().hex[:6]}）"
    finding_url = raised_in_console(inspector, title, "检查发现农贸市场东侧消防通道被摊位占用。")
    order = inspector.locator("#form-rectification-order")
    order.get_by_label("整改期限").fill((today() + timedelta(days=20)).isoformat())
    order.get_by_label("整改要求").fill("清理占道摊位，恢复消防通道畅通。")
    order.get_by_role("button", name="下达整改").click()
    expect(inspector.locator("#finding-status")).to_have_text("整改中")

    photos = [png_file(tmp_path, "整改前.png", "red"), png_file(tmp_path, "整改后.png", "green")]
    unit = sessions(UNIT).page
    unit.goto(finding_url)
    report = unit.locator("#form-rectification-report")
    report.locator("input[type=file]").set_input_files([str(p) for p in photos])
    expect(report.locator(".evidence-status")).to_have_text("已上传 2 个文件")
    expect(report.locator(".evidence-list img.thumbnail")).to_have_count(2)
    report.get_by_label("整改情况").fill("已清理全部占道摊位，消防通道恢复畅通。")
    unit.screenshot(path=screenshots / "evidence-upload.png", full_page=True)
    report.get_by_role("button", name="报送").click()
    expect(unit.locator("#finding-status")).to_have_text("已报整改")

    inspector.goto(finding_url)
    expect(inspector.get_by_text("整改材料（第 1 次报送）")).to_be_visible()
    links = inspector.locator(".evidence-list a")
    hrefs = {a.get_attribute("href") for a in links.all()}
    for photo in photos:
        digest = hashlib.sha256(photo.read_bytes()).hexdigest()
        assert f"/files/{digest}" in hrefs, hrefs
        served = inspector.request.get(f"/files/{digest}")
        assert hashlib.sha256(served.body()).hexdigest() == digest  # the event's hash

    inspector.get_by_role("button", name="生成整改通知书").click()
    expect(inspector.locator("#documents")).to_contain_text("整改通知书 新政督改〔")
    href = inspector.locator("#documents a", has_text="下载 PDF").first.get_attribute("href")
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(inspector.request.get(str(href)).body())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (rendered,) = tmp_path.glob("page*.png")
    with Image.open(rendered) as page_image:
        # The 版头 (the issuer, 35 mm into the page body, and the rule under the 发文字号)
        # stands in red in the upper half of the first page.
        top = page_image.convert("RGB").crop((0, 0, page_image.width, page_image.height // 2))
        rgb = top.tobytes()
        reds = sum(
            1 for i in range(0, len(rgb), 3) if rgb[i] > 180 and rgb[i + 1] < 80 and rgb[i + 2] < 80
        )
    assert reds > 200, (rendered, reds)
    viewer = sessions(None).page
    viewer.goto(f"file://{rendered}")  # the page as an image, looked at in the browser
    expect(viewer.locator("img")).to_be_visible()
    viewer.screenshot(path=screenshots / "document-first-page.png", full_page=True)
