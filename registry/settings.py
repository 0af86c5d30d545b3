"""Registry settings, from REGISTRY_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from contract.compatibility import CompatibilityLevel
from contract.registry_client import BASIC_AUTH_VARIABLE, CA_FILE_VARIABLE, URL_VARIABLE
from platform_common.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="forbid")
    # What the registry's clients read (where it is, their credentials, whom to trust), and
    # how many instances the local stack runs.
    foreign_variables = frozenset(
        {URL_VARIABLE, BASIC_AUTH_VARIABLE, CA_FILE_VARIABLE, "REGISTRY_INSTANCES"}
    )

    host: str = Field(default="127.0.0.1", description="Address the server binds.")
    port: int = Field(default=8081, ge=1, le=65535, description="Port the server binds.")
    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///registry.db"),
        description="PostgreSQL (`postgresql://…`, tables in schema `registry`) or SQLite.",
    )
    compatibility: CompatibilityLevel = Field(
        default=CompatibilityLevel.BACKWARD,
        description="Level of subjects and of the registry when none is configured.",
    )
    auth_file: Path | None = Field(
        default=None, description="Users for HTTP basic auth; unset means no authentication."
    )
    tls_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate (then its chain) to serve HTTPS with; unset serves HTTP.",
    )
    tls_key_file: Path | None = Field(
        default=None, description="PEM private key of REGISTRY_TLS_CERT_FILE."
    )
    workers: int = Field(default=2, ge=1, description="gunicorn worker processes.")
    # Registrations mostly wait (for the subject's lock, for the commit); the more threads
    # wait together, the more of them one commit carries (group_commit.py).
    threads: int = Field(default=16, ge=1, description="Threads per worker.")

    @model_validator(mode="after")
    def _tls_pair(self) -> RegistrySettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("REGISTRY_TLS_CERT_FILE and REGISTRY_TLS_KEY_FILE go together")
        return self

    def tls_options(self) -> dict[str, str]:
        """gunicorn's TLS settings: none when the registry serves plain HTTP."""
        if self.tls_cert_file is None or self.tls_key_file is None:
            return {}
        return {"certfile": str(self.tls_cert_file), "keyfile": str(self.tls_key_file)}

    @field_validator("compatibility", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return CompatibilityLevel.parse(value) if isinstance(value, str) else value
