"""The metrics the services expose that others read (`make metrics`, the console), by name,
and reading one scrape of them.

A counter is named here by its family (`relay_events_sent`); Prometheus exposes its sample
with `_total` added, and `Exposition.total` takes either.
"""

from __future__ import annotations

from collections import defaultdict

import requests
from prometheus_client.parser import text_string_to_metric_families

# The API: the outbox, read at each scrape.
OUTBOX_UP = "producer_api_outbox_up"
OUTBOX_BACKLOG_ROWS = "producer_api_outbox_backlog_rows"
OUTBOX_OLDEST_UNSENT_AGE = "producer_api_outbox_oldest_unsent_age_seconds"
OUTBOX_SENT_ROWS = "producer_api_outbox_sent_rows"
# The relay.
RELAY_EVENTS_SENT = "relay_events_sent"
RELAY_ERRORS = "relay_errors"
RELAY_HEALTHY = "relay_healthy"
# The lake writer.
CONSUMER_RECORDS = "consumer_records"
CONSUMER_FILES = "consumer_files"
CONSUMER_DEAD_LETTERS = "consumer_dead_letters"
CONSUMER_PARTITION_LAG = "consumer_partition_lag"
LAKE_SNAPSHOTS = "consumer_lake_snapshots"
LAKE_DATA_FILES = "consumer_lake_data_files"

_TIMEOUT_SECONDS = 2.0


class Exposition:
    """The samples of one scrape, by sample name; which metric families it declared."""

    def __init__(self, text: str) -> None:
        self.families: set[str] = set()
        self.samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        for family in text_string_to_metric_families(text):
            self.families.add(family.name)
            for sample in family.samples:
                self.samples[sample.name].append((sample.labels, sample.value))

    def total(self, family: str) -> float | None:
        """The sum of a metric's samples (a counter's `_total` ones); 0 if declared without
        any; None if absent."""
        found = self.samples.get(family) or self.samples.get(f"{family}_total")
        if found:
            return sum(value for _labels, value in found)
        return 0.0 if family in self.families else None

    def by_label(self, family: str, label: str) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        samples = self.samples.get(family) or self.samples.get(f"{family}_total", [])
        for labels, value in samples:
            totals[labels.get(label, "")] += value
        return dict(totals)


def fetch_text(url: str) -> str | None:
    """The exposition text at ``url``; None when nothing answers 200."""
    try:
        response = requests.get(url, timeout=_TIMEOUT_SECONDS)
    except requests.RequestException:
        return None
    return response.text if response.status_code == 200 else None
