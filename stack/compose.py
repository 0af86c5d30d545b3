"""What `make up` tells Docker Compose when the runner's settings ask for more than the
compose file's defaults: its cluster profile, for `KAFKA_BROKERS=3`."""

from __future__ import annotations

from stack.errors import StackError
from stack.kafka import KafkaService, replication_settings
from stack.settings import StackSettings

CLUSTER_NODES = 3


# What `down`, `status` and `logs` see: the cluster's nodes too, whether they run or not.
EVERY_PROFILE = {"COMPOSE_PROFILES": "cluster"}


def what_compose_lacks(settings: StackSettings) -> str | None:
    """Why the compose file cannot run these settings (local processes can), or None."""
    if settings.stack_security != "plaintext":
        return "the compose file serves Kafka and the registry in the clear (STACK_SECURITY)"
    if settings.registry_instances != 1:
        return "the compose file runs one registry (REGISTRY_INSTANCES)"
    if settings.kafka_brokers not in (1, CLUSTER_NODES):
        return f"the compose file runs 1 or {CLUSTER_NODES} Kafka nodes (KAFKA_BROKERS)"
    return None


def compose_environment(settings: StackSettings) -> dict[str, str]:
    """The variables docker-compose.yml reads for the cluster profile; none for one node.

    Raises:
        StackError: the compose file cannot run these settings.
    """
    lacking = what_compose_lacks(settings)
    if lacking is not None:
        raise StackError(f"{lacking}: STACK_MODE=local runs them as local processes")
    nodes = settings.kafka_brokers
    if nodes == 1:
        return {}
    names = [KafkaService(settings, node=node).name for node in range(nodes)]
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
