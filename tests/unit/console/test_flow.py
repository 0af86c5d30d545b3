"""The flow page's figures from the services' scrapes: totals, labels, rates between reads."""

from __future__ import annotations

from console.flow import FlowReader
from console.kafka_view import KafkaUnavailableError, KafkaView, PartitionLag, TopicLag
from console.settings import ConsoleSettings

RELAY = """
# TYPE relay_events_sent_total counter
relay_events_sent_total {sent}
# TYPE relay_errors_total counter
relay_errors_total{{kind="broker_unavailable"}} 2.0
# TYPE relay_healthy gauge
relay_healthy 1.0
"""
API = """
# TYPE producer_api_outbox_up gauge
producer_api_outbox_up 1.0
# TYPE producer_api_outbox_backlog_rows gauge
producer_api_outbox_backlog_rows 12.0
# TYPE producer_api_outbox_oldest_unsent_age_seconds gauge
producer_api_outbox_oldest_unsent_age_seconds 0.4
# TYPE producer_api_outbox_sent_rows gauge
producer_api_outbox_sent_rows 300.0
"""


class _Partitions(KafkaView):
    """Partitions as a broker would give them (unit tests: no broker)."""

    def __init__(self, partitions: list[PartitionLag] | None) -> None:
        self._partitions = partitions

    def lag(self, topic: str, group: str) -> TopicLag:
        if self._partitions is None:
            raise KafkaUnavailableError("Kafka did not answer: timed out")
        return TopicLag(self._partitions)


def _settings() -> ConsoleSettings:
    return ConsoleSettings(
        api_metrics_url="http://api/metrics",
        relay_metrics_url="http://relay/metrics",
        consumer_metrics_url="http://consumer/metrics",
    )


def test_figures_come_from_each_scrape_and_a_silent_service_is_named() -> None:
    pages = {"http://api/metrics": API, "http://relay/metrics": RELAY.format(sent=100)}
    reader = FlowReader(_settings(), _Partitions([PartitionLag(0, 50, 40)]), pages.get)
    view = reader.read()
    assert view.outbox is not None
    assert (view.outbox.backlog, view.outbox.oldest_unsent_seconds) == (12.0, 0.4)
    assert view.relay is not None
    assert view.relay.sent == 100.0
    assert view.relay.errors_by_kind == {"broker_unavailable": 2.0}
    assert view.relay.healthy is True
    assert view.lake is None
    assert view.unavailable == ["The lake writer does not answer on http://consumer/metrics."]
    assert view.total_lag == 10


def test_the_relay_rate_is_the_counters_change_between_two_reads() -> None:
    sent = [100]
    pages = {"http://relay/metrics": lambda: RELAY.format(sent=sent[0])}
    reader = FlowReader(_settings(), _Partitions([]), lambda url: pages.get(url, lambda: None)())
    first = reader.read().relay
    assert first is not None
    assert first.sent_per_second is None
    sent[0] = 400
    second = reader.read().relay
    assert second is not None
    assert second.sent_per_second is not None
    assert second.sent_per_second > 0


def test_kafka_unreachable_is_said_and_the_rest_still_shown() -> None:
    pages = {"http://api/metrics": API}
    view = FlowReader(_settings(), _Partitions(None), pages.get).read()
    assert view.partitions == []
    assert "Kafka did not answer: timed out" in view.unavailable
    assert view.outbox is not None
