"""What each kind of document says (issue 17 item 2): its content — the facts it states, as
blocks — made from the records, and the `Official` the renderers lay out from that content.

The content is what the `IssuedDocument.Issued` event keeps, so a document is reproduced from
the log alone: `official_of(content)` gives the same `Official`, and the renderers give the
same bytes. Images are kept as the data of their chart, not as pixels. A ruling's decision
keeps `SUBJECT_PLACEHOLDER` where the person's name goes; the name is given at rendering.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from domain.clock import cn_date
from domain.documents import CODE_PLACEHOLDER, KINDS, POSITION_PLACEHOLDER, SUBJECT_PLACEHOLDER
from domain.errors import RenderingUnavailable
from domain.findings import Finding
from domain.rulings import AccountabilityRuling, Ruling, ToleranceRuling
from domain.subjects import SHREDDED
from domain.vocabulary import AppealResult, DocumentKind, FindingCategory, FindingStatus, Severity
from infra.documents import official as o
from infra.privacy import MIN_NAME_LENGTH

COLOURS = {"red": "红色督办", "yellow": "黄色督办", "blue": "蓝色督办"}
ALL_UNITS = "各乡镇人民政府、街道办事处，县府各部门"  # the seed's 主送, as the plan was sent
ERASED = "（个人信息已依法删除）"  # what a shredded person's name reads as in a document


CLOSING = ("。", "！", "？", "；", "…", ".", "!", "?", ";")


def header(
    kind: DocumentKind, number: str, title: str, addressee: str, issued_on: date
) -> dict[str, Any]:
    rules = KINDS[kind]
    return {
        "issuer": rules.issuer,
        "number": number,
        "title": marked(title),
        "addressee": addressee,
        "signature": rules.issuer,
        "dated": issued_on.isoformat(),
        "mark": "",
        "mark_colour": "",
        "copies_to": "",
        "body": [],
    }


# Where the composer puts a ruling subject's name, position and 校验码: tokens of its own,
# noncharacters no record's text can hold (domain/text.py refuses them), kept in the content
# as the placeholders. The same words typed in a record's text are kept with ESCAPE inside
# them (an ESCAPE typed is doubled), so rendering shows them as typed.
NAME_TOKEN, POSITION_TOKEN, CODE_TOKEN = "\ufde1", "\ufde2", "\ufde3"
ESCAPE = "\ue000"
TOKENS = {
    NAME_TOKEN: SUBJECT_PLACEHOLDER,
    POSITION_TOKEN: POSITION_PLACEHOLDER,
    CODE_TOKEN: CODE_PLACEHOLDER,
}
ESCAPED = re.compile(ESCAPE + "(.)", re.DOTALL)


def marked(text: str) -> str:
    """Text of the content: what a user typed escaped, the composer's tokens made
    placeholders."""
    text = text.replace(ESCAPE, ESCAPE + ESCAPE)
    for mark in TOKENS.values():
        text = text.replace(mark, mark[0] + ESCAPE + mark[1:])
    for token, mark in TOKENS.items():
        text = text.replace(token, mark)
    return text


def p(text: str) -> dict[str, Any]:
    return {"p": marked(text)}


def sentence(text: str) -> str:
    """`text` as a sentence of a document: closed by a full stop unless it closes itself
    (user text often ends with its own 。 or ！)."""
    text = text.rstrip()
    return text if text.endswith(CLOSING) else text + "。"


def h(text: str, level: int = 1) -> dict[str, Any]:
    return {"h": marked(text), "level": level}


def table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = ""
) -> dict[str, Any]:
    cells = [[marked(str(cell)) for cell in row] for row in rows]
    return {"table": {"header": list(header), "rows": cells, "caption": caption}}


def finding_facts(finding: Finding, unit_name: str) -> dict[str, Any]:
    return table(
        ("问题", "责任单位", "问题类别", "严重程度", "发现日期"),
        [
            (
                finding.title,
                unit_name,
                FindingCategory(finding.category).label,
                Severity(finding.severity).label,
                cn_date(finding.found_on),
            )
        ],
    )


def supervision_notice(
    finding: Finding, unit_name: str, colour: str | None, number: str, issued_on: date
) -> dict[str, Any]:
    """督办通知书: the finding, its deadline and its 红/黄/蓝 督办 state."""
    title = f"关于督促办理“{finding.title}”问题的督办通知书"
    content = header(DocumentKind.SUPERVISION_NOTICE, number, title, unit_name, issued_on)
    content["mark"] = COLOURS.get(colour or "", "")
    content["mark_colour"] = colour or ""
    deadline = cn_date(finding.deadline) if finding.deadline else "（未定）"
    status = FindingStatus(finding.status).label
    content["body"] = [
        p("经督查，你单位存在以下问题，现予督办："),
        finding_facts(finding, unit_name),
        h("一、问题情况"),
        p(finding.description),
        h("二、督办要求"),
        p(sentence(f"整改要求：{finding.requirements or '按照有关规定整改到位'}")),
        p(f"整改期限：{deadline}。当前状态：{status}。"),
        p(
            "请你单位高度重视，切实落实整改责任，于整改期限前将整改情况（附佐证材料）报送"
            "县政府督查室。逾期未完成整改的，将予以通报，并依规依纪启动问责程序。"
        ),
    ]
    return content


def rectification_notice(
    finding: Finding, unit_name: str, number: str, issued_on: date
) -> dict[str, Any]:
    """整改通知书: what is to be rectified, how and by when."""
    title = f"关于限期整改“{finding.title}”问题的通知"
    content = header(DocumentKind.RECTIFICATION_NOTICE, number, title, unit_name, issued_on)
    deadline = cn_date(finding.deadline) if finding.deadline else "（未定）"
    content["body"] = [
        p("县政府督查室在督查中发现你单位存在下列问题，现通知如下："),
        finding_facts(finding, unit_name),
        h("一、存在问题"),
        p(finding.description),
        h("二、整改要求"),
        p(sentence(finding.requirements or "按照有关规定整改到位")),
        h("三、整改期限"),
        p(f"请于{deadline}前整改完毕，并将整改情况书面报送县政府督查室。"),
    ]
    return content


def bulletin(
    period_label: str,
    number: str,
    issued_on: date,
    totals: dict[str, int],
    overdue: list[dict[str, Any]],
    ranking: list[dict[str, Any]],
    cases: list[dict[str, Any]],
) -> dict[str, Any]:
    """情况通报: counts, the overdue list, the ranking and typical cases of a period."""
    title = f"关于{period_label}督查工作情况的通报"
    content = header(DocumentKind.BULLETIN, number, title, ALL_UNITS, issued_on)
    body: list[dict[str, Any]] = [
        p(f"现将{period_label}督查工作情况通报如下："),
        h("一、总体情况"),
        p(
            f"本期共发现问题{totals['raised']}个，办结{totals['closed']}个；截至"
            f"{cn_date(issued_on)}，尚未办结{totals['open']}个，其中逾期未完成"
            f"{totals['overdue']}个。"
        ),
        h("二、逾期未完成整改问题"),
    ]
    if overdue:
        body.append(
            table(
                ("问题", "责任单位", "整改期限"),
                [(f["title"], f["unit_name"], cn_date(f["deadline"])) for f in overdue],
            )
        )
    else:
        body.append(p("本期无逾期未完成整改的问题。"))
    body.append(h("三、单位排名"))
    if ranking:
        rows = [
            (i, r["name"], r["raised"], r["closed"], r["open"], r["overdue"])
            for i, r in enumerate(ranking, 1)
        ]
        body.append(table(("名次", "单位", "本期发现", "本期办结", "未办结", "逾期"), rows))
        shown = ranking[:10]
        chart = {
            "title": "各单位逾期问题数", "labels": [r["name"] for r in shown],
            "values": [r["overdue"] for r in shown], "caption": "图1 各单位逾期问题数",
        }  # fmt: skip
        body.append({"chart": chart})
    body.append(h("四、典型案例（本年度）"))
    for case in cases or [{"title": "本期无典型案例。", "facts": ""}]:
        body.append(p(f"{case['title']}{'：' + case['facts'] if case['facts'] else ''}"))
    body.append(p("请各单位对照通报情况，认真抓好问题整改，确保各项工作落到实处。"))
    content["body"] = body
    return content


def rate(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def evaluation_report(
    unit_name: str,
    year: int,
    card: dict[str, Any],
    parts: dict[str, Any],
    number: str,
    issued_on: date,
) -> dict[str, Any]:
    """年度考评报告: the unit's scorecard and its year-end score."""
    title = f"{unit_name}{year}年度考评报告"
    content = header(DocumentKind.EVALUATION_REPORT, number, title, unit_name, issued_on)
    content["body"] = [
        p(f"根据年度考评办法，现将{unit_name}{year}年度考评情况报告如下："),
        h("一、督查整改情况"),
        table(
            ("发现问题", "已办结", "正在整改", "逾期", "按期办结率"),
            [
                (
                    card["findings_raised"],
                    card["findings_closed"],
                    card["findings_open"],
                    card["findings_overdue"],
                    rate(card["on_time_rate"]),
                )
            ],
        ),
        h("二、问责与容错情况"),
        p(
            f"本年度问责{card.get('accountability_rulings', 0)}件，容错免责"
            f"{card.get('tolerance_rulings', 0)}件。"
        ),
        h("三、年终综合考评"),
        table(
            ("台账完成度", "督查整改", "考评得分", "综合得分"),
            [
                (
                    score(parts.get("ledger")),
                    score(parts.get("supervision")),
                    score(parts.get("evaluation")),
                    score(parts.get("total")),
                )
            ],
        ),
    ]
    return content


def score(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f}"


def appealed(ruling: Ruling, hide: Callable[[str], str]) -> str | None:
    """The appeal's decision, as the document states it (the form or outcome above is the
    one decided on appeal); None when there was none."""
    appeal = ruling.appeal or {}
    if not appeal.get("result"):
        return None
    result = AppealResult(appeal["result"]).label
    reasoning = hide(appeal.get("reasoning") or "")
    return f"经申诉复核，{result}原决定。{reasoning}本决定为申诉复核后的决定。"


def ruling_decision(ruling: Ruling, unit_name: str, number: str, issued_on: date) -> dict[str, Any]:
    """问责决定书 / 容错免责认定书: the decided ruling, the person's name and position left to
    rendering (the content, which the log keeps, holds placeholders where they go, in its
    free text too)."""
    person = ruling.subject.get("person") or {}
    who = NAME_TOKEN if person else unit_name
    position = POSITION_TOKEN if person.get("position") else ""

    def hide(text: str) -> str:
        for value, mark in ((person.get("name"), NAME_TOKEN),
                            (person.get("position"), POSITION_TOKEN)):  # fmt: skip
            if value and len(value) >= MIN_NAME_LENGTH:
                text = text.replace(value, mark)
        return text

    decision = {k: hide(v) if isinstance(v, str) else v for k, v in (ruling.decision or {}).items()}
    if isinstance(ruling, AccountabilityRuling):
        kind, title = DocumentKind.ACCOUNTABILITY_DECISION, f"关于对{who}问责的决定"
        content = header(kind, number, title, unit_name, issued_on)
        content["body"] = [
            p(f"被问责对象：{who}{'（' + unit_name + position + '）' if person else ''}"),
            h("一、基本事实"),
            p(hide(ruling.facts)),
            h("二、处理依据"),
            p(hide(ruling.basis)),
            h("三、处理决定"),
            p(f"经研究，决定对{who}予以{ruling.form.label}。{decision.get('reasoning', '')}"),
            h("四、救济途径"),
            p(
                appealed(ruling, hide)
                or "如对本决定不服，可在收到本决定之日起一个月内向作出决定的机关提出申诉"
                "（期限最后一日为法定节假日的，顺延至节假日后的第一个工作日）。"
                "申诉期间，不停止本决定的执行。"
            ),
        ]
    else:
        assert isinstance(ruling, ToleranceRuling)
        kind, title = DocumentKind.TOLERANCE_DECISION, f"关于对{who}容错免责的认定书"
        content = header(kind, number, title, unit_name, issued_on)
        outcome = ruling.outcome.label if ruling.outcome else ""
        content["body"] = [
            p(f"申请对象：{who}{'（' + unit_name + position + '）' if person else ''}"),
            h("一、申请事由"),
            p(hide(ruling.grounds)),
            h("二、认定意见"),
            p(f"经核实，认定结果为：{outcome}。{decision.get('reasoning', '')}"),
            *([p(line)] if (line := appealed(ruling, hide)) else []),
            p("本认定书存入容错免责案例库，作为同类情形认定的参考。"),
        ]
    if person:
        content["body"].append(p(f"文书校验码：{CODE_TOKEN}"))
    return content


# The control characters XML 1.0 cannot hold (all below U+0020 but tab, LF and CR): typed
# text may carry them, and a Word file could not be written with them in it. openpyxl's
# pattern, which the spreadsheets strip (api/documents/excel.py).
NOT_XML = ILLEGAL_CHARACTERS_RE


def legible(value: Any) -> Any:
    """`value` (the content, or any part of it) without the characters XML cannot hold."""
    if isinstance(value, str):
        return NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {key: legible(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [legible(item) for item in value]
    return value


def official_of(content: dict[str, Any], person: dict[str, Any] | None = None) -> o.Official:
    """The `Official` the content describes; the placeholders of a subject's name and
    position are filled from `person` (a shredded person's read as deleted). Characters XML
    cannot hold are left out of every text (`legible`), as the spreadsheets leave them."""
    content, person = legible(content), legible(person)
    name, position = (person or {}).get("name"), (person or {}).get("position")
    erased = not name or name == SHREDDED
    shown = {
        SUBJECT_PLACEHOLDER: ERASED if erased else str(name),
        POSITION_PLACEHOLDER: "" if erased or not position else str(position),
        CODE_PLACEHOLDER: str((person or {}).get("code") or "（已随个人信息删除）"),
    }

    def named(text: str) -> str:
        """The placeholders filled, and what was typed unescaped (as typed)."""
        for token, mark in TOKENS.items():
            text = text.replace(mark, token)
        text = ESCAPED.sub(r"\1", text)
        for token, mark in TOKENS.items():
            text = text.replace(token, shown[mark])
        return text

    blocks: list[o.Block] = []
    for block in content["body"]:
        if "p" in block:
            blocks.append(o.Paragraph(named(block["p"])))
        elif "h" in block:
            blocks.append(o.Heading(named(block["h"]), int(block.get("level", 1))))
        elif "table" in block:
            t = block["table"]
            rows = tuple(tuple(named(cell) for cell in row) for row in t["rows"])
            blocks.append(o.Table(tuple(t["header"]), rows, t.get("caption", "")))
        else:
            c = block["chart"]
            png = o.chart_png(c["title"], c["labels"], c["values"])
            blocks.append(o.Image(png, c.get("caption", "")))
    return o.Official(
        issuer=content["issuer"],
        number=content["number"],
        title=named(content["title"]),
        addressee=content["addressee"],
        body=tuple(blocks),
        signature=content["signature"],
        dated=date.fromisoformat(content["dated"]),
        mark=content["mark"],
        mark_colour=content["mark_colour"],
        copies_to=content["copies_to"],
    )


# What renders PDFs (docs/adr/034): Pango for WeasyPrint, the free CJK fonts.
SYSTEM_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "fonts-arphic-uming",
    "fonts-arphic-ukai",
    "fonts-wqy-microhei",
)
FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def rendered(content: dict[str, Any], person: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The document in both formats, byte for byte what the same content (and person)
    always gives; one naming a person is padded by a length its sealed 校验码 sets, so not
    even the files' sizes tell the name's length once the person is shredded."""
    try:
        document = official_of(content, person)
        pdf = o.to_pdf(document)
    except OSError as missing:  # WeasyPrint could not load Pango, or a font is missing
        raise RenderingUnavailable(
            "PDF rendering needs Pango and the CJK fonts on this machine: apt-get install "
            f"{' '.join(SYSTEM_PACKAGES)} ({missing})"
        ) from None
    files = {"pdf": pdf, "docx": o.to_docx(document)}
    code = (person or {}).get("code")
    return {fmt: padded(data, fmt, str(code)) for fmt, data in files.items()} if code else files


def padded(data: bytes, fmt: str, code: str) -> bytes:
    """`data` with 512–4607 bytes more, as many as `code` sets: a comment after a PDF's end,
    a Word file's zip comment."""
    length = 512 + int.from_bytes(hashlib.sha256(f"{fmt}:{code}".encode()).digest()[:2]) % 4096
    if fmt == "pdf":
        return data + b"%" + b" " * length + b"\n"
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():  # its time, mode and compression kept
            target.writestr(entry, source.read(entry.filename))
        target.comment = b" " * length
    return out.getvalue()
