"""Where a bundle's stretches begin (ADR 028): found by counting newlines a block at a time,
the same offsets and line count as reading the file line by line."""

from __future__ import annotations

import io

from hypothesis import assume, given
from hypothesis import strategies as st

from infra.stretch import line_starts


def line_by_line(data: bytes, start: int, every: int) -> tuple[list[int], int]:
    """What iterating the file's lines from `start` finds: the offset of every `every`-th
    line that exists, and the lines counted."""
    stream = io.BytesIO(data)
    stream.seek(start)
    starts, end, count = [start], start, 0
    for raw in stream:
        if count and count % every == 0:
            starts.append(end)
        count, end = count + 1, end + len(raw)
    return starts, count


@given(
    st.lists(st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=40),
    st.booleans(),
    st.sampled_from([1, 2, 4, 8]),
    st.sampled_from([1, 2, 3, 7, 64, 1 << 20]),
    st.data(),
)
def test_stretches_begin_where_reading_line_by_line_finds_them(
    lines: list[bytes], newline_at_end: bool, every: int, block: int, data: st.DataObject
) -> None:
    text = b"\n".join(lines) + (b"\n" if newline_at_end else b"")
    first = data.draw(st.integers(0, len(lines) - 1))
    start = sum(len(line) + 1 for line in lines[:first])
    assume(start < len(text))  # not the empty "line" after a last newline
    assert line_starts(io.BytesIO(text), start, every, block) == line_by_line(text, start, every)
