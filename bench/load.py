"""A small closed-loop HTTP load generator: keep-alive connections, one per thread.

Every endpoint of a comparison is driven by the same generator, so its own cost (Python
client overhead) weighs on both sides of a ratio alike.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT = 60.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/vnd.schemaregistry.v1+json"
    # Makes each request's body (from a counter) when bodies must differ, e.g. new users.
    body_factory: Callable[[int], bytes] | None = None
    # Makes each client's path (from its index) when clients must differ, e.g. one subject each.
    path_factory: Callable[[int], str] | None = None


@dataclass(frozen=True)
class LoadResult:
    """What the measured span saw: its length, and each 2xx answer's latency and end."""

    seconds: float
    latencies: list[float]
    # perf_counter() at each answer's end, ascending, counted from the span's start.
    finished: list[float]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def rate_between(self, first: int, last: int) -> float:
        """Answers per second from the ``first``-th answer's end to the ``last``-th's
        (1-based; the first answer's span starts with the run)."""
        begin = self.finished[first - 2] if first > 1 else 0.0
        return (last - first + 1) / (self.finished[last - 1] - begin)


def requests_per_second(
    base_url: str, request: Request, *, seconds: float, concurrency: int, warmup: float = 1.0
) -> float:
    """Completed 2xx requests per second over ``seconds`` (after ``warmup``)."""
    return run_load(base_url, request, seconds=seconds, concurrency=concurrency, warmup=warmup).rate


def run_load(
    base_url: str,
    request: Request,
    *,
    concurrency: int,
    seconds: float | None = None,
    total: int | None = None,
    warmup: float = 1.0,
) -> LoadResult:
    """Drive ``request`` from ``concurrency`` clients for ``seconds`` after ``warmup``, or,
    with ``total``, until that many requests were sent (no warmup: every answer counts)."""
    if (seconds is None) == (total is None):
        raise ValueError("give either seconds or total")
    target = urlsplit(base_url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    ends: list[list[float]] = [[] for _ in range(concurrency)]
    failures = [0] * concurrency
    start = threading.Event()
    measuring_from = [0.0]
    stop_at = [float("inf")]
    issued = [0]
    issued_lock = threading.Lock()

    def may_send() -> bool:
        if total is None:
            return time.perf_counter() < stop_at[0]
        with issued_lock:
            issued[0] += 1
            return issued[0] <= total

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        has_body = request.body is not None or request.body_factory is not None
        headers = {"Content-Type": request.content_type} if has_body else {}
        path = request.path_factory(index) if request.path_factory else request.path
        sequence = index * 100_000_000
        start.wait()
        while may_send():
            body = request.body
            if request.body_factory is not None:
                sequence += 1
                body = request.body_factory(sequence)
            sent = time.perf_counter()
            try:
                connection.request(request.method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                # A timeout or a dropped connection counts as a failure; go on afresh.
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
                status = 0
            done = time.perf_counter()
            if sent >= measuring_from[0]:
                if 200 <= status < 300:
                    latencies[index].append(done - sent)
                    ends[index].append(done - measuring_from[0])
                else:
                    failures[index] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    measuring_from[0] = time.perf_counter() + (warmup if total is None else 0.0)
    if total is None:
        stop_at[0] = measuring_from[0] + (seconds or 0.0)
    start.set()
    for thread in threads:
        thread.join()
    if sum(failures):
        raise RuntimeError(
            f"{request.method} {request.path}: {sum(failures)} failed (non-2xx, or no answer)"
        )
    finished = sorted(end for per_client in ends for end in per_client)
    span = seconds if seconds is not None else (finished[-1] if finished else 0.0)
    return LoadResult(
        seconds=span,
        latencies=[latency for per_client in latencies for latency in per_client],
        finished=finished,
    )


def percentile_ms(latencies: list[float], percent: int) -> float:
    """The ``percent``-th percentile of latencies in seconds, in milliseconds."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[percent - 1] * 1000
