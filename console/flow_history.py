"""The flow's figures over the last minutes, for the flow page's charts: the relay's and the
lake writer's rates, the lake's commits, the outbox's backlog and the group's lag.

A sampler thread reads the flow every CONSOLE_REFRESH_SECONDS once the flow section is first
opened, so a page opened later shows the minutes before it; pages' own reads are kept too.
Nothing is stored: a restarted console starts a new history.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from console.flow import FlowView

log = structlog.get_logger("console.flow")

# Ten minutes at the default refresh of 2 s.
SAMPLES_KEPT = 300


@dataclass(frozen=True)
class FlowSample:
    at_seconds: float  # Unix time
    relay_sent_per_second: float | None
    lake_records_per_second: float | None
    lake_files_per_minute: float | None
    outbox_backlog: float | None
    total_lag: int | None


def sample_of(view: FlowView, at_seconds: float) -> FlowSample:
    return FlowSample(
        at_seconds=at_seconds,
        relay_sent_per_second=view.relay.sent_per_second if view.relay else None,
        lake_records_per_second=view.lake.records_per_second if view.lake else None,
        lake_files_per_minute=view.lake.files_per_minute if view.lake else None,
        outbox_backlog=view.outbox.backlog if view.outbox else None,
        total_lag=view.total_lag,
    )


class FlowHistory:
    """Thread-safe; ``read`` is the flow reader's, ``interval`` seconds between samples."""

    def __init__(
        self,
        read: Callable[[], FlowView],
        interval: float,
        *,
        capacity: int = SAMPLES_KEPT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._read = read
        self._interval = interval
        self._clock = clock
        self._samples: deque[FlowSample] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def read(self) -> FlowView:
        """The flow now, kept as a sample; starts the sampler on first use."""
        self._start()
        return self._keep(self._read())

    def samples(self) -> list[FlowSample]:
        with self._lock:
            return list(self._samples)

    def series(self) -> dict[str, list[float | None]]:
        """The samples as columns, oldest first: what the page's charts plot."""
        samples = self.samples()
        return {
            "at": [s.at_seconds for s in samples],
            "relay_sent_per_second": [s.relay_sent_per_second for s in samples],
            "lake_records_per_second": [s.lake_records_per_second for s in samples],
            "lake_files_per_minute": [s.lake_files_per_minute for s in samples],
            "outbox_backlog": [s.outbox_backlog for s in samples],
            "total_lag": [None if s.total_lag is None else float(s.total_lag) for s in samples],
        }

    def close(self) -> None:
        self._stop.set()
        sampler = self._sampler
        if sampler is not None:
            sampler.join(timeout=self._interval + 10)

    def _keep(self, view: FlowView) -> FlowView:
        with self._lock:
            self._samples.append(sample_of(view, self._clock()))
        return view

    def _start(self) -> None:
        with self._lock:
            if self._sampler is not None or self._stop.is_set():
                return
            self._sampler = threading.Thread(
                target=self._sample_until_closed, name="flow-sampler", daemon=True
            )
            self._sampler.start()

    def _sample_until_closed(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._keep(self._read())
            except Exception as error:
                log.warning("flow_sample_failed", error=type(error).__name__)
