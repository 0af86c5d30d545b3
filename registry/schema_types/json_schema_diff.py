"""The differences between two JSON Schemas, as Confluent's JSON Schema checker finds them.

Confluent (json-schema-provider's `SchemaDiff`, 8.x) loads each schema into everit's object
model and walks the two side by side, listing each difference as a type and a JSON path
(`#/properties/foo`); a schema is compatible when every difference's type is in the
policy's compatible set (STRICT, Confluent's default). No library does this walk, so it is
written here rule for rule, in Confluent's order; json_schema_model.py reads the schemas
into everit's shape and json_schema_containers.py has the object and array rules.

``original`` is the schema whose data must stay readable, ``update`` the one reading it:
BACKWARD compares (old, new), FORWARD (new, old).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from contract.compatibility import Incompatibility
from registry.schema_types import json_schema_containers as containers
from registry.schema_types.difference import Difference, incompatible
from registry.schema_types.json_schema import JsonSchemaModel
from registry.schema_types.json_schema_model import (
    SchemaNode,
    distinct,
    json_key,
    load,
    matching,
    number_at,
    resolved,
)
from registry.schema_types.json_schema_rules import COMPATIBLE, JsonSchemaIncompatibility

# Compared on two nodes of one class, before what their kind compares.
_META = (
    ("$id", "ID_CHANGED"),
    ("id", "ID_CHANGED"),
    ("title", "TITLE_CHANGED"),
    ("description", "DESCRIPTION_CHANGED"),
    ("default", "DEFAULT_CHANGED"),
)


_ABSENT = object()


def differences(original: JsonSchemaModel, update: JsonSchemaModel) -> list[Difference]:
    """Every difference from ``original`` to ``update``, compatible ones included."""
    walk = Walk()
    walk.compare(
        load(original.document, original.document, original),
        load(update.document, update.document, update),
    )
    return walk.found


def incompatibilities(
    reader: JsonSchemaModel, writer: JsonSchemaModel, direction: str
) -> list[Incompatibility]:
    """Why ``reader`` cannot read what ``writer`` wrote: the incompatible differences."""
    return incompatible(
        differences(writer, reader), COMPATIBLE, JsonSchemaIncompatibility, direction
    )


def is_compatible(found: list[Difference]) -> bool:
    return all(difference.type in COMPATIBLE for difference in found)


class Walk:
    """One comparison: the differences found so far and the path it stands at."""

    def __init__(self) -> None:
        self.found: list[Difference] = []
        self.path: list[str] = []
        self._comparing: set[tuple[int, str, int, str]] = set()

    def add(self, kind: str, *segments: str) -> None:
        self.found.append(Difference(kind, "#/" + "/".join([*self.path, *segments])))

    @contextmanager
    def at(self, *segments: str) -> Iterator[None]:
        self.path.extend(segments)
        try:
            yield
        finally:
            del self.path[len(self.path) - len(segments) :]

    def trial(self, original: SchemaNode | None, update: SchemaNode | None) -> list[Difference]:
        """The differences of a comparison made to decide something, kept apart."""
        kept, self.found = self.found, []
        try:
            self.compare(original, update)
            return self.found
        finally:
            self.found = kept

    def covered(self, what: str, original: SchemaNode, update: SchemaNode) -> None:
        """A property or item a partially open model covers: the comparison's differences,
        then whether the covering schema let it through."""
        found = self.trial(original, update)
        self.found += found
        verdict = "IS" if is_compatible(found) else "NOT"
        self.add(f"{what}_{verdict}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")

    def compare_raw(self, old: Any, original: SchemaNode, new: Any, update: SchemaNode) -> None:
        """Compare two subschemas of ``original`` and ``update``."""
        self.compare(original.beside(old), update.beside(new))

    def compare(self, original: SchemaNode | None, update: SchemaNode | None) -> None:
        if original is None or update is None:
            if update is not None:
                self.add("SCHEMA_ADDED")
            elif original is not None:
                self.add("SCHEMA_REMOVED")
            return
        original, update = resolved(original), resolved(update)
        # A part of a synthetic allOf shares its node's JSON object: the kind tells them apart.
        pair = (id(original.raw), original.kind, id(update.raw), update.kind)
        if pair in self._comparing:
            return  # a recursive schema: this pair is being compared further up
        self._comparing.add(pair)
        try:
            self._compare_types(original, update)
        finally:
            self._comparing.discard(pair)

    def _compare_types(self, original: SchemaNode, update: SchemaNode) -> None:
        if original.kind != "combined" and update.kind == "combined":
            if self._into_combined(original, update):
                return
        elif original.kind == "combined" and update.kind != "combined":
            if len(original.members) == 1:
                self.compare(original.members[0], update)
                return
            if original.criterion == "allOf" and self._first_fit(original.members, update):
                self.add("PRODUCT_TYPE_NARROWED")
                return
        if original.everit_class != update.everit_class:
            if original.kind == "false" or update.kind in ("empty", "true"):
                return
            if original.connect_bytes and update.connect_bytes:
                return
            self.add("TYPE_CHANGED")
            return
        if original.own_meta and update.own_meta:
            for key, kind in _META:
                if original.raw.get(key, _ABSENT) != update.raw.get(key, _ABSENT):
                    self.add(kind)
        rules = _RULES.get(original.everit_class)
        if rules is not None:
            rules(self, original, update)

    def _into_combined(self, original: SchemaNode, update: SchemaNode) -> bool:
        """A schema that became a combination: fine if a member takes what it took."""
        if len(update.members) == 1:
            found = self.trial(original, update.members[0])
            if is_compatible(found):
                self.found += found
                return True
        elif update.criterion in ("anyOf", "oneOf"):
            for member in update.members:
                found = self.trial(original, member)
                if is_compatible(found):
                    self.found += found
                    self.add("SUM_TYPE_EXTENDED")
                    return True
        return False

    def _first_fit(self, members: list[SchemaNode], update: SchemaNode) -> bool:
        for member in members:
            found = self.trial(member, update)
            if is_compatible(found):
                self.found += found
                return True
        return False

    def limit(self, old: Any, new: Any, keyword: str) -> None:
        """A numeric limit: ADDED or REMOVED, else INCREASED or DECREASED (the rules' table
        says which is compatible)."""
        before, after = number_at(old, keyword), number_at(new, keyword)
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", keyword).upper()
        if before is None and after is None:
            return
        if before is None:
            self.add(f"{name}_ADDED", keyword)
        elif after is None:
            self.add(f"{name}_REMOVED", keyword)
        elif after > before:
            self.add(f"{name}_INCREASED", keyword)
        elif after < before:
            self.add(f"{name}_DECREASED", keyword)


def _string(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old, new = original.raw, update.raw
    walk.limit(old, new, "maxLength")
    walk.limit(old, new, "minLength")
    if "pattern" not in old and "pattern" not in new:
        return
    if "pattern" not in old:
        walk.add("PATTERN_ADDED", "pattern")
    elif "pattern" not in new:
        walk.add("PATTERN_REMOVED", "pattern")
    elif old["pattern"] != new["pattern"]:
        walk.add("PATTERN_CHANGED", "pattern")


def _number(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old, new = original.raw, update.raw
    if original.kind == "integer" and update.kind != "integer":
        walk.add("TYPE_EXTENDED")
    elif update.kind == "integer" and original.kind != "integer":
        walk.add("TYPE_NARROWED")
    for keyword in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        walk.limit(old, new, keyword)
    _multiple_of(walk, old.get("multipleOf"), new.get("multipleOf"))


def _multiple_of(walk: Walk, old: Any, new: Any) -> None:
    if old is None or new is None:
        if old is not None or new is not None:
            walk.add("MULTIPLE_OF_ADDED" if old is None else "MULTIPLE_OF_REMOVED", "multipleOf")
        return
    try:
        # Decimal, as Confluent's BigDecimal: 0.5 and 10 compare exactly.
        before, after = Decimal(str(old)), Decimal(str(new))
        if before == after:
            return
        if after % before == 0:
            walk.add("MULTIPLE_OF_EXPANDED", "multipleOf")
        elif before % after == 0:
            walk.add("MULTIPLE_OF_REDUCED", "multipleOf")
        else:
            walk.add("MULTIPLE_OF_CHANGED", "multipleOf")
    except (InvalidOperation, ZeroDivisionError):
        walk.add("MULTIPLE_OF_CHANGED", "multipleOf")


def _enum(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old = {json_key(value) for value in original.raw.get("enum", [])}
    new = {json_key(value) for value in update.raw.get("enum", [])}
    if old == new:
        return
    if new >= old:
        walk.add("ENUM_ARRAY_EXTENDED", "enum")
    elif new <= old:
        walk.add("ENUM_ARRAY_NARROWED", "enum")
    else:
        walk.add("ENUM_ARRAY_CHANGED", "enum")


def _const(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    if json_key(original.raw.get("const")) != json_key(update.raw.get("const")):
        walk.add("ENUM_ARRAY_CHANGED", "const")


def _not(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    # What the old one excluded must still be excluded: the inner schemas compare reversed.
    with walk.at("not"):
        found = walk.trial(update.members[0], original.members[0])
        walk.add("NOT_TYPE_NARROWED" if is_compatible(found) else "NOT_TYPE_EXTENDED")


def _combined(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old_criterion, new_criterion = original.criterion, update.criterion
    old_members, new_members = distinct(original.members), distinct(update.members)
    if old_criterion != new_criterion:
        if (
            new_criterion == "anyOf"
            or (len(old_members) == 1 and len(new_members) == 1)
            or (len(old_members) == 1 and new_criterion == "oneOf")
            or (len(new_members) == 1 and old_criterion == "allOf")
        ):
            walk.add("COMBINED_TYPE_EXTENDED")
        else:
            walk.add("COMBINED_TYPE_CHANGED")
            return
    if len(old_members) < len(new_members):
        walk.add("PRODUCT_TYPE_EXTENDED" if new_criterion == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(old_members) > len(new_members):
        sum_type = old_criterion in ("anyOf", "oneOf")
        walk.add("SUM_TYPE_NARROWED" if sum_type else "PRODUCT_TYPE_NARROWED")
    # Which old member each new one can stand for: order does not matter, a best pairing does.
    fits: dict[int, dict[int, list[Difference]]] = {}
    for index, old in enumerate(old_members):
        with walk.at(old_criterion, str(index)):
            for other, new in enumerate(new_members):
                found = walk.trial(old, new)
                if is_compatible(found):
                    fits.setdefault(index, {})[other] = found
    paired = matching({index: list(found) for index, found in fits.items()})
    for index, other in sorted(paired.items()):
        walk.found += fits[index][other]
    if len(paired) < min(len(old_members), len(new_members)):
        walk.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")


_RULES = {
    "string": _string,
    "number": _number,
    "enum": _enum,
    "const": _const,
    "not": _not,
    "combined": _combined,
    "object": containers.compare_objects,
    "array": containers.compare_arrays,
}
