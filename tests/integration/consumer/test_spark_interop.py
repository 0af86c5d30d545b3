"""Apache Spark reads the table the lake writer wrote, and commits to it too.

Spark (pyspark) runs with Iceberg's Spark runtime and Iceberg's JDBC catalog pointed at the
catalog database the writer uses (PostgreSQL, schema `lake_catalog`): the catalog is the
one both engines commit through. DuckDB reads the same table through `make query`'s view.
"""

from __future__ import annotations

import gc
import json
import uuid
import warnings
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from pyspark import SparkContext
from pyspark.sql import SparkSession
from sqlalchemy.engine import make_url

from consumer.lake import open_catalog
from consumer.query import table_events_view
from stack.jars import SPARK_POM, ensure_jars
from stack.settings import StackSettings
from tests.conftest import REPO_ROOT
from tests.integration.consumer.support import (
    CONTRACT,
    make_event,
    run_until,
    settings_for,
)
from tests.lake import landed_rows

V2 = json.loads((CONTRACT / "2.avsc").read_text())
# A third version of the reader schema: one optional field more.
V3 = {
    **V2,
    "fields": [*V2["fields"], {"name": "referrer", "type": ["null", "string"], "default": None}],
}


@pytest.fixture(scope="module")
def spark(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    jars = StackSettings(stack_dir=REPO_ROOT / ".stack").spark_jars
    ensure_jars(jars, SPARK_POM)
    url = make_url(database_url)
    session = (
        SparkSession.builder.master("local[1]")
        .appName("lake-interop")
        .config("spark.jars", ",".join(str(jar) for jar in sorted(jars.glob("*.jar"))))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.catalog.lake", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.lake.type", "jdbc")
        .config(
            "spark.sql.catalog.lake.uri",
            f"jdbc:postgresql://{url.host}:{url.port}/{url.database}?currentSchema=lake_catalog",
        )
        .config("spark.sql.catalog.lake.jdbc.user", url.username or "postgres")
        .config("spark.sql.catalog.lake.jdbc.password", url.password or "")
        .config("spark.sql.catalog.lake.warehouse", tmp_path_factory.mktemp("unused").as_uri())
        .getOrCreate()
    )
    yield session
    session.stop()
    # Stop the JVM too (stop() keeps it for a next session), then collect the sockets that
    # pyspark's result transfers leave to the garbage collector, here rather than in
    # another test's time.
    gateway = SparkContext._gateway
    if gateway is not None:
        process = gateway.proc
        gateway.shutdown()
        SparkContext._gateway = None
        SparkContext._jvm = None
        process.stdin.close()
        process.wait(timeout=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def produce(
    bootstrap: str, registry_url: str, topic: str, schema: dict[str, Any], first: int, count: int
) -> list[str]:
    client = SchemaRegistryClient({"url": registry_url})
    client.set_compatibility(f"{topic}-value", "BACKWARD")
    text = json.dumps(schema)
    client.register_schema(f"{topic}-value", Schema(text, "AVRO"))
    serializer = AvroSerializer(client, text, conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    ids = []
    for n in range(first, first + count):
        event = make_event(n, 2)
        if schema is V3:
            event["referrer"] = f"ref-{n}"
        ids.append(event["event_id"])
        producer.produce(topic, key=str(n).encode(), value=serializer(event, context))
    assert producer.flush(30) == 0
    client.close()
    return ids


# pyspark's result transfer (collect) leaves its local socket to the garbage collector.
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_spark_reads_the_evolved_table_and_the_writer_commits_on_top_of_spark(
    spark: SparkSession,
    kafka_bootstrap: str,
    lake_registry: str,
    database_url: str,
    topic: str,
    tmp_path: Path,
) -> None:
    v3_file = tmp_path / "3.avsc"
    v3_file.write_text(json.dumps(V3))
    base = settings_for(
        kafka_bootstrap,
        lake_registry,
        topic,
        tmp_path / "warehouse",
        format="iceberg",
        catalog_url=database_url,
    )
    old_ids = produce(kafka_bootstrap, lake_registry, topic, V2, 0, 100)
    run_until(base, lambda _writer: landed_rows(base) >= 100, 60)
    # The reader schema gains a field: the table evolves when the writer starts again.
    evolved = base.model_copy(update={"reader_schema": v3_file})
    new_ids = produce(kafka_bootstrap, lake_registry, topic, V3, 100, 100)
    run_until(evolved, lambda _writer: landed_rows(evolved) >= 200, 60)

    name = f"lake.lake.`{topic}`"
    rows = {row["event_id"]: row for row in spark.table(name).collect()}
    assert sorted(rows) == sorted(old_ids + new_ids)
    assert "referrer" in spark.table(name).columns
    assert {rows[event_id]["referrer"] for event_id in old_ids} == {None}
    assert rows[new_ids[0]]["referrer"] == "ref-100"

    connection = duckdb.connect()
    with closing(open_catalog(evolved)) as catalog:
        table_events_view(connection, catalog.load_table(("lake", topic)))
    nulls, values = connection.execute(
        "SELECT count(*) FILTER (WHERE referrer IS NULL), count(referrer) FROM events"
    ).fetchone() or (0, 0)
    assert (nulls, values) == (100, 100)

    # Spark commits a row of its own; the writer, restarted, commits on top of it.
    spark_id = str(uuid.uuid4())
    target = spark.table(name)
    row = (
        spark_id,
        datetime(2026, 12, 1, 10, tzinfo=UTC),
        9999,
        "NL",
        datetime(2026, 11, 30, 10, tzinfo=UTC),
        False,
        "spark",
        "from-spark",
    )
    spark.createDataFrame([row], schema=target.schema).writeTo(name).append()
    later_ids = produce(kafka_bootstrap, lake_registry, topic, V3, 200, 50)
    run_until(evolved, lambda _writer: landed_rows(evolved) >= 251, 60)
    spark.sql(f"REFRESH TABLE {name}")
    final = {row["event_id"] for row in spark.table(name).collect()}
    assert final == set(old_ids + new_ids + later_ids + [spark_id])
