"""Official documents (公文, GB/T 9704-2012) as Word and PDF: the content is all there as
text, in the named fonts, hostile text stays text, and the same document gives the same
bytes in any process."""

from __future__ import annotations

import copy
import hashlib
import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, RGBColor

from infra.documents import official
from infra.documents.official import (
    Heading,
    Image,
    Official,
    Paragraph,
    Table,
    chart_png,
    to_docx,
    to_html,
    to_pdf,
)

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script> & {{ x }} \"引号\" 'single'"
PARAGRAPHS = (
    "为推动县委、县政府重点工作落地见效，县政府督查室于11月对重点工作开展了专项督查。",
    "全县纳入督查的重点工作共128项，已办结96项，办结率75%。",
)


def sample() -> Official:
    chart = chart_png("各单位办结率（%）", ["县发改局", "县财政局", "县住建局"], [92.5, 80, 67])
    return Official(
        issuer="某某县人民政府督查室",
        number="某督办〔2026〕3号",
        title="关于第四季度重点工作推进情况的通报",
        addressee="各乡镇人民政府，县直各单位",
        body=(
            Paragraph(PARAGRAPHS[0]),
            Heading("一、总体情况"),
            Paragraph(PARAGRAPHS[1]),
            Heading("（一）进展较快的单位", level=2),
            Table(
                ("单位", "任务数", "办结数"),
                (("县发改局", "12", "11"), ("县财政局", "10", "8")),
                caption="表1 各单位办结情况",
            ),
            Image(chart, caption="图1 各单位办结率", width_mm=120),
            Paragraph(HOSTILE),
        ),
        signature="某某县人民政府督查室",
        dated=date(2026, 12, 6),
        mark="红色督办",
        mark_colour="red",
        copies_to="县委办公室，县人大常委会办公室。",
    )


EXPECTED_TEXT = (
    "某某县人民政府督查室",
    "某督办〔2026〕3号",
    "关于第四季度重点工作推进情况的通报",
    "各乡镇人民政府，县直各单位：",
    *PARAGRAPHS,
    "一、总体情况",
    "（一）进展较快的单位",
    "表1 各单位办结情况",
    "县发改局",
    "县财政局",
    "办结数",
    "图1 各单位办结率",
    "2026年12月6日",
    "红色督办",
    "抄送：县委办公室，县人大常委会办公室。",
)


def tool(*args: str) -> str:
    """A poppler-utils command's output; the test fails (not skips) without it."""
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is missing: install poppler-utils")
    done = subprocess.run(args, capture_output=True, check=True, text=True)
    return done.stdout


def squeezed(text: str) -> str:
    """Text without whitespace: pdftotext wraps lines and pads columns."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def document() -> Official:
    return sample()


@pytest.fixture(scope="module")
def docx_bytes(document: Official) -> bytes:
    return to_docx(document)


@pytest.fixture(scope="module")
def pdf_path(document: Official, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("official") / "official.pdf"
    path.write_bytes(to_pdf(document))
    return path


@pytest.fixture(scope="module")
def pdf_text(pdf_path: Path) -> str:
    return tool("pdftotext", "-layout", "-enc", "UTF-8", str(pdf_path), "-")


def docx_text(data: bytes) -> str:
    word = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def test_the_docx_holds_every_element_of_the_document(docx_bytes: bytes) -> None:
    text = docx_text(docx_bytes)
    for expected in EXPECTED_TEXT:
        assert expected in text, expected
    word = docx.Document(io.BytesIO(docx_bytes))
    paragraphs = [p.text for p in word.paragraphs]
    assert "各乡镇人民政府，县直各单位：" in paragraphs  # the 主送机关 as its own line
    assert paragraphs.index("某某县人民政府督查室", 2) > paragraphs.index(PARAGRAPHS[1])
    assert paragraphs.index("2026年12月6日") == paragraphs.index("某某县人民政府督查室", 2) + 1
    assert [c.text for c in word.tables[0].rows[2].cells] == ["县财政局", "10", "8"]


def test_the_pdf_text_holds_every_element_of_the_document(pdf_text: str) -> None:
    text = squeezed(pdf_text)
    for expected in EXPECTED_TEXT:
        assert squeezed(expected) in text, expected
    assert "—1—" in text  # the page number, 一字线 either side


def test_the_pdf_is_a4_with_its_metadata_from_the_document(pdf_path: Path) -> None:
    info = tool("pdfinfo", str(pdf_path))
    assert "595.276 x 841.89 pts (A4)" in info
    assert "关于第四季度重点工作推进情况的通报" in info  # Title
    assert "某某县人民政府督查室" in info  # Author
    assert info.count("Dec  6 00:00:00 2026 UTC") == 2  # CreationDate and ModDate: 成文日期


def test_the_pdf_embeds_the_named_cjk_fonts(pdf_path: Path) -> None:
    fonts = tool("pdffonts", str(pdf_path))
    for family in ("AR-PL-UKai-CN", "AR-PL-UMing-CN", "WenQuanYi-Micro-Hei"):
        assert family in fonts, fonts
    assert "AR-PL-UMing-CN-Light" in fonts, "the page number's 宋体 (the title's is the bold)"
    assert all(" yes yes " in line for line in fonts.splitlines()[2:]), "embedded and subset"


def test_the_docx_names_the_office_fonts_on_each_run_east_asian_font(docx_bytes: bytes) -> None:
    word = docx.Document(io.BytesIO(docx_bytes))
    by_text = {p.text: p.runs[0] for p in word.paragraphs if p.runs}

    def fonts(text: str) -> tuple[str | None, str | None]:
        run = by_text[text]
        return run.font.name, run._r.rPr.rFonts.get(qn("w:eastAsia"))  # type: ignore[union-attr]

    assert fonts(PARAGRAPHS[0]) == ("Times New Roman", "仿宋_GB2312")
    assert fonts("关于第四季度重点工作推进情况的通报") == ("方正小标宋简体", "方正小标宋简体")
    assert fonts("一、总体情况") == ("黑体", "黑体")
    assert fonts("（一）进展较快的单位") == ("楷体_GB2312", "楷体_GB2312")
    assert by_text[PARAGRAPHS[0]].font.size.pt == 16  # type: ignore[union-attr]  # 3号
    assert by_text["关于第四季度重点工作推进情况的通报"].font.size.pt == 22  # type: ignore[union-attr]


def test_the_docx_page_has_the_standard_margins(docx_bytes: bytes) -> None:
    section = docx.Document(io.BytesIO(docx_bytes)).sections[0]

    def mm(*lengths: int | None) -> list[float]:  # a .docx stores twips: to 0.1 mm
        return [round((length or 0) / Mm(1), 1) for length in lengths]

    assert mm(section.page_width, section.page_height) == [210, 297]  # A4
    assert mm(section.top_margin, section.left_margin) == [37, 28]  # 天头, 订口
    width = mm(section.page_width)[0] - sum(mm(section.left_margin, section.right_margin))
    height = mm(section.page_height)[0] - sum(mm(section.top_margin, section.bottom_margin))
    assert (round(width, 1), round(height, 1)) == (156, 225)  # 版心


def test_the_docx_core_properties_come_from_the_document(docx_bytes: bytes) -> None:
    core = docx.Document(io.BytesIO(docx_bytes)).core_properties
    assert (core.author, core.last_modified_by) == ("某某县人民政府督查室",) * 2
    assert core.title == "关于第四季度重点工作推进情况的通报"
    assert core.created == core.modified
    assert core.created is not None and core.created.date() == date(2026, 12, 6)
    assert core.revision == 1


@pytest.mark.parametrize("render", [to_docx, to_pdf], ids=["docx", "pdf"])
def test_rendering_again_a_day_later_in_one_process_gives_the_same_bytes(
    render: Callable[[Official], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = render(sample())
    later = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: later)  # zip entries would carry the clock's time
    assert first[:4] in (b"PK\x03\x04", b"%PDF") and render(sample()) == first


def test_a_fresh_process_renders_the_same_bytes(docx_bytes: bytes, pdf_path: Path) -> None:
    code = (
        "import hashlib\n"
        "from tests.unit.test_official_documents import sample\n"
        "from infra.documents.official import to_docx, to_pdf\n"
        "print(hashlib.sha256(to_docx(sample())).hexdigest())\n"
        "print(hashlib.sha256(to_pdf(sample())).hexdigest())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "4242"},  # another order of sets and dicts
        capture_output=True,
        check=True,
        text=True,
        timeout=240,
    )
    assert done.stdout.split() == [
        hashlib.sha256(docx_bytes).hexdigest(),
        hashlib.sha256(pdf_path.read_bytes()).hexdigest(),
    ]


def test_the_docx_zip_entries_carry_a_fixed_time(docx_bytes: bytes) -> None:
    entries = zipfile.ZipFile(io.BytesIO(docx_bytes)).infolist()
    assert entries and {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert "docProps/thumbnail.jpeg" not in {entry.filename for entry in entries}


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)


def test_hostile_text_stays_text_in_the_html_and_the_pdf(
    document: Official, pdf_path: Path, pdf_text: str
) -> None:
    html = to_html(document)
    parser = Elements()
    parser.feed(html)
    assert "p" in parser.tags and "script" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ x }}" in html  # escaped, not evaluated
    assert squeezed(HOSTILE) in squeezed(pdf_text)
    assert b"/JavaScript" not in pdf_path.read_bytes() and b"/JS" not in pdf_path.read_bytes()


def test_hostile_text_stays_text_in_the_docx(docx_bytes: bytes) -> None:
    assert HOSTILE in [p.text for p in docx.Document(io.BytesIO(docx_bytes)).paragraphs]


def test_a_chart_is_embedded_as_one_image_in_each_format(docx_bytes: bytes, pdf_path: Path) -> None:
    listing = tool("pdfimages", "-list", str(pdf_path)).splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    assert len(images) == 1 and images[0][3:5] == ["1280", "720"]  # the chart's pixels
    shapes = docx.Document(io.BytesIO(docx_bytes)).inline_shapes
    assert len(shapes) == 1 and shapes[0].width == Mm(120)


def test_a_chart_is_a_deterministic_png_without_a_software_stamp() -> None:
    first = chart_png("办结率", ["甲", "乙"], [1.0, 2.0])
    assert first.startswith(b"\x89PNG\r\n\x1a\n") and b"Software" not in first
    assert first == chart_png("办结率", ["甲", "乙"], [1.0, 2.0])
    assert first != chart_png("办结率", ["甲", "乙"], [1.0, 3.0])


def test_a_font_list_made_before_the_font_was_installed_is_made_again_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from matplotlib import font_manager

    stale = copy.copy(font_manager.fontManager)  # as listed before the font came
    stale.ttflist = [f for f in stale.ttflist if f.name != official.CHART_FONT]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(official, "_fonts_looked_at_again", False)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path))
    monkeypatch.setattr("matplotlib.get_cachedir", lambda: str(tmp_path))

    assert chart_png("办结率", ["甲"], [1.0]).startswith(b"\x89PNG")
    assert font_manager.fontManager is not stale
    assert list(tmp_path.glob("fontlist-*.json")), "the new list is kept for the next process"
    assert "listing the machine's fonts again" in caplog.text
    # Where the machine really lacks it, the part is named (once looked at again).
    lacking = copy.copy(stale)
    monkeypatch.setattr(font_manager, "fontManager", lacking)
    with pytest.raises(OSError, match="the chart font is not installed"):
        chart_png("办结率", ["甲"], [1.0])


def test_the_mark_is_red_in_the_docx_and_nothing_else_of_the_body_is(docx_bytes: bytes) -> None:
    word = docx.Document(io.BytesIO(docx_bytes))
    colours = {p.text: p.runs[0].font.color.rgb for p in word.paragraphs if p.runs}
    assert colours["红色督办"] == RGBColor(0xD0, 0x00, 0x00)
    assert colours[PARAGRAPHS[0]] is None and colours["关于第四季度重点工作推进情况的通报"] is None


def test_a_blue_mark_is_blue_and_an_unknown_colour_is_refused() -> None:
    blue = Official("机关", "号", "题", "", (), "机关", date(2026, 1, 5), "蓝色督办", "blue")
    mark = docx.Document(io.BytesIO(to_docx(blue))).paragraphs[0]
    assert mark.text == "蓝色督办" and mark.runs[0].font.color.rgb == RGBColor(0x00, 0x50, 0xC8)
    with pytest.raises(ValueError, match="red, yellow or blue"):
        Official("机关", "号", "题", "", (), "机关", date(2026, 1, 5), "督办", "green")


def test_a_missing_chart_font_is_a_clear_refusal_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from matplotlib import font_manager

    from domain.errors import RenderingUnavailable
    from infra.documents import compose

    def no_font(*args: object, **kwargs: object) -> str:
        raise ValueError("Failed to find font WenQuanYi Micro Hei")

    # Not found in the list, nor in the list made again: the machine lacks it.
    monkeypatch.setattr(font_manager.FontManager, "findfont", no_font)
    monkeypatch.setattr(official, "_fonts_looked_at_again", False)
    monkeypatch.setattr(font_manager, "fontManager", font_manager.fontManager)
    monkeypatch.setattr("matplotlib.get_cachedir", lambda: str(tmp_path))
    totals = {"raised": 1, "closed": 0, "open": 1, "overdue": 1}
    ranking = [{"name": "县发改局", "raised": 1, "closed": 0, "open": 1, "overdue": 1}]
    content = compose.bulletin(
        "2026年11月", "新政督通〔2026〕9号", date(2026, 12, 1), totals, [], ranking, []
    )
    with pytest.raises(RenderingUnavailable, match="fonts-wqy-microhei"):
        compose.rendered(content)
