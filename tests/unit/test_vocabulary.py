"""One vocabulary: every code has a Chinese label, and the contract's codes are all there."""

from __future__ import annotations

import re

from domain.vocabulary import ENUMERATIONS, vocabulary
from tests.support import ADDED_CODES, CONTRACT_CODES

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_enumeration_member_has_a_chinese_label() -> None:
    for name, enum in ENUMERATIONS.items():
        for member in enum:
            assert CJK.search(member.label), f"{name}.{member.value} has no Chinese label"


def test_the_contracts_finding_codes_are_in_the_vocabulary_with_the_codes_added_since() -> None:
    codes = {name: {item["code"] for item in items} for name, items in vocabulary().items()}
    for name, expected in CONTRACT_CODES.items():
        assert codes[name] == expected | ADDED_CODES.get(name, set()), name


def test_closed_is_labelled_as_xiaohao() -> None:
    labels = {i["code"]: i["label"] for i in vocabulary()["finding_statuses"]}
    assert labels["closed"] == "已销号"
