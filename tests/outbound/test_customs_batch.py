"""Customs replies in bulk: a day's releases in one message, all applied in order or none,
a repeat of the message answered with the first result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Api, new_key, table_counts
from tests.outbound.helpers import add_order


def replies(orders: list[str], code: int, start: int = 0) -> list[dict[str, object]]:
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    return [
        {"order_no": o, "code": code, "status_at": (at + timedelta(seconds=start + i)).isoformat()}
        for i, o in enumerate(orders)
    ]


def test_a_batch_applies_every_reply_in_order_and_a_repeat_changes_nothing(site: Api) -> None:
    numbers = [add_order(site, [{"sku": "S1", "quantity": 1}])["order_no"] for _ in range(5)]
    # The last reply of an order wins within the batch too: 120 then 800.
    body = {"statuses": replies(numbers, 120) + replies(numbers[:3], 800, start=100)}
    key = new_key("customs-batch")
    first = site.post("/api/v1/customs-statuses/batch", role="oms", key=key, json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 8, "applied": 8, "superseded": 0}
    states = {
        o["order_no"]: o["customs_status"]
        for o in site.get("/api/v1/orders", params={"limit": 50}).json()
    }
    assert [states[n] for n in numbers] == [800, 800, 800, 120, 120]
    before = table_counts(site.db)
    again = site.post("/api/v1/customs-statuses/batch", role="oms", key=key, json=body)
    assert again.json() == first.json()
    assert table_counts(site.db) == before


def test_one_bad_reply_refuses_the_batch_with_every_problem(site: Api) -> None:
    good = add_order(site, [{"sku": "S1", "quantity": 1}])["order_no"]
    before = table_counts(site.db)
    body = {"statuses": replies([good, "NO-SUCH", good, "NOR-THIS"], 800)}
    body["statuses"][2]["code"] = 123
    answer = site.post("/api/v1/customs-statuses/batch", role="oms", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BATCH_REJECTED"
    assert [(p["line"], p["field"]) for p in error["details"]["problems"]] == [
        (2, "order_no"),
        (3, "code"),
        (4, "order_no"),
    ]
    assert table_counts(site.db) == before


def test_an_empty_or_huge_batch_is_bad_input(site: Api) -> None:
    assert (
        site.post("/api/v1/customs-statuses/batch", role="oms", json={"statuses": []}).status_code
        == 400
    )
    assert (
        site.post(
            "/api/v1/customs-statuses/batch", role="picker", json={"statuses": []}
        ).status_code
        == 403
    )
