"""A fill's rows kept in Python (RowsFill) change as their statements change the table's:
an insert on a key already there does nothing, an update of no row changes nothing, and
an array one row appends to is never another row's; and a work item's counts move as the
ledger's upsert moves them."""

from __future__ import annotations

from projections.base import AggregateTable, RowsFill, column_types
from projections.work_ledger import WorkLedgerView

TABLE = AggregateTable(
    "t",
    "steps text[] NOT NULL DEFAULT '{}', data jsonb NOT NULL DEFAULT '[]', "
    "n int NOT NULL DEFAULT 0, score int",
    {},
    "",
    first="made",
)


def test_an_insert_on_a_key_the_fill_holds_keeps_the_row_there() -> None:
    fill = RowsFill.of([{"id": 1, "n": 5}])
    assert fill.insert(1, {"id": 1, "n": 0}, {}) is False
    assert fill.rows[1]["n"] == 5 and fill.changed == set()
    assert fill.insert(2, {"id": 2}, TABLE.defaults) is True
    assert fill.rows[2]["n"] == 0 and fill.rows[2]["score"] is None
    assert fill.changed == {2} and fill.stored == {1}


def test_an_update_of_a_row_the_fill_lacks_changes_nothing() -> None:
    fill = RowsFill.of([])
    assert fill.update(9, {"n": 1}, increments=("n",)) is None
    assert fill.rows == {} and fill.changed == set()


def test_an_update_sets_adds_and_appends_from_the_row_before() -> None:
    fill = RowsFill.of([{"id": 1, "n": 1, "score": None, "steps": ["a"]}])
    before = fill.update(1, {"score": 7}, increments=("n", "score"), appends={"steps": "b"})
    assert before == {"id": 1, "n": 1, "score": None, "steps": ["a"]}
    # NULL + 1 is NULL: the increment reads the row before, as SQL's `score = score + 1`.
    assert fill.rows[1] == {"id": 1, "n": 2, "score": None, "steps": ["a", "b"]}
    assert fill.changed == {1}


def test_rows_that_take_an_empty_array_by_default_do_not_share_what_is_appended() -> None:
    fill = RowsFill.of([])
    for key in (1, 2):
        fill.insert(key, {"id": key}, TABLE.defaults)
    fill.update(1, {}, appends={"steps": "x", "data": {"k": 1}})
    assert fill.rows[1]["steps"] == ["x"] and fill.rows[1]["data"] == [{"k": 1}]
    assert fill.rows[2]["steps"] == [] and fill.rows[2]["data"] == []
    assert TABLE.defaults["steps"] == [] and TABLE.defaults["data"] == []


def test_a_fill_keyed_otherwise_reads_its_rows_by_that_key() -> None:
    fill = RowsFill.of([{"unit": "hx", "year": 2024, "n": 1}], key=lambda r: (r["unit"], r["year"]))
    assert fill.stored == {("hx", 2024)}


def test_the_columns_of_a_definition_stop_at_its_table_constraints() -> None:
    definition = "a text NOT NULL, b uuid, c bigint, PRIMARY KEY (b, a, c)"
    assert column_types(definition) == {"a": "text", "b": "uuid", "c": "bigint"}


def test_a_work_items_counts_move_in_each_of_its_units_once_its_score_for_the_lead_only() -> None:
    counts = RowsFill.of(
        [{"unit_code": "jsj", "year": 2024, "items": 3, "scored": 1, "score_sum": 90}],
        key=lambda r: (r["unit_code"], r["year"]),
    )
    item = {"lead_unit": "jsj", "co_units": ["cgj", "jsj"], "year": 2024, "score": 80}
    WorkLedgerView.count_item(counts, item, -1)
    assert counts.rows[("jsj", 2024)] == {
        "unit_code": "jsj", "year": 2024, "items": 2, "scored": 0, "score_sum": 10,
    }  # fmt: skip
    # A unit with no count yet gets one, as the upsert inserts it.
    assert counts.rows[("cgj", 2024)] == {
        "unit_code": "cgj", "year": 2024, "items": -1, "scored": 0, "score_sum": 0,
    }  # fmt: skip
    WorkLedgerView.count_item(counts, {**item, "score": None}, 1)
    assert counts.rows[("jsj", 2024)]["items"] == 3 and counts.rows[("jsj", 2024)]["scored"] == 0
