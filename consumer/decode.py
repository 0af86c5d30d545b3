"""Kafka records → dicts in the consumer's own reader schema, or a reason they cannot be.

A record names its writer schema as `contract.framing` reads it: a schema id in the value's
prefix, or a schema GUID (in a header, or the prefix). Every writer schema so named is checked
once against the reader schema with the registry's own compatibility checker, and the verdict
is cached: an incompatible writer is refused before any byte of it is decoded, with the
checker's reasons. Verdicts are kept by what records name, id or GUID: a schema named both
ways is fetched and checked once per way, with no request to map one to the other.

The bytes are decoded by fastavro, as `AvroDeserializer` does, but driven directly through a
plan made once per writer schema, because the deserializer's per-record work (subject and
rule lookups, schema cache locks, logical-type objects) cost three times the decode itself:
- timestamps stay epoch integers and uuids stay text, the forms Arrow and fastavro's writer
  take directly (a `datetime` or `uuid.UUID` per value was a third of the decode);
- a writer whose fields are the reader's with the same simple types, plus or minus fields the
  reader drops or fills from a scalar default, is read with its own schema and then projected
  (the common evolution: a field added with a default); any other writer goes through
  fastavro's full schema resolution.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import avro.errors
import avro.schema
import fastavro
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError
from fastavro import schemaless_reader

from contract.compatibility import can_read
from contract.framing import FramingError, Headers, SchemaRef, read_framing
from contract.registry_client import is_schema_not_found

# Logical types decoded as their underlying value: (logicalType, underlying type).
_RAW_LOGICAL = frozenset(
    {
        ("timestamp-millis", "long"),
        ("timestamp-micros", "long"),
        ("local-timestamp-millis", "long"),
        ("local-timestamp-micros", "long"),
        ("uuid", "string"),
    }
)
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "string"})
_SCALARS = (str, int, float, bool, type(None))
# What fastavro raises on bytes its schema does not describe.
_DECODE_ERRORS = (
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    OverflowError,
    MemoryError,
    StopIteration,
)
_EPOCH = date(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LOCAL_EPOCH = datetime(1970, 1, 1)
_MILLI = timedelta(milliseconds=1)
_MICRO = timedelta(microseconds=1)
_NO_DEFAULT = object()
_EVENT_TIME = "event_time"
_UNITS_PER_DAY = {"timestamp-millis": 86_400_000, "timestamp-micros": 86_400_000_000}


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
    document: dict[str, Any]
    parsed: avro.schema.Schema = field(repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> ReaderSchema:
        document = json.loads(path.read_text())
        text = json.dumps(document)
        return cls(document=document, parsed=avro.schema.parse(text))


@dataclass(frozen=True)
class _Plan:
    """How to read one writer schema; `verdict` is why not, when it cannot be read."""

    verdict: str | None
    writer: Any = None
    # None: read with the writer schema alone, then project (see the module docstring).
    reader: Any = None
    dropped: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    to_raw: tuple[tuple[str, str], ...] = ()


class SchemaSource(Protocol):
    """Where writer schemas come from: `SchemaRegistryClient` (which caches them by id and
    by GUID)."""

    def get_schema(self, schema_id: int) -> Schema: ...

    def get_schema_by_guid(self, guid: str) -> Schema: ...


class Decoder:
    def __init__(self, client: SchemaSource, reader: ReaderSchema) -> None:
        self._client = client
        self._reader = reader
        # Full resolution keeps fastavro's logical types (so units convert), then turns the
        # reader's top-level raw-logical fields into their plain values.
        self._reader_resolved = fastavro.parse_schema(reader.document)
        self._top_level_raw = _raw_fields(reader.document)
        self._plans: dict[SchemaRef, _Plan] = {}

    def decode(self, value: bytes | None, headers: Headers) -> tuple[dict[str, Any], SchemaRef]:
        """The record in the reader schema (timestamps as epoch integers, uuids as text)
        and the writer schema its framing names (an id, or a GUID).

        Args:
            value: the record's value.
            headers: the record's headers (`Message.headers()`): one may name the schema.

        Raises:
            Rejected: the record is not Confluent-framed Avro, names an unknown schema, was
                written with a schema the reader cannot read, or does not decode.
            SchemaRegistryError, transport errors: the registry could not be asked; not the
                record's fault, so the caller retries rather than dead-lettering it.
        """
        # A missing value (a tombstone) is as unframed as an empty one.
        value = value or b""
        try:
            schema, body_start = read_framing(value, headers)
        except FramingError as error:
            raise Rejected(Reason.UNDECODABLE, str(error)) from None
        plan = self._plans.get(schema)
        if plan is None:
            plan = self._plans[schema] = self._plan(schema)
        if plan.verdict is not None:
            raise Rejected(Reason.INCOMPATIBLE_SCHEMA, plan.verdict)
        body = io.BytesIO(value)
        body.seek(body_start)
        try:
            record = schemaless_reader(body, plan.writer, plan.reader)
        except _DECODE_ERRORS as error:
            raise Rejected(
                Reason.UNDECODABLE, f"{type(error).__name__} decoding the value"
            ) from None
        if not isinstance(record, dict):
            raise Rejected(Reason.UNDECODABLE, "the value is not a record")
        if body.tell() != len(value):
            raise Rejected(Reason.UNDECODABLE, "bytes left over after the record")
        for name in plan.dropped:
            del record[name]
        if plan.defaults:
            record.update(plan.defaults)
        for name, logical in plan.to_raw:
            record[name] = _plain(record[name], logical)
        return record, schema

    def _plan(self, schema: SchemaRef) -> _Plan:
        named = f"schema id {schema}" if isinstance(schema, int) else f"schema guid {schema}"
        try:
            writer = (
                self._client.get_schema(schema)
                if isinstance(schema, int)
                else self._client.get_schema_by_guid(str(schema))
            )
        except SchemaRegistryError as error:
            if is_schema_not_found(error):
                raise Rejected(Reason.UNKNOWN_SCHEMA, f"{named} is not in the registry") from None
            raise
        if writer.schema_type not in (None, "AVRO") or writer.schema_str is None:
            return _Plan(verdict=f"{named} is not an Avro schema")
        try:
            parsed = avro.schema.parse(writer.schema_str)
            document = json.loads(writer.schema_str)
        except (avro.errors.AvroException, ValueError):
            return _Plan(verdict=f"{named} does not parse")
        problems = can_read(self._reader.parsed, parsed)
        if problems:
            return _Plan(verdict="; ".join(p.located() for p in problems))
        projection = _projection(document, self._reader.document)
        if projection is None:
            return _Plan(
                verdict=None,
                writer=fastavro.parse_schema(document),
                reader=self._reader_resolved,
                to_raw=self._top_level_raw,
            )
        dropped, defaults = projection
        return _Plan(
            verdict=None,
            writer=fastavro.parse_schema(_raw_logical(document)),
            dropped=dropped,
            defaults=defaults,
        )


class EventDates:
    """The UTC date of a record's event time, one `date` object per day (cached).

    Args:
        reader_schema: the reader schema; its `event_time` must be a timestamp-millis or
            timestamp-micros long.
    """

    def __init__(self, reader_schema: Mapping[str, Any]) -> None:
        logical = None
        for declared in reader_schema.get("fields", []):
            if declared["name"] == _EVENT_TIME and isinstance(declared["type"], dict):
                logical = declared["type"].get("logicalType")
        if logical not in _UNITS_PER_DAY:
            raise ValueError(
                f"the reader schema's {_EVENT_TIME} must be a timestamp-millis or -micros long"
            )
        self._per_day = _UNITS_PER_DAY[logical]
        self._days: dict[int, date] = {}

    def of(self, record: Mapping[str, Any]) -> date:
        day = record[_EVENT_TIME] // self._per_day
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = _EPOCH + timedelta(days=day)
        return found


def _raw_logical(schema: Any) -> Any:
    """The schema without the logical types that `_RAW_LOGICAL` reads as plain values."""
    if isinstance(schema, list):
        return [_raw_logical(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if (schema.get("logicalType"), schema.get("type")) in _RAW_LOGICAL:
        return schema["type"]
    copy = dict(schema)
    if "fields" in copy:
        copy["fields"] = [{**f, "type": _raw_logical(f["type"])} for f in copy["fields"]]
    for key in ("items", "values"):
        if key in copy:
            copy[key] = _raw_logical(copy[key])
    return copy


def _projection(
    writer: Mapping[str, Any], reader: Mapping[str, Any]
) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """Fields to drop and defaults to add that turn a writer record into a reader record,
    or None when the schemas need fastavro's full resolution (other names, aliases, types
    that differ or are not simple, defaults that are not scalars)."""
    if _full_name(writer) != _full_name(reader):
        return None
    writer_fields = {f["name"]: f for f in writer["fields"]}
    defaults: dict[str, Any] = {}
    for reader_field in reader["fields"]:
        if reader_field.get("aliases"):
            return None
        written = writer_fields.get(reader_field["name"])
        if written is None:
            if "default" not in reader_field:
                return None
            decoded = _decoded_default(_raw_logical(reader_field["type"]), reader_field["default"])
            if decoded is _NO_DEFAULT:
                return None
            defaults[reader_field["name"]] = decoded
        # Equal as declared, logical types included: a millis writer never feeds a micros
        # reader its raw numbers.
        elif not (
            _simple(_raw_logical(written["type"])) and written["type"] == reader_field["type"]
        ):
            return None
    kept = {f["name"] for f in reader["fields"]}
    return tuple(name for name in writer_fields if name not in kept), defaults


def _full_name(schema: Mapping[str, Any]) -> str:
    name = str(schema.get("name", ""))
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _simple(avro_type: Any) -> bool:
    """A primitive other than bytes, or a union of them: decoded values are plain scalars."""
    if isinstance(avro_type, list):
        return all(isinstance(b, str) and b in _PRIMITIVES for b in avro_type)
    return isinstance(avro_type, str) and avro_type in _PRIMITIVES


def _decoded_default(avro_type: Any, default: Any) -> Any:
    """What the JSON default decodes to (a union's default is of its first branch), or
    `_NO_DEFAULT` when that is not a plain scalar of the type."""
    if not _simple(avro_type) or not isinstance(default, _SCALARS):
        return _NO_DEFAULT
    first = avro_type[0] if isinstance(avro_type, list) else avro_type
    if first == "null" and default is None:
        return None
    if isinstance(default, bool):
        return default if first == "boolean" else _NO_DEFAULT
    if first in ("int", "long") and isinstance(default, int):
        return default
    if first in ("float", "double") and isinstance(default, int | float):
        return float(default)
    if first == "string" and isinstance(default, str):
        return default
    return _NO_DEFAULT


def _raw_fields(reader: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """(name, logicalType) of the reader's top-level fields that must hold plain values:
    those of a raw-read logical type, and plain longs and strings, which a writer's logical
    type would otherwise fill with a datetime or a UUID (a plain long reads millis)."""
    found = []
    for reader_field in reader["fields"]:
        declared = reader_field["type"]
        branches = declared if isinstance(declared, list) else [declared]
        for branch in branches:
            if isinstance(branch, dict) and (branch.get("logicalType"), branch.get("type")) in (
                _RAW_LOGICAL
            ):
                found.append((reader_field["name"], str(branch["logicalType"])))
                break
            if branch in ("long", "string"):
                found.append((reader_field["name"], "timestamp-millis"))
                break
    return tuple(found)


def _plain(value: Any, logical: str) -> Any:
    """A fastavro logical value (datetime, UUID) as the plain value the fast path yields."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        since = value - (_LOCAL_EPOCH if value.tzinfo is None else _UTC_EPOCH)
        unit = _MICRO if logical.endswith("micros") else _MILLI
        return since // unit
    return value
