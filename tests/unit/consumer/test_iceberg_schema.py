"""Avro reader schemas as Iceberg schemas and decoded rows as their Arrow tables, and a
real (SQLite-catalogued) table evolving."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

from consumer.sink import SchemaMappingError, SinkError
from consumer.sink.iceberg_rows import RowsToArrow
from consumer.sink.iceberg_schema import evolve, iceberg_schema


def record(*fields: dict[str, Any], name: str = "Event") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields)}


def field_types(schema: dict[str, Any]) -> dict[str, tuple[Any, bool]]:
    return {f.name: (f.field_type, f.required) for f in iceberg_schema(schema).fields}


def test_every_primitive_and_logical_type_maps_to_its_iceberg_type() -> None:
    def logical(base: str, name: str, **more: Any) -> dict[str, Any]:
        return {"type": base, "logicalType": name, **more}

    types = field_types(
        record(
            {"name": "b", "type": "boolean"},
            {"name": "i", "type": "int"},
            {"name": "l", "type": "long"},
            {"name": "f", "type": "float"},
            {"name": "d", "type": "double"},
            {"name": "raw", "type": "bytes"},
            {"name": "s", "type": "string"},
            {"name": "e", "type": {"type": "enum", "name": "Colour", "symbols": ["RED"]}},
            {"name": "x", "type": {"type": "fixed", "name": "Four", "size": 4}},
            {"name": "dec", "type": logical("bytes", "decimal", precision=10, scale=2)},
            {"name": "day", "type": logical("int", "date")},
            {"name": "tm", "type": logical("int", "time-millis")},
            {"name": "tu", "type": logical("long", "time-micros")},
            {"name": "ts", "type": logical("long", "timestamp-millis")},
            {"name": "tsu", "type": logical("long", "timestamp-micros")},
            {"name": "local", "type": logical("long", "local-timestamp-millis")},
            {"name": "id", "type": logical("string", "uuid")},
            {"name": "unknown", "type": logical("string", "colour")},
            {"name": "again", "type": "Four"},
        )
    )
    assert types == {
        "b": (BooleanType(), True),
        "i": (IntegerType(), True),
        "l": (LongType(), True),
        "f": (FloatType(), True),
        "d": (DoubleType(), True),
        "raw": (BinaryType(), True),
        "s": (StringType(), True),
        "e": (StringType(), True),
        "x": (FixedType(4), True),
        "dec": (DecimalType(10, 2), True),
        "day": (DateType(), True),
        "tm": (TimeType(), True),
        "tu": (TimeType(), True),
        "ts": (TimestamptzType(), True),
        "tsu": (TimestamptzType(), True),
        "local": (TimestampType(), True),
        "id": (UUIDType(), True),
        "unknown": (StringType(), True),
        "again": (FixedType(4), True),
    }


def test_nested_types_and_nullable_unions() -> None:
    inner = record({"name": "zip", "type": ["null", "string"], "default": None}, name="Address")
    schema = iceberg_schema(
        record(
            {"name": "address", "type": ["null", inner], "default": None},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "scores", "type": {"type": "map", "values": ["null", "long"]}},
            {"name": "home", "type": "Address"},
        )
    )
    address = schema.find_field("address")
    assert not address.required
    assert isinstance(address.field_type, StructType)
    assert address.field_type.fields[0].name == "zip"
    assert not address.field_type.fields[0].required
    tags = schema.find_field("tags").field_type
    assert isinstance(tags, ListType) and tags.element_type == StringType()
    assert tags.element_required
    scores = schema.find_field("scores").field_type
    assert isinstance(scores, MapType) and scores.value_type == LongType()
    assert not scores.value_required
    assert isinstance(schema.find_field("home").field_type, StructType)
    ids = [column.field_id for column in schema.fields]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("avro_type", "message"),
    [
        (["null", "string", "long"], "field a.b: Iceberg has no union of several types"),
        ("null", "field a.b: a field that is always null"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 40}, "at most 38 digits"),
        ("Event", "field a.b: Iceberg has no recursive types"),
    ],
)
def test_a_type_iceberg_cannot_hold_is_refused_with_its_path(avro_type: Any, message: str) -> None:
    nested = record({"name": "b", "type": avro_type}, name="Inner")
    with pytest.raises(SchemaMappingError, match=message):
        iceberg_schema(record({"name": "a", "type": nested}))


@pytest.fixture
def table(tmp_path: Path) -> Table:
    catalog = SqlCatalog(
        "lake", uri=f"sqlite:///{tmp_path / 'catalog.db'}", warehouse=tmp_path.as_uri()
    )
    catalog.create_namespace("events")
    v1 = record(
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "n", "type": "int"},
        {"name": "gone", "type": "string"},
    )
    return catalog.create_table("events.t", schema=iceberg_schema(v1))


def test_the_table_gains_new_fields_as_optional_drops_old_ones_and_keeps_ids(
    table: Table,
) -> None:
    before = {column.name: column.field_id for column in table.schema().fields}
    v2 = record(
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "n", "type": "long"},  # widened
        {"name": "channel", "type": "string", "default": "api"},
    )
    assert evolve(table, v2)
    after = {column.name: column for column in table.schema().fields}
    assert set(after) == {"event_id", "n", "channel"}
    assert after["event_id"].field_id == before["event_id"]
    assert after["n"].field_id == before["n"] and after["n"].field_type == LongType()
    assert not after["channel"].required
    assert not evolve(table, v2)


def test_a_change_iceberg_does_not_allow_names_the_field(table: Table) -> None:
    v2 = record(
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "n", "type": "string"},
        {"name": "gone", "type": "string"},
    )
    with pytest.raises(SchemaMappingError, match="n: int -> string"):
        evolve(table, v2)


def test_rows_as_decoded_become_the_tables_arrow_types() -> None:
    def logical(base: str, name: str, **more: Any) -> dict[str, Any]:
        return {"type": base, "logicalType": name, **more}

    inner = record(
        {"name": "id", "type": logical("string", "uuid")},
        {"name": "at", "type": logical("long", "timestamp-millis")},
        name="Inner",
    )
    schema = record(
        {"name": "inner", "type": ["null", inner]},
        {"name": "ids", "type": {"type": "array", "items": logical("string", "uuid")}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "day", "type": logical("int", "date")},
        {"name": "tm", "type": logical("int", "time-millis")},
        {"name": "price", "type": logical("bytes", "decimal", precision=9, scale=2)},
        {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["RED"]}},
    )
    one = "00000000-0000-0000-0000-000000000001"
    rows = [
        (
            {"id": one, "at": 1_700_000_000_123},
            [one],
            {"a": 1},
            date(2024, 5, 1),
            time(1, 2, 3, 4000),
            Decimal("12.34"),
            "RED",
        ),
        (None, [], {}, date(2024, 5, 2), time(0), Decimal("0.00"), "RED"),
    ]
    table = RowsToArrow(schema, iceberg_schema(schema).as_arrow()).table(rows)
    first = table.to_pylist()[0]
    assert first["inner"]["id"] == uuid.UUID(one)
    assert first["inner"]["at"] == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert first["ids"] == [uuid.UUID(one)]
    assert first["counts"] == [("a", 1)]
    assert first["tm"] == time(1, 2, 3, 4000)
    assert first["price"] == Decimal("12.34")
    assert table.schema.field("tm").type == pa.time64("us")
    assert table.to_pylist()[1]["inner"] is None


def test_uuid_text_takes_the_fast_path_and_anything_else_is_checked_value_by_value() -> None:
    schema = record({"name": "id", "type": {"type": "string", "logicalType": "uuid"}})
    to_arrow = RowsToArrow(schema, iceberg_schema(schema).as_arrow())
    ids = [uuid.uuid4() for _ in range(3)]
    as_text = to_arrow.table([(str(value),) for value in ids]).column("id").to_pylist()
    mixed = to_arrow.table([(ids[0],), (str(ids[1]),), (ids[2],)]).column("id").to_pylist()
    assert as_text == mixed == ids
    with pytest.raises(SinkError, match="field id: values do not convert"):
        to_arrow.table([(str(ids[0]),), ("not-a-uuid-but-thirty-six-characters",)])
