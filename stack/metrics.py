"""`python -m stack metrics`: the platform's health at a glance, from each service's /metrics.

One line per service: the API's outbox backlog, the relay's counters, the lake writer's lag
and dead letters. A metric a service does not expose (yet) reads `?`; a labelled counter that
has counted nothing yet reads 0; a service that does not answer says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contract import metrics as names
from contract.metrics import Exposition, fetch_text
from stack.settings import StackSettings

Fetch = Callable[[str], str | None]
UNKNOWN = "?"


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str


def endpoints(settings: StackSettings) -> list[Endpoint]:
    """Where the stack's services publish their metrics (see stack/apps.py)."""
    return [
        Endpoint("api", f"http://127.0.0.1:{settings.api_port}/metrics"),
        Endpoint("relay", f"http://127.0.0.1:{settings.relay_metrics_port}/metrics"),
        Endpoint("consumer", f"http://127.0.0.1:{settings.consumer_metrics_port}/metrics"),
    ]


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
    if metrics.total(names.OUTBOX_UP) == 0:
        return "outbox unreadable: the API cannot query its database"
    backlog = _number(metrics.total(names.OUTBOX_BACKLOG_ROWS))
    age = metrics.total(names.OUTBOX_OLDEST_UNSENT_AGE)
    oldest = UNKNOWN if age is None else f"{age:.1f} s"
    sent = _number(metrics.total(names.OUTBOX_SENT_ROWS))
    return f"outbox backlog {backlog} rows, oldest unsent {oldest}, sent and kept {sent}"


def _relay(metrics: Exposition) -> str:
    sent = _number(metrics.total(names.RELAY_EVENTS_SENT))
    errors = _number(metrics.total(names.RELAY_ERRORS))
    healthy = metrics.total(names.RELAY_HEALTHY)
    state = UNKNOWN if healthy is None else ("yes" if healthy else "no (outage)")
    return f"events sent {sent}, failed batches {errors}, healthy {state}"


def _consumer(metrics: Exposition) -> str:
    lag = metrics.by_label(names.CONSUMER_PARTITION_LAG, "partition")
    if lag:
        shown = f"lag {_number(sum(lag.values()))} ({len(lag)} partitions)"
    elif names.CONSUMER_PARTITION_LAG in metrics.families:
        shown = "lag ? (no partition assigned)"
    else:
        shown = f"lag {UNKNOWN}"
    records = _number(metrics.total(names.CONSUMER_RECORDS))
    files = _number(metrics.total(names.CONSUMER_FILES))
    dead = metrics.total(names.CONSUMER_DEAD_LETTERS)
    reasons = metrics.by_label(names.CONSUMER_DEAD_LETTERS, "reason")
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
