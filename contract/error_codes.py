"""Confluent Schema Registry's `error_code` values (`rest/exceptions/Errors.java`).

The registry sends them; the relay, the consumer and the CLI branch on them in what a
registry (this one or Confluent's) answers.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    # rest-utils answers what the framework refuses (no such route or method, a media type,
    # a body that is not JSON) with the HTTP status as error_code, and a crash with 500.
    BAD_REQUEST = 400
    NOT_FOUND = 404
    METHOD_NOT_ALLOWED = 405
    NOT_ACCEPTABLE = 406
    UNSUPPORTED_MEDIA_TYPE = 415
    INTERNAL_SERVER_ERROR = 500
    UNAUTHORIZED = 40101
    # Confluent's authorizer answers a denied operation with 403 and 40301.
    FORBIDDEN = 40301
    SUBJECT_NOT_FOUND = 40401
    VERSION_NOT_FOUND = 40402
    SCHEMA_NOT_FOUND = 40403
    SUBJECT_SOFT_DELETED = 40404
    SUBJECT_NOT_SOFT_DELETED = 40405
    VERSION_SOFT_DELETED = 40406
    VERSION_NOT_SOFT_DELETED = 40407
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408
    SUBJECT_MODE_NOT_CONFIGURED = 40409
    ASSOCIATION_NOT_FOUND = 40410
    # Confluent's published API answers an incompatible schema with error_code 409.
    INCOMPATIBLE_SCHEMA = 409
    INVALID_SCHEMA = 42201
    INVALID_VERSION = 42202
    INVALID_COMPATIBILITY_LEVEL = 42203
    INVALID_MODE = 42204
    OPERATION_NOT_PERMITTED = 42205
    REFERENCE_EXISTS = 42206
    INVALID_SUBJECT = 42208
    STORE_ERROR = 50001

    @classmethod
    def of_http_status(cls, status: int) -> ErrorCode | int:
        """The error_code of an error the framework raised: its status, as rest-utils sends.

        Routing raises only 404 and 405, werkzeug a 400 at most; another status would be
        sent as its bare number, as before, rather than turned into a wrong code."""
        try:
            return cls(status)
        except ValueError:
            return status


# What a lookup of a schema answers when the registry does not hold it.
SCHEMA_NOT_FOUND_CODES = frozenset({ErrorCode.SUBJECT_NOT_FOUND, ErrorCode.SCHEMA_NOT_FOUND})
