"""Kafka consumer that lands events as immutable, rotated files, exactly once."""
