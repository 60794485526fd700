"""bench/generate.py's ceiling measures the same work its generation writes: every event of
the same aggregates, built and mapped, with nothing written."""

from __future__ import annotations

import psycopg

from infra.settings import Settings
from tests.support import load_bench

generate = load_bench("generate")
TINY = generate.Scale(units=3, findings=12, work_items=4, rulings=3)


def test_the_ceiling_builds_and_maps_every_event_generation_writes_and_writes_none(
    fresh_settings: Settings,
) -> None:
    reports: list[int] = []
    written, _, sizes = generate.generate(fresh_settings, TINY, 5, lambda e, s: reports.append(e))
    with psycopg.connect(str(fresh_settings.database_url)) as conn:
        before = conn.execute("SELECT count(*) FROM supervision_events").fetchone()
        events, seconds = generate.client_work_rate(fresh_settings, TINY)
        after = conn.execute("SELECT count(*) FROM supervision_events").fetchone()
    assert written == sum(sizes) == (before or [0])[0] > TINY.findings
    assert reports and reports[-1] <= written
    assert events == written
    assert seconds > 0
    assert after == before
