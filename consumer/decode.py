"""Kafka record values → dicts in the consumer's own reader schema, or a reason they cannot be.

Every writer schema id is checked once against the reader schema with the registry's own
compatibility checker, and the verdict is cached: an incompatible writer is refused before
any byte of it is decoded, with the checker's reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import avro.errors
import avro.schema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import SerializationError

from registry.compatibility import can_read

_MAGIC = 0
_NOT_FOUND = {40401, 40403}


class Reason(StrEnum):
    """Why a record went to the dead-letter topic."""

    UNDECODABLE = "undecodable"
    UNKNOWN_SCHEMA = "unknown_schema"
    INCOMPATIBLE_SCHEMA = "incompatible_schema"


class Rejected(Exception):
    """A record this consumer cannot read; it belongs in the dead-letter topic."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ReaderSchema:
    text: str
    document: dict[str, Any] = field(repr=False)
    parsed: avro.schema.Schema = field(repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> ReaderSchema:
        document = json.loads(path.read_text())
        text = json.dumps(document)
        return cls(text=text, document=document, parsed=avro.schema.parse(text))


class Decoder:
    def __init__(self, client: SchemaRegistryClient, reader: ReaderSchema, topic: str) -> None:
        self._client = client
        self._reader = reader
        # With a reader schema, the deserializer resolves every writer's data into it.
        self._deserializer = AvroDeserializer(client, schema_str=reader.text)
        self._verdicts: dict[int, str | None] = {}

    def decode(self, value: bytes | None) -> tuple[dict[str, Any], int]:
        """The record in the reader schema and its writer schema id.

        Raises:
            Rejected: the record is not Confluent-framed Avro, names an unknown schema, was
                written with a schema the reader cannot read, or does not decode.
            SchemaRegistryError, transport errors: the registry could not be asked; not the
                record's fault, so the caller retries rather than dead-lettering it.
        """
        if value is None or len(value) < 5 or value[0] != _MAGIC:
            raise Rejected(Reason.UNDECODABLE, "no Confluent magic byte and schema id")
        schema_id = int.from_bytes(value[1:5], "big")
        verdict = self._verdict(schema_id)
        if verdict is not None:
            raise Rejected(Reason.INCOMPATIBLE_SCHEMA, verdict)
        try:
            # No serialization context: with one, the deserializer runs its data-contract
            # rule machinery on every record (tags, field transforms), which this platform
            # does not use and which cost twice the decode itself.
            record = self._deserializer(value, None)
        except (SerializationError, ValueError, EOFError, IndexError, TypeError) as error:
            raise Rejected(
                Reason.UNDECODABLE, f"{type(error).__name__} decoding the value"
            ) from None
        if not isinstance(record, dict):
            raise Rejected(Reason.UNDECODABLE, "the value is not a record")
        return record, schema_id

    def _verdict(self, schema_id: int) -> str | None:
        """None when the reader reads this writer schema, else why not (cached per id)."""
        if schema_id in self._verdicts:
            return self._verdicts[schema_id]
        try:
            writer = self._client.get_schema(schema_id)
        except SchemaRegistryError as error:
            if error.http_status_code == 404 and error.error_code in _NOT_FOUND:
                raise Rejected(
                    Reason.UNKNOWN_SCHEMA, f"schema id {schema_id} is not in the registry"
                ) from None
            raise
        if writer.schema_type not in (None, "AVRO") or writer.schema_str is None:
            verdict: str | None = f"schema id {schema_id} is not an Avro schema"
        else:
            try:
                parsed = avro.schema.parse(writer.schema_str)
            except avro.errors.AvroException:
                verdict = f"schema id {schema_id} does not parse"
            else:
                problems = can_read(self._reader.parsed, parsed)
                verdict = "; ".join(p.message() for p in problems) if problems else None
        self._verdicts[schema_id] = verdict
        return verdict
