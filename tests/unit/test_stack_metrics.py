"""`make metrics` (stack/metrics.py): one line per service from Prometheus text."""

from __future__ import annotations

import pytest
from prometheus_client.metrics import MetricWrapperBase

from consumer.runner import DEAD_LETTERS, FILES_WRITTEN, RECORDS_IN
from producer_api.relay.service import EVENTS_SENT, RELAY_ERRORS, RELAY_HEALTHY
from stack.metrics import endpoints, summary
from stack.settings import StackSettings

SETTINGS = StackSettings(kafka_port=19092)
API_TEXT = """\
# TYPE producer_api_outbox_up gauge
producer_api_outbox_up 1.0
# TYPE producer_api_outbox_backlog_rows gauge
producer_api_outbox_backlog_rows 42.0
# TYPE producer_api_outbox_oldest_unsent_age_seconds gauge
producer_api_outbox_oldest_unsent_age_seconds 3.25
# TYPE producer_api_outbox_sent_rows gauge
producer_api_outbox_sent_rows 1000.0
"""
RELAY_TEXT = """\
# TYPE relay_events_sent_total counter
relay_events_sent_total 1000.0
# TYPE relay_events_sent_created gauge
relay_events_sent_created 1.7e+09
# TYPE relay_errors_total counter
relay_errors_total{kind="broker"} 2.0
relay_errors_total{kind="registry"} 1.0
# TYPE relay_healthy gauge
relay_healthy 1.0
"""
CONSUMER_TEXT = """\
# TYPE consumer_records_total counter
consumer_records_total{outcome="buffered"} 995.0
consumer_records_total{outcome="dead_letter"} 3.0
# TYPE consumer_files_total counter
consumer_files_total{reason="age"} 4.0
# TYPE consumer_dead_letters_total counter
consumer_dead_letters_total{reason="not_avro"} 2.0
consumer_dead_letters_total{reason="unknown_schema"} 1.0
# TYPE consumer_partition_lag gauge
consumer_partition_lag{partition="0"} 5.0
consumer_partition_lag{partition="1"} 2.0
"""


def _texts(api: str | None, relay: str | None, consumer: str | None) -> dict[str, str | None]:
    urls = {endpoint.name: endpoint.url for endpoint in endpoints(SETTINGS)}
    return {urls["api"]: api, urls["relay"]: relay, urls["consumer"]: consumer}


def test_one_line_per_service_with_its_figures() -> None:
    texts = _texts(API_TEXT, RELAY_TEXT, CONSUMER_TEXT)
    assert summary(SETTINGS, texts.__getitem__) == [
        "api        outbox backlog 42 rows, oldest unsent 3.2 s, sent and kept 1000",
        "relay      events sent 1000, failed batches 3, healthy yes",
        "consumer   lag 7 (2 partitions), records 998, files 4, "
        "dead letters 3 (not_avro 2, unknown_schema 1)",
    ]


def test_counters_with_nothing_counted_are_0_and_absent_metrics_unknown() -> None:
    consumer = (
        "# TYPE consumer_records_total counter\n"
        "# TYPE consumer_dead_letters_total counter\n"
        "# TYPE consumer_files_total counter\n"
    )
    texts = _texts("producer_api_outbox_up 1.0\n", "", consumer)
    assert summary(SETTINGS, texts.__getitem__) == [
        "api        outbox backlog ? rows, oldest unsent ?, sent and kept ?",
        "relay      events sent ?, failed batches ?, healthy ?",
        "consumer   lag ?, records 0, files 0, dead letters 0",
    ]


def test_a_lag_gauge_without_partitions_says_none_is_assigned() -> None:
    texts = _texts(API_TEXT, RELAY_TEXT, "# TYPE consumer_partition_lag gauge\n")
    assert summary(SETTINGS, texts.__getitem__)[2].startswith(
        "consumer   lag ? (no partition assigned)"
    )


def test_services_that_do_not_answer_and_an_unreadable_outbox() -> None:
    texts = _texts("producer_api_outbox_up 0.0\n", None, None)
    assert summary(SETTINGS, texts.__getitem__) == [
        "api        outbox unreadable: the API cannot query its database",
        "relay      not answering on http://127.0.0.1:19400/metrics",
        "consumer   not answering on http://127.0.0.1:19500/metrics",
    ]


@pytest.mark.parametrize(
    ("collector", "text"),
    [
        (EVENTS_SENT, RELAY_TEXT),
        (RELAY_ERRORS, RELAY_TEXT),
        (RELAY_HEALTHY, RELAY_TEXT),
        (RECORDS_IN, CONSUMER_TEXT),
        (FILES_WRITTEN, CONSUMER_TEXT),
        (DEAD_LETTERS, CONSUMER_TEXT),
    ],
)
def test_the_names_read_are_the_names_the_services_declare(
    collector: MetricWrapperBase, text: str
) -> None:
    (family,) = collector.describe()
    suffix = "_total" if family.type == "counter" else ""
    assert f"\n{family.name}{suffix}" in f"\n{text}"
