"""Avro schema compatibility under the seven Confluent levels, each reason paired with its path.

The Schema Registry server, the schema CLI and the Kafka consumer all decide compatibility here.

Why the reader/writer walk is written here instead of calling ``avro.compatibility``: that port
of Java's ``SchemaCompatibility`` keeps messages and locations in unordered sets, so a reason
cannot be paired with its path, and it drops the location inside union branches. The walk below
follows Java (Avro 1.11/1.12) rule for rule, including its quirks, and reuses the port's
``SchemaIncompatibilityType`` as the vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from avro.compatibility import SchemaIncompatibilityType
from avro.schema import (
    ArraySchema,
    EnumSchema,
    Field,
    FixedSchema,
    MapSchema,
    NamedSchema,
    RecordSchema,
    Schema,
    UnionSchema,
)

BACKWARD = "backward"
FORWARD = "forward"

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# Writer types each reader type accepts besides its own (the Avro spec's promotions).
_PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "bytes": frozenset({"string"}),
    "string": frozenset({"bytes"}),
}

# Confluent's wording, byte for byte (`client/.../avro/Difference.java`, v8.3.1): registry
# clients show it to people and some tools match it. {reader}/{writer} become "new"/"old" by
# direction; the field's name, which Confluent does not give, is in `field_path`.
_DESCRIPTIONS = {
    "READER_FIELD_MISSING_DEFAULT_VALUE": "The field '{detail}' at path '{path}' in the "
    "{reader} schema has no default value and is missing in the {writer} schema",
    "TYPE_MISMATCH": "The type (path '{path}') of a field in the {reader} schema does "
    "not match with the {writer} schema",
    "NAME_MISMATCH": "The name of the schema has changed (path '{path}')",
    "MISSING_ENUM_SYMBOLS": "The {reader} schema is missing enum symbols '{detail}' at path "
    "'{path}' in the {writer} schema",
    "MISSING_UNION_BRANCH": "The {reader} schema is missing a type inside a union field at path "
    "'{path}' in the {writer} schema",
    "FIXED_SIZE_MISMATCH": "The size of FIXED type field at path '{path}' in the {reader} "
    "schema does not match with the {writer} schema",
}


class CompatibilityLevel(StrEnum):
    """The compatibility levels a Confluent Schema Registry subject can have."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, text: str) -> CompatibilityLevel:
        """The level named by ``text``, ignoring case and blanks; ValueError for any other text."""
        try:
            return cls(text.strip().upper())
        except ValueError:
            raise ValueError(f"unknown compatibility level: {text!r}") from None

    @property
    def transitive(self) -> bool:
        return self.name.endswith("_TRANSITIVE")

    @property
    def checks_backward(self) -> bool:  # the new schema must read data written with the old
        return self.name.startswith(("BACKWARD", "FULL"))

    @property
    def checks_forward(self) -> bool:  # the old schema must read data written with the new
        return self.name.startswith(("FORWARD", "FULL"))


class AmbiguousFieldError(ValueError):
    """A reader field matches several writer fields by name and aliases (Java throws too)."""


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader schema cannot read what a writer schema writes."""

    kind: str
    path: str
    field_path: str
    detail: str
    direction: str

    def message(self) -> str:
        """The Confluent-style line, e.g. ``{errorType:'TYPE_MISMATCH', description:...}``."""
        reader, writer = ("new", "old") if self.direction == BACKWARD else ("old", "new")
        template = _DESCRIPTIONS.get(self.kind, "")
        description = template.format(
            detail=self.detail, path=self.path, reader=reader, writer=writer
        )
        return (
            f"{{errorType:'{self.kind}', description:'{description}', "
            f"additionalInfo:'{self.detail}'}}"
        )

    def located(self) -> str:
        """The message with the field it is about, for a person reading a dead letter."""
        return (
            f"{self.message()} (field '{self.field_path}')" if self.field_path else self.message()
        )


class _Found(NamedTuple):
    """An incompatibility relative to its reader/writer pair: ``tokens`` is the path below it,
    ``fields`` the outermost record's name then field names (empty outside any field)."""

    kind: SchemaIncompatibilityType
    tokens: tuple[str, ...]
    fields: tuple[str, ...]
    detail: str


def _below(token: str, found: Sequence[_Found]) -> list[_Found]:
    return [f._replace(tokens=(token, *f.tokens)) for f in found]


_Founds = tuple[_Found, ...]


def _kind(schema: Schema) -> str:
    # Protocol "error" records and "error_union"s are records and unions to Java.
    kind = str(schema.type)
    return {"error": "record", "error_union": "union"}.get(kind, kind)


def _strings(value: object) -> list[str]:
    return [s for s in value if isinstance(s, str)] if isinstance(value, list) else []


def _aliases(schema: NamedSchema) -> set[str]:
    """Full names of the schema's aliases; Java resolves a bare alias in the schema's namespace."""
    space = str(schema.fullname).rpartition(".")[0]
    aliases = _strings(schema.props.get("aliases"))
    return {a if "." in a or not space else f"{space}.{a}" for a in aliases}


def _writer_field(writer: RecordSchema, reader_field: Field) -> Field | None:
    """Java's lookupWriterField: the writer field by the reader field's name, then its aliases."""
    by_name: dict[str, Field] = {str(f.name): f for f in writer.fields}
    # Java's aliases are a set, but the name is looked up besides them, even if also an alias.
    names = [str(reader_field.name), *dict.fromkeys(_strings(reader_field.props.get("aliases")))]
    matches = [by_name[n] for n in names if n in by_name]
    if len(matches) > 1:
        raise AmbiguousFieldError(
            f"Reader record field {reader_field.name} matches multiple fields in writer record "
            f"schema {writer.fullname}"
        )
    return matches[0] if matches else None


def _enum_default(schema: EnumSchema) -> str | None:
    default = schema.props.get("default")
    return default if isinstance(default, str) else None


class _Walk:
    """Java's ReaderWriterCompatibilityChecker, memoised per pair of schema objects.

    Results are stored relative to their pair, so a pair met again at another place (a named type
    used twice) reports the place it is met at, where Java repeats the first place.
    """

    def __init__(self) -> None:
        # None marks a pair in progress: met again inside itself, it counts as compatible (Java).
        self._memo: dict[tuple[int, int], _Founds | None] = {}

    def pair(self, reader: Schema, writer: Schema) -> _Founds:
        key = (id(reader), id(writer))
        if key in self._memo:
            return self._memo[key] or ()
        self._memo[key] = None
        found = tuple(self._calculate(reader, writer))
        self._memo[key] = found
        return found

    def _calculate(self, reader: Schema, writer: Schema) -> list[_Found]:
        r_kind, w_kind = _kind(reader), _kind(writer)
        if r_kind == w_kind:
            if r_kind in _PRIMITIVES:
                return []
            if isinstance(reader, ArraySchema) and isinstance(writer, ArraySchema):
                return _below("items", self.pair(reader.items, writer.items))
            if isinstance(reader, MapSchema) and isinstance(writer, MapSchema):
                return _below("values", self.pair(reader.values, writer.values))
            if isinstance(reader, FixedSchema) and isinstance(writer, FixedSchema):
                return _names(reader, writer) + _size(reader, writer)
            if isinstance(reader, EnumSchema) and isinstance(writer, EnumSchema):
                return _names(reader, writer) + _symbols(reader, writer)
            if isinstance(reader, RecordSchema) and isinstance(writer, RecordSchema):
                return _names(reader, writer) + self._fields(reader, writer)
            if isinstance(reader, UnionSchema) and isinstance(writer, UnionSchema):
                # Each writer branch must be readable by the reader union as a whole; Java keeps
                # only the missing branch, not why no reader branch fits it.
                return [
                    _missing_branch((str(i),), _kind(branch))
                    for i, branch in enumerate(writer.schemas)
                    if self.pair(reader, branch)
                ]
            raise TypeError(f"unknown schema type: {r_kind}")
        if isinstance(writer, UnionSchema):
            # Java pushes the writer branch index here, so the path names the branch.
            return [
                f
                for i, branch in enumerate(writer.schemas)
                for f in _below(str(i), self.pair(reader, branch))
            ]
        if isinstance(reader, UnionSchema):
            if any(not self.pair(branch, writer) for branch in reader.schemas):
                return []
            return [_missing_branch((), w_kind)]
        if w_kind in _PROMOTIONS.get(r_kind, frozenset()):
            return []
        return [_type_mismatch(r_kind, w_kind)]

    def _fields(self, reader: RecordSchema, writer: RecordSchema) -> list[_Found]:
        found: list[_Found] = []
        name = str(reader.name)
        for i, reader_field in enumerate(reader.fields):
            field_name = str(reader_field.name)
            writer_field = _writer_field(writer, reader_field)
            if writer_field is not None:
                inner = _below("type", self.pair(reader_field.type, writer_field.type))
            elif reader_field.has_default:
                continue
            elif isinstance(reader_field.type, EnumSchema) and _enum_default(reader_field.type):
                # Java compares the enum with the writer *record* here, so this is a type
                # mismatch; the enum's default does not stand in for a missing field.
                inner = _below("type", self.pair(reader_field.type, writer))
            else:
                missing = SchemaIncompatibilityType.reader_field_missing_default_value
                inner = [_Found(missing, (), (), field_name)]
            found += [
                f._replace(
                    tokens=("fields", str(i), *f.tokens), fields=(name, field_name, *f.fields[1:])
                )
                for f in inner
            ]
        return found


def _missing_branch(tokens: tuple[str, ...], writer_kind: str) -> _Found:
    detail = f"reader union lacking writer type: {writer_kind.upper()}"
    return _Found(SchemaIncompatibilityType.missing_union_branch, tokens, (), detail)


def _type_mismatch(r_kind: str, w_kind: str) -> _Found:
    detail = f"reader type: {r_kind.upper()} not compatible with writer type: {w_kind.upper()}"
    return _Found(SchemaIncompatibilityType.type_mismatch, (), (), detail)


def _names(reader: NamedSchema, writer: NamedSchema) -> list[_Found]:
    # Java compares short names, so a namespace change alone is compatible.
    if reader.name == writer.name or writer.fullname in _aliases(reader):
        return []
    detail = f"expected: {writer.fullname}"
    return [_Found(SchemaIncompatibilityType.name_mismatch, ("name",), (), detail)]


def _size(reader: FixedSchema, writer: FixedSchema) -> list[_Found]:
    if reader.size == writer.size:
        return []
    detail = f"expected: {writer.size}, found: {reader.size}"
    return [_Found(SchemaIncompatibilityType.fixed_size_mismatch, ("size",), (), detail)]


def _symbols(reader: EnumSchema, writer: EnumSchema) -> list[_Found]:
    missing = sorted(set(writer.symbols) - set(reader.symbols))
    default = _enum_default(reader)
    if not missing or (default is not None and default in reader.symbols):
        return []
    # Java prints a TreeSet: sorted, "[A, B]".
    detail = "[" + ", ".join(missing) + "]"
    return [_Found(SchemaIncompatibilityType.missing_enum_symbols, ("symbols",), (), detail)]


def reader_writer_incompatibilities(
    reader: Schema, writer: Schema, *, direction: str = BACKWARD
) -> list[Incompatibility]:
    """Why ``reader`` cannot read data written with ``writer``; empty when it can.

    Mirrors Java's ``SchemaCompatibility.checkReaderWriterCompatibility``. ``direction`` only
    labels the result: "backward" when the reader is the new schema, "forward" when it is the old.

    Raises:
        AmbiguousFieldError: a reader field matches several writer fields (Java throws too).
        ValueError: ``direction`` is neither "backward" nor "forward".
    """
    if direction not in (BACKWARD, FORWARD):
        raise ValueError(f"direction must be {BACKWARD!r} or {FORWARD!r}, not {direction!r}")
    return [
        Incompatibility(
            kind=f.kind.name.upper(),
            path="/" + "/".join(f.tokens),
            field_path=".".join(f.fields),
            detail=f.detail,
            direction=direction,
        )
        for f in _Walk().pair(reader, writer)
    ]


def can_read(reader: Schema, writer: Schema) -> list[Incompatibility]:
    """Why a consumer holding ``reader`` cannot decode data written with ``writer``."""
    return reader_writer_incompatibilities(reader, writer, direction=BACKWARD)


@dataclass(frozen=True)
class ExistingSchema:
    """A live version already registered under the subject."""

    version: int | None
    schema: Any  # the schema type's model: an avro.schema.Schema for Avro
    text: str


@dataclass(frozen=True)
class VersionVerdict:
    """The incompatibilities found against one existing version."""

    version: int | None
    incompatibilities: tuple[Incompatibility, ...]
    old_schema: str = ""


@dataclass(frozen=True)
class CompatibilityResult:
    """The verdict of a new schema against a subject's versions; only failures are kept."""

    level: CompatibilityLevel
    verdicts: tuple[VersionVerdict, ...]

    @property
    def is_compatible(self) -> bool:
        return not any(v.incompatibilities for v in self.verdicts)

    def messages(self) -> list[str]:
        """Confluent's ``messages`` for a verbose compatibility check; empty when compatible."""
        if self.is_compatible:
            return []
        lines: list[str] = []
        for verdict in self.verdicts:
            lines += [i.message() for i in verdict.incompatibilities]
            if verdict.version is not None:
                lines.append(f"{{oldSchemaVersion: {verdict.version}}}")
            lines.append(f"{{oldSchema: '{verdict.old_schema}'}}")
        lines.append(f"{{validateFields: 'false', compatibility: '{self.level.value}'}}")
        return lines


# What a schema type's checker answers: why ``reader`` cannot read what ``writer`` wrote.
PairCheck = Callable[[Any, Any, str], list[Incompatibility]]


def check(
    new: Any,
    existing: Sequence[ExistingSchema],
    level: CompatibilityLevel,
    pair: PairCheck | None = None,
) -> CompatibilityResult:
    """Whether ``new`` may join a subject whose live versions are ``existing`` (oldest first).
    The schemas are Avro's unless ``pair`` checks another type's (the registry's JSON
    Schema and Protobuf checkers), given (reader, writer, direction).

    As Confluent: non-transitive levels check the latest version only; transitive ones check
    every version newest first and stop at the first that fails. For FULL levels the forward
    incompatibilities (the old schema reading the new) come first.

    Raises:
        AmbiguousFieldError: a reader field matches several writer fields.
    """
    if level is CompatibilityLevel.NONE or not existing:
        return CompatibilityResult(level, ())
    pairs = pair or avro_pair
    olds = list(reversed(existing)) if level.transitive else [existing[-1]]
    for old in olds:
        found: list[Incompatibility] = []
        if level.checks_forward:
            found += pairs(old.schema, new, FORWARD)
        if level.checks_backward:
            found += pairs(new, old.schema, BACKWARD)
        if found:
            return CompatibilityResult(
                level, (VersionVerdict(old.version, tuple(found), old.text),)
            )
    return CompatibilityResult(level, ())


def avro_pair(reader: Schema, writer: Schema, direction: str) -> list[Incompatibility]:
    return reader_writer_incompatibilities(reader, writer, direction=direction)
