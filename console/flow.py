"""The flow of events at a glance: the outbox, the relay, the topic and the lake writer's lag,
the lake's commits; read from the services' /metrics and Kafka's admin API.

Rates (events sent and records read per second, files written per minute) are the change of
a counter between two reads of this process, so the first read has none.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from console.kafka_view import KafkaUnavailableError, KafkaView, PartitionLag
from console.settings import ConsoleSettings
from contract import metrics as names
from contract.metrics import Exposition, fetch_text

Fetch = Callable[[str], str | None]


@dataclass(frozen=True)
class OutboxFigures:
    backlog: float | None
    oldest_unsent_seconds: float | None
    sent_kept: float | None


@dataclass(frozen=True)
class RelayFigures:
    sent: float | None
    errors_by_kind: dict[str, float]
    healthy: bool | None
    sent_per_second: float | None


@dataclass(frozen=True)
class LakeFigures:
    records_by_outcome: dict[str, float]
    records_per_second: float | None
    files: float | None
    dead_letters_by_reason: dict[str, float]
    snapshots: float | None
    data_files: float | None
    files_per_minute: float | None


@dataclass(frozen=True)
class FlowView:
    topic: str
    group: str
    outbox: OutboxFigures | None
    relay: RelayFigures | None
    lake: LakeFigures | None
    partitions: list[PartitionLag]
    # What could not be read, and why (a service down, Kafka unreachable).
    unavailable: list[str] = field(default_factory=list)

    @property
    def total_lag(self) -> int | None:
        lags = [partition.lag for partition in self.partitions if partition.lag is not None]
        return sum(lags) if lags else None


class FlowReader:
    def __init__(
        self, settings: ConsoleSettings, kafka: KafkaView, fetch: Fetch = fetch_text
    ) -> None:
        self._settings = settings
        self._kafka = kafka
        self._fetch = fetch
        self._lock = threading.Lock()
        # counter name -> (monotonic time, value) of the previous read
        self._previous: dict[str, tuple[float, float]] = {}

    def close(self) -> None:
        self._kafka.close()

    def read(self) -> FlowView:
        unavailable: list[str] = []
        api = self._scrape("API", self._settings.api_metrics_url, unavailable)
        relay = self._scrape("relay", self._settings.relay_metrics_url, unavailable)
        lake = self._scrape("lake writer", self._settings.consumer_metrics_url, unavailable)
        try:
            lag = self._kafka.lag(self._settings.events_topic, self._settings.consumer_group)
        except KafkaUnavailableError as error:
            unavailable.append(error.message)
            partitions = []
        else:
            partitions = lag.partitions
            if lag.problem:
                unavailable.append(lag.problem)
        return FlowView(
            topic=self._settings.events_topic,
            group=self._settings.consumer_group,
            outbox=_outbox(api) if api is not None else None,
            relay=self._relay(relay) if relay is not None else None,
            lake=self._lake(lake) if lake is not None else None,
            partitions=partitions,
            unavailable=unavailable,
        )

    def _scrape(self, name: str, url: str, unavailable: list[str]) -> Exposition | None:
        text = self._fetch(url)
        if text is None:
            unavailable.append(f"The {name} does not answer on {url}.")
            return None
        return Exposition(text)

    def _relay(self, metrics: Exposition) -> RelayFigures:
        sent = metrics.total(names.RELAY_EVENTS_SENT)
        healthy = metrics.total(names.RELAY_HEALTHY)
        return RelayFigures(
            sent=sent,
            errors_by_kind=metrics.by_label(names.RELAY_ERRORS, "kind"),
            healthy=None if healthy is None else bool(healthy),
            sent_per_second=self._rate(names.RELAY_EVENTS_SENT, sent),
        )

    def _lake(self, metrics: Exposition) -> LakeFigures:
        files = metrics.total(names.CONSUMER_FILES)
        per_second = self._rate(names.CONSUMER_FILES, files)
        records = metrics.total(names.CONSUMER_RECORDS)
        return LakeFigures(
            records_by_outcome=metrics.by_label(names.CONSUMER_RECORDS, "outcome"),
            records_per_second=self._rate(names.CONSUMER_RECORDS, records),
            files=files,
            dead_letters_by_reason=metrics.by_label(names.CONSUMER_DEAD_LETTERS, "reason"),
            snapshots=metrics.total(names.LAKE_SNAPSHOTS),
            data_files=metrics.total(names.LAKE_DATA_FILES),
            files_per_minute=None if per_second is None else per_second * 60,
        )

    def _rate(self, counter: str, value: float | None) -> float | None:
        """The counter's change per second since this process last read it."""
        if value is None:
            return None
        now = time.monotonic()
        with self._lock:
            previous = self._previous.get(counter)
            self._previous[counter] = (now, value)
        if previous is None or now <= previous[0] or value < previous[1]:
            return None  # a first read, or a restarted service whose counter began again
        return (value - previous[1]) / (now - previous[0])


def _outbox(metrics: Exposition) -> OutboxFigures | None:
    if metrics.total(names.OUTBOX_UP) == 0:
        return None
    return OutboxFigures(
        backlog=metrics.total(names.OUTBOX_BACKLOG_ROWS),
        oldest_unsent_seconds=metrics.total(names.OUTBOX_OLDEST_UNSENT_AGE),
        sent_kept=metrics.total(names.OUTBOX_SENT_ROWS),
    )
