"""Moves by scan through the API on a real SQLite file: an item, a lot, an SSCC carton, a
whole location; every refusal with its code and nothing changed; roles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from server.config import Settings
from server.ledger.service import balances_from_movements, stored_balances
from tests.conftest import Api, receive_by_flow, table_counts
from tests.outbound.helpers import (
    CREAM,
    GEL,
    SOAP,
    balance,
    outbound_settings,
    put_stock,
    released_order,
    seed_outbound,
    wave,
)

SSCC = "006901234567890008"
FAR = (date.today() + timedelta(days=400)).isoformat()
NEAR = (date.today() + timedelta(days=200)).isoformat()


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(tmp_path)


@pytest.fixture
def site(api: Api) -> Api:
    """C1's soap and cream (two lots) on A-1, C2's gel on A-5; a quarantine and an
    inspection location, a location assigned to C2."""
    seed_outbound(api)
    for code, type_, customer in (
        ("QUAR-1", "quarantine", None),
        ("B-1", "storage", "C2"),
        ("PF-1", "pick_face", None),
    ):
        body = {"code": code, "zone": code.split("-")[0], "type": type_, "customer": customer}
        assert api.post("/api/v1/locations", json=body).status_code == 200
    put_stock(api, "A-1", "S1", 20)
    put_stock(api, "A-1", "S3", 10, lot="L1", expiry=FAR)
    put_stock(api, "A-1", "S3", 6, lot="L2", expiry=NEAR)
    put_stock(api, "A-5", "S2", 3, customer="C2")
    api.token("putaway")  # logged in before a test counts rows: a login is a command too
    return api


def gs1(gtin13: str, lot: str, expiry: str) -> str:
    yymmdd = expiry[2:].replace("-", "")
    return f"]C101{gtin13.zfill(14)}17{yymmdd}10{lot}"


def move(api: Api, role: str = "putaway", key: str | None = "auto", **body: Any) -> Any:
    return api.post("/api/v1/moves", role=role, key=key, json=body)


def code_of(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


def ledger_is_true(api: Api) -> None:
    assert api.db.read(balances_from_movements) == api.db.read(stored_balances)


def move_movements(api: Api) -> list[dict[str, Any]]:
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT m.quantity, m.lot, m.document, m.user_code, m.device, lf.code AS src, "
            "lt.code AS dst FROM movements m JOIN locations lf ON lf.id = m.from_location_id "
            "JOIN locations lt ON lt.id = m.to_location_id WHERE m.kind = 'move' ORDER BY m.id"
        ).fetchall()
    )
    return [dict(r) for r in rows]


def test_move_part_of_a_lot_by_its_gs1_label(site: Api) -> None:
    answer = move(
        site,
        from_location="A-1",
        to_location="]C0A-2",  # a location label read with its AIM prefix
        item=gs1(CREAM, "L1", FAR),
        quantity=4,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["from_location"], result["to_location"]) == ("A-1", "A-2")
    assert result["move_no"].startswith("MV")
    assert [(m["sku"], m["lot"], m["quantity"]) for m in result["moved"]] == [("S3", "L1", 4)]
    assert balance(site, "A-1") == {("S1", ""): 20, ("S3", "L1"): 6, ("S3", "L2"): 6}
    assert balance(site, "A-2") == {("S3", "L1"): 4}
    [row] = move_movements(site)
    assert row == {
        "quantity": 4,
        "lot": "L1",
        "document": result["move_no"],
        "user_code": "putaway01",
        "device": "test-putaway",
        "src": "A-1",
        "dst": "A-2",
    }
    events = site.db.read(
        lambda conn: conn.execute("SELECT payload FROM events WHERE type = 'stock.move'").fetchall()
    )
    moved = [msgspec.json.decode(e["payload"]) for e in events]
    assert [(e["from_location"], e["to_location"], e["quantity"]) for e in moved] == [
        ("A-1", "A-2", 4)
    ]
    ledger_is_true(site)


def test_a_plain_barcode_with_two_lots_needs_the_lot(site: Api) -> None:
    before = table_counts(site.db)
    unclear = move(site, from_location="A-1", to_location="A-2", item=CREAM, quantity=1)
    assert code_of(unclear) == "LOT_AMBIGUOUS"
    assert {lot["lot"] for lot in unclear.json()["error"]["details"]["lots"]} == {"L1", "L2"}
    assert table_counts(site.db) == before
    by_lot = move(site, from_location="A-1", to_location="A-2", item=CREAM, lot="L2", quantity=6)
    assert by_lot.status_code == 200, by_lot.text
    assert balance(site, "A-1") == {("S1", ""): 20, ("S3", "L1"): 10}
    assert balance(site, "A-2") == {("S3", "L2"): 6}
    ledger_is_true(site)


def test_move_a_whole_location(site: Api) -> None:
    answer = move(site, from_location="A-1", to_location="PF-1", whole_location=True)
    assert answer.status_code == 200, answer.text
    moved = {(m["sku"], m["lot"]): m["quantity"] for m in answer.json()["moved"]}
    assert moved == {("S1", ""): 20, ("S3", "L1"): 10, ("S3", "L2"): 6}
    assert balance(site, "A-1") == {}
    assert balance(site, "PF-1") == moved
    documents = {m["document"] for m in move_movements(site)}
    assert documents == {answer.json()["move_no"]}  # one move, one number
    ledger_is_true(site)


def test_move_an_sscc_carton_and_only_the_carton(site: Api) -> None:
    plan = site.post(
        "/api/v1/plans",
        json={
            "customer": "C1",
            "plan_no": "ASN-M1",
            "transport": {"type": "sea", "container_no": "MSKU1234565"},
            "expected_arrival": date.today().isoformat(),
            "customs_released": True,
            "lines": [{"sku": "S1", "expected_qty": 6, "sscc": SSCC}],
        },
    )
    assert plan.status_code == 200, plan.text
    plan_id = plan.json()["id"]
    check_in = site.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="receiver",
        json={"reference": "MSKU1234565", "dock": "DOCK-1"},
    )
    assert check_in.status_code == 200, check_in.text
    got = site.post(
        f"/api/v1/plans/{plan_id}/receive", role="receiver", json={"scan": f"]C100{SSCC}"}
    )
    assert got.status_code == 200, got.text
    receive_by_flow(site, customer="C1", sku="S1", quantity=4, to_location="DOCK-1")  # loose units
    source = site.get(
        "/api/v1/moves/source",
        role="putaway",
        params={"location": "DOCK-1", "item": f"]C100{SSCC}"},
    ).json()
    assert (source["sscc"], [(s["sku"], s["quantity"]) for s in source["stock"]]) == (
        SSCC,
        [("S1", 6)],
    )
    answer = move(site, from_location="DOCK-1", to_location="STG-1", item=f"]C100{SSCC}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["sscc"] == SSCC
    assert balance(site, "DOCK-1") == {("S1", ""): 4}
    assert balance(site, "STG-1") == {("S1", ""): 6}
    # The carton is no longer on the dock; from staging it moves on by its SSCC field.
    again = move(site, from_location="DOCK-1", to_location="A-2", sscc=SSCC)
    assert code_of(again) == "ITEM_NOT_ON_LOCATION"
    onward = move(site, from_location="STG-1", to_location="A-2", sscc=SSCC)
    assert onward.status_code == 200, onward.text
    assert balance(site, "A-2") == {("S1", ""): 6}
    ledger_is_true(site)


def test_a_bare_sscc_moves_the_carton_when_the_site_allows_it(site: Api) -> None:
    plan = site.post(
        "/api/v1/plans",
        json={
            "customer": "C1",
            "plan_no": "ASN-M2",
            "transport": {"type": "sea", "container_no": "MSKU1234565"},
            "expected_arrival": date.today().isoformat(),
            "customs_released": True,
            "lines": [{"sku": "S1", "expected_qty": 6, "sscc": SSCC}],
        },
    )
    plan_id = plan.json()["id"]
    site.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="receiver",
        json={"reference": "MSKU1234565", "dock": "DOCK-1"},
    )
    site.post(f"/api/v1/plans/{plan_id}/receive", role="receiver", json={"scan": f"]C100{SSCC}"})
    site.settings.scan.bare_sscc = True
    source = site.get(
        "/api/v1/moves/source", role="putaway", params={"location": "DOCK-1", "item": SSCC}
    ).json()
    assert (source["sscc"], [(s["sku"], s["quantity"]) for s in source["stock"]]) == (
        SSCC,
        [("S1", 6)],
    )
    answer = move(site, from_location="DOCK-1", to_location="STG-1", item=SSCC)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sscc"] == SSCC
    assert balance(site, "STG-1") == {("S1", ""): 6}
    ledger_is_true(site)


def test_the_source_lists_what_a_location_holds_with_reserved_units(site: Api) -> None:
    released_order(site, [{"sku": "S1", "quantity": 5}])
    wave(site)
    source = site.get("/api/v1/moves/source", role="putaway", params={"location": "a-1"}).json()
    assert (source["location"], source["type"], source["restricted"]) == ("A-1", "storage", False)
    rows = {
        (s["sku"], s["lot"]): (s["quantity"], s["reserved"], s["available"])
        for s in source["stock"]
    }
    assert rows == {("S1", ""): (20, 5, 15), ("S3", "L1"): (10, 0, 10), ("S3", "L2"): (6, 0, 6)}
    one = site.get(
        "/api/v1/moves/source", role="putaway", params={"location": "A-1", "item": SOAP}
    ).json()
    assert [(s["sku"], s["available"]) for s in one["stock"]] == [("S1", 15)]
    missing = site.get(
        "/api/v1/moves/source", role="putaway", params={"location": "A-1", "item": GEL}
    )
    assert (missing.status_code, code_of(missing)) == (404, "ITEM_NOT_ON_LOCATION")


def test_reserved_stock_cannot_be_moved(site: Api) -> None:
    released_order(site, [{"sku": "S1", "quantity": 5}])
    wave(site)
    before = table_counts(site.db)
    too_many = move(site, from_location="A-1", to_location="A-2", item=SOAP, quantity=16)
    assert code_of(too_many) == "STOCK_RESERVED"
    whole = move(site, from_location="A-1", to_location="A-2", whole_location=True)
    assert code_of(whole) == "STOCK_RESERVED"
    assert table_counts(site.db) == before
    assert balance(site, "A-2") == {}
    free = move(site, from_location="A-1", to_location="A-2", item=SOAP, quantity=15)
    assert free.status_code == 200, free.text


BAD_MOVES = [
    ({"to_location": "B-1", "item": SOAP, "quantity": 1}, "LOCATION_OTHER_CUSTOMER"),
    ({"to_location": "A-5", "item": SOAP, "quantity": 1}, "LOCATION_OTHER_CUSTOMER"),
    ({"to_location": "A-5", "whole_location": True}, "LOCATION_OTHER_CUSTOMER"),
    ({"to_location": "A-1", "item": SOAP, "quantity": 1}, "MOVE_SAME_LOCATION"),
    ({"to_location": "]C0a-1", "item": SOAP, "quantity": 1}, "MOVE_SAME_LOCATION"),
    ({"to_location": "NOPE-9", "item": SOAP, "quantity": 1}, "LOCATION_NOT_FOUND"),
    ({"from_location": "NOPE-9", "item": SOAP, "quantity": 1}, "LOCATION_NOT_FOUND"),
    ({"item": GEL, "quantity": 1}, "ITEM_NOT_ON_LOCATION"),
    ({"item": SOAP, "quantity": 21}, "INSUFFICIENT_STOCK"),
    ({"item": "6901234567890", "quantity": 1}, "BARCODE_INVALID"),
    ({"to_location": "T-1", "item": SOAP, "quantity": 1}, "MOVE_LOCATION_TYPE"),
    ({"to_location": "OUT-01", "whole_location": True}, "MOVE_LOCATION_TYPE"),
    ({"to_location": "QUAR-1", "item": SOAP, "quantity": 1}, "LOCATION_RESTRICTED"),
    ({"to_location": "INSP-01", "whole_location": True}, "LOCATION_RESTRICTED"),
    ({"item": SOAP}, "MOVE_INCOMPLETE"),
    ({}, "MOVE_INCOMPLETE"),
    ({"item": SOAP, "quantity": 1, "whole_location": True}, "MOVE_INCOMPLETE"),
    ({"from_location": "A-2", "to_location": "A-3", "whole_location": True}, "LOCATION_EMPTY"),
    ({"sscc": SSCC}, "SSCC_NOT_FOUND"),
    ({"item": SOAP, "quantity": 0}, "VALIDATION_FAILED"),
    ({"item": SOAP, "quantity": 1, "colour": "red"}, "UNKNOWN_FIELD"),
]


@pytest.mark.parametrize(("body", "code"), BAD_MOVES)
def test_bad_moves_are_refused_and_change_nothing(
    site: Api, body: dict[str, Any], code: str
) -> None:
    before = table_counts(site.db)
    stock = site.db.read(stored_balances)
    answer = move(site, **{"from_location": "A-1", "to_location": "A-2", **body})
    assert answer.status_code in (400, 403, 404, 409, 422), answer.text
    assert code_of(answer) == code
    assert table_counts(site.db) == before
    assert site.db.read(stored_balances) == stock


def test_a_replayed_move_moves_once(site: Api) -> None:
    body = {"from_location": "A-1", "to_location": "A-2", "item": SOAP, "quantity": 7}
    first = move(site, key="mv-1", **body)
    assert first.status_code == 200, first.text
    counts = table_counts(site.db)
    replay = move(site, key="mv-1", **body)
    assert replay.json() == first.json()
    assert table_counts(site.db) == counts
    assert balance(site, "A-2") == {("S1", ""): 7}
    other = move(site, key="mv-1", **{**body, "quantity": 8})
    assert code_of(other) == "IDEMPOTENCY_KEY_REUSED"
    assert balance(site, "A-2") == {("S1", ""): 7}


def test_roles_who_may_move(site: Api) -> None:
    body = {"from_location": "A-1", "to_location": "A-2", "item": SOAP, "quantity": 1}
    for role in ("picker", "packer", "receiver", "dock", "station", "oms"):
        denied = move(site, role=role, **body)
        assert (denied.status_code, code_of(denied)) == (403, "ROLE_NOT_ALLOWED"), role
        listing = site.get("/api/v1/moves/source", role=role, params={"location": "A-1"})
        assert listing.status_code == 403, role
    assert balance(site, "A-2") == {}
    assert move(site, role="putaway", **body).status_code == 200


def test_quarantine_and_inspection_are_a_supervisors_business(site: Api) -> None:
    into = {"from_location": "A-1", "to_location": "QUAR-1", "item": SOAP, "quantity": 2}
    refused = move(site, role="putaway", **into)
    assert (refused.status_code, code_of(refused)) == (403, "LOCATION_RESTRICTED")
    assert balance(site, "QUAR-1") == {}
    assert move(site, role="supervisor", **into).status_code == 200
    assert balance(site, "QUAR-1") == {("S1", ""): 2}
    out = {"from_location": "QUAR-1", "to_location": "A-2", "whole_location": True}
    assert code_of(move(site, role="putaway", **out)) == "LOCATION_RESTRICTED"
    assert balance(site, "QUAR-1") == {("S1", ""): 2}
    to_inspection = {"from_location": "QUAR-1", "to_location": "INSP-01", "whole_location": True}
    assert move(site, role="admin", **to_inspection).status_code == 200
    assert balance(site, "INSP-01") == {("S1", ""): 2}
    source = site.get("/api/v1/moves/source", role="putaway", params={"location": "INSP-01"})
    assert source.json()["restricted"] is True
    ledger_is_true(site)


def test_a_location_frozen_for_a_count_takes_no_move_in_or_out(site: Api) -> None:
    assert site.post("/api/v1/counts", json={"locations": ["A-1"]}).status_code == 200
    started = site.post("/api/v1/counts/start", json={"location": "A-1"})
    assert started.status_code == 200, started.text
    before = table_counts(site.db)
    out = move(site, from_location="A-1", to_location="A-2", item=SOAP, quantity=1)
    assert (out.status_code, code_of(out)) == (409, "LOCATION_FROZEN")
    assert out.json()["error"]["details"]["location"] == "A-1"  # the page's text names it
    whole = move(site, from_location="A-1", to_location="A-2", whole_location=True)
    assert code_of(whole) == "LOCATION_FROZEN"
    put_stock(site, "A-3", "S1", 2)
    into = move(site, from_location="A-3", to_location="A-1", whole_location=True)
    assert code_of(into) == "LOCATION_FROZEN"
    assert balance(site, "A-1")[("S1", "")] == 20 and balance(site, "A-3") == {("S1", ""): 2}
    assert table_counts(site.db)["movements"] == before["movements"] + 1  # the receipt only
