"""Users API: POST /users with its outbox row against inserting the user alone, same server."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable

from bench.api_server import USER_ALONE_PATH
from bench.report import Measure, pair_ratios, rounded
from bench.services import bench_stack, quiesce
from bench.wrk import new_users_round
from stack.apps import ApiApp
from stack.runner import start_service


class BenchApiApp(ApiApp):
    """The stack's API service, served with the baseline route (bench/api_server.py)."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.api_server"]


# Many short rounds in pairs rather than a few long ones: this machine has slow spells of
# tens of seconds that cut every rate by a third. A pair's two rounds mostly share a spell,
# so the median of the pairs' ratios held within 0.01 over runs where five 10 s rounds a
# side, compared by their medians, gave ratios from 0.62 to 1.02.
PAIRS = 12
ROUND_SECONDS = 4.0
# Untimed load on both endpoints first: worker imports, connection pools, prepared
# statements and the tables' first pages; the first round measured otherwise swung by a third.
WARMUP_SECONDS = 3.0


def run() -> list[Measure]:
    with bench_stack(kafka=False) as stack:
        api = BenchApiApp(stack.settings)
        try:
            start_service(api, echo=print)
            for path in (USER_ALONE_PATH, "/users"):
                warm_up(api.url, path)
            print(f"machine idle before the rounds: {quiesce():.0%}")
            rates = paired_rates(
                {
                    "ours": lambda: round_rate(api.url, "with-event"),
                    "baseline": lambda: round_rate(api.url, "user-only", USER_ALONE_PATH),
                }
            )
            ours, baseline = rates["ours"], rates["baseline"]
            print(f"POST /users req/s by round: {rounded(ours)}; user alone: {rounded(baseline)}")
        finally:
            api.process.stop(timeout=20.0)
    return [
        Measure(
            "api POST /users (user + outbox row)",
            "req/s",
            statistics.median(ours),
            statistics.median(baseline),
            f"POST {USER_ALONE_PATH} (user alone), req/s",
            0.85,
            paired_ratios=pair_ratios(ours, baseline),
        )
    ]


def paired_rates(sides: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """`PAIRS` rounds of each side, by side; each pair runs back to back, and which side goes
    first alternates, so that neither gains from a trend (a growing table, a warming cache)."""
    rates: dict[str, list[float]] = {side: [] for side in sides}
    names = list(sides)
    for pair in range(PAIRS):
        for side in names if pair % 2 == 0 else reversed(names):
            rates[side].append(sides[side]())
    return rates


def warm_up(url: str, path: str = "/users") -> None:
    new_users_round(url, prefix="warmup", seconds=WARMUP_SECONDS, path=path)


def round_rate(url: str, prefix: str, path: str = "/users") -> float:
    """POST /users req/s over one round, from wrk (bench/wrk.py)."""
    return new_users_round(url, prefix=prefix, seconds=ROUND_SECONDS, path=path).rate


def main() -> None:
    for measure in run():
        print(measure)


if __name__ == "__main__":
    main()
