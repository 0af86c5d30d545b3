"""Writing outbox rows, as part of the statement that writes what the events are about.

The outbox row must commit with the change it reports, so it is written by the same
statement: the caller's query (a data-modifying CTE, say) yields the rows' variable parts,
and `insert_from` wraps it in the one INSERT that knows the outbox's columns and buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from producer_api.outbox.table import BUCKETS


@dataclass(frozen=True)
class EventKind:
    """What every outbox row of one kind of event shares."""

    aggregate_type: str
    event_type: str
    topic: str
    # The subject and version of the schema the payload was validated against.
    schema_subject: str
    schema_version: int

    def parameters(self) -> dict[str, Any]:
        """The bind parameters `insert_from`'s statement takes from this kind."""
        return {
            "outbox_aggregate_type": self.aggregate_type,
            "outbox_event_type": self.event_type,
            "outbox_topic": self.topic,
            "outbox_schema_subject": self.schema_subject,
            "outbox_schema_version": self.schema_version,
        }


def insert_from(source: str) -> str:
    """An INSERT of one outbox row per row of ``source``, for ``sa.text``.

    ``source`` is a query yielding ``event_id`` (uuid), ``aggregate_id`` (bigint: the key of
    the record, and what picks its bucket) and ``payload`` (jsonb); the other columns come
    from `EventKind.parameters`.
    """
    # Composed from this code's own SQL text, never from input: values go as bind parameters.
    return f"""
        INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic,
                            message_key, bucket, payload, schema_subject, schema_version)
        SELECT source.event_id, :outbox_aggregate_type, source.aggregate_id::text,
               :outbox_event_type, :outbox_topic, source.aggregate_id::text,
               source.aggregate_id % {BUCKETS}, source.payload, :outbox_schema_subject,
               :outbox_schema_version
        FROM ({source}) AS source
    """  # noqa: S608
