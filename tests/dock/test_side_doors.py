"""Goods move only through the flows: the side doors found beside them stay shut.

A parcel, a tote or a lane takes and gives goods only by picking, packing, returning to
stock and departing; `ship` happens only at a departure; a supervisor's manual movement is
a correction between ordinary locations, with a reason; master data cannot retype a
parcel or anything holding stock.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from server.commands import Actor, run_command
from server.errors import Conflict
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from tests.conftest import PIN, Api, add_user, new_key, receive_by_flow
from tests.dock.test_checkout import packed_parcel, ready, scan, truck
from tests.outbound.helpers import SOAP, customs, put_stock, seed_outbound

MOVEMENTS = "/api/v1/ledger/movements"


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 50)
    return api


def held_parcel(api: Api) -> tuple[dict[str, Any], str]:
    """A packed parcel whose order customs then selected for inspection (500)."""
    order = packed_parcel(api, "T-1")
    assert customs(api, order["order_no"], 500).status_code == 200
    return order, f"PCL-{order['waybill_no']}"


def contents(api: Api, location: str) -> list[tuple[Any, ...]]:
    return api.db.read(
        lambda conn: [
            tuple(r)
            for r in conn.execute(
                "SELECT b.customer_id, b.sku_id, b.lot, b.quantity FROM balances b "
                "JOIN locations l ON l.id = b.location_id WHERE l.code = ? ORDER BY 1, 2, 3",
                (location,),
            )
        ]
    )


def ship_count(api: Api) -> int:
    return int(
        api.db.read(
            lambda conn: conn.execute(
                "SELECT COUNT(*) FROM movements WHERE kind = 'ship'"
            ).fetchone()[0]
        )
    )


def refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text


def correction(**body: Any) -> dict[str, Any]:
    return {"customer": "C1", "sku": "S1", "quantity": 1, **body}


# -- shipping without a truck --------------------------------------------------------------


def test_a_supervisor_cannot_ship_a_held_parcel_or_storage_by_hand(site: Api) -> None:
    _, parcel = held_parcel(site)
    before = contents(site, parcel), contents(site, "A-1")
    for source in (parcel, "A-1"):
        answer = site.post(
            MOVEMENTS, json=correction(kind="ship", from_location=source, reason="lost")
        )
        refused(answer, 409, "SHIP_ONLY_AT_DEPARTURE")
    assert (contents(site, parcel), contents(site, "A-1")) == before
    assert ship_count(site) == 0


def test_the_database_refuses_a_ship_movement_without_its_departed_list(site: Api) -> None:
    _, parcel = held_parcel(site)

    def insert_ship(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO movements (at, kind, customer_id, sku_id, quantity, from_location_id, "
            "document, user_code, command_key) SELECT '2026-01-01', 'ship', 1, 1, 1, id, "
            "'LL-NONE', 'x', 'k' FROM locations WHERE code = ?",
            (parcel,),
        )

    with pytest.raises(sqlite3.IntegrityError, match="SHIP_WITHOUT_DEPARTURE"):
        site.db._write(insert_ship)


def test_a_flow_that_ships_without_a_departed_list_gets_a_stable_code(site: Api) -> None:
    """Even code that claims the departure's permission meets the trigger: a 409, not a 500."""
    _, parcel = held_parcel(site)
    ids = site.db.read(
        lambda conn: conn.execute("SELECT id FROM locations WHERE code = ?", (parcel,)).fetchone()
    )
    m = MovementIn(
        kind="ship", customer_id=1, sku_id=1, quantity=1, from_location_id=ids[0], document="LL-1"
    )
    actor = Actor(kind="user", code="dock01", roles=frozenset({"dock"}))
    with pytest.raises(Conflict) as err:
        run_command(
            site.db,
            actor,
            "ship",
            new_key(),
            {},
            lambda conn, ctx: post_movement(conn, ctx, m, flow="departure"),
        )
    assert err.value.code == "SHIP_ONLY_AT_DEPARTURE"
    assert contents(site, parcel) != [] and ship_count(site) == 0


def test_a_departure_still_ships_its_parcels(site: Api) -> None:
    order = packed_parcel(site, "T-2")
    listed = site.post("/api/v1/loading-lists", role="dock", json=truck([order["waybill_no"]]))
    assert listed.status_code == 200, listed.text
    list_id = listed.json()["id"]
    ready(site, list_id)
    assert scan(site, list_id, order["waybill_no"]).status_code == 200
    departed = site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={})
    assert departed.status_code == 200, departed.text
    assert contents(site, f"PCL-{order['waybill_no']}") == []
    assert ship_count(site) == 1


# -- editing parcels by hand ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"kind": "move", "from_location": "PARCEL", "to_location": "A-2"},
            "LOCATION_SYSTEM_MANAGED",
        ),
        (
            {"kind": "move", "from_location": "A-1", "to_location": "PARCEL"},
            "LOCATION_SYSTEM_MANAGED",
        ),
        ({"kind": "adjust", "from_location": "PARCEL"}, "LOCATION_SYSTEM_MANAGED"),
        ({"kind": "adjust", "to_location": "PARCEL"}, "LOCATION_SYSTEM_MANAGED"),
        ({"kind": "receive", "to_location": "PARCEL"}, "LOCATION_SYSTEM_MANAGED"),
        ({"kind": "move", "from_location": "T-3", "to_location": "A-2"}, "LOCATION_SYSTEM_MANAGED"),
        (
            {"kind": "load", "from_location": "PARCEL", "to_location": "OUT-01"},
            "MANUAL_KIND_REFUSED",
        ),
        ({"kind": "pack", "from_location": "A-1", "to_location": "PARCEL"}, "MANUAL_KIND_REFUSED"),
    ],
)
def test_the_manual_route_cannot_change_what_a_parcel_or_tote_holds(
    site: Api, body: dict[str, Any], code: str
) -> None:
    _, parcel = held_parcel(site)
    body = {k: parcel if v == "PARCEL" else v for k, v in body.items()}
    before = contents(site, parcel)
    refused(site.post(MOVEMENTS, json=correction(reason="found", **body)), 422, code)
    assert contents(site, parcel) == before


def test_manual_corrections_stay_off_the_dock_and_need_a_registered_reason(site: Api) -> None:
    refused(
        site.post(MOVEMENTS, json=correction(kind="receive", to_location="DOCK-1", reason="found")),
        422,
        "CORRECTION_LOCATION_TYPE",
    )
    for reason in (None, "because", ""):
        body = correction(kind="adjust", to_location="A-2")
        if reason is not None:
            body["reason"] = reason
        assert site.post(MOVEMENTS, json=body).status_code == 400
    moved = site.post(
        MOVEMENTS,
        json=correction(kind="move", from_location="A-1", to_location="A-2", reason="relocation"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["reason"] == "relocation"


def test_a_manual_movement_cannot_borrow_a_count_s_document(site: Api) -> None:
    answer = site.post(
        MOVEMENTS,
        json=correction(kind="adjust", from_location="A-1", reason="lost", document="COUNT-1"),
    )
    refused(answer, 400, "DOCUMENT_RESERVED")


def test_a_big_adjustment_waits_for_a_second_supervisor(site: Api) -> None:
    limit = site.settings.ledger.approval_over_units
    before = contents(site, "A-2")
    proposed = site.post(
        MOVEMENTS,
        json=correction(kind="adjust", to_location="A-2", reason="found", quantity=limit + 1),
    )
    assert proposed.status_code == 200, proposed.text
    proposal = proposed.json()
    assert proposal["status"] == "pending" and proposal["proposed_by"] == "supervisor01"
    assert contents(site, "A-2") == before
    approve = f"/api/v1/ledger/adjustments/{proposal['id']}/approve"
    refused(site.post(approve, json={}), 403, "APPROVER_IS_PROPOSER")
    assert contents(site, "A-2") == before
    add_user(site.db, site.settings, "sup02", ["supervisor"])
    login = site.client.post("/api/v1/auth/login", json={"user_code": "sup02", "pin": PIN})
    second = {"Authorization": f"Bearer {login.json()['token']}", "Idempotency-Key": new_key()}
    approved = site.client.post(approve, headers=second, json={})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "sup02"
    assert sum(r[3] for r in contents(site, "A-2")) == limit + 1
    again = site.client.post(approve, headers={**second, "Idempotency-Key": new_key()}, json={})
    refused(again, 409, "PROPOSAL_DECIDED")
    small = site.post(
        MOVEMENTS,
        json=correction(kind="adjust", from_location="A-2", reason="lost", quantity=limit),
    )
    assert small.status_code == 200 and "status" not in small.json(), small.text


# -- retyping a parcel, and what holds stock -----------------------------------------------


def test_the_oms_cannot_retype_a_parcel_so_moves_cannot_enter_or_empty_it(site: Api) -> None:
    _, parcel = held_parcel(site)
    before = contents(site, parcel)
    for code in (parcel, parcel.lower(), "PCL-NEW"):
        answer = site.post(
            "/api/v1/locations", role="oms", json={"code": code, "zone": "A", "type": "storage"}
        )
        refused(answer, 422, "LOCATION_CODE_RESERVED")
    imported = site.post(
        "/api/v1/import/locations",
        role="oms",
        content=f"code,zone,type\n{parcel},A,storage\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code in (400, 422), imported.text
    assert site.get(f"/api/v1/locations/{parcel}").json()["type"] == "parcel"
    into = {"from_location": "A-1", "to_location": parcel, "item": SOAP, "quantity": 1}
    refused(site.post("/api/v1/moves", role="putaway", json=into), 422, "MOVE_LOCATION_TYPE")
    out = {"from_location": parcel, "to_location": "A-3", "whole_location": True}
    refused(site.post("/api/v1/moves", role="supervisor", json=out), 422, "MOVE_LOCATION_TYPE")
    assert contents(site, parcel) == before


def test_locations_are_listed_and_read_once_a_parcel_exists(site: Api) -> None:
    _, parcel = held_parcel(site)
    listed = site.get("/api/v1/locations", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    assert {loc["type"] for loc in listed.json() if loc["code"] == parcel} == {"parcel"}
    one = site.get(f"/api/v1/locations/{parcel}")
    assert one.status_code == 200, one.text
    assert one.json()["type"] == "parcel"


def test_a_location_holding_stock_keeps_its_type_customer_zone_and_stays_active(
    site: Api,
) -> None:
    same = {"code": "A-1", "zone": "A", "type": "storage", "pick_sequence": 1}
    assert site.post("/api/v1/locations", json=same).status_code == 200  # an unchanged upsert
    for change in ({"zone": "B"}, {"type": "staging"}, {"customer": "C1"}, {"active": False}):
        answer = site.post("/api/v1/locations", role="admin", json={**same, **change})
        refused(answer, 409, "LOCATION_NOT_EMPTY")
    refused(
        site.post("/api/v1/locations", json={**same, "type": "tote"}),
        422,
        "LOCATION_SYSTEM_MANAGED",
    )
    empty = {"code": "A-5", "zone": "A", "type": "storage", "pick_sequence": 5}
    assert site.post("/api/v1/locations", json={**empty, "zone": "Z"}).status_code == 200
    for code, type_ in (("T-4", "storage"), ("A-6", "outbound_lane")):
        answer = site.post("/api/v1/locations", json={"code": code, "zone": "Z", "type": type_})
        refused(answer, 422, "LOCATION_SYSTEM_MANAGED")
    receive_by_flow(site, customer="C1", sku="S1", quantity=1, to_location="DOCK-1")
    refused(
        site.post("/api/v1/locations", json={"code": "DOCK-1", "zone": "D", "type": "staging"}),
        409,
        "LOCATION_NOT_EMPTY",
    )


def test_a_count_cannot_freeze_a_parcel(site: Api) -> None:
    _, parcel = held_parcel(site)
    answer = site.post("/api/v1/counts", json={"locations": [parcel]})
    refused(answer, 422, "LOCATION_SYSTEM_MANAGED")
    started = site.post("/api/v1/counts/start", role="counter", json={"location": parcel})
    refused(started, 422, "LOCATION_SYSTEM_MANAGED")


# -- found by the route sweep ----------------------------------------------------------------


def test_a_cancelled_order_under_inspection_keeps_its_goods_until_customs_is_done(
    site: Api,
) -> None:
    order, parcel = held_parcel(site)
    cancelled = site.post(
        "/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]}
    )
    assert cancelled.status_code == 200, cancelled.text
    task = next(
        t
        for t in site.get("/api/v1/order-tasks", role="packer").json()
        if t["kind"] == "return_to_stock"
    )
    before = contents(site, parcel)
    done = f"/api/v1/order-tasks/{task['id']}/complete"
    refused(site.post(done, role="packer", json={"location": "A-1"}), 409, "ORDER_HELD_BY_CUSTOMS")
    assert contents(site, parcel) == before
    assert customs(site, order["order_no"], 399).status_code == 200  # examination concluded
    returned = site.post(done, role="packer", json={"location": "A-1"})
    assert returned.status_code == 200, returned.text
    assert contents(site, parcel) == []


def test_a_big_adjustment_of_the_wrong_shape_is_refused_not_proposed(site: Api) -> None:
    quantity = site.settings.ledger.approval_over_units + 1
    for where in ({}, {"from_location": "A-1", "to_location": "A-2"}):
        answer = site.post(
            MOVEMENTS, json=correction(kind="adjust", reason="found", quantity=quantity, **where)
        )
        refused(answer, 400, "MOVEMENT_SHAPE")
    assert site.get("/api/v1/ledger/adjustments").json() == []
