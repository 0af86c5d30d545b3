"""Registry errors: each carries its HTTP status and Confluent error code.

Codes and message texts follow Confluent Schema Registry's `rest/exceptions/Errors.java`, so
clients that branch on `error_code` behave as they do against Confluent. Every error class
of the registry lives here, and every error_code it sends is an `ErrorCode` member.
"""

from __future__ import annotations

from contract.error_codes import ErrorCode


class RegistryError(Exception):
    """Base of every error the API reports; subclasses fix the status and code."""

    http_status = 500
    error_code = ErrorCode.STORE_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(RegistryError):
    """A body that is not JSON, as Confluent answers it (error_code = HTTP status); the
    detail is this registry's, where Confluent gives Jackson's parser message."""

    http_status = 400
    error_code = ErrorCode.BAD_REQUEST


class NotAcceptableError(RegistryError):
    """The client accepts none of the registry's media types."""

    http_status = 406
    error_code = ErrorCode.NOT_ACCEPTABLE

    def __init__(self) -> None:
        super().__init__("HTTP 406 Not Acceptable")


class UnsupportedMediaTypeError(RegistryError):
    """A body in a media type the registry does not read."""

    http_status = 415
    error_code = ErrorCode.UNSUPPORTED_MEDIA_TYPE

    def __init__(self) -> None:
        super().__init__("HTTP 415 Unsupported Media Type")


class UnauthorizedError(RegistryError):
    http_status = 401
    error_code = ErrorCode.UNAUTHORIZED


class MissingCredentialsError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("Unauthorized: credentials are required")


class BadCredentialsError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("Unauthorized: bad user name or password")


class ForbiddenError(RegistryError):
    http_status = 403
    error_code = ErrorCode.FORBIDDEN


class ReadOnlyUserError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("Forbidden: this user may only read")


class SubjectNotFoundError(RegistryError):
    http_status = 404
    error_code = ErrorCode.SUBJECT_NOT_FOUND

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.")


class VersionNotFoundError(RegistryError):
    http_status = 404
    error_code = ErrorCode.VERSION_NOT_FOUND

    def __init__(self, version: int) -> None:
        super().__init__(f"Version {version} not found.")


class SchemaNotFoundError(RegistryError):
    http_status = 404
    error_code = ErrorCode.SCHEMA_NOT_FOUND

    def __init__(self, schema_id: int | str | None = None) -> None:
        found = "Schema not found" if schema_id is None else f"Schema {schema_id} not found"
        super().__init__(found)


class SubjectSoftDeletedError(RegistryError):
    http_status = 404
    error_code = ErrorCode.SUBJECT_SOFT_DELETED

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
        )


class SubjectNotSoftDeletedError(RegistryError):
    http_status = 404
    error_code = ErrorCode.SUBJECT_NOT_SOFT_DELETED

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was not deleted first before being permanently deleted"
        )


class VersionSoftDeletedError(RegistryError):
    http_status = 404
    error_code = ErrorCode.VERSION_SOFT_DELETED

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was soft deleted."
            "Set permanent=true to delete permanently"
        )


class VersionNotSoftDeletedError(RegistryError):
    http_status = 404
    error_code = ErrorCode.VERSION_NOT_SOFT_DELETED

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was not deleted first "
            "before being permanently deleted"
        )


class SubjectCompatibilityNotConfiguredError(RegistryError):
    http_status = 404
    error_code = ErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' does not have subject-level compatibility configured"
        )


class SubjectModeNotConfiguredError(RegistryError):
    http_status = 404
    error_code = ErrorCode.SUBJECT_MODE_NOT_CONFIGURED

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level mode configured")


class AssociationNotFoundError(RegistryError):
    http_status = 404
    error_code = ErrorCode.ASSOCIATION_NOT_FOUND

    def __init__(self, resource: str) -> None:
        super().__init__(f"Association for '{resource}' not found.")


class IncompatibleSchemaError(RegistryError):
    http_status = 409
    error_code = ErrorCode.INCOMPATIBLE_SCHEMA

    def __init__(self, subject: str, messages: list[str]) -> None:
        details = ", ".join(messages)
        super().__init__(
            "Schema being registered is incompatible with an earlier schema for subject "
            f'"{subject}", details: [{details}]'
        )
        self.messages = messages


class InvalidSchemaError(RegistryError):
    http_status = 422
    error_code = ErrorCode.INVALID_SCHEMA


class EmptySchemaError(InvalidSchemaError):
    def __init__(self) -> None:
        super().__init__("Empty schema")


class UnsupportedSchemaTypeError(InvalidSchemaError):
    def __init__(self, schema_type: str) -> None:
        super().__init__(f"Invalid schema type {schema_type}")


class SchemaParseError(InvalidSchemaError):
    """A schema its type's parser refuses. Confluent's wrapping, around this registry's
    parser's detail (Confluent's are Java parsers', which no Python parser words the same)."""

    def __init__(self, schema_type: str, detail: str) -> None:
        super().__init__(f"Invalid schema of type {schema_type}, details: {detail}")


class AvroSchemaError(SchemaParseError):
    def __init__(self, detail: str) -> None:
        super().__init__("AVRO", detail)


class ProtobufSchemaError(SchemaParseError):
    def __init__(self, detail: str) -> None:
        super().__init__("PROTOBUF", detail)


class ReferenceNotFoundError(AvroSchemaError):
    def __init__(self, subject: str, version: int) -> None:
        super().__init__(f'No schema reference found for subject "{subject}" and version {version}')


class ReferenceCycleError(AvroSchemaError):
    def __init__(self) -> None:
        super().__init__("Schema references nest too deeply (a cycle?)")


class AmbiguousFieldsError(InvalidSchemaError):
    """Fields the compatibility checker cannot tell apart (the detail names them)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid schema: {detail}")


class MalformedRequestError(InvalidSchemaError):
    """A body of the right JSON but the wrong shape; Confluent refuses it with Jackson's
    mapping message, which this registry does not imitate."""


class VersionNotNextError(InvalidSchemaError):
    def __init__(self) -> None:
        super().__init__("Version is not one more than previous version")


class InvalidVersionError(RegistryError):
    http_status = 422
    error_code = ErrorCode.INVALID_VERSION

    def __init__(self, version: str) -> None:
        super().__init__(
            f"The specified version '{version}' is not a valid version id. "
            'Allowed values are between [1, 2^31-1] and the string "latest"'
        )


class InvalidCompatibilityLevelError(RegistryError):
    http_status = 422
    error_code = ErrorCode.INVALID_COMPATIBILITY_LEVEL

    def __init__(self) -> None:
        super().__init__(
            "Invalid compatibility level. Valid values are none, backward, forward, full, "
            "backward_transitive, forward_transitive, and full_transitive"
        )


class InvalidModeError(RegistryError):
    http_status = 422
    error_code = ErrorCode.INVALID_MODE

    def __init__(self) -> None:
        super().__init__("Invalid mode. Valid values are READWRITE, READONLY, and IMPORT.")


class OperationNotPermittedError(RegistryError):
    http_status = 422
    error_code = ErrorCode.OPERATION_NOT_PERMITTED


# Confluent names the subject's context in 42205 texts; the default context is "", so its
# texts carry two spaces ("in context  is"). A missing subject (the registry's own scope)
# prints as Java prints null.
def _in_context(subject: str | None) -> str:
    return f"Subject {'null' if subject is None else subject} in context "


class ReadOnlyModeError(OperationNotPermittedError):
    def __init__(self, subject: str | None) -> None:
        super().__init__(f"{_in_context(subject)} is in read-only mode")


class NotImportModeError(OperationNotPermittedError):
    def __init__(self, subject: str) -> None:
        super().__init__(f"{_in_context(subject)} is not in import mode")


class NotReadWriteModeError(OperationNotPermittedError):
    def __init__(self, subject: str) -> None:
        super().__init__(f"{_in_context(subject)} is not in read-write mode")


class OverwriteSchemaError(OperationNotPermittedError):
    """IMPORT of an id that names another schema, or of a schema stored under another id."""

    def __init__(self, schema_id: int) -> None:
        super().__init__(f"Overwrite new schema with id {schema_id} in context  is not permitted.")


class ImportVersionExistsError(OperationNotPermittedError):
    """IMPORT of a version number the subject already holds (Confluent overwrites it; this
    registry keeps versions immutable)."""

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(f"Version {version} of subject '{subject}' already exists")


class ImportedUnderOtherIdError(OperationNotPermittedError):
    """IMPORT of a schema this registry already holds under another id (ids name one schema
    each here, and a schema has one id)."""

    def __init__(self, registered_id: int, requested_id: int) -> None:
        super().__init__(
            f"The schema is already registered with id {registered_id}, not {requested_id}"
        )


class ImportWithSubjectsError(OperationNotPermittedError):
    def __init__(self) -> None:
        super().__init__("Cannot import since found existing subjects")


class ReferenceExistsError(RegistryError):
    http_status = 422
    error_code = ErrorCode.REFERENCE_EXISTS

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            "One or more references exist to the schema "
            f"{{magic=1,keytype=SCHEMA,subject={subject},version={version}}}."
        )


class InvalidSubjectError(RegistryError):
    http_status = 422
    error_code = ErrorCode.INVALID_SUBJECT

    def __init__(self, subject: str) -> None:
        # Confluent's text, "a" and all.
        super().__init__(f"The specified subject '{subject}' is not a valid.")


class StoreError(RegistryError):
    """The database failed; the detail says how (Confluent's texts name its Kafka store)."""

    http_status = 500
    error_code = ErrorCode.STORE_ERROR
