"""The outbox relay (`python -m producer_api.relay`): outbox rows to Kafka, in order per key.

- `service`: the relay's loop, its states and metrics;
- `pipeline`: batches claimed on a database thread while the previous one is produced;
- `delivery`: serializing with the registered schema, producing, reading the acks.

The outbox's own statements (claim, mark, retention, wake-up) are in `producer_api.outbox`.
"""
