"""How the platform reaches a Schema Registry through `confluent_kafka`'s client and serdes:
the client's settings, and what a caller has to catch.

Settings come from the variables every client reads: REGISTRY_URL (one URL, or several
instances' comma-separated), REGISTRY_BASIC_AUTH (`user:password`, as Confluent's clients
take it in `basic.auth.user.info`) and REGISTRY_CA_FILE (a PEM file of the authorities that
sign an https registry's certificate, when the system's do not).

The client raises `SchemaRegistryError` for an answer it did not like, and its HTTP library's
own errors when no answer came at all. That library is httpx2 on Python 3.10 and later (the
client's `schemaregistry` extra requires it there); this module is the one place that says
so, so that no caller reaches into the client's private modules for it.
"""

from __future__ import annotations

from pathlib import Path

import httpx2
from confluent_kafka.schema_registry.error import SchemaRegistryError

from contract.error_codes import SCHEMA_NOT_FOUND_CODES

# The variables every client of the registry reads.
URL_VARIABLE = "REGISTRY_URL"
BASIC_AUTH_VARIABLE = "REGISTRY_BASIC_AUTH"
CA_FILE_VARIABLE = "REGISTRY_CA_FILE"

# No answer from the registry: refused, reset, timed out, not resolved.
REGISTRY_UNREACHABLE: tuple[type[Exception], ...] = (httpx2.TransportError,)
# The registry could not be asked: an error answer, or none.
REGISTRY_FAILED: tuple[type[Exception], ...] = (SchemaRegistryError, *REGISTRY_UNREACHABLE)


def registry_client_config(
    url: str, *, basic_auth: str | None = None, ca_file: Path | str | None = None
) -> dict[str, str]:
    """The SchemaRegistryClient configuration."""
    config = {"url": url}
    if basic_auth:
        config["basic.auth.user.info"] = basic_auth
    if ca_file:
        config["ssl.ca.location"] = str(ca_file)
    return config


def basic_auth_pair(basic_auth: str) -> tuple[str, str]:
    """(user, password) of a `user:password` value (the password may hold `:`).

    Raises:
        ValueError: no `:` in the value (Confluent's client refuses it too).
    """
    user, colon, password = basic_auth.partition(":")
    if not colon:
        raise ValueError(f"{BASIC_AUTH_VARIABLE} must be user:password")
    return user, password


def is_schema_not_found(error: SchemaRegistryError) -> bool:
    """The registry answered that it holds no such subject or schema."""
    return error.http_status_code == 404 and error.error_code in SCHEMA_NOT_FOUND_CODES
