"""A document's sentences end once: user text that closes itself gets no second 。."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from docx import Document

from domain.rulings import AccountabilityRuling
from infra.documents.compose import (
    NOT_XML,
    rectification_notice,
    rendered,
    ruling_decision,
    sentence,
    supervision_notice,
)
from tests.support import raised_finding

ACTOR = {"id": "a1", "name": "督查员", "role": "inspector"}


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("限期整改到位", "限期整改到位。"),
        ("限期整改到位，并报送整改材料。", "限期整改到位，并报送整改材料。"),
        ("立即整改！ ", "立即整改！"),
        ("是否整改？", "是否整改？"),
        ("见附件；", "见附件；"),
    ],
)
def test_a_sentence_gets_a_full_stop_only_when_it_has_no_closing_mark(
    text: str, written: str
) -> None:
    assert sentence(text) == written


def paragraphs(content: dict[str, Any]) -> list[str]:
    return [block["p"] for block in content["body"] if "p" in block]


@pytest.mark.parametrize("requirements", ["限期整改到位，并报送整改材料。", "限期整改到位"])
def test_the_notices_state_the_requirements_with_one_full_stop(requirements: str) -> None:
    finding = raised_finding(ACTOR, date(2026, 3, 5))
    finding.order_rectification(deadline=date(2026, 4, 1), requirements=requirements, actor=ACTOR)
    stated = requirements if requirements.endswith("。") else requirements + "。"
    notice = paragraphs(
        supervision_notice(finding, "城关镇", "yellow", "新政督办〔2026〕1号", date(2026, 3, 6))
    )
    assert f"整改要求：{stated}" in notice
    rectification = paragraphs(
        rectification_notice(finding, "城关镇", "新政整改〔2026〕1号", date(2026, 3, 6))
    )
    assert stated in rectification
    assert not any("。。" in text for text in notice + rectification)


def test_text_with_control_characters_renders_without_them_in_both_formats() -> None:
    """Typed text may carry characters XML cannot hold; a Word file with them could not be
    written at all, so they are left out, as the spreadsheets leave them."""
    finding = raised_finding(ACTOR, date(2026, 3, 5))
    finding.title = "河道保洁\x01不到位\x1b[31m"
    finding.order_rectification(deadline=date(2026, 4, 1), requirements="整改\x07", actor=ACTOR)
    content = supervision_notice(
        finding, "城关\x02镇", "yellow", "新政督办〔2026〕1号", date(2026, 3, 6)
    )
    files = rendered(content)
    text = "\n".join(p.text for p in Document(io.BytesIO(files["docx"])).paragraphs)
    assert "河道保洁不到位[31m" in text and "整改要求：整改。" in text
    assert not NOT_XML.search(text)
    assert files["pdf"].startswith(b"%PDF")
    assert rendered(content) == files, "the same content, the same bytes"


def words_of(files: dict[str, bytes]) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(files["docx"])).paragraphs)


# The words the composer marks a subject's place with, and private-use characters (an
# escape of its own among them): typed, each is text.
TYPED = "〔当事人〕〔职务〕〔校验码〕\ue000\ue001〔\ue000当事人〕\ue000\ue000"


def test_the_placeholders_typed_in_a_records_text_stay_as_typed() -> None:
    """A notice's user text holding the words a ruling document's placeholders are made of
    renders them as typed: nothing is put in their place, nor are they dropped."""
    finding = raised_finding(ACTOR, date(2026, 3, 5))
    finding.title = f"文书测试{TYPED}"
    finding.order_rectification(deadline=date(2026, 4, 1), requirements=f"要求{TYPED}",
                                actor=ACTOR)  # fmt: skip
    content = supervision_notice(finding, "城关镇", "yellow", "新政督办〔2026〕1号",
                                 date(2026, 3, 6))  # fmt: skip
    text = words_of(rendered(content))
    assert f"文书测试{TYPED}" in text and f"要求{TYPED}" in text


def test_a_ruling_decision_names_its_person_where_it_says_and_leaves_typed_placeholders() -> None:
    ruling = AccountabilityRuling(
        id=uuid4(),
        subject={"unit_code": "fgj", "person": {"name": "张三丰", "position": "副局长"}},
        finding_ids=[],
        form="admonishment",
        basis=f"依据{TYPED}",
        facts="张三丰同志未按期整改。",
        actor=ACTOR,
    )
    ruling.decide(form="admonishment", reasoning="情节较轻", decided_on=date(2026, 6, 3),
                  actor={"id": "a1", "name": "决定机关", "role": "authority"})  # fmt: skip
    content = ruling_decision(ruling, "县发改局", "新纪问〔2026〕1号", date(2026, 6, 4))
    person = {"name": "张三丰", "position": "副局长", "code": "ABCD-1234"}
    text = words_of(rendered(content, person))
    assert f"依据{TYPED}" in text, "typed, kept as typed"
    assert "张三丰同志未按期整改" in text and "被问责对象：张三丰（县发改局副局长）" in text
    assert "文书校验码：ABCD-1234" in text
    assert "张三丰" not in str(content), "the content holds the placeholders, not the name"
