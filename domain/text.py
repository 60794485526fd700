"""Rules for the text people type: characters no input may carry, and finding a person's name
in free text however it was typed.

Reserved characters: the Unicode noncharacters (U+FDD0–U+FDEF and the last two code points
of every plane, "permanently reserved for internal use"), of which the service uses U+FDD0
to mark a sealed name inside stored text (infra/privacy.py); lone surrogates, which no UTF-8
text can hold; and NUL, which PostgreSQL's text refuses. Text that carried one could forge
the marker or break a read model, so a command that would record one is refused.

A name is looked for after folding both sides the same way: NFKC (full-width letters and
digits become ASCII, compatibility forms their plain ones), case folded, and separators,
punctuation and invisible format characters ignored: `钱 多多`, `钱多 多`, `（钱多多）` and
`钱\u200b多多` all name 钱多多, and `ＬＩ Ｍｉｎｇ` names Li Ming.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

IGNORED_CATEGORIES = ("Z", "P", "Cc", "Cf")  # separators, punctuation, controls, format


# The reserved characters as one class, so a text is searched in one call.
RESERVED = re.compile(
    "[\x00\ufdd0-\ufdef\ud800-\udfff"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)


def reserved_in(value: Any, path: str = "") -> tuple[str, str] | None:
    """(where, which character) of the first reserved character in a value of strings,
    lists and dicts (where: `facts`, `tags[2]`, `subject.person.name`), or None."""
    for where, text in strings(value, path):
        found = RESERVED.search(text)
        if found is not None:
            return where or "value", f"U+{ord(found.group()):04X}"
    return None


def strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            yield from strings(item, f"{path}[{n}]")


def ignored(char: str) -> bool:
    return unicodedata.category(char).startswith(IGNORED_CATEGORIES)


def folded(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the character of
    `text` it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if ignored(char):
            continue
        for piece in unicodedata.normalize("NFKC", char).casefold():
            if not ignored(piece):
                out.append(piece)
                origin.append(index)
    return "".join(out), origin


def name_spans(text: str, name: str) -> list[tuple[int, int]]:
    """Where `text` names `name`, however spaced, punctuated or wide: [start, end) spans of
    `text`, in order, not overlapping."""
    target, _ = folded(name)
    if not target:
        return []
    haystack, origin = folded(text)
    spans: list[tuple[int, int]] = []
    start = haystack.find(target)
    while start != -1:
        end = start + len(target)
        spans.append((origin[start], origin[end - 1] + 1))
        start = haystack.find(target, end)
    return spans


def names(text: str, name: str) -> bool:
    """Whether `text` names `name` (see name_spans)."""
    return bool(name_spans(text, name))


def replace_name(text: str, name: str, by: str) -> str:
    """`text` with every span that names `name` replaced by `by`."""
    pieces: list[str] = []
    last = 0
    for start, end in name_spans(text, name):
        pieces += [text[last:start], by]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
