"""The dead-letters page against a real broker: records newest first with why and where
from, the writer schema named, paged; never a record's key or value."""

from __future__ import annotations

import struct

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from console.dead_letters import PAGE_SIZE
from console.settings import ConsoleSettings
from contract import dead_letters
from tests.console_pages import ConsoleFactory

SECRET = b"jane.doe.secret.value"


def _dead_letter(producer: Producer, topic: str, number: int, reason: str) -> None:
    # A Confluent-framed value naming schema id 7, holding something personal.
    value = b"\x00" + struct.pack(">I", 7) + SECRET + str(number).encode()
    producer.produce(
        topic,
        key=b"user-" + str(number).encode(),
        value=value,
        headers=[
            (dead_letters.HEADER_REASON, reason.encode()),
            (dead_letters.HEADER_ERROR, b"EOFError decoding the value"),
            (dead_letters.HEADER_TOPIC, b"user-events"),
            (dead_letters.HEADER_PARTITION, b"0"),
            (dead_letters.HEADER_OFFSET, str(100 + number).encode()),
        ],
        timestamp=1_700_000_000_000 + number * 1000,
    )


def test_dead_letters_newest_first_paged_and_never_their_payload(
    kafka_bootstrap: str, topic: str, make_console: ConsoleFactory
) -> None:
    letters = f"{topic}.dlq"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(letters, num_partitions=2)])[letters].result(timeout=30)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    count = PAGE_SIZE + 5
    for number in range(count):
        _dead_letter(producer, letters, number, "undecodable" if number % 2 else "unknown_schema")
    assert producer.flush(30) == 0
    settings = ConsoleSettings(kafka_bootstrap_servers=kafka_bootstrap, events_topic=topic)
    client = make_console(settings).test_client()

    first = client.get("/dead-letters")
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    assert f"({count} in the topic)" in text
    assert text.count("<tr>") == PAGE_SIZE + 1  # and the heading row
    newest = count - 1
    assert text.index(f"user-events [0] @ {100 + newest}") < text.index(
        f"user-events [0] @ {100 + newest - 1}"
    )
    assert "id 7" in text
    assert "EOFError decoding the value" in text
    assert 'rel="next"' in text
    assert SECRET.decode() not in text
    assert "user-1" not in text

    second = client.get("/dead-letters", query_string={"page": "2"}).get_data(as_text=True)
    assert second.count("<tr>") == 5 + 1
    assert "user-events [0] @ 100<" in second
    assert 'rel="next"' not in second

    assert client.get("/dead-letters", query_string={"page": "0"}).status_code == 400


def test_no_dead_letter_topic_yet_is_an_empty_page(
    kafka_bootstrap: str, topic: str, make_console: ConsoleFactory
) -> None:
    settings = ConsoleSettings(kafka_bootstrap_servers=kafka_bootstrap, events_topic=topic)
    page = make_console(settings).test_client().get("/dead-letters")
    assert page.status_code == 200
    assert "No dead letters" in page.get_data(as_text=True)
