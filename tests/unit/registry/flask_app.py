"""The registry's Flask app on a SQLite file of the test's own, migrated as the service is."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from registry.app import create_app
from registry.settings import RegistrySettings
from registry.storage import open_store


def make_registry_app(folder: Path, settings: RegistrySettings | None = None) -> Flask:
    store = open_store(f"sqlite:///{folder / 'registry.db'}")
    # create_app does not migrate: `python -m registry` does, once, before its workers start.
    store.migrate()
    return create_app(settings or RegistrySettings(), store=store)
