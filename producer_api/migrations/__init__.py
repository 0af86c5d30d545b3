"""Alembic migrations of the users and outbox tables."""
