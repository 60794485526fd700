"""Prometheus metrics of the service (own registry, so tests can build many apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from api.bootstrap import Services

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
HEAD = Gauge("supervision_log_head_position", "position of the newest event", registry=REGISTRY)
LAG = Gauge(
    "supervision_projection_lag_events",
    "events not yet processed",
    ["projection"],
    registry=REGISTRY,
)


def observe_projections(services: Services) -> None:
    head = services.head()
    HEAD.set(head)
    for name, view in services.views.items():
        LAG.labels(name).set(max(head - view.position(), 0))
