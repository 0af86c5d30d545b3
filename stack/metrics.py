"""`python -m stack metrics`: the platform's health at a glance, from each service's /metrics.

One line per service: the API's outbox backlog, the relay's counters, the lake writer's lag
and dead letters. A metric a service does not expose (yet) reads `?`; a labelled counter that
has counted nothing yet reads 0; a service that does not answer says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import requests
from prometheus_client.parser import text_string_to_metric_families

from stack.settings import StackSettings

Fetch = Callable[[str], str | None]
UNKNOWN = "?"
_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str


class Exposition:
    """The samples of one scrape, by sample name; which metric families it declared."""

    def __init__(self, text: str) -> None:
        self.families: set[str] = set()
        self.samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        for family in text_string_to_metric_families(text):
            self.families.add(family.name)
            for sample in family.samples:
                self.samples[sample.name].append((sample.labels, sample.value))

    def total(self, family: str, sample: str | None = None) -> float | None:
        """The sum of a metric's samples; 0 if declared without any; None if absent."""
        found = self.samples.get(sample or family)
        if found:
            return sum(value for _labels, value in found)
        return 0.0 if family in self.families else None

    def by_label(self, sample: str, label: str) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for labels, value in self.samples.get(sample, []):
            totals[labels.get(label, "")] += value
        return dict(totals)


def endpoints(settings: StackSettings) -> list[Endpoint]:
    """Where the stack's services publish their metrics (see stack/apps.py)."""
    return [
        Endpoint("api", f"http://127.0.0.1:{settings.api_port}/metrics"),
        Endpoint("relay", f"http://127.0.0.1:{settings.relay_metrics_port}/metrics"),
        Endpoint("consumer", f"http://127.0.0.1:{settings.consumer_metrics_port}/metrics"),
    ]


def fetch_text(url: str) -> str | None:
    """The exposition text at ``url``; None when nothing answers 200."""
    try:
        response = requests.get(url, timeout=_TIMEOUT_SECONDS)
    except requests.RequestException:
        return None
    return response.text if response.status_code == 200 else None


def summary(settings: StackSettings, fetch: Fetch = fetch_text) -> list[str]:
    """One line per service."""
    lines = []
    for endpoint in endpoints(settings):
        text = fetch(endpoint.url)
        if text is None:
            facts = f"not answering on {endpoint.url}"
        else:
            facts = _FACTS[endpoint.name](Exposition(text))
        lines.append(f"{endpoint.name:<10} {facts}")
    return lines


def _api(metrics: Exposition) -> str:
    if metrics.total("producer_api_outbox_up") == 0:
        return "outbox unreadable: the API cannot query its database"
    backlog = _number(metrics.total("producer_api_outbox_backlog_rows"))
    age = metrics.total("producer_api_outbox_oldest_unsent_age_seconds")
    oldest = UNKNOWN if age is None else f"{age:.1f} s"
    sent = _number(metrics.total("producer_api_outbox_sent_rows"))
    return f"outbox backlog {backlog} rows, oldest unsent {oldest}, sent and kept {sent}"


def _relay(metrics: Exposition) -> str:
    sent = _number(metrics.total("relay_events_sent", "relay_events_sent_total"))
    errors = _number(metrics.total("relay_errors", "relay_errors_total"))
    healthy = metrics.total("relay_healthy")
    state = UNKNOWN if healthy is None else ("yes" if healthy else "no (outage)")
    return f"events sent {sent}, failed batches {errors}, healthy {state}"


def _consumer(metrics: Exposition) -> str:
    lag = metrics.by_label("consumer_partition_lag", "partition")
    if lag:
        shown = f"lag {_number(sum(lag.values()))} ({len(lag)} partitions)"
    elif "consumer_partition_lag" in metrics.families:
        shown = "lag ? (no partition assigned)"
    else:
        shown = f"lag {UNKNOWN}"
    records = _number(metrics.total("consumer_records", "consumer_records_total"))
    files = _number(metrics.total("consumer_files", "consumer_files_total"))
    dead = metrics.total("consumer_dead_letters", "consumer_dead_letters_total")
    reasons = metrics.by_label("consumer_dead_letters_total", "reason")
    detail = ", ".join(f"{reason} {_number(count)}" for reason, count in sorted(reasons.items()))
    dead_letters = _number(dead) + (f" ({detail})" if dead and detail else "")
    return f"{shown}, records {records}, files {files}, dead letters {dead_letters}"


_FACTS: dict[str, Callable[[Exposition], str]] = {
    "api": _api,
    "relay": _relay,
    "consumer": _consumer,
}


def _number(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return str(int(value)) if value == int(value) else f"{value:.1f}"
