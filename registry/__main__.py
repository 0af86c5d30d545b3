"""`python -m registry`: the Schema Registry served by gunicorn."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from platform_common.logs import configure_logging
from registry.app import create_app
from registry.paths import WsgiApp, keep_encoded_slashes
from registry.settings import RegistrySettings
from registry.storage import open_store


class RegistryServer(BaseApplication):
    def __init__(self, settings: RegistrySettings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "threads": self.settings.threads,
            "worker_class": "gthread",
            "accesslog": None,
            "loglevel": self.settings.log_level.lower(),
            "graceful_timeout": 10,
            # Jetty's default under Confluent: 8 KiB request lines (long subject names).
            "limit_request_line": 8190,
            # The default control socket is one path per user: every other gunicorn of this
            # user (a second registry, the API) would share it.
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> WsgiApp:
        configure_logging(self.settings.log_level)
        return keep_encoded_slashes(create_app(self.settings))


def main() -> None:
    settings = RegistrySettings()
    configure_logging(settings.log_level)
    # Migrate once in the master, before workers fork and connect.
    store = open_store(settings.database_url)
    store.migrate()
    store.close()
    RegistryServer(settings).run()


if __name__ == "__main__":
    main()
