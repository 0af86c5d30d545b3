"""Apache Kafka in KRaft mode, run from the jars Maven Central serves."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from stack.errors import StackError
from stack.jars import ensure_jars, jars_present
from stack.ports import port_accepts
from stack.services import Echo, Service

# Single node: every internal topic must be satisfiable with one replica, or idempotent
# and transactional producers and consumer groups stall waiting for replicas.
SINGLE_NODE_SETTINGS = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "10",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "10",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "min.insync.replicas": "1",
    "default.replication.factor": "1",
    "num.partitions": "1",
    "auto.create.topics.enable": "true",
    "group.initial.rebalance.delay.ms": "0",
}

LOG4J2_PROPERTIES = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
"""


def write_properties(path: Path, properties: Mapping[str, str]) -> None:
    """A Java properties file, one ``key=value`` a line."""
    path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))


class KafkaService(Service):
    """One KRaft node acting as broker and controller, listening on loopback."""

    name = "kafka"
    ready_timeout = 90.0

    @property
    def jar_dir(self) -> Path:
        return self.settings.kafka_jars

    @property
    def port(self) -> int:
        return self.settings.kafka_port

    def ports(self) -> dict[str, int]:
        return {
            "KAFKA_PORT": self.settings.kafka_port,
            "KAFKA_CONTROLLER_PORT": self.settings.kafka_controller_port,
        }

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def config_file(self) -> Path:
        return self.state_dir / "server.properties"

    def server_properties(self) -> dict[str, str]:
        port = self.settings.kafka_port
        controller = self.settings.kafka_controller_port
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir.resolve()),
            **SINGLE_NODE_SETTINGS,
        }

    def prepare(self, echo: Echo) -> None:
        if not jars_present(self.jar_dir):
            echo(f"{self.name:<10} fetching the broker jars from Maven Central (once)")
            began = time.monotonic()
            ensure_jars(self.jar_dir)
            echo(f"{self.name:<10} jars in {self.jar_dir} after {time.monotonic() - began:.1f} s")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # Rewritten on every start: ports may change, the formatted storage does not care.
        write_properties(self.config_file, self.server_properties())
        (self.state_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage()

    def _format_storage(self) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # "=" form: an id may start with "-", which the tool would read as an option.
        format_args = [f"--cluster-id={cluster_id}", f"--config={self.config_file}"]
        result = subprocess.run(  # noqa: S603
            [*self._java(), "kafka.tools.StorageTool", "format", *format_args],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")

    def _java(self) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise StackError("Java 17+ is needed to run Kafka locally (or use a Docker engine)")
        return [java, "-cp", str(self.jar_dir.resolve() / "*")]

    def command(self) -> list[str]:
        heap = self.settings.kafka_heap
        java, *classpath = self._java()
        return [
            java,
            f"-Xmx{heap}",
            f"-Xms{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={(self.state_dir / 'log4j2.properties').resolve()}",
            *classpath,
            "kafka.Kafka",
            str(self.config_file.resolve()),
        ]

    def is_ready(self) -> bool:
        if not port_accepts(self.settings.kafka_port):
            return False
        return broker_answers(self.settings.kafka_bootstrap)

    def address(self) -> str:
        return self.settings.kafka_bootstrap

    def exports(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap}


def broker_answers(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when a metadata request through the admin client succeeds."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return bool(metadata.brokers)
