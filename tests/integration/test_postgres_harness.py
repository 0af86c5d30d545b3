"""The session database is a real PostgreSQL server reached through SQLAlchemy."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def _engine(database_url: str) -> sa.Engine:
    return sa.create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))


def test_table_rows_roundtrip(database_url: str) -> None:
    engine = _engine(database_url)
    metadata = sa.MetaData()
    notes = sa.Table(
        "notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(notes.insert(), [{"id": n, "body": f"note {n}"} for n in range(100)])
    with engine.connect() as connection:
        rows = connection.execute(sa.select(notes.c.id, notes.c.body).order_by(notes.c.id)).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(n, f"note {n}") for n in range(100)]


def test_rolled_back_transaction_leaves_nothing(database_url: str) -> None:
    engine = _engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS ledger (id int primary key)"))
    connection = engine.connect()
    transaction = connection.begin()
    connection.execute(sa.text("INSERT INTO ledger VALUES (1)"))
    transaction.rollback()
    connection.close()
    with engine.connect() as check:
        count = check.execute(sa.text("SELECT count(*) FROM ledger")).scalar_one()
    engine.dispose()
    assert count == 0


def test_server_is_postgresql(database_url: str) -> None:
    engine = _engine(database_url)
    with engine.connect() as connection:
        version = connection.execute(sa.text("SHOW server_version_num")).scalar_one()
    engine.dispose()
    assert int(version) >= 170000
