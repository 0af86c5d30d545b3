"""Settings of the local stack, read from the environment once per command."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contract.subjects import USER_EVENTS_TOPIC
from stack.ports import free_port, free_ports_in_a_row


class StackSettings(BaseSettings):
    """Where the local stack keeps its state and which ports its services listen on.

    Every field is read from the environment variable of the same name (upper case).
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    stack_dir: Path = Field(
        default=Path(".stack"), description="Pids, logs, data and the Kafka jar cache."
    )
    kafka_port: int = Field(default=9092, ge=1, le=65535, description="Kafka client listener.")
    kafka_controller_port: int = Field(
        default=0, ge=0, le=65535, description="KRaft controller listener (0: KAFKA_PORT + 1)."
    )
    kafka_brokers: int = Field(
        default=1,
        ge=1,
        le=5,
        description="KRaft nodes (each broker and controller). Node n listens on KAFKA_PORT "
        "+ 2(n-1) and its controller on KAFKA_CONTROLLER_PORT + 2(n-1); with three or more, "
        "topics are replicated three times and a write needs two in-sync replicas.",
    )
    stack_security: Literal["plaintext", "sasl_ssl"] = Field(
        default="plaintext",
        description="`sasl_ssl`: Kafka's client listener is SASL_SSL (SCRAM-SHA-512), the "
        "registry serves TLS and asks for basic auth, and every service connects through "
        "them; certificates and passwords are made at the first start, in $STACK_DIR/security.",
    )
    kafka_jar_dir: Path | None = Field(
        default=None, description="Kafka jar cache (default: $STACK_DIR/kafka/libs)."
    )
    kafka_heap: str = Field(default="512m", description="Broker JVM heap (-Xmx and -Xms).")
    postgres_port: int = Field(
        default=0, ge=0, le=65535, description="Embedded PostgreSQL (0: 5432 + shift)."
    )
    postgres_db: str = Field(default="platform", description="Database the stack creates.")
    database_url: str | None = Field(
        default=None, description="Use this PostgreSQL server instead of starting one."
    )
    registry_port: int = Field(
        default=0, ge=0, le=65535, description="Schema Registry (0: 8081 + shift)."
    )
    registry_instances: int = Field(
        default=1,
        ge=1,
        le=9,
        description="Registry processes side by side on the one PostgreSQL, on REGISTRY_PORT "
        "and the ports after it; every client is given all their URLs.",
    )
    api_port: int = Field(default=0, ge=0, le=65535, description="The users API (0: 5000 + shift).")
    relay_metrics_port: int = Field(
        default=0, ge=0, le=65535, description="The relay's /metrics (0: 9400 + shift)."
    )
    consumer_metrics_port: int = Field(
        default=0, ge=0, le=65535, description="The lake writer's /metrics (0: 9500 + shift)."
    )
    console_port: int = Field(
        default=0, ge=0, le=65535, description="The web console (0: 8080 + shift)."
    )
    consumer_output: str = Field(default="data/lake", description="The lake's root.")
    consumer_format: str = Field(
        default="iceberg", description="The lake's format: iceberg, parquet or avro."
    )
    events_topic: str = Field(default=USER_EVENTS_TOPIC, description="Topic of the user events.")
    schemas_dir: Path = Field(
        default=Path("schemas"), description="Schemas `make up` registers in the registry."
    )
    stop_timeout: float = Field(
        default=20.0, gt=0, description="Seconds between SIGTERM and SIGKILL on `down`."
    )

    @model_validator(mode="after")
    def _derive_ports(self) -> StackSettings:
        """Ports left unset follow KAFKA_PORT: its shift from 9092 moves the whole stack, so
        `KAFKA_PORT=19092 make up` runs a second stack beside one on the defaults."""
        shift = self.kafka_port - 9092
        derived = {
            "kafka_controller_port": self.kafka_port + 1,
            "postgres_port": _shifted(5432, shift),
            "registry_port": _shifted(8081, shift),
            "api_port": _shifted(5000, shift),
            "relay_metrics_port": _shifted(9400, shift),
            "consumer_metrics_port": _shifted(9500, shift),
            "console_port": _shifted(8080, shift),
        }
        for name, port in derived.items():
            if getattr(self, name) == 0:
                # frozen model: set through object.__setattr__ once, at validation time
                object.__setattr__(self, name, port)
        return self

    @classmethod
    def on_free_ports(
        cls, stack_dir: Path, *, kafka_jar_dir: Path, kafka_brokers: int = 1
    ) -> StackSettings:
        """A whole stack under `stack_dir` on ports free now (tests and benchmarks), its
        lake in `stack_dir/lake`, its jars from a shared cache."""
        # A node's client and controller ports, then the next node's: one run of ports.
        kafka = free_ports_in_a_row(2 * kafka_brokers)
        taken = set(range(kafka, kafka + 2 * kafka_brokers))
        ports: set[int] = set()
        while len(ports) < 6:
            port = free_port()
            if port not in taken:
                ports.add(port)
        postgres, registry, api, relay, consumer, console = sorted(ports)
        return cls(
            stack_dir=stack_dir,
            kafka_port=kafka,
            kafka_controller_port=kafka + 1,
            kafka_brokers=kafka_brokers,
            postgres_port=postgres,
            registry_port=registry,
            api_port=api,
            relay_metrics_port=relay,
            consumer_metrics_port=consumer,
            console_port=console,
            consumer_output=str(stack_dir / "lake"),
            kafka_jar_dir=kafka_jar_dir,
            # Its own PostgreSQL, whatever DATABASE_URL the environment holds.
            database_url=None,
        )

    @property
    def registry_ports(self) -> list[int]:
        return [self.registry_port + instance for instance in range(self.registry_instances)]

    def registry_instance_url(self, instance: int = 0) -> str:
        scheme = "https" if self.stack_security == "sasl_ssl" else "http"
        return f"{scheme}://127.0.0.1:{self.registry_ports[instance]}"

    @property
    def registry_url(self) -> str:
        """Every registry instance's URL, comma-separated, as `confluent_kafka`'s client
        takes them (it tries the next when one fails)."""
        return ",".join(
            self.registry_instance_url(instance) for instance in range(self.registry_instances)
        )

    def kafka_node_ports(self, node: int) -> tuple[int, int]:
        """The client and controller ports of KRaft node ``node`` (from 0)."""
        return self.kafka_port + 2 * node, self.kafka_controller_port + 2 * node

    @property
    def kafka_bootstrap(self) -> str:
        """Every node's client listener, comma-separated, as Kafka clients take them."""
        return ",".join(
            f"127.0.0.1:{self.kafka_node_ports(node)[0]}" for node in range(self.kafka_brokers)
        )

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL when set, else the embedded server's database."""
        if self.database_url is not None:
            return self.database_url
        return f"postgresql://postgres@127.0.0.1:{self.postgres_port}/{self.postgres_db}"

    @property
    def spark_jars(self) -> Path:
        """Iceberg's Spark runtime and the JDBC driver: only the Spark interop test uses them."""
        return self.stack_dir / "spark" / "jars"

    @property
    def peers(self) -> Path:
        """Kafka Connect's jars (``connect``) and its plugins' (``plugins/<name>``): only
        the benchmark runs them."""
        return self.stack_dir / "peers"

    @property
    def tools(self) -> Path:
        """Programs unpacked from Debian's packages (stack/debian.py): only the benchmark
        runs them."""
        return self.stack_dir / "tools"

    @property
    def kafka_jars(self) -> Path:
        if self.kafka_jar_dir is not None:
            return self.kafka_jar_dir
        return self.stack_dir / "kafka" / "libs"


def _shifted(default: int, shift: int) -> int:
    port = default + shift
    return port if 1024 <= port <= 65535 else default
