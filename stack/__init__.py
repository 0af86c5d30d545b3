"""Local runtime of the platform: Kafka from Maven Central jars, embedded PostgreSQL."""
