"""confluent_kafka's SchemaRegistryClient (sync) or AsyncSchemaRegistryClient against a registry.

    python -m tests.clients.py.confluent_run {sync|async} REGISTRY_URL SUBJECT_PREFIX SCHEMAS_DIR

One scenario serves both clients: each call goes through `settle`, which awaits what the
async client returns and passes the sync client's results through. Exit status 1 when any
step failed.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from confluent_kafka.schema_registry import (
    AsyncSchemaRegistryClient,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.avro import (
    AsyncAvroDeserializer,
    AsyncAvroSerializer,
    AvroDeserializer,
    AvroSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.clients.py.steps import Fields, Steps, read_schema, record_name

T = TypeVar("T")
Client = SchemaRegistryClient | AsyncSchemaRegistryClient

RECORD = {
    "user_id": 42,
    "home": {"street": "Rue de la Loi 16", "city": "Brussels"},
    "nickname": "ada",
}


async def settle(result: Awaitable[T] | T) -> T:
    if inspect.isawaitable(result):
        return await result
    return result


def new_client(flavour: str, url: str) -> Client:
    if flavour == "async":
        return AsyncSchemaRegistryClient({"url": url})
    return SchemaRegistryClient({"url": url})


async def close(client: Client) -> None:
    if isinstance(client, AsyncSchemaRegistryClient):
        await client.aclose()
    else:
        client.close()


def refused(fields: Fields, error: SchemaRegistryError) -> None:
    fields.update(
        status=error.http_status_code, error_code=error.error_code, message=error.error_message
    )


def describe(schema: Schema) -> Fields:
    assert schema.schema_str is not None
    references = [f"{ref.name}={ref.subject}/{ref.version}" for ref in schema.references or []]
    return {"record": record_name(schema.schema_str), "references": ",".join(references)}


async def run(flavour: str, url: str, prefix: str, schemas: Path) -> int:
    steps = Steps()
    address_subject, subject, topic = f"{prefix}-address", f"{prefix}-value", prefix
    # The writer registers; the reader, a client of its own, reads: its answers come from the
    # registry rather than from what the writer's cache remembers of its own registrations.
    writer, reader = new_client(flavour, url), new_client(flavour, url)
    reference = SchemaReference("test.shared.Address", address_subject, 1)

    def user(name: str) -> Schema:
        return Schema(read_schema(schemas, name), "AVRO", [reference])

    with steps.step("register-address") as out:
        address = Schema(read_schema(schemas, "address"), "AVRO")
        registered = await settle(writer.register_schema_full_response(address_subject, address))
        out.update(id=registered.schema_id, version=registered.version)
    guid: str | None = None
    with steps.step("register-user") as out:
        registered = await settle(writer.register_schema_full_response(subject, user("user-v1")))
        out.update(id=registered.schema_id, version=registered.version)
        guid = registered.guid
    with steps.step("guid") as out:
        if not guid:
            raise LookupError("the register response carries no guid")
        out.update(guid=guid)
    with steps.step("lookup") as out:
        found = await settle(reader.lookup_schema(subject, user("user-v1")))
        out.update(id=found.schema_id, version=found.version)
    with steps.step("get-by-id") as out:
        out.update(describe(await settle(reader.get_schema(steps.value("register-user", "id")))))
    with steps.step("get-by-guid") as out:
        by_guid = await settle(reader.get_schema_by_guid(steps.value("guid", "guid")))
        out.update(describe(by_guid))

    with steps.step("register-v2") as out:
        registered = await settle(writer.register_schema_full_response(subject, user("user-v2")))
        out.update(id=registered.schema_id, version=registered.version)
    with steps.step("latest-version") as out:
        latest = await settle(reader.get_latest_version(subject))
        out.update(id=latest.schema_id, version=latest.version)
    with steps.step("register-incompatible") as out:
        try:
            accepted = await settle(writer.register_schema(subject, user("user-breaking")))
        except SchemaRegistryError as error:
            refused(out, error)
        else:
            raise AssertionError(f"accepted as id {accepted}")

    with steps.step("set-compatibility") as out:
        # The client hands back the response body, whatever its annotation says.
        answer: object = await settle(writer.set_compatibility(subject, "FULL"))
        assert isinstance(answer, dict), f"answer {answer!r}"
        out.update(level=answer["compatibility"])
    with steps.step("get-compatibility") as out:
        out.update(level=await settle(reader.get_compatibility(subject)))
    with steps.step("set-mode") as out:
        out.update(mode=await settle(writer.update_mode(subject, "READONLY")))
    with steps.step("get-mode") as out:
        out.update(mode=await settle(reader.get_mode(subject)))
    with steps.step("register-in-read-only") as out:
        try:
            accepted = await settle(writer.register_schema(subject, user("user-v3")))
        except SchemaRegistryError as error:
            refused(out, error)
        else:
            raise AssertionError(f"accepted as id {accepted}")
    with steps.step("set-mode-back") as out:
        out.update(mode=await settle(writer.update_mode(subject, "READWRITE")))

    context = SerializationContext(topic, MessageField.VALUE)
    framed: bytes | None = None
    with steps.step("serialize") as out:
        conf = {"auto.register.schemas": False}
        serializer: AvroSerializer | AsyncAvroSerializer
        if isinstance(reader, AsyncSchemaRegistryClient):
            serializer = await AsyncAvroSerializer(reader, user("user-v2"), conf=conf)
        else:
            serializer = AvroSerializer(reader, user("user-v2"), conf=conf)
        framed = await settle(serializer(RECORD, context))
        assert framed is not None, "no bytes"
        out.update(bytes=len(framed), magic=framed[0], id=int.from_bytes(framed[1:5], "big"))
    with steps.step("deserialize") as out:
        # A consumer's client knows nothing yet: the writer schema comes by id from the registry.
        if framed is None:
            raise RuntimeError("needs the bytes of step serialize, which did not succeed")
        decoding = new_client(flavour, url)
        deserializer: AvroDeserializer | AsyncAvroDeserializer
        if isinstance(decoding, AsyncSchemaRegistryClient):
            deserializer = await AsyncAvroDeserializer(decoding)
        else:
            deserializer = AvroDeserializer(decoding)
        decoded = await settle(deserializer(framed, context))
        assert isinstance(decoded, dict)
        out.update(equal=str(decoded == RECORD).lower(), user_id=decoded["user_id"])
        await close(decoding)

    with steps.step("soft-delete-version") as out:
        out.update(deleted=await settle(writer.delete_version(subject, 2)))
    with steps.step("versions-after-soft-delete") as out:
        out.update(versions=",".join(map(str, await settle(reader.get_versions(subject)))))
    with steps.step("soft-delete-subject") as out:
        deleted = await settle(writer.delete_subject(subject))
        out.update(deleted=",".join(map(str, sorted(deleted))))
    with steps.step("hard-delete-subject") as out:
        deleted = await settle(writer.delete_subject(subject, permanent=True))
        out.update(deleted=",".join(map(str, sorted(deleted))))
    with steps.step("versions-after-hard-delete") as out:
        try:
            versions = await settle(reader.get_versions(subject))
        except SchemaRegistryError as error:
            refused(out, error)
        else:
            raise AssertionError(f"versions {versions} are still listed")

    for client in (writer, reader):
        await close(client)
    return 1 if steps.failed else 0


def main(argv: list[str]) -> int:
    flavour, url, prefix, schemas = argv
    if flavour not in ("sync", "async"):
        raise SystemExit(f"usage: {{sync|async}} URL PREFIX SCHEMAS_DIR, not {flavour!r}")
    return asyncio.run(run(flavour, url, prefix, Path(schemas)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
