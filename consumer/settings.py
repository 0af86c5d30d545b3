"""Settings of the lake writer, from CONSUMER_* (and the platform's shared) variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from contract.dead_letters import dead_letter_topic
from contract.schema_folder import read_subject
from contract.subjects import LAKE_WRITER_GROUP
from platform_common.settings import (
    EventStreamSettings,
    KafkaClientSettings,
    RegistryClientSettings,
)


class SettingsError(ValueError):
    """A setting that passes its own checks but does not fit the reader schema."""


class LakeSettings(EventStreamSettings):
    """Where the lake is and what it is: the writer's settings its readers (`make query`,
    the console) read too, from the same CONSUMER_* variables."""

    model_config = SettingsConfigDict(env_prefix="CONSUMER_")

    output: str = Field(
        default="data/lake", description="Lake root: a folder or a pyarrow URI (s3://…)."
    )
    format: Literal["iceberg", "parquet", "avro"] = Field(
        default="iceberg",
        description="iceberg: an Iceberg table whose warehouse is CONSUMER_OUTPUT; parquet or "
        "avro: files under CONSUMER_OUTPUT.",
    )
    catalog_url: SecretStr | None = Field(
        default=None,
        description="Iceberg: the SQL catalog's database, PostgreSQL or SQLite (default: a "
        "SQLite file, catalog.db in a local CONSUMER_OUTPUT, else data/lake-catalog.db).",
    )
    catalog_schema: str = Field(
        default="lake_catalog",
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="Iceberg on PostgreSQL: the schema holding the catalog's tables.",
    )
    table_namespace: str = Field(default="lake", description="Iceberg: the table's namespace.")
    table_name: str | None = Field(
        default=None, description="Iceberg: the table's name (default: the events topic)."
    )
    # The lake's columns are the reader schema's fields.
    reader_schema: Path | None = Field(
        default=None,
        description="Reader schema file (default: the newest of EVENT_SCHEMA_DIR).",
    )

    @property
    def iceberg_table(self) -> str:
        return self.table_name or self.events_topic

    def iceberg_catalog_url(self) -> str:
        if self.catalog_url is not None:
            return self.catalog_url.get_secret_value()
        if "://" in self.output and not self.output.startswith("file://"):
            return "sqlite:///data/lake-catalog.db"
        folder = Path(self.output.removeprefix("file://"))
        return f"sqlite:///{folder.resolve() / 'catalog.db'}"

    def reader_schema_path(self) -> Path:
        """CONSUMER_READER_SCHEMA, or the newest version file of the event's folder.

        Raises:
            SchemaFolderError: the folder has no version file, or breaks the layout.
        """
        if self.reader_schema is not None:
            return self.reader_schema
        return read_subject(self.schema_folder).version_file().path


class ConsumerSettings(LakeSettings, KafkaClientSettings, RegistryClientSettings):
    model_config = SettingsConfigDict(env_prefix="CONSUMER_")

    group_id: str = Field(default=LAKE_WRITER_GROUP, description="Consumer group.")
    group_instance_id: str | None = Field(
        default=None,
        description="Static group membership: a restart under the same id takes its "
        "partitions back at once, without a rebalance (unset: dynamic membership).",
    )
    # Maintenance (`make lake-maintain`); the defaults are Iceberg's own.
    compaction_target_bytes: int = Field(
        default=512 * 1024 * 1024, ge=1024, description="Iceberg: compacted files' size."
    )
    snapshot_retention_hours: float = Field(
        default=120.0, ge=0, description="Iceberg: snapshots older than this are expired."
    )
    orphan_age_hours: float = Field(
        default=72.0,
        ge=0,
        description="Iceberg: files no snapshot references are removed once this old.",
    )
    max_records: int = Field(default=50_000, ge=1, description="Close a file at this count.")
    max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description="… or this size.")
    max_age_seconds: float = Field(default=60.0, gt=0, description="… or this age.")
    dedup_field: str = Field(
        default="event_id",
        description="Reader-schema field whose repeats within a partition are dropped ('': off).",
    )
    dedup_window: int = Field(
        default=20_000, ge=0, description="Ids remembered per partition for that (0: off)."
    )
    dlq_topic: str | None = Field(
        default=None, description="Dead-letter topic (default: <topic>.dlq)."
    )
    metrics_port: int = Field(default=9500, ge=0, le=65535, description="/metrics (0: off).")
    metrics_host: str = Field(default="127.0.0.1", description="Address /metrics binds.")

    @property
    def dead_letter_topic(self) -> str:
        return self.dlq_topic or dead_letter_topic(self.events_topic)
