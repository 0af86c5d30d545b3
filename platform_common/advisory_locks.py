"""The PostgreSQL advisory lock keys the platform takes: one list, so that no two collide.

The registry, the users API, the relay and the lake catalog may share one database (the
stack's does), and an advisory lock key is database-wide.
"""

from __future__ import annotations

# Held while the registry's migrations run.
REGISTRY_MIGRATIONS = 0x5E6A_0001
# Held while the users API's migrations run.
API_MIGRATIONS = 0x0A91_0001
# The relay's outbox buckets: OUTBOX_BUCKETS + bucket, one key per bucket (16 of them).
OUTBOX_BUCKETS = 0x0A91_1000
# Held while the lake catalog's tables are created.
LAKE_CATALOG = 0x0A91_2001
