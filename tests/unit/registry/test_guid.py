"""GUIDs as Confluent 8 gives them: the expected values are what Confluent's server computes
for the same schema (its MD5 regression vectors, v8.3.1)."""

from __future__ import annotations

from typing import Any

import pytest

from registry.guid import schema_guid
from registry.schema import SchemaReference

PERSON = (
    '{"type":"record","name":"Person","namespace":"io.confluent.kafka.example","fields":['
    '{"name":"name","type":"string"},{"name":"age","type":"int"},'
    '{"name":"ssn","type":"string"},{"name":"user","type":"io.confluent.kafka.example.User"},'
    '{"name":"address","type":"io.confluent.kafka.example.Address"}]}'
)
REFERENCES = (
    SchemaReference("io.confluent.kafka.example.User", "User", 1),
    SchemaReference("io.confluent.kafka.example.Address", "Address", 2),
)
# Keys out of order on purpose: Confluent hashes them sorted.
METADATA: dict[str, Any] = {
    "tags": {"team": ["data-engineering"], "environment": ["staging", "production"]},
    "properties": {
        "version": "1.0.0",
        "owner": "data-team",
        "description": "Person schema for user management",
    },
    "sensitive": ["ssn", "credit-card"],
}


def _rule(
    name: str, doc: str, kind: str, mode: str, kind_of: str, field: str, expr: str
) -> dict[str, Any]:
    return {
        "name": name,
        "doc": doc,
        "kind": kind,
        "mode": mode,
        "type": kind_of,
        "tags": ["PERSON"],
        "params": {"field": field},
        "expr": expr,
        "onSuccess": "none",
        "onFailure": "error",
        "disabled": False,
    }


RULE_SET = {
    "migrationRules": [
        _rule(
            "upgrade-rule-1",
            "Upgrade rule for field changes",
            "TRANSFORM",
            "UPGRADE",
            "FIELD_UPDATE",
            "name",
            "field.name = field.name.toUpperCase()",
        ),
        _rule(
            "downgrade-rule-1",
            "Downgrade rule for compatibility",
            "TRANSFORM",
            "DOWNGRADE",
            "FIELD_DELETE",
            "ssn",
            "delete field.ssn",
        ),
    ],
    "domainRules": [
        _rule(
            "validation-rule-1",
            "Validate age field",
            "CONDITION",
            "WRITE",
            "FIELD_VALIDATION",
            "age",
            "field.age >= 0 && field.age <= 150",
        ),
        _rule(
            "masking-rule-1",
            "Mask sensitive data on read",
            "TRANSFORM",
            "READ",
            "DATA_MASKING",
            "ssn",
            "field.ssn = '***-**-****'",
        ),
    ],
}


@pytest.mark.parametrize(
    ("with_references", "with_metadata", "with_rules", "expected"),
    [
        (False, False, False, "d629bb05-ad85-3d20-fbcb-895de3c459f7"),
        (False, False, True, "c0708b8f-65f6-b698-bffe-45c1dfa8987c"),
        (False, True, False, "2034166c-90a8-1166-0ff2-f5f62c80dbe0"),
        (False, True, True, "d9877161-cfdf-d8c5-4eb4-ab37ed50e9d5"),
        (True, False, False, "5c08d70e-5347-41b2-6369-199425d044eb"),
        (True, False, True, "96825311-eb10-b7f5-48be-2a023b4c018e"),
        (True, True, False, "3619d8e0-2ee8-de51-0d9e-2520d39174d5"),
        (True, True, True, "589556fb-ad98-e8e0-94fa-e6da3455433a"),
    ],
)
def test_confluent_guids(
    with_references: bool, with_metadata: bool, with_rules: bool, expected: str
) -> None:
    guid = schema_guid(
        PERSON,
        REFERENCES if with_references else (),
        METADATA if with_metadata else None,
        RULE_SET if with_rules else None,
    )
    assert guid == expected


def test_empty_metadata_differs_from_none_and_order_does_not_matter() -> None:
    assert schema_guid('"int"', metadata={}) != schema_guid('"int"')
    assert schema_guid('"int"', metadata={"properties": {"a": "1", "b": "2"}}) == schema_guid(
        '"int"', metadata={"properties": {"b": "2", "a": "1"}}
    )
    assert schema_guid('"int"', rule_set={"domainRules": [{"name": "r", "disabled": True}]}) != (
        schema_guid('"int"', rule_set={"domainRules": [{"name": "r", "disabled": False}]})
    )
