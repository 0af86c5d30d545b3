"""`python -m producer_api`: the users API served by gunicorn (gthread workers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import structlog
from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication, Config

from platform_common.logs import configure_logging
from producer_api.app import create_app
from producer_api.contract import EventContract
from producer_api.database import migrate, open_engine
from producer_api.metrics import MULTIPROC_ENV, mark_process_dead
from producer_api.settings import ApiSettings

log = structlog.get_logger("producer_api.main")


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's messages through the root logger, which `configure_logging` renders as JSON
    lines; and no access log, since `app.py` logs each request with its request id."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True

    @property
    def access_log_enabled(self) -> bool:
        # False spares gunicorn from building an access line per request to throw away.
        return False


def _worker_exit(_server: object, worker: Any) -> None:
    # Multiprocess bookkeeping: a dead worker's live gauges must not be summed any more.
    mark_process_dead(worker.pid)


class ApiServer(BaseApplication):
    def __init__(self, settings: ApiSettings) -> None:
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
            "logger_class": JsonGunicornLogger,
            # The default control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl):
            # every other gunicorn of this user (the registry, a second API) would share it.
            "control_socket_disable": True,
            "graceful_timeout": 10,
        }
        if os.environ.get(MULTIPROC_ENV):
            options["child_exit"] = _worker_exit
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        configure_logging(self.settings.log_level)
        return create_app(self.settings)


def _prepare_multiprocess_dir(settings: ApiSettings) -> None:
    """prometheus_client's files of an earlier run would add old counts to this one's."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        if settings.workers > 1:
            log.warning(
                "metrics_per_worker", hint=f"set {MULTIPROC_ENV} to sum the counters of all workers"
            )
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def main() -> None:
    settings = ApiSettings()
    configure_logging(settings.log_level)
    # Fail here, once, rather than in every worker: a missing schema file stops the start.
    EventContract.from_folder(
        settings.schema_folder, subject=settings.subject, version=settings.event_schema_version
    )
    # Migrate once in the master, before workers fork and connect.
    engine = open_engine(settings.database_url, pool_size=1)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    _prepare_multiprocess_dir(settings)
    ApiServer(settings).run()


if __name__ == "__main__":
    main()
