"""The platform on a three-node Kafka cluster (`KAFKA_BROKERS=3`): the events topic has three
replicas and a write needs two. One node may die without an error or a lost event; with two
down nothing is acknowledged, so the relay keeps every event until a node returns."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from stack.kafka import KafkaService
from stack.settings import StackSettings
from tests.conftest import ProcessDirs, shared_jar_dir
from tests.faults.support import (
    FaultStack,
    Figures,
    UserLoad,
    every_request_served_and_landed,
    follow_to_lake,
    running,
)

pytestmark = pytest.mark.timeout(600)

NODES = 3


@pytest.fixture(scope="module")
def cluster_stack(process_dirs: ProcessDirs) -> Iterator[FaultStack]:
    settings = StackSettings.on_free_ports(
        process_dirs.make("cluster-stack"), kafka_jar_dir=shared_jar_dir(), kafka_brokers=NODES
    )
    with running(settings) as stack:
        # The events topic exists, with its leader, once a first event went through.
        warm_up = UserLoad(stack.api_url, 10, concurrency=1).start().join()
        follow_to_lake(stack, warm_up.user_ids, lambda _line: None, "warm-up")
        yield stack


def test_the_events_leader_killed_during_load_loses_nothing(
    cluster_stack: FaultStack, report: Figures
) -> None:
    users = 10_000
    load = UserLoad(cluster_stack.api_url, users).start()
    load.wait_until_done(users // 5)
    leader = cluster_stack.events_leader()
    cluster_stack.kill(leader)
    time.sleep(3.0)
    cluster_stack.restart(leader)
    every_request_served_and_landed(
        cluster_stack,
        load.join(),
        report,
        f"{NODES} brokers, the events leader ({leader}) SIGKILLed and restarted",
    )


def test_two_brokers_down_hold_every_event_until_one_returns(
    cluster_stack: FaultStack, report: Figures
) -> None:
    leader = cluster_stack.events_leader()
    other = next(
        name
        for name, service in cluster_stack.services.items()
        if isinstance(service, KafkaService) and name != leader
    )
    # Restarted in node order: the cluster's last node waits for every broker when it starts.
    victims = sorted([leader, other], key=lambda name: _node(cluster_stack, name))
    for victim in victims:
        cluster_stack.kill(victim)

    load = UserLoad(cluster_stack.api_url, 1_000, concurrency=4).start().join()
    time.sleep(10.0)  # the relay's attempts with one in-sync replica of the two needed
    unsent_while_down = cluster_stack.unsent(load.user_ids)

    cluster_stack.restart(victims[0])
    began = time.monotonic()
    while cluster_stack.unsent(load.user_ids) and time.monotonic() - began < 180:
        time.sleep(0.2)
    caught_up_after = time.monotonic() - began
    cluster_stack.restart(victims[1])

    assert load.failed == 0, f"requests failed: {dict(load.statuses)}"
    assert unsent_while_down == len(load.user_ids), "nothing is sent with one replica in sync"
    follow_to_lake(
        cluster_stack,
        load.user_ids,
        report,
        f"{NODES} brokers, two SIGKILLed ({', '.join(victims)}), one restarted",
        requests_sent=load.sent,
        failed=load.failed,
        unsent_while_down=unsent_while_down,
        caught_up_after_s=round(caught_up_after, 1),
    )


def _node(stack: FaultStack, name: str) -> int:
    service = stack.services[name]
    assert isinstance(service, KafkaService)
    return service.node
