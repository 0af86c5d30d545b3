"""The schema types the registry serves: each type's module parses its schemas, prints their
canonical form and gives the model its compatibility checker walks."""

from __future__ import annotations

from collections.abc import Callable

from registry.errors import UnsupportedSchemaTypeError
from registry.schema import AVRO, ParsedSchema, ParseOptions
from registry.schema_types import avro

_PARSERS: dict[str, Callable[[str, ParseOptions], ParsedSchema]] = {AVRO: avro.parse_avro}
# What `GET /schemas/types` lists and a request's `schemaType` may name.
SUPPORTED_TYPES: tuple[str, ...] = tuple(_PARSERS)


def schema_type_of(requested: str) -> str:
    """The type a request's `schemaType` names (any case, as Confluent reads it); 42201
    for another."""
    schema_type = requested.upper()
    if schema_type not in _PARSERS:
        raise UnsupportedSchemaTypeError(requested)
    return schema_type


def parse_schema(schema_type: str, text: str, options: ParseOptions) -> ParsedSchema:
    """Parse and validate ``text`` as a schema of ``schema_type``; 42201 saying what is
    wrong."""
    return _PARSERS[schema_type_of(schema_type)](text, options)


def normalized_text(parsed: ParsedSchema) -> str:
    """The text ``normalize`` would have given ``parsed``: two schemas of one type that differ
    only in what normalizing removes have the same."""
    if parsed.schema_type == AVRO:
        return avro.normalized_text(parsed.canonical)
    return parsed.canonical
