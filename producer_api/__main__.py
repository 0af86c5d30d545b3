"""`python -m producer_api`: the users API served by gunicorn (gthread workers)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from flask import Flask

from contract.event_schema import EventContract
from platform_common.logs import configure_logging
from platform_common.serving import GunicornServer
from producer_api.app import create_app
from producer_api.database import migrate, open_engine
from producer_api.metrics import MULTIPROC_ENV, mark_process_dead
from producer_api.settings import ApiSettings

log = structlog.get_logger("producer_api.main")


def _worker_exit(_server: object, worker: Any) -> None:
    # Multiprocess bookkeeping: a dead worker's live gauges must not be summed any more.
    mark_process_dead(worker.pid)


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
    serve(ApiSettings.from_environment("api"))


def serve(settings: ApiSettings, load_app: Callable[[ApiSettings], Flask] = create_app) -> None:
    """Check the contract, migrate, then serve ``load_app(settings)`` from each worker."""
    configure_logging(settings.log_level)
    settings.log_effective("api")
    # Fail here, once, rather than in every worker: a missing schema file stops the start.
    EventContract.from_folder(
        settings.schema_folder, subject=settings.subject, version=settings.event_schema_version
    )
    # Migrate once in the master, before workers fork and connect.
    engine = open_engine(settings.database_url.get_secret_value(), pool_size=1)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    _prepare_multiprocess_dir(settings)
    options: dict[str, Any] = {}
    if os.environ.get(MULTIPROC_ENV):
        options["child_exit"] = _worker_exit
    GunicornServer(
        lambda: load_app(settings),
        bind=f"{settings.host}:{settings.port}",
        workers=settings.workers,
        threads=settings.threads,
        log_level=settings.log_level,
        options=options,
    ).run()


if __name__ == "__main__":
    main()
