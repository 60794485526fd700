"""bench/generate.py's ceiling measures the same work its generation writes: every event of
the same aggregates, built and mapped, with nothing written."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import psycopg

from infra.settings import Settings

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_generate() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # generate imports its sibling harness by name
    try:
        spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_generate"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


generate = load_generate()
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
