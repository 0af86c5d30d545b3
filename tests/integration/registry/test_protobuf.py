"""Protobuf through the unmodified confluent_kafka client, a real registry and broker."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
import requests
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2
from google.protobuf.message_factory import GetMessageClass

from registry.schema_types.protobuf_compile import compile_schema
from tests.integration.registry.through_kafka import framed, through_kafka

V1 = """syntax = "proto3";
package events.v1;

// A user signed up.
message UserCreated {
  int64 user_id = 1;
  string country_code = 2;
}
"""
# A field added: every v1 record reads as v2.
V2 = V1.replace("string country_code = 2;", "string country_code = 2;\n  bool is_a_dog = 3;")
# The user id becomes a string: its wire type changes.
V3 = V2.replace("int64 user_id = 1;", "string user_id = 1;")
# What the registry keeps of V2: printed from its descriptor, the comment gone.
V2_CANONICAL = """syntax = "proto3";
package events.v1;

message UserCreated {
  int64 user_id = 1;
  string country_code = 2;
  bool is_a_dog = 3;
}
"""


def protobuf(text: str, references: tuple[SchemaReference, ...] = ()) -> Schema:
    return Schema(text, "PROTOBUF", list(references))


def message_classes(
    files: dict[str, str], main: str, main_name: str = "user.proto"
) -> dict[str, Any]:
    """The message classes of ``main`` (importing ``files`` by name), as generated code
    would give them: each file in a descriptor pool under its import name."""
    compiled = compile_schema(main, files, dict)
    pool = descriptor_pool.DescriptorPool()
    for name, file in compiled.imports.items():
        if name.startswith("google/protobuf/"):
            pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
            continue
        pool.Add(file)
    own = descriptor_pb2.FileDescriptorProto()
    own.CopyFrom(compiled.file)
    own.name = main_name
    pool.Add(own)
    return {
        message.name: GetMessageClass(
            pool.FindMessageTypeByName(
                f"{own.package}.{message.name}" if own.package else message.name
            )
        )
        for message in own.message_type
    }


def test_register_evolve_and_refuse_with_the_path(registry_url: str, subject: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    try:
        first = client.register_schema(subject, protobuf(V1))
        second = client.register_schema(subject, protobuf(V2))
        assert second != first
        latest = client.get_latest_version(subject)
        assert latest.schema.schema_type == "PROTOBUF"
        assert latest.schema.schema_str == V2_CANONICAL
        with pytest.raises(SchemaRegistryError) as refused:
            client.register_schema(subject, protobuf(V3))
        assert refused.value.http_status_code == 409
        assert (
            '{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at '
            "path '#/UserCreated/1' in the new schema does not match its kind in the old schema\"}"
        ) in refused.value.error_message
        assert client.test_compatibility(subject, protobuf(V3)) is False
        # Written in another order, normalized, it is v2 again.
        shuffled = V2.replace(
            "  int64 user_id = 1;\n  string country_code = 2;\n",
            "  string country_code = 2;\n  int64 user_id = 1;\n",
        )
        assert shuffled != V2
        assert client.register_schema(subject, protobuf(shuffled), normalize_schemas=True) == second
        # The same schema as a descriptor (as the client's serializer sends it) is v2 again.
        descriptor = message_classes({}, V2)["UserCreated"].DESCRIPTOR.file.serialized_pb
        encoded = base64.standard_b64encode(descriptor).decode()
        assert client.lookup_schema(subject, protobuf(encoded)).version == 2
        assert client.register_schema(subject, protobuf(encoded)) == second
    finally:
        client.close()


def test_the_registry_serves_three_types_in_confluents_order(registry_url: str) -> None:
    answer = requests.get(f"{registry_url}/schemas/types", timeout=10)
    assert answer.json() == ["JSON", "PROTOBUF", "AVRO"]


def test_a_schema_that_does_not_compile_is_refused_with_where(
    registry_url: str, subject: str
) -> None:
    answer = requests.post(
        f"{registry_url}/subjects/{subject}/versions",
        json={"schemaType": "PROTOBUF", "schema": 'syntax = "proto3";\nmessage M { Nope n = 1; }'},
        timeout=10,
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["error_code"] == 42201
    assert body["message"].startswith("Invalid schema of type PROTOBUF, details: 2:")
    assert '"Nope" is not defined' in body["message"]


def test_serde_roundtrip_with_an_import_through_kafka(
    registry_url: str, kafka_bootstrap: str, topic: str
) -> None:
    """The serializer registers the imported file under its own subject and the schema
    with a reference to it; the deserializer reads both back as descriptors."""
    address_name = f"t{uuid.uuid4().hex[:8]}/address.proto"
    address = 'syntax = "proto3";\npackage places;\nmessage Address { string city = 1; }\n'
    user = (
        'syntax = "proto3";\npackage people;\n'
        f'import "{address_name}";\nimport "google/protobuf/timestamp.proto";\n'
        "message User {\n  int64 user_id = 1;\n  places.Address home = 2;\n"
        "  google.protobuf.Timestamp signed_up = 3;\n  map<string, string> labels = 4;\n}\n"
    )
    user_class = message_classes({address_name: address}, user)["User"]
    client = SchemaRegistryClient({"url": registry_url})
    serializer = ProtobufSerializer(user_class, client)
    # A client of its own, as a consumer has: the client caches a schema by id whatever
    # its format, and this test reads the schema as text first.
    reader = SchemaRegistryClient({"url": registry_url})
    deserializer = ProtobufDeserializer(user_class, schema_registry_client=reader)
    context = SerializationContext(topic, MessageField.VALUE)
    events = []
    for n in range(10):
        event = user_class(user_id=n, labels={"plan": "free"})
        event.home.city = "Ghent"
        event.signed_up.seconds = 1_700_000_000 + n
        events.append(event)
    try:
        first = serializer(events[0], context)
        assert first is not None
        schema_id = int.from_bytes(first[1:5], "big")
        stored = client.get_schema(schema_id)
        assert [(r.name, r.subject, r.version) for r in stored.references or []] == [
            (address_name, address_name, 1)
        ]
        assert f'import "{address_name}";' in (stored.schema_str or "")
        records = [
            (b"one key, one order", value)
            for value in framed(serializer, events, context, schema_id)
        ]
        values = through_kafka(kafka_bootstrap, topic, records)
        received = [deserializer(value, context) for value in values]
    finally:
        client.close()
        reader.close()
    assert received == events


def test_a_text_import_resolves_and_its_serialized_form_names_it(
    registry_url: str, subject: str
) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    address_subject = f"{subject}-address"
    address = 'syntax = "proto3";\npackage places;\nmessage Address { string city = 1; }\n'
    user = (
        'syntax = "proto3";\nimport "address.proto";\nmessage User { places.Address home = 1; }\n'
    )
    try:
        client.register_schema(address_subject, protobuf(address))
        reference = SchemaReference("address.proto", address_subject, 1)
        schema_id = client.register_schema(subject, protobuf(user, (reference,)))
        answer = requests.get(
            f"{registry_url}/schemas/ids/{schema_id}", params={"format": "serialized"}, timeout=10
        ).json()
        file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(answer["schema"]))
        assert (file.name, list(file.dependency)) == ("default", ["address.proto"])
        assert file.message_type[0].field[0].type_name == ".places.Address"
        # A format Protobuf does not write itself gives the stored text, as Confluent does.
        stored = requests.get(
            f"{registry_url}/schemas/ids/{schema_id}",
            params={"format": "ignore_extensions"},
            timeout=10,
        ).json()["schema"]
        assert stored == client.get_schema(schema_id).schema_str
        with pytest.raises(SchemaRegistryError) as missing:
            client.register_schema(f"{subject}-other", protobuf(user))
        assert missing.value.error_code == 42201
    finally:
        client.close()
