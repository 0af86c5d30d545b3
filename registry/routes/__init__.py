"""HTTP routes: parse the request, call the service, render Confluent's JSON. No rules here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request

from registry.configuration import ConfigService
from registry.model import StoredSchema
from registry.service import RegistryService


@dataclass(frozen=True)
class Services:
    registry: RegistryService
    config: ConfigService


def services() -> Services:
    found: Services = current_app.extensions["registry"]
    return found


def in_format(body: dict[str, Any], schema: StoredSchema) -> dict[str, Any]:
    """``body`` with its schema text in the `format` the request asks for, if any."""
    fmt = request.args.get("format")
    if fmt:
        body["schema"] = services().registry.formatted_text(schema, fmt)
    return body


def text_in_format(schema: StoredSchema) -> str:
    return services().registry.formatted_text(schema, request.args.get("format"))
