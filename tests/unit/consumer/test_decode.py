"""The decoder: Confluent-framed Avro → the reader schema's record, or a reason for the DLQ.

The reference for every decoded value is fastavro's own schema resolution with logical types,
turned into the plain forms the decoder yields (epoch integers, uuid text).
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError
from hypothesis import given, settings
from hypothesis import strategies as st

from consumer.decode import Decoder, EventDates, ReaderSchema, Reason, Rejected

CONTRACT = Path(__file__).resolve().parents[3] / "schemas" / "user-events-value"
V1: dict[str, Any] = json.loads((CONTRACT / "1.avsc").read_text())
V2: dict[str, Any] = json.loads((CONTRACT / "2.avsc").read_text())
MILLIS_2026 = 1_795_600_000_000


class Registry:
    """Writer schemas by id and by GUID, counting look-ups (the decoder must ask once per id
    or GUID)."""

    def __init__(self, schemas: dict[int | uuid.UUID, dict[str, Any]]) -> None:
        self.schemas = schemas
        self.asked: list[int | uuid.UUID] = []

    def get_schema(self, schema_id: int) -> Schema:
        return self._get(schema_id)

    def get_schema_by_guid(self, guid: str) -> Schema:
        return self._get(uuid.UUID(guid))

    def _get(self, schema: int | uuid.UUID) -> Schema:
        self.asked.append(schema)
        if schema not in self.schemas:
            raise SchemaRegistryError(404, 40403, f"Schema {schema} not found")
        return Schema(json.dumps(self.schemas[schema]), "AVRO")


def reader(document: dict[str, Any], tmp_path: Path) -> ReaderSchema:
    path = tmp_path / "reader.avsc"
    path.write_text(json.dumps(document))
    return ReaderSchema.load(path)


def avro_body(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), record)
    return body.getvalue()


def framed(schema_id: int, schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    """The prefix framing: magic byte 0, the schema id, the body."""
    return b"\x00" + schema_id.to_bytes(4, "big") + avro_body(schema, record)


def guid_header(guid: uuid.UUID) -> tuple[str, bytes]:
    """The header framing's header, as `header_schema_id_serializer` writes it."""
    return ("__value_schema_id", b"\x01" + guid.bytes)


def reference(body: bytes, writer: dict[str, Any], read_as: dict[str, Any]) -> dict[str, Any]:
    """fastavro's resolution of an Avro body with logical types, in the decoder's plain
    forms."""
    decoded = fastavro.schemaless_reader(
        io.BytesIO(body), fastavro.parse_schema(writer), fastavro.parse_schema(read_as)
    )
    assert isinstance(decoded, dict)
    plain: dict[str, Any] = {}
    for name, item in decoded.items():
        if isinstance(item, uuid.UUID):
            item = str(item)
        elif isinstance(item, datetime):
            item = (item - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        plain[name] = item
    return plain


def v2_event(**change: Any) -> dict[str, Any]:
    event = {
        "event_id": str(uuid.UUID(int=7)),
        "event_time": MILLIS_2026,
        "user_id": 42,
        "country_code": "BE",
        "created_at": 1_609_459_200_000,
        "is_a_dog": True,
        "signup_channel": "partner",
    }
    return {**event, **change}


def v1_event(**change: Any) -> dict[str, Any]:
    event = v2_event(**change)
    del event["signup_channel"]
    return event


# Instants a Python datetime holds (years 1 to 9999), so the reference can decode them.
instants = st.integers(-62_135_596_800_000, 253_402_300_799_999)
events = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(str),
        "event_time": instants,
        "user_id": st.integers(-(2**63), 2**63 - 1),
        "country_code": st.text(max_size=4),
        "created_at": instants,
        "is_a_dog": st.booleans(),
        "signup_channel": st.text(max_size=12),
    }
)


# The writers' GUIDs in the fake registry, beside their ids 1 and 2.
GUIDS = (uuid.UUID(int=0x51), uuid.UUID(int=0x52))
EVENT_ID_HEADER = ("event_id", b"e-1")


@settings(max_examples=150, deadline=None)
@given(
    event=events,
    writer_version=st.sampled_from([1, 2]),
    reader_version=st.sampled_from([1, 2]),
    framing=st.sampled_from(["id prefix", "guid header", "guid prefix"]),
)
def test_every_writer_reader_pair_decodes_as_fastavro_resolves_it_in_every_framing(
    event: dict[str, Any],
    writer_version: int,
    reader_version: int,
    framing: str,
    tmp_path_factory: Any,
) -> None:
    writer, read_as = (V1, V2)[writer_version - 1], (V1, V2)[reader_version - 1]
    guid = GUIDS[writer_version - 1]
    record = {f["name"]: event[f["name"]] for f in writer["fields"]}
    body = avro_body(writer, record)
    headers: list[tuple[str, bytes]] = [EVENT_ID_HEADER]
    if framing == "id prefix":
        value = framed(writer_version, writer, record)
    elif framing == "guid header":
        value, headers = body, [EVENT_ID_HEADER, guid_header(guid)]
    else:
        value = b"\x01" + guid.bytes + body
    registry = Registry({1: V1, 2: V2, GUIDS[0]: V1, GUIDS[1]: V2})
    decoder = Decoder(registry, reader(read_as, tmp_path_factory.mktemp("r")))

    decoded, named = decoder.decode(value, headers)

    assert named == (writer_version if framing == "id prefix" else guid)
    assert decoded == reference(body, writer, read_as)


def test_both_framings_of_one_topic_decode_and_each_schema_is_asked_for_once(
    tmp_path: Path,
) -> None:
    registry = Registry({1: V1, GUIDS[1]: V2})
    decoder = Decoder(registry, reader(V2, tmp_path))
    by_id = framed(1, V1, v1_event())
    by_header = avro_body(V2, v2_event())
    for _ in range(3):
        assert decoder.decode(by_id, [EVENT_ID_HEADER]) == (
            {**v1_event(), "signup_channel": "api"},
            1,
        )
        assert decoder.decode(by_header, [EVENT_ID_HEADER, guid_header(GUIDS[1])]) == (
            v2_event(),
            GUIDS[1],
        )
    assert registry.asked == [1, GUIDS[1]]


def test_an_unknown_guid_is_an_unknown_schema_named_in_the_detail(tmp_path: Path) -> None:
    decoder = Decoder(Registry({2: V2}), reader(V2, tmp_path))
    unknown = uuid.UUID(int=0x99)
    with pytest.raises(Rejected) as caught:
        decoder.decode(avro_body(V2, v2_event()), [guid_header(unknown)])
    assert caught.value.reason is Reason.UNKNOWN_SCHEMA
    assert caught.value.detail == f"schema guid {unknown} is not in the registry"


@pytest.mark.parametrize(
    "header",
    [b"", b"\x01" + bytes(15), b"\x01" + bytes(17), b"\x05" + bytes(16)],
    ids=["empty", "short", "long", "magic byte"],
)
def test_a_malformed_schema_id_header_is_undecodable_even_over_a_good_prefix(
    header: bytes, tmp_path: Path
) -> None:
    decoder = Decoder(Registry({2: V2}), reader(V2, tmp_path))
    with pytest.raises(Rejected) as caught:
        decoder.decode(framed(2, V2, v2_event()), [("__value_schema_id", header)])
    assert caught.value.reason is Reason.UNDECODABLE
    assert "__value_schema_id" in caught.value.detail


def test_a_v1_event_reads_with_v2s_default(tmp_path: Path) -> None:
    decoder = Decoder(Registry({1: V1}), reader(V2, tmp_path))
    decoded, _ = decoder.decode(framed(1, V1, v1_event()), None)
    assert decoded["signup_channel"] == "api"
    assert decoded["event_time"] == MILLIS_2026
    assert decoded["event_id"] == str(uuid.UUID(int=7))


def test_a_v2_event_read_as_v1_drops_the_new_field(tmp_path: Path) -> None:
    decoder = Decoder(Registry({2: V2}), reader(V1, tmp_path))
    decoded, _ = decoder.decode(framed(2, V2, v2_event()), None)
    assert decoded == v1_event()


def test_a_writer_needing_promotion_goes_through_full_resolution(tmp_path: Path) -> None:
    narrow = {**V1, "fields": [*V1["fields"][:2], {"name": "user_id", "type": "int"}]}
    wide = {**V1, "fields": [*V1["fields"][:2], {"name": "user_id", "type": "long"}]}
    decoder = Decoder(Registry({5: narrow}), reader(wide, tmp_path))
    record = {"event_id": str(uuid.UUID(int=1)), "event_time": MILLIS_2026, "user_id": 9}
    value = framed(5, narrow, record)
    decoded, _ = decoder.decode(value, None)
    assert decoded == reference(value[5:], narrow, wide) == record


def test_a_millis_writer_read_as_micros_is_converted_not_reinterpreted(tmp_path: Path) -> None:
    def clock(unit: str) -> dict[str, Any]:
        return {
            "type": "record",
            "name": "Tick",
            "fields": [{"name": "event_time", "type": {"type": "long", "logicalType": unit}}],
        }

    decoder = Decoder(
        Registry({3: clock("timestamp-millis")}), reader(clock("timestamp-micros"), tmp_path)
    )
    decoded, _ = decoder.decode(framed(3, clock("timestamp-millis"), {"event_time": 1_500}), None)
    assert decoded == {"event_time": 1_500_000}


def test_a_logical_writer_read_as_plain_types_gives_plain_values(tmp_path: Path) -> None:
    plain = {
        "type": "record",
        "name": "Tick",
        "fields": [
            {"name": "event_time", "type": "long"},
            {"name": "event_id", "type": ["null", "string"]},
        ],
    }
    logical = {
        "type": "record",
        "name": "Tick",
        "fields": [
            {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "event_id", "type": ["null", {"type": "string", "logicalType": "uuid"}]},
        ],
    }
    decoder = Decoder(Registry({4: logical}), reader(plain, tmp_path))
    event_id = str(uuid.UUID(int=3))
    value = framed(4, logical, {"event_time": MILLIS_2026, "event_id": event_id})
    assert decoder.decode(value, None)[0] == {"event_time": MILLIS_2026, "event_id": event_id}


def test_an_incompatible_writer_is_refused_with_the_reason_and_asked_for_once(
    tmp_path: Path,
) -> None:
    text_id = {**V1, "fields": [{"name": "user_id", "type": "string"}]}
    registry = Registry({9: text_id})
    decoder = Decoder(registry, reader(V1, tmp_path))
    value = framed(9, text_id, {"user_id": "x"})
    for _ in range(3):
        with pytest.raises(Rejected) as caught:
            decoder.decode(value, None)
        assert caught.value.reason is Reason.INCOMPATIBLE_SCHEMA
        assert "user_id" in caught.value.detail
    assert registry.asked == [9]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, Reason.UNDECODABLE),
        (b"", Reason.UNDECODABLE),
        (b"\x07\x00\x00\x00\x01rest", Reason.UNDECODABLE),
        (b"\x01\x00\x00\x00\x01rest", Reason.UNDECODABLE),
        (b"\x00\x00\x00\x00\x63" + b"\x02", Reason.UNKNOWN_SCHEMA),
        (framed(2, V2, v2_event())[:12], Reason.UNDECODABLE),
        (framed(2, V2, v2_event()) + b"\x00", Reason.UNDECODABLE),
        (b"\x00\x00\x00\x00\x02" + bytes(range(200, 256)) * 3, Reason.UNDECODABLE),
    ],
    ids=[
        "null",
        "empty",
        "no magic byte",
        "short guid prefix",
        "unknown id",
        "truncated",
        "trailing",
        "garbage",
    ],
)
def test_what_cannot_be_read_is_rejected_with_its_reason(
    value: bytes | None, reason: Reason, tmp_path: Path
) -> None:
    decoder = Decoder(Registry({2: V2}), reader(V2, tmp_path))
    with pytest.raises(Rejected) as caught:
        decoder.decode(value, None)
    assert caught.value.reason is reason


def test_a_registry_outage_is_not_the_records_fault(tmp_path: Path) -> None:
    class Down:
        def get_schema(self, schema_id: int) -> Schema:
            raise SchemaRegistryError(503, 50003, "unavailable")

        def get_schema_by_guid(self, guid: str) -> Schema:
            raise SchemaRegistryError(503, 50003, "unavailable")

    decoder = Decoder(Down(), reader(V2, tmp_path))
    with pytest.raises(SchemaRegistryError):
        decoder.decode(framed(2, V2, v2_event()), None)


def test_event_dates_follow_the_reader_schemas_unit() -> None:
    assert EventDates(V2).of({"event_time": MILLIS_2026}) == date(2026, 11, 25)
    assert EventDates(V2).of({"event_time": -1}) == date(1969, 12, 31)
    micros = {
        "type": "record",
        "name": "Tick",
        "fields": [
            {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-micros"}}
        ],
    }
    assert EventDates(micros).of({"event_time": MILLIS_2026 * 1000}) == date(2026, 11, 25)


def test_a_reader_without_a_timestamp_event_time_is_refused_at_start() -> None:
    plain = {"type": "record", "name": "R", "fields": [{"name": "event_time", "type": "long"}]}
    with pytest.raises(ValueError, match="event_time must be a timestamp"):
        EventDates(plain)
