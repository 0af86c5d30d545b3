"""An event the contract refuses stops `create_user` before the database: 422, field named."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from contract.event_schema import EventContract
from producer_api.errors import EventNotEncodableError
from producer_api.events import NewUser
from producer_api.outbox.wakeup import RelayWaker
from producer_api.service import UserEvents, create_user

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "schemas/user-events-value/2.avsc").read_text()
)
USER = NewUser(
    username="jtr", country_code="FR", created_at=datetime(2021, 1, 1, tzinfo=UTC), is_a_dog=False
)


class CountingWaker(RelayWaker):
    def __init__(self) -> None:
        super().__init__("postgresql://nowhere", interval=0)
        self.pokes = 0

    def poke(self) -> None:
        self.pokes += 1


def only_belgium(schema: dict[str, Any]) -> None:
    for field in schema["fields"]:
        if field["name"] == "country_code":
            field["type"] = {"type": "enum", "name": "Country", "symbols": ["BE"]}


def requires_region(schema: dict[str, Any]) -> None:
    schema["fields"].append({"name": "region", "type": "string"})


@pytest.mark.parametrize(
    ("change", "field"), [(only_belgium, "country_code"), (requires_region, "region")]
)
def test_an_event_the_contract_refuses_raises_before_any_database_work(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], field: str
) -> None:
    schema = json.loads(json.dumps(SCHEMA))
    change(schema)
    folder = tmp_path / "user-events-value"
    folder.mkdir()
    (folder / "1.avsc").write_text(json.dumps(schema))
    contract = EventContract.from_folder(folder, subject="user-events-value")
    waker = CountingWaker()
    # Nothing listens on port 1: touching the database would raise OperationalError instead.
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")

    with pytest.raises(EventNotEncodableError) as caught:
        create_user(engine, USER, events=UserEvents(contract=contract, topic="t", waker=waker))

    assert caught.value.http_status == 422
    assert [error.field for error in caught.value.errors] == [field]
    assert "FR" not in str(caught.value)
    assert waker.pokes == 0
