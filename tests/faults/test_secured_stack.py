"""The whole platform secured (`STACK_SECURITY=sasl_ssl`): Kafka's listener is SASL_SSL with
SCRAM-SHA-512, the registry serves TLS and asks for basic auth, and every service connects
through them with the `KAFKA_CLIENT_*` and `REGISTRY_*` variables a deployment sets."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from confluent_kafka import Producer

from stack.apps import ConsumerApp
from stack.ports import free_port
from stack.runner import start_service
from stack.security import BROKER_USER, PLATFORM_USER, StackSecurity
from stack.settings import StackSettings
from tests.conftest import ProcessDirs, shared_jar_dir
from tests.faults.support import FaultStack, Figures, follow_to_lake, running

pytestmark = pytest.mark.timeout(600)

# What librdkafka logs, through the service's logging, when the broker refuses the password.
WRITER_REFUSAL = "SASL authentication error"


@pytest.fixture(scope="module")
def secured_stack(process_dirs: ProcessDirs) -> Iterator[FaultStack]:
    settings = StackSettings.on_free_ports(
        process_dirs.make("secured-stack"), kafka_jar_dir=shared_jar_dir()
    ).model_copy(update={"stack_security": "sasl_ssl"})
    with running(settings) as stack:
        yield stack


def test_the_walkthrough_reaches_the_lake_through_sasl_ssl_and_tls(
    secured_stack: FaultStack, report: Figures
) -> None:
    security = StackSecurity(secured_stack.settings)
    bootstrap = secured_stack.settings.kafka_bootstrap
    # Nothing answers in the clear: the broker's listener wants TLS, the registry too.
    plaintext = _produce(bootstrap, {}, timeout=5.0)
    in_the_clear = _status(secured_stack.settings.registry_url.replace("https", "http"))
    anonymous = requests.get(
        f"{secured_stack.registry_url}/subjects", verify=str(security.ca_file), timeout=10
    )

    answer = requests.post(
        f"{secured_stack.api_url}/users",
        json={"username": "jtr", "country_code": "BE", "created_at": "2021-01-01 00:00:00"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    follow_to_lake(
        secured_stack,
        [answer.json()["id"]],
        report,
        "SASL_SSL and TLS: the walkthrough's user",
        plaintext_kafka_client=plaintext,
        plain_http_registry=in_the_clear,
        registry_without_credentials=anonymous.status_code,
    )
    assert plaintext != "acknowledged"
    assert in_the_clear == "no answer"
    assert anonymous.status_code == 401


def test_a_wrong_password_is_refused_and_logged_without_it(
    secured_stack: FaultStack, report: Figures
) -> None:
    settings = secured_stack.settings
    security = StackSecurity(settings)
    wrong = f"wrong-{uuid.uuid4().hex}"
    connection = {**security.kafka_client_config(), "sasl.password": wrong}
    refused = _produce(settings.kafka_bootstrap, connection, timeout=10.0)

    # A lake writer of the platform, given the wrong password as a deployment would.
    writer = WrongPasswordWriter(
        settings.model_copy(update={"consumer_metrics_port": free_port()}), wrong
    )
    start_service(writer, echo=lambda _line: None)
    try:
        writer_log = _wait_for(writer.process.log_file, WRITER_REFUSAL)
    finally:
        writer.process.stop(timeout=20.0)
    # The broker names the mechanism and the client's address: neither user nor password.
    refusal = "invalid credentials with SASL mechanism SCRAM-SHA-512"
    broker_log = _wait_for(secured_stack.services["kafka"].process.log_file, refusal)
    registry = requests.get(
        f"{secured_stack.registry_url}/subjects",
        auth=(PLATFORM_USER, wrong),
        verify=str(security.ca_file),
        timeout=10,
    )
    registry_log = secured_stack.services["registry"].process.log_file.read_text()

    failures = [line for line in writer_log.splitlines() if WRITER_REFUSAL in line]
    logs = (writer_log, broker_log, registry_log)
    # Nor is any right password in any log of the stack.
    every_log = [
        service.process.log_file.read_text() for service in secured_stack.services.values()
    ]
    secrets = [security.password(user) for user in (PLATFORM_USER, BROKER_USER)]
    report(
        "SASL_SSL and TLS: a wrong password: "
        f"producer {refused}, lake writer's log lines {len(failures)}, "
        f"broker's refusals logged {broker_log.count(refusal)}, "
        f"registry {registry.status_code}, "
        f"the password in a log {sum(wrong in log for log in logs)}, "
        f"a right password in a log {sum(secret in log for log in every_log for secret in secrets)}"
    )
    assert refused == "_AUTHENTICATION"
    assert failures and all(_structured(line) for line in failures), failures[:3]
    assert registry.status_code == 401
    for log in logs:
        assert wrong not in log
    for log in every_log:
        assert all(secret not in log for secret in secrets)


class WrongPasswordWriter(ConsumerApp):
    name = "consumer-wrong-password"

    def __init__(self, settings: StackSettings, password: str) -> None:
        super().__init__(settings)
        self._password = password

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "KAFKA_CLIENT_SASL_PASSWORD": self._password,
            "CONSUMER_GROUP_ID": f"wrong-password-{uuid.uuid4().hex[:8]}",
        }


def _produce(bootstrap: str, connection: dict[str, str], *, timeout: float) -> str:
    """One record produced with ``connection``: `acknowledged`, or the error's name."""
    outcome: list[str] = []
    errors: list[str] = []
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "message.timeout.ms": int(timeout * 1000),
            "log_level": 0,
            "error_cb": lambda error: errors.append(error.name()),
            **connection,
        }
    )
    producer.produce(
        "secured-probe",
        b"probe",
        on_delivery=lambda error, _message: outcome.append(
            "acknowledged" if error is None else error.name()
        ),
    )
    producer.flush(timeout + 5)
    # An authentication failure is reported to the error callback, before any delivery's.
    return errors[0] if errors else (outcome[0] if outcome else "no answer")


def _status(url: str) -> str:
    try:
        return str(requests.get(f"{url}/subjects", timeout=5).status_code)
    except requests.RequestException:
        return "no answer"


def _wait_for(log_file: Path, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log_file.read_text() if log_file.exists() else ""
        if text in content:
            return content
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not in {log_file} after {timeout} s")


def _structured(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
