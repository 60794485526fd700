"""Issued documents (issue 17 items 2–3): each kind renders as Word and PDF with its Chinese
text, issues under its kind's next 发文字号 as an event that records each file's hash, comes
back byte for byte, and is reproduced from the event alone; a ruling's decision names its
person until the person's data is shredded."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import docx
import pytest

from api.runtime.bootstrap import Services
from domain.clock import today
from domain.documents import IssuedDocument
from infra.documents.compose import rendered
from infra.files import LocalFileStore, key_of, uploads_of
from tests.e2e.console import console_as
from tests.e2e.helpers import assert_error, command, ok, order
from tests.support import ADMIN, Api, account_fixture

inspector = account_fixture("inspector", "督查员 吴涛")
authority = account_fixture("authority", "县纪委 审理室")
DOCUMENTS = "/api/v1/documents"


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        done = subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, check=True
        )
    return done.stdout.decode()


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def issue(api: Api, who: dict[str, str], **body: Any) -> dict[str, Any]:
    return ok(api.post(DOCUMENTS, body, who), 201)


def listed(api: Api, who: dict[str, str], answer: dict[str, Any], record_id: str) -> dict[str, Any]:
    page = ok(api.get(DOCUMENTS, who, record_id=record_id, min_position=answer["position"]))
    (item,) = [i for i in page["items"] if i["id"] == answer["id"]]
    return item


def fetched(api: Api, who: dict[str, str], document_id: str, fmt: str) -> bytes:
    response = api.get(f"{DOCUMENTS}/{document_id}", who, format=fmt)
    assert response.status_code == 200, response.text
    return response.content


def both(api: Api, who: dict[str, str], item: dict[str, Any]) -> tuple[str, str]:
    """The issued PDF's and Word file's text, each file checked against its recorded hash."""
    texts = []
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        data = fetched(api, who, item["id"], fmt)
        assert hashlib.sha256(data).hexdigest() == item["files"][fmt]["sha256"]
        assert len(data) == item["files"][fmt]["size"]
        texts.append(read(data))
    return texts[0], texts[1]


@pytest.fixture
def ordered(api: Api, inspector: dict[str, str]) -> dict[str, str]:
    unit = api.unit("县综合行政执法局", "department")
    fid = api.finding(inspector, unit, title="城区违规占道经营未整治")["id"]
    order(api, inspector, fid, deadline="2026-12-31")
    return {"unit": unit, "fid": fid}


def test_a_supervision_notice_issues_under_its_number_and_renders_in_both_formats(
    api: Api, inspector: dict[str, str], ordered: dict[str, str], shared_services: Services
) -> None:
    answer = issue(api, inspector, kind="supervision_notice", finding_id=ordered["fid"])
    item = listed(api, inspector, answer, ordered["fid"])
    assert item["kind_label"] == "督办通知书" and item["record_kind"] == "finding"
    assert item["number"].startswith("新政督办〔") and item["number"].endswith("号")
    pdf, word = both(api, inspector, item)
    for text in (pdf, word):
        for expected in ("新昌县人民政府督查室", item["number"], "城区违规占道经营未整治",
                         "县综合行政执法局", "限期整改到位", "2026年12月31日"):  # fmt: skip
            assert expected in text.replace(" ", ""), (expected, text[:300])

    # Reproduced from the log: the event's content renders to the same bytes.
    document = shared_services.app.get_record(IssuedDocument, item["id"])
    again = rendered(document.content)
    for fmt in ("pdf", "docx"):
        assert hashlib.sha256(again[fmt]).hexdigest() == document.files[fmt]["sha256"]

    following = issue(api, inspector, kind="supervision_notice", finding_id=ordered["fid"])
    second = listed(api, inspector, following, ordered["fid"])
    n = int(item["number"].split("〕")[1].rstrip("号"))
    assert second["number"] == item["number"].replace(f"〕{n}号", f"〕{n + 1}号")

    # The issuance's events, as an auditor reads them: the document, then its number taken,
    # each naming who issued it, their times in the log's order.
    after = following["position"] - 2  # the answer's position is the transaction's last
    events = ok(api.get("/api/v1/events", ADMIN, after=after, limit=2))["items"]
    assert [e["event_type"] for e in events] == ["Issued", "NumberTaken"]
    assert all(e["actor"]["role"] == "inspector" for e in events), events
    assert events[0]["recorded_at"] <= events[1]["recorded_at"]


def test_a_rectification_notice_is_read_by_its_unit_and_no_other(
    api: Api, inspector: dict[str, str], ordered: dict[str, str]
) -> None:
    answer = issue(api, inspector, kind="rectification_notice", finding_id=ordered["fid"])
    liaison = api.account("unit", ordered["unit"])
    item = listed(api, liaison, answer, ordered["fid"])
    pdf, word = both(api, liaison, item)
    assert "关于限期整改" in pdf and "整改要求" in word
    stranger = api.account("unit", api.unit("县审计局", "department"))
    assert_error(api.get(f"{DOCUMENTS}/{answer['id']}", stranger), 404, "not_found")
    assert ok(api.get(DOCUMENTS, stranger, record_id=ordered["fid"]))["items"] == []
    assert_error(api.get(DOCUMENTS, liaison), 422, "validation_error")


def test_a_bulletin_and_a_year_report_state_the_records(
    api: Api, inspector: dict[str, str], ordered: dict[str, str]
) -> None:
    answer = issue(api, inspector, kind="bulletin", period="2026-12")
    item = listed(api, inspector, answer, "2026-12")
    pdf, word = both(api, inspector, item)
    for text in (pdf, word):
        assert "关于2026年12月督查工作情况的通报" in text.replace(" ", "").replace("\n", "")
        assert "单位排名" in text and "典型案例" in text
    assert "县综合行政执法局" in word  # the ranking names the unit
    report = issue(api, inspector, kind="evaluation_report", unit_code=ordered["unit"], year=2026)
    item = listed(api, inspector, report, ordered["unit"])
    pdf, word = both(api, inspector, item)
    assert "县综合行政执法局2026年度考评报告" in word.replace("\n", "")
    assert "年终综合考评" in pdf


def test_a_groups_bulletin_is_read_by_the_groups_units_and_a_countys_by_every_unit(
    api: Api, inspector: dict[str, str], ordered: dict[str, str]
) -> None:
    """A 情况通报 narrowed to a group of units is theirs: another unit's account neither lists
    nor downloads it (404, as for a document that does not exist)."""
    outside = api.unit("县司法局", "department")
    member, stranger = api.account("unit", ordered["unit"]), api.account("unit", outside)
    group = issue(api, inspector, kind="bulletin", period="2026-11", unit_codes=[ordered["unit"]])
    county = issue(api, inspector, kind="bulletin", period="2026-11")
    path = f"{DOCUMENTS}/{group['id']}"
    assert fetched(api, member, group["id"], "pdf").startswith(b"%PDF")
    seen = ok(api.get(DOCUMENTS, stranger, record_id="2026-11", min_position=county["position"]))
    assert [item["id"] for item in seen["items"]] == [county["id"]]
    assert_error(api.get(path, stranger, format="pdf"), 404, "not_found")
    assert fetched(api, stranger, county["id"], "pdf").startswith(b"%PDF")


def test_issuing_is_refused_clearly_and_changes_nothing(
    api: Api, inspector: dict[str, str], authority: dict[str, str], ordered: dict[str, str]
) -> None:
    assert_error(api.post(DOCUMENTS, {"kind": "supervision_notice"}, inspector), 422)
    unknown = {"kind": "supervision_notice", "finding_id": "00000000-0000-4000-8000-000000000001"}
    assert_error(api.post(DOCUMENTS, unknown, inspector), 422, "unknown_reference")
    raised = api.finding(inspector, ordered["unit"])["id"]
    unordered = {"kind": "rectification_notice", "finding_id": raised}
    error = assert_error(api.post(DOCUMENTS, unordered, inspector), 409, "invalid_transition")
    assert error["message"] == (
        "cannot issue a rectification notice before the rectification order "
        "while status is 'raised'"
    )
    assert error["details"] == {"status": "raised"}
    notice = {"kind": "supervision_notice", "finding_id": ordered["fid"]}
    assert_error(api.post(DOCUMENTS, notice, authority), 403, "forbidden")
    liaison = api.account("unit", ordered["unit"])
    assert_error(api.post(DOCUMENTS, notice, liaison), 403, "forbidden")
    bad = {"kind": "bulletin", "period": "2026-13"}
    assert_error(api.post(DOCUMENTS, bad, inspector), 422)
    coming = {"kind": "bulletin", "period": "2099-01"}  # a period not begun has nothing to report
    error = assert_error(api.post(DOCUMENTS, coming, inspector), 422, "invalid_value")
    assert error["details"] == {"period": "2099-01", "issued_on": today().isoformat()}
    head = max(p["head"] for p in ok(api.get("/api/v1/projections", ADMIN)))
    assert ok(api.get(DOCUMENTS, inspector, record_id="2099-01", min_position=head))["items"] == []
    assert_error(api.post(DOCUMENTS, {"kind": "memo"}, inspector), 422)
    for day in ("2099-01-01", "2020-01-01"):  # 成文日期: today, or a few days before
        dated = {"kind": "rectification_notice", "finding_id": ordered["fid"], "issued_on": day}
        assert_error(api.post(DOCUMENTS, dated, inspector), 422, "invalid_value")
    assert ok(api.get(DOCUMENTS, inspector, record_id=raised))["items"] == []


def test_a_notice_presses_only_a_finding_under_rectification_and_not_before_its_order(
    api: Api, inspector: dict[str, str], ordered: dict[str, str]
) -> None:
    """A 督办通知书 or 整改通知书 demands rectification: none for a finding withdrawn (raised in
    error) or closed, and none dated before the order it serves."""
    yesterday = (today() - timedelta(days=1)).isoformat()
    early = {"kind": "rectification_notice", "finding_id": ordered["fid"], "issued_on": yesterday}
    error = assert_error(api.post(DOCUMENTS, early, inspector), 422, "invalid_value")
    assert error["details"] == {"issued_on": yesterday, "ordered_on": today().isoformat()}
    ok(command(api, ordered["fid"], "withdrawal", {"reason": "误报"}, inspector))
    for kind in ("supervision_notice", "rectification_notice"):
        notice = {"kind": kind, "finding_id": ordered["fid"]}
        error = assert_error(api.post(DOCUMENTS, notice, inspector), 409, "invalid_transition")
        assert "not under rectification" in error["message"]
        assert error["details"] == {"status": "withdrawn"}
    assert ok(api.get(DOCUMENTS, inspector, record_id=ordered["fid"]))["items"] == []


def test_a_corrupted_document_is_refused(
    api: Api, inspector: dict[str, str], ordered: dict[str, str], shared_services: Services
) -> None:
    answer = issue(api, inspector, kind="rectification_notice", finding_id=ordered["fid"])
    item = listed(api, inspector, answer, ordered["fid"])
    store = shared_services.files
    assert isinstance(store, LocalFileStore)
    path: Path = store.path(key_of(item["files"]["docx"]["sha256"]))
    path.write_bytes(path.read_bytes() + b"\0")
    response = api.get(f"{DOCUMENTS}/{answer['id']}", inspector, format="docx")
    assert_error(response, 409, "file_corrupted")


def test_a_decision_on_appeal_says_so_and_one_revoked_is_not_issued(
    api: Api, inspector: dict[str, str], authority: dict[str, str], ordered: dict[str, str]
) -> None:
    """问责决定书: the appeal period as the service counts it (a month, to a working day);
    after an appeal, the form decided on it with the appeal's decision, and no appeal offered
    again; a decision revoked on appeal has no decision to issue (409)."""
    body = {
        "subject": {"unit_code": ordered["unit"]},
        "finding_ids": [ordered["fid"]],
        "form": "circulated_criticism",
        "basis": "《问责条例》第七条",
        "facts": "长期不予整治。",
    }
    decision = {
        "form": "circulated_criticism",
        "reasoning": "情节较重。",
        "decided_on": "2026-11-20",
    }
    rulings = []
    for _ in range(2):
        rid = ok(api.post("/api/v1/rulings/accountability", body, inspector), 201)["id"]
        ok(api.post(f"/api/v1/rulings/{rid}/decision", decision, authority))
        rulings.append(rid)
    modified, revoked = rulings
    first = listed(api, authority, issue(api, authority, kind="accountability_decision",
                                         ruling_id=modified), modified)  # fmt: skip
    pdf, _ = both(api, authority, first)
    assert "收到本决定之日起一个月内" in pdf.replace(" ", "") and "30日" not in pdf
    for rid, result in ((modified, {"result": "modified", "reasoning": "从轻。",
                                    "form": "written_inspection"}),
                        (revoked, {"result": "revoked", "reasoning": "事实不清。"})):  # fmt: skip
        ok(api.post(f"/api/v1/rulings/{rid}/appeal", {"grounds": "处理过重"}, inspector))
        ok(api.post(f"/api/v1/rulings/{rid}/appeal-decision", result, authority))
    again = listed(api, authority, issue(api, authority, kind="accountability_decision",
                                         ruling_id=modified), modified)  # fmt: skip
    pdf, word = both(api, authority, again)
    for text in (pdf.replace(" ", ""), word):
        assert "予以责令检查" in text and "经申诉复核，变更原决定。从轻。" in text
        assert "一个月内" not in text, "no appeal is offered against a decision on appeal"
    gone = {"kind": "accountability_decision", "ruling_id": revoked}
    assert_error(api.post(DOCUMENTS, gone, authority), 409, "invalid_transition")


def test_a_ruling_decision_names_its_person_until_the_person_is_shredded(
    api: Api, inspector: dict[str, str], authority: dict[str, str], ordered: dict[str, str],
    shared_services: Services,
) -> None:  # fmt: skip
    person = {"name": "钱卫东", "position": "执法中队长"}
    body = {
        "subject": {"unit_code": ordered["unit"], "person": person},
        "finding_ids": [ordered["fid"]],
        "form": "circulated_criticism",
        "basis": "《问责条例》第七条",
        "facts": "钱卫东同志对占道经营问题长期不予整治。",
    }
    rid = ok(api.post("/api/v1/rulings/accountability", body, inspector), 201)["id"]
    early = {"kind": "accountability_decision", "ruling_id": rid}
    assert_error(api.post(DOCUMENTS, early, authority), 409, "invalid_transition")
    decision = {"form": "circulated_criticism", "reasoning": "经查，钱卫东情节较轻。",
                "decided_on": "2026-11-20"}  # fmt: skip
    ok(api.post(f"/api/v1/rulings/{rid}/decision", decision, authority))
    assert_error(api.post(DOCUMENTS, early, inspector), 403, "forbidden")
    tolerance = {"kind": "tolerance_decision", "ruling_id": rid}
    assert_error(api.post(DOCUMENTS, tolerance, authority), 422, "invalid_value")

    answer = issue(api, authority, **early)
    item = listed(api, authority, answer, rid)
    assert item["sealed"] is True and item["number"].startswith("新纪问〔")
    pdf, word = both(api, authority, item)
    for text in (pdf, word):
        assert "钱卫东" in text and "通报批评" in text and "中共新昌县纪律检查委员会" in text
    document = shared_services.app.get_record(IssuedDocument, item["id"])
    assert "钱卫东" not in str(document.content) and "执法中队长" not in str(document.content)
    store = shared_services.files
    assert isinstance(store, LocalFileStore)
    sealed = store.path(key_of(item["files"]["pdf"]["sha256"], document.subject_id))
    assert hashlib.sha256(sealed.read_bytes()).hexdigest() != item["files"]["pdf"]["sha256"]
    # A 文书校验码 only the person's key opens: the hashes cannot be checked against guesses.
    code = document.content["sealed"]["code"]
    assert code and "文书校验码" in pdf + word and "〔校验码〕" not in pdf + word
    word_file = store.path(key_of(item["files"]["docx"]["sha256"], document.subject_id))
    sealed_word = bytearray(word_file.read_bytes())
    sealed_word[-1] ^= 0xFF  # tampered while sealed
    word_file.write_bytes(bytes(sealed_word))
    tampered = api.get(f"{DOCUMENTS}/{answer['id']}", authority, format="docx")
    assert_error(tampered, 409, "file_corrupted")

    ok(api.client.post(f"/api/v1/privacy/subjects/{document.subject_id}/shred", headers=ADMIN))
    gone = api.get(f"{DOCUMENTS}/{answer['id']}", authority)
    assert_error(gone, 410, "personal_data_erased")
    assert not sealed.exists()
    assert uploads_of(shared_services.database, item["files"]["pdf"]["sha256"]) == []
    with console_as(api.client, authority) as browser:
        page = browser.get(f"/documents/{answer['id']}")
        assert page.status_code == 410 and "个人信息已依法删除" in page.text
    anew = issue(api, authority, **early)
    pdf, word = both(api, authority, listed(api, authority, anew, rid))
    assert "钱卫东" not in pdf + word and "个人信息已依法删除" in word
