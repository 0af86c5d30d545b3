"""The event contract as every service reads it.

- `schema_folder`: the `schemas/` layout, one rule for what a version file is;
- `schema_types`: Confluent's schema type names, and the file suffix of each;
- `subjects`: subject names from topic names (Confluent's TopicNameStrategy), and the
  platform's own events topic and subject;
- `event_schema`: one version of the event's schema, and events checked against it;
- `compatibility`: the checker under the seven Confluent levels, shared by the registry,
  its CLI and the consumer;
- `framing`: Confluent's wire framing of a record: the schema it names (an id or GUID in the
  value's prefix, or a GUID in a header) and where its body starts; which one a producer writes;
- `error_codes`: Confluent's `error_code` values;
- `registry_client`: what a caller of `confluent_kafka`'s registry client catches.
"""
