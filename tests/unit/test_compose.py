"""docker-compose.yml and the local runner describe the same platform."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from stack.compose import compose_environment, what_compose_lacks
from stack.errors import StackError
from stack.jars import CONNECT_POM, KAFKA_POM, pom_path
from stack.kafka import KafkaService, replication_settings
from stack.runner import local_services
from stack.services import Service
from stack.settings import StackSettings

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
# "127.0.0.1:${VAR:-default}:container"
INTERPOLATION = re.compile(r"\$\{(?P<variable>[A-Z0-9_]+):-(?P<default>[^}]*)\}")
PORT_MAPPING = re.compile(r"^127\.0\.0\.1:\$\{(?P<variable>[A-Z_]+):-(?P<default>\d+)\}:\d+$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


def test_every_local_service_is_in_compose(compose: dict[str, Any]) -> None:
    names = {service.name for service in local_services(StackSettings())}
    assert names <= set(compose["services"])


def test_published_ports_use_the_runner_variables_and_defaults(compose: dict[str, Any]) -> None:
    defaults = StackSettings()
    for service in local_services(defaults):
        published = compose["services"][service.name]["ports"]
        mappings = [PORT_MAPPING.match(entry) for entry in published]
        assert all(mappings), f"{service.name}: ports not of the form 127.0.0.1:${{VAR:-n}}:n"
        in_compose = {m["variable"]: int(m["default"]) for m in mappings if m}
        client_variable = next(iter(service.ports()))
        assert in_compose == {client_variable: service.port}


def test_images_are_pinned_by_tag(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service.get("image")
        if image is None:
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: image {image!r} not pinned"


def test_compose_kafka_is_the_version_the_runner_fetches(compose: dict[str, Any]) -> None:
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom_path().read_text())
    assert version is not None
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version[1]}"


def _interpolated(value: Any, variables: dict[str, str]) -> str:
    """A compose value with its `${VAR:-default}` read as Compose reads them."""
    return INTERPOLATION.sub(
        lambda match: variables.get(match["variable"], match["default"]), str(value)
    )


def test_compose_kafka_has_the_runner_single_node_settings(compose: dict[str, Any]) -> None:
    assert compose_environment(StackSettings()) == {}
    environment = compose["services"]["kafka"]["environment"]
    for key, value in replication_settings(1).items():
        variable = "KAFKA_" + key.upper().replace(".", "_")
        assert _interpolated(environment.get(variable), {}) == value, variable
    assert "profiles" not in compose["services"]["kafka"]


def test_the_cluster_profile_is_the_runners_three_nodes(compose: dict[str, Any]) -> None:
    settings = StackSettings(kafka_brokers=3, kafka_port=19092)
    # KAFKA_PORT is the user's own, as every published port's variable.
    variables = {"KAFKA_PORT": "19092", **compose_environment(settings)}
    assert variables["COMPOSE_PROFILES"] == "cluster"
    nodes = [KafkaService(settings, node=node) for node in range(3)]
    for node in nodes:
        definition = compose["services"][node.name]
        environment = {
            name: _interpolated(value, variables)
            for name, value in definition["environment"].items()
        }
        for key, value in replication_settings(3).items():
            variable = "KAFKA_" + key.upper().replace(".", "_")
            assert environment.get(variable) == value, (node.name, variable)
        assert environment["KAFKA_NODE_ID"] == str(node.node + 1)
        voters = environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert [voter.split("@")[0] for voter in voters] == ["1", "2", "3"]
        (published,) = definition["ports"]
        assert _interpolated(published, variables) == f"127.0.0.1:{node.port}:9092"
        assert f"127.0.0.1:{node.port}" in environment["KAFKA_ADVERTISED_LISTENERS"]
        if node.node > 0:
            assert definition["profiles"] == ["cluster"]
    platform = compose["x-platform"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"]
    assert _interpolated(platform, variables) == "kafka:29092,kafka-2:29092,kafka-3:29092"


def test_what_the_compose_file_cannot_run_is_named_and_runs_as_local_processes() -> None:
    assert what_compose_lacks(StackSettings(kafka_brokers=3)) is None
    lacking = {
        "KAFKA_BROKERS": StackSettings(kafka_brokers=2),
        "STACK_SECURITY": StackSettings(stack_security="sasl_ssl"),
        "REGISTRY_INSTANCES": StackSettings(registry_instances=3),
    }
    for variable, settings in lacking.items():
        assert variable in (what_compose_lacks(settings) or "")
        with pytest.raises(StackError, match=f"{variable}.*STACK_MODE=local"):
            compose_environment(settings)


def test_application_services_read_the_variables_the_runner_prints(
    compose: dict[str, Any],
) -> None:
    exported = {
        variable for service in local_services(StackSettings()) for variable in service.exports()
    }
    assert exported <= set(compose["x-platform"]["environment"])


def _runner_services(tmp_path: Path) -> list[Service]:
    """The runner's services with its own PostgreSQL, whatever DATABASE_URL says here."""
    return local_services(StackSettings(stack_dir=tmp_path, database_url=None))


def test_compose_runs_the_runner_services_and_only_the_one_shot_besides(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    cluster = StackSettings(stack_dir=tmp_path, database_url=None, kafka_brokers=3)
    names = {service.name for service in local_services(cluster)}
    # The runner registers the schemas itself once the registry is up (RegistryApp).
    assert set(compose["services"]) - names == {"register-schemas"}
    assert names <= set(compose["services"])


def test_compose_runs_the_runner_commands(compose: dict[str, Any], tmp_path: Path) -> None:
    for service in _runner_services(tmp_path):
        command = compose["services"][service.name].get("command")
        if command is None:
            continue
        # The runner's first word is this venv's interpreter, the image's is `python`.
        assert command[1:] == service.command()[1:], service.name


def test_compose_sets_every_variable_the_runner_sets(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    for service in _runner_services(tmp_path):
        with mock.patch.dict(os.environ, clear=True):
            environment = service.environment()
        if environment is None:
            continue
        in_compose = set(compose["services"][service.name].get("environment", {}))
        missing = set(environment) - in_compose
        assert not missing, f"{service.name}: compose does not set {sorted(missing)}"


def test_each_container_listens_on_the_port_it_publishes(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    for service in _runner_services(tmp_path):
        definition = compose["services"][service.name]
        variable = next(iter(service.ports()))
        if variable not in definition.get("environment", {}):
            continue  # kafka and postgres: their images' own ports
        (published,) = definition["ports"]
        listens = definition["environment"][variable]
        assert published.rsplit(":", 1)[1] == listens, service.name
        assert f"127.0.0.1:{listens}/" in " ".join(definition["healthcheck"]["test"])


def test_the_image_holds_every_package_the_project_installs() -> None:
    root = COMPOSE_FILE.parent
    packages = {
        path.parent.name
        for path in root.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "stubs"}
    }
    dockerfile = (root / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile, flags=re.MULTILINE))
    assert packages <= copied, f"the Dockerfile does not copy {sorted(packages - copied)}"


def test_kafka_connect_is_the_brokers_version_with_the_same_log_binding() -> None:
    def version(pom: str, name: str) -> str:
        found = re.search(rf"<{name}>([^<]+)</{name}>", pom_path(pom).read_text())
        assert found is not None, pom
        return found[1]

    for name in ("kafka.version", "log4j.version"):
        assert version(CONNECT_POM, name) == version(KAFKA_POM, name)
