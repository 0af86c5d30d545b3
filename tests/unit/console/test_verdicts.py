"""The registry's verbose messages, split into incompatibilities, context and the rest."""

from __future__ import annotations

from console.verdicts import Incompatibility, read_messages

# As the registry answers a candidate that adds a field without a default.
MESSAGES = [
    "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'referrer' at "
    "path '/fields/7' in the new schema has no default value and is missing in the old "
    "schema', additionalInfo:'referrer'}",
    "{oldSchemaVersion: 2}",
    '{oldSchema: \'{"type":"record","name":"UserCreated","fields":[]}\'}',
    "{validateFields: 'false', compatibility: 'BACKWARD'}",
]


def test_an_incompatibility_keeps_its_kind_and_its_path_named_description() -> None:
    verdict = read_messages(MESSAGES)
    assert verdict.incompatibilities == [
        Incompatibility(
            "READER_FIELD_MISSING_DEFAULT_VALUE",
            "The field 'referrer' at path '/fields/7' in the new schema has no default value "
            "and is missing in the old schema",
        )
    ]
    assert verdict.against_version == 2
    assert verdict.context == MESSAGES[1:]
    assert verdict.other == []


def test_a_message_of_another_shape_is_kept_whole() -> None:
    invalid = 'Invalid schema of type AVRO, details: "name" is a required field'
    verdict = read_messages([invalid])
    assert verdict.other == [invalid]
    assert verdict.incompatibilities == []
    assert verdict.against_version is None
