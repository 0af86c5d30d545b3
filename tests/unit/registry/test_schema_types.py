"""The schema types the registry serves are named alike everywhere a client reads them."""

from __future__ import annotations

import json
from importlib import resources

from registry.schema_types import SUPPORTED_TYPES


def test_the_openapi_document_lists_the_served_types() -> None:
    document = json.loads(resources.files("registry").joinpath("openapi.json").read_text())
    assert document["components"]["schemas"]["SchemaType"]["enum"] == list(SUPPORTED_TYPES)
