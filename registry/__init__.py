"""Confluent-compatible Schema Registry: REST server, compatibility checker and schema CLI."""
