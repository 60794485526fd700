"""Evidence and documents in the console (issue 17 item 4): a liaison's drop zone uploads
files with the page's CSRF token and its report cites them; the finding page shows them with
thumbnails to the inspector; the 生成 buttons issue documents beside a finding, a ruling, a
unit and the dashboard, and their 下载 links return the issued bytes."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.main import create_app
from api.runtime.bootstrap import Services
from infra.files import LocalFileStore, key_of
from tests.e2e.console import console_as, csrf_of, submit
from tests.e2e.helpers import command, ok, order, visiting_once_waiting
from tests.support import Api, account_fixture

inspector = account_fixture("inspector", "督查员 冯磊")
authority = account_fixture("authority", "县纪委 审理室")


def photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_liaison_uploads_photos_with_a_report_and_the_inspector_sees_them(
    api: Api, inspector: dict[str, str], shared_services: Services
) -> None:
    unit = api.unit("县交通运输局", "department")
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    liaison = api.account("unit", unit)
    before, after = photo("red"), photo("green")
    with console_as(api.client, liaison) as browser:
        page = browser.get(f"/findings/{fid}")
        assert 'class="evidence-drop"' in page.text and "evidence-upload.js" in page.text
        files = [
            ("file", ("整改前.png", before, "image/png")),
            ("file", ("整改后.png", after, "image/png")),
        ]
        refused = browser.post("/files", files=files, data={"csrf_token": "forged"})
        assert refused.status_code == 403 and "安全校验未通过" in refused.json()["error"]["message"]
        kept = browser.post("/files", files=files, data={"csrf_token": csrf_of(page)})
        assert kept.status_code == 201, kept.text
        cited = [
            json.dumps({k: f[k] for k in ("name", "sha256", "size")}) for f in kept.json()["files"]
        ]
        svg = [("file", ("图.svg", b"<svg><script>alert(1)</script></svg>", "image/svg+xml"))]
        bad = browser.post("/files", files=svg, data={"csrf_token": csrf_of(page)})
        assert bad.status_code == 415
        assert bad.json()["error"]["message"] == (
            "不支持的文件类型（可上传图片、PDF、Word、Excel、MP4）。"
        ), "the reason in Chinese alone, without the library's English detail"
        fields = {"summary": "已完成路面修复", "form_key": "k" * 20, "evidence": cited}
        sent = submit(browser, page, f"/findings/{fid}/rectification-report", fields)
        assert sent.status_code == 303, sent.text

    finding = ok(api.get(f"/api/v1/findings/{fid}", inspector))
    assert [f["name"] for f in finding["reports"][-1]["evidence"]] == ["整改前.png", "整改后.png"]
    with console_as(api.client, inspector) as browser:
        page = browser.get(f"/findings/{fid}")
        assert "整改材料（第 1 次报送）" in page.text
        digest = hashlib.sha256(after).hexdigest()
        assert f'src="/files/{digest}/thumbnail"' in page.text
        assert browser.get(f"/files/{digest}").content == after
        small = browser.get(f"/files/{digest}/thumbnail")
        assert small.headers["content-type"] == "image/png"
        assert browser.get(f"/files/{'0' * 64}").status_code == 404
        assert browser.get("/files/not-a-hash").status_code == 404
        store = shared_services.files
        assert isinstance(store, LocalFileStore)
        store.path(key_of(digest)).write_bytes(b"not the photo")
        corrupt = browser.get(f"/files/{digest}")
        assert corrupt.status_code == 409 and "哈希值不符" in corrupt.text
        many = [("file", (f"{n}.png", before, "image/png")) for n in range(22)]
        refused = browser.post("/files", files=many, data={"csrf_token": csrf_of(page)})
        assert refused.status_code == 413 and "一次最多上传 20 个文件" in refused.text


def test_documents_are_generated_and_downloaded_beside_their_records(
    api: Api, inspector: dict[str, str], authority: dict[str, str]
) -> None:
    unit = api.unit("县卫生健康局", "department")
    fid = api.finding(inspector, unit, title="基层卫生院药品过期未清理")["id"]
    order(api, inspector, fid)
    with console_as(api.client, inspector) as browser:
        page = browser.get(f"/findings/{fid}")
        assert "生成督办通知书" in page.text and "生成整改通知书" in page.text
        fields = {"kind": "supervision_notice", "finding_id": fid, "back": f"/findings/{fid}"}
        done = submit(browser, page, "/documents", fields)
        assert done.status_code == 303 and done.headers["location"] == f"/findings/{fid}#documents"
        page = browser.get(f"/findings/{fid}")
        (link,) = re.findall(r'href="(/documents/[0-9a-f-]+)\?format=pdf"', page.text)
        scan = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        files = [("file", ("通知扫描件.pdf", scan, "application/pdf"))]
        kept = browser.post("/files", files=files, data={"csrf_token": csrf_of(page)}).json()
        not_image = browser.get(f"/files/{kept['files'][0]['sha256']}/thumbnail")
        assert not_image.status_code == 404 and "没有缩略图" in not_image.text
        pdf = browser.get(link, params={"format": "pdf"})
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        word = browser.get(link, params={"format": "docx"})
        assert word.content.startswith(b"PK")
        assert browser.get(link, params={"format": "odt"}).status_code == 404
        refused = submit(browser, page, "/documents", {"kind": "supervision_notice", "back": "/"})
        assert refused.status_code == 422 and "公文未能生成" in refused.text
        ok(command(api, fid, "withdrawal", {"reason": "误报"}, inspector))
        withdrawn = browser.get(f"/findings/{fid}").text
        assert "生成督办通知书" not in withdrawn and "生成整改通知书" not in withdrawn
        assert "下载 PDF" in withdrawn, "the notice issued before is still there"

        dashboard = browser.get("/")
        assert "生成情况通报" in dashboard.text
        unit_page = browser.get(f"/units/{unit}?year=2026")
        assert "生成年度考评报告" in unit_page.text
        fields = {
            "kind": "evaluation_report",
            "unit_code": unit,
            "year": "2026",
            "back": f"/units/{unit}?year=2026",
        }
        assert submit(browser, unit_page, "/documents", fields).status_code == 303
        assert "年度考评报告 新政督考〔" in browser.get(f"/units/{unit}?year=2026").text

    liaison = api.account("unit", unit)
    with console_as(api.client, liaison) as browser:
        page = browser.get(f"/findings/{fid}")
        assert "督办通知书 新政督办〔" in page.text and "生成督办通知书" not in page.text
        assert browser.get(link).status_code == 200
    stranger = api.account("unit", api.unit("县林业局", "department"))
    with console_as(api.client, stranger) as browser:
        assert browser.get(link).status_code == 404

    rid = api.accountability(inspector, unit, [fid])["id"]
    decision = {"form": "written_inspection", "reasoning": "情节较轻", "decided_on": "2026-11-30"}
    api.decided(authority, rid, decision)
    with console_as(api.client, authority) as browser:
        page = browser.get(f"/rulings/{rid}")
        assert "生成问责决定书" in page.text and "生成容错免责认定书" not in page.text
        fields = {"kind": "accountability_decision", "ruling_id": rid, "back": f"/rulings/{rid}"}
        assert submit(browser, page, "/documents", fields).status_code == 303
        assert "问责决定书 新纪问〔" in browser.get(f"/rulings/{rid}").text


# -- a file a report has just cited opens at once, though no read model waited for it -----------


def reported_photo(app: TestClient) -> tuple[dict[str, str], str, bytes]:
    """A liaison's report citing a photo, all over the API: the inspector who ordered it,
    the finding's id and the photo's bytes."""
    api = Api(app)
    unit = api.unit("县住房和城乡建设局", "department")
    inspector = api.account("inspector", name="督查员 即查")
    fid = api.finding(inspector, unit)["id"]
    order(api, inspector, fid)
    liaison = api.account("unit", unit)
    shot = photo("blue")
    kept = app.post("/api/v1/files", files=[("file", ("现场.png", shot, "image/png"))],
                    headers=liaison)  # fmt: skip
    cited = [{k: f[k] for k in ("name", "sha256", "size")} for f in ok(kept, 201)["files"]]
    ok(command(api, fid, "rectification-report", {"summary": "已整改", "evidence": cited}, liaison))
    return inspector, fid, shot


@pytest.mark.parametrize("suffix", ["", "/thumbnail"], ids=["file", "thumbnail"])
def test_a_file_a_report_has_just_cited_opens_for_the_inspector_at_once(
    services: Services, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """The finding's page reads the events, so it links the photo the moment the report
    cites it; who may read the photo comes from the evidence read model, which the
    inspector's session did not write to. A refused file waits for the log's head (the read
    models start only once a request waits, so a file that did not wait is refused)."""
    with visiting_once_waiting(services, monkeypatch) as app:
        inspector, fid, shot = reported_photo(app)
        digest = hashlib.sha256(shot).hexdigest()
        with console_as(app, inspector) as browser:
            page = browser.get(f"/findings/{fid}")
            assert f'href="/files/{digest}"' in page.text
            assert services.host is None, "nothing has waited: the read models stand still"
            answer = browser.get(f"/files/{digest}{suffix}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    if not suffix:
        assert answer.content == shot


def test_a_file_refused_once_its_citations_are_processed_is_still_a_404(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting changes nothing of who may read a file: another unit's liaison, and anyone
    asking for a file never uploaded, get the same 404 once the read models have caught up."""
    with visiting_once_waiting(services, monkeypatch) as app:
        _, _, shot = reported_photo(app)
        api = Api(app)
        other = api.account("unit", api.unit("县交通运输局", "department"))
        with console_as(app, other) as browser:
            theirs = browser.get(f"/files/{hashlib.sha256(shot).hexdigest()}")
            assert services.host is not None, "the refusal waited for the read models"
            unknown = browser.get(f"/files/{'1' * 64}/thumbnail")
    for answer in (theirs, unknown):
        assert answer.status_code == 404 and "没有这个文件，或您无权查看" in answer.text


def test_a_file_whose_citations_lag_past_the_read_wait_is_a_503_not_a_404(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read models that do not catch up within the read wait: the page says the data is
    being synchronised, not that there is no such file."""
    quick = services.settings.model_copy(update={"read_wait_seconds": 0.2})
    monkeypatch.setattr(services, "settings", quick)
    with TestClient(create_app(quick, services=services), raise_server_exceptions=False) as app:
        inspector, _, shot = reported_photo(app)
        with console_as(app, inspector) as browser:
            answer = browser.get(f"/files/{hashlib.sha256(shot).hexdigest()}")
    assert answer.status_code == 503 and "数据正在同步，请稍后重试" in answer.text


def test_a_file_too_large_is_refused_naming_the_limit_in_chinese(
    api: Api, shared_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    liaison = api.account("unit", api.unit())
    most = shared_services.settings.upload_max_file_mb
    big = [("file", ("现场照片.png", b"\0" * (most * 2**20 + 1), "image/png"))]
    with console_as(api.client, liaison) as browser:
        page = browser.get("/inbox")
        with caplog.at_level("INFO", logger="api.console.document_pages"):
            refused = browser.post("/files", files=big, data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["message"] == f"文件过大（单个文件不超过 {most} MB）。"
    logged = [r for r in caplog.records if r.getMessage() == "upload refused"]
    assert logged and logged[0].code == "file_too_large"  # type: ignore[attr-defined]
