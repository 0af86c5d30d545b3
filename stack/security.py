"""The local stack secured (`STACK_SECURITY=sasl_ssl`): Kafka's client listener is SASL_SSL
with SCRAM-SHA-512, the registry is served over TLS and asks for basic auth, and every
service connects through them, as a production cluster is reached.

What it needs is made once, at the first secured start, under `$STACK_DIR/security` (files
only its owner reads): a certificate authority, one certificate for 127.0.0.1 and
localhost that both Kafka and the registry serve, and random passwords for the brokers'
own SCRAM user, the platform's services' and the registry's users file.

The services are handed what a deployment would hand them: `KAFKA_CLIENT_*` variables
(contract.kafka_client) and REGISTRY_BASIC_AUTH / REGISTRY_CA_FILE
(contract.registry_client). Unsecured, they are handed nothing, and keep whatever the
environment sets.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
import subprocess
import sys
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from contract.kafka_client import connection_settings, is_secret
from contract.registry_client import (
    BASIC_AUTH_VARIABLE,
    CA_FILE_VARIABLE,
    registry_client_config,
)
from stack.errors import StackError
from stack.settings import StackSettings

SCRAM_MECHANISM = "SCRAM-SHA-512"
# The brokers' own user, for replication between them.
BROKER_USER = "broker"
# The user every service of the platform connects as, to Kafka and to the registry.
PLATFORM_USER = "platform"
LISTENER = "SASL_SSL"
_VALIDITY = datetime.timedelta(days=825)


class StackSecurity:
    """The stack's certificates and credentials, and what each side is given of them."""

    def __init__(self, settings: StackSettings) -> None:
        self.enabled = settings.stack_security == "sasl_ssl"
        self.directory = settings.stack_dir / "security"

    @property
    def ca_file(self) -> Path:
        return (self.directory / "ca.pem").resolve()

    @property
    def certificate_file(self) -> Path:
        """The server's certificate, then the authority's: what TLS servers present."""
        return (self.directory / "server.pem").resolve()

    @property
    def key_file(self) -> Path:
        return (self.directory / "server-key.pem").resolve()

    @property
    def kafka_keystore(self) -> Path:
        """Key and certificates in one PEM file, as Kafka's PEM keystore takes them."""
        return (self.directory / "kafka-keystore.pem").resolve()

    @property
    def registry_users_file(self) -> Path:
        return (self.directory / "registry-users").resolve()

    @property
    def passwords_file(self) -> Path:
        return (self.directory / "passwords.json").resolve()

    def prepare(self) -> None:
        """Make what is missing (idempotent); nothing when unsecured."""
        if not self.enabled:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        if not self.kafka_keystore.exists():
            self._make_certificates()
        if not self.passwords_file.exists():
            if self.registry_users_file.exists():
                # The brokers' storage and the users file hold the lost passwords' users.
                raise StackError(
                    f"{self.passwords_file} is gone while the users it made remain: "
                    "`make clean` to start the secured stack afresh"
                )
            passwords = {user: secrets.token_urlsafe(24) for user in (BROKER_USER, PLATFORM_USER)}
            write_private(self.passwords_file, json.dumps(passwords))
        if not self.registry_users_file.exists():
            hashed = _registry_password_hash(self.password(PLATFORM_USER))
            write_private(self.registry_users_file, f"{PLATFORM_USER}:read-write:{hashed}\n")

    def password(self, user: str) -> str:
        return self._passwords[user]

    @cached_property
    def _passwords(self) -> dict[str, str]:
        # Read once: readiness probes and every service's environment ask for them, and
        # once made they do not change (`prepare` refuses to make them again).
        try:
            passwords: dict[str, str] = json.loads(self.passwords_file.read_text())
        except FileNotFoundError:
            raise StackError(
                f"no {self.passwords_file}: `make up` the stack with STACK_SECURITY=sasl_ssl first"
            ) from None
        return passwords

    def masked(self, text: str) -> str:
        """``text`` with the stack's passwords replaced by `***` (a tool's output may echo
        the command line that carried them)."""
        if not self.enabled or not self.passwords_file.exists():
            return text
        for user in (BROKER_USER, PLATFORM_USER):
            text = text.replace(self.password(user), "***")
        return text

    # -- Kafka ------------------------------------------------------------------------------

    @property
    def listener(self) -> str:
        """The security protocol (and name) of the brokers' client listener."""
        return LISTENER if self.enabled else "PLAINTEXT"

    def broker_properties(self) -> dict[str, str]:
        """How a broker's SASL_SSL listener authenticates clients and other brokers."""
        if not self.enabled:
            return {}
        jaas = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{BROKER_USER}" password="{self.password(BROKER_USER)}";'
        )
        return {
            "sasl.enabled.mechanisms": SCRAM_MECHANISM,
            "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
            f"listener.name.{LISTENER.lower()}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config": jaas,
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.kafka_keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
        }

    def scram_users(self) -> list[str]:
        """The storage tool's `--add-scram` values: SCRAM users exist from the cluster's
        first metadata on, before any broker can be asked to create them."""
        return [
            f"{SCRAM_MECHANISM}=[name={user},password={self.password(user)}]"
            for user in (BROKER_USER, PLATFORM_USER)
        ]

    def kafka_client_environment(self) -> dict[str, str]:
        """The `KAFKA_CLIENT_*` variables of the platform's services."""
        if not self.enabled:
            return {}
        return {
            "KAFKA_CLIENT_SECURITY_PROTOCOL": LISTENER,
            "KAFKA_CLIENT_SASL_MECHANISMS": SCRAM_MECHANISM,
            "KAFKA_CLIENT_SASL_USERNAME": PLATFORM_USER,
            "KAFKA_CLIENT_SASL_PASSWORD": self.password(PLATFORM_USER),
            "KAFKA_CLIENT_SSL_CA_LOCATION": str(self.ca_file),
        }

    def client_exports(self) -> dict[str, str]:
        """What a client of the secured stack sets, secrets aside (they are in
        `passwords_file`), as `make up` prints it."""
        if not self.enabled:
            return {}
        kafka = {
            name: value
            for name, value in self.kafka_client_environment().items()
            if not is_secret(name)
        }
        return {**kafka, CA_FILE_VARIABLE: str(self.ca_file)}

    def kafka_client_config(self) -> dict[str, str]:
        """librdkafka's connection settings for the stack's own clients: the secured
        stack's, or else the environment's (a cluster of a deployment's own)."""
        if not self.enabled:
            return connection_settings()
        return connection_settings(self.kafka_client_environment())

    # -- the registry -----------------------------------------------------------------------

    def registry_server_environment(self) -> dict[str, str]:
        if not self.enabled:
            return {}
        return {
            "REGISTRY_TLS_CERT_FILE": str(self.certificate_file),
            "REGISTRY_TLS_KEY_FILE": str(self.key_file),
            "REGISTRY_AUTH_FILE": str(self.registry_users_file),
        }

    def registry_client_environment(self) -> dict[str, str]:
        """REGISTRY_BASIC_AUTH and REGISTRY_CA_FILE of the registry's clients."""
        if not self.enabled:
            return {}
        return {
            BASIC_AUTH_VARIABLE: f"{PLATFORM_USER}:{self.password(PLATFORM_USER)}",
            CA_FILE_VARIABLE: str(self.ca_file),
        }

    def registry_client_config(self, url: str) -> dict[str, str]:
        """The stack's own SchemaRegistryClient settings."""
        environment = {**os.environ, **self.registry_client_environment()}
        return registry_client_config(
            url,
            basic_auth=environment.get(BASIC_AUTH_VARIABLE),
            ca_file=environment.get(CA_FILE_VARIABLE),
        )

    def registry_auth(self) -> tuple[str, str] | None:
        """(user, password) for the stack's own HTTP requests to the registry."""
        return (PLATFORM_USER, self.password(PLATFORM_USER)) if self.enabled else None

    def registry_verify(self) -> str | bool:
        """What `requests` verifies the registry's certificate with."""
        return str(self.ca_file) if self.enabled else True

    # -- certificates -----------------------------------------------------------------------

    def _make_certificates(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "event platform stack CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(signs_certificates=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        server = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(
                # Clients check the name they connected to: the stack listens on loopback.
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signs_certificates=False), critical=True)
            .add_extension(
                # Brokers are also clients of each other.
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        chain = server.public_bytes(serialization.Encoding.PEM) + ca_pem
        # Unencrypted PKCS#8: what Kafka's PEM keystore reads without a key password.
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(self.ca_file, ca_pem.decode())
        write_private(self.certificate_file, chain.decode())
        write_private(self.key_file, key_pem.decode())
        write_private(self.kafka_keystore, (key_pem + chain).decode())


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not signs_certificates,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def write_private(path: Path, text: str) -> None:
    """``text`` in a file only its owner reads, from before anything is written to it."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def _registry_password_hash(password: str) -> str:
    """The registry's own hash of ``password`` (its CLI owns the users file's format)."""
    result = subprocess.run(
        [sys.executable, "-m", "registry.cli", "hash-password", "--password-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"hashing the registry's password failed: {result.stderr.strip()}")
    return result.stdout.strip()
