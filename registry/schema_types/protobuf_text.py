"""A Protobuf schema's canonical text, printed from its compiled file descriptor.

Confluent prints a schema registered as a descriptor (as `confluent_kafka`'s serializer
registers it) from that descriptor; this registry prints every schema so, whether it came
as text or as a descriptor, so the two are one schema. The layout is Confluent's
(`ProtobufSchemaUtils`): syntax, package, imports, options, then messages before enums,
two spaces a level, each section of a message after a blank line. Types are named in full
(`.pkg.Msg`), as a descriptor names them; a map field is `map<K, V>`, its entry message
unwritten. Comments are not kept. `normalize` sorts as Confluent's does: imports, options
by name, fields, oneofs and enum constants by number, reserved ranges one by one.

No library prints a descriptor back as `.proto` text (protoc only reads it), so this module
does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf import descriptor_pb2

from registry.schema_types.protobuf_options import OptionsPrinter, escaped, indented, option_list

FileProto = descriptor_pb2.FileDescriptorProto
MessageProto = descriptor_pb2.DescriptorProto
FieldProto = descriptor_pb2.FieldDescriptorProto
EnumProto = descriptor_pb2.EnumDescriptorProto

# Field and enum numbers end here; a range reaching the end prints as `to max`.
MAX_FIELD_NUMBER = 536_870_911
MAX_ENUM_NUMBER = 2_147_483_647
_SCALARS = {
    FieldProto.TYPE_DOUBLE: "double",
    FieldProto.TYPE_FLOAT: "float",
    FieldProto.TYPE_INT64: "int64",
    FieldProto.TYPE_UINT64: "uint64",
    FieldProto.TYPE_INT32: "int32",
    FieldProto.TYPE_FIXED64: "fixed64",
    FieldProto.TYPE_FIXED32: "fixed32",
    FieldProto.TYPE_BOOL: "bool",
    FieldProto.TYPE_STRING: "string",
    FieldProto.TYPE_BYTES: "bytes",
    FieldProto.TYPE_UINT32: "uint32",
    FieldProto.TYPE_SFIXED32: "sfixed32",
    FieldProto.TYPE_SFIXED64: "sfixed64",
    FieldProto.TYPE_SINT32: "sint32",
    FieldProto.TYPE_SINT64: "sint64",
}
_LABELS = {
    FieldProto.LABEL_OPTIONAL: "optional",
    FieldProto.LABEL_REQUIRED: "required",
    FieldProto.LABEL_REPEATED: "repeated",
}


def print_file(
    file: FileProto, imports: Iterable[FileProto] = (), *, normalize: bool = False
) -> str:
    """The canonical text of ``file``; ``imports`` are the files it imports (directly or
    not), whose extensions its custom options may set."""
    return _Printer(file, imports, normalize).file()


def is_map_entry(message: MessageProto) -> bool:
    return message.options.map_entry


def scalar_name(field: FieldProto) -> str | None:
    """`int32`, `string`…; None for a message or enum field."""
    return _SCALARS.get(field.type)


def explicit_label(
    field: FieldProto, file: FileProto, in_oneof: bool, *, is_map: bool
) -> str | None:
    """The label as a schema writes it: none for a oneof's member, a map, or a proto3
    field written without one (as Confluent's model of the text has it)."""
    if in_oneof or is_map:
        return None
    if file.syntax == "proto3":
        if field.proto3_optional:
            return "optional"
        return "repeated" if field.label == FieldProto.LABEL_REPEATED else None
    return _LABELS[field.label]


class _Printer:
    def __init__(self, file: FileProto, imports: Iterable[FileProto], normalize: bool) -> None:
        self._file = file
        self._normalize = normalize
        self._files = [*imports, file]
        self._options = OptionsPrinter(self._files, sort=normalize)
        # Map entry messages by full name, to print their fields as `map<K, V>`.
        self._entries: dict[str, MessageProto] = {}
        for known in self._files:
            self._collect_entries(f".{known.package}" if known.package else "", known.message_type)

    def _collect_entries(self, scope: str, messages: Iterable[MessageProto]) -> None:
        for message in messages:
            name = f"{scope}.{message.name}"
            if is_map_entry(message):
                self._entries[name] = message
            self._collect_entries(name, message.nested_type)

    def file(self) -> str:
        file = self._file
        out: list[str] = []
        if file.syntax == "proto3" or (file.syntax in ("", "proto2") and not self._normalize):
            out.append(f'syntax = "{file.syntax or "proto2"}";\n')
        if file.package:
            out.append(f"package {file.package};\n")
        imports = self._imports()
        if imports:
            out.append("\n")
            out.extend(f"{line}\n" for line in imports)
        options = self._options.lines(file.options, "google.protobuf.FileOptions")
        if options:
            out.append("\n")
            out.extend(f"option {option};\n" for option in options)
        types = [self._message(message) for message in file.message_type]
        types += [self._enum(enum) for enum in file.enum_type]
        if types:
            out.append("\n")
            out.extend(types)
        extends = self._extends(file.extension)
        if extends:
            out.append("\n")
            out.extend(extends)
        if file.service:
            out.append("\n")
            out.extend(self._service(service) for service in file.service)
        return "".join(out)

    def _imports(self) -> list[str]:
        file = self._file
        public = set(file.public_dependency)
        weak = set(file.weak_dependency)
        lines = []
        for index, name in enumerate(file.dependency):
            kind = "public " if index in public else "weak " if index in weak else ""
            lines.append((kind, name))
        if self._normalize:
            lines = sorted(set(lines), key=lambda line: (line[0] != "", line[0], line[1]))
        return [f'import {kind}"{name}";' for kind, name in lines]

    # -- messages ----------------------------------------------------------------------

    def _message(self, message: MessageProto) -> str:
        sections = [
            self._reserved(message.reserved_range, message.reserved_name, of_enum=False),
            [
                f"option {option};"
                for option in self._options.lines(message.options, "google.protobuf.MessageOptions")
            ],
            [self._field(field, message) for field in self._top_level_fields(message)],
            [self._oneof(message, index) for index in self._oneof_order(message)],
            self._extension_ranges(message),
            self._extends(message.extension),
            [self._message(nested) for nested in message.nested_type if not is_map_entry(nested)]
            + [self._enum(enum) for enum in message.enum_type],
        ]
        return self._block(f"message {message.name} {{", sections)

    def _block(self, head: str, sections: Sequence[Sequence[str]]) -> str:
        out = [head]
        for section in sections:
            if section:
                out.append("\n")
                out.extend(indented(item) for item in section)
        out.append("}\n")
        return "".join(out)

    def _top_level_fields(self, message: MessageProto) -> list[FieldProto]:
        fields = [field for field in message.field if not self._in_real_oneof(message, field)]
        return sorted(fields, key=lambda field: field.number) if self._normalize else fields

    @staticmethod
    def _in_real_oneof(message: MessageProto, field: FieldProto) -> bool:
        return field.HasField("oneof_index") and not field.proto3_optional

    def _oneof_order(self, message: MessageProto) -> list[int]:
        indexes = [
            index
            for index in range(len(message.oneof_decl))
            if any(
                field.HasField("oneof_index")
                and field.oneof_index == index
                and not field.proto3_optional
                for field in message.field
            )
        ]
        if self._normalize:
            indexes.sort(key=lambda index: min(f.number for f in self._members(message, index)))
        return indexes

    def _members(self, message: MessageProto, index: int) -> list[FieldProto]:
        members = [
            field
            for field in message.field
            if field.HasField("oneof_index") and field.oneof_index == index
        ]
        return sorted(members, key=lambda field: field.number) if self._normalize else members

    def _oneof(self, message: MessageProto, index: int) -> str:
        oneof = message.oneof_decl[index]
        options = [
            f"option {option};"
            for option in self._options.lines(oneof.options, "google.protobuf.OneofOptions")
        ]
        fields = [
            self._field(field, message, in_oneof=True) for field in self._members(message, index)
        ]
        return self._block(f"oneof {oneof.name} {{", [options, fields])

    def _field(
        self, field: FieldProto, message: MessageProto | None, *, in_oneof: bool = False
    ) -> str:
        entry = self._map_entry(field, message)
        label = explicit_label(field, self._file, in_oneof, is_map=entry is not None)
        if entry is not None:
            key, value = entry.field[0], entry.field[1]
            kind = f"map<{self._type(key)}, {self._type(value)}>"
        else:
            kind = self._type(field)
        options = self._options.lines(field.options, "google.protobuf.FieldOptions")
        if field.HasField("default_value") and self._file.syntax != "proto3":
            options.append(f"default = {self._default(field)}")
        if field.HasField("json_name"):
            options.append(f'json_name = "{escaped(field.json_name)}"')
        prefix = f"{label} " if label else ""
        return f"{prefix}{kind} {field.name} = {field.number}{option_list(options)};"

    def _map_entry(self, field: FieldProto, message: MessageProto | None) -> MessageProto | None:
        """The entry message of a map field: by full name as protoc names it, or (in a
        descriptor naming types relatively, as Confluent's Java client builds one) among the
        message's own nested types."""
        if not field.type_name or field.label != FieldProto.LABEL_REPEATED:
            return None
        entry = self._entries.get(field.type_name)
        if entry is None and message is not None and not field.type_name.startswith("."):
            name = field.type_name.rpartition(".")[2]
            nested = [n for n in message.nested_type if n.name == name and is_map_entry(n)]
            entry = nested[0] if nested else None
        return entry

    @staticmethod
    def _type(field: FieldProto) -> str:
        return scalar_name(field) or field.type_name

    @staticmethod
    def _default(field: FieldProto) -> str:
        if field.type == FieldProto.TYPE_STRING:
            return f'"{escaped(field.default_value)}"'
        if field.type == FieldProto.TYPE_BYTES:
            return f'"{field.default_value}"'  # protoc keeps it C-escaped already
        return field.default_value

    def _extension_ranges(self, message: MessageProto) -> list[str]:
        lines = []
        for extension_range in message.extension_range:
            options = self._options.lines(
                extension_range.options, "google.protobuf.ExtensionRangeOptions"
            )
            span = _span(extension_range.start, extension_range.end - 1, MAX_FIELD_NUMBER)
            lines.append(f"extensions {span}{option_list(options)};")
        return lines

    def _extends(self, extensions: Sequence[FieldProto]) -> list[str]:
        by_extendee: dict[str, list[FieldProto]] = {}
        for extension in extensions:
            by_extendee.setdefault(extension.extendee, []).append(extension)
        blocks = []
        for extendee, fields in by_extendee.items():
            if self._normalize:
                fields = sorted(fields, key=lambda field: field.number)
            lines = [self._field(field, None) for field in fields]
            blocks.append(self._block(f"extend {extendee} {{", [lines]))
        return blocks

    def _reserved(self, ranges: Sequence[Any], names: Sequence[str], *, of_enum: bool) -> list[str]:
        # A message's ranges end before their `end`, an enum's at it.
        spans = [(r.start, r.end if of_enum else r.end - 1) for r in ranges]
        if self._normalize:
            spans.sort()
            names = sorted(names)
        maximum = MAX_ENUM_NUMBER if of_enum else MAX_FIELD_NUMBER
        lines = [f"reserved {_span(start, end, maximum)};" for start, end in spans]
        lines += [f'reserved "{name}";' for name in names]
        return lines

    # -- enums and services ------------------------------------------------------------

    def _enum(self, enum: EnumProto) -> str:
        reserved = self._reserved(enum.reserved_range, enum.reserved_name, of_enum=True)
        options = [
            f"option {option};"
            for option in self._options.lines(enum.options, "google.protobuf.EnumOptions")
        ]
        values = list(enum.value)
        if self._normalize:
            values.sort(key=lambda value: (value.number, value.name))
        value_options = "google.protobuf.EnumValueOptions"
        constants = [
            f"{value.name} = {value.number}"
            f"{option_list(self._options.lines(value.options, value_options))};"
            for value in values
        ]
        out = [f"enum {enum.name} {{"]
        if reserved:
            out.append("\n")
            out.extend(indented(line) for line in reserved)
        elif options or constants:
            out.append("\n")
        out.extend(indented(line) for line in [*options, *constants])
        out.append("}\n")
        return "".join(out)

    def _service(self, service: descriptor_pb2.ServiceDescriptorProto) -> str:
        options = [
            f"option {option};"
            for option in self._options.lines(service.options, "google.protobuf.ServiceOptions")
        ]
        rpcs = []
        for method in service.method:
            request = (
                f"stream {method.input_type}" if method.client_streaming else method.input_type
            )
            answer = (
                f"stream {method.output_type}" if method.server_streaming else method.output_type
            )
            method_options = self._options.lines(method.options, "google.protobuf.MethodOptions")
            body = ""
            if method_options:
                body = " {\n" + "".join(indented(f"option {o};") for o in method_options) + "}"
            rpcs.append(f"rpc {method.name} ({request}) returns ({answer}){body};")
        return self._block(f"service {service.name} {{", [options, rpcs])


def _span(start: int, end: int, maximum: int) -> str:
    if start == end:
        return str(start)
    return f"{start} to max" if end >= maximum else f"{start} to {end}"
