"""Schema ids: each handed out once, never reused, even after its schema was deleted.

On PostgreSQL they come from the sequence `schema_ids`, which no transaction waits for: a
locked counter row made every new schema, whatever its subject, wait until the previous one
committed. An import with its own id moves the sequence past it; should an id taken from
the sequence meanwhile collide with an imported one, the insert finds it taken and takes
the next. On SQLite one transaction writes at a time, so the counter row `id_allocator`
is enough.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.tables import id_allocator, schema_ids


def id_of_new_schema(
    connection: Connection, *, postgres: bool, schema_id: int | None
) -> int | sa.ColumnElement[int]:
    """What a new schema's id is set to: ``schema_id`` (an import), made sure never to be
    handed out again, or the next id (on PostgreSQL, `nextval` in the INSERT itself)."""
    if postgres:
        if schema_id is None:
            return schema_ids.next_value()
        connection.execute(
            sa.text("SELECT setval('schema_ids', greatest(last_value, :id)) FROM schema_ids"),
            {"id": schema_id},
        )
        return schema_id
    last_id = connection.execute(
        sa.select(id_allocator.c.last_id).where(id_allocator.c.name == "schema")
    ).scalar_one()
    new_id = schema_id if schema_id is not None else last_id + 1
    connection.execute(
        id_allocator.update()
        .where(id_allocator.c.name == "schema")
        .values(last_id=max(last_id, new_id))
    )
    return int(new_id)
