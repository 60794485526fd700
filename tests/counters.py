"""The counts read models keep beside their rows (for scorecards) must always equal a
GROUP BY of those rows: a check the rebuild and property tests share."""

from __future__ import annotations

from psycopg.sql import SQL

from projections.base import ReadModelView
from projections.finding_board import FindingBoardView, count_key
from projections.work_ledger import WorkLedgerView


def kept_and_counted(view: ReadModelView) -> tuple[list[tuple], list[tuple]]:
    """(the counts the view kept, the same counts computed from its rows), in one order: a
    count that went back to zero is not kept either."""
    if isinstance(view, FindingBoardView):
        kept = SQL("SELECT unit_code, year, status, on_time, n FROM {} ORDER BY 1, 2, 3, 4").format(
            view.table("finding_tallies")
        )
        counted = SQL(
            "SELECT unit_code, year, status, on_time, n FROM "
            "(SELECT {}, count(*)::int FROM {} r GROUP BY 1, 2, 3, 4) "
            "AS k(unit_code, year, status, on_time, n) ORDER BY 1, 2, 3, 4"
        ).format(count_key("r"), view.table("finding_board"))
    elif isinstance(view, WorkLedgerView):
        # A unit whose items all passed to another unit (分设) keeps a count of zero.
        kept = SQL(
            "SELECT unit_code, year, items, scored, score_sum FROM {} "
            "WHERE (items, scored, score_sum) <> (0, 0, 0) ORDER BY 1, 2"
        ).format(view.table("work_counts"))
        counted = SQL(
            "SELECT m.unit_code, w.year, count(*)::int AS items, "
            "count(w.score) FILTER (WHERE m.unit_code = w.lead_unit)::int AS scored, "
            "coalesce(sum(w.score) FILTER (WHERE m.unit_code = w.lead_unit), 0)::bigint "
            "AS score_sum FROM {} w CROSS JOIN LATERAL (SELECT DISTINCT u FROM "
            "unnest(w.co_units || w.lead_unit) AS u) AS m(unit_code) GROUP BY 1, 2 ORDER BY 1, 2"
        ).format(view.table("work_ledger"))
    else:
        return [], []
    return (
        [tuple(r.values()) for r in view.fetch_all(kept)],
        [tuple(r.values()) for r in view.fetch_all(counted)],
    )


def assert_counters_agree(view: ReadModelView) -> None:
    kept, counted = kept_and_counted(view)
    assert kept == counted, f"{view.projection_name}: kept counts differ from its rows"
