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
    # The schema in a `format` other than `resolved` (Avro's, done apart); None: the text.
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


def has_formats(schema_type: str) -> bool:
    """Whether ``schema_type`` has `format`s of its own (Protobuf's `serialized`)."""
    return _TYPES[schema_type].formatted is not None


def formatted_text(parsed: ParsedSchema, fmt: str) -> str:
    """``parsed`` in the `format` ``fmt`` names; its text for a format its type lacks."""
    formatted = _TYPES[parsed.schema_type].formatted
    return formatted(parsed, fmt) if formatted is not None else parsed.canonical


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
