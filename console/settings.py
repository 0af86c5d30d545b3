"""Settings of the console, from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from contract.dead_letters import dead_letter_topic
from contract.subjects import LAKE_WRITER_GROUP
from platform_common.settings import (
    EventStreamSettings,
    KafkaClientSettings,
    RegistryClientSettings,
)


class ConsoleSettings(EventStreamSettings, KafkaClientSettings, RegistryClientSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_")
    # Where users find the console (the stack exports it).
    foreign_variables = frozenset({"CONSOLE_URL"})

    host: str = Field(default="127.0.0.1", description="Address the console binds.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port the console binds.")
    workers: int = Field(default=1, ge=1, description="gunicorn worker processes.")
    threads: int = Field(default=8, ge=1, description="Threads per worker.")
    write_access: bool = Field(
        default=False,
        description="Allow registering schemas from the console. Off, no request it serves "
        "changes the registry, the database or Kafka.",
    )
    registry_user: str | None = Field(
        default=None,
        description="Basic-auth user for the registry, when the console's differs from "
        "REGISTRY_BASIC_AUTH's (a read-write user for CONSOLE_WRITE_ACCESS).",
    )
    registry_password: SecretStr | None = Field(
        default=None, description="Basic-auth password of CONSOLE_REGISTRY_USER."
    )
    registry_timeout_ms: int = Field(
        default=5000, ge=100, description="How long a request to the registry may take."
    )
    consumer_group: str = Field(
        default=LAKE_WRITER_GROUP, description="The lake writer's group, whose lag is shown."
    )
    dlq_topic: str | None = Field(
        default=None, description="The dead-letter topic (default: <topic>.dlq)."
    )
    api_metrics_url: str = Field(
        default="http://127.0.0.1:5000/metrics", description="The API's /metrics."
    )
    relay_metrics_url: str = Field(
        default="http://127.0.0.1:9400/metrics", description="The relay's /metrics."
    )
    consumer_metrics_url: str = Field(
        default="http://127.0.0.1:9500/metrics", description="The lake writer's /metrics."
    )
    refresh_seconds: float = Field(
        default=2.0, gt=0, description="How often the flow page refreshes itself."
    )
    query_max_rows: int = Field(
        default=500, ge=1, le=10_000, description="Rows the lake's SQL box shows at most."
    )
    query_timeout_seconds: float = Field(
        default=5.0, gt=0, le=300, description="How long a query of the SQL box may run."
    )
    query_memory_mb: int = Field(
        default=256, ge=16, description="Memory DuckDB may use for one query of the SQL box."
    )

    @property
    def dead_letter_topic(self) -> str:
        return self.dlq_topic or dead_letter_topic(self.events_topic)

    def registry_auth(self) -> tuple[str, str] | None:
        """The console's own registry user when set, else REGISTRY_BASIC_AUTH's."""
        if self.registry_user and self.registry_password is not None:
            return self.registry_user, self.registry_password.get_secret_value()
        return super().registry_auth()
