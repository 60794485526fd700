"""Official documents (公文) as Word and as PDF, in the layout of GB/T 9704-2012
党政机关公文格式.

One content model (`Official` and its blocks) and two renderers sharing it: `to_docx` builds
the .docx with python-docx, naming the fonts offices have (仿宋_GB2312, 方正小标宋简体, 黑体,
楷体_GB2312); `to_pdf` renders templates/official.html with WeasyPrint and the free CJK fonts
Debian packages (AR PL UMing and UKai, WenQuanYi Micro Hei). The page follows the standard:
A4, 版心 156 × 225 mm at 37 mm from the top and 28 mm from the 订口, 3号 body text at 22
lines of about 28 characters, a red 版头 with its rule, the 落款 and 成文日期 on the right,
page numbers "— 1 —" outside on odd and even pages. A heading's text carries its own 序数
("一、", "（一）"); its level chooses the face (黑体, 楷体).

User text stays text: python-docx runs are plain text, and the template autoescapes. The
same document renders to the same bytes, in any process and on any day: python-docx stamps
each zip entry with the clock, so the .docx is rewritten with a fixed time, and its core
properties come from the document; the PDF's dates are the 成文日期 and its /ID is a digest
of its content (WeasyPrint 70 names font subsets and images by digests, not at random).
"""

from __future__ import annotations

import io
import logging
import threading
from base64 import b64encode
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from docx import Document
from docx.document import Document as Word
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.clock import cn_date

BODY_WIDTH_MM = 156  # 版心 156 × 225 mm
LINE = Pt(28.9)  # 22 lines in the 225 mm of the 版心
CHAR_SPACING = Pt(-0.25)  # 28 characters of 3号 (16 pt) in the 156 mm of a line
RED = "D00000"
MARK_COLOURS = {"red": RED, "yellow": "E0A800", "blue": "0050C8"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry

# The schema orders properties: what may follow w:pBdr in w:pPr, and w:spacing in w:rPr.
_AFTER_PBDR = ("w:shd", "w:tabs", "w:snapToGrid", "w:spacing", "w:ind", "w:jc", "w:rPr")
_AFTER_RPR_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:u", "w:lang")

# (eastAsia, ascii) faces named in the .docx
FANGSONG = ("仿宋_GB2312", "Times New Roman")
XIAOBIAOSONG = ("方正小标宋简体", "方正小标宋简体")
HEITI = ("黑体", "黑体")
KAITI = ("楷体_GB2312", "楷体_GB2312")
SONGTI = ("宋体", "宋体")


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Heading:
    """A heading of the 正文: level 1 ("一、", 黑体) or level 2 ("（一）", 楷体)."""

    text: str
    level: int = 1

    def __post_init__(self) -> None:
        if self.level not in (1, 2):
            raise ValueError(f"a heading's level is 1 or 2, not {self.level!r}")


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __post_init__(self) -> None:
        if not self.header or any(len(row) != len(self.header) for row in self.rows):
            raise ValueError("a table has a header, and every row has as many cells as it")


@dataclass(frozen=True)
class Image:
    png: bytes
    caption: str = ""
    width_mm: int = 150

    def __post_init__(self) -> None:
        if not 0 < self.width_mm <= BODY_WIDTH_MM:
            raise ValueError(f"an image is 1 to {BODY_WIDTH_MM} mm wide, the page body's width")


Block = Paragraph | Heading | Table | Image


@dataclass(frozen=True)
class Official:
    issuer: str  # 发文机关标志, red in the 版头
    number: str  # 发文字号, e.g. "某督办〔2026〕3号"
    title: str  # 标题
    addressee: str  # 主送机关, may be ""; printed followed by "："
    body: tuple[Block, ...]
    signature: str  # 落款 (署名)
    dated: date  # 成文日期
    mark: str = ""  # in the 版头's top-left, e.g. "红色督办"
    mark_colour: str = ""  # "red" | "yellow" | "blue" | "": the mark's colour
    copies_to: str = ""  # 抄送, in the 版记

    def __post_init__(self) -> None:
        if self.mark_colour and self.mark_colour not in MARK_COLOURS:
            raise ValueError(f"a mark is red, yellow or blue, not {self.mark_colour!r}")

    @property
    def dated_text(self) -> str:
        """The 成文日期 in Arabic numerals, as the 2012 standard has it: 2026年12月6日."""
        return cn_date(self.dated)

    @property
    def timestamp(self) -> datetime:
        """The 成文日期 at midnight UTC: the files' creation and modification time."""
        return datetime(self.dated.year, self.dated.month, self.dated.day, tzinfo=UTC)


# -- PDF ----------------------------------------------------------------------------------

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.filters["png_data_url"] = lambda png: "data:image/png;base64," + b64encode(png).decode()


def to_html(doc: Official) -> str:
    """The document as the HTML the PDF is rendered from."""
    return _TEMPLATES.get_template("official.html").render(
        doc=doc,
        blocks=[(type(block).__name__.lower(), block) for block in doc.body],
        mark_colour=MARK_COLOURS.get(doc.mark_colour, "000000"),
        issuer_size=_issuer_size(doc.issuer),
        created=doc.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def to_pdf(doc: Official) -> bytes:
    """The document as PDF. Only data: URLs are fetched (the images the template embeds)."""
    import weasyprint  # loads Pango: on first use, not at import

    html = weasyprint.HTML(
        string=to_html(doc), url_fetcher=weasyprint.URLFetcher(allowed_protocols=("data",))
    )
    # pdf_identifier=True: the /ID is the MD5 of the file's objects, so it follows the content.
    pdf: bytes = html.write_pdf(pdf_identifier=True)
    return pdf


# -- Word ---------------------------------------------------------------------------------


def to_docx(doc: Official) -> bytes:
    """The document as a Word file, the same bytes each time for the same document."""
    word = Document()
    _set_up_page(word)
    _set_core_properties(word, doc)

    if doc.mark:
        mark = _paragraph(word, doc.mark, HEITI, 16, indent=False)
        _runs_coloured(mark, MARK_COLOURS.get(doc.mark_colour, "000000"))
    issuer = _paragraph(word, doc.issuer, XIAOBIAOSONG, _issuer_size(doc.issuer), indent=False)
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    issuer.paragraph_format.line_spacing = 1.0
    # 发文机关标志上边缘至版心上边缘为 35 mm (less the mark's line when there is one)
    issuer.paragraph_format.space_before = Mm(35) - (LINE if doc.mark else 0)
    _runs_coloured(issuer, RED)
    number = _paragraph(word, doc.number, FANGSONG, 16, indent=False, lines_before=2)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _rule(number, "bottom", RED, eighths=12, space_pt=11)  # 4 mm under the 发文字号

    title = _paragraph(word, doc.title, XIAOBIAOSONG, 22, indent=False, lines_before=2)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER  # 小标宋 is bold already: Word would embolden it
    if doc.addressee:
        _paragraph(word, f"{doc.addressee}：", FANGSONG, 16, indent=False, lines_before=1)

    for block in doc.body:
        _add_block(word, block)

    signature = _paragraph(word, doc.signature, FANGSONG, 16, indent=False, lines_before=1)
    dated = _paragraph(word, doc.dated_text, FANGSONG, 16, indent=False)
    for paragraph in (signature, dated):
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(32)  # 右空二字

    if doc.copies_to:
        record = _paragraph(word, f"抄送：{doc.copies_to}", FANGSONG, 14, indent=False)
        record.paragraph_format.space_before = LINE
        record.paragraph_format.left_indent = record.paragraph_format.right_indent = Pt(14)
        _rule(record, "top", "000000", eighths=8, space_pt=4)
        _rule(record, "bottom", "000000", eighths=8, space_pt=4)

    return _deterministic_zip(word)


def _add_block(word: Word, block: Block) -> None:
    if isinstance(block, Paragraph):
        _paragraph(word, block.text, FANGSONG, 16)
    elif isinstance(block, Heading):
        heading = _paragraph(word, block.text, HEITI if block.level == 1 else KAITI, 16)
        heading.paragraph_format.keep_with_next = True
    elif isinstance(block, Table):
        if block.caption:
            caption = _paragraph(word, block.caption, HEITI, 14, indent=False)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption.paragraph_format.keep_with_next = True
        table = word.add_table(rows=1 + len(block.rows), cols=len(block.header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, cells in enumerate((block.header, *block.rows)):
            for c, text in enumerate(cells):
                cell = table.cell(r, c).paragraphs[0]
                cell.paragraph_format.line_spacing = 1.0
                _run(cell.add_run(text), HEITI if r == 0 else FANGSONG, 14)
    else:
        picture = _paragraph(word, "", FANGSONG, 16, indent=False)
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.line_spacing = 1.0  # an exact line height would crop it
        picture.add_run().add_picture(io.BytesIO(block.png), width=Mm(block.width_mm))
        if block.caption:
            caption = _paragraph(word, block.caption, HEITI, 14, indent=False)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _paragraph(
    word: Word,
    text: str,
    face: tuple[str, str],
    size: float,
    *,
    indent: bool = True,
    lines_before: int = 0,
) -> DocxParagraph:
    """A paragraph of one run; `indent`: 首行缩进二字, as the 正文's paragraphs have."""
    paragraph: DocxParagraph = word.add_paragraph()
    form = paragraph.paragraph_format
    form.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    form.line_spacing = LINE
    form.space_before = Length(LINE * lines_before)
    form.space_after = 0
    form.first_line_indent = Pt(2 * size) if indent else 0
    if text:
        _run(paragraph.add_run(text), face, size)
    return paragraph


def _run(run: Run, face: tuple[str, str], size: float) -> Run:
    east_asia, ascii_ = face
    run.font.name = ascii_
    run.font.size = Pt(size)
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    if size == 16:  # 3号 text: 28 characters a line
        spacing = OxmlElement("w:spacing", {qn("w:val"): str(round(CHAR_SPACING.pt * 20))})
        run._r.get_or_add_rPr().insert_element_before(spacing, *_AFTER_RPR_SPACING)
    return run


def _runs_coloured(paragraph: DocxParagraph, rgb: str) -> None:
    for run in paragraph.runs:
        run.font.color.rgb = RGBColor.from_string(rgb)


def _rule(paragraph: DocxParagraph, side: str, rgb: str, *, eighths: int, space_pt: int) -> None:
    """A line the width of the 版心 along a side of the paragraph (a paragraph border)."""
    properties = paragraph._p.get_or_add_pPr()
    borders = properties.find(qn("w:pBdr"))
    if borders is None:
        borders = properties.insert_element_before(OxmlElement("w:pBdr"), *_AFTER_PBDR)
    line = OxmlElement(f"w:{side}")
    for name, value in (("val", "single"), ("sz", eighths), ("space", space_pt), ("color", rgb)):
        line.set(qn(f"w:{name}"), str(value))
    borders.append(line)


def _set_up_page(word: Word) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(22)  # the number's 一字线 7 mm under the 版心
    word.settings.odd_and_even_pages_header_footer = True
    # 单页码居右空一字，双页码居左空一字
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        number = footer.paragraphs[0]
        number.alignment = alignment
        number.paragraph_format.left_indent = number.paragraph_format.right_indent = Pt(14)
        _run(number.add_run("— "), SONGTI, 14)
        for kind in ("begin", "PAGE", "end"):
            run = _run(number.add_run(), SONGTI, 14)
            if kind == "PAGE":
                instruction = OxmlElement("w:instrText")
                instruction.text = " PAGE "
                run._r.append(instruction)
            else:
                field = OxmlElement("w:fldChar")
                field.set(qn("w:fldCharType"), kind)
                run._r.append(field)
        _run(number.add_run(" —"), SONGTI, 14)


def _set_core_properties(word: Word, doc: Official) -> None:
    core = word.core_properties
    core.author = core.last_modified_by = doc.issuer
    core.title = doc.title
    core.comments = ""
    core.created = core.modified = doc.timestamp.replace(tzinfo=None)
    core.revision = 1
    # The template's thumbnail is python-docx's own page: it would misrepresent this one.
    rels = word.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL]:
        del rels[rid]


def _deterministic_zip(word: Word) -> bytes:
    """The saved package, its entries in the same order with a fixed time and permissions
    (python-docx stamps each entry with the current time)."""
    saved = io.BytesIO()
    word.save(saved)
    out = io.BytesIO()
    with ZipFile(saved) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = ZipInfo(entry.filename, date_time=ZIP_TIME)
            info.compress_type = ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever system renders it
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry))
    return out.getvalue()


def _issuer_size(issuer: str) -> float:
    """The 发文机关标志's size in points: 初号 (42 pt), smaller if a long name needs it to fit
    the 版心's width on one line."""
    return float(min(42, int(Mm(BODY_WIDTH_MM).pt / max(len(issuer), 1))))


# -- Charts -------------------------------------------------------------------------------


log = logging.getLogger(__name__)
CHART_FONT = "WenQuanYi Micro Hei"
_fonts_looked_at_again = False
_fonts_listing = threading.Lock()


def chart_font() -> str:
    """The path of the chart's font. matplotlib keeps a list of the machine's fonts per
    user; one made before the font was installed is made again, once a process, before
    the font counts as missing (as a missing Pango does: the machine lacks a part).
    Another chart asked for meanwhile waits for the new list."""
    global _fonts_looked_at_again
    import matplotlib
    from matplotlib import font_manager

    wanted = font_manager.FontProperties(family=CHART_FONT)
    with _fonts_listing:
        try:
            return str(font_manager.fontManager.findfont(wanted, fallback_to_default=False))
        except ValueError as missing:
            if _fonts_looked_at_again:
                raise OSError(f"the chart font is not installed: {missing}") from None
        log.info("chart font not in matplotlib's font list; listing the machine's fonts again")
        font_manager.fontManager = font_manager.FontManager()
        version = font_manager.FontManager.__version__
        cache = Path(matplotlib.get_cachedir(), f"fontlist-v{version}.json")
        font_manager.json_dump(font_manager.fontManager, cache)  # for the next process too
        _fonts_looked_at_again = True
    return chart_font()


def chart_png(title: str, labels: Sequence[str], values: Sequence[float]) -> bytes:
    """A bar chart as PNG, labelled in Chinese with WenQuanYi Micro Hei; the same bytes for
    the same data (fixed size and dpi, no Software stamp)."""
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = font_manager.FontProperties(fname=chart_font(), size=11)
    figure = Figure(figsize=(6.4, 3.6), dpi=200)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.bar(range(len(values)), list(values), color="#c00000", width=0.6)
    axes.set_xticks(range(len(labels)), list(labels), fontproperties=font)
    axes.set_title(title, fontproperties=font)
    axes.bar_label(bars, fmt="%g", fontproperties=font)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=200, metadata={"Software": None})
    return out.getvalue()
