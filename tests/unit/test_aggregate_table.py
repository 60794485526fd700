"""projections/base.AggregateTable names the columns its first event fills."""

from __future__ import annotations

import pytest

from projections.base import AggregateTable


def test_the_first_events_verb_names_its_position_and_time_columns() -> None:
    table = AggregateTable("listed_things", "name text NOT NULL", {}, "name", first="listed")
    assert (table.first_position, table.first_at) == ("listed_position", "listed_at")
    assert "listed_position bigint NOT NULL, listed_at timestamptz NOT NULL" in table.definition


def test_a_table_names_both_columns_itself_or_its_first_event() -> None:
    named = AggregateTable("t", "name text", {}, "name", first_position="p", first_at="a")
    assert (named.first_position, named.first_at) == ("p", "a")
    with pytest.raises(ValueError, match="name the first event"):
        AggregateTable("t", "name text", {}, "name")
    with pytest.raises(ValueError, match="name the first event"):
        AggregateTable("t", "name text", {}, "name", first_position="p")
