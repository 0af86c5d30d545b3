"""Session fixtures: a real Kafka broker and a real PostgreSQL server, started once.

Set KAFKA_BOOTSTRAP_SERVERS or TEST_DATABASE_URL to reuse servers that already run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import ahocorasick
import pytest
from sqlalchemy.engine import make_url

from stack.apps import RegistryApp
from stack.kafka import KafkaService
from stack.ports import free_port
from stack.postgres import PostgresService, create_database, drop_database
from stack.runner import start_service
from stack.settings import StackSettings
from tests.privacy import SENT_USERNAMES

REPO_ROOT = Path(__file__).resolve().parent.parent


class ProcessDirs:
    """State folders of the processes the tests start, outside pytest's temporary root.

    pytest takes the group and other bits off its root (/tmp/pytest-of-<user>) whenever a
    session starts, and PostgreSQL runs as another user when the tests run as root: a data
    folder under that root would become unreadable to the server mid-run.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="platform-tests-"))
        self.root.chmod(0o755)

    def make(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))


def shared_jar_dir() -> Path:
    """The Kafka jar cache that `make kafka-jars` fills, shared by every test run."""
    return (REPO_ROOT / StackSettings().kafka_jars).resolve()


def distinct_free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


@pytest.fixture(scope="session")
def process_dirs() -> Iterator[ProcessDirs]:
    dirs = ProcessDirs()
    yield dirs
    shutil.rmtree(dirs.root, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_service(process_dirs: ProcessDirs) -> Iterator[KafkaService | None]:
    """The broker started for this session, or None when KAFKA_BOOTSTRAP_SERVERS is reused."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield None
        return
    client_port, controller_port = distinct_free_ports(2)
    settings = StackSettings(
        stack_dir=process_dirs.make("kafka"),
        kafka_port=client_port,
        kafka_controller_port=controller_port,
        kafka_jar_dir=shared_jar_dir(),
    )
    service = KafkaService(settings)
    start_service(service, echo=lambda _line: None)
    try:
        yield service
    finally:
        service.process.stop(timeout=20.0, stop_signal=service.stop_signal)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_service: KafkaService | None) -> str:
    """``host:port`` of a real Kafka broker."""
    if kafka_service is None:
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    return kafka_service.settings.kafka_bootstrap


@pytest.fixture(scope="session")
def postgres_admin_url(process_dirs: ProcessDirs) -> Iterator[str]:
    """URL of a maintenance database on a real PostgreSQL server."""
    reused = os.environ.get("TEST_DATABASE_URL")
    if reused:
        yield reused
        return
    settings = StackSettings(stack_dir=process_dirs.make("postgres"), postgres_port=free_port())
    service = PostgresService(settings, durable=False)
    start_service(service, echo=lambda _line: None)
    try:
        yield service.admin_url()
    finally:
        service.process.stop(timeout=20.0, stop_signal=service.stop_signal)


@pytest.fixture(scope="module")
def database_url(postgres_admin_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for each test module, dropped afterwards (``postgresql://`` URL)."""
    module = re.sub(r"[^a-z0-9]+", "_", request.module.__name__.rsplit(".", 1)[-1].lower())
    name = f"t_{module[:40]}_{uuid.uuid4().hex[:8]}"
    create_database(postgres_admin_url, name)
    url = make_url(postgres_admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(postgres_admin_url, name)


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def registry_url(
    request: pytest.FixtureRequest,
    postgres_admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A Schema Registry process over HTTP, once on PostgreSQL and once on SQLite.

    REGISTRY_URL reuses a running registry instead (the PostgreSQL pass only).
    """
    reused = os.environ.get("REGISTRY_URL")
    if reused:
        if request.param != "postgresql":
            pytest.skip("REGISTRY_URL is set: the registry under test is that one")
        yield reused
        return
    state_dir = tmp_path_factory.mktemp(f"registry-{request.param}")
    database = f"registry_{uuid.uuid4().hex[:8]}"
    if request.param == "postgresql":
        create_database(postgres_admin_url, database)
        url = make_url(postgres_admin_url).set(database=database).render_as_string(False)
    else:
        url = f"sqlite:///{state_dir / 'registry.db'}"
    settings = StackSettings(stack_dir=state_dir, registry_port=free_port(), database_url=url)
    app = RegistryApp(settings)
    start_service(app, echo=lambda _line: None)
    try:
        yield app.url
    finally:
        app.process.stop(timeout=20.0)
        if request.param == "postgresql":
            drop_database(postgres_admin_url, database)


def start_sqlite_registry(state_dir: Path) -> RegistryApp:
    """A registry of a test module's own (it may stop and restart it), on SQLite."""
    settings = StackSettings(
        stack_dir=state_dir,
        registry_port=free_port(),
        database_url=f"sqlite:///{state_dir / 'registry.db'}",
    )
    app = RegistryApp(settings)
    start_service(app, echo=lambda _line: None)
    return app


@pytest.fixture
def subject(request: pytest.FixtureRequest) -> str:
    """A subject name no other test uses."""
    base = re.sub(r"[^a-zA-Z0-9._-]+", "-", request.node.name)[:60]
    return f"{base}-{uuid.uuid4().hex[:8]}-value"


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    """A topic name no other test uses."""
    base = re.sub(r"[^a-zA-Z0-9._-]+", "-", request.node.name)[:60]
    return f"{base}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session", autouse=True)
def no_username_in_any_log(
    tmp_path_factory: pytest.TempPathFactory, process_dirs: ProcessDirs
) -> Iterator[None]:
    """After the session: no log file of any process the tests started names a user."""
    yield
    if not SENT_USERNAMES:
        return
    # One pass over each log for all names at once: tens of thousands of names, one
    # substring search each, outlasted the timeout on the brokers' logs.
    names = ahocorasick.Automaton()
    for name in SENT_USERNAMES:
        names.add_word(name, name)
    names.make_automaton()
    leaks = []
    logs = [*tmp_path_factory.getbasetemp().rglob("*.log"), *process_dirs.root.rglob("*.log")]
    for log in logs:
        found = {name for _end, name in names.iter(log.read_text(errors="replace"))}
        leaks += [f"{log}: {name}" for name in sorted(found)]
    assert not leaks, "usernames in logs:\n" + "\n".join(leaks[:20])
