"""The relay: sends committed outbox rows to Kafka, in order per key.

Woken by the API's NOTIFY (see outbox/wakeup.py); while rows keep coming, it looks again
every drain interval without waiting for one (an interval that stretches under load: see
pacing.py); and it polls as a fallback. Several relays may run: each batch holds advisory
locks on the buckets it sends, so a key is never sent by two relays at once. A broker or
registry outage delays events; each change of state is logged once, not once per row.
"""

from __future__ import annotations

import sys
import threading
import time

import sqlalchemy as sa
import structlog
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from prometheus_client import Counter, Gauge

from contract import metrics as metric_names
from contract.registry_client import REGISTRY_UNREACHABLE, is_schema_not_found
from platform_common.database import libpq_url
from producer_api.database import open_engine
from producer_api.outbox.retention import delete_sent
from producer_api.outbox.wakeup import listen_for_wakeups
from producer_api.relay.delivery import (
    DeliveryFailures,
    SchemaNotRegisteredError,
    Serializers,
    producer_config,
)
from producer_api.relay.pacing import DrainPacer
from producer_api.relay.pipeline import BatchPipeline
from producer_api.settings import RelaySettings

log = structlog.get_logger("producer_api.relay")

EVENTS_SENT = Counter(metric_names.RELAY_EVENTS_SENT, "Outbox events acknowledged by Kafka.")
RELAY_ERRORS = Counter(metric_names.RELAY_ERRORS, "Batches that failed, by kind.", ["kind"])
RELAY_HEALTHY = Gauge(metric_names.RELAY_HEALTHY, "1 while batches go through, 0 during an outage.")

_CLEANUP_EVERY = 60.0


# How long a thread may keep the GIL while another waits for it. The database thread waits
# for it after each of its round trips while the main thread serializes; at Python's 5 ms
# default the claims fell behind the producing, and draining a backlog took a fifth longer.
_GIL_SWITCH_SECONDS = 0.0005


class Relay:
    def __init__(self, settings: RelaySettings) -> None:
        sys.setswitchinterval(_GIL_SWITCH_SECONDS)
        self.settings = settings
        self.engine = open_engine(settings.database_url.get_secret_value(), pool_size=3)
        self.failures = DeliveryFailures()
        self.producer = Producer(producer_config(settings, self.failures))
        self.registry = SchemaRegistryClient(settings.registry_client_config())
        self.serializers = Serializers(
            self.registry, settings.schema_folder, framing=settings.schema_id_framing
        )
        self.pipeline = BatchPipeline(
            self.engine,
            self.producer,
            self.serializers,
            self.failures,
            batch_size=settings.batch_size,
            max_buckets=settings.max_buckets,
            delivery_timeout=settings.delivery_timeout_ms / 1000,
        )
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._state = "starting"
        self._last_cleanup = 0.0

    def run(self) -> None:
        threading.Thread(
            target=listen_for_wakeups,
            args=(libpq_url(self.engine.url), self.wake, self.stopping),
            name="outbox-listener",
            daemon=True,
        ).start()
        backoff = 0.2
        pacer = DrainPacer(
            shortest=self.settings.drain_interval_ms / 1000,
            longest=self.settings.max_drain_interval_ms / 1000,
            stretch_above=self.settings.drain_stretch_above,
        )
        follow = self.settings.follow_ms / 1000
        drained_at = 0.0
        sent_at = -follow
        while not self.stopping.is_set():
            # Each drain costs a claim, a mark and the broker's acks whatever its size:
            # under load, one drain per interval takes what several would have.
            self.stopping.wait(drained_at + pacer.interval - time.monotonic())
            previous, drained_at = drained_at, time.monotonic()
            # Cleared before the claim: a wake-up that comes during the drain is kept.
            self.wake.clear()
            try:
                sent = self.drain()
            except SchemaNotRegisteredError:
                raise
            except SchemaRegistryError as error:
                if is_schema_not_found(error):
                    raise SchemaNotRegisteredError(str(error)) from error
                self._trouble("registry_unavailable", f"HTTP {error.http_status_code}")
            except sa.exc.OperationalError:
                self._trouble("database_unavailable", "OperationalError")
            except REGISTRY_UNREACHABLE as error:
                self._trouble("registry_unavailable", type(error).__name__)
            else:
                pacer.observe(sent, drained_at - previous)
                if sent:
                    backoff = 0.2
                    sent_at = drained_at
                self.cleanup_if_due()
                # Rows came lately, so more are likely, and the API may hold their wake-up
                # back for its interval: look again after the drain interval. Otherwise
                # wait for a wake-up, or the poll.
                if drained_at - sent_at >= follow:
                    self.wake.wait(self.settings.poll_interval_ms / 1000)
                continue
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 5.0)
        self.producer.flush(self.settings.delivery_timeout_ms / 1000)

    def drain(self) -> int:
        """Send batches until the outbox has nothing left this relay may take."""
        result = self.pipeline.drain(self.stopping.is_set)
        EVENTS_SENT.inc(result.sent)
        if result.failure is not None:
            self._trouble("broker_unavailable", result.failure)
        elif result.sent:
            self._healthy()
        return result.sent

    def _healthy(self) -> None:
        if self._state != "sending":
            log.info("relay_sending", previous=self._state)
            self._state = "sending"
            RELAY_HEALTHY.set(1)

    def _trouble(self, state: str, reason: str) -> None:
        RELAY_ERRORS.labels(kind=state).inc()
        if self._state != state:
            log.warning(state, reason=reason)
            self._state = state
            RELAY_HEALTHY.set(0)

    def cleanup_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < _CLEANUP_EVERY:
            return
        self._last_cleanup = now
        total = delete_sent(
            self.engine,
            older_than_seconds=self.settings.retention_hours * 3600,
            batch=self.settings.cleanup_batch,
            stopping=self.stopping.is_set,
        )
        if total:
            log.info("outbox_cleanup", deleted=total)

    def stop(self, *_args: object) -> None:
        self.stopping.set()
        self.wake.set()

    def close(self) -> None:
        self.pipeline.close()
        self.registry.close()
        self.engine.dispose()
