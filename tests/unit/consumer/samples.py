"""Records in the consumer's reader schema (schemas/user-events-value/2.avsc), as decoded."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from consumer.sink.base import FileMeta, schema_fingerprint

REPO_ROOT = Path(__file__).resolve().parents[3]
READER_SCHEMA: dict[str, Any] = json.loads(
    (REPO_ROOT / "schemas" / "user-events-value" / "2.avsc").read_text()
)
FINGERPRINT = schema_fingerprint(READER_SCHEMA)
TOPIC = "user-events"
WRITER_GUID = uuid.UUID("5d9c2b0e-7f43-4c6e-9a51-0f2e8d3b6a14")


def user_event(
    user_id: int, *, day: date = date(2024, 5, 1), as_uuid: bool = True
) -> dict[str, Any]:
    """One event with uuid.UUID and UTC datetimes, forms the formats take besides the text
    and epoch integers the consumer's decoder yields."""
    event_id = uuid.UUID(int=user_id + 1)
    moment = datetime(day.year, day.month, day.day, 12, 30, 15, 123000, tzinfo=UTC)
    return {
        "event_id": event_id if as_uuid else str(event_id),
        "event_time": moment + timedelta(milliseconds=user_id),
        "user_id": user_id,
        "country_code": "BE" if user_id % 2 else "NL",
        "created_at": moment - timedelta(days=1),
        "is_a_dog": user_id % 3 == 0,
        "signup_channel": "api",
    }


def as_read_back(record: dict[str, Any]) -> dict[str, Any]:
    """What a Parquet reader returns for `record`: the uuid as its text."""
    return {**record, "event_id": str(record["event_id"])}


def file_meta(
    first: int, last: int, *, partition: int = 0, day: date = date(2024, 5, 1)
) -> FileMeta:
    return FileMeta(
        topic=TOPIC,
        partition=partition,
        first_offset=first,
        last_offset=last,
        event_date=day,
        writer_schemas=frozenset({1, 2, WRITER_GUID}),
        reader_schema_fingerprint=FINGERPRINT,
        record_count=last - first + 1,
    )
