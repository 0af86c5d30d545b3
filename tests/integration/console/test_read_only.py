"""With write access off (the default), no request the console serves changes the registry,
the database or Kafka: every route, with every method it takes, is tried with a form that
would register a new version, and the lake's SQL box with statements that would write; the
registry's, the broker's and the lake's state (its table's catalog rows in PostgreSQL and
its files) are the same after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from pydantic import SecretStr

from console.settings import ConsoleSettings
from consumer.lake import open_lake
from consumer.settings import LakeSettings
from platform_common.database import engine_url
from tests.console_pages import EVENT_SCHEMAS, ConsoleFactory, register
from tests.unit.consumer.samples import READER_SCHEMA
from tests.unit.consumer.test_sink_iceberg import batch

# Statements the SQL box could be asked to run that would write somewhere: each refused.
WRITING_SQL = [
    "create table kept as select * from events",
    "copy (select * from events) to '{lake}/copied.parquet'",
    "attach '{lake}/attached.db' as other",
    "select * from query('copy (select 1) to ''{lake}/copied.csv''')",
    "install httpfs",
    "set enable_external_access = true",
    "insert into events_scanned select * from events",
    "drop view events",
]


def _registry_state(registry_url: str) -> dict[str, Any]:
    state: dict[str, Any] = {"config": requests.get(f"{registry_url}/config", timeout=10).json()}
    for subject in requests.get(f"{registry_url}/subjects", timeout=10).json():
        versions = requests.get(f"{registry_url}/subjects/{subject}/versions", timeout=10).json()
        mode = requests.get(f"{registry_url}/mode/{subject}", timeout=10).json()
        state[subject] = (versions, mode)
    state["schemas"] = requests.get(f"{registry_url}/schemas", timeout=10).json()
    return state


def _kafka_state(bootstrap: str, topic: str) -> dict[str, Any]:
    """The broker's topics and groups, and the console's topic's end offsets."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = admin.list_topics(timeout=10).topics
    listed = admin.list_consumer_groups(request_timeout=10).result()
    groups = sorted(str(group.group_id) for group in listed.valid)
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-only-probe"})
    try:
        ends = [
            probe.get_watermark_offsets(TopicPartition(topic, number), timeout=10)[1]
            for number in sorted(topics[topic].partitions)
        ]
    finally:
        probe.close()
    # The broker makes its own __consumer_offsets at the first group lookup, whoever asks
    # (reading a group's offsets is one): internal topics are the broker's, not a change.
    own = sorted(name for name in topics if not name.startswith("__"))
    return {"topics": own, "groups": groups, "ends": ends}


def _lake_state(lake: LakeSettings) -> dict[str, Any]:
    """The catalog's rows in PostgreSQL and every file under the warehouse."""
    engine = sa.create_engine(engine_url(lake.iceberg_catalog_url()))
    schema = lake.catalog_schema
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names(schema=schema)
            rows = {
                table: sorted(
                    tuple(row)
                    for row in connection.execute(sa.table(table, schema=schema).select())
                )
                for table in tables
            }
    finally:
        engine.dispose()
    files = sorted(str(path) for path in Path(lake.output).rglob("*"))
    return {"catalog": rows, "files": files}


@pytest.fixture
def lake(database_url: str, tmp_path: Path, topic: str) -> LakeSettings:
    """An Iceberg table of two commits, its catalog in PostgreSQL."""
    settings = LakeSettings(
        output=str(tmp_path / "lake"),
        format="iceberg",
        catalog_url=SecretStr(database_url),
        events_topic=topic,
    )
    writer = open_lake(settings, READER_SCHEMA)
    writer.write(batch(0, 0, 3))
    writer.write(batch(1, 0, 2))
    writer.close()
    return settings


def test_no_route_changes_anything_with_write_access_off(
    registry_url: str,
    kafka_bootstrap: str,
    subject: str,
    topic: str,
    lake: LakeSettings,
    make_console: ConsoleFactory,
) -> None:
    register(registry_url, subject, (EVENT_SCHEMAS / "1.avsc").read_text())
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, value=b"an event")
    assert producer.flush(30) == 0
    newer = json.loads((EVENT_SCHEMAS / "2.avsc").read_text())
    settings = ConsoleSettings(
        registry_url=registry_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        events_topic=topic,
    )
    app = make_console(settings, lake)
    client = app.test_client()
    form = {
        "name": subject,
        "schema": json.dumps(newer),
        "from": "1",
        "to": "1",
        "sql": "select count(*) from events",
    }

    def state() -> tuple[dict[str, Any], ...]:
        return (
            _registry_state(registry_url),
            _kafka_state(kafka_bootstrap, topic),
            _lake_state(lake),
        )

    before = state()
    assert before[2]["catalog"]["iceberg_tables"], "the table is in the catalog"

    tried = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            answer = client.open(rule.rule, method=method, query_string=form, data=form)
            tried.append((method, rule.rule, answer.status_code))
            assert answer.status_code < 500, (method, rule.rule, answer.status_code)

    for sql in WRITING_SQL:
        answer = client.post("/lake/query", data={"sql": sql.format(lake=lake.output)})
        assert answer.status_code == 400, sql
        tried.append(("POST", "/lake/query", answer.status_code))

    assert ("POST", "/schemas/register", 403) in tried
    assert ("POST", "/lake/query", 200) in tried
    assert {rule for _method, rule, _status in tried} >= {
        "/schemas",
        "/flow",
        "/schemas/check",
        "/lake",
        "/dead-letters",
    }
    assert state() == before
