"""What the registry stored survives a restart of its process, deletes included."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import requests

from stack.apps import RegistryApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def test_permanent_delete_survives_a_restart(tmp_path: Path) -> None:
    settings = StackSettings(
        stack_dir=tmp_path,
        registry_port=free_port(),
        database_url=f"sqlite:///{tmp_path / 'registry.db'}",
    )
    app = RegistryApp(settings)
    kept, dropped = (f"{name}-{uuid.uuid4().hex[:6]}-value" for name in ("kept", "dropped"))
    body = json.dumps({"schema": json.dumps({"type": "record", "name": "R", "fields": []})})
    start_service(app, echo=lambda _line: None)
    try:
        for subject in (kept, dropped):
            url = f"{app.url}/subjects/{subject}/versions"
            assert requests.post(url, data=body, headers=CONTENT_TYPE, timeout=10).ok
        requests.delete(f"{app.url}/subjects/{dropped}", timeout=10).raise_for_status()
        permanent = f"{app.url}/subjects/{dropped}?permanent=true"
        requests.delete(permanent, timeout=10).raise_for_status()
    finally:
        app.process.stop(timeout=20.0)

    start_service(app, echo=lambda _line: None)
    try:
        subjects = requests.get(f"{app.url}/subjects?deleted=true", timeout=10).json()
        assert kept in subjects
        assert dropped not in subjects
        gone = requests.get(f"{app.url}/subjects/{dropped}/versions", timeout=10)
        assert gone.json()["error_code"] == 40401
    finally:
        app.process.stop(timeout=20.0)
