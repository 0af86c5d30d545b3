"""The client matrix's transcript checks: they pass a good run and catch a wrong one."""

from __future__ import annotations

import re

import pytest

from tests.clients.transcript import ClientSpec, Transcript, check_step

PREFIX = "clients-x-1234"
GOOD = f"""\
register-address: ok id=1 version=1
register-user: ok id=2 version=1
lookup: ok id=2 version=1
get-by-id: ok record=test.events.UserCreated references=test.shared.Address={PREFIX}-address/1
register-v2: ok id=3 version=2
register-incompatible: ok status=409 error_code=409 message=details: [{{a=b}}, 'is_a_dog' x=y]
serialize: ok bytes=37 magic=0 id=3
soft-delete-version: ok
guid: FAILED LookupError: the register response carries no guid
"""
SPEC = ClientSpec(
    "x",
    ("register-address", "register-user", "lookup", "get-by-id", "register-v2"),
    omits={"soft-delete-version": frozenset({"deleted"})},
)


def test_a_message_keeps_its_spaces_and_equal_signs() -> None:
    run = Transcript.parse(GOOD)
    fields = run.steps["register-incompatible"].fields
    assert fields == {
        "status": "409",
        "error_code": "409",
        "message": "details: [{a=b}, 'is_a_dog' x=y]",
    }
    assert run.failed == ["guid"]
    assert run.order[-1] == "guid"


@pytest.mark.parametrize(
    "step",
    [
        "register-address",
        "register-user",
        "lookup",
        "get-by-id",
        "register-incompatible",
        "serialize",
        "soft-delete-version",
    ],
)
def test_a_good_run_passes(step: str) -> None:
    check_step(Transcript.parse(GOOD), step, SPEC, PREFIX)


@pytest.mark.parametrize(
    ("wrong", "complaint"),
    [
        ("lookup: ok id=3 version=1", "id='3'"),
        ("lookup: ok id=2", "printed ['id'], expected ['id', 'version']"),
        ("lookup: ok id=2 version=1 extra=1", "printed ['extra', 'id', 'version']"),
        ("lookup: FAILED SchemaRegistryError: no", "lookup: FAILED"),
        ("serialize: ok bytes=38 magic=0 id=3", "bytes='38'"),
        ("register-user: ok id=1 version=1", "a schema id other than ['1']"),
    ],
)
def test_a_wrong_value_is_named(wrong: str, complaint: str) -> None:
    step = wrong.split(":", 1)[0]
    lines = [line for line in GOOD.splitlines() if not line.startswith(f"{step}:")]
    run = Transcript.parse("\n".join([*lines, wrong]))
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        check_step(run, step, SPEC, PREFIX)


def test_a_missing_step_is_named() -> None:
    run = Transcript.parse("register-address: ok id=1 version=1\n")
    with pytest.raises(AssertionError, match="printed no line for step 'lookup'"):
        check_step(run, "lookup", SPEC, PREFIX)
