"""Protobuf schemas (`schemaType` `PROTOBUF`): parsed by protoc into descriptors, printed
back as one canonical text, and compared by `protobuf_diff`.

A schema comes as `.proto` text or, as `confluent_kafka`'s serializer sends it, as a
base64 serialized `FileDescriptorProto` (Confluent reads the second when the first does
not parse). Either way the registry keeps the text printed from the compiled descriptor, so
both spellings of one schema are one schema. Its imports are its references, by the name
the `import` statement gives, and the known types (see `protobuf_compile`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError

from contract.schema_types import PROTOBUF
from registry.errors import EmptySchemaError, ProtobufSchemaError
from registry.schema import PLAIN, ParsedSchema, ParseOptions, ResolvedReference
from registry.schema_types.protobuf_compile import (
    CompiledSchema,
    compile_schema,
    confluent_descriptors,
)
from registry.schema_types.protobuf_text import print_file

# The name Confluent gives a schema's file in its serialized form.
SERIALIZED_NAME = "default"
SERIALIZED = "serialized"


@dataclass(frozen=True)
class ProtobufModel:
    """What the checker compares: the schema's file, the files it imports (by import
    name), and the version each reference names (subject, version), by import name."""

    compiled: CompiledSchema
    references: Mapping[str, tuple[str, int]]

    @property
    def file(self) -> descriptor_pb2.FileDescriptorProto:
        return self.compiled.file


def parse_protobuf(text: str, options: ParseOptions = PLAIN) -> ParsedSchema:
    """Parse ``text`` (`.proto` text, or a base64 `FileDescriptorProto`); 42201 saying what
    is wrong."""
    if not text or not text.strip():
        raise EmptySchemaError()
    sources = _sources(options.references)
    # As Confluent, a schema may be a descriptor in base64 (Confluent tries it when the text
    # does not parse). Looked at first: no `.proto` text is base64, and a descriptor would
    # cost a protoc run to fail as text.
    descriptor = _descriptor_in(text)
    if descriptor is not None:
        text = _printed_descriptor(descriptor, sources)
    compiled = compile_schema(text, sources, _confluent_files)
    _check_supported(compiled.file)
    references = [resolved.reference for resolved in options.references]
    model = ProtobufModel(
        compiled,
        {reference.name: (reference.subject, reference.version) for reference in references},
    )
    canonical = print_file(compiled.file, compiled.imports.values(), normalize=options.normalize)
    return options.parsed(canonical, model, PROTOBUF)


def _sources(references: Sequence[ResolvedReference]) -> dict[str, str]:
    """The text of every file the references import, directly or not, by import name (a
    file's name is its importer's to give, so one schema may come under two names). The
    first found under a name is kept, nearest the schema first, as Confluent keeps it."""
    sources: dict[str, str] = {}
    level = list(references)
    while level:
        for resolved in level:
            sources.setdefault(resolved.reference.name, resolved.text)
        level = [nested for resolved in level for nested in resolved.nested]
    return sources


def _check_supported(file: descriptor_pb2.FileDescriptorProto) -> None:
    """Refuse what the registry cannot print back as it was: editions files, and proto2
    groups (which would come back as message fields, another wire encoding)."""
    if file.syntax == "editions":
        raise ProtobufSchemaError("editions are not supported; write proto2 or proto3")
    messages = list(file.message_type)
    while messages:
        message = messages.pop()
        if any(field.type == field.TYPE_GROUP for field in message.field):
            raise ProtobufSchemaError(f"groups are not supported (in message {message.name})")
        messages.extend(message.nested_type)


def normalized_text(parsed: ParsedSchema) -> str:
    """What ``normalize`` makes of a parsed schema's text."""
    model: ProtobufModel = parsed.model
    return print_file(model.file, model.compiled.imports.values(), normalize=True)


def formatted_text(parsed: ParsedSchema, fmt: str) -> str:
    """The schema in Confluent's `format` `serialized` (the only one it writes itself): the
    base64 of its file descriptor, named `default`."""
    if fmt != SERIALIZED:
        raise ValueError(f"no Protobuf format {fmt!r}")
    model: ProtobufModel = parsed.model
    file = descriptor_pb2.FileDescriptorProto()
    file.CopyFrom(model.file)
    file.name = SERIALIZED_NAME
    return base64.standard_b64encode(file.SerializeToString()).decode("ascii")


def _descriptor_in(text: str) -> descriptor_pb2.FileDescriptorProto | None:
    """The file descriptor ``text`` encodes in base64, if it is one."""
    try:
        encoded = base64.b64decode(text.strip(), validate=True)
        descriptor = descriptor_pb2.FileDescriptorProto.FromString(encoded)
    except (binascii.Error, ValueError, DecodeError):
        return None
    return descriptor if encoded and descriptor.ByteSize() else None


def _printed_descriptor(
    descriptor: descriptor_pb2.FileDescriptorProto, sources: Mapping[str, str]
) -> str:
    """A descriptor's text; its imports are compiled first, for the custom options it may
    set."""
    stub = "".join(f'import "{name}";\n' for name in descriptor.dependency)
    imports = compile_schema(f'syntax = "proto3";\n{stub}', sources, _confluent_files).imports
    return print_file(descriptor, imports.values())


@cache
def _confluent_files() -> dict[str, str]:
    """Confluent's own files as text, printed once from `confluent_kafka`'s descriptors."""
    files = confluent_descriptors()
    return {file.name: print_file(file, files) for file in files}
