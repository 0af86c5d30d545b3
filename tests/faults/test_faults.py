"""Faults production brings, injected into the real processes of the local stack under load.

Each scenario creates its own users through the API and follows their events to the lake:
every user created gets its event in the lake exactly once, whatever died on the way.
"""

from __future__ import annotations

import random
import time

import pytest
import requests

from tests.faults.support import (
    FaultStack,
    Figures,
    UserLoad,
    every_request_served_and_landed,
    follow_to_lake,
)

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize("victim", ["kafka", "registry"])
def test_a_service_killed_and_restarted_during_load_loses_nothing(
    fault_stack: FaultStack, report: Figures, victim: str
) -> None:
    users = 10_000
    load = UserLoad(fault_stack.api_url, users).start()
    load.wait_until_done(users // 5)
    fault_stack.kill(victim)
    time.sleep(3.0)
    fault_stack.restart(victim)
    every_request_served_and_landed(
        fault_stack, load.join(), report, f"{victim} SIGKILLed and restarted"
    )


@pytest.mark.parametrize(("victim", "kills"), [("consumer", 5), ("relay", 3)])
def test_a_worker_killed_at_random_moments_lands_every_event_once(
    fault_stack: FaultStack, report: Figures, victim: str, kills: int
) -> None:
    users = 6_000
    chance = random.Random()
    load = UserLoad(fault_stack.api_url, users).start()
    load.wait_until_done(500)
    for _ in range(kills):
        time.sleep(chance.uniform(0.3, 2.0))
        fault_stack.kill(victim)
        fault_stack.restart(victim)
    every_request_served_and_landed(
        fault_stack, load.join(), report, f"{victim} SIGKILLed {kills} times"
    )


def test_a_database_restart_is_503_while_down_and_heals_on_its_own(
    fault_stack: FaultStack, report: Figures
) -> None:
    fault_stack.stop_gracefully("postgres")
    down = UserLoad(fault_stack.api_url, 50, concurrency=2).start().join()
    readiness = requests.get(f"{fault_stack.api_url}/readyz", timeout=10)
    fault_stack.restart("postgres")
    began = time.monotonic()
    first = UserLoad(fault_stack.api_url, 1, concurrency=1).start().join()
    while first.statuses[201] == 0 and time.monotonic() - began < 60:
        time.sleep(0.2)
        first = UserLoad(fault_stack.api_url, 1, concurrency=1).start().join()
    healed_after = time.monotonic() - began
    after = UserLoad(fault_stack.api_url, 200, concurrency=4).start().join()

    assert down.statuses == {503: 50}, f"while down: {dict(down.statuses)}"
    assert readiness.status_code == 503
    assert all('"errors"' in body for body in down.server_errors), down.server_errors[:3]
    assert after.failed == 0, f"after the restart: {dict(after.statuses)}"
    follow_to_lake(
        fault_stack,
        first.user_ids + after.user_ids,
        report,
        "postgres restarted",
        requests_while_down=down.sent,
        answered_503=down.statuses[503],
        answered_500=down.statuses[500],
        healed_after_s=round(healed_after, 1),
        requests_after=after.sent + first.sent,
        failed_after=after.failed,
    )
