"""The rules for typed text: reserved characters, and a name found however it was typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.text import name_spans, names, replace_name, reserved_in


@pytest.mark.parametrize(
    "char", ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff", "\x00", "\ud800"]
)
def test_noncharacters_surrogates_and_nul_are_reserved(char: str) -> None:
    assert reserved_in({"facts": f"事实{char}"}) == ("facts", f"U+{ord(char):04X}")


def reserved_by_definition(char: str) -> bool:
    """The module's definition, one code point at a time: NUL, a noncharacter (U+FDD0–U+FDEF
    or the last two of a plane), or a lone surrogate."""
    code = ord(char)
    return (
        code == 0 or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE or 0xD800 <= code <= 0xDFFF
    )


# Any code point (lone surrogates too), with the edges of each reserved range drawn often.
EDGES = ["\x00", "\x01", "\ufdcf", "\ufdd0", "\ufdef", "\ufdf0", "\ud7ff", "\ud800", "\udfff"]
EDGES += ["\ue000", "\ufffd", "\ufffe", "\U0001fffd", "\U0001ffff", "\U0010ffff"]


@given(st.text(st.characters(exclude_categories=()) | st.sampled_from(EDGES), max_size=40))
def test_the_first_reserved_character_found_is_the_first_by_the_definition(text: str) -> None:
    first = next((c for c in text if reserved_by_definition(c)), None)
    expected = None if first is None else ("t", f"U+{ord(first):04X}")
    assert reserved_in({"t": text}) == expected


@pytest.mark.parametrize("plane", range(17))
def test_the_last_two_code_points_of_every_plane_are_reserved(plane: int) -> None:
    for code in (plane << 16 | 0xFFFE, plane << 16 | 0xFFFF):
        assert reserved_in(["ok", chr(code)]) == ("[1]", f"U+{code:04X}")
    assert reserved_in([chr(plane << 16 | 0xFFFD)]) is None


def test_a_reserved_character_is_named_by_where_it_sits() -> None:
    value = {"subject": {"person": {"name": "李\ufdd0"}}, "tags": ["a", "b\uffff"]}
    assert reserved_in(value) == ("subject.person.name", "U+FDD0")
    assert reserved_in({"tags": ["a", "b\uffff"]}) == ("tags[1]", "U+FFFF")


def test_ordinary_chinese_text_with_full_width_punctuation_is_not_reserved() -> None:
    assert reserved_in({"facts": "钱多多同志（副局长）未按期整改；ＡＢＣ、１２３。\u3000"}) is None


@pytest.mark.parametrize(
    "text",
    [
        "钱多多",
        "钱 多多",
        "钱多 多",
        "（钱多多）",
        "钱\u200b多多",
        "钱\u3000多\u3000多",
        "钱，多多",
    ],
)
def test_a_name_is_found_however_it_is_spaced_or_punctuated(text: str) -> None:
    assert names(text, "钱多多")


def test_a_latin_name_is_found_full_width_and_in_any_case() -> None:
    assert names("处分ＬＩ　ＭＩＮＧ同志", "Li Ming")
    assert names("li-ming", "Li Ming")


def test_another_name_or_a_part_of_the_name_is_not_the_name() -> None:
    assert not names("钱多同志", "钱多多")
    assert not names("多多钱", "钱多多")


def test_the_spans_cover_the_typed_name_and_nothing_around_it() -> None:
    text = "钱 多多同志（钱多 多）"
    assert [text[a:b] for a, b in name_spans(text, "钱多多")] == ["钱 多多", "钱多 多"]
    assert replace_name(text, "钱多多", "X") == "X同志（X）"
