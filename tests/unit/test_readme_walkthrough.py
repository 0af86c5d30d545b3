"""The README's walkthrough parses into the steps the e2e test runs, and compares sanely."""

from __future__ import annotations

import json
import re

from tests.e2e.walkthrough import README, Kind, mismatch, steps

WALKTHROUGH = steps(README.read_text())
COMMANDS = [step for step in WALKTHROUGH if step.kind is Kind.COMMAND]


def test_the_walkthrough_follows_the_article_then_evolves_the_schema() -> None:
    firsts = [" ".join(step.text.split()[:2]) for step in COMMANDS]
    assert firsts == [
        "curl --header",
        "make psql",
        "make tail-events",
        "find data/lake",
        "make query",
        "cp schemas/user-events-value/2.avsc",
        "make check-schemas",
        "make check-schemas",
        "make register-schemas",
        "make down",
        "curl --header",
        "make tail-events",
        "make query",
    ]


def test_every_command_but_the_copy_shows_its_output() -> None:
    assert [step.text for step in COMMANDS if step.expected is None] == [
        "cp schemas/user-events-value/2.avsc schemas/user-events-value/3.avsc"
    ]


def test_the_schema_edits_are_fields_of_one_name() -> None:
    fields = [json.loads(step.text) for step in WALKTHROUGH if step.kind is Kind.FIELD]
    assert [field["name"] for field in fields] == ["referrer", "referrer"]
    assert "default" not in fields[0]
    assert "default" in fields[1]


def test_the_readme_names_only_targets_the_makefile_has() -> None:
    makefile = (README.parent / "Makefile").read_text()
    for step in COMMANDS:
        for target in re.findall(r"\bmake ([a-z-]+)", step.text):
            assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_each_output_matches_itself_with_other_ids_times_and_widths() -> None:
    for step in COMMANDS:
        if step.expected is None:
            continue
        assert mismatch(step.expected, step.expected) is None
        other = re.sub(r"\d", "7", step.expected).replace("│ ", "│    ").replace(" | ", "  |  ")
        assert mismatch(step.expected, other) is None, step.text


def test_a_changed_word_or_a_missing_line_is_a_mismatch() -> None:
    shown = '{"id":1,"username":"jtr","country_code":"BE"}'
    assert mismatch(shown, shown.replace("BE", "NL")) is not None
    assert mismatch("a\nb", "a") == "missing line: 'b'"


def test_more_table_rows_and_files_are_allowed_but_no_other_lines() -> None:
    table = "┌───┐\n│ BE │ 1 │\n└───┘"
    assert mismatch(table, "┌───┐\n│ NL │ 4 │\n│ BE │ 12 │\n└───┘") is None
    assert mismatch(table, "┌───┐\n│ BE │ 1 │\nerror\n└───┘") == "unexpected line: 'error'"
