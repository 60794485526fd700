"""Prometheus metrics of the service (own registry, so tests can build many apps).

With several HTTP workers (`serve --workers N`) a scrape reaches one of them, which must
answer for all: `serve` then sets PROMETHEUS_MULTIPROC_DIR before it starts them, each worker
keeps its values in files there (prometheus-client's multiprocess mode, chosen when the
module is first imported), and a scrape adds them up. Gauges say how: the log head and the
lags are each worker's latest look (`mostrecent`), the waiting reads the live workers' sum.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from api.runtime.bootstrap import Services

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "supervision_http_requests_total",
    "HTTP requests",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "supervision_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HEAD = Gauge(
    "supervision_log_head_position",
    "position of the newest event",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
WAITING = Gauge(
    "supervision_reads_waiting",
    "reads waiting for their min_position",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
LAG = Gauge(
    "supervision_projection_lag_events",
    "events not yet processed",
    ["projection"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> bytes:
    """The Prometheus text of this process, or of every HTTP worker when there are several."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def observe_projections(services: Services) -> None:
    head = services.head()
    HEAD.set(head)
    for name, view in services.views.items():
        LAG.labels(name).set(max(head - view.position(), 0))
