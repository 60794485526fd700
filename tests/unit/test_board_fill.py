"""What a fill of the finding board works out in Python matches its statements' SQL: the
first deadline is set once, and an insert's columns take their declared defaults."""

from __future__ import annotations

from datetime import date

import pytest

from projections.base import AggregateTable
from projections.finding_board import BOARD, FIRST_DEADLINE


def test_the_first_deadline_is_kept_once_set_as_its_sql_coalesce_keeps_it() -> None:
    first, later = date(2024, 2, 1), date(2024, 5, 1)
    assert FIRST_DEADLINE.python({"first_deadline": None}, {"deadline": first}) == first
    assert FIRST_DEADLINE.python({"first_deadline": first}, {"deadline": later}) == first
    assert "coalesce(first_deadline, %(deadline)s::date)" in FIRST_DEADLINE.sql.as_string(None)


def test_a_board_row_inserted_without_a_column_takes_its_declared_default() -> None:
    defaults = BOARD.defaults
    assert defaults["escalations"] == 0 and defaults["progress_percent"] == 0
    assert defaults["acknowledged"] is False and defaults["returned"] is False
    assert defaults["deadline"] is None and defaults["id"] is None
    assert set(defaults) == set(BOARD.types)


def test_a_default_the_fill_cannot_read_is_refused_by_name() -> None:
    table = AggregateTable("t", "stage text NOT NULL DEFAULT 'raised'", {}, "", first="made")
    with pytest.raises(ValueError, match=r"t\.stage: a DEFAULT of \"'raised'\" is not read here"):
        _ = table.defaults
    on = AggregateTable("t", "live boolean NOT NULL DEFAULT true", {}, "", first="made")
    assert on.defaults["live"] is True
