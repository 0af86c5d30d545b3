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
from contract.schema_types import AVRO, JSON_SCHEMA
from registry.errors import UnsupportedSchemaTypeError
from registry.schema import ParsedSchema, ParseOptions
from registry.schema_types import avro, json_schema, json_schema_diff


@dataclass(frozen=True)
class _SchemaType:
    """What the registry does with one type's schemas, done by that type's modules."""

    parse: Callable[[str, ParseOptions], ParsedSchema]
    # A canonical text as `normalize` would have made it.
    normalized: Callable[[str], str]
    # Why a reader schema's model cannot read what a writer schema's wrote.
    pair_check: PairCheck


_TYPES = {
    AVRO: _SchemaType(avro.parse_avro, avro.normalized_text, avro_pair),
    JSON_SCHEMA: _SchemaType(
        json_schema.parse_json_schema,
        json_schema.normalized_text,
        json_schema_diff.incompatibilities,
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
    return _TYPES[parsed.schema_type].normalized(parsed.canonical)


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
