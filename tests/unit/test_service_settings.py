"""The settings base: unknown prefixed variables refused, shared variables, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from console.settings import ConsoleSettings
from consumer.settings import ConsumerSettings
from contract.framing import SchemaIdFraming
from platform_common.settings import UnknownVariableError
from producer_api.settings import ApiSettings, RelaySettings
from registry.settings import RegistrySettings


def test_a_prefixed_variable_no_setting_reads_is_refused_with_the_nearest_name() -> None:
    with pytest.raises(UnknownVariableError, match=r"CONSUMER_MAX_RECORD .*CONSUMER_MAX_RECORDS"):
        ConsumerSettings.check_variables({"CONSUMER_MAX_RECORD": "5"})
    with pytest.raises(UnknownVariableError, match=r"REGISTRY_PORTT .*REGISTRY_PORT\?"):
        RegistrySettings.check_variables({"REGISTRY_PORTT": "1"})


def test_known_shared_and_foreign_variables_pass() -> None:
    RegistrySettings.check_variables({"REGISTRY_PORT": "1", "REGISTRY_URL": "http://x"})
    ApiSettings.check_variables({"API_URL": "http://x", "API_LOG_LEVEL": "INFO", "OTHER": "1"})
    RelaySettings.check_variables({"RELAY_BATCH_SIZE": "5", "KAFKA_BOOTSTRAP_SERVERS": "x"})


def test_an_unknown_variable_stops_the_start_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_LINGER", "5")
    with pytest.raises(SystemExit, match=r"relay not started: RELAY_LINGER .*RELAY_LINGER_MS"):
        RelaySettings.from_environment("relay")


def test_shared_variables_are_read_the_same_by_every_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENTS_TOPIC", "orders")
    monkeypatch.setenv("REGISTRY_URL", "http://registry:1")
    monkeypatch.setenv("SCHEMAS_DIR", "/s")
    relay, consumer = RelaySettings(), ConsumerSettings()
    assert relay.events_topic == consumer.events_topic == "orders"
    assert relay.registry_url == consumer.registry_url == "http://registry:1"
    # The event's folder is the platform's, whatever the topic is called.
    assert relay.schema_folder == consumer.schema_folder == Path("/s/user-events-value")
    assert relay.subject == "orders-value"


def test_the_logged_settings_mask_secrets() -> None:
    api = ApiSettings(database_url=SecretStr("postgresql://app:hunter2@db:5432/platform"))
    shown = api.loggable()
    assert shown["database_url"] == "postgresql://app:***@db:5432/platform"
    odd = ApiSettings(database_url=SecretStr("postgresql://u:se#cr/et@db/platform"))
    assert "se#cr" not in repr(odd.loggable())
    assert RelaySettings(database_url=SecretStr("not a url")).loggable()["database_url"] == "***"
    assert "hunter2" not in repr(shown)
    assert ApiSettings().loggable()["database_url"].startswith("postgresql://postgres@")
    registry = RegistrySettings(database_url=SecretStr("sqlite:///r.db"))
    assert registry.loggable()["database_url"] == "sqlite:///r.db"


def test_the_relay_frames_by_prefix_unless_told_and_refuses_another_framing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert RelaySettings().schema_id_framing is SchemaIdFraming.PREFIX
    monkeypatch.setenv("RELAY_SCHEMA_ID_FRAMING", "header")
    assert RelaySettings.from_environment("relay").schema_id_framing is SchemaIdFraming.HEADER
    assert RelaySettings().loggable()["schema_id_framing"] == "header"
    monkeypatch.setenv("RELAY_SCHEMA_ID_FRAMING", "headers")
    with pytest.raises(SystemExit, match=r"(?s)relay not started: .*'prefix' or 'header'"):
        RelaySettings.from_environment("relay")


def test_every_registry_client_takes_basic_auth_and_a_ca_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REGISTRY_URL", "https://a:8081,https://b:8081")
    monkeypatch.setenv("REGISTRY_BASIC_AUTH", "platform:s3cret")
    monkeypatch.setenv("REGISTRY_CA_FILE", "/etc/ca.pem")
    RegistrySettings.check_variables({"REGISTRY_BASIC_AUTH": "x", "REGISTRY_CA_FILE": "/y"})
    # `REGISTRY_INSTANCES=3 make up`: the stack's, which every instance inherits.
    RegistrySettings.check_variables({"REGISTRY_INSTANCES": "3"})
    for settings in (RelaySettings(), ConsumerSettings(), ConsoleSettings()):
        assert settings.registry_client_config() == {
            "url": "https://a:8081,https://b:8081",
            "basic.auth.user.info": "platform:s3cret",
            "ssl.ca.location": "/etc/ca.pem",
        }
        assert "s3cret" not in repr(settings.loggable())
    # The console's own user, when set, is the one it reads and writes the registry as.
    assert ConsoleSettings().registry_auth() == ("platform", "s3cret")
    monkeypatch.setenv("CONSOLE_REGISTRY_USER", "editor")
    monkeypatch.setenv("CONSOLE_REGISTRY_PASSWORD", "other")
    assert ConsoleSettings().registry_auth() == ("editor", "other")


def test_the_registry_serves_tls_with_a_certificate_and_its_key_together() -> None:
    assert RegistrySettings().tls_options() == {}
    served = RegistrySettings(tls_cert_file=Path("/c.pem"), tls_key_file=Path("/k.pem"))
    assert served.tls_options() == {"certfile": "/c.pem", "keyfile": "/k.pem"}
    with pytest.raises(ValueError, match="REGISTRY_TLS_CERT_FILE and REGISTRY_TLS_KEY_FILE"):
        RegistrySettings(tls_cert_file=Path("/c.pem"))


def test_a_secret_that_looks_like_a_url_is_masked_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Confluent Cloud secret is base64: it may read as `scheme://…` to a URL parser.
    monkeypatch.setenv("REGISTRY_BASIC_AUTH", "ABCDKEY://x9Fq+abc/def")
    assert RelaySettings().loggable()["registry_basic_auth"] == "***"


def test_basic_auth_without_a_colon_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_BASIC_AUTH", "no-colon")
    with pytest.raises(SystemExit, match="REGISTRY_BASIC_AUTH must be user:password"):
        RelaySettings.from_environment("relay")
