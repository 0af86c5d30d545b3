"""The dead-letter topic's records: what the lake writer could not read, with why and where
from. The writer produces them; the console and other readers read them by these names.

A dead letter is the original record (key, value, headers) with these headers added.
"""

from __future__ import annotations

HEADER_REASON = "dlq.reason"
HEADER_ERROR = "dlq.error"
HEADER_TOPIC = "dlq.source.topic"
HEADER_PARTITION = "dlq.source.partition"
HEADER_OFFSET = "dlq.source.offset"


def dead_letter_topic(events_topic: str) -> str:
    """The dead-letter topic of ``events_topic`` unless one is configured."""
    return f"{events_topic}.dlq"
