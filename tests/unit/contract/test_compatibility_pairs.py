"""Reader/writer pairs from compatibility_cases.json, checked against Java's verdicts.

Each case records two facts reasoned from Apache Avro Java's SchemaCompatibility: whether the
reader can read the writer and whether the writer can read the reader. Taking the writer as the
registered version and the reader as the new schema, the verdict under every level follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import avro.schema
import pytest

from contract.compatibility import (
    CompatibilityLevel,
    ExistingSchema,
    can_read,
    check,
    reader_writer_incompatibilities,
)

CASES_FILE = Path(__file__).with_name("compatibility_cases.json")


@dataclass(frozen=True)
class PairCase:
    name: str
    writer: object
    reader: object
    reader_can_read_writer: bool
    writer_can_read_reader: bool
    kinds: list[str] | None
    paths: list[str] | None
    reverse_kinds: list[str] | None
    reverse_paths: list[str] | None


def load_cases() -> list[PairCase]:
    raw = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    return [
        PairCase(
            name=item["name"],
            writer=item["writer"],
            reader=item["reader"],
            reader_can_read_writer=item["reader_can_read_writer"],
            writer_can_read_reader=item["writer_can_read_reader"],
            kinds=item.get("kinds"),
            paths=item.get("paths"),
            reverse_kinds=item.get("reverse_kinds"),
            reverse_paths=item.get("reverse_paths"),
        )
        for item in raw
    ]


CASES = load_cases()


def parse(schema: object) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(schema))


def test_the_data_file_holds_at_least_a_hundred_distinct_cases() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 100
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_reader_reads_writer_as_java_does(case: PairCase) -> None:
    found = can_read(parse(case.reader), parse(case.writer))

    assert (not found) == case.reader_can_read_writer, [i.message() for i in found]
    if case.kinds is not None:
        assert [i.kind for i in found] == case.kinds
    if case.paths is not None:
        assert [i.path for i in found] == case.paths
    assert all(i.direction == "backward" for i in found)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_writer_reads_reader_as_java_does(case: PairCase) -> None:
    found = reader_writer_incompatibilities(
        parse(case.writer), parse(case.reader), direction="forward"
    )

    assert (not found) == case.writer_can_read_reader, [i.message() for i in found]
    if case.reverse_kinds is not None:
        assert [i.kind for i in found] == case.reverse_kinds
    if case.reverse_paths is not None:
        assert [i.path for i in found] == case.reverse_paths
    assert all(i.direction == "forward" for i in found)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_verdict_under_every_level(case: PairCase) -> None:
    """The writer is registered as version 1; the reader is the schema being checked."""
    backward, forward = case.reader_can_read_writer, case.writer_can_read_reader
    expected = {
        CompatibilityLevel.NONE: True,
        CompatibilityLevel.BACKWARD: backward,
        CompatibilityLevel.BACKWARD_TRANSITIVE: backward,
        CompatibilityLevel.FORWARD: forward,
        CompatibilityLevel.FORWARD_TRANSITIVE: forward,
        CompatibilityLevel.FULL: backward and forward,
        CompatibilityLevel.FULL_TRANSITIVE: backward and forward,
    }
    old = ExistingSchema(version=1, schema=parse(case.writer), text=json.dumps(case.writer))
    new = parse(case.reader)

    actual = {level: check(new, [old], level).is_compatible for level in CompatibilityLevel}

    assert actual == expected
