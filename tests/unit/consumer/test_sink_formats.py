"""Formats: a batch of decoded records becomes a Parquet or Avro file that reads back the same."""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumer.sink.avro import AvroFormat
from consumer.sink.base import Format, Records, SchemaMappingError, SinkError, schema_fingerprint
from consumer.sink.parquet import ParquetFormat, arrow_schema
from tests.unit.consumer.samples import (
    READER_SCHEMA,
    WRITER_GUID,
    as_read_back,
    file_meta,
    user_event,
)

METADATA = file_meta(10, 13).file_metadata()


def record_schema(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": list(fields)}


def file_bytes(file_format: Format, records: Records, metadata: Mapping[str, str]) -> bytes:
    """The bytes of one whole file, as `write` hands them to a target."""
    out = io.BytesIO()
    file_format.write(records, metadata, out)
    return out.getvalue()


def test_the_reader_schema_maps_to_typed_non_nullable_columns() -> None:
    columns: list[pa.Field[Any]] = [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("event_time", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("user_id", pa.int64(), nullable=False),
        pa.field("country_code", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("is_a_dog", pa.bool_(), nullable=False),
        pa.field("signup_channel", pa.string(), nullable=False),
    ]
    assert arrow_schema(READER_SCHEMA) == pa.schema(columns)


def test_every_supported_avro_type_has_its_arrow_type() -> None:
    color = {"type": "enum", "name": "Color", "symbols": ["RED", "BLUE"]}
    schema = record_schema(
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "b", "type": "bytes"},
        {"name": "maybe", "type": ["null", "long"]},
        {"name": "maybe_after", "type": ["string", "null"]},
        {"name": "color", "type": color},
        {"name": "color_again", "type": "Color"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "t", "type": {"type": "int", "logicalType": "time-millis"}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
        },
        {"name": "odd", "type": {"type": "string", "logicalType": "made-up"}},
    )
    assert [(f.name, f.type, f.nullable) for f in arrow_schema(schema)] == [
        ("i", pa.int32(), False),
        ("f", pa.float32(), False),
        ("d", pa.float64(), False),
        ("b", pa.binary(), False),
        ("maybe", pa.int64(), True),
        ("maybe_after", pa.string(), True),
        ("color", pa.string(), False),
        ("color_again", pa.string(), False),
        ("hash", pa.binary(4), False),
        ("day", pa.date32(), False),
        ("us", pa.timestamp("us", tz="UTC"), False),
        ("local", pa.timestamp("ms"), False),
        ("t", pa.time32("ms"), False),
        ("amount", pa.decimal128(10, 2), False),
        ("odd", pa.string(), False),
    ]


@pytest.mark.parametrize(
    ("avro_type", "says"),
    [
        ({"type": "array", "items": "long"}, "nested array"),
        ({"type": "map", "values": "long"}, "nested map"),
        ({"type": "record", "name": "In", "fields": []}, "nested record"),
        (["null", "long", "string"], "union of null and one type"),
        (["long", "string"], "union of null and one type"),
        ("null", "has no Arrow column type"),
        ("Unknown", "has no Arrow column type"),
    ],
)
def test_what_has_no_column_is_refused_naming_the_field(avro_type: Any, says: str) -> None:
    with pytest.raises(SchemaMappingError, match=f"field odd: .*{says}"):
        arrow_schema(
            record_schema({"name": "ok", "type": "long"}, {"name": "odd", "type": avro_type})
        )


def test_parquet_reads_back_the_same_rows_and_carries_the_metadata() -> None:
    records = [user_event(i) for i in range(4)]
    data = file_bytes(ParquetFormat(READER_SCHEMA), records, METADATA)

    table = pq.read_table(io.BytesIO(data))
    assert table.to_pylist() == [as_read_back(r) for r in records]
    stored = pq.read_metadata(io.BytesIO(data))
    kv = {k.decode(): v.decode() for k, v in (stored.metadata or {}).items()}
    assert {k: kv[k] for k in METADATA} == METADATA
    assert kv["writer_schema_ids"] == "1,2"
    assert kv["writer_schema_guids"] == str(WRITER_GUID)
    assert kv["first_offset"] == "10" and kv["last_offset"] == "13"
    assert stored.row_group(0).column(0).compression == "ZSTD"


def test_parquet_takes_uuids_as_objects_or_text_and_stores_the_same() -> None:
    as_objects = ParquetFormat(READER_SCHEMA).table([user_event(1)], METADATA)
    as_text = ParquetFormat(READER_SCHEMA).table([user_event(1, as_uuid=False)], METADATA)
    assert as_objects.equals(as_text)
    assert as_objects.column("event_id").to_pylist() == [str(uuid.UUID(int=2))]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"user_id": "not-a-number-secret"}, "field user_id"),
        ({"is_a_dog": None}, "non-nullable"),
        ({"event_id": 12345}, "field event_id"),
    ],
)
def test_parquet_refuses_a_bad_record_without_quoting_it(change: dict[str, Any], says: str) -> None:
    records = [user_event(1), {**user_event(2), **change}]
    with pytest.raises(SinkError, match=says) as caught:
        file_bytes(ParquetFormat(READER_SCHEMA), records, METADATA)
    assert "secret" not in str(caught.value)
    assert "12345" not in str(caught.value)


def test_parquet_names_a_missing_field() -> None:
    record = user_event(1)
    del record["country_code"]
    with pytest.raises(SinkError, match="lacks field country_code"):
        file_bytes(ParquetFormat(READER_SCHEMA), [record], METADATA)


def test_avro_reads_back_the_same_records_under_the_reader_schema() -> None:
    records = [user_event(i) for i in range(4)]
    data = file_bytes(AvroFormat(READER_SCHEMA), records, METADATA)

    reader = fastavro.reader(io.BytesIO(data))
    assert list(reader) == records
    assert {k: reader.metadata[k] for k in METADATA} == METADATA
    assert reader.metadata["avro.codec"] == "deflate"
    assert isinstance(reader.writer_schema, dict)
    assert schema_fingerprint(reader.writer_schema) == schema_fingerprint(READER_SCHEMA)


def test_avro_refuses_a_bad_record_naming_the_field_only() -> None:
    records = [user_event(1), {**user_event(2), "user_id": "secret-value"}]
    with pytest.raises(SinkError, match="field user_id does not fit") as caught:
        file_bytes(AvroFormat(READER_SCHEMA), records, METADATA)
    assert "secret" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_the_fingerprint_follows_the_canonical_form() -> None:
    documented = {**READER_SCHEMA, "doc": "another description"}
    renamed = {**READER_SCHEMA, "name": "UserRenamed"}
    assert schema_fingerprint(documented) == schema_fingerprint(READER_SCHEMA)
    assert schema_fingerprint(renamed) != schema_fingerprint(READER_SCHEMA)
    assert len(schema_fingerprint(READER_SCHEMA)) == 64


def test_file_meta_refuses_an_inverted_range() -> None:
    with pytest.raises(ValueError, match="bad file range"):
        file_meta(5, 4)
    assert file_meta(3, 3, day=date(2024, 1, 2)).file_metadata()["event_date"] == "2024-01-02"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.one_of(st.uuids(), st.uuids().map(str), st.none()), max_size=40),
    st.booleans(),
)
def test_uuid_columns_hold_the_canonical_text_however_the_values_come(
    values: list[uuid.UUID | str | None], objects_only: bool
) -> None:
    if objects_only:
        values = [v if isinstance(v, uuid.UUID) else uuid.uuid4() for v in values]
    schema = record_schema(
        {"name": "id", "type": ["null", {"type": "string", "logicalType": "uuid"}]}
    )
    table = ParquetFormat(schema).table([{"id": v} for v in values], {})
    assert table.column("id").to_pylist() == [None if v is None else str(v) for v in values]
