"""Which fields a schema marks personal (Confluent's `confluent:tags: ["PII"]`)."""

from __future__ import annotations

import json

from contract.personal import personal_fields, personal_fields_of_texts
from tests.unit.consumer.samples import READER_SCHEMA

ADDRESS = {
    "type": "record",
    "name": "Address",
    "fields": [
        {"name": "street", "type": "string", "confluent:tags": ["PII"]},
        {"name": "country", "type": "string"},
    ],
}


def record(*fields: dict[str, object]) -> dict[str, object]:
    return {"type": "record", "name": "Signup", "namespace": "x.y", "fields": list(fields)}


def test_a_field_tagged_pii_is_personal_and_an_untagged_one_is_not() -> None:
    schema = record(
        {"name": "email", "type": "string", "confluent:tags": ["PII"]},
        {"name": "nickname", "type": ["null", "string"], "confluent:tags": ["pii", "LOW"]},
        {"name": "country_code", "type": "string", "confluent:tags": ["PUBLIC"]},
        {"name": "user_id", "type": "long"},
    )
    assert personal_fields(schema) == {"email", "nickname"}


def test_a_record_holding_a_personal_field_anywhere_is_personal_as_a_whole() -> None:
    schema = record(
        {"name": "home", "type": ["null", ADDRESS]},
        {"name": "past", "type": {"type": "array", "items": "Address"}},
        {"name": "by_label", "type": {"type": "map", "values": "Address"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
    )
    assert personal_fields(schema) == {"home", "past", "by_label"}


def test_a_recursive_record_is_walked_once() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"]}, {"name": "n", "type": "int"}],
    }
    assert personal_fields(record({"name": "chain", "type": node})) == frozenset()


def test_the_projects_event_schemas_mark_nothing_personal() -> None:
    """The events carry analytical fields only; the username never leaves the database."""
    assert personal_fields(READER_SCHEMA) == frozenset()


def test_a_field_any_version_tags_stays_personal() -> None:
    tagged = record({"name": "email", "type": "string", "confluent:tags": ["PII"]})
    untagged = record({"name": "email", "type": "string"})
    texts = [json.dumps(untagged), json.dumps(tagged), '"string"']
    assert personal_fields_of_texts(texts) == {"email"}
