"""What a caller of `confluent_kafka`'s registry client and serdes has to catch.

The client raises `SchemaRegistryError` for an answer it did not like, and its HTTP library's
own errors when no answer came at all. That library is httpx2 on Python 3.10 and later (the
client's `schemaregistry` extra requires it there); this module is the one place that says
so, so that no caller reaches into the client's private modules for it.
"""

from __future__ import annotations

import httpx2
from confluent_kafka.schema_registry.error import SchemaRegistryError

from contract.error_codes import SCHEMA_NOT_FOUND_CODES

# No answer from the registry: refused, reset, timed out, not resolved.
REGISTRY_UNREACHABLE: tuple[type[Exception], ...] = (httpx2.TransportError,)
# The registry could not be asked: an error answer, or none.
REGISTRY_FAILED: tuple[type[Exception], ...] = (SchemaRegistryError, *REGISTRY_UNREACHABLE)


def is_schema_not_found(error: SchemaRegistryError) -> bool:
    """The registry answered that it holds no such subject or schema."""
    return error.http_status_code == 404 and error.error_code in SCHEMA_NOT_FOUND_CODES
