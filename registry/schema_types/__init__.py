"""The schema types the registry serves: each type's module parses its schemas, prints their
canonical form and gives the model its compatibility checker walks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contract.compatibility import (
    CompatibilityLevel,
    CompatibilityResult,
    ExistingSchema,
    Incompatibility,
    PairCheck,
    avro_pair,
    check,
)
from contract.schema_types import AVRO, JSON_SCHEMA, PROTOBUF
from registry.errors import UnsupportedSchemaTypeError
from registry.schema import ParsedSchema, ParseOptions
from registry.schema_types import avro, json_schema, json_schema_diff, protobuf, protobuf_diff


@dataclass(frozen=True)
class _SchemaType:
    """What the registry does with one type's schemas, done by that type's modules."""

    parse: Callable[[str, ParseOptions], ParsedSchema]
    # The canonical text `normalize` would have made of a parsed schema.
    normalized: Callable[[ParsedSchema], str]
    # Why a reader schema's model cannot read what a writer schema's wrote.
    pair_check: PairCheck
    # The `format`s (lower case) the type writes a schema in itself, and the writer; any
    # other format is the stored text (Avro's `resolved` is done apart, on stored texts).
    formats: frozenset[str] = frozenset()
    formatted: Callable[[ParsedSchema, str], str] | None = None


_TYPES = {
    AVRO: _SchemaType(
        avro.parse_avro, lambda parsed: avro.normalized_text(parsed.canonical), avro_pair
    ),
    JSON_SCHEMA: _SchemaType(
        json_schema.parse_json_schema,
        lambda parsed: json_schema.normalized_text(parsed.canonical),
        json_schema_diff.incompatibilities,
    ),
    PROTOBUF: _SchemaType(
        protobuf.parse_protobuf,
        protobuf.normalized_text,
        protobuf_diff.incompatibilities,
        frozenset({protobuf.SERIALIZED}),
        protobuf.formatted_text,
    ),
}
# What `GET /schemas/types` lists and a request's `schemaType` may name.
SUPPORTED_TYPES: tuple[str, ...] = tuple(_TYPES)


def schema_type_of(requested: str) -> str:
    """The type a request's `schemaType` names (any case, as Confluent reads it); 42201
    for another."""
    schema_type = requested.upper()
    if schema_type not in _TYPES:
        raise UnsupportedSchemaTypeError(requested)
    return schema_type


def parse_schema(schema_type: str, text: str, options: ParseOptions) -> ParsedSchema:
    """Parse and validate ``text`` as a schema of ``schema_type``; 42201 saying what is
    wrong."""
    return _TYPES[schema_type_of(schema_type)].parse(text, options)


def normalized_text(parsed: ParsedSchema) -> str:
    """The text ``normalize`` would have given ``parsed``: two schemas of one type that differ
    only in what normalizing removes have the same."""
    return _TYPES[parsed.schema_type].normalized(parsed)


def has_format(schema_type: str, fmt: str) -> bool:
    """Whether ``schema_type`` writes its schemas in the `format` ``fmt`` itself (Protobuf's
    `serialized`, any case)."""
    return fmt.lower() in _TYPES[schema_type].formats


def formatted_text(parsed: ParsedSchema, fmt: str) -> str:
    """``parsed`` in the `format` ``fmt``, one its type writes (see has_format)."""
    formatted = _TYPES[parsed.schema_type].formatted
    if formatted is None or not has_format(parsed.schema_type, fmt):
        raise ValueError(f"{parsed.schema_type} schemas have no format {fmt!r}")
    return formatted(parsed, fmt.lower())


def check_compatibility(
    new: ParsedSchema, existing: Sequence[ExistingSchema], level: CompatibilityLevel
) -> CompatibilityResult:
    """Whether ``new`` may follow ``existing`` (oldest first, each holding its
    ParsedSchema) at ``level``, by its type's rules. A version of another type is never
    compatible, as in Confluent."""
    pair = _TYPES[new.schema_type].pair_check

    def checked(
        reader: ParsedSchema, writer: ParsedSchema, direction: str
    ) -> list[Incompatibility]:
        if reader.schema_type != writer.schema_type:
            return [_TypeChanged("SCHEMA_TYPE_CHANGED", "", "", "", direction)]
        return pair(reader.model, writer.model, direction)

    return check(new, existing, level, pair=checked)


@dataclass(frozen=True)
class _TypeChanged(Incompatibility):
    def message(self) -> str:
        return "Incompatible because of different schema type"
