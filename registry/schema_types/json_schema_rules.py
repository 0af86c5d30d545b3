"""Confluent's verdict on each JSON Schema difference, and how it words an incompatible one.

From json-schema-provider's `Difference.java` and `SchemaDiff.COMPATIBLE_CHANGES_STRICT`
(Confluent 8.x): STRICT is the policy a registry uses unless configured otherwise. A
difference not listed as compatible is incompatible. The texts are Confluent's, byte for
byte (including the `"…'` quotes around the description): clients show them to people.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.compatibility import BACKWARD, Incompatibility

COMPATIBLE = frozenset(
    {
        "ID_CHANGED",
        "DESCRIPTION_CHANGED",
        "TITLE_CHANGED",
        "DEFAULT_CHANGED",
        "SCHEMA_REMOVED",
        "TYPE_EXTENDED",
        "MAX_LENGTH_INCREASED",
        "MAX_LENGTH_REMOVED",
        "MIN_LENGTH_DECREASED",
        "MIN_LENGTH_REMOVED",
        "PATTERN_REMOVED",
        "MAXIMUM_INCREASED",
        "MAXIMUM_REMOVED",
        "MINIMUM_DECREASED",
        "MINIMUM_REMOVED",
        "EXCLUSIVE_MAXIMUM_INCREASED",
        "EXCLUSIVE_MAXIMUM_REMOVED",
        "EXCLUSIVE_MINIMUM_DECREASED",
        "EXCLUSIVE_MINIMUM_REMOVED",
        "MULTIPLE_OF_REDUCED",
        "MULTIPLE_OF_REMOVED",
        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
        "REQUIRED_ATTRIBUTE_REMOVED",
        "DEPENDENCY_ARRAY_NARROWED",
        "DEPENDENCY_ARRAY_REMOVED",
        "DEPENDENCY_SCHEMA_REMOVED",
        "MAX_PROPERTIES_INCREASED",
        "MAX_PROPERTIES_REMOVED",
        "MIN_PROPERTIES_DECREASED",
        "MIN_PROPERTIES_REMOVED",
        "ADDITIONAL_PROPERTIES_ADDED",
        "ADDITIONAL_PROPERTIES_EXTENDED",
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "UNEVALUATED_PROPERTIES_ADDED",
        "UNEVALUATED_PROPERTIES_EXTENDED",
        "MAX_ITEMS_INCREASED",
        "MAX_ITEMS_REMOVED",
        "MIN_ITEMS_DECREASED",
        "MIN_ITEMS_REMOVED",
        "MAX_CONTAINS_INCREASED",
        "MAX_CONTAINS_REMOVED",
        "MIN_CONTAINS_DECREASED",
        "MIN_CONTAINS_REMOVED",
        "UNIQUE_ITEMS_REMOVED",
        "ADDITIONAL_ITEMS_ADDED",
        "ADDITIONAL_ITEMS_EXTENDED",
        "UNEVALUATED_ITEMS_ADDED",
        "UNEVALUATED_ITEMS_EXTENDED",
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
        "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ENUM_ARRAY_EXTENDED",
        "COMBINED_TYPE_EXTENDED",
        "PRODUCT_TYPE_NARROWED",
        "SUM_TYPE_EXTENDED",
        "NOT_TYPE_NARROWED",
    }
)

# Each message's first %s is the schema that reads ("new" for BACKWARD), the second the one
# that wrote.
_KEYWORD = "The keyword at path '{path}' in the %s schema is not present in the %s schema"
_MORE = "The value at path '{path}' in the %s schema is more than its value in the %s schema"
_LESS = "The value at path '{path}' in the %s schema is less than its value in the %s schema"
_CHANGED = "The value at path '{path}' is different between the %s and %s schema"
_NARROWER = (
    "An array or combined type at path '{path}' has fewer elements in the %s schema than "
    "the %s schema"
)
_WIDER = (
    "An array or combined type at path '{path}' has more elements in the %s schema than "
    "the %s schema"
)
_TYPE = "A type at path '{path}' is different between the %s schema and the %s schema"
_OPEN = (
    "The %s schema has an open content model and has a property or item at path '{path}' "
    "which is missing in the %s schema"
)
_UNOPEN = (
    "The %s schema has an unopen content model and has a required property at path "
    "'{path}' which is missing in the %s schema"
)
_CLOSED = (
    "The %s has a closed content model and is missing a property or item present at path "
    "'{path}' in the %s schema"
)
_REMOVED_NOT_COVERED = (
    "A property or item is missing in the %s schema but present at path '{path}' in the %s "
    "schema and is not covered by its partially open content model"
)
_ADDED_NOT_COVERED = (
    "The %s schema has a property or item at path '{path}' which is missing in the %s "
    "schema and is not covered by its partially open content model"
)

_TEMPLATES: dict[str, str] = {
    "TYPE_NARROWED": _TYPE,
    "TYPE_CHANGED": _TYPE,
    "ENUM_ARRAY_CHANGED": _TYPE,
    "COMBINED_TYPE_CHANGED": _TYPE,
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": _TYPE,
    "MAX_LENGTH_DECREASED": _LESS,
    "MAXIMUM_DECREASED": _LESS,
    "EXCLUSIVE_MAXIMUM_DECREASED": _LESS,
    "MAX_PROPERTIES_DECREASED": _LESS,
    "MAX_ITEMS_DECREASED": _LESS,
    "MAX_CONTAINS_DECREASED": _LESS,
    "MIN_LENGTH_INCREASED": _MORE,
    "MINIMUM_INCREASED": _MORE,
    "EXCLUSIVE_MINIMUM_INCREASED": _MORE,
    "MULTIPLE_OF_EXPANDED": _MORE,
    "MIN_PROPERTIES_INCREASED": _MORE,
    "MIN_ITEMS_INCREASED": _MORE,
    "MIN_CONTAINS_INCREASED": _MORE,
    "PATTERN_CHANGED": _CHANGED,
    "MULTIPLE_OF_CHANGED": _CHANGED,
    "DEPENDENCY_ARRAY_CHANGED": _CHANGED,
    "ADDITIONAL_PROPERTIES_NARROWED": _NARROWER,
    "UNEVALUATED_PROPERTIES_NARROWED": _NARROWER,
    "ADDITIONAL_ITEMS_NARROWED": _NARROWER,
    "UNEVALUATED_ITEMS_NARROWED": _NARROWER,
    "ENUM_ARRAY_NARROWED": _NARROWER,
    "SUM_TYPE_NARROWED": _NARROWER,
    "DEPENDENCY_ARRAY_EXTENDED": _WIDER,
    "PRODUCT_TYPE_EXTENDED": _WIDER,
    "SUM_TYPE_EXTENDED": _WIDER,
    "NOT_TYPE_EXTENDED": _WIDER,
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": _OPEN,
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL": _OPEN,
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": _OPEN,
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": _OPEN,
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": _UNOPEN,
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": _CLOSED,
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": _CLOSED,
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _REMOVED_NOT_COVERED,
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _REMOVED_NOT_COVERED,
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _ADDED_NOT_COVERED,
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _ADDED_NOT_COVERED,
}
# Every other incompatible *_ADDED or *_REMOVED of a keyword says the keyword is new.
_SCHEMA_ONLY = frozenset({"SCHEMA_ADDED"})


@dataclass(frozen=True)
class JsonSchemaIncompatibility(Incompatibility):
    """An incompatible difference, worded as Confluent's JSON Schema checker words it."""

    def message(self) -> str:
        reader, writer = ("new", "old") if self.direction == BACKWARD else ("old", "new")
        return message(self.kind, self.path, reader, writer)


def message(kind: str, path: str, reader: str, writer: str) -> str:
    """Confluent's line for one incompatible difference (`Difference.toString()`)."""
    template = _TEMPLATES.get(kind)
    if template is None and kind not in _SCHEMA_ONLY and kind.endswith(("_ADDED", "_REMOVED")):
        template = _KEYWORD
    description = (template % (reader, writer)).replace("{path}", path) if template else ""
    return f'{{errorType:"{kind}", description:"{description}\'}}'
