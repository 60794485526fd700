"""bench/run_all.py prints each of issue 19's aims beside the ratio it judges, met or not."""

from __future__ import annotations

import pytest

from tests.support import load_bench

run_all = load_bench("run_all")


def test_an_aim_is_met_from_its_ratio_up() -> None:
    assert run_all.against("rebuild", 0.3) == "≥ 0.30 met"
    assert run_all.against("rebuild", 0.29) == "≥ 0.30 not met"
    assert run_all.against("commands@32 two workers", 0.51) == "≥ 0.50 met"
    assert run_all.against("generate", 0.06) == "≥ 0.25 not met"


def test_the_table_shows_the_aim_after_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_all.Report()
    report.add("scale", "full rebuild", "5,594 events/s", "41,878/s decoded", "0.13", "≥ 0.30 x")
    report.add("scale", "peak RSS of the full rebuild", "103 MiB")
    report.print()
    header, judged, plain = capsys.readouterr().out.splitlines()
    assert header.endswith("ratio  aim")
    assert judged.endswith("0.13  ≥ 0.30 x")
    assert plain.endswith("103 MiB")
