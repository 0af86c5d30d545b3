"""The secured stack (`STACK_SECURITY=sasl_ssl`): what it makes and what each side is given."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from contract.kafka_client import connection_settings
from stack import security as security_module
from stack.apps import ConsoleApp, ConsumerApp, RegistryApp, RelayApp
from stack.errors import StackError
from stack.kafka import KafkaService
from stack.security import PLATFORM_USER, StackSecurity
from stack.settings import StackSettings


@pytest.fixture
def secured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StackSettings:
    # The registry's CLI hashes the users file's password: a process, kept out of unit tests.
    monkeypatch.setattr(security_module, "_registry_password_hash", lambda password: "hash")
    settings = StackSettings(stack_dir=tmp_path, stack_security="sasl_ssl")
    StackSecurity(settings).prepare()
    return settings


def test_unsecured_the_services_are_given_nothing(tmp_path: Path) -> None:
    settings = StackSettings(stack_dir=tmp_path)
    security = StackSecurity(settings)
    security.prepare()
    assert not (tmp_path / "security").exists()
    assert security.kafka_client_environment() == {}
    assert security.registry_client_environment() == {}
    assert security.broker_properties() == {}
    assert settings.registry_url.startswith("http://")
    assert KafkaService(settings).server_properties()["listeners"].startswith("PLAINTEXT://")


def test_what_is_made_only_its_owner_reads(secured: StackSettings) -> None:
    folder = secured.stack_dir / "security"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(path.name for path in folder.iterdir())
    assert files == [
        "ca.pem",
        "kafka-keystore.pem",
        "passwords.json",
        "registry-users",
        "server-key.pem",
        "server.pem",
    ]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in folder.iterdir())
    assert (folder / "registry-users").read_text() == f"{PLATFORM_USER}:read-write:hash\n"


def test_the_certificate_names_loopback_and_is_signed_by_the_authority(
    secured: StackSettings,
) -> None:
    security = StackSecurity(secured)
    authority = x509.load_pem_x509_certificate(security.ca_file.read_bytes())
    server, chained = x509.load_pem_x509_certificates(security.certificate_file.read_bytes())
    assert chained == authority
    server.verify_directly_issued_by(authority)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    keystore = security.kafka_keystore.read_text()
    assert keystore.startswith("-----BEGIN PRIVATE KEY-----")
    assert keystore.count("BEGIN CERTIFICATE") == 2


def test_a_second_start_keeps_what_the_first_made(secured: StackSettings) -> None:
    security = StackSecurity(secured)
    before = security.ca_file.read_bytes(), security.password(PLATFORM_USER)
    security.prepare()
    assert (security.ca_file.read_bytes(), security.password(PLATFORM_USER)) == before


def test_the_brokers_listen_sasl_ssl_and_the_quorum_in_the_clear(
    secured: StackSettings,
) -> None:
    properties = KafkaService(secured).server_properties()
    port, controller = secured.kafka_node_ports(0)
    assert properties["listeners"] == (
        f"SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}"
    )
    assert properties["inter.broker.listener.name"] == "SASL_SSL"
    assert properties["listener.security.protocol.map"] == "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["ssl.keystore.type"] == "PEM"
    security = StackSecurity(secured)
    jaas = properties["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"]
    assert f'password="{security.password("broker")}"' in jaas
    assert [user.split("[name=")[1].split(",")[0] for user in security.scram_users()] == [
        "broker",
        PLATFORM_USER,
    ]


def test_every_service_is_handed_the_connection_a_deployment_would_set(
    secured: StackSettings,
) -> None:
    security = StackSecurity(secured)
    # What contract.kafka_client passes on is librdkafka's names.
    assert connection_settings(security.kafka_client_environment()) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": PLATFORM_USER,
        "sasl.password": security.password(PLATFORM_USER),
        "ssl.ca.location": str(security.ca_file),
    }
    for app in (RelayApp(secured), ConsumerApp(secured), ConsoleApp(secured)):
        environment = app.environment()
        assert environment["KAFKA_CLIENT_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert environment["REGISTRY_CA_FILE"] == str(security.ca_file)
        assert environment["REGISTRY_BASIC_AUTH"] == (
            f"{PLATFORM_USER}:{security.password(PLATFORM_USER)}"
        )
        assert environment["REGISTRY_URL"].startswith("https://127.0.0.1:")
    registry = RegistryApp(secured).environment()
    assert registry["REGISTRY_TLS_CERT_FILE"] == str(security.certificate_file)
    assert registry["REGISTRY_AUTH_FILE"] == str(security.registry_users_file)


def test_storage_formatted_for_another_security_is_refused(
    secured: StackSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stack.kafka.jars_present", lambda _folder: True)
    node = KafkaService(secured)
    node.data_dir.mkdir(parents=True)
    (node.data_dir / "meta.properties").write_text("")
    (node.state_dir / "formatted-for").write_text("plaintext")
    with pytest.raises(StackError, match="formatted for STACK_SECURITY=plaintext"):
        node.prepare(echo=lambda _line: None)


def test_what_make_up_prints_leaves_the_secrets_in_their_file(secured: StackSettings) -> None:
    security = StackSecurity(secured)
    printed = security.client_exports()
    assert printed["KAFKA_CLIENT_SASL_USERNAME"] == PLATFORM_USER
    assert printed["REGISTRY_CA_FILE"] == str(security.ca_file)
    for user in (PLATFORM_USER, "broker"):
        assert security.password(user) not in repr(printed)
        assert security.password(user) not in security.masked(f"x {security.password(user)} y")


def test_lost_passwords_are_not_made_anew_under_the_users_they_made(
    secured: StackSettings,
) -> None:
    security = StackSecurity(secured)
    security.passwords_file.unlink()
    with pytest.raises(StackError, match="make clean"):
        security.prepare()
    with pytest.raises(StackError, match="STACK_SECURITY=sasl_ssl first"):
        security.password(PLATFORM_USER)
