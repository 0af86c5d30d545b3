from __future__ import annotations

import socket
from pathlib import Path

import pytest

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
