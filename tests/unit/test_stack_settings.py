from __future__ import annotations

import socket
from pathlib import Path

import pytest

from stack import runner
from stack.apps import RegistryApp, RelayApp
from stack.kafka import KafkaService
from stack.ports import port_is_free
from stack.process import ManagedProcess
from stack.settings import StackSettings


def test_controller_port_follows_client_port_by_default() -> None:
    assert StackSettings(kafka_port=19092).kafka_controller_port == 19093


def test_explicit_controller_port_is_kept() -> None:
    settings = StackSettings(kafka_port=19092, kafka_controller_port=29093)
    assert settings.kafka_controller_port == 29093


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_PORT", "29092")
    monkeypatch.setenv("POSTGRES_PORT", "25432")
    monkeypatch.setenv("STACK_DIR", "/srv/elsewhere")
    settings = StackSettings()
    assert settings.kafka_bootstrap == "127.0.0.1:29092"
    assert settings.postgres_port == 25432
    assert settings.kafka_jars == Path("/srv/elsewhere/kafka/libs")


def test_port_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_PORT", "70000")
    with pytest.raises(ValueError, match="kafka_port"):
        StackSettings()


def test_port_is_free_sees_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port)
    assert port_is_free(port)


def test_unreadable_pid_file_means_nothing_recorded(tmp_path: Path) -> None:
    process = ManagedProcess("kafka", tmp_path)
    process.pid_file.write_text("not json")
    assert process.record() is None
    assert process.running() is None


def test_unset_ports_follow_the_kafka_port() -> None:
    second = StackSettings(kafka_port=19092)
    assert (second.postgres_port, second.registry_port, second.api_port) == (15432, 18081, 15000)
    assert second.relay_metrics_port == 19400
    explicit = StackSettings(kafka_port=19092, registry_port=28081)
    assert explicit.registry_port == 28081


def test_a_shift_below_the_unprivileged_range_keeps_the_defaults() -> None:
    low = StackSettings(kafka_port=2000)
    assert (low.registry_port, low.api_port) == (8081, 5000)


def test_registry_instances_run_on_the_ports_after_the_first_and_clients_get_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REGISTRY_INSTANCES", "3")
    settings = StackSettings(registry_port=18081)
    assert settings.registry_ports == [18081, 18082, 18083]
    urls = "http://127.0.0.1:18081,http://127.0.0.1:18082,http://127.0.0.1:18083"
    assert settings.registry_url == urls
    services = runner.local_services(settings)
    registries = [service for service in services if isinstance(service, RegistryApp)]
    assert [(app.name, app.port) for app in registries] == [
        ("registry", 18081),
        ("registry-2", 18082),
        ("registry-3", 18083),
    ]
    assert len({app.state_dir for app in registries}) == 3
    relay = next(service for service in services if isinstance(service, RelayApp))
    assert relay.environment()["REGISTRY_URL"] == urls


def test_one_registry_instance_is_the_default() -> None:
    settings = StackSettings(registry_port=18081)
    assert settings.registry_url == "http://127.0.0.1:18081"
    with pytest.raises(ValueError, match="registry_instances"):
        StackSettings(registry_instances=0)


def test_a_three_node_cluster_shares_one_quorum_and_replicates_three_times() -> None:
    settings = StackSettings(kafka_port=19092, kafka_brokers=3)
    assert settings.kafka_bootstrap == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    nodes = [
        service for service in runner.local_services(settings) if isinstance(service, KafkaService)
    ]
    assert [(node.name, node.port, node.controller_port) for node in nodes] == [
        ("kafka", 19092, 19093),
        ("kafka-2", 19094, 19095),
        ("kafka-3", 19096, 19097),
    ]
    second = nodes[1].server_properties()
    assert second["node.id"] == "2"
    assert second["controller.quorum.voters"] == (
        "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    )
    assert second["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19094"
    assert (second["default.replication.factor"], second["min.insync.replicas"]) == ("3", "2")
    assert second["offsets.topic.replication.factor"] == "3"
    single = KafkaService(StackSettings(kafka_port=19092)).server_properties()
    assert (single["default.replication.factor"], single["min.insync.replicas"]) == ("1", "1")
