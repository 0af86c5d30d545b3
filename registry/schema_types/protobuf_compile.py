"""Protobuf text to descriptors, by protoc: the compiler `grpcio-tools` ships, run in process.

`grpc_tools` offers protoc two ways: its command line, which writes a descriptor set to a
file but its errors to the process's stderr, and `get_protos`, which raises each error with
its file, line and column but answers the Python modules protoc generates. The second is
used, and each module's serialized `FileDescriptorProto` is read back from the constant
protoc writes into it: the errors are what a 42201 must say.

The files a schema imports are its references, by the name it imports them under, and the
types every Protobuf user may import without one (as Confluent resolves them): Google's
well-known types (`google/protobuf/*.proto`), Google's common types (`google/type/*.proto`)
and Confluent's own (`confluent/meta.proto`, `confluent/type/decimal.proto`).
"""

from __future__ import annotations

import ast
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import google.type
import grpc_tools
from confluent_kafka.schema_registry.confluent import meta_pb2
from confluent_kafka.schema_registry.confluent.type import decimal_pb2, variant_pb2
from google.protobuf import descriptor_pb2
from grpc_tools import _protoc_compiler

from registry.errors import ProtobufSchemaError

# The name a schema's own file has among its imports, which no reference may take.
MAIN_FILE = "__schema__.proto"
# Imports that need no reference: Confluent's list (`ProtobufSchema.KNOWN_DEPENDENCIES`).
KNOWN_IMPORTS = frozenset(
    [
        *(
            f"google/protobuf/{name}.proto"
            for name in (
                "any",
                "api",
                "descriptor",
                "duration",
                "empty",
                "field_mask",
                "source_context",
                "struct",
                "timestamp",
                "type",
                "wrappers",
            )
        ),
        *(
            f"google/type/{name}.proto"
            for name in (
                "calendar_period",
                "color",
                "date",
                "datetime",
                "dayofweek",
                "decimal",
                "expr",
                "fraction",
                "interval",
                "latlng",
                "money",
                "month",
                "phone_number",
                "postal_address",
                "quaternion",
                "timeofday",
            )
        ),
        "confluent/meta.proto",
        "confluent/type/decimal.proto",
        "confluent/type/variant.proto",
    ]
)
_WELL_KNOWN = Path(grpc_tools.__file__).parent / "_proto"
_COMMON_TYPES = Path(next(iter(google.type.__path__))).parent.parent


@dataclass(frozen=True)
class CompiledSchema:
    """A schema's file and every file it imports, directly or not, by import name."""

    file: descriptor_pb2.FileDescriptorProto
    imports: Mapping[str, descriptor_pb2.FileDescriptorProto]


def compile_schema(
    text: str, references: Mapping[str, str], confluent_files: Callable[[], Mapping[str, str]]
) -> CompiledSchema:
    """Compile ``text``, its imports being ``references`` (import name → text) and the
    known types; ``confluent_files`` gives the texts of Confluent's own files (printed from
    their descriptors, which is all `confluent_kafka` ships of them)."""
    for name in references:
        _check_import_name(name)
    with tempfile.TemporaryDirectory(prefix="registry-protobuf-") as folder:
        root = Path(folder)
        sources = {**confluent_files(), **references, MAIN_FILE: text}
        for name, source in sources.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding="utf-8")
        include = [os.fsencode(path) for path in (root, _WELL_KNOWN, _COMMON_TYPES)]
        with _PROTOC:
            try:
                modules = _protoc_compiler.get_protos(MAIN_FILE.encode(), include)
            except _protoc_compiler.ProtocErrors as errors:
                raise ProtobufSchemaError(_described(errors.errors())) from None
    files = [_descriptor_of(code) for _, code in modules]
    by_name = {file.name: file for file in files}
    main = by_name.pop(MAIN_FILE)
    for file in (main, *by_name.values()):
        for imported in file.dependency:
            if imported not in references and imported not in KNOWN_IMPORTS:
                raise ProtobufSchemaError(
                    f"the import {imported!r} is neither a reference nor a known type"
                )
    return CompiledSchema(main, by_name)


# protoc keeps state of its own between runs: one at a time.
_PROTOC = threading.Lock()


def _check_import_name(name: str) -> None:
    path = PurePosixPath(name)
    if (
        not name.endswith(".proto")
        or path.is_absolute()
        or ".." in path.parts
        or name == MAIN_FILE
        or "\\" in name
    ):
        raise ProtobufSchemaError(
            f"the reference name {name!r} is not a relative path to a .proto file"
        )


def _described(errors: list[object]) -> str:
    """protoc's errors as `line:column: message`, in protoc's order; an imported file's
    are prefixed with its name."""
    lines = []
    for error in errors:
        file = _text(getattr(error, "filename", b""))
        line, column = getattr(error, "line", -1), getattr(error, "column", -1)
        # protoc counts lines and columns from 0 (-1: the file as a whole); editors (and
        # Confluent's parser) from 1.
        where = [] if line < 0 else [f"{line + 1}:{column + 1}"]
        prefix = ":".join(where if file == MAIN_FILE else [file, *where])
        lines.append(f"{prefix}: {_text(getattr(error, 'message', b''))}")
    return "; ".join(lines) or "protoc refused the schema"


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _descriptor_of(module_code: bytes) -> descriptor_pb2.FileDescriptorProto:
    """The file descriptor a generated module registers (`AddSerializedFile(b'...')`)."""
    for node in ast.walk(ast.parse(module_code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            return descriptor_pb2.FileDescriptorProto.FromString(node.args[0].value)
    raise ProtobufSchemaError("protoc gave no descriptor")


def confluent_descriptors() -> list[descriptor_pb2.FileDescriptorProto]:
    """Confluent's own files, as `confluent_kafka` ships them."""
    files = []
    for module in (meta_pb2, decimal_pb2, variant_pb2):
        file = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(file)
        files.append(file)
    return files
