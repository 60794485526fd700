"""What the read models' queries share: cursor pagination (opaque cursors over a stable
ordering key) and Chinese substring search (bigrams narrowed by a GIN index, then ILIKE)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from psycopg.sql import SQL, Composable, Composed, Identifier, Placeholder

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class InvalidCursor(ValueError):
    """A cursor that this service did not hand out."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(f"p:{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(opened(cursor, "p"))
    except ValueError:
        raise InvalidCursor(f"invalid cursor {cursor!r}") from None


def encode_key_cursor(key: list[Any]) -> str:
    """An opaque cursor over a key of several values (JSON), as encode_cursor is over one
    integer: for a list kept in order by more than a position."""
    text = "k:" + json.dumps(key, ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_key_cursor(cursor: str) -> list[Any]:
    """The key an encode_key_cursor cursor holds; InvalidCursor for any other text."""
    try:
        key = json.loads(opened(cursor, "k"))
    except ValueError:
        raise InvalidCursor(f"invalid cursor {cursor!r}") from None
    if not isinstance(key, list):
        raise InvalidCursor(f"invalid cursor {cursor!r}")
    return key


def opened(cursor: str, prefix: str) -> str:
    """What a cursor of this `prefix` holds; ValueError when it is none of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(cursor) from error
    found, _, value = text.partition(":")
    if found != prefix:
        raise ValueError(found)
    return value


def contains(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, its own % _ and \\ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def bigrams(text: Composable) -> Composed:
    """The distinct two-character substrings of lower(`text`), as a SQL array expression.

    A GIN index over this array finds the rows that may contain a query of two or more
    characters (Chinese has no word breaks, and pg_trgm's three-character grams cannot
    serve a two-character query); the ILIKE that follows decides. Computed by PostgreSQL on
    both sides, so the stored and the queried grams fold case the same way; sorted, so a
    rebuild stores the very same array."""
    return SQL(
        "ARRAY(SELECT DISTINCT substr(s.t, i, 2) FROM (SELECT lower({}) AS t) s, "
        "generate_series(1, length(s.t) - 1) AS i ORDER BY 1)"
    ).format(text)


def text_search(
    columns: list[Composable], q: str, q_grams: list[str], params: dict[str, Any]
) -> Composed:
    """The condition "q occurs in one of `columns`" over a table with a `grams` column
    (bigrams of those columns): the grams narrow it through the index, ILIKE decides.
    `q_grams` are q's own bigrams, worked out by PostgreSQL beforehand (`QUERY_GRAMS`) so
    that the planner sees them as values and can estimate how rare they are."""
    params["q"] = contains(q)
    anywhere = SQL("({})").format(
        SQL(" OR ").join(SQL("{} ILIKE %(q)s").format(c) for c in columns)
    )
    if not q_grams:
        return anywhere
    params["q_grams"] = q_grams
    return SQL("grams @> %(q_grams)s::text[] AND {}").format(anywhere)


QUERY_GRAMS = SQL("SELECT {} AS grams").format(bigrams(SQL("%(q)s::text")))


def in_units(codes: tuple[str, ...], params: dict[str, Any]) -> list[Composable]:
    """`unit_code` is one of `codes`; no condition when no code is given (a filter without
    units). One code (the usual case: a unit without merged predecessors) is an equality,
    which the planner matches with the (unit_code, key) index and so reads a page straight
    off it; `= ANY(...)` it would not."""
    if not codes:
        return []
    if len(codes) == 1:
        params["unit"] = codes[0]
        return [SQL("unit_code = %(unit)s")]
    params["units"] = list(codes)
    return [SQL("unit_code = ANY(%(units)s)")]


def holds(column: str, name: str, value: Any, params: dict[str, Any]) -> Composable:
    """The array `column` holds `value`, put in `params` as `name`."""
    params[name] = value
    return SQL("{} = ANY({})").format(Placeholder(name), Identifier(column))


def where_equal(filters: object, names: tuple[str, ...]) -> tuple[list[Composable], dict[str, Any]]:
    """`column = %(column)s` for each column of `names` whose attribute of `filters` is set
    (not None), and the parameters holding their values (a page's conditions start so)."""
    where: list[Composable] = []
    params: dict[str, Any] = {}
    for name in names:
        value = getattr(filters, name)
        if value is not None:
            where.append(SQL("{} = {}").format(Identifier(name), Placeholder(name)))
            params[name] = value
    return where, params
