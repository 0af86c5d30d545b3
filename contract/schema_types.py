"""The schema types of Confluent's API (a schema's `schemaType`), and the file suffix that
marks each in the schemas folder."""

from __future__ import annotations

AVRO = "AVRO"
JSON_SCHEMA = "JSON"
PROTOBUF = "PROTOBUF"

# A version file's suffix → the type its text is registered as.
TYPES_BY_SUFFIX = {".avsc": AVRO, ".json": JSON_SCHEMA, ".proto": PROTOBUF}
