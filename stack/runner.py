"""Start, stop and inspect the local stack: services in dependency order."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from stack.apps import ApiApp, ConsoleApp, ConsumerApp, RegistryApp, RelayApp
from stack.errors import StackError
from stack.jars import jars_present
from stack.kafka import KafkaService
from stack.ports import port_is_free
from stack.postgres import PostgresService
from stack.process import ProcessRecord
from stack.security import PLATFORM_USER, StackSecurity
from stack.services import Echo, Service
from stack.settings import StackSettings


def local_services(settings: StackSettings) -> list[Service]:
    """The services `up` starts, in start order (each after what it depends on)."""
    services: list[Service] = [
        KafkaService(settings, node=node) for node in range(settings.kafka_brokers)
    ]
    if settings.database_url is None:
        services.append(PostgresService(settings))
    services.append(RegistryApp(settings, register_schemas=True))
    services.extend(
        RegistryApp(settings, instance=instance)
        for instance in range(1, settings.registry_instances)
    )
    services.append(ApiApp(settings))
    services.append(RelayApp(settings))
    services.append(ConsumerApp(settings))
    services.append(ConsoleApp(settings))
    return services


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    pid: int | None
    ready: bool


def start_service(service: Service, echo: Echo) -> ProcessRecord:
    """Start one service unless it already runs, and wait until it is ready."""
    process = service.process
    running = process.running()
    if running is not None:
        echo(f"{service.name:<10} already running on {service.address()} (pid {running.pid})")
        return running
    _check_ports(service)
    began = time.monotonic()
    service.prepare(echo)
    record = process.start(
        service.command(),
        port=service.port,
        env=service.environment(),
        user=service.run_as_user(),
    )
    wait_ready(service, record)
    service.after_ready(echo)
    elapsed = time.monotonic() - began
    echo(f"{service.name:<10} ready on {service.address()} (pid {record.pid}) in {elapsed:.1f} s")
    return record


def wait_ready(service: Service, record: ProcessRecord) -> None:
    """Poll the service's readiness probe; fail fast, with its log, if it exits."""
    process = service.process
    deadline = time.monotonic() + service.ready_timeout
    while time.monotonic() < deadline:
        if process.exited(record):
            raise StackError(
                f"{service.name} exited during start-up; last lines of {process.log_file}:\n"
                f"{process.log_tail()}"
            )
        if service.is_ready():
            return
        time.sleep(0.2)
    process.stop(timeout=service.settings.stop_timeout, stop_signal=service.stop_signal)
    raise StackError(
        f"{service.name} was not ready after {service.ready_timeout:.0f} s; "
        f"see {process.log_file}:\n{process.log_tail()}"
    )


def _check_ports(service: Service) -> None:
    for variable, port in service.ports().items():
        if not port_is_free(port):
            raise StackError(
                f"port {port} is already in use by another process, so {service.name} "
                f"cannot start; set {variable} to a free port"
            )


def start_kind(settings: StackSettings, services: Sequence[Service]) -> str:
    """How much `up` has to build: "warm" when the jars are cached and the data kept."""
    if all(service.process.running() is not None for service in services):
        return "all already running"
    kafka = KafkaService(settings)
    jars = "jars cached" if jars_present(kafka.jar_dir) else "jars fetched"
    kept = (kafka.data_dir / "meta.properties").exists()
    if settings.database_url is None:
        kept = kept and (PostgresService(settings).data_dir / "PG_VERSION").exists()
    kind = "warm" if jars == "jars cached" and kept else "cold"
    return f"{kind}: {jars}, {'data kept' if kept else 'new data'}"


def up(settings: StackSettings, echo: Echo) -> list[Service]:
    """Start every local service that is not running yet; print where each listens."""
    began = time.monotonic()
    services = local_services(settings)
    # Judged before anything starts: starting fetches the jars and creates the data.
    kind = start_kind(settings, services)
    for service in services:
        start_service(service, echo)
    if settings.database_url is not None:
        echo(f"{'postgres':<10} not started: DATABASE_URL names the server to use")
    echo(f"stack up in {time.monotonic() - began:.1f} s ({kind})")
    # Several nodes or instances export the same variables: each is printed once.
    exports = {name: value for service in services for name, value in service.exports().items()}
    security = StackSecurity(settings)
    exports.update(security.client_exports())
    for variable, value in exports.items():
        echo(f"{variable}={value}")
    if security.enabled:
        echo(f"# the passwords of user {PLATFORM_USER}: {security.passwords_file}")
    if settings.database_url is not None:
        echo(f"DATABASE_URL={settings.database_url}")
    return services


def down(settings: StackSettings, echo: Echo) -> None:
    """Stop the recorded processes, dependants first."""
    for service in reversed(local_services(settings)):
        stopped = service.process.stop(
            timeout=settings.stop_timeout, stop_signal=service.stop_signal
        )
        echo(f"{service.name:<10} {'stopped' if stopped else 'was not running'}")


def status(settings: StackSettings) -> list[ServiceStatus]:
    rows = []
    for service in local_services(settings):
        record = service.process.running()
        rows.append(
            ServiceStatus(
                name=service.name,
                address=service.address(),
                pid=record.pid if record else None,
                ready=record is not None and service.is_ready(),
            )
        )
    return rows


def log_files(settings: StackSettings, names: Sequence[str]) -> list[str]:
    services = local_services(settings)
    unknown = set(names) - {service.name for service in services}
    if unknown:
        raise StackError(f"no such service: {', '.join(sorted(unknown))}")
    return [
        str(service.process.log_file) for service in services if not names or service.name in names
    ]


def docker_engine_answers() -> bool:
    """True when a Docker engine (not just the client) is reachable."""
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],  # noqa: S607
            capture_output=True,
            timeout=10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0
