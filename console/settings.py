"""Settings of the console, from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from platform_common.settings import RegistryClientSettings


class ConsoleSettings(RegistryClientSettings):
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
        default=None, description="Basic-auth user for the registry (write access only)."
    )
    registry_password: SecretStr | None = Field(
        default=None, description="Basic-auth password for the registry (write access only)."
    )
    registry_timeout_ms: int = Field(
        default=5000, ge=100, description="How long a request to the registry may take."
    )
