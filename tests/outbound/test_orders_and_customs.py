"""Orders from the OMS and the customs statuses that let them go or stop them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.config import Settings
from server.outbound import customs as rules
from tests.conftest import Api, table_counts
from tests.outbound.helpers import (
    add_order,
    customs,
    order_json,
    outbound_settings,
    put_stock,
    release,
    seed_outbound,
    wave,
)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(tmp_path)


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 20)
    return api


def test_order_resend_is_the_same_order(site: Api) -> None:
    body = order_json([{"sku": "S1", "quantity": 2}])
    first = site.post("/api/v1/orders", role="oms", json=body)
    again = site.post("/api/v1/orders", role="oms", json=body)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    count = site.db.read(lambda c: c.execute("SELECT COUNT(*) FROM orders").fetchone()[0])
    assert count == 1


def test_order_change_applies_until_stock_is_reserved(site: Api) -> None:
    body = order_json([{"sku": "S1", "quantity": 2}])
    site.post("/api/v1/orders", role="oms", json=body)
    body["lines"] = [{"sku": "S1", "quantity": 3}]
    changed = site.post("/api/v1/orders", role="oms", json=body)
    assert changed.json()["lines"][0]["quantity"] == 3
    release(site, body["order_no"])
    wave(site)
    body["lines"] = [{"sku": "S1", "quantity": 1}]
    late = site.post("/api/v1/orders", role="oms", json=body)
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "ORDER_IN_PROGRESS"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 404, "SKU_NOT_FOUND"),
        ({"lines": [{"sku": "S2", "quantity": 1}]}, 404, "SKU_NOT_FOUND"),  # C2's SKU
        ({"customer": "NOBODY"}, 404, "CUSTOMER_NOT_FOUND"),
        ({"waybill_no": "SF 123"}, 400, "VALIDATION_FAILED"),
        ({"recipient": {"name": "x", "phone": "abc", "address": "y"}}, 400, "VALIDATION_FAILED"),
        ({"cutoff_at": "2026-11-23T18:00:00"}, 400, "VALIDATION_FAILED"),  # no UTC offset
        ({"lines": []}, 400, "VALIDATION_FAILED"),
    ],
)
def test_bad_order_is_refused_and_changes_nothing(
    site: Api, change: dict[str, Any], status: int, code: str
) -> None:
    before = table_counts(site.db)
    answer = site.post(
        "/api/v1/orders", role="oms", json={**order_json([{"sku": "S1", "quantity": 1}]), **change}
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    after = table_counts(site.db)
    assert {k: v for k, v in after.items() if k != "commands"} == {
        k: v for k, v in before.items() if k != "commands"
    }


def test_a_waybill_number_belongs_to_one_order(site: Api) -> None:
    first = add_order(site, [{"sku": "S1", "quantity": 1}])
    clash = order_json([{"sku": "S1", "quantity": 1}])
    clash["waybill_no"] = first["waybill_no"]
    answer = site.post("/api/v1/orders", role="oms", json=clash)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "WAYBILL_TAKEN"


def test_only_the_oms_and_supervisors_send_orders(site: Api) -> None:
    answer = site.post(
        "/api/v1/orders", role="picker", json=order_json([{"sku": "S1", "quantity": 1}])
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"


def test_unknown_customs_code_is_refused(site: Api) -> None:
    order = add_order(site, [{"sku": "S1", "quantity": 1}])
    answer = customs(site, order["order_no"], 42)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "CUSTOMS_STATUS_UNKNOWN"


def test_customs_status_for_unknown_order_is_404(site: Api) -> None:
    answer = customs(site, "NO-SUCH-ORDER", 800)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "ORDER_NOT_FOUND"


T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _final_status(api: Api, replies: list[tuple[int, int]]) -> Any:
    order = add_order(api, [{"sku": "S1", "quantity": 1}])
    for code, second in replies:
        answer = customs(api, order["order_no"], code, T0 + timedelta(seconds=second))
        assert answer.status_code == 200, answer.text
    return api.get(f"/api/v1/orders/{order['id']}").json()


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ([(120, 1), (800, 2)], 800),
        ([(800, 2), (120, 1)], 800),  # the late 120 is older: ignored
        ([(800, 2), (800, 2), (120, 1)], 800),  # twice, then late
        ([(800, 1), (500, 2)], 500),  # inspection after release stops it
        ([(500, 2), (800, 1)], 500),  # the older release cannot undo it
        ([(500, 2), (800, 3)], 800),  # released after inspection
        ([(800, 2), (503, 2)], 503),  # same time: the hold wins
        ([(503, 2), (800, 2)], 503),
        ([(-1, 5), (120, 1)], -1),
        ([(800, 1), (899, 2)], 899),
    ],
)
def test_customs_precedence_ends_right_whatever_the_arrival_order(
    site: Api, replies: list[tuple[int, int]], expected: int
) -> None:
    assert _final_status(site, replies)["customs_status"] == expected


def test_every_arrival_order_of_the_same_replies_ends_the_same(site: Api) -> None:
    replies = [(120, 1), (500, 2), (800, 3), (800, 3)]
    finals = {
        _final_status(site, list(perm))["customs_status"]
        for perm in itertools.permutations(replies)
    }
    assert finals == {800}


CODES = sorted(
    rules.WAITING_CODES
    | rules.ACCEPTED_CODES
    | rules.RELEASED_CODES
    | rules.HOLD_CODES
    | {-1, -301}
)


@given(
    st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 5)), min_size=1, max_size=8),
    st.randoms(),
)
def test_precedence_is_a_maximum_so_arrival_order_does_not_matter(
    replies: list[tuple[int, int]], rng: Any
) -> None:
    def final(sequence: list[tuple[int, int]]) -> tuple[str, int, int]:
        current = None
        for code, second in sequence:
            key = rules.precedence(code, f"2026-11-23T09:00:0{second}")
            if current is None or key > current:
                current = key
        assert current is not None
        return current

    shuffled = list(replies)
    rng.shuffle(shuffled)
    assert final(replies) == final(shuffled)


def test_holds_show_on_the_exception_list(site: Api) -> None:
    held = add_order(site, [{"sku": "S1", "quantity": 1}])
    fine = add_order(site, [{"sku": "S1", "quantity": 1}])
    customs(site, held["order_no"], 502)
    release(site, fine["order_no"])
    listed = site.get("/api/v1/orders", params={"exceptions": "true"}).json()
    assert [o["order_no"] for o in listed] == [held["order_no"]]
    assert listed[0]["blocked"] == "ORDER_ON_HOLD"
    assert site.get("/api/v1/orders/summary").json()["on_hold"] == 1


def test_a_cancellation_is_final(site: Api) -> None:
    order = add_order(site, [{"sku": "S1", "quantity": 1}])
    release(site, order["order_no"])
    answer = site.post(
        "/api/v1/order-cancellations",
        role="oms",
        json={"order_no": order["order_no"], "reason": "buyer"},
    )
    assert answer.json()["state"] == "cancelled"
    release(site, order["order_no"])  # a later release does not bring it back
    view = site.get(f"/api/v1/orders/{order['id']}").json()
    assert view["state"] == "cancelled"
    assert view["blocked"] == "ORDER_CANCELLED"
    again = site.post(
        "/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]}
    )
    assert again.status_code == 200


def test_order_lookup_by_order_waybill_or_unknown(site: Api) -> None:
    order = add_order(site, [{"sku": "S1", "quantity": 1}])
    for code in (order["order_no"], order["waybill_no"]):
        assert site.get("/api/v1/orders/lookup", params={"code": code}).json()["id"] == order["id"]
    missing = site.get("/api/v1/orders/lookup", params={"code": "NOPE"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ORDER_NOT_FOUND"


def test_order_import_csv_is_all_or_nothing(site: Api) -> None:
    header = (
        "customer,order_no,courier,waybill_no,sort_code,recipient_name,recipient_phone,"
        "recipient_address,sender_name,sender_phone,sender_address,cutoff_at,sku,quantity\n"
    )
    good = (
        "C1,IMP-1,SF,SF900000001,342-081,李四,13900001111,某路1号,DC,075512345,仓库,"
        "2026-11-23T18:00:00+08:00,S1,2\n"
        "C1,IMP-1,SF,SF900000001,342-081,李四,13900001111,某路1号,DC,075512345,仓库,"
        "2026-11-23T18:00:00+08:00,S3,1\n"
        "C1,IMP-2,SF,SF900000002,342-081,王五,13900002222,某路2号,DC,075512345,仓库,,S1,1\n"
    )
    bad = (
        good + "C1,IMP-3,SF,SF900000003,342-081,赵六,13900003333,某路3号,DC,075512345,仓库,,S1,0\n"
    )
    refused = site.post(
        "/api/v1/order-imports?format=csv", role="oms", content=(header + bad).encode()
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["problems"][0]["line"] == 5
    assert site.db.read(lambda c: c.execute("SELECT COUNT(*) FROM orders").fetchone()[0]) == 0
    answer = site.post(
        "/api/v1/order-imports?format=csv", role="oms", content=(header + good).encode()
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"kind": "orders", "orders": 2, "lines": 3}
    imported = site.get("/api/v1/orders/lookup", params={"code": "IMP-1"}).json()
    assert imported["cutoff_at"] == "2026-11-23T10:00:00.000+00:00"
    assert [line["sku"] for line in imported["lines"]] == ["S1", "S3"]
