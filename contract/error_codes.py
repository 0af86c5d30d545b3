"""Confluent Schema Registry's `error_code` values (`rest/exceptions/Errors.java`).

The registry sends them; the relay, the consumer and the CLI branch on them in what a
registry (this one or Confluent's) answers.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    UNAUTHORIZED = 40101
    SUBJECT_NOT_FOUND = 40401
    VERSION_NOT_FOUND = 40402
    SCHEMA_NOT_FOUND = 40403
    SUBJECT_SOFT_DELETED = 40404
    SUBJECT_NOT_SOFT_DELETED = 40405
    VERSION_SOFT_DELETED = 40406
    VERSION_NOT_SOFT_DELETED = 40407
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408
    SUBJECT_MODE_NOT_CONFIGURED = 40409
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


# What a lookup of a schema answers when the registry does not hold it.
SCHEMA_NOT_FOUND_CODES = frozenset({ErrorCode.SUBJECT_NOT_FOUND, ErrorCode.SCHEMA_NOT_FOUND})
