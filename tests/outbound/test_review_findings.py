"""Review findings on the outbound slice (issue 4), each shown through the API.

Every test states the behaviour the floor needs; each was first marked xfail(strict) with the
defect that breaks it today, so the suite stays green until the fix lands (then the
strict xfail turns red and the marker is removed).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

import pytest

from server.outbound.allocation import allocate_order, candidate_stock
from tests.conftest import Api, table_counts
from tests.outbound.helpers import (
    SOAP,
    add_order,
    balance,
    customs,
    next_task,
    order_json,
    pack,
    pick,
    picked_order,
    put_stock,
    release,
    released_order,
    reserved,
    wave,
)


def cancel_and_return(api: Api, order: dict[str, Any], to: str) -> None:
    api.post("/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]})
    task = next(
        t
        for t in api.get("/api/v1/order-tasks", role="packer").json()
        if t["order_no"] == order["order_no"] and t["kind"] == "return_to_stock"
    )
    done = api.post(
        f"/api/v1/order-tasks/{task['id']}/complete", role="packer", json={"location": to}
    )
    assert done.status_code == 200, done.text


# -- bad input ------------------------------------------------------------------------------

# An aware time whose UTC value falls outside datetime's range: msgspec accepts it,
# orders.utc_text() (astimezone(UTC)) raises OverflowError.
EARLY = "0001-01-01T00:00:00+01:00"
LATE = "9999-12-31T23:59:59-05:00"


@pytest.mark.parametrize("where", ["customs_status_at", "order_cutoff_at", "wave_cutoff_before"])
def test_a_time_out_of_range_is_a_clear_error_not_a_500(site: Api, where: str) -> None:
    order = add_order(site, [{"sku": "S1", "quantity": 1}])
    before = table_counts(site.db)
    if where == "customs_status_at":
        answer = site.post(
            "/api/v1/customs-statuses",
            role="oms",
            json={"order_no": order["order_no"], "code": 800, "status_at": EARLY},
        )
    elif where == "order_cutoff_at":
        answer = site.post(
            "/api/v1/orders",
            role="oms",
            json={**order_json([{"sku": "S1", "quantity": 1}]), "cutoff_at": LATE},
        )
    else:
        answer = site.post("/api/v1/waves", json={"cutoff_before": EARLY})
    assert answer.status_code in (400, 422), answer.text
    after = table_counts(site.db)
    assert {k: v for k, v in after.items() if k != "commands"} == {
        k: v for k, v in before.items() if k != "commands"
    }


# -- totes ----------------------------------------------------------------------------------


def test_scanning_a_tote_opens_the_order_whose_goods_are_in_it(site: Api) -> None:
    put_stock(site, "A-1", "S1", 10)
    first = picked_order(site, [{"sku": "S1", "quantity": 1}], "T-1")
    assert pack(site, first["id"], [SOAP]).status_code == 200  # T-1 is empty again
    second = picked_order(site, [{"sku": "S1", "quantity": 2}], "T-1")
    assert balance(site, "T-1") == {("S1", ""): 2}  # the second order's goods
    # Customs selects the first, already packed, parcel: that order is now the newest.
    assert customs(site, first["order_no"], 500).status_code == 200
    opened = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"})
    # Today: 409 ORDER_INSPECTION for the first order -- the packer is told to take the
    # second order's tote to the inspection lane.
    assert opened.status_code == 200, opened.text
    assert opened.json()["order_no"] == second["order_no"]


def test_an_order_keeps_picking_into_its_own_tote_after_an_old_order_used_it(site: Api) -> None:
    put_stock(site, "A-1", "S1", 10)
    put_stock(site, "A-2", "S1", 10)
    gone = picked_order(site, [{"sku": "S1", "quantity": 1}], "T-1")
    cancel_and_return(site, gone, to="A-1")
    assert balance(site, "T-1") == {}
    order = released_order(site, [{"sku": "S1", "quantity": 12}])  # two tasks
    built = wave(site, order_nos=[order["order_no"]])
    first = next_task(site, built["id"])
    assert pick(site, first, "T-1").status_code == 200
    second = next_task(site, built["id"])
    answer = pick(site, second, "T-1")
    assert answer.status_code == 200, answer.text


# -- short picks ----------------------------------------------------------------------------


def test_stock_reported_missing_is_not_reserved_again(site: Api) -> None:
    put_stock(site, "A-1", "S1", 3)
    put_stock(site, "A-2", "S1", 3)
    first = released_order(site, [{"sku": "S1", "quantity": 3}])
    built = wave(site, order_nos=[first["order_no"]])
    task = next_task(site, built["id"])
    assert task["location"] == "A-1"
    short = site.post(
        f"/api/v1/pick-tasks/{task['id']}/short", role="picker", json={"reason": "empty"}
    )
    assert short.json()["reallocated"] == 3  # found at A-2
    assert pick(site, next_task(site, built["id"]), "T-1").status_code == 200
    second = released_order(site, [{"sku": "S1", "quantity": 1}])
    again = wave(site, order_nos=[second["order_no"]])
    # The only "free" S1 is the 3 units the picker just said are not at A-1: not offered.
    assert (again["id"], again["backordered"]) == (None, [second["order_no"]])
    shortages = site.get("/api/v1/pick-shortages").json()
    assert isinstance(shortages, list), shortages
    assert [(s["location"], s["missing"]) for s in shortages] == [("A-1", 3)]
    assert site.get("/api/v1/orders/summary").json()["open_shortages"] == 1
    # A count finds them after all: the supervisor settles it and they can be reserved.
    settled = site.post(
        f"/api/v1/pick-shortages/{shortages[0]['id']}/resolve", json={"resolution": "recounted"}
    )
    assert settled.json()["resolved_by"] == "supervisor01"
    retry = site.post(f"/api/v1/orders/{second['id']}/allocate")
    assert retry.json()["state"] == "allocated"


# -- allocation -----------------------------------------------------------------------------


def test_a_required_lot_is_not_taken_by_a_free_line_of_the_same_sku(site: Api) -> None:
    put_stock(site, "A-1", "S3", 1, lot="L-SOON", expiry="2027-03-31")
    put_stock(site, "A-2", "S3", 1, lot="L-LATE", expiry="2028-06-30")
    order = released_order(
        site,
        [{"sku": "S3", "quantity": 1}, {"sku": "S3", "quantity": 1, "lot": "L-SOON"}],
    )
    built = site.post("/api/v1/waves", json={})
    assert built.status_code == 200, built.text
    assert built.json()["backordered"] == [], built.text
    assert site.get(f"/api/v1/orders/{order['id']}").json()["state"] == "waved"


def test_a_back_order_with_nothing_reserved_can_still_be_corrected(site: Api) -> None:
    body = order_json([{"sku": "S1", "quantity": 2}])
    assert site.post("/api/v1/orders", role="oms", json=body).status_code == 200
    release(site, body["order_no"])
    built = site.post("/api/v1/waves", json={})  # no S1 in the building
    assert built.json()["backordered"] == [body["order_no"]]
    assert reserved(site) == 0
    body["lines"] = [{"sku": "S1", "quantity": 1}]
    changed = site.post("/api/v1/orders", role="oms", json=body)
    assert changed.status_code == 200, changed.text


# -- holds ----------------------------------------------------------------------------------


def test_next_task_does_not_hand_back_a_task_of_an_order_on_hold(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    put_stock(site, "A-2", "S1", 5)
    held = released_order(site, [{"sku": "S1", "quantity": 5}])
    released_order(site, [{"sku": "S1", "quantity": 5}])
    built = wave(site)
    assert next_task(site, built["id"])["order_no"] == held["order_no"]
    assert customs(site, held["order_no"], 502).status_code == 200
    again = next_task(site, built["id"])
    assert again is not None
    assert again["order_no"] != held["order_no"]


def test_an_inspection_task_does_not_outlive_its_goods_in_the_tote(site: Api) -> None:
    put_stock(site, "A-1", "S1", 10)
    first = picked_order(site, [{"sku": "S1", "quantity": 1}], "T-1")
    customs(site, first["order_no"], 500)  # task: take T-1 to inspection
    release(site, first["order_no"])  # released before the floor got to it
    assert pack(site, first["id"], [SOAP]).status_code == 200
    picked_order(site, [{"sku": "S1", "quantity": 2}], "T-1")
    tasks = site.get("/api/v1/order-tasks", role="packer").json()
    stale = [(t["kind"], t["source"], t["order_no"]) for t in tasks if t["source"] == "T-1"]
    assert stale == []


# -- import ---------------------------------------------------------------------------------


def test_csv_rows_of_one_order_that_disagree_are_refused(site: Api) -> None:
    header = (
        "customer,order_no,courier,waybill_no,sort_code,recipient_name,recipient_phone,"
        "recipient_address,sender_name,sender_phone,sender_address,sku,quantity\n"
    )
    rows = (
        "C1,IMP-1,SF,SF900000001,342-081,李四,13900001111,某路1号,DC,075512345,仓库,S1,2\n"
        "C1,IMP-1,YTO,YT900000009,999-000,王五,13900002222,某路2号,DC,075512345,仓库,S3,1\n"
    )
    answer = site.post(
        "/api/v1/order-imports?format=csv", role="oms", content=(header + rows).encode()
    )
    assert answer.status_code == 400, answer.text
    assert site.db.read(lambda c: c.execute("SELECT COUNT(*) FROM orders").fetchone()[0]) == 0


# -- indexes for the hot queries --------------------------------------------------------------


def _plans_of(site: Api, run: Any) -> list[list[str]]:
    """EXPLAIN QUERY PLAN of every SELECT the shipped code runs inside `run(conn)`."""
    statements: list[str] = []

    def plans(conn: sqlite3.Connection) -> list[list[str]]:
        conn.set_trace_callback(statements.append)
        try:
            run(conn)
        finally:
            conn.set_trace_callback(None)
        return [
            [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]
            for sql in statements
            if sql.lstrip().upper().startswith("SELECT")
        ]

    result: list[list[str]] = site.db.read(plans)
    return result


def test_reserved_per_line_is_found_by_index(site: Api) -> None:
    plans = _plans_of(site, lambda c: allocate_order(c, 1, today=date(2026, 11, 23), at=""))
    assert plans, "allocate_order ran no SELECT"
    assert all("SCAN a" not in plan for plan in plans), plans


def test_candidate_stock_is_found_by_sku(site: Api) -> None:
    plans = _plans_of(
        site,
        lambda c: candidate_stock(
            c, customer_id=1, sku_id=1, lot="", fefo=False, today=date(2026, 11, 23)
        ),
    )
    stock = [step for plan in plans for step in plan if " b " in f" {step} "]
    assert stock and all("sku_id=?" in step for step in stock), plans
