"""An OMS message that does not fit is refused whole, with every problem listed at once
(msgspec alone names only the first), and nothing changes."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from server.outbound.schemas import OrderIn
from server.validation import every_problem
from tests.conftest import Api, table_counts
from tests.outbound.helpers import order_json, seed_outbound


def test_an_order_with_four_bad_fields_is_refused_with_all_four(api: Api) -> None:
    seed_outbound(api)
    before = table_counts(api.db)
    body = order_json([{"sku": "S1", "quantity": 0}, {"sku": "S1", "quantity": 1, "colour": "red"}])
    body["courier"] = ""
    body["recipient"]["phone"] = "call me"
    answer = api.post("/api/v1/orders", role="oms", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    fields = [p["field"] for p in error["details"]["problems"]]
    assert fields == ["courier", "recipient.phone", "lines[0].quantity", "lines[1].colour"]
    assert error["message"].startswith("4 problems, nothing was changed")
    assert table_counts(api.db) == before


def test_a_plan_missing_fields_lists_each_one(api: Api) -> None:
    seed_outbound(api)
    answer = api.post(
        "/api/v1/plans",
        role="oms",
        json={"customer": "C1", "transport": {"type": "land", "truck_plate": "粤B56789"}},
    )
    assert answer.status_code == 400, answer.text
    problems = answer.json()["error"]["details"]["problems"]
    assert {p["field"] for p in problems} == {"plan_no", "lines"}


def test_every_unknown_sku_of_an_order_is_named(api: Api) -> None:
    seed_outbound(api)
    before = table_counts(api.db)
    body = order_json(
        [
            {"sku": "S1", "quantity": 1},
            {"sku": "NOPE", "quantity": 1},
            {"sku": "GONE", "quantity": 2},
        ]
    )
    answer = api.post("/api/v1/orders", role="oms", json=body)
    assert answer.status_code == 404, answer.text
    error = answer.json()["error"]
    assert error["code"] == "SKU_NOT_FOUND"
    assert error["details"]["lines"] == [{"line": 2, "sku": "NOPE"}, {"line": 3, "sku": "GONE"}]
    assert table_counts(api.db) == before


JUNK = st.sampled_from(["", "x" * 300, -1, 0, 10**12, None, [], {}, "2026-13-45", True, 1.5])
PATHS = [
    ("order_no",),
    ("courier",),
    ("waybill_no",),
    ("priority",),
    ("cutoff_at",),
    ("routing", "sort_code"),
    ("recipient", "name"),
    ("recipient", "phone"),
    ("sender", "address"),
    ("lines", 0, "sku"),
    ("lines", 0, "quantity"),
    ("lines", 1, "lot"),
    ("lines",),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), JUNK), max_size=5))
def test_every_problem_agrees_with_msgspec_and_names_each_misfit(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    body = order_json([{"sku": "S1", "quantity": 1}, {"sku": "S2", "quantity": 2}])
    for path, junk in changes:
        node: Any = body
        for step in path[:-1]:  # an earlier change may have put junk on the way
            node = node[step] if _holds(node, step) else None
        if _holds(node, path[-1]) or (isinstance(node, dict) and isinstance(path[-1], str)):
            node[path[-1]] = copy.deepcopy(junk)
    problems = every_problem(OrderIn, body)
    try:
        msgspec.convert(body, OrderIn)
        fits = True
    except msgspec.ValidationError:
        fits = False
    assert fits == (problems == []), problems
    for problem in problems:  # each names a place that is really wrong there
        assert problem["field"] and problem["message"]


def _holds(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and step < len(node)
