"""HTTP routes: parse the request, call the service, render Confluent's JSON. No rules here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from registry.configuration import ConfigService
from registry.service import RegistryService


@dataclass(frozen=True)
class Services:
    registry: RegistryService
    config: ConfigService


def services() -> Services:
    found: Services = current_app.extensions["registry"]
    return found
