"""The platform's own Python services, run from this checkout's virtual environment."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from stack.errors import StackError
from stack.security import StackSecurity
from stack.services import Echo, Service
from stack.settings import StackSettings


class RegistryApp(Service):
    """The Schema Registry (`python -m registry`), on the stack's PostgreSQL: one of
    REGISTRY_INSTANCES processes, the first on REGISTRY_PORT and each next on the port
    after."""

    depends_on = ("postgres",)
    ready_timeout = 60.0

    def __init__(
        self, settings: StackSettings, *, instance: int = 0, register_schemas: bool = False
    ) -> None:
        super().__init__(settings)
        self.instance = instance
        self.name = "registry" if instance == 0 else f"registry-{instance + 1}"
        self.security = StackSecurity(settings)
        # The stack registers the schemas folder once the registry is up; tests do not.
        self.register_schemas = register_schemas

    @property
    def port(self) -> int:
        return self.settings.registry_ports[self.instance]

    def ports(self) -> dict[str, int]:
        return {"REGISTRY_PORT": self.port}

    @property
    def url(self) -> str:
        return self.settings.registry_instance_url(self.instance)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "registry"]

    def prepare(self, echo: Echo) -> None:
        self.security.prepare()

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "REGISTRY_HOST": "127.0.0.1",
            "REGISTRY_PORT": str(self.port),
            "REGISTRY_DATABASE_URL": self.settings.effective_database_url,
            **self.security.registry_server_environment(),
        }

    def after_ready(self, echo: Echo) -> None:
        """Register the schemas folder (idempotent), as `make register-schemas` does."""
        schemas = self.settings.schemas_dir
        if not self.register_schemas or not schemas.is_dir():
            return
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "registry.cli", "register", "--schemas-dir", str(schemas)],
            env={
                **os.environ,
                "REGISTRY_URL": self.url,
                **self.security.registry_client_environment(),
            },
            capture_output=True,
            text=True,
            check=False,
        )
        for line in (result.stdout + result.stderr).splitlines():
            echo(f"{'':<10} {line}")
        if result.returncode != 0:
            raise StackError(f"registering {schemas} failed; see the lines above")

    def is_ready(self) -> bool:
        try:
            answer = requests.get(
                self.url + "/",
                timeout=1,
                auth=self.security.registry_auth(),
                verify=self.security.registry_verify(),
            )
        except requests.RequestException:
            return False
        return answer.status_code == 200

    def address(self) -> str:
        return self.url

    def exports(self) -> dict[str, str]:
        return {"REGISTRY_URL": self.settings.registry_url}


class ApiApp(Service):
    """The users API (`python -m producer_api`); ready once /readyz reaches the database."""

    name = "api"
    depends_on = ("postgres",)
    ready_timeout = 60.0

    @property
    def port(self) -> int:
        return self.settings.api_port

    def ports(self) -> dict[str, int]:
        return {"API_PORT": self.settings.api_port}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "producer_api"]

    def environment(self) -> dict[str, str]:
        metrics = self.state_dir / "metrics"
        metrics.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "DATABASE_URL": self.settings.effective_database_url,
            "API_HOST": "127.0.0.1",
            "API_PORT": str(self.port),
            "SCHEMAS_DIR": str(self.settings.schemas_dir.resolve()),
            "EVENTS_TOPIC": self.settings.events_topic,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics.resolve()),
        }

    def is_ready(self) -> bool:
        try:
            return requests.get(self.url + "/readyz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def address(self) -> str:
        return self.url

    def exports(self) -> dict[str, str]:
        return {"API_URL": self.url}


class MetricsOnlyService(Service):
    """A worker with no API of its own: ready once its Prometheus /metrics answers."""

    def is_ready(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.port}/metrics"
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"


class RelayApp(MetricsOnlyService):
    """The outbox relay (`python -m producer_api.relay`); ready once its /metrics answers."""

    name = "relay"
    depends_on = ("postgres", "kafka", "registry")
    ready_timeout = 60.0

    @property
    def port(self) -> int:
        return self.settings.relay_metrics_port

    def ports(self) -> dict[str, int]:
        return {"RELAY_METRICS_PORT": self.settings.relay_metrics_port}

    def command(self) -> list[str]:
        return [sys.executable, "-m", "producer_api.relay"]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.settings.effective_database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap,
            "REGISTRY_URL": self.settings.registry_url,
            **client_environment(self.settings),
            "SCHEMAS_DIR": str(self.settings.schemas_dir.resolve()),
            "EVENTS_TOPIC": self.settings.events_topic,
            "RELAY_METRICS_PORT": str(self.port),
        }


def client_environment(settings: StackSettings) -> dict[str, str]:
    """How a service reaches Kafka and the registry of a secured stack (stack.security);
    nothing when unsecured."""
    security = StackSecurity(settings)
    return {**security.kafka_client_environment(), **security.registry_client_environment()}


def lake_environment(settings: StackSettings) -> dict[str, str]:
    """Where the lake is, for its writer and its readers (the console)."""
    return {
        # The reader schema, and which of its fields are personal, come from here.
        "SCHEMAS_DIR": str(settings.schemas_dir.resolve()),
        "CONSUMER_OUTPUT": settings.consumer_output,
        "CONSUMER_FORMAT": settings.consumer_format,
        # The Iceberg table's catalog: in the platform's database, a schema of its own.
        "CONSUMER_CATALOG_URL": settings.effective_database_url,
    }


class ConsumerApp(MetricsOnlyService):
    """The lake writer (`python -m consumer`); ready once its /metrics answers."""

    name = "consumer"
    depends_on = ("kafka", "registry")
    ready_timeout = 60.0

    @property
    def port(self) -> int:
        return self.settings.consumer_metrics_port

    def ports(self) -> dict[str, int]:
        return {"CONSUMER_METRICS_PORT": self.settings.consumer_metrics_port}

    def command(self) -> list[str]:
        return [sys.executable, "-m", "consumer"]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap,
            "REGISTRY_URL": self.settings.registry_url,
            **client_environment(self.settings),
            "EVENTS_TOPIC": self.settings.events_topic,
            **lake_environment(self.settings),
            "CONSUMER_METRICS_PORT": str(self.port),
            # glibc gives each thread that allocates an arena of its own, kept once grown:
            # the writer's Kafka, metrics and pyiceberg threads share two instead.
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        }

    def exports(self) -> dict[str, str]:
        return {"CONSUMER_OUTPUT": self.settings.consumer_output}


class ConsoleApp(Service):
    """The web console (`python -m console`), read-only; ready once its home page answers."""

    name = "console"
    depends_on = ("registry",)
    ready_timeout = 60.0

    @property
    def port(self) -> int:
        return self.settings.console_port

    def ports(self) -> dict[str, int]:
        return {"CONSOLE_PORT": self.settings.console_port}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "console"]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "CONSOLE_HOST": "127.0.0.1",
            "CONSOLE_PORT": str(self.port),
            # The console reads one registry (its HTTP client takes one base URL).
            "REGISTRY_URL": self.settings.registry_instance_url(0),
            "KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap,
            **client_environment(self.settings),
            "EVENTS_TOPIC": self.settings.events_topic,
            "CONSOLE_API_METRICS_URL": f"http://127.0.0.1:{self.settings.api_port}/metrics",
            "CONSOLE_RELAY_METRICS_URL": (
                f"http://127.0.0.1:{self.settings.relay_metrics_port}/metrics"
            ),
            "CONSOLE_CONSUMER_METRICS_URL": (
                f"http://127.0.0.1:{self.settings.consumer_metrics_port}/metrics"
            ),
            # The lake page reads the lake where its writer puts it.
            **lake_environment(self.settings),
        }

    def is_ready(self) -> bool:
        try:
            return requests.get(self.url + "/schemas", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def address(self) -> str:
        return self.url

    def exports(self) -> dict[str, str]:
        return {"CONSOLE_URL": self.url}
