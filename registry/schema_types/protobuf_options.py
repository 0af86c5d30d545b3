"""Options as a Protobuf schema's text writes them: `name = value`, the standard options of
descriptor.proto in their declared order, then custom ones (extensions of an options
message, such as Confluent's `(confluent.field_meta)`), whose values are read with the
files that declare them. An aggregate value is written as Confluent writes one, in text
format protoc reads back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from registry.errors import ProtobufSchemaError

# Option fields a schema never writes itself: features are editions' own, uninterpreted
# options are resolved by protoc before a descriptor exists, and a map entry's option is
# written as the `map<K, V>` field.
UNWRITTEN = {"features", "uninterpreted_option", "map_entry"}
_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
}


class OptionsPrinter:
    """The options of one file's elements, custom ones decoded with its imports."""

    def __init__(self, files: Iterable[descriptor_pb2.FileDescriptorProto], *, sort: bool) -> None:
        self._files = list(files)
        self._sorted = sort
        self._pool: descriptor_pool.DescriptorPool | None = None

    def lines(self, options: Message, message_name: str) -> list[str]:
        """``options`` as `name = value` lines: the standard ones in their declared order,
        then custom ones (extensions, read with the files that declare them)."""
        if not options.ByteSize():
            return []
        decoded = self._decoded(options, message_name)
        fields = sorted(decoded.ListFields(), key=lambda item: _declared_order(item[0]))
        lines: list[str] = []
        for field, value in fields:
            if field.name in UNWRITTEN and not field.is_extension:
                continue
            name = f"({field.full_name})" if field.is_extension else field.name
            values = value if field.is_repeated else [value]
            lines.extend(f"{name} = {value_text(field, item)}" for item in values)
        if self._sorted:
            # By the option's name, its parentheses aside, as Confluent sorts them.
            lines.sort(key=lambda line: line.lstrip("("))
        return lines

    def _decoded(self, options: Message, message_name: str) -> Message:
        """``options`` read again with every file's extensions known: parsed without them,
        custom options are unknown fields, which would print as nothing."""
        cls = GetMessageClass(self._options_pool().FindMessageTypeByName(message_name))
        return cls.FromString(options.SerializeToString())

    def _options_pool(self) -> descriptor_pool.DescriptorPool:
        if self._pool is None:
            pool = descriptor_pool.DescriptorPool()
            added = {descriptor_pb2.DESCRIPTOR.name}
            pool.AddSerializedFile(descriptor_pb2.DESCRIPTOR.serialized_pb)
            for file in self._files:
                if file.name not in added:
                    try:
                        pool.Add(file)
                    except (TypeError, KeyError, ValueError) as error:
                        raise ProtobufSchemaError(
                            f"the options of {file.name} cannot be read: {error}"
                        ) from error
                    added.add(file.name)
            self._pool = pool
        return self._pool


def _declared_order(field: FieldDescriptor) -> tuple[int, int]:
    if field.is_extension or field.containing_type is None:
        return (1, field.number)
    return (0, field.containing_type.fields.index(field))


def value_text(field: FieldDescriptor, value: Any) -> str:
    """An option's value as protoc reads it back: aggregates in text format."""
    if field.type == FieldDescriptor.TYPE_MESSAGE or field.type == FieldDescriptor.TYPE_GROUP:
        return _aggregate(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = field.enum_type.values_by_number.get(value) if field.enum_type else None
        return known.name if known is not None else str(value)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "true" if value else "false"
    if field.type == FieldDescriptor.TYPE_STRING:
        return f'"{escaped(value)}"'
    if field.type == FieldDescriptor.TYPE_BYTES:
        return '"' + "".join(_byte(b) for b in value) + '"'
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def _aggregate(message: Message) -> str:
    """A message value as Confluent writes one: `{` then `name: value` lines, `}`."""
    entries = []
    for field, value in message.ListFields():
        name = f"[{field.full_name}]" if field.is_extension else field.name
        if field.message_type is not None and _is_map(field):
            key, item = (
                field.message_type.fields_by_name["key"],
                field.message_type.fields_by_name["value"],
            )
            pairs = [
                "{\n"
                + "".join(
                    indented_lines(f"key: {value_text(key, k)},\nvalue: {value_text(item, v)}")
                )
                + "}"
                for k, v in value.items()
            ]
            entries.append(f"{name}: {_list(pairs)}")
        elif field.is_repeated:
            items = [value_text(field, item) for item in value]
            entries.append(f"{name}: {_list(items)}")
        else:
            entries.append(f"{name}: {value_text(field, value)}")
    if not entries:
        return "{}"
    body = ",\n".join(entries)
    return "{\n" + "".join(indented_lines(body)) + "}"


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _list(items: list[str]) -> str:
    if len(items) == 1:
        return f"[{items[0]}]"
    return "[\n" + "".join(indented_lines(",\n".join(items))) + "]"


def option_list(options: list[str]) -> str:
    if not options:
        return ""
    if len(options) == 1:
        return f" [{options[0]}]"
    return " [\n" + "".join(indented_lines(",\n".join(options))) + "]"


def indented(text: str) -> str:
    return "".join(indented_lines(text))


def indented_lines(text: str) -> Iterator[str]:
    """Each line of ``text`` two spaces in, as Confluent's `appendIndented` writes it (Java's
    split drops trailing empty lines; an empty line inside keeps its indent)."""
    lines = text.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        yield f"  {line}\n"


def escaped(text: str) -> str:
    """``text`` as a string literal's content that protoc reads back: quotes, backslashes
    and control characters escaped."""
    return "".join(_escaped_char(char) for char in text)


def _escaped_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\{ord(char):03o}" if ord(char) < 0x20 or ord(char) == 0x7F else char


def _byte(value: int) -> str:
    char = chr(value)
    if char in _ESCAPES:
        return _ESCAPES[char]
    return char if 32 <= value < 127 else f"\\{value:03o}"
