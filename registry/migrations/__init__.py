"""Alembic migrations of the registry's tables, applied when the server starts."""
