"""The lake writer reads both of Confluent's framings: the schema id in the value's prefix, and
the schema's GUID in a `__value_schema_id` header (the value then the Avro body alone)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow.parquet as pq
from confluent_kafka import Producer
from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.consumer.support import (
    CONTRACT,
    dead_letters,
    land_versions,
    make_event,
)

EVENTS = 3000


def _produce_both_framings(
    bootstrap: str, registry_url: str, topic: str
) -> tuple[dict[str, int], int, str]:
    """One record naming a GUID the registry does not hold and one whose schema-id header is
    cut short (offsets 0 and 1), then v1 events framed by id and v2 events framed by GUID,
    interleaved.

    Returns event id → version, v1's schema id and v2's schema GUID.
    """
    client = SchemaRegistryClient({"url": registry_url})
    try:
        v1_text, v2_text = ((CONTRACT / f"{v}.avsc").read_text() for v in (1, 2))
        v1 = client.register_schema_full_response(f"{topic}-value", Schema(v1_text, "AVRO"))
        v2 = client.register_schema_full_response(f"{topic}-value", Schema(v2_text, "AVRO"))
        assert v1.schema_id is not None
        assert v2.guid is not None, "the registry gave the schema no GUID"
        by_id = AvroSerializer(client, v1_text, conf={"auto.register.schemas": False})
        by_guid = AvroSerializer(
            client,
            v2_text,
            conf={
                "auto.register.schemas": False,
                "schema.id.serializer": header_schema_id_serializer,
            },
        )
        producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
        body = by_guid(make_event(EVENTS, 2), SerializationContext(topic, MessageField.VALUE, []))
        unknown = b"\x01" + uuid.uuid4().bytes
        producer.produce(topic, key=b"bad-1", value=body, headers=[("__value_schema_id", unknown)])
        producer.produce(topic, key=b"bad-2", value=body, headers=[("__value_schema_id", b"\x01")])
        versions: dict[str, int] = {}
        for n in range(EVENTS):
            version = 1 + n % 2
            event = make_event(n, version)
            headers: list[tuple[str, str | bytes | None]] = [
                ("event_id", event["event_id"].encode())
            ]
            context = SerializationContext(topic, MessageField.VALUE, headers)
            value = (by_id if version == 1 else by_guid)(event, context)
            producer.produce(topic, key=str(n).encode(), value=value, headers=headers)
            versions[event["event_id"]] = version
        assert producer.flush(30) == 0
    finally:
        client.close()
    return versions, v1.schema_id, v2.guid


def test_a_topic_mixing_both_framings_lands_each_event_once(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    versions, v1_id, v2_guid = _produce_both_framings(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    land_versions(kafka_bootstrap, lake_registry, topic, lake, versions)
    metadata: list[dict[str, str]] = []
    for path in (lake / topic).glob("event_date=*/part-*.parquet"):
        stored = pq.read_metadata(path).metadata or {}
        metadata.append({k.decode(): v.decode() for k, v in stored.items()})
    # Each file names the writer schemas of its records, by id or by GUID as they were framed.
    named = {
        key: {n for m in metadata for n in m[key].split(",") if n}
        for key in ("writer_schema_ids", "writer_schema_guids")
    }
    assert named["writer_schema_ids"] == {str(v1_id)}
    assert named["writer_schema_guids"] == {v2_guid}

    letters = dead_letters(kafka_bootstrap, topic, 2)
    by_offset = {letter["dlq.source.offset"]: letter for letter in letters}
    unknown, short = by_offset[b"0"], by_offset[b"1"]
    assert unknown["dlq.reason"] == b"unknown_schema"
    assert unknown["dlq.error"].startswith(b"schema guid ")
    # The dead letter keeps the header that names the schema.
    assert unknown["__value_schema_id"][:1] == b"\x01"
    assert short["dlq.reason"] == b"undecodable"
