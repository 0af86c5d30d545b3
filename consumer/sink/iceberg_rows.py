"""A batch of decoded rows as the Arrow table an Iceberg table takes.

The decoder hands some logical types as plain values (timestamps as epoch integers in their
Avro unit, uuids as text) and others as Python objects (dates, times, decimals). Each column
is built in the Arrow type those values are (`source_type`), then cast to the table's own
Arrow type: milliseconds become Iceberg's microseconds, and uuids their 16 bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from consumer.sink.base import SinkError
from consumer.sink.iceberg_schema import expanded
from consumer.sink.parquet import AVRO_LOGICAL, AVRO_PRIMITIVES

_UUID_STORAGE = pa.binary(16)
Convert = Callable[[Any], Any]


class RowsToArrow:
    """Builds the table for one reader schema and one Iceberg Arrow schema.

    Args:
        reader_schema: the Avro reader schema the rows follow (fields in row order).
        table_schema: the Iceberg table's schema as Arrow (`Schema.as_arrow()`).
    """

    def __init__(self, reader_schema: Mapping[str, Any], table_schema: pa.Schema) -> None:
        self._columns = [
            (avro_field["name"], *_source(avro_field["type"]))
            for avro_field in expanded(reader_schema)["fields"]
        ]
        self._table_schema = table_schema

    def table(self, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
        """The rows as a table of the Iceberg schema (its column order).

        Raises:
            SinkError: a value does not fit its column (the field is named, no value).
        """
        values_by_column: list[Sequence[Any]] = (
            list(zip(*rows, strict=True)) if rows else [() for _ in self._columns]
        )
        arrays: dict[str, pa.Array[Any]] = {}
        for (name, source, convert), values in zip(self._columns, values_by_column, strict=True):
            if convert is _uuid_bytes:
                fast = _uuid_storage(values)
                if fast is not None:
                    arrays[name] = fast
                    continue
            try:
                column = values if convert is None else [convert(v) for v in values]
                arrays[name] = pa.array(column, type=source)
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError, AttributeError):
                # pyarrow's message quotes the value (a payload): ours names the field only.
                raise SinkError(f"field {name}: values do not convert to {source}") from None
        try:
            return pa.Table.from_arrays(
                [arrays[target.name].cast(target.type) for target in self._table_schema],
                schema=self._table_schema,
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise SinkError(f"the batch does not fit the table's schema: {error}") from None


def _source(avro_type: Any) -> tuple[pa.DataType, Convert | None]:
    """The Arrow type of the decoder's values of ``avro_type`` (of an expanded schema), and
    a conversion each value needs first (None for most)."""
    if isinstance(avro_type, list):
        branches = [branch for branch in avro_type if branch != "null"]
        return _source(branches[0])
    if isinstance(avro_type, str):
        if avro_type in AVRO_PRIMITIVES:
            return AVRO_PRIMITIVES[avro_type], None
        raise SinkError(f"type {avro_type!r} has no Arrow column type")
    base, logical = avro_type.get("type"), avro_type.get("logicalType")
    if base == "record":
        fields = [(f["name"], *_source(f["type"])) for f in avro_type["fields"]]
        return (
            pa.struct([(name, arrow) for name, arrow, _ in fields]),
            _record_converter(fields),
        )
    if base == "array":
        items, convert = _source(avro_type["items"])
        return pa.list_(items), _each(convert)
    if base == "map":
        values, convert = _source(avro_type["values"])
        return pa.map_(pa.string(), values), _each_value(convert)
    if logical == "uuid" and base in ("string", "fixed"):
        return _UUID_STORAGE, _uuid_bytes
    if logical == "decimal" and base in ("bytes", "fixed"):
        precision, scale = int(avro_type["precision"]), int(avro_type.get("scale", 0))
        return pa.decimal128(precision, scale), None
    if base == "enum":
        return pa.string(), None
    if base == "fixed":
        return pa.binary(int(avro_type["size"])), None
    if isinstance(logical, str) and isinstance(base, str) and (logical, base) in AVRO_LOGICAL:
        return AVRO_LOGICAL[(logical, base)], None
    return _source(base)


_DASHES = (8, 13, 18, 23)


def _uuid_storage(values: Sequence[Any]) -> pa.Array[Any] | None:
    """A column of uuids in their canonical text as 16-byte values, in one pass in C: the
    text joined, its dashes checked in place, the rest decoded as hex. None when a value is
    not such text (a None, a uuid.UUID, another spelling): value by value then."""
    count = len(values)
    try:
        text = "".join(values)
    except TypeError:
        return None
    if len(text) != 36 * count or any(text[at::36] != "-" * count for at in _DASHES):
        return None
    try:
        raw = bytes.fromhex(text.replace("-", ""))
    except ValueError:
        return None
    return pa.FixedSizeBinaryArray.from_buffers(_UUID_STORAGE, count, [None, pa.py_buffer(raw)])


def _uuid_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.bytes
    return uuid.UUID(value).bytes


def _each(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    return lambda values: None if values is None else [convert(v) for v in values]


def _each_value(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    return lambda values: None if values is None else {k: convert(v) for k, v in values.items()}


def _record_converter(fields: list[tuple[str, pa.DataType, Convert | None]]) -> Convert | None:
    converting = [(name, convert) for name, _, convert in fields if convert is not None]
    if not converting:
        return None

    def convert(record: Any) -> Any:
        if record is None:
            return None
        copy = dict(record)
        for name, convert_field in converting:
            copy[name] = convert_field(copy.get(name))
        return copy

    return convert
