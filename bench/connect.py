"""Kafka Connect in standalone mode, run from the jars `make peer-jars` fetched: the
process the benchmark's peers (Debezium's outbox router, Iceberg's sink) run in, as a user
of those projects runs them. One worker, one connector, offsets in a file."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from stack.errors import StackError
from stack.jars import jars_present, peer_jar_folders
from stack.kafka import LOG4J2_PROPERTIES, write_properties
from stack.services import Echo, Service
from stack.settings import StackSettings


class ConnectStandalone(Service):
    """A standalone Connect worker running ``connector`` (its properties, `name` included).

    Args:
        settings: the stack whose state folder it uses.
        peers: where `make peer-jars` put Connect's jars and its plugins'.
        bootstrap: the broker.
        rest_port: the worker's REST API (readiness, status).
        connector: the connector's properties (converters of its own override the
            worker's JSON ones).
        worker: worker properties added to, or overriding, the ones below.
    """

    name = "connect"
    ready_timeout = 120.0

    def __init__(
        self,
        settings: StackSettings,
        *,
        peers: Path,
        bootstrap: str,
        rest_port: int,
        connector: Mapping[str, str],
        worker: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(settings)
        self.peers = peers
        self.bootstrap = bootstrap
        self.rest_port = rest_port
        self.connector = dict(connector)
        self.worker = dict(worker or {})

    @property
    def port(self) -> int:
        return self.rest_port

    def ports(self) -> dict[str, int]:
        return {"CONNECT_REST_PORT": self.rest_port}

    @property
    def connector_name(self) -> str:
        return self.connector["name"]

    def worker_properties(self) -> dict[str, str]:
        return {
            "bootstrap.servers": self.bootstrap,
            "listeners": f"http://127.0.0.1:{self.rest_port}",
            "plugin.path": str((self.peers / "plugins").resolve()),
            "offset.storage.file.filename": str((self.state_dir / "offsets").resolve()),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            **self.worker,
        }

    def prepare(self, echo: Echo) -> None:
        folders = peer_jar_folders(self.peers)
        missing = [str(folder) for folder, pom in folders.items() if not jars_present(folder, pom)]
        if missing:
            raise StackError(f"no Kafka Connect jars in {', '.join(missing)}: make peer-jars")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_properties(self.state_dir / "worker.properties", self.worker_properties())
        write_properties(self.state_dir / "connector.properties", self.connector)
        (self.state_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)

    def command(self) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise StackError("Java 17+ is needed to run Kafka Connect")
        classpath = str((self.peers / "connect").resolve() / "*")
        return [
            java,
            "-Xmx1g",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={(self.state_dir / 'log4j2.properties').resolve()}",
            "-cp",
            classpath,
            "org.apache.kafka.connect.cli.ConnectStandalone",
            str((self.state_dir / "worker.properties").resolve()),
            str((self.state_dir / "connector.properties").resolve()),
        ]

    def is_ready(self) -> bool:
        """The connector and each of its tasks run."""
        return self._all_in("RUNNING")

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The connector paused (its tasks stop polling) and the worker's JVM stopped for the
        block, then both resumed.

        Paused alone, the worker still cost 0.08 ms of CPU per request of the other side's
        rounds (its threads, GC and JIT), 7 % of that side's throughput; the idle relay, the
        other side's counterpart, costs nothing measurable. Stopped, it costs nothing either.
        """
        self._switch("pause", "PAUSED")
        record = self.process.running()
        if record is None:
            raise StackError(f"{self.connector_name}: the Connect worker is not running")
        os.kill(record.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(record.pid, signal.SIGCONT)
            self._switch("resume", "RUNNING")

    def _switch(self, action: str, state: str) -> None:
        url = f"http://127.0.0.1:{self.rest_port}/connectors/{self.connector_name}/{action}"
        requests.put(url, timeout=10).raise_for_status()
        deadline = time.monotonic() + 30
        while not self._all_in(state):
            if time.monotonic() > deadline:
                raise StackError(f"{self.connector_name}: not {state} 30 s after {action}")
            time.sleep(0.05)

    def _all_in(self, state: str) -> bool:
        url = f"http://127.0.0.1:{self.rest_port}/connectors/{self.connector_name}/status"
        try:
            status = requests.get(url, timeout=2).json()
        except (requests.RequestException, ValueError):
            return False
        tasks = status.get("tasks") or []
        states = [status.get("connector", {}).get("state"), *(t.get("state") for t in tasks)]
        return bool(tasks) and all(found == state for found in states)

    def address(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"
