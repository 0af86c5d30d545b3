"""Registry instances side by side on one PostgreSQL database of their own, as
`REGISTRY_INSTANCES=N make up` runs them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from stack.apps import RegistryApp
from stack.ports import free_ports_in_a_row, port_is_free
from stack.postgres import create_database, drop_database
from stack.runner import start_service
from stack.services import Service
from stack.settings import StackSettings


@contextmanager
def running_instances(
    postgres_admin_url: str, state_dir: Path, count: int
) -> Iterator[list[RegistryApp]]:
    database = f"registry_{uuid.uuid4().hex[:8]}"
    create_database(postgres_admin_url, database)
    settings = StackSettings(
        stack_dir=state_dir,
        registry_port=free_ports_in_a_row(count),
        registry_instances=count,
        database_url=make_url(postgres_admin_url).set(database=database).render_as_string(False),
    )
    apps = [RegistryApp(settings, instance=instance) for instance in range(count)]
    try:
        with started(apps):
            yield apps
    finally:
        drop_database(postgres_admin_url, database)


@contextmanager
def started(services: Sequence[Service]) -> Iterator[None]:
    """``services`` started in order, and all stopped when the block ends."""
    try:
        for service in services:
            start_service(service, echo=lambda _line: None)
        yield
    finally:
        for service in services:
            service.process.stop(timeout=20.0)


def restart_once_its_port_frees(app: RegistryApp, timeout: float = 60.0) -> None:
    """Start ``app`` again after a SIGKILL: the connections the killed process had accepted
    hold its port until their clients close them, and a start refuses a taken port."""
    deadline = time.monotonic() + timeout
    while not port_is_free(app.port) and time.monotonic() < deadline:
        time.sleep(0.1)
    start_service(app, echo=lambda _line: None)
