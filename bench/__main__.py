"""`python -m bench`: every benchmark, one table, results as JSON under bench/results/."""

from __future__ import annotations

from pathlib import Path

from bench import (
    api_bench,
    console_bench,
    consumer_bench,
    lake_peer_bench,
    outbox_peer_bench,
    registry_bench,
    registry_writes_bench,
    relay_bench,
)
from bench.report import print_table, write_results


def main() -> None:
    measures = [
        *registry_bench.run(),
        *registry_writes_bench.run(),
        *api_bench.run(),
        *relay_bench.run(),
        *outbox_peer_bench.run(),
        *consumer_bench.run(),
        *lake_peer_bench.run(),
        *console_bench.run(),
    ]
    print()
    print_table(measures)
    path = write_results(measures, Path(__file__).parent / "results")
    print(f"\nresults written to {path}")


if __name__ == "__main__":
    main()
