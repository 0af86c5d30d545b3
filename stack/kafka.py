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
from stack.security import StackSecurity, write_private
from stack.services import Echo, Service
from stack.settings import StackSettings


def replication_settings(nodes: int) -> dict[str, str]:
    """Replication of every topic, internal ones included: one copy on a single node (or
    idempotent and transactional producers and consumer groups would stall waiting for
    replicas); on three nodes or more three copies, two of which must take a write, so one
    node may die without losing an acknowledged record or refusing one."""
    copies = "3" if nodes >= 3 else str(nodes)
    in_sync = "2" if nodes >= 3 else "1"
    return {
        "offsets.topic.replication.factor": copies,
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": copies,
        "transaction.state.log.min.isr": in_sync,
        "transaction.state.log.num.partitions": "10",
        "share.coordinator.state.topic.replication.factor": copies,
        "share.coordinator.state.topic.min.isr": in_sync,
        "min.insync.replicas": in_sync,
        "default.replication.factor": copies,
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
    """A Java properties file, one ``key=value`` a line, that only its owner reads (a
    secured broker's holds its own password)."""
    write_private(path, "".join(f"{key}={value}\n" for key, value in properties.items()))


class KafkaService(Service):
    """One KRaft node acting as broker and controller, listening on loopback: the only one,
    or node ``node`` (from 0) of KAFKA_BROKERS, all voters of one controller quorum."""

    ready_timeout = 90.0

    def __init__(self, settings: StackSettings, *, node: int = 0) -> None:
        super().__init__(settings)
        self.node = node
        self.name = "kafka" if node == 0 else f"kafka-{node + 1}"
        self.security = StackSecurity(settings)

    @property
    def jar_dir(self) -> Path:
        return self.settings.kafka_jars

    @property
    def port(self) -> int:
        return self.settings.kafka_node_ports(self.node)[0]

    @property
    def controller_port(self) -> int:
        return self.settings.kafka_node_ports(self.node)[1]

    def ports(self) -> dict[str, int]:
        return {"KAFKA_PORT": self.port, "KAFKA_CONTROLLER_PORT": self.controller_port}

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def config_file(self) -> Path:
        return self.state_dir / "server.properties"

    def server_properties(self) -> dict[str, str]:
        nodes = self.settings.kafka_brokers
        voters = ",".join(
            f"{other + 1}@127.0.0.1:{self.settings.kafka_node_ports(other)[1]}"
            for other in range(nodes)
        )
        # Clients and the other brokers use one listener; the quorum its own, on loopback.
        client = self.security.listener
        return {
            "process.roles": "broker,controller",
            "node.id": str(self.node + 1),
            "controller.quorum.voters": voters,
            "listeners": (
                f"{client}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"{client}://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": client,
            "listener.security.protocol.map": f"{client}:{client},CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir.resolve()),
            **replication_settings(nodes),
            **self.security.broker_properties(),
        }

    def prepare(self, echo: Echo) -> None:
        if not jars_present(self.jar_dir):
            echo(f"{self.name:<10} fetching the broker jars from Maven Central (once)")
            began = time.monotonic()
            ensure_jars(self.jar_dir)
            echo(f"{self.name:<10} jars in {self.jar_dir} after {time.monotonic() - began:.1f} s")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.security.prepare()
        # Rewritten on every start: ports may change, the formatted storage does not care.
        write_properties(self.config_file, self.server_properties())
        (self.state_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage()
        # Storage formatted before the record was kept is plaintext's.
        kept = self._security_file
        formatted_for = kept.read_text().strip() if kept.exists() else "plaintext"
        if formatted_for != self.settings.stack_security:
            raise StackError(
                f"{self.name}'s storage ({self.data_dir}) was formatted for STACK_SECURITY="
                f"{formatted_for}, not {self.settings.stack_security}: start it as it was, "
                "or `make clean` first (its users are in the storage from the format on)"
            )

    @property
    def _security_file(self) -> Path:
        return self.state_dir / "formatted-for"

    def _format_storage(self) -> None:
        cluster_id = self._cluster_id()
        # "=" form: an id may start with "-", which the tool would read as an option.
        format_args = [f"--cluster-id={cluster_id}", f"--config={self.config_file}"]
        if self.security.enabled:
            # On the command line for the format's second or so: the tool reads them nowhere
            # else. Its output is masked in case it quotes them.
            format_args += [f"--add-scram={user}" for user in self.security.scram_users()]
        result = subprocess.run(  # noqa: S603
            [*self._java(), "kafka.tools.StorageTool", "format", *format_args],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = self.security.masked(result.stdout + result.stderr)
            raise StackError(f"formatting Kafka storage failed:\n{output}")
        self._security_file.write_text(self.settings.stack_security)

    def _cluster_id(self) -> str:
        """The id every node's storage is formatted with: made once per stack, kept beside
        the nodes' folders, so that nodes formatted apart form one cluster."""
        kept = self.settings.stack_dir / "kafka" / "cluster-id"
        if kept.exists():
            return kept.read_text().strip()
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(cluster_id)
        return cluster_id

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
        if self.node < self.settings.kafka_brokers - 1:
            # A controller quorum needs a majority of its voters: an earlier node is ready
            # once it listens, and the last one once every broker answers.
            return port_accepts(self.controller_port)
        if not port_accepts(self.port):
            return False
        return broker_answers(
            self.settings.kafka_bootstrap,
            brokers=self.settings.kafka_brokers,
            connection=self.security.kafka_client_config(),
        )

    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def exports(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap}


def broker_answers(
    bootstrap: str,
    timeout: float = 2.0,
    *,
    brokers: int = 1,
    connection: Mapping[str, str] | None = None,
) -> bool:
    """True when a metadata request through the admin client (connected with librdkafka's
    ``connection`` settings) succeeds and names at least ``brokers`` brokers."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, **(connection or {})})
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return len(metadata.brokers) >= brokers
