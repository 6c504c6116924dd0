"""Allocation, waves, leased picking by scan, and packing with item verification."""

from __future__ import annotations

from typing import Any

import pytest

from server.ledger.service import balances_from_movements, stored_balances
from tests.conftest import Api, table_counts
from tests.outbound.helpers import (
    CREAM,
    GEL,
    SOAP,
    add_order,
    balance,
    customs,
    next_task,
    outbound_settings,
    pack,
    pick,
    pick_all,
    picked_order,
    put_stock,
    release,
    released_order,
    reserved,
    seed_outbound,
    wave,
)


def ledger_is_consistent(api: Api) -> bool:
    return api.db.read(lambda c: balances_from_movements(c) == stored_balances(c))


# -- allocation ---------------------------------------------------------------------------


def test_fefo_reserves_the_earliest_expiry_then_fifo(site: Api) -> None:
    put_stock(site, "A-1", "S3", 5, lot="L-LATE", expiry="2028-06-30")
    put_stock(site, "A-2", "S3", 5, lot="L-SOON", expiry="2027-03-31")
    put_stock(site, "A-3", "S3", 5, lot="L-SOON2", expiry="2027-03-31")
    order = released_order(site, [{"sku": "S3", "quantity": 7}])
    built = wave(site)
    tasks = site.get(f"/api/v1/waves/{built['id']}/tasks").json()
    assert [(t["lot"], t["quantity"]) for t in tasks] == [("L-SOON", 5), ("L-SOON2", 2)]
    assert site.get(f"/api/v1/orders/{order['id']}").json()["state"] == "waved"


def test_a_required_lot_is_honoured(site: Api) -> None:
    put_stock(site, "A-1", "S3", 5, lot="L-SOON", expiry="2027-03-31")
    put_stock(site, "A-2", "S3", 5, lot="L-ASKED", expiry="2028-06-30")
    released_order(site, [{"sku": "S3", "quantity": 2, "lot": "L-ASKED"}])
    tasks = site.get(f"/api/v1/waves/{wave(site)['id']}/tasks").json()
    assert [(t["lot"], t["location"]) for t in tasks] == [("L-ASKED", "A-2")]


def test_expired_and_other_customers_stock_is_never_reserved(site: Api) -> None:
    put_stock(site, "A-1", "S3", 5, lot="OLD", expiry="2020-01-31")
    put_stock(site, "A-2", "S2", 50, customer="C2")
    order = released_order(site, [{"sku": "S3", "quantity": 1}])
    answer = site.post("/api/v1/waves", json={})
    assert (answer.json()["id"], answer.json()["backordered"]) == (None, [order["order_no"]])
    assert site.get(f"/api/v1/orders/{order['id']}").json()["state"] == "backorder"
    assert reserved(site) == 0


def test_partial_allocation_is_a_back_order_until_stock_comes(site: Api) -> None:
    put_stock(site, "A-1", "S1", 3)
    order = released_order(site, [{"sku": "S1", "quantity": 5}])
    assert site.post("/api/v1/waves", json={}).json()["orders"] == 0
    view = site.get(f"/api/v1/orders/{order['id']}").json()
    assert (view["state"], view["lines"][0]["allocated"], reserved(site)) == ("backorder", 3, 3)
    put_stock(site, "A-2", "S1", 10)
    again = site.post(f"/api/v1/orders/{order['id']}/allocate")
    assert again.json()["state"] == "allocated"
    assert wave(site)["orders"] == 1
    assert reserved(site) == 5


def test_reserved_stock_cannot_be_moved_away(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    released_order(site, [{"sku": "S1", "quantity": 4}])
    wave(site)
    answer = site.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "move",
            "reason": "relocation",
            "customer": "C1",
            "sku": "S1",
            "quantity": 2,
            "from_location": "A-1",
            "to_location": "A-2",
        },
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "STOCK_RESERVED"
    assert balance(site, "A-1") == {("S1", ""): 5}


def test_cancel_releases_the_reservation(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = released_order(site, [{"sku": "S1", "quantity": 4}])
    wave(site)
    assert reserved(site) == 4
    site.post("/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]})
    assert reserved(site) == 0
    assert site.get(f"/api/v1/orders/{order['id']}").json()["tasks"] == []


# -- waves --------------------------------------------------------------------------------


def test_only_released_orders_are_waved(site: Api) -> None:
    put_stock(site, "A-1", "S1", 50)
    ready = released_order(site, [{"sku": "S1", "quantity": 1}])
    accepted = add_order(site, [{"sku": "S1", "quantity": 1}])
    customs(site, accepted["order_no"], 120)
    held = add_order(site, [{"sku": "S1", "quantity": 1}])
    customs(site, held["order_no"], 500)
    built = wave(site)
    assert built["orders"] == 1
    assert site.get(f"/api/v1/orders/{ready['id']}").json()["wave"] == built["wave_no"]
    named = site.post("/api/v1/waves", json={"order_nos": [accepted["order_no"], held["order_no"]]})
    assert named.status_code == 422
    skipped = {s["order_no"]: s["code"] for s in named.json()["error"]["details"]["skipped"]}
    assert skipped == {
        accepted["order_no"]: "ORDER_NOT_RELEASED",
        held["order_no"]: "ORDER_INSPECTION",
    }


def test_waves_split_by_courier_and_cutoff(site: Api) -> None:
    put_stock(site, "A-1", "S1", 50)
    sf_soon = released_order(site, [{"sku": "S1", "quantity": 1}], courier="SF", cutoff_hours=1)
    released_order(site, [{"sku": "S1", "quantity": 1}], courier="SF", cutoff_hours=9)
    released_order(site, [{"sku": "S1", "quantity": 1}], courier="YTO", cutoff_hours=1)
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    built = wave(site, courier="SF", cutoff_before=soon)
    assert (built["orders"], built["courier"]) == (1, "SF")
    assert site.get(f"/api/v1/orders/{sf_soon['id']}").json()["wave"] == built["wave_no"]


def test_automatic_waves_one_per_courier(site: Api) -> None:
    from server.outbound.waves import run_automatic_waves

    put_stock(site, "A-1", "S1", 50)
    for courier in ("SF", "YTO", "SF"):
        released_order(site, [{"sku": "S1", "quantity": 1}], courier=courier)
    built = run_automatic_waves(site.db, site.settings)
    assert len(built) == 2
    waves = site.get("/api/v1/waves").json()
    assert sorted((w["courier"], w["orders"], w["automatic"]) for w in waves) == [
        ("SF", 2, True),
        ("YTO", 1, True),
    ]


# -- picking ------------------------------------------------------------------------------


def test_tasks_follow_the_pick_sequence(site: Api) -> None:
    put_stock(site, "A-5", "S1", 1)
    put_stock(site, "A-2", "S1", 1)
    put_stock(site, "A-4", "S1", 1)
    released_order(site, [{"sku": "S1", "quantity": 3}])
    tasks = site.get(f"/api/v1/waves/{wave(site)['id']}/tasks").json()
    assert [t["location"] for t in tasks] == ["A-2", "A-4", "A-5"]


def test_a_task_is_leased_to_one_handheld(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    put_stock(site, "A-2", "S1", 5)
    released_order(site, [{"sku": "S1", "quantity": 5}])
    released_order(site, [{"sku": "S1", "quantity": 5}])
    built = wave(site)
    mine = next_task(site, built["id"], role="picker")
    assert (
        next_task(site, built["id"], role="picker")["id"] == mine["id"]
    )  # same handheld: same task
    theirs = next_task(site, built["id"], role="supervisor")
    assert theirs["id"] != mine["id"]
    taken = site.post(f"/api/v1/pick-tasks/{mine['id']}/lease", role="supervisor")
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "TASK_LEASED"
    stolen = pick(site, mine, "T-1", role="supervisor")
    assert stolen.json()["error"]["code"] == "TASK_LEASED"


def test_a_silent_handhelds_lease_expires(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    released_order(site, [{"sku": "S1", "quantity": 5}])
    built = wave(site)
    mine = next_task(site, built["id"], role="picker")
    assert next_task(site, built["id"], role="supervisor") is None
    # The handheld goes silent: move its lease end into the past instead of waiting.
    site.db._write(
        lambda c: c.execute(
            "UPDATE allocations SET lease_expires_at = '2000-01-01T00:00:00.000+00:00'"
        )
    )
    assert next_task(site, built["id"], role="supervisor")["id"] == mine["id"]
    late = pick(site, mine, "T-1", role="picker")
    assert late.json()["error"]["code"] == "TASK_LEASED"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"location": "A-2"}, "WRONG_LOCATION"),
        ({"item": GEL}, "WRONG_ITEM"),
        ({"item": "not-a-barcode"}, "WRONG_ITEM"),
        ({"item": "0106901234567893"}, "BARCODE_INVALID"),  # a wrong check digit
        ({"item": f"01{CREAM.zfill(14)}10OTHER"}, "WRONG_ITEM"),
        ({"quantity": 3}, "PICK_OVER"),
        ({"tote": "NO-TOTE"}, "TOTE_UNKNOWN"),
        ({"tote": "A-3"}, "NOT_A_TOTE"),
    ],
)
def test_a_wrong_pick_scan_is_refused_and_changes_nothing(
    site: Api, change: dict[str, Any], code: str
) -> None:
    put_stock(site, "A-1", "S1", 2)
    released_order(site, [{"sku": "S1", "quantity": 2}])
    task = next_task(site, wave(site)["id"])
    before = table_counts(site.db)
    body = {"location": "A-1", "item": SOAP, "quantity": 2, "tote": "T-1", **change}
    answer = site.post(f"/api/v1/pick-tasks/{task['id']}/confirm", role="picker", json=body)
    assert answer.json()["error"]["code"] == code, answer.text
    assert answer.status_code in (400, 404, 409, 422)
    after = table_counts(site.db)
    assert {k: after[k] for k in ("movements", "balances", "events")} == {
        k: before[k] for k in ("movements", "balances", "events")
    }


def test_the_gs1_lot_must_match_the_reserved_lot(site: Api) -> None:
    put_stock(site, "A-1", "S3", 2, lot="L1", expiry="2027-05-31")
    released_order(site, [{"sku": "S3", "quantity": 1}])
    task = next_task(site, wave(site)["id"])
    gs1 = f"01{CREAM.zfill(14)}17270531" + "10L2"
    wrong = pick(site, task, "T-1", item=gs1)
    assert wrong.json()["error"]["code"] == "LOT_MISMATCH"
    check = site.post(f"/api/v1/pick-tasks/{task['id']}/check", role="picker", json={"item": gs1})
    assert check.json()["error"]["code"] == "LOT_MISMATCH"
    right = pick(site, task, "T-1", item=f"01{CREAM.zfill(14)}17270531" + "10L1")
    assert right.status_code == 200, right.text


def test_picking_moves_stock_into_the_tote(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = released_order(site, [{"sku": "S1", "quantity": 3}])
    built = wave(site)
    task = next_task(site, built["id"])
    first = pick(site, task, "T-1", quantity=1)
    assert first.json()["order_state"] == "picking"
    second = pick(site, task, "T-1", quantity=2)
    assert second.json()["order_state"] == "picked"
    assert balance(site, "A-1") == {("S1", ""): 2}
    assert balance(site, "T-1") == {("S1", ""): 3}
    assert reserved(site) == 0
    assert site.get(f"/api/v1/waves/{built['id']}").json()["status"] == "done"
    assert site.get(f"/api/v1/orders/{order['id']}").json()["tote"] == "T-1"
    assert ledger_is_consistent(site)


def test_a_tote_holds_one_order(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    put_stock(site, "A-2", "S1", 5)
    released_order(site, [{"sku": "S1", "quantity": 5}])
    released_order(site, [{"sku": "S1", "quantity": 5}])
    built = wave(site)
    first = next_task(site, built["id"])
    assert pick(site, first, "T-1").status_code == 200
    second = next_task(site, built["id"])
    clash = pick(site, second, "T-1")
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "TOTE_IN_USE"


def test_short_pick_tries_another_location_then_marks_the_order_short(site: Api) -> None:
    put_stock(site, "A-1", "S1", 3)
    put_stock(site, "A-2", "S1", 1)
    order = released_order(site, [{"sku": "S1", "quantity": 3}])
    built = wave(site)
    task = next_task(site, built["id"])
    assert task["location"] == "A-1"
    pick(site, task, "T-1", quantity=1)
    short = site.post(
        f"/api/v1/pick-tasks/{task['id']}/short", role="picker", json={"reason": "empty"}
    )
    assert short.json()["missing"] == 2
    assert short.json()["reallocated"] == 1
    assert short.json()["order_state"] == "short"
    follow = next_task(site, built["id"])
    assert (follow["location"], follow["remaining"]) == ("A-2", 1)
    assert pick(site, follow, "T-1").json()["order_state"] == "short"
    listed = site.get("/api/v1/orders", params={"exceptions": "true"}).json()
    assert [o["order_no"] for o in listed] == [order["order_no"]]
    # Stock is found again elsewhere: the supervisor reserves it and picking goes on.
    put_stock(site, "A-3", "S1", 5)
    assert site.post(f"/api/v1/orders/{order['id']}/allocate").json()["state"] == "picking"
    last = next_task(site, built["id"])
    assert pick(site, last, "T-1").json()["order_state"] == "picked"


def test_a_hold_stops_picking_and_a_release_lets_it_go_on(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = released_order(site, [{"sku": "S1", "quantity": 2}])
    built = wave(site)
    task = next_task(site, built["id"])
    customs(site, order["order_no"], 502)
    held = pick(site, task, "T-1")
    assert (held.status_code, held.json()["error"]["code"]) == (409, "ORDER_ON_HOLD")
    release(site, order["order_no"])
    assert pick(site, task, "T-1").status_code == 200


def test_picking_at_120_only_when_the_site_allows(site: Api, tmp_path: Any) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = add_order(site, [{"sku": "S1", "quantity": 1}])
    customs(site, order["order_no"], 120)
    answer = site.post("/api/v1/waves", json={})
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "NOTHING_TO_WAVE")


# -- packing ------------------------------------------------------------------------------


def test_pack_verifies_every_item_and_queues_the_face_sheet(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    put_stock(site, "A-2", "S3", 5, lot="L1", expiry="2027-05-31")
    order = picked_order(site, [{"sku": "S1", "quantity": 2}, {"sku": "S3", "quantity": 1}])
    opened = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"})
    assert opened.json()["order_no"] == order["order_no"]
    scan = lambda code: site.post(  # noqa: E731
        f"/api/v1/orders/{order['id']}/pack-scans",
        role="packer",
        json={"scan": code, "station": "pack-01"},
    )
    assert scan(GEL).json()["error"]["code"] == "ITEM_NOT_ON_ORDER"
    assert scan(SOAP).json()["packed"] == 1
    early = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 500, "station": "pack-01"},
    )
    assert early.json()["error"]["code"] == "PACK_INCOMPLETE"
    assert scan(SOAP).json()["packed"] == 2
    assert scan(SOAP).json()["error"]["code"] == "ITEM_OVER_PACKED"
    wrong_lot = scan(f"01{CREAM.zfill(14)}10L9")
    assert wrong_lot.json()["error"]["code"] == "LOT_MISMATCH"
    last = scan(f"01{CREAM.zfill(14)}10L1")
    assert last.json()["complete"] is True
    done = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 640, "station": "pack-01"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["waybill_no"] == order["waybill_no"]
    assert body["print_job"]["printer"] == "label-1"
    label = body["label"]
    assert label["waybill_no"] == order["waybill_no"]
    assert (label["recipient"]["name"], label["recipient"]["phone"]) == ("张*丰", "138****5678")
    assert "十八号" not in label["recipient"]["address"]
    assert label["sort_code"] == "342-081-00 052"
    jobs = site.get("/api/v1/print-jobs", role="packer").json()
    assert [(j["kind"], j["waybill_no"]) for j in jobs] == [("face_sheet", order["waybill_no"])]
    assert jobs[0]["status"] in ("queued", "sending")  # this site's printer is never there
    assert balance(site, "T-1") == {}
    assert balance(site, f"PCL-{order['waybill_no']}") == {("S1", ""): 2, ("S3", "L1"): 1}
    view = site.get(f"/api/v1/orders/{order['id']}").json()
    assert (view["state"], view["parcel"]["lane"]) == ("packed", "OUT-01")
    assert ledger_is_consistent(site)
    again = site.get("/api/v1/packing/open", role="packer", params={"scan": order["waybill_no"]})
    assert again.json()["error"]["code"] == "ORDER_ALREADY_PACKED"


def test_pack_at_unknown_station_is_refused(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = picked_order(site, [{"sku": "S1", "quantity": 1}])
    answer = site.post(
        f"/api/v1/orders/{order['id']}/pack-scans",
        role="packer",
        json={"scan": SOAP, "station": "bench-9"},
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "STATION_UNKNOWN")


def test_an_unpicked_order_cannot_be_packed(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = released_order(site, [{"sku": "S1", "quantity": 1}])
    answer = site.get("/api/v1/packing/open", role="packer", params={"scan": order["order_no"]})
    assert answer.json()["error"]["code"] == "ORDER_NOT_PICKED"


def test_cancelled_after_picking_is_refused_at_pack_and_returned_to_stock(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = picked_order(site, [{"sku": "S1", "quantity": 2}])
    site.post("/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]})
    refused = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "ORDER_CANCELLED")
    scan = site.post(
        f"/api/v1/orders/{order['id']}/pack-scans",
        role="packer",
        json={"scan": SOAP, "station": "pack-01"},
    )
    assert scan.json()["error"]["code"] == "ORDER_CANCELLED"
    tasks = site.get("/api/v1/order-tasks", role="packer").json()
    assert [(t["kind"], t["source"], t["order_no"]) for t in tasks] == [
        ("return_to_stock", "T-1", order["order_no"])
    ]
    wrong = site.post(
        f"/api/v1/order-tasks/{tasks[0]['id']}/complete", role="packer", json={"location": "OUT-01"}
    )
    assert wrong.json()["error"]["code"] == "RETURN_LOCATION_INVALID"
    done = site.post(
        f"/api/v1/order-tasks/{tasks[0]['id']}/complete", role="packer", json={"location": "A-1"}
    )
    assert done.status_code == 200, done.text
    assert balance(site, "A-1") == {("S1", ""): 5}
    assert balance(site, "T-1") == {}
    assert ledger_is_consistent(site)


def test_cancel_after_packing_returns_the_parcel_and_drops_its_label(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = picked_order(site, [{"sku": "S1", "quantity": 1}])
    assert pack(site, order["id"], [SOAP]).status_code == 200
    site.post("/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]})
    jobs = site.get("/api/v1/print-jobs", role="packer").json()
    assert jobs[0]["status"] == "cancelled"
    tasks = site.get("/api/v1/order-tasks", role="packer").json()
    assert tasks[0]["source"] == f"PCL-{order['waybill_no']}"


def test_inspection_after_picking_stops_packing_and_sends_it_to_the_lane(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = picked_order(site, [{"sku": "S1", "quantity": 1}])
    customs(site, order["order_no"], 500)
    refused = site.get("/api/v1/packing/open", role="packer", params={"scan": "T-1"})
    assert refused.json()["error"]["code"] == "ORDER_INSPECTION"
    tasks = site.get("/api/v1/order-tasks", role="packer").json()
    assert [(t["kind"], t["source"], t["target"]) for t in tasks] == [
        ("to_inspection", "T-1", "INSP-01")
    ]


def test_inspection_of_a_packed_parcel_moves_it_to_the_inspection_lane(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = picked_order(site, [{"sku": "S1", "quantity": 1}])
    pack(site, order["id"], [SOAP])
    customs(site, order["order_no"], 500)
    task = site.get("/api/v1/order-tasks", role="packer").json()[0]
    site.post(
        f"/api/v1/order-tasks/{task['id']}/complete", role="packer", json={"location": "INSP-01"}
    )
    assert site.get(f"/api/v1/orders/{order['id']}").json()["parcel"]["lane"] == "INSP-01"


@pytest.fixture
def early_site(tmp_path: Any) -> Any:
    from litestar.testing import TestClient

    from server.app import create_app

    settings = outbound_settings(tmp_path / "early", pick_before_release=True)
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client, app.state.db, settings)
        seed_outbound(api)
        yield api


def test_pick_at_120_when_allowed_but_pack_waits_for_800(early_site: Api) -> None:
    site = early_site
    put_stock(site, "A-1", "S1", 5)
    order = add_order(site, [{"sku": "S1", "quantity": 1}])
    customs(site, order["order_no"], 120)
    built = wave(site)
    pick_all(site, built["id"], {order["order_no"]: "T-1"})
    blocked = pack(site, order["id"], [SOAP])
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (409, "PACK_NOT_RELEASED")
    release(site, order["order_no"])
    done = site.post(
        f"/api/v1/orders/{order['id']}/pack",
        role="packer",
        json={"weight_g": 300, "station": "pack-01"},
    )
    assert done.status_code == 200, done.text


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("picker", "post", "/api/v1/waves"),
        ("picker", "post", "/api/v1/orders/1/pack"),
        ("packer", "post", "/api/v1/pick-tasks/1/confirm"),
        ("oms", "post", "/api/v1/pick-tasks/1/confirm"),
        ("oms", "post", "/api/v1/orders/1/pack-scans"),
        ("receiver", "get", "/api/v1/orders"),
        ("picker", "post", "/api/v1/orders/1/allocate"),
        ("packer", "post", "/api/v1/customs-statuses"),
    ],
)
def test_each_floor_role_does_only_its_own_step(
    site: Api, role: str, method: str, path: str
) -> None:
    answer = getattr(site, method)(path, role=role, **({"json": {}} if method == "post" else {}))
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "ROLE_NOT_ALLOWED")


def test_a_pick_check_on_a_held_order_says_so_before_the_walk(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    order = released_order(site, [{"sku": "S1", "quantity": 1}])
    built = wave(site)
    task = next_task(site, built["id"])
    customs(site, order["order_no"], 500)
    check = site.post(
        f"/api/v1/pick-tasks/{task['id']}/check", role="picker", json={"location": "A-1"}
    )
    assert (check.status_code, check.json()["error"]["code"]) == (409, "ORDER_INSPECTION")
    listed = site.get("/api/v1/orders", params={"wave": built["wave_no"]}).json()
    assert [(o["order_no"], o["customs_gate"], o["blocked"]) for o in listed] == [
        (order["order_no"], "hold", "ORDER_INSPECTION")
    ]


def test_named_orders_left_out_of_a_full_wave_say_so(site: Api) -> None:
    put_stock(site, "A-1", "S1", 10)
    first = released_order(site, [{"sku": "S1", "quantity": 1}])
    second = released_order(site, [{"sku": "S1", "quantity": 1}])
    built = wave(site, order_nos=[first["order_no"], second["order_no"]], max_orders=1)
    assert built["orders"] == 1
    assert built["skipped"] == [{"order_no": second["order_no"], "code": "WAVE_FULL"}]
