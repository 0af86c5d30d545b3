"""`python -m console`: the console served by gunicorn."""

from __future__ import annotations

from console.app import create_app
from console.settings import ConsoleSettings
from platform_common.logs import configure_logging
from platform_common.serving import GunicornServer


def main() -> None:
    settings = ConsoleSettings.from_environment("console")
    configure_logging(settings.log_level)
    settings.log_effective("console")
    GunicornServer(
        lambda: create_app(settings),
        bind=f"{settings.host}:{settings.port}",
        workers=settings.workers,
        threads=settings.threads,
        log_level=settings.log_level,
    ).run()


if __name__ == "__main__":
    main()
