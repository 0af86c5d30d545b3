"""Prometheus metrics: requests by route and status, and the outbox read on each scrape.

gunicorn runs several workers, each with its own counters. With PROMETHEUS_MULTIPROC_DIR
set (before the process starts: prometheus_client reads it at import), counters live in
files there and a scrape sums every worker's; without it, a scrape shows the one worker
that answered it. The outbox gauges come from one SQL query per scrape (outbox/stats.py),
so they are the same whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import sqlalchemy as sa
import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from contract import metrics as metric_names
from producer_api.outbox.stats import read_stats

log = structlog.get_logger("producer_api.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client.multiprocess has no annotations; these say what this module relies on.
_multiprocess_collector: Callable[..., object] = multiprocess.MultiProcessCollector
mark_process_dead: Callable[[int], None] = multiprocess.mark_process_dead
_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class OutboxCollector(Collector):
    """Outbox gauges computed at scrape time; `..._outbox_up` is 0 when the query failed."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            metric_names.OUTBOX_UP, "1 when this scrape could read the outbox table."
        )
        try:
            stats = read_stats(self._engine)
        except sa.exc.SQLAlchemyError as error:
            log.warning("outbox_metrics_failed", error_type=type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            metric_names.OUTBOX_BACKLOG_ROWS,
            "Outbox rows not yet sent to Kafka.",
            value=stats.backlog,
        )
        yield GaugeMetricFamily(
            metric_names.OUTBOX_OLDEST_UNSENT_AGE,
            "Age of the oldest unsent outbox row (0 when none waits).",
            value=stats.oldest_unsent_age,
        )
        yield GaugeMetricFamily(
            metric_names.OUTBOX_SENT_ROWS,
            "Outbox rows the relay marked sent and its retention cleanup has not deleted yet.",
            value=stats.sent_kept,
        )


class Metrics:
    """One per application: the request metrics, and what `GET /metrics` renders."""

    def __init__(self, engine: sa.Engine, *, multiprocess_dir: str | None = None) -> None:
        self._multiprocess_dir = multiprocess_dir
        self._outbox = OutboxCollector(engine)
        # Multiprocess metrics live in files, not in a registry; a plain run gets its own
        # registry so that two apps in one process (tests) do not collide.
        self._registry = CollectorRegistry()
        owner: CollectorRegistry | None = None
        if multiprocess_dir is None:
            owner = self._registry
            self._registry.register(self._outbox)
            ProcessCollector(registry=self._registry)
        self._requests = Counter(
            "producer_api_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=owner,
        )
        self._duration = Histogram(
            "producer_api_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            registry=owner,
            buckets=_DURATION_BUCKETS,
        )

    @classmethod
    def from_environment(cls, engine: sa.Engine) -> Metrics:
        return cls(engine, multiprocess_dir=os.environ.get(MULTIPROC_ENV) or None)

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._duration.labels(method, route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        if self._multiprocess_dir is None:
            return generate_latest(self._registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        _multiprocess_collector(registry, path=self._multiprocess_dir)
        registry.register(self._outbox)
        return generate_latest(registry), CONTENT_TYPE_LATEST
