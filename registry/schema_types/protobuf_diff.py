"""Protobuf compatibility, as Confluent's `SchemaDiff` (protobuf-provider, master 794611bd)
finds it: the differences between an original schema (whose data must stay readable) and
its update, each a type and a path; those outside COMPATIBLE make the update incompatible.

Messages and enums match by name in their scope, fields by number, enum constants by
number. Confluent reports a scope's messages and enums in `java.util.HashSet` order, and a
message's oneofs and fields sorted; the same order is kept here, so that the lines of a 409
come as Confluent's do. docs/registry-api.md §3.10 lists the rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from contract.compatibility import Incompatibility
from registry.java_strings import hash_set_capacity, java_hash_set_order, java_order
from registry.schema_types.difference import Difference, incompatible
from registry.schema_types.protobuf import ProtobufModel
from registry.schema_types.protobuf_rules import (
    COMPATIBLE,
    SCALAR_KINDS,
    ProtobufIncompatibility,
)
from registry.schema_types.protobuf_text import (
    EnumProto,
    FieldProto,
    FileProto,
    MessageProto,
    explicit_label,
    is_map_entry,
    scalar_name,
)

# The reference of the schema's own types: equal on both sides, so they are compared where
# they are declared rather than again through each field using them.
_OWN = ("", -1)


def incompatibilities(
    reader: ProtobufModel, writer: ProtobufModel, direction: str
) -> list[Incompatibility]:
    """Why ``reader`` cannot read what ``writer`` wrote: the incompatible differences."""
    return incompatible(differences(writer, reader), COMPATIBLE, ProtobufIncompatibility, direction)


def differences(original: ProtobufModel, update: ProtobufModel) -> list[Difference]:
    """Every difference from ``original`` to ``update``, in Confluent's order."""
    walk = _Walk(_types_of(original), _types_of(update), original.file.syntax, update.file.syntax)
    if (original.file.package or None) != (update.file.package or None):
        walk.add("PACKAGE_CHANGED")
    walk.compare_types(
        original.file.message_type,
        original.file.enum_type,
        update.file.message_type,
        update.file.enum_type,
    )
    return walk.found


@dataclass(frozen=True)
class _TypeInfo:
    package: str
    # (subject, version) of the reference whose file declares it; None for a known type
    # imported without one, _OWN for the schema's own.
    reference: tuple[str, int] | None
    element: MessageProto | EnumProto
    file: FileProto


def _types_of(model: ProtobufModel) -> dict[str, _TypeInfo]:
    """Every type the schema sees, by full name (no leading dot): its imports' first, its
    own last (they win a clash)."""
    types: dict[str, _TypeInfo] = {}
    files = [
        (name, file, model.references.get(name)) for name, file in model.compiled.imports.items()
    ]
    for _, file, reference in [*files, ("", model.file, _OWN)]:
        prefix = file.package
        for full_name, element in _declared(prefix, file.message_type, file.enum_type):
            types[full_name] = _TypeInfo(file.package, reference, element, file)
    return types


def _declared(
    scope: str, messages: Sequence[MessageProto], enums: Sequence[EnumProto]
) -> Iterator[tuple[str, MessageProto | EnumProto]]:
    for message in messages:
        name = f"{scope}.{message.name}" if scope else message.name
        yield name, message
        yield from _declared(name, message.nested_type, message.enum_type)
    for enum in enums:
        yield (f"{scope}.{enum.name}" if scope else enum.name), enum


@dataclass
class _Walk:
    original_types: dict[str, _TypeInfo]
    update_types: dict[str, _TypeInfo]
    # The syntax of the files declaring the messages compared (labels depend on it).
    original_syntax: str
    update_syntax: str
    found: list[Difference] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    # Original messages being compared further up (by identity): recursion stops there.
    comparing: set[int] = field(default_factory=set)

    def add(self, kind: str) -> None:
        self.found.append(Difference(kind, "#/" + "/".join(self.path)))

    @contextmanager
    def at(self, segment: str) -> Iterator[None]:
        self.path.append(segment)
        try:
            yield
        finally:
            self.path.pop()

    def sub_walk(self, original: _TypeInfo, update: _TypeInfo, path: list[str]) -> _Walk:
        return _Walk(
            self.original_types,
            self.update_types,
            original.file.syntax,
            update.file.syntax,
            [],
            path,
            set(self.comparing),
        )

    # -- messages and enums of one scope -----------------------------------------------

    def compare_types(
        self,
        original_messages: Sequence[MessageProto],
        original_enums: Sequence[EnumProto],
        update_messages: Sequence[MessageProto],
        update_enums: Sequence[EnumProto],
    ) -> None:
        originals = _by_name(original_messages)
        updates = _by_name(update_messages)
        original_index = {name: index for index, name in enumerate(originals)}
        update_index = {name: index for index, name in enumerate(updates)}
        for name in _union(list(originals), list(updates)):
            with self.at(str(name)):
                if name not in updates:
                    self.add("MESSAGE_REMOVED")
                elif name not in originals:
                    self.add("MESSAGE_ADDED")
                else:
                    self.compare_messages(originals[str(name)], updates[str(name)])
                    if original_index[str(name)] != update_index[str(name)]:
                        self.add("MESSAGE_MOVED")
        original_enum = {enum.name: enum for enum in original_enums}
        update_enum = {enum.name: enum for enum in update_enums}
        for name in _union(list(original_enum), list(update_enum)):
            with self.at(str(name)):
                if name not in update_enum:
                    self.add("ENUM_REMOVED")
                elif name not in original_enum:
                    self.add("ENUM_ADDED")
                else:
                    self.compare_enums(original_enum[str(name)], update_enum[str(name)])

    def compare_enums(self, original: EnumProto, update: EnumProto) -> None:
        originals = {value.number: value.name for value in original.value}
        updates = {value.number: value.name for value in update.value}
        for number in _union(list(originals), list(updates)):
            with self.at(str(number)):
                if number not in updates:
                    self.add("ENUM_CONST_REMOVED")
                elif number not in originals:
                    self.add("ENUM_CONST_ADDED")
                elif originals[int(number)] != updates[int(number)]:
                    self.add("ENUM_CONST_CHANGED")

    # -- one message -------------------------------------------------------------------

    def compare_messages(self, original: MessageProto, update: MessageProto) -> None:
        if id(original) not in self.comparing:
            self.comparing.add(id(original))
            try:
                self._compare_fields(original, update)
            finally:
                self.comparing.discard(id(original))
        self.compare_types(
            original.nested_type, original.enum_type, update.nested_type, update.enum_type
        )

    def _compare_fields(self, original: MessageProto, update: MessageProto) -> None:
        o_fields, o_oneof_of = _fields(original, self.original_syntax)
        u_fields, u_oneof_of = _fields(update, self.update_syntax)
        o_oneofs = _oneof_names(original)
        u_oneofs = _oneof_names(update)
        deleted_oneofs = {
            name
            for name in o_oneofs
            if name not in u_oneofs
            and not any(number in u_fields for number, of in o_oneof_of.items() if of == name)
        }
        # Fields newly made exclusive of each other: a oneof gathering several origins.
        for name in u_oneofs:
            with self.at(name):
                origins: set[str] = set()
                moved_in = 0
                for number, of in u_oneof_of.items():
                    if of != name:
                        continue
                    if number in o_oneof_of:
                        origins.add(f"oneof:{o_oneof_of[number]}")
                    elif number in o_fields:
                        origins.add(f"field:{number}")
                        moved_in += 1
                if len(origins) > 1:
                    self.add(
                        "MULTIPLE_FIELDS_MOVED_TO_ONEOF"
                        if moved_in > 1
                        else "FIELD_MOVED_TO_EXISTING_ONEOF"
                    )
        for name in sorted(set(o_oneofs) | set(u_oneofs), key=java_order):
            with self.at(name):
                if name not in u_oneofs:
                    self.add("ONEOF_REMOVED")
                elif name not in o_oneofs:
                    self.add("ONEOF_ADDED")
        for number in sorted(set(o_fields) | set(u_fields)):
            self._compare_field(
                number,
                o_fields.get(number),
                u_fields.get(number),
                o_oneof_of.get(number),
                u_oneof_of.get(number),
                deleted_oneofs,
            )

    def _compare_field(
        self,
        number: int,
        original: _Field | None,
        update: _Field | None,
        original_oneof: str | None,
        update_oneof: str | None,
        deleted_oneofs: set[str],
    ) -> None:
        tag = str(number)
        if original is not None and update is None:
            if original_oneof is None:
                with self.at(tag):
                    required = original.label == "required"
                    self.add("REQUIRED_FIELD_REMOVED" if required else "FIELD_REMOVED")
            elif original_oneof not in deleted_oneofs:
                # A member of a oneof that is gone whole goes with it (ONEOF_REMOVED).
                with self.at(original_oneof), self.at(tag):
                    self.add("ONEOF_FIELD_REMOVED")
        elif original is None and update is not None:
            if update_oneof is None:
                with self.at(tag):
                    required = update.label == "required"
                    self.add("REQUIRED_FIELD_ADDED" if required else "FIELD_ADDED")
            else:
                with self.at(update_oneof), self.at(tag):
                    self.add("ONEOF_FIELD_ADDED")
        elif original is not None and update is not None:
            if original_oneof is not None and update_oneof is None:
                with self.at(tag):
                    self.add("ONEOF_FIELD_MOVED_TO_TOP_LEVEL")
            with self.at(update_oneof) if update_oneof else nullcontext(), self.at(tag):
                self._compare_field_pair(original, update)

    def _compare_field_pair(self, original: _Field, update: _Field) -> None:
        if original.name != update.name:
            self.add("FIELD_NAME_CHANGED")
        self._compare_labels_and_types(original.label, update.label, original.type, update.type)

    def _compare_labels_and_types(
        self, o_label: str | None, u_label: str | None, o_type: _FieldType, u_type: _FieldType
    ) -> None:
        o_kind = self._kind(o_type, self.original_types)
        u_kind = self._kind(u_type, self.update_types)
        if o_kind != u_kind:
            self.add("FIELD_KIND_CHANGED")
        elif o_kind == "SCALAR":
            o_scalar, u_scalar = _scalar_kind(o_type), _scalar_kind(u_type)
            if o_scalar != u_scalar:
                self.add("FIELD_SCALAR_KIND_CHANGED")
            elif o_label is not None and u_label is not None and o_label != u_label:
                self.add(
                    "FIELD_STRING_OR_BYTES_LABEL_CHANGED"
                    if o_scalar == "STRING_OR_BYTES"
                    else "FIELD_NUMERIC_LABEL_CHANGED"
                )
        elif o_kind == "MESSAGE":
            self._compare_message_types(o_type.name, u_type.name)
        else:
            o_key, o_value = self._map_types(o_type, self.original_types)
            u_key, u_value = self._map_types(u_type, self.update_types)
            self._compare_labels_and_types(None, None, o_key, u_key)
            self._compare_labels_and_types(None, None, o_value, u_value)

    def _compare_message_types(self, original: str, update: str) -> None:
        o_info = self.original_types.get(original.lstrip("."))
        u_info = self.update_types.get(update.lstrip("."))
        if o_info is None or u_info is None:
            if original != update:
                self.add("FIELD_NAMED_TYPE_CHANGED")
            return
        o_local = _local(original.lstrip("."), o_info.package)
        u_local = _local(update.lstrip("."), u_info.package)
        if o_local != u_local:
            self.add("FIELD_NAMED_TYPE_CHANGED")
            return
        o_message, u_message = o_info.element, u_info.element
        if o_info.reference is not None and o_info.reference == u_info.reference:
            return  # the same version of one file (or the schema's own type, compared apart)
        if not isinstance(o_message, MessageProto) or not isinstance(u_message, MessageProto):
            return  # enums are scalars: never compared here
        inner = self.sub_walk(o_info, u_info, o_local.split("."))
        inner.compare_messages(o_message, u_message)
        self.found.extend(inner.found)
        if any(found.type not in COMPATIBLE for found in inner.found):
            self.add("FIELD_NAMED_TYPE_CHANGED")

    # -- field types -------------------------------------------------------------------

    @staticmethod
    def _kind(field_type: _FieldType, types: dict[str, _TypeInfo]) -> str:
        if field_type.scalar is not None:
            return "SCALAR"
        info = types.get(field_type.name.lstrip("."))
        if info is not None and isinstance(info.element, EnumProto):
            return "SCALAR"
        if (
            info is not None
            and isinstance(info.element, MessageProto)
            and is_map_entry(info.element)
        ):
            return "MAP"
        return "MESSAGE"

    @staticmethod
    def _map_types(
        field_type: _FieldType, types: dict[str, _TypeInfo]
    ) -> tuple[_FieldType, _FieldType]:
        entry = types[field_type.name.lstrip(".")].element  # a map entry (see _kind)
        if not isinstance(entry, MessageProto):
            raise TypeError(f"{field_type.name} is not a map entry")
        key, value = entry.field[0], entry.field[1]
        return _FieldType.of(key), _FieldType.of(value)


def _scalar_kind(field_type: _FieldType) -> str:
    if field_type.scalar is None:
        return "GENERAL_NUMBER"  # an enum
    return SCALAR_KINDS[field_type.scalar]


@dataclass(frozen=True)
class _FieldType:
    scalar: str | None
    name: str

    @staticmethod
    def of(proto: FieldProto) -> _FieldType:
        scalar = scalar_name(proto)
        return _FieldType(scalar, scalar or proto.type_name)


@dataclass(frozen=True)
class _Field:
    name: str
    label: str | None
    type: _FieldType


def _fields(message: MessageProto, syntax: str) -> tuple[dict[int, _Field], dict[int, str]]:
    """A message's fields by number (oneof members too), and the oneof of each member."""
    fields: dict[int, _Field] = {}
    oneof_of: dict[int, str] = {}
    syntax_file = FileProto(syntax=syntax)
    for proto in message.field:
        in_oneof = proto.HasField("oneof_index") and not proto.proto3_optional
        # A map's label is never compared (only scalars' are): it may read as `repeated`.
        label = explicit_label(proto, syntax_file, in_oneof, is_map=False)
        fields[proto.number] = _Field(proto.name, label, _FieldType.of(proto))
        if in_oneof:
            oneof_of[proto.number] = message.oneof_decl[proto.oneof_index].name
    return fields, oneof_of


def _oneof_names(message: MessageProto) -> list[str]:
    """The real oneofs (not proto3 `optional`'s synthetic ones), in declared order."""
    real = {
        proto.oneof_index
        for proto in message.field
        if proto.HasField("oneof_index") and not proto.proto3_optional
    }
    return [oneof.name for index, oneof in enumerate(message.oneof_decl) if index in real]


def _by_name(messages: Sequence[MessageProto]) -> dict[str, MessageProto]:
    """Messages by name, map entries aside (a `map` field is not a message of its scope)."""
    return {message.name: message for message in messages if not is_map_entry(message)}


def _union(originals: list[str] | list[int], updates: list[str] | list[int]) -> list[str | int]:
    """Names (or numbers) of both sides, as Confluent iterates them: a HashSet of the
    original's HashMap keys, then the update's added."""
    original_keys = java_hash_set_order(originals)
    update_keys = java_hash_set_order(updates)
    return java_hash_set_order(
        [*original_keys, *update_keys], initial_capacity=hash_set_capacity(len(original_keys))
    )


def _local(full_name: str, package: str) -> str:
    return (
        full_name[len(package) + 1 :]
        if package and full_name.startswith(f"{package}.")
        else full_name
    )
