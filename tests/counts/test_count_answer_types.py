"""A counter never sees expected quantities: the answers a counter gets are types with no
place for them, not dicts with the keys filtered out."""

from __future__ import annotations

import typing
from typing import Any

import msgspec

from server.commands import Actor
from server.counts import service
from server.counts.schemas import (
    BlindCount,
    BlindLine,
    CheckedCount,
    CheckedCountSubmitted,
    CountSubmitted,
)
from tests.conftest import Api
from tests.counts.helpers import ok
from tests.counts.test_counts_api import SOAP, seeded

EXPECTATIONS = {"expected", "difference", "delta"}


def reachable_fields(kind: Any) -> set[str]:
    """Every field name of the struct and of the structs its fields hold."""
    if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)):
        return set().union(*(reachable_fields(a) for a in typing.get_args(kind)))
    hints = typing.get_type_hints(kind)
    return set(kind.__struct_fields__).union(*(reachable_fields(hints[f]) for f in hints))


def test_a_counters_answer_types_have_no_place_for_expected_quantities() -> None:
    for answer in (BlindCount, BlindLine, CountSubmitted):
        assert reachable_fields(answer) & EXPECTATIONS == set(), answer
    assert {"expected", "difference"} <= reachable_fields(CheckedCount)
    assert {"expected", "difference"} <= reachable_fields(CheckedCountSubmitted)


def test_a_task_view_is_blind_by_its_type_for_a_counter_and_checked_for_a_supervisor(
    api: Api,
) -> None:
    seeded(api, 20)
    task = ok(api.post("/api/v1/counts/start", role="counter", json={"location": "A-1"}))
    ok(
        api.post(
            f"/api/v1/counts/{task['id']}/lines",
            role="counter",
            json={"item": SOAP, "quantity": 19},
        )
    )
    counter = Actor(kind="user", code="counter", roles=frozenset({"counter"}))
    supervisor = Actor(kind="user", code="supervisor", roles=frozenset({"supervisor"}))
    blind = api.db.read(lambda conn: service.task_view(conn, task["id"], counter))
    checked = api.db.read(lambda conn: service.task_view(conn, task["id"], supervisor))
    assert type(blind) is BlindCount and blind.lines[0].counted == 19
    assert type(checked) is CheckedCount and checked.lines[0].expected == 20


def test_the_api_document_shows_a_counters_view_without_expected_quantities(api: Api) -> None:
    schemas = api.client.get("/schema/openapi.json").json()["components"]["schemas"]
    assert set(schemas["BlindLine"]["properties"]) == {
        "customer",
        "sku",
        "sku_name",
        "lot",
        "expiry",
        "counted",
    }
    assert "expected" in schemas["CheckedLine"]["properties"]


def test_a_counters_and_a_supervisors_submit_answers_are_told_apart_by_the_document(
    api: Api,
) -> None:
    schemas = api.client.get("/schema/openapi.json").json()["components"]["schemas"]
    # A counter's answer never has a view; a supervisor's always has one.
    assert schemas["CountSubmitted"]["properties"]["view"] == {"type": "null"}
    assert "view" not in schemas["CountSubmitted"].get("required", [])
    assert "view" in schemas["CheckedCountSubmitted"]["required"]
    assert (
        schemas["BlindCount"]["properties"]["blind"]
        != schemas["CheckedCount"]["properties"]["blind"]
    )
