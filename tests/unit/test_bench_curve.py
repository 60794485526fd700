"""bench/curve.py (issue 19 item 4): the least-squares line through the measured costs, where
the rebuild's line crosses an hour, the four panels drawn, and the table printed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.support import load_bench

curve = load_bench("curve")


@dataclass(frozen=True)
class Point:  # the fields of bench/run_all.py's Point that the curve reads
    scale: float
    events: int
    rebuild_seconds: float
    verify_seconds: float
    list_p99_ms: float
    rss_mib: float


POINTS = [
    Point(0.1, 150_000, 36.0, 1.5, 20.0, 300.0),
    Point(0.3, 450_000, 108.0, 4.5, 22.0, 310.0),
    Point(1.0, 1_500_000, 360.0, 15.0, 25.0, 330.0),
]


def test_the_fit_is_the_line_through_linear_costs() -> None:
    slope, intercept = curve.fit([1.0, 2.0, 4.0], [5.0, 7.0, 11.0])
    assert slope == pytest.approx(2.0) and intercept == pytest.approx(3.0)
    assert curve.fit([2.0, 2.0], [1.0, 3.0]) == (0.0, 2.0)  # one size: no slope


def test_the_rebuild_crosses_an_hour_where_its_line_says() -> None:
    assert curve.hour_crossing(POINTS) == pytest.approx(15_000_000)
    flat = [Point(p.scale, p.events, 10.0, 1, 1, 1) for p in POINTS]
    assert curve.hour_crossing(flat) is None


def test_the_curve_is_drawn_and_tabled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "docs" / "curve.png"
    curve.draw(POINTS, path)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1100, 770)
    curve.print_table(POINTS)
    printed = capsys.readouterr().out
    assert "| 1 | 1,500,000 | 360 s | 15.0 s | 25.0 ms | 330 MiB |" in printed
    assert "reaches an hour at 15,000,000 events" in printed
