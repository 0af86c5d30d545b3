"""The users API as a real process (`python -m producer_api`) on a free port, and its tables."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from platform_common.database import engine_url
from stack.ports import free_port
from stack.runner import start_service
from stack.services import Service
from stack.settings import StackSettings

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas"


class ApiProcess(Service):
    """`python -m producer_api` with its settings in the environment; output in its log."""

    name = "producer-api"
    ready_timeout = 60.0

    def __init__(self, settings: StackSettings, *, port: int, env: dict[str, str]) -> None:
        super().__init__(settings)
        self._port = port
        self._env = env

    @property
    def port(self) -> int:
        return self._port

    def ports(self) -> dict[str, int]:
        return {"API_PORT": self._port}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "producer_api"]

    def environment(self) -> dict[str, str]:
        return {**os.environ, "API_HOST": "127.0.0.1", "API_PORT": str(self._port), **self._env}

    def is_ready(self) -> bool:
        try:
            return requests.get(self.url + "/readyz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def address(self) -> str:
        return self.url


@dataclass(frozen=True)
class RunningApi:
    url: str
    log_file: Path

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")


def start_api(tmp_path: Path, database_url: str, **env: str) -> tuple[ApiProcess, RunningApi]:
    """Start the API on ``database_url``; the caller stops ``process``."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    environment = {
        "DATABASE_URL": database_url,
        "SCHEMAS_DIR": str(SCHEMAS_DIR),
        "API_WORKERS": "2",
        "API_THREADS": "4",
        "API_LOG_LEVEL": "INFO",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **env,
    }
    process = ApiProcess(StackSettings(stack_dir=tmp_path), port=free_port(), env=environment)
    start_service(process, echo=lambda _line: None)
    return process, RunningApi(url=process.url, log_file=process.process.log_file)


@contextmanager
def running_api(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, **env: str
) -> Iterator[RunningApi]:
    """An API process on ``database_url`` for the ``with`` block (a module fixture's life)."""
    process, running = start_api(tmp_path_factory.mktemp("producer-api"), database_url, **env)
    try:
        yield running
    finally:
        process.process.stop(timeout=20.0)


@pytest.fixture(scope="module")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """One API process per test module, on the module's database."""
    with running_api(tmp_path_factory, database_url) as running:
        yield running


@pytest.fixture(scope="module")
def tables(database_url: str) -> Iterator[sa.Engine]:
    """An engine on the module's database, to look at the rows the API wrote."""
    engine = sa.create_engine(engine_url(database_url), poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def row_counts(engine: sa.Engine) -> tuple[int, int]:
    """(users, outbox) row counts."""
    with engine.connect() as connection:
        users = connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
        outbox = connection.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one()
    return users, outbox
