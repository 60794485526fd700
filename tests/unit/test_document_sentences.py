"""A document's sentences end once: user text that closes itself gets no second 。."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from infra.documents.compose import rectification_notice, sentence, supervision_notice
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
