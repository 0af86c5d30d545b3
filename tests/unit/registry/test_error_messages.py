"""Every message the registry sends, byte for byte, with where Confluent writes it.

Sources are Confluent Schema Registry v8.3.1 (`core/src/main/java/io/confluent/kafka/
schemaregistry/`): E = `rest/exceptions/Errors.java`, ASR = `storage/AbstractSchemaRegistry.java`,
KSR = `storage/KafkaSchemaRegistry.java`, RX = `rest/exceptions/Rest*Exception.java`, and
Jersey's own texts through rest-utils' `WebApplicationExceptionMapper` (RU). "own" marks a
message with no Confluent counterpart: a rule this registry has and Confluent lacks, or a
detail Confluent takes from a Java library no Python one words the same.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from registry import errors
from registry.errors import RegistryError

ROWS: list[tuple[RegistryError, int, str, str]] = [
    (errors.NotAcceptableError(), 406, "HTTP 406 Not Acceptable", "RU"),
    (errors.UnsupportedMediaTypeError(), 415, "HTTP 415 Unsupported Media Type", "RU"),
    (errors.SubjectNotFoundError("s"), 40401, "Subject 's' not found.", "E"),
    (errors.VersionNotFoundError(3), 40402, "Version 3 not found.", "E"),
    (errors.SchemaNotFoundError(), 40403, "Schema not found", "E"),
    (errors.SchemaNotFoundError(7), 40403, "Schema 7 not found", "E"),
    (errors.SchemaNotFoundError("ab-cd"), 40403, "Schema ab-cd not found", "E"),
    (
        errors.SubjectSoftDeletedError("s"),
        40404,
        "Subject 's' was soft deleted.Set permanent=true to delete permanently",
        "E",
    ),
    (
        errors.SubjectNotSoftDeletedError("s"),
        40405,
        "Subject 's' was not deleted first before being permanently deleted",
        "E",
    ),
    (
        errors.VersionSoftDeletedError("s", 2),
        40406,
        "Subject 's' Version 2 was soft deleted.Set permanent=true to delete permanently",
        "E",
    ),
    (
        errors.VersionNotSoftDeletedError("s", 2),
        40407,
        "Subject 's' Version 2 was not deleted first before being permanently deleted",
        "E",
    ),
    (
        errors.SubjectCompatibilityNotConfiguredError("s"),
        40408,
        "Subject 's' does not have subject-level compatibility configured",
        "E",
    ),
    (
        errors.SubjectModeNotConfiguredError("s"),
        40409,
        "Subject 's' does not have subject-level mode configured",
        "E",
    ),
    (errors.AssociationNotFoundError("t"), 40410, "Association for 't' not found.", "E"),
    (
        errors.IncompatibleSchemaError("s", ["a", "b"]),
        409,
        'Schema being registered is incompatible with an earlier schema for subject "s", '
        "details: [a, b]",
        "E (the list as Java's List.toString prints it)",
    ),
    (errors.EmptySchemaError(), 42201, "Empty schema", "ASR"),
    (errors.UnsupportedSchemaTypeError("XML"), 42201, "Invalid schema type XML", "ASR"),
    (
        errors.AvroSchemaError("Unknown type: x"),
        42201,
        "Invalid schema of type AVRO, details: Unknown type: x",
        "ASR loadSchema's wrapping; the detail is own (Java Avro's words differ)",
    ),
    (
        errors.SchemaParseError("JSON", "a JSON Schema is an object or a boolean"),
        42201,
        "Invalid schema of type JSON, details: a JSON Schema is an object or a boolean",
        "ASR loadSchema's wrapping; the detail is own (everit's words differ)",
    ),
    (
        errors.ProtobufSchemaError('2:13: "Nope" is not defined.'),
        42201,
        'Invalid schema of type PROTOBUF, details: 2:13: "Nope" is not defined.',
        "ASR loadSchema's wrapping; the detail is protoc's (Confluent's parser is Wire's)",
    ),
    (
        errors.ReferenceNotFoundError("s", 2),
        42201,
        'Invalid schema of type AVRO, details: No schema reference found for subject "s" and '
        "version 2",
        "ASR wrapping client/.../AbstractSchemaProvider.java's text",
    ),
    (
        errors.ReferenceCycleError(),
        42201,
        "Invalid schema of type AVRO, details: Schema references nest too deeply (a cycle?)",
        "own: Confluent recurses until its stack overflows",
    ),
    (
        errors.VersionNotNextError(),
        42201,
        "Version is not one more than previous version",
        "KSR",
    ),
    (errors.AmbiguousFieldsError("x"), 42201, "Invalid schema: x", "own"),
    (
        errors.MalformedRequestError("references must be a list"),
        42201,
        "references must be a list",
        "own: Confluent gives Jackson's mapping text",
    ),
    (
        errors.InvalidVersionError("first"),
        42202,
        "The specified version 'first' is not a valid version id. "
        'Allowed values are between [1, 2^31-1] and the string "latest"',
        "RX RestInvalidVersionException",
    ),
    (
        errors.InvalidCompatibilityLevelError(),
        42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, "
        "backward_transitive, forward_transitive, and full_transitive",
        "RX RestInvalidCompatibilityException",
    ),
    (
        errors.InvalidModeError(),
        42204,
        "Invalid mode. Valid values are READWRITE, READONLY, and IMPORT.",
        "RX RestInvalidModeException, v8.0 (v8.1 adds FORWARD, a mode this registry lacks)",
    ),
    (
        errors.ReadOnlyModeError("s"),
        42205,
        "Subject s in context  is in read-only mode",
        "ASR, KSR",
    ),
    (
        errors.ReadOnlyModeError(None),
        42205,
        "Subject null in context  is in read-only mode",
        "KSR updateConfig with the registry's scope",
    ),
    (errors.NotImportModeError("s"), 42205, "Subject s in context  is not in import mode", "ASR"),
    (
        errors.NotReadWriteModeError("s"),
        42205,
        "Subject s in context  is not in read-write mode",
        "ASR",
    ),
    (
        errors.OverwriteSchemaError(5),
        42205,
        "Overwrite new schema with id 5 in context  is not permitted.",
        "ASR",
    ),
    (
        errors.ImportVersionExistsError("s", 4),
        42205,
        "Version 4 of subject 's' already exists",
        "own: Confluent overwrites the version",
    ),
    (
        errors.ImportedUnderOtherIdError(3, 9),
        42205,
        "The schema is already registered with id 3, not 9",
        "own: Confluent lets a schema have two ids",
    ),
    (errors.ImportWithSubjectsError(), 42205, "Cannot import since found existing subjects", "KSR"),
    (
        errors.ReferenceExistsError("s", 1),
        42206,
        "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=s,version=1}.",
        "RX RestReferenceExistsException with storage/SchemaKey.toString",
    ),
    (errors.InvalidSubjectError("s"), 42208, "The specified subject 's' is not a valid.", "E"),
    (errors.BadRequestError("x"), 400, "x", "own detail: Confluent gives Jackson's parser text"),
    (errors.MissingCredentialsError(), 40101, "Unauthorized: credentials are required", "own"),
    (errors.BadCredentialsError(), 40101, "Unauthorized: bad user name or password", "own"),
    (errors.ReadOnlyUserError(), 40301, "Forbidden: this user may only read", "own"),
    (errors.StoreError("x"), 50001, "x", "own detail: Confluent's name its Kafka store"),
]


@pytest.mark.parametrize(
    ("error", "code", "message", "source"), ROWS, ids=[type(row[0]).__name__ for row in ROWS]
)
def test_message(error: RegistryError, code: int, message: str, source: str) -> None:
    assert (int(error.error_code), error.message) == (code, message), source


def test_every_error_class_has_a_row() -> None:
    tabled = {type(row[0]) for row in ROWS}
    classes = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, RegistryError) and cls.__module__ == errors.__name__
    }
    # Bases that are only raised through a subclass.
    bases = {
        RegistryError,
        errors.InvalidSchemaError,
        errors.OperationNotPermittedError,
        errors.UnauthorizedError,
        errors.ForbiddenError,
    }
    assert classes - bases - tabled == set()


# Classes whose message is a detail the raiser words (a parser's or the database's).
_DETAIL_CARRIERS = {
    "AvroSchemaError",
    "ProtobufSchemaError",
    "SchemaParseError",
    "AmbiguousFieldsError",
    "MalformedRequestError",
    "BadRequestError",
    "StoreError",
}


def test_messages_are_written_in_errors_py_only() -> None:
    """A raise elsewhere passes values, never a text, unless its class carries a detail."""
    worded = []
    for path in Path(errors.__file__).parent.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            texts = [arg for arg in node.exc.args if isinstance(arg, ast.Constant | ast.JoinedStr)]
            if (
                name.endswith("Error")
                and hasattr(errors, name)
                and texts
                and name not in _DETAIL_CARRIERS
            ):
                worded.append(f"{path.name}:{node.lineno} {name}")
    assert worded == []
