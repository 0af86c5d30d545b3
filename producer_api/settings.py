"""Settings of the users API and of the outbox relay, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from contract.framing import SchemaIdFraming
from platform_common.settings import (
    EventStreamSettings,
    KafkaClientSettings,
    RegistryClientSettings,
)
from producer_api.outbox.table import BUCKETS

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/platform"
# The API wakes the relay at most this often per process: a wake-up is a NOTIFY, a
# transaction of its own, and one per 10 ms cost the API a twentieth of its throughput. A
# relay that sent rows lately keeps looking without wake-ups for longer than this (its
# follow_ms), so rows whose wake-up is held back wait for no more than a drain interval.
WAKE_INTERVAL_MS = 50
# The longest pause between drains under load (RELAY_MAX_DRAIN_INTERVAL_MS).
MAX_DRAIN_INTERVAL_MS = 60


class EventSettings(EventStreamSettings):
    """What both the API and the relay need to agree on."""

    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL),
        validation_alias=AliasChoices("DATABASE_URL"),
        description="PostgreSQL holding users and the outbox.",
    )
    event_schema_version: int | None = Field(
        default=None,
        validation_alias=AliasChoices("EVENT_SCHEMA_VERSION"),
        description="Version of the event schema the API writes (default: the newest file).",
    )


class ApiSettings(EventSettings):
    model_config = SettingsConfigDict(env_prefix="API_")
    # Where clients find the API (the stack exports it).
    foreign_variables = frozenset({"API_URL"})

    host: str = Field(default="127.0.0.1", description="Address the API binds.")
    port: int = Field(default=5000, ge=1, le=65535, description="Port the API binds.")
    max_body_bytes: int = Field(default=16 * 1024, ge=256, description="Larger bodies get 413.")
    workers: int = Field(default=2, ge=1, description="gunicorn worker processes.")
    threads: int = Field(default=4, ge=1, description="Threads per worker.")
    wake_interval_ms: int = Field(
        default=WAKE_INTERVAL_MS,
        ge=0,
        description="At most one relay wake-up per this many ms per process.",
    )


class RelaySettings(EventSettings, KafkaClientSettings, RegistryClientSettings):
    model_config = SettingsConfigDict(env_prefix="RELAY_")
    batch_size: int = Field(default=4000, ge=1, description="Outbox rows claimed per batch.")
    max_buckets: int = Field(
        default=BUCKETS,
        ge=1,
        le=BUCKETS,
        description=f"Key buckets one batch may take (of {BUCKETS}).",
    )
    poll_interval_ms: int = Field(
        default=500, ge=10, description="Look for rows this often even without a wake-up."
    )
    drain_interval_ms: int = Field(
        default=10,
        ge=1,
        description="Start a drain at most this often: under load, wake-ups that come "
        "sooner wait, and batches grow instead of round trips.",
    )
    max_drain_interval_ms: int = Field(
        default=MAX_DRAIN_INTERVAL_MS,
        ge=1,
        description="The longest the drain interval stretches to under load: above "
        "RELAY_DRAIN_STRETCH_ABOVE events/s it grows with the rate, so that each drain "
        "carries more rows for the same database and broker round trips.",
    )
    drain_stretch_above: float = Field(
        default=150.0,
        gt=0,
        description="Events/s above which the drain interval stretches in proportion to the "
        "rate (twice this rate, twice the interval), up to RELAY_MAX_DRAIN_INTERVAL_MS.",
    )
    follow_ms: int = Field(
        default=max(WAKE_INTERVAL_MS, MAX_DRAIN_INTERVAL_MS) + 60,
        ge=0,
        description="After a drain that sent rows, keep draining every drain interval for "
        "this long without a wake-up; keep it above the API's API_WAKE_INTERVAL_MS and "
        "RELAY_MAX_DRAIN_INTERVAL_MS.",
    )
    linger_ms: int = Field(default=2, ge=0, description="Producer linger.ms.")
    schema_id_framing: SchemaIdFraming = Field(
        default=SchemaIdFraming.PREFIX,
        description="Where a record names its schema: 'prefix' (magic byte and schema id "
        "before the value; every Confluent reader) or 'header' (the schema's GUID in a "
        "__value_schema_id header; readers and registry of Confluent 8).",
    )
    # Long, so that librdkafka's idempotent retries ride out a broker restart: a record that
    # times out is sent again by a later batch, and would be a duplicate if the broker had it.
    delivery_timeout_ms: int = Field(
        default=120_000, ge=1000, description="How long a batch may wait for broker acks."
    )
    retention_hours: float = Field(
        default=24.0, ge=0, description="Sent rows are deleted after this long."
    )
    cleanup_batch: int = Field(default=5000, ge=1, description="Rows deleted per cleanup pass.")
    metrics_port: int = Field(default=9400, ge=0, le=65535, description="/metrics (0: off).")
    metrics_host: str = Field(default="127.0.0.1", description="Address /metrics binds.")
