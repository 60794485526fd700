"""How cost grows (issue 19 item 4): the full-scale figures measured at several sizes of the
log, drawn against the number of events with a least-squares line each, so a reader sees
whether every cost is linear (or flat) and where the rebuild would cross an hour."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

HOUR = 3600.0
# (attribute of a run_all.Point, the panel's title, its unit)
PANELS = (
    ("rebuild_seconds", "full rebuild of every read model", "s"),
    ("verify_seconds", "chain verification", "s"),
    ("list_p99_ms", "slowest list endpoint, p99", "ms"),
    ("rss_mib", "service peak RSS (API + worker)", "MiB"),
)


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least squares: (slope, intercept) of y = slope·x + intercept."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return slope, my - slope * mx


def hour_crossing(points: Sequence[Any]) -> float | None:
    """The number of events at which the rebuild's line reaches an hour (None: it never)."""
    slope, intercept = fit([p.events for p in points], [p.rebuild_seconds for p in points])
    return (HOUR - intercept) / slope if slope > 0 else None


def draw(points: Sequence[Any], path: Path) -> None:
    """Four panels against events (millions), measured points and their fitted line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 7), dpi=110)
    FigureCanvasAgg(figure)
    millions = [p.events / 1e6 for p in points]
    for n, (attribute, title, unit) in enumerate(PANELS, 1):
        axes = figure.add_subplot(2, 2, n)
        ys = [float(getattr(p, attribute)) for p in points]
        slope, intercept = fit(millions, ys)
        axes.plot(millions, ys, "o", color="#c00000", label="measured")
        span = [0.0, max(millions) * 1.1]
        axes.plot(span, [slope * x + intercept for x in span], "-", color="#555555",
                  label=f"fit: {slope:,.1f} {unit} per million events")  # fmt: skip
        axes.set_title(title)
        axes.set_xlabel("events in the log (millions)")
        axes.set_ylabel(unit)
        axes.set_ylim(bottom=0)
        axes.legend(fontsize=8)
    crossing = hour_crossing(points)
    figure.suptitle(
        "How cost grows with the log"
        + (
            f" — the rebuild would take an hour at {crossing / 1e6:,.1f} M events"
            if crossing
            else ""
        )
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata={"Software": None})


def print_table(points: Sequence[Any]) -> None:
    """The measured points, as docs/performance.md shows them."""
    print("| scale | events | rebuild | verification | slowest list p99 | service RSS |")
    print("|---|---|---|---|---|---|")
    for p in points:
        print(
            f"| {p.scale:g} | {p.events:,} | {p.rebuild_seconds:,.0f} s | "
            f"{p.verify_seconds:,.1f} s | {p.list_p99_ms:,.1f} ms | {p.rss_mib:,.0f} MiB |"
        )
    crossing = hour_crossing(points)
    if crossing is not None:
        print(f"\nThe rebuild's line reaches an hour at {crossing:,.0f} events.")
