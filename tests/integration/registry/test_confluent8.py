"""What Confluent 8 clients rely on: GUIDs, whole response shapes, and the protocol details
that real clients tripped on, against the registry over real HTTP on both databases."""

from __future__ import annotations

import json
import uuid

import requests
from confluent_kafka import Producer
from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.registry.through_kafka import consume

V1 = "application/vnd.schemaregistry.v1+json"
EVENT = {
    "type": "record",
    "name": "Signup",
    "namespace": "test.guid",
    "fields": [
        {"name": "user_id", "type": "long"},
        {"name": "channel", "type": "string", "default": "api"},
    ],
}
ADDRESS = {
    "type": "record",
    "name": "Address",
    "namespace": "test.shared",
    "fields": [{"name": "city", "type": "string"}],
}
PERSON = {
    "type": "record",
    "name": "Person",
    "namespace": "test.people",
    "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "test.shared.Address"}],
}


def call(method: str, url: str, body: object = None) -> requests.Response:
    data = None if body is None else json.dumps(body)
    headers = {"Content-Type": V1} if data is not None else {}
    return requests.request(method, url, data=data, headers=headers, timeout=30)


def test_header_guid_round_trip_through_kafka(
    registry_url: str, kafka_bootstrap: str, topic: str
) -> None:
    """confluent_kafka's header serializer and its default (dual) deserializer, unmodified."""
    client = SchemaRegistryClient({"url": registry_url})
    serializer = AvroSerializer(
        client, json.dumps(EVENT), conf={"schema.id.serializer": header_schema_id_serializer}
    )
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    # The dual deserializer wants six bytes or more, whatever the framing.
    events = [{"user_id": n, "channel": "web-signup-form"} for n in range(10)]
    for event in events:
        headers: list[tuple[str, str | bytes | None]] = []
        context = SerializationContext(topic, MessageField.VALUE, headers)
        value = serializer(event, context)
        (name, header), *_ = headers
        assert name == "__value_schema_id" and isinstance(header, bytes)
        assert header[0] == 1 and len(header) == 17
        guid = str(uuid.UUID(bytes=header[1:]))
        producer.produce(topic, value=value, headers=headers)
    assert producer.flush(30) == 0
    registered = client.get_latest_version(f"{topic}-value")
    assert registered.guid == guid

    # A client of its own, so that nothing is answered from the serializer's cache.
    reader = SchemaRegistryClient({"url": registry_url})
    deserializer = AvroDeserializer(reader)
    received = []
    for message in consume(kafka_bootstrap, topic, len(events)):
        context = SerializationContext(topic, MessageField.VALUE, message.headers())
        received.append(deserializer(message.value(), context))
    assert received == events
    assert reader.get_schema_by_guid(guid).schema_str == json.dumps(EVENT, separators=(",", ":"))
    client.close()
    reader.close()


def test_references_round_trip_with_a_shared_client(
    registry_url: str, kafka_bootstrap: str, topic: str
) -> None:
    """The register answer carries the references, so the client's cache of that id can
    resolve the referenced type when a deserializer sharing the client reads a record."""
    client = SchemaRegistryClient({"url": registry_url})
    address_subject = f"{topic}-address"
    client.register_schema(address_subject, Schema(json.dumps(ADDRESS), "AVRO"))
    person = Schema(
        json.dumps(PERSON),
        "AVRO",
        [SchemaReference("test.shared.Address", address_subject, 1)],
    )
    registered = client.register_schema_full_response(f"{topic}-value", person)
    assert registered.guid is not None
    assert registered.schema.references is not None
    assert [ref.name for ref in registered.schema.references] == ["test.shared.Address"]
    serializer = AvroSerializer(client, person, conf={"auto.register.schemas": False})
    deserializer = AvroDeserializer(client)
    context = SerializationContext(topic, MessageField.VALUE)
    record = {"name": "Ann", "home": {"city": "Ghent"}}
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, value=serializer(record, context))
    assert producer.flush(30) == 0
    (message,) = consume(kafka_bootstrap, topic, 1)
    assert deserializer(message.value(), context) == record
    client.close()


def test_guid_routes(registry_url: str, subject: str) -> None:
    registered = call("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": '"long"'})
    guid, schema_id = registered.json()["guid"], registered.json()["id"]
    by_guid = call("GET", f"{registry_url}/schemas/guids/{guid}")
    assert by_guid.status_code == 200
    assert by_guid.json()["schema"] == '"long"'
    # Java's UUID parser reads upper case too.
    assert call("GET", f"{registry_url}/schemas/guids/{guid.upper()}").status_code == 200
    ids = call("GET", f"{registry_url}/schemas/guids/{guid}/ids")
    assert ids.json() == [{"context": ".", "id": schema_id}]
    unknown = str(uuid.uuid4())
    missing = call("GET", f"{registry_url}/schemas/guids/{unknown}")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error_code": 40403, "message": f"Schema {unknown} not found"},
    )
    assert call("GET", f"{registry_url}/schemas/guids/not-a-guid/ids").json() == []
    assert call("GET", f"{registry_url}/schemas/guids/not-a-guid").json()["error_code"] == 40403


def test_response_shapes_key_by_key(registry_url: str, subject: str) -> None:
    """Each route's keys, in Confluent 8's order (docs/registry-api.md §2.6)."""
    base = f"{registry_url}/subjects/{subject}"
    address_subject = f"{subject}-address"
    call(
        "POST",
        f"{registry_url}/subjects/{address_subject}/versions",
        {"schema": json.dumps(ADDRESS)},
    )
    body = {
        "schema": json.dumps(PERSON),
        "references": [{"name": "test.shared.Address", "subject": address_subject, "version": 1}],
        "metadata": {"properties": {"owner": "team"}},
        "ruleSet": {
            "domainRules": [
                {"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}
            ]
        },
    }
    full = ["references", "metadata"]
    registered = call("POST", f"{base}/versions", body).json()
    assert list(registered) == ["id", "version", "guid", "schemaType", *full, "ruleSet", "schema"]
    assert registered["references"] == body["references"]
    looked_up = call("POST", base, body).json()
    schema_keys = ["subject", "version", "id", "guid", "schemaType", *full, "schema"]
    assert list(looked_up) == [*schema_keys, "ruleSet"]
    version = call("GET", f"{base}/versions/1").json()
    assert list(version) == [*schema_keys, "ts", "deleted", "ruleSet"]
    assert version["deleted"] is False and isinstance(version["ts"], int)
    listed = call("GET", f"{registry_url}/schemas?subjectPrefix={subject}").json()
    (item,) = [item for item in listed if item["subject"] == subject]
    assert list(item) == [*schema_keys, "ts", "deleted", "ruleSet"]
    schema_id = registered["id"]
    by_id = call("GET", f"{registry_url}/schemas/ids/{schema_id}").json()
    string_keys = ["guid", "schemaType", "schema", *full, "ruleSet", "ts", "deleted"]
    assert list(by_id) == string_keys
    hinted = call("GET", f"{registry_url}/schemas/ids/{schema_id}?subject={subject}").json()
    assert list(hinted) == ["subject", "version", *string_keys]
    resolved = call("GET", f"{registry_url}/schemas/ids/{schema_id}?format=resolved").json()
    assert json.loads(resolved["schema"])["fields"][1]["type"] == ADDRESS
    assert list(resolved) == string_keys and resolved["guid"] == registered["guid"]
    raw = call("GET", f"{base}/versions/1/schema?format=RESOLVED")
    assert json.loads(raw.text)["fields"][1]["type"] == ADDRESS
    by_guid = call("GET", f"{registry_url}/schemas/guids/{registered['guid']}").json()
    assert list(by_guid) == string_keys
    assert by_id["guid"] == version["guid"] == looked_up["guid"] == registered["guid"]
    # A plain schema leaves the empty parts out.
    plain = call("POST", f"{registry_url}/subjects/{subject}-plain/versions", {"schema": '"int"'})
    assert list(plain.json()) == ["id", "version", "guid", "schemaType", "schema"]
    assert plain.json()["guid"] == "ef524ea1-b91e-7317-3d93-8ade36c1db32"


def test_a_primitive_with_reserved_attributes_is_the_bare_primitive(
    registry_url: str, subject: str
) -> None:
    first = call(
        "POST",
        f"{registry_url}/subjects/{subject}/versions",
        {"schema": '{"type":"int","name":"X"}'},
    )
    assert first.json()["schema"] == '"int"'
    found = call("POST", f"{registry_url}/subjects/{subject}", {"schema": '{"type":"int"}'})
    assert found.status_code == 200, found.text
    assert (found.json()["id"], found.json()["version"]) == (first.json()["id"], 1)


def test_ids_that_are_not_java_ints_miss_the_route(registry_url: str) -> None:
    route_miss = {"error_code": 404, "message": "HTTP 404 Not Found"}
    for path in ("invalid", "2147483648", "1.0", "abc/versions", "x/schema", "x/subjects"):
        response = call("GET", f"{registry_url}/schemas/ids/{path}")
        assert (response.status_code, response.json()) == (404, route_miss), path
    negative = call("GET", f"{registry_url}/schemas/ids/-1")
    assert negative.json() == {"error_code": 40403, "message": "Schema -1 not found"}


def test_soft_delete_texts_are_confluents(registry_url: str, subject: str) -> None:
    call("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": '"string"'})
    call("DELETE", f"{registry_url}/subjects/{subject}/versions/1")
    again = call("DELETE", f"{registry_url}/subjects/{subject}/versions/1")
    assert again.json()["message"] == (
        f"Subject '{subject}' Version 1 was soft deleted.Set permanent=true to delete permanently"
    )
    subject_again = call("DELETE", f"{registry_url}/subjects/{subject}")
    assert subject_again.json()["message"] == (
        f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
    )
