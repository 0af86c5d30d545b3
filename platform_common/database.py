"""Database URLs as people write them, turned into what SQLAlchemy needs."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def engine_url(database_url: str) -> URL:
    """Accept the plain `postgresql://` form that psql uses; talk to it through psycopg 3."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def libpq_url(url: URL) -> str:
    """The same database as a libpq URL, for psycopg connections outside SQLAlchemy."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
