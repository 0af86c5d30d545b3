"""The lake writer's process: settings, logs, metrics, signals, then the writer's loop."""

from __future__ import annotations

import gc
import signal
import threading
from types import FrameType

import structlog
from prometheus_client import start_http_server

from consumer.runner import LakeWriter
from consumer.settings import ConsumerSettings, SettingsError
from platform_common.logs import configure_logging

log = structlog.get_logger("consumer")


def main() -> None:
    # Buffered records are many small acyclic objects; the default thresholds would run a
    # full collection over all of them again and again. Collect far less often.
    gc.set_threshold(200_000, 50, 1000)
    settings = ConsumerSettings.from_environment("consumer")
    configure_logging(settings.log_level)
    settings.log_effective("consumer")
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        writer = LakeWriter(settings)
    except SettingsError as error:
        raise SystemExit(f"consumer not started: {error}") from None
    # What start-up made (modules, the lake's table and catalog) lives as long as the
    # process: out of every later full collection, which then walks the records alone.
    gc.collect()
    gc.freeze()
    log.info("consumer_started", topic=settings.events_topic, output=settings.output)
    writer.run(stopping.is_set)
    log.info("consumer_stopped")
