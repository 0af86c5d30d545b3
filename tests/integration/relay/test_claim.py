"""The relay's claim on a real PostgreSQL: which buckets it locks, and what it says is left."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from producer_api.outbox.claim import claim
from producer_api.outbox.table import BUCKETS
from tests.integration.relay.conftest import insert_users

_ADVISORY_LOCKS = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
)


@pytest.fixture(scope="module")
def twelve_buckets(engine: sa.Engine) -> None:
    """The first users of the module's database (each test process has its own): ids 1 to
    12, so one unsent row in each of buckets 1 to 12 of 16. Claims roll back: they stay."""
    insert_users(engine, "claims", 12)


@pytest.mark.usefixtures("twelve_buckets")
def test_a_claim_locks_only_the_buckets_with_rows_and_takes_them_all(engine: sa.Engine) -> None:
    with engine.connect() as connection, connection.begin():
        claimed = claim(connection, batch_size=4000, max_buckets=BUCKETS)
        locks = connection.execute(_ADVISORY_LOCKS).scalar_one()
    assert len(claimed.rows) == 12
    assert locks == 12
    assert not claimed.more, "every bucket with rows was taken whole"


@pytest.mark.usefixtures("twelve_buckets")
def test_a_claim_at_its_bucket_limit_says_rows_may_be_left(engine: sa.Engine) -> None:
    with engine.connect() as connection, connection.begin():
        claimed = claim(connection, batch_size=4000, max_buckets=8)
    assert len(claimed.rows) == 8
    assert claimed.more


@pytest.mark.usefixtures("twelve_buckets")
def test_a_bucket_that_filled_its_share_says_rows_may_be_left(engine: sa.Engine) -> None:
    with engine.connect() as connection, connection.begin():
        # Twelve buckets, twelve rows to take: one per bucket, and each may have had more.
        claimed = claim(connection, batch_size=12, max_buckets=BUCKETS)
    assert len(claimed.rows) == 12
    assert claimed.more
