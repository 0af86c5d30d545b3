"""The Iceberg schema of an Avro reader schema, and the table's evolution to it.

Every Avro type maps to an Iceberg type: records → struct, arrays → list, maps → map
(Avro map keys are strings), enums → string, fixed → fixed, bytes → binary, decimal →
decimal, date → date, time-millis/micros → time, timestamp-millis/micros → timestamptz,
local-timestamp-* → timestamp, uuid → uuid, a union of null and one type → that type,
optional. Iceberg has no union of several types, so such a field stops the writer at start
with its path named.

pyiceberg converts Iceberg schemas to and from Arrow, but not from an Avro schema that lacks
Iceberg's `field-id` attributes (a reader schema has none): the walk over Avro types is
ours. Ids assigned here are provisional: a new table gets fresh ones, and evolution matches
fields by name, so existing columns keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from fastavro.schema import UnknownType, expand_schema
from pyiceberg.exceptions import ValidationError
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FixedType,
    FloatType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    NestedField,
    StringType,
    StructType,
    TimestampType,
    TimestamptzType,
    TimeType,
    UUIDType,
)

from consumer.sink.base import SchemaMappingError

_PRIMITIVES: dict[str, IcebergType] = {
    "boolean": BooleanType(),
    "int": IntegerType(),
    "long": LongType(),
    "float": FloatType(),
    "double": DoubleType(),
    "bytes": BinaryType(),
    "string": StringType(),
}
# (logicalType, underlying Avro type) -> Iceberg type. Iceberg keeps microseconds; a
# millisecond value fits exactly.
_LOGICAL: dict[tuple[str, str], IcebergType] = {
    ("timestamp-millis", "long"): TimestamptzType(),
    ("timestamp-micros", "long"): TimestamptzType(),
    ("local-timestamp-millis", "long"): TimestampType(),
    ("local-timestamp-micros", "long"): TimestampType(),
    ("date", "int"): DateType(),
    ("time-millis", "int"): TimeType(),
    ("time-micros", "long"): TimeType(),
    ("uuid", "string"): UUIDType(),
    ("uuid", "fixed"): UUIDType(),
}
_MAX_DECIMAL_PRECISION = 38


def iceberg_schema(reader_schema: Mapping[str, Any]) -> Schema:
    """The Iceberg schema of an Avro record schema, its fields in the record's order.

    Raises:
        SchemaMappingError: a type Iceberg cannot hold (a union of several types, a null-only
            field, a decimal wider than 38 digits, a recursive record); the message names the
            field's path.
    """
    if reader_schema.get("type") != "record":
        raise SchemaMappingError("the reader schema must be an Avro record")
    return Schema(*_Walk().fields(expanded(reader_schema), path=""))


def evolve(table: Table, reader_schema: Mapping[str, Any]) -> bool:
    """Bring ``table``'s schema to the reader schema's: add its new fields (optional: rows
    written before have none), drop the fields it no longer has, keep every other field's
    id. True when the schema changed.

    Raises:
        SchemaMappingError: a change Iceberg does not allow (a type change other than a
            widening, say); the message names the field.
    """
    wanted = iceberg_schema(reader_schema)
    current = table.schema()
    added = _optional_where_new(wanted, current)
    dropped = [column.name for column in current.fields if not _has(wanted, column.name)]
    try:
        with table.update_schema() as update:
            update.union_by_name(added)
            for name in dropped:
                update.delete_column(name)
    except (ValidationError, ValueError) as error:
        raise SchemaMappingError(f"the table cannot evolve to the reader schema: {error}") from None
    return table.schema() != current


def _has(schema: Schema, path: str) -> bool:
    try:
        schema.find_field(path)
    except ValueError:
        return False
    return True


def _optional_where_new(wanted: Schema, current: Schema) -> Schema:
    """``wanted`` with every field the table lacks made optional, at any depth."""

    def relax(fields: tuple[NestedField, ...], prefix: str) -> list[NestedField]:
        relaxed = []
        for column in fields:
            path = f"{prefix}{column.name}"
            known = _has(current, path)
            field_type = column.field_type
            if isinstance(field_type, StructType):
                field_type = StructType(*relax(field_type.fields, f"{path}."))
            relaxed.append(
                NestedField(
                    column.field_id,
                    column.name,
                    field_type,
                    required=column.required and known,
                    doc=column.doc,
                )
            )
        return relaxed

    return Schema(*relax(wanted.fields, ""))


@dataclass
class _Walk:
    """One conversion of an expanded schema (`expanded`): ids handed out in order."""

    ids: Iterator[int] = field(default_factory=lambda: count(1))

    def fields(self, record: Mapping[str, Any], *, path: str) -> list[NestedField]:
        converted = []
        for avro_field in record.get("fields", []):
            where = f"{path}.{avro_field['name']}" if path else avro_field["name"]
            field_id = next(self.ids)
            field_type, optional = self.type_of(avro_field["type"], where)
            converted.append(
                NestedField(
                    field_id,
                    avro_field["name"],
                    field_type,
                    required=not optional,
                    doc=avro_field.get("doc"),
                )
            )
        return converted

    def type_of(self, avro_type: Any, where: str) -> tuple[IcebergType, bool]:
        """The Iceberg type of an Avro type, and whether it may be null."""
        if isinstance(avro_type, list):
            branches = [branch for branch in avro_type if branch != "null"]
            if not branches:
                raise SchemaMappingError(f"field {where}: a field that is always null has no type")
            if len(branches) > 1:
                raise SchemaMappingError(
                    f"field {where}: Iceberg has no union of several types "
                    "(only a union of null and one type maps to a column)"
                )
            inner, _ = self.type_of(branches[0], where)
            return inner, len(branches) < len(avro_type)
        if isinstance(avro_type, str):
            if avro_type in _PRIMITIVES:
                return _PRIMITIVES[avro_type], False
            if avro_type == "null":
                raise SchemaMappingError(f"field {where}: a field that is always null has no type")
            # Expansion inlined every named type but one that contains itself.
            raise SchemaMappingError(f"field {where}: Iceberg has no recursive types")
        if isinstance(avro_type, dict):
            return self._complex(avro_type, where), False
        raise SchemaMappingError(f"field {where}: unreadable type declaration")

    def _complex(self, avro_type: dict[str, Any], where: str) -> IcebergType:
        base = avro_type.get("type")
        logical = avro_type.get("logicalType")
        if base == "record":
            return StructType(*self.fields(avro_type, path=where))
        if base == "array":
            element_id = next(self.ids)
            element, optional = self.type_of(avro_type.get("items"), f"{where}.element")
            return ListType(element_id, element, element_required=not optional)
        if base == "map":
            key_id, value_id = next(self.ids), next(self.ids)
            value, optional = self.type_of(avro_type.get("values"), f"{where}.value")
            return MapType(key_id, StringType(), value_id, value, value_required=not optional)
        if base == "enum":
            return StringType()
        if logical == "decimal" and base in ("bytes", "fixed"):
            precision, scale = int(avro_type["precision"]), int(avro_type.get("scale", 0))
            if precision > _MAX_DECIMAL_PRECISION:
                raise SchemaMappingError(
                    f"field {where}: Iceberg decimals hold at most 38 digits, not {precision}"
                )
            return DecimalType(precision, scale)
        if isinstance(logical, str) and isinstance(base, str) and (logical, base) in _LOGICAL:
            return _LOGICAL[(logical, base)]
        if base == "fixed":
            return FixedType(int(avro_type["size"]))
        # Unknown or misplaced logical types read as their underlying type (the Avro spec).
        inner, _ = self.type_of(base, where)
        return inner


def expanded(reader_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with every named type written out where it is used (fastavro's
    `expand_schema`): a walk over it needs no table of names. A type that contains itself
    stays a name.

    Raises:
        SchemaMappingError: the schema names a type it does not define.
    """
    try:
        schema = expand_schema(dict(reader_schema))
    except UnknownType as error:
        raise SchemaMappingError(
            f"the reader schema names an unknown type {error.name!r}"
        ) from None
    if not isinstance(schema, dict):
        raise SchemaMappingError("the reader schema must be an Avro record")
    return schema
