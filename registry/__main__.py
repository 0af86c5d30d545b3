"""`python -m registry`: the Schema Registry served by gunicorn."""

from __future__ import annotations

from platform_common.logs import configure_logging
from platform_common.serving import GunicornServer
from registry.app import create_app
from registry.paths import keep_encoded_slashes
from registry.settings import RegistrySettings
from registry.storage import open_store


def main() -> None:
    settings = RegistrySettings.from_environment("registry")
    configure_logging(settings.log_level)
    settings.log_effective("registry")
    # Migrate once in the master, before workers fork and connect.
    store = open_store(settings.database_url.get_secret_value())
    store.migrate()
    store.close()
    GunicornServer(
        lambda: keep_encoded_slashes(create_app(settings)),
        bind=f"{settings.host}:{settings.port}",
        workers=settings.workers,
        threads=settings.threads,
        log_level=settings.log_level,
        # Jetty's default under Confluent: 8 KiB request lines (long subject names).
        options={"limit_request_line": 8190, **settings.tls_options()},
    ).run()


if __name__ == "__main__":
    main()
