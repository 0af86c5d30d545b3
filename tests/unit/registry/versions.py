"""A subject's versions checked as a registration checks them, for the level tests."""

from __future__ import annotations

from contract.compatibility import CompatibilityLevel, ExistingSchema
from registry.schema import ParsedSchema
from registry.schema_types import check_compatibility


def verdict_over(chain: list[ParsedSchema], level: CompatibilityLevel) -> list[str]:
    """The messages of registering the last of ``chain`` after the others (versions 1, 2,
    …) at ``level``; empty when compatible."""
    *earlier, newest = chain
    existing = [
        ExistingSchema(number, schema, schema.canonical)
        for number, schema in enumerate(earlier, start=1)
    ]
    return check_compatibility(newest, existing, level).messages()
