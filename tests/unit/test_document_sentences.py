"""A document's sentences end once: user text that closes itself gets no second 。."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from docx import Document

from infra.documents.compose import (
    NOT_XML,
    rectification_notice,
    rendered,
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
