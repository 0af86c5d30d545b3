"""The outbox INSERT of one kind: the kind's columns as quoted constants, no bind parameter."""

from __future__ import annotations

import sqlalchemy as sa

from producer_api.outbox.write import EventKind, insert_from


def test_a_kinds_columns_are_literals_that_no_value_can_break_out_of() -> None:
    kind = EventKind("user", "User'Created", "user-events", ":.ctx:user-events-value", 2)
    statement = sa.text(insert_from("SELECT 1 AS event_id, 2 AS aggregate_id", kind))
    compiled = statement.compile()
    assert compiled.params == {}, "a colon in a subject must not read as a bind parameter"
    text = str(compiled)
    assert "'User''Created'" in text
    assert "':.ctx:user-events-value'" in text
    assert "'user-events'" in text
