"""File sinks: decoded records → rotated, immutable Parquet or Avro files, exactly once.

`rotation.Rotator` decides when a partition's buffer becomes a file, a `Format`
(`ParquetFormat`, `AvroFormat`) turns it into bytes, and `files.FileSink` makes those bytes a
durable file under the hive-style layout of `layout.py` and finds where to resume.
"""

from consumer.sink.avro import AvroFormat
from consumer.sink.base import (
    AlreadyCommittedError,
    FileMeta,
    Format,
    OffsetOrderError,
    Row,
    Rows,
    SchemaMappingError,
    SinkError,
    row_maker,
    schema_fingerprint,
)
from consumer.sink.files import (
    ArrowFsTarget,
    FileSink,
    LocalTarget,
    Target,
    WrittenFile,
    open_target,
    write_file_atomically,
)
from consumer.sink.parquet import ParquetFormat, arrow_schema
from consumer.sink.rotation import (
    ClosedBatch,
    RotationPolicy,
    RotationReason,
    Rotator,
    estimate_record_size,
)

__all__ = [
    "AlreadyCommittedError",
    "ArrowFsTarget",
    "AvroFormat",
    "ClosedBatch",
    "FileMeta",
    "FileSink",
    "Format",
    "LocalTarget",
    "OffsetOrderError",
    "ParquetFormat",
    "RotationPolicy",
    "RotationReason",
    "Rotator",
    "Row",
    "Rows",
    "SchemaMappingError",
    "SinkError",
    "Target",
    "WrittenFile",
    "arrow_schema",
    "estimate_record_size",
    "open_target",
    "row_maker",
    "schema_fingerprint",
    "write_file_atomically",
]
