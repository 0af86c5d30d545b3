"""A small closed-loop HTTP load generator: keep-alive connections, one per thread.

Every endpoint of a comparison is driven by the same generator, so its own cost (Python
client overhead) weighs on both sides of a ratio alike.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/vnd.schemaregistry.v1+json"
    # Makes each request's body (from a counter) when bodies must differ, e.g. new users.
    body_factory: Callable[[int], bytes] | None = None


def requests_per_second(
    base_url: str, request: Request, *, seconds: float, concurrency: int, warmup: float = 1.0
) -> float:
    """Completed 2xx requests per second over ``seconds`` (after ``warmup``)."""
    target = urlsplit(base_url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    counts = [0] * concurrency
    failures = [0] * concurrency
    start = threading.Event()
    measuring_from = [0.0]
    stop_at = [0.0]

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        has_body = request.body is not None or request.body_factory is not None
        headers = {"Content-Type": request.content_type} if has_body else {}
        sequence = index * 100_000_000
        start.wait()
        while True:
            now = time.perf_counter()
            if now >= stop_at[0]:
                break
            body = request.body
            if request.body_factory is not None:
                sequence += 1
                body = request.body_factory(sequence)
            connection.request(request.method, request.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if now >= measuring_from[0]:
                if 200 <= response.status < 300:
                    counts[index] += 1
                else:
                    failures[index] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    measuring_from[0] = began + warmup
    stop_at[0] = began + warmup + seconds
    start.set()
    for thread in threads:
        thread.join()
    if sum(failures):
        raise RuntimeError(f"{request.method} {request.path}: {sum(failures)} non-2xx answers")
    return sum(counts) / seconds
