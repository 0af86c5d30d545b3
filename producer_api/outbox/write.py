"""Writing outbox rows, as part of the statement that writes what the events are about.

The outbox row must commit with the change it reports, so it is written by the same
statement: the caller's query (a data-modifying CTE, say) yields the rows' variable parts,
and `insert_from` wraps it in the one INSERT that knows the outbox's columns and buckets.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

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


def insert_from(source: str, kind: EventKind) -> str:
    """An INSERT of one outbox row of ``kind`` per row of ``source``, for ``sa.text``.

    ``source`` is a query yielding ``event_id`` (uuid), ``aggregate_id`` (bigint: the key of
    the record, and what picks its bucket) and ``payload`` (jsonb). The kind's columns are
    constants of the statement, quoted as SQL literals: a statement per kind, and five bind
    parameters fewer for each row, which the API pays on every request.
    """
    # Composed from this code's own SQL text and quoted literals, never from raw input.
    return f"""
        INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic,
                            message_key, bucket, payload, schema_subject, schema_version)
        SELECT source.event_id, {_literal(kind.aggregate_type)}, source.aggregate_id::text,
               {_literal(kind.event_type)}, {_literal(kind.topic)}, source.aggregate_id::text,
               source.aggregate_id % {BUCKETS}, source.payload, {_literal(kind.schema_subject)},
               {_literal(kind.schema_version)}
        FROM ({source}) AS source
    """  # noqa: S608


def _literal(value: str | int) -> str:
    """``value`` as a PostgreSQL literal inside ``sa.text``: quotes doubled by SQLAlchemy's
    own literal rendering, and colons escaped so that none reads as a bind parameter (a
    subject may hold one: Confluent's contexts are written ``:.context:subject``)."""
    rendered = sa.literal(value).compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    return str(rendered).replace(":", "\\:")
