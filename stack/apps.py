"""The platform's own Python services, run from this checkout's virtual environment."""

from __future__ import annotations

import os
import sys

import requests

from stack.services import Service


class RegistryApp(Service):
    """The Schema Registry (`python -m registry`), on the stack's PostgreSQL."""

    name = "registry"
    depends_on = ("postgres",)
    ready_timeout = 60.0

    @property
    def port(self) -> int:
        return self.settings.registry_port

    def ports(self) -> dict[str, int]:
        return {"REGISTRY_PORT": self.settings.registry_port}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "registry"]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "REGISTRY_HOST": "127.0.0.1",
            "REGISTRY_PORT": str(self.port),
            "REGISTRY_DATABASE_URL": self.settings.effective_database_url,
        }

    def is_ready(self) -> bool:
        try:
            return requests.get(self.url + "/", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def address(self) -> str:
        return self.url

    def exports(self) -> dict[str, str]:
        return {"REGISTRY_URL": self.url}
