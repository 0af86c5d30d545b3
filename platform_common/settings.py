"""The base of every service's settings, and the variables several services share.

Each service has one settings class, read from the environment once at start through
`ServiceSettings.from_environment`, which:
- refuses a variable that carries the service's prefix but names no setting (a typo such as
  `REGISTRY_PORTT` would otherwise be ignored), naming the nearest known one;
- logs the effective settings once, secrets masked.

The shared variables (the broker, the registry, the event stream) are declared once, in the
mixins below, with their defaults.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import structlog
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from contract.kafka_client import KafkaClientSettingError, connection_settings
from contract.registry_client import (
    BASIC_AUTH_VARIABLE,
    CA_FILE_VARIABLE,
    URL_VARIABLE,
    basic_auth_pair,
    registry_client_config,
)
from contract.subjects import (
    USER_EVENTS_SUBJECT,
    USER_EVENTS_TOPIC,
    user_events_folder,
    value_subject,
)

log = structlog.get_logger("platform_common.settings")
_MASK = "***"


class UnknownVariableError(ValueError):
    """An environment variable with a service's prefix that names none of its settings."""


class ServiceSettings(BaseSettings):
    """Base of a service's settings: `<PREFIX>LOG_LEVEL` and the start-up checks."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Variables that carry this service's prefix but belong to others (`REGISTRY_URL` is
    # where clients find the registry, not a registry setting).
    foreign_variables: ClassVar[frozenset[str]] = frozenset()

    log_level: str = Field(default="INFO", description="Level of the JSON logs.")

    @classmethod
    def from_environment(cls, service: str) -> Self:
        """The settings from the environment; stops the process with a clear message when a
        variable is unknown or a value does not validate."""
        try:
            cls.check_variables(os.environ)
            settings = cls()
        except (UnknownVariableError, ValidationError) as error:
            raise SystemExit(f"{service} not started: {error}") from None
        return settings

    @classmethod
    def known_variables(cls) -> frozenset[str]:
        """Every variable name this class reads, upper case."""
        prefix = cls.model_config.get("env_prefix", "")
        names: set[str] = set()
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(choice for choice in alias.choices if isinstance(choice, str))
            elif isinstance(alias, str):
                names.add(alias)
            else:
                names.add(f"{prefix}{name}")
        return frozenset(name.upper() for name in names)

    @classmethod
    def check_variables(cls, environment: Mapping[str, str]) -> None:
        """Raises UnknownVariableError for the first prefixed variable no setting reads."""
        prefix = cls.model_config.get("env_prefix", "").upper()
        if not prefix:
            return
        known = cls.known_variables() | cls.foreign_variables
        for variable in sorted(environment):
            name = variable.upper()
            if name.startswith(prefix) and name not in known:
                nearest = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean {nearest[0]}?" if nearest else ""
                raise UnknownVariableError(f"{variable} is not a setting of this service{hint}")

    def loggable(self) -> dict[str, Any]:
        """The settings as JSON values, secrets masked (a URL keeps all but its password)."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump(mode="python").items():
            if isinstance(value, SecretStr):
                # A URL keeps all but its password; any other secret shows as the mask.
                secret = value.get_secret_value()
                shown[name] = _masked(secret) if name.endswith("_url") else _MASK
            elif isinstance(value, Path):
                shown[name] = str(value)
            else:
                shown[name] = value
        return shown

    def log_effective(self, service: str) -> None:
        log.info("settings", service=service, settings=self.loggable())


def _masked(secret: str) -> str:
    """A database URL with its password hidden (parsed as SQLAlchemy parses it, so a `#` or
    `/` in the password cannot expose it), or the mask alone when it does not parse."""
    try:
        url = make_url(secret)
    except ArgumentError:
        return _MASK
    return url.render_as_string(hide_password=True)


class KafkaClientSettings(ServiceSettings):
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka brokers.",
    )

    @classmethod
    def check_variables(cls, environment: Mapping[str, str]) -> None:
        """Also the `KAFKA_CLIENT_` connection settings (contract.kafka_client): one
        that names no connection setting stops the service."""
        super().check_variables(environment)
        try:
            connection_settings(environment)
        except KafkaClientSettingError as error:
            raise UnknownVariableError(str(error)) from error

    def kafka_connection(self) -> list[str]:
        """The connection settings the environment passes to this service's Kafka clients,
        by name (their values may be secrets: never logged)."""
        return sorted(connection_settings())

    def loggable(self) -> dict[str, Any]:
        return {**super().loggable(), "kafka_connection": self.kafka_connection()}


class RegistryClientSettings(ServiceSettings):
    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        validation_alias=AliasChoices(URL_VARIABLE),
        description="Schema Registry the event schemas are looked up in: one URL, or several "
        "instances' comma-separated (the client tries the next when one fails).",
    )
    registry_basic_auth: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(BASIC_AUTH_VARIABLE),
        description="`user:password` when the registry asks for basic auth.",
    )
    registry_ca_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices(CA_FILE_VARIABLE),
        description="PEM file of the authorities that sign an https registry's certificate "
        "(default: the system's).",
    )

    @field_validator("registry_basic_auth")
    @classmethod
    def _basic_auth_pair(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            basic_auth_pair(value.get_secret_value())
        return value

    def registry_auth(self) -> tuple[str, str] | None:
        """(user, password) for plain HTTP requests to the registry."""
        basic_auth = self.registry_basic_auth
        return basic_auth_pair(basic_auth.get_secret_value()) if basic_auth is not None else None

    def registry_client_config(self) -> dict[str, str]:
        """What `confluent_kafka`'s SchemaRegistryClient is given."""
        basic_auth = self.registry_basic_auth
        return registry_client_config(
            self.registry_url,
            basic_auth=basic_auth.get_secret_value() if basic_auth is not None else None,
            ca_file=self.registry_ca_file,
        )


class EventStreamSettings(ServiceSettings):
    """The events' topic and the folder of their schema versions."""

    events_topic: str = Field(
        default=USER_EVENTS_TOPIC,
        validation_alias=AliasChoices("EVENTS_TOPIC"),
        description="Topic of the user events; their subject is `<topic>-value`.",
    )
    schemas_dir: Path = Field(
        default=Path("schemas"),
        validation_alias=AliasChoices("SCHEMAS_DIR"),
        description="Folder of the event schemas (one folder per subject).",
    )
    event_schema_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("EVENT_SCHEMA_DIR"),
        description="Folder of the event's schema versions (default: "
        f"SCHEMAS_DIR/{USER_EVENTS_SUBJECT}, whatever the topic is called).",
    )

    @property
    def subject(self) -> str:
        return value_subject(self.events_topic)

    @property
    def schema_folder(self) -> Path:
        return self.event_schema_dir or user_events_folder(self.schemas_dir)
