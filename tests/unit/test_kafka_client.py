"""Kafka connection settings passed through from the environment to every client."""

from __future__ import annotations

import pytest

from consumer.settings import ConsumerSettings
from contract.kafka_client import (
    CLIENT_LOG,
    KafkaClientSettingError,
    connection_settings,
    is_secret,
    secured,
)
from producer_api.relay.delivery import DeliveryFailures, producer_config
from producer_api.settings import RelaySettings

SECURED = {
    "KAFKA_CLIENT_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_CLIENT_SASL_MECHANISMS": "SCRAM-SHA-512",
    "KAFKA_CLIENT_SASL_USERNAME": "relay",
    "KAFKA_CLIENT_SASL_PASSWORD": "s3cret-value",
    "KAFKA_CLIENT_SSL_CA_LOCATION": "/etc/kafka/ca.pem",
    "KAFKA_CLIENT_ENABLE_SSL_CERTIFICATE_VERIFICATION": "true",
    "OTHER": "ignored",
}


def test_names_follow_confluents_convention() -> None:
    assert connection_settings(SECURED) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "relay",
        "sasl.password": "s3cret-value",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "enable.ssl.certificate.verification": "true",
    }
    # `__` is an underscore of the name itself.
    assert connection_settings({"KAFKA_CLIENT_SASL_OAUTHBEARER_CLIENT__ID": "x"}) == {
        "sasl.oauthbearer.client_id": "x"
    }


def test_a_setting_that_is_not_about_the_connection_is_refused() -> None:
    with pytest.raises(KafkaClientSettingError, match="KAFKA_CLIENT_ACKS"):
        connection_settings({"KAFKA_CLIENT_ACKS": "0"})


def test_every_client_config_carries_them_over_its_own() -> None:
    config = secured({"bootstrap.servers": "b:9092", "acks": "all"}, SECURED)
    assert config["acks"] == "all"
    assert config["security.protocol"] == "SASL_SSL"


def test_the_relays_producer_connects_as_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable, value in SECURED.items():
        monkeypatch.setenv(variable, value)
    config = producer_config(RelaySettings(), DeliveryFailures())
    assert config["sasl.username"] == "relay"
    assert config["enable.idempotence"] is True


def test_a_service_names_what_it_passes_but_never_the_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable, value in SECURED.items():
        monkeypatch.setenv(variable, value)
    logged = ConsumerSettings.from_environment("consumer").loggable()
    assert "sasl.password" in logged["kafka_connection"]
    assert "s3cret-value" not in repr(logged)


def test_a_misspelt_setting_stops_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_CLIENT_SECURITY_PROTOKOL", "SSL")
    with pytest.raises(SystemExit, match="KAFKA_CLIENT_SECURITY_PROTOKOL"):
        RelaySettings.from_environment("relay")


def test_librdkafkas_lines_come_out_through_the_services_logging() -> None:
    assert secured({"bootstrap.servers": "b:9092"}, {})["logger"] is CLIENT_LOG


def test_secret_settings_are_told_apart() -> None:
    secrets = [
        "KAFKA_CLIENT_SASL_PASSWORD",
        "KAFKA_CLIENT_SSL_KEY_PASSWORD",
        "KAFKA_CLIENT_SSL_KEY_PEM",
        "KAFKA_CLIENT_SASL_OAUTHBEARER_CLIENT_SECRET",
    ]
    plain = [
        "KAFKA_CLIENT_SECURITY_PROTOCOL",
        "KAFKA_CLIENT_SASL_USERNAME",
        "KAFKA_CLIENT_SASL_MECHANISMS",
        "KAFKA_CLIENT_SSL_CA_LOCATION",
    ]
    assert all(is_secret(variable) for variable in secrets)
    assert not any(is_secret(variable) for variable in plain)
