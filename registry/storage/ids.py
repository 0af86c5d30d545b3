"""Schema ids: each handed out once, never reused, even after its schema was deleted.

On PostgreSQL they come from the sequence `schema_ids`, which no transaction waits for:
a locked counter row made every new schema, whatever its subject, wait until the previous
one committed. Two transactions storing the same new schema serialise on a lock of its
fingerprint instead. An import with its own id advances the sequence past it, once no
transaction that took an id is still open. On SQLite one transaction writes at a time, so
the counter row `id_allocator` is enough.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from registry.storage.tables import id_allocator, schema_ids

# Advisory lock keys; any constants work, the same in every registry process. Taken shared
# by every id taken from the sequence, exclusively by an import setting it.
_IDS_LOCK_KEY = 0x5E6A_0002
# The first of the two 32-bit keys of a fingerprint's lock (their key space is not the
# 64-bit one of the lock above).
_FINGERPRINT_LOCK_SPACE = 0x5E6A


def lock_new_schema(
    connection: Connection, *, postgres: bool, fingerprint: str, importing: bool
) -> None:
    """Held until the transaction ends: no other stores this schema meanwhile."""
    if not postgres:
        return  # the write transaction already excludes every other writer
    ids_lock = "pg_advisory_xact_lock" if importing else "pg_advisory_xact_lock_shared"
    connection.execute(
        sa.select(
            getattr(sa.func, ids_lock)(_IDS_LOCK_KEY),
            sa.func.pg_advisory_xact_lock(_FINGERPRINT_LOCK_SPACE, _int32(fingerprint)),
        )
    )


def new_schema_id(connection: Connection, *, postgres: bool, schema_id: int | None) -> int:
    """A fresh id, or ``schema_id`` (an import) made sure never to be handed out again."""
    if postgres:
        if schema_id is None:
            return int(connection.execute(sa.select(schema_ids.next_value())).scalar_one())
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


def _int32(fingerprint: str) -> int:
    # Two schemas may share these bits: then one waits for the other for nothing, no more.
    return int.from_bytes(bytes.fromhex(fingerprint[:8]), "big", signed=True)
