"""One schema, however it is written, gets one id: from register and from lookup."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]

field_names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
field_types = st.one_of(
    st.sampled_from(PRIMITIVES),
    st.sampled_from(PRIMITIVES).map(lambda name: ["null", name] if name != "null" else "null"),
    st.just({"type": "array", "items": "string"}),
    st.just({"type": "map", "values": "long"}),
    st.just({"type": "long", "logicalType": "timestamp-millis"}),
)


@st.composite
def record_schemas(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(field_names, min_size=1, max_size=6, unique=True))
    fields = []
    for name in names:
        field: dict[str, Any] = {"name": name, "type": draw(field_types)}
        if draw(st.booleans()):
            field["doc"] = draw(st.text(max_size=20))
        fields.append(field)
    return {"type": "record", "name": "Generated", "namespace": "identity.test", "fields": fields}


def spelled_differently(schema: Any, rng: random.Random) -> Any:
    """The same schema with keys in another order and primitives sometimes as objects."""
    if isinstance(schema, str) and schema in PRIMITIVES:
        return {"type": schema} if rng.random() < 0.5 else schema
    if isinstance(schema, list):
        return [spelled_differently(branch, rng) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key in shuffled(schema, rng):
        value = schema[key]
        if key in ("items", "values"):
            value = spelled_differently(value, rng)
        elif key == "fields":
            value = [
                {
                    name: spelled_differently(field[name], rng) if name == "type" else field[name]
                    for name in shuffled(field, rng)
                }
                for field in value
            ]
        result[key] = value
    return result


def shuffled(keys: dict[str, Any], rng: random.Random) -> list[str]:
    order = list(keys)
    rng.shuffle(order)
    return order


def text_of(schema: Any, rng: random.Random) -> str:
    text = json.dumps(schema, indent=rng.choice([None, 1, 4]))
    return text.replace("\n", "\r\n") if rng.random() < 0.5 else text


def post(url: str, schema_text: str) -> requests.Response:
    return requests.post(
        url, data=json.dumps({"schema": schema_text}), headers=CONTENT_TYPE, timeout=30
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(schema=record_schemas(), seed=st.integers(0, 2**32), normalize=st.booleans())
def test_other_spellings_get_the_same_id(
    registry_url: str, schema: dict[str, Any], seed: int, normalize: bool
) -> None:
    rng = random.Random(seed)
    subject = f"identity-{uuid.uuid4().hex}-value"
    query = "?normalize=true" if normalize else ""
    first = post(f"{registry_url}/subjects/{subject}/versions{query}", json.dumps(schema))
    assert first.status_code == 200, first.text
    schema_id = first.json()["id"]

    variant = text_of(spelled_differently(schema, rng), rng)
    again = post(f"{registry_url}/subjects/{subject}/versions{query}", variant)
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["version"]) == (schema_id, 1)

    found = post(f"{registry_url}/subjects/{subject}{query}", variant)
    assert found.status_code == 200, found.text
    assert (found.json()["id"], found.json()["version"]) == (schema_id, 1)
