"""Schema ids: each handed out once, never reused, even after its schema was deleted.

On PostgreSQL they come from the sequence `schema_ids`, which no transaction waits for: a
locked counter row made every new schema, whatever its subject, wait until the previous one
committed. An import with its own id moves the sequence past it; should an id taken from
the sequence meanwhile collide with an imported one, the insert finds it taken and takes
the next (a write deferred with an id set aside fails its transaction, which runs again).
Ids set aside and left unused are gaps, as ids of rolled back transactions are. On SQLite
one transaction writes at a time, so the counter row `id_allocator` is enough.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.tables import id_allocator

_SCHEMA_COUNTER = id_allocator.c.name == "schema"
# One statement each: a registration holds SQLite's only write lock while it runs them.
_NEXT_ON_SQLITE = (
    id_allocator.update()
    .where(_SCHEMA_COUNTER)
    .values(last_id=id_allocator.c.last_id + 1)
    .returning(id_allocator.c.last_id)
)
_PASS_ON_SQLITE = (
    id_allocator.update()
    .where(_SCHEMA_COUNTER)
    .values(last_id=sa.func.max(id_allocator.c.last_id, sa.bindparam("schema_id")))
)
_PASS_ON_POSTGRES = sa.text(
    "SELECT setval('schema_ids', greatest(last_value, :schema_id)) FROM schema_ids"
)


def reserve_imported_id(connection: Connection, *, postgres: bool, schema_id: int) -> None:
    """Make sure ``schema_id``, given by an import, is never handed out again."""
    statement = _PASS_ON_POSTGRES if postgres else _PASS_ON_SQLITE
    connection.execute(statement, {"schema_id": schema_id})


def next_id_on_sqlite(connection: Connection) -> int:
    """The next id from SQLite's counter row (PostgreSQL's INSERT takes `nextval` itself)."""
    return int(connection.execute(_NEXT_ON_SQLITE).scalar_one())
