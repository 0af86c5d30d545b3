"""A schema as the registry keeps it, whatever its type: canonical text, the model its
type's compatibility checker walks, and what identifies it.

Each type parses and prints its schemas in `registry.schema_types`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import avro.schema

from contract.schema_types import AVRO
from registry.guid import schema_guid

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class SchemaReference:
    """What this schema takes from a version of another subject: a named Avro type, a JSON
    Schema `$ref`'s target or a Protobuf import, by the name the schema uses for it."""

    name: str
    subject: str
    version: int

    def to_json(self) -> JsonObject:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class ResolvedReference:
    """A reference together with the canonical text of the schema it points at."""

    reference: SchemaReference
    text: str
    # References of the referenced schema, already resolved (depth first).
    nested: tuple[ResolvedReference, ...] = ()


@dataclass(frozen=True)
class ParsedSchema:
    """A valid schema of one type: canonical text, object model, and what identifies it."""

    canonical: str
    # The type's own model: an `avro.schema.Schema` for Avro.
    model: Any = field(compare=False, repr=False)
    references: tuple[SchemaReference, ...] = ()
    metadata: JsonObject | None = field(default=None, compare=False)
    rule_set: JsonObject | None = field(default=None, compare=False)
    schema_type: str = AVRO

    @property
    def avro(self) -> avro.schema.Schema:
        """The Avro model; only for an Avro schema."""
        if self.schema_type != AVRO:
            raise TypeError(f"a {self.schema_type} schema has no Avro model")
        return self.model  # type: ignore[no-any-return]

    @cached_property
    def fingerprint(self) -> str:
        """Identity of the schema: same type, canonical text, references, metadata and
        rules. (Avro's leaves its type out, as it did when Avro was the only type.)"""
        identity: JsonObject = {
            "schema": self.canonical,
            "references": [reference.to_json() for reference in self.references],
            "metadata": self.metadata,
            "ruleSet": self.rule_set,
        }
        if self.schema_type != AVRO:
            identity["schemaType"] = self.schema_type
        encoded = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()

    @cached_property
    def guid(self) -> str:
        """Confluent 8's GUID of the schema as it will be stored (its type is not hashed)."""
        return schema_guid(self.canonical, self.references, self.metadata, self.rule_set)


@dataclass(frozen=True)
class ParseOptions:
    """What comes with a schema's text: the schemas its references name, whether to
    normalize it, and its metadata and rule set (kept, and part of its identity)."""

    references: Sequence[ResolvedReference] = ()
    normalize: bool = False
    metadata: JsonObject | None = None
    rule_set: JsonObject | None = None

    def parsed(self, canonical: str, model: Any, schema_type: str) -> ParsedSchema:
        """The parsed schema of a canonical text and model these options came with."""
        return ParsedSchema(
            canonical=canonical,
            model=model,
            references=tuple(resolved.reference for resolved in self.references),
            metadata=self.metadata,
            rule_set=self.rule_set,
            schema_type=schema_type,
        )


# A schema alone: no references, as written, without metadata or rules.
PLAIN = ParseOptions()


def flatten_references(references: Sequence[ResolvedReference]) -> list[ResolvedReference]:
    """Referenced schemas in dependency order: a schema after the ones it references."""
    ordered: list[ResolvedReference] = []
    seen: set[str] = set()

    def visit(resolved: ResolvedReference) -> None:
        for nested in resolved.nested:
            visit(nested)
        key = f"{resolved.reference.subject}/{resolved.reference.version}"
        if key not in seen:
            seen.add(key)
            ordered.append(resolved)

    for resolved in references:
        visit(resolved)
    return ordered
