"""How a deployment's Kafka clients reach a secured cluster: librdkafka's own connection
settings, passed through from the environment to every client of the platform (the relay's
producer, the lake writer's consumer and dead-letter producer, the console's readers,
`tail-events`). Each client also logs through the `kafka.client` logger, so that librdkafka's
lines (a refused password among them: librdkafka names the mechanism, never the secret) come
out as the service's own structured lines.

Each is `KAFKA_CLIENT_` + its librdkafka name upper case, `.` written `_` and `_` written
`__` (the convention of Confluent's images): `KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL` is
`security.protocol`, `KAFKA_CLIENT_SASL_USERNAME` is `sasl.username`. Only connection
settings pass (security, SASL, SSL): the rest of a client's configuration is the platform's
own, and a misspelt name stops the service rather than being ignored. Values are never
logged: `sasl.password` and keys are secrets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

PREFIX = "KAFKA_CLIENT_"
CLIENT_LOG = logging.getLogger("kafka.client")
# librdkafka names that may pass: how a client connects and proves who it is.
_PASSABLE_PREFIXES = ("sasl.", "ssl.")
_PASSABLE_NAMES = frozenset({"security.protocol", "enable.ssl.certificate.verification"})
# Connection settings whose values are secrets: passwords, private keys, client secrets.
_SECRET_MARKS = ("password", "secret", ".key.pem", "keystore", "private")


class KafkaClientSettingError(ValueError):
    """A `KAFKA_CLIENT_` variable that names no connection setting."""


def connection_settings(environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """The librdkafka connection settings the environment sets, by librdkafka name."""
    settings: dict[str, str] = {}
    for variable, value in (os.environ if environment is None else environment).items():
        if not variable.upper().startswith(PREFIX):
            continue
        name = _librdkafka_name(variable[len(PREFIX) :])
        if name not in _PASSABLE_NAMES and not name.startswith(_PASSABLE_PREFIXES):
            raise KafkaClientSettingError(
                f"{variable} ({name}) is not a Kafka connection setting: only security.protocol, "
                "sasl.*, ssl.* and enable.ssl.certificate.verification pass through"
            )
        settings[name] = value
    return settings


def secured(
    config: Mapping[str, Any], environment: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``config`` with the environment's connection settings added, logging through the
    `kafka.client` logger (served by the client's poll, flush or consume)."""
    return {**config, "logger": CLIENT_LOG, **connection_settings(environment)}


def is_secret(variable: str) -> bool:
    """Whether a `KAFKA_CLIENT_` variable's value is a secret (never printed)."""
    name = _librdkafka_name(variable.upper().removeprefix(PREFIX))
    return any(mark in name for mark in _SECRET_MARKS)


def _librdkafka_name(suffix: str) -> str:
    # `__` stands for `_` and `_` for `.`: split on the first, join with the second.
    return "_".join(part.replace("_", ".") for part in suffix.lower().split("__"))
