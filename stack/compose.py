"""What `make up` tells Docker Compose when the runner's settings ask for more than the
compose file's defaults: its cluster profile, for `KAFKA_BROKERS=3`."""

from __future__ import annotations

from stack.errors import StackError
from stack.kafka import replication_settings
from stack.settings import StackSettings

CLUSTER_NODES = 3


def compose_environment(settings: StackSettings) -> dict[str, str]:
    """The variables docker-compose.yml reads for the cluster profile; none for one node."""
    if settings.stack_security != "plaintext":
        raise StackError(
            "the compose file serves Kafka and the registry in the clear: "
            "STACK_SECURITY=sasl_ssl runs with local processes (STACK_MODE=local)"
        )
    nodes = settings.kafka_brokers
    if nodes == 1:
        return {}
    if nodes != CLUSTER_NODES:
        raise StackError(
            f"the compose file's cluster profile has {CLUSTER_NODES} nodes: "
            f"KAFKA_BROKERS=1 or {CLUSTER_NODES} with Docker (STACK_MODE=local runs any)"
        )
    names = ["kafka", *(f"kafka-{node}" for node in range(2, nodes + 1))]
    replication = replication_settings(nodes)
    return {
        "COMPOSE_PROFILES": "cluster",
        "KAFKA_QUORUM_VOTERS": ",".join(
            f"{node}@{name}:9093" for node, name in enumerate(names, start=1)
        ),
        # replication_settings gives every replicated topic the same copies and in-sync count.
        "KAFKA_REPLICAS": replication["default.replication.factor"],
        "KAFKA_MIN_IN_SYNC": replication["min.insync.replicas"],
        "KAFKA_INTERNAL_BOOTSTRAP": ",".join(f"{name}:29092" for name in names),
        **{
            f"KAFKA_{node + 1}_PORT": str(settings.kafka_node_ports(node)[0])
            for node in range(1, nodes)
        },
    }
