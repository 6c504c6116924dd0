"""Inbound through the API: plans, check-in, receiving scans, tally, close, put-away."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from server.commands import SYSTEM, run_command
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from tests.conftest import Api, new_key, receive_by_flow, table_counts

TRACKED = "6901234567892"  # C1/T1, lot and expiry tracked
PLAIN = "4710000000103"  # C1/U1
OTHER = "4710000000202"  # C2/V1
SSCC = "006901234567890008"  # a carton on the plan
FAR = (date.today() + timedelta(days=400)).isoformat()


def gs1(gtin13: str, *, lot: str = "", expiry: str = "", count: int | None = None) -> str:
    text = "]C101" + "0" + gtin13
    if expiry:
        text += "17" + expiry[2:4] + expiry[5:7] + expiry[8:10]
    if lot:
        text += "10" + lot + ("~" if count else "")
    if count:
        text += "30" + str(count)
    return text


@pytest.fixture
def site(api: Api) -> Api:
    def seed(conn: Any, ctx: Any) -> None:
        masterdata.upsert_customer(
            conn, ctx, CustomerIn(code="C1", name="One", min_shelf_life_days=30)
        )
        masterdata.upsert_customer(conn, ctx, CustomerIn(code="C2", name="Two"))
        for sku in (
            SkuIn(
                customer="C1",
                code="T1",
                name="Cream",
                barcodes=[TRACKED],
                expiry_tracked=True,
                shelf_life_days=720,
            ),
            SkuIn(customer="C1", code="U1", name="Cup", barcodes=[PLAIN]),
            SkuIn(customer="C2", code="V1", name="Vase", barcodes=[OTHER]),
        ):
            masterdata.upsert_sku(conn, ctx, sku)
        for loc in (
            LocationIn(code="DOCK-01", zone="D", type="dock"),
            LocationIn(code="QUAR-01", zone="Q", type="quarantine"),
            LocationIn(code="A-01", zone="A", type="storage", pick_sequence=1, customer="C1"),
            LocationIn(
                code="A-02", zone="A", type="storage", pick_sequence=2, capacity=10, customer="C1"
            ),
            LocationIn(code="A-03", zone="A", type="storage", pick_sequence=3),
            LocationIn(code="B-01", zone="B", type="storage", pick_sequence=4, customer="C2"),
            LocationIn(code="PACK-01", zone="P", type="pack_station"),
        ):
            masterdata.upsert_location(conn, ctx, loc)

    run_command(api.db, SYSTEM, "seed", new_key("seed"), {}, seed)
    return api


def plan_body(plan_no: str = "ASN-1", released: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "customer": "C1",
        "plan_no": plan_no,
        "transport": {"type": "sea", "container_no": "MSKU1234565", "vessel": "EVER ACE"},
        "expected_arrival": date.today().isoformat(),
        "customs_released": released,
        "lines": [
            {"sku": "T1", "expected_qty": 10},
            {"sku": "U1", "expected_qty": 5},
            {"sku": "U1", "expected_qty": 6, "sscc": SSCC},
        ],
        **extra,
    }


def new_plan(api: Api, *, arrived: bool = True, **kw: Any) -> int:
    answer = api.post("/api/v1/plans", json=plan_body(**kw))
    assert answer.status_code == 200, answer.text
    plan_id = int(answer.json()["id"])
    if arrived:
        check = api.post(
            f"/api/v1/plans/{plan_id}/check-in",
            role="receiver",
            json={"reference": "MSKU 123456-5", "seal_no": "SL-1"},
        )
        assert check.status_code == 200, check.text
    return plan_id


def receive(api: Api, plan_id: int, key: str | None = "auto", **body: Any) -> Any:
    return api.post(f"/api/v1/plans/{plan_id}/receive", role="receiver", key=key, json=body)


def code_of(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


def on_hand(api: Api, location: str) -> dict[tuple[str, str], int]:
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT s.code, b.lot, b.quantity FROM balances b JOIN skus s ON s.id = b.sku_id "
            "JOIN locations l ON l.id = b.location_id WHERE l.code = ?",
            (location,),
        ).fetchall()
    )
    return {(r[0], r[1]): r[2] for r in rows}


# -- plans -------------------------------------------------------------------------------


def test_resending_a_plan_changes_nothing_and_changing_it_while_receiving_is_refused(
    site: Api,
) -> None:
    plan_id = new_plan(site)
    again = site.post("/api/v1/plans", json=plan_body())
    assert again.json()["id"] == plan_id
    assert receive(site, plan_id, scan=PLAIN).status_code == 200
    changed = site.post("/api/v1/plans", json=plan_body(lines=[{"sku": "T1", "expected_qty": 99}]))
    assert code_of(changed) == "PLAN_BEING_RECEIVED"
    assert (
        site.post("/api/v1/plans", json=plan_body()).status_code == 200
    )  # the same plan is still fine


def test_a_plan_may_change_before_receiving_starts(site: Api) -> None:
    plan_id = new_plan(site, arrived=False)
    site.post("/api/v1/plans", json=plan_body(lines=[{"sku": "T1", "expected_qty": 7}]))
    assert site.get(f"/api/v1/plans/{plan_id}").json()["expected"] == 7


def test_plan_with_unknown_sku_names_the_line(site: Api) -> None:
    answer = site.post(
        "/api/v1/plans",
        json=plan_body(lines=[{"sku": "T1", "expected_qty": 1}, {"sku": "V1", "expected_qty": 1}]),
    )
    assert code_of(answer) == "SKU_NOT_FOUND"
    assert answer.json()["error"]["details"]["lines"] == [{"line": 2, "sku": "V1"}]


def test_transport_fields_follow_the_mode(site: Api) -> None:
    bad = site.post("/api/v1/plans", json=plan_body(transport={"type": "air", "container_no": "X"}))
    assert code_of(bad) in ("UNKNOWN_FIELD", "VALIDATION_FAILED")
    air = site.post(
        "/api/v1/plans",
        json=plan_body(
            plan_no="AIR-1",
            transport={"type": "air", "air_waybill": "784-12345675", "flight": "CX123"},
        ),
    )
    assert air.json()["transport"] == {
        "type": "air",
        "contract_no": "",
        "flight": "CX123",
        "air_waybill": "784-12345675",
        "port_of_loading": "",
        "port_of_discharge": "",
        "forwarder": "",
    }


def test_todays_arrivals_and_plan_lookup(site: Api) -> None:
    new_plan(site, arrived=False)
    new_plan(site, arrived=False, plan_no="ASN-2", expected_arrival="2020-01-01")
    today = site.get(
        "/api/v1/plans", role="receiver", params={"day": date.today().isoformat()}
    ).json()
    assert [p["plan_no"] for p in today] == ["ASN-1"]
    found = site.get("/api/v1/plans/lookup", role="receiver", params={"code": "asn-2"}).json()
    assert [p["plan_no"] for p in found] == ["ASN-2"]
    assert (
        code_of(site.get("/api/v1/plans/lookup", role="receiver", params={"code": "NOPE"}))
        == "PLAN_NOT_FOUND"
    )


# -- check-in ----------------------------------------------------------------------------


def test_check_in_must_match_the_container(site: Api) -> None:
    plan_id = new_plan(site, arrived=False)
    wrong = site.post(
        f"/api/v1/plans/{plan_id}/check-in", role="receiver", json={"reference": "TGHU7654321"}
    )
    assert code_of(wrong) == "ARRIVAL_MISMATCH"
    assert wrong.json()["error"]["details"]["expected"] == ["MSKU1234565"]
    by_receiver = site.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="receiver",
        json={"reference": "TGHU7654321", "override_reason": "swapped"},
    )
    assert code_of(by_receiver) == "OVERRIDE_NEEDS_SUPERVISOR"
    by_supervisor = site.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="supervisor",
        json={
            "reference": "TGHU7654321",
            "override_reason": "container swapped at port",
            "seal_no": "S9",
        },
    )
    assert by_supervisor.json()["arrival_override"] == "TGHU7654321: container swapped at port"
    audit = site.get("/api/v1/audit").json()
    assert any(
        a["action"] == "plan.check_in"
        and a["outcome"] == "ok"
        and a["actor"] == "user:supervisor01"
        for a in audit
    )


def test_land_plan_matches_either_plate(site: Api) -> None:
    transport = {"type": "land", "truck_plate": "粤B·D12345", "second_plate": "HK AB1234"}
    answer = site.post("/api/v1/plans", json=plan_body(plan_no="LAND-1", transport=transport))
    plan_id = answer.json()["id"]
    ok = site.post(
        f"/api/v1/plans/{plan_id}/check-in", role="receiver", json={"reference": "hkab1234"}
    )
    assert ok.status_code == 200, ok.text


# -- receiving ---------------------------------------------------------------------------


def test_receiving_waits_for_customs_release_and_check_in(site: Api) -> None:
    plan_id = new_plan(site, arrived=False, released=False)
    assert code_of(receive(site, plan_id, scan=PLAIN)) == "PLAN_NOT_RELEASED"
    site.post(f"/api/v1/plans/{plan_id}/release", role="oms", json={"released": True})
    assert code_of(receive(site, plan_id, scan=PLAIN)) == "PLAN_NOT_ARRIVED"


def test_the_oms_releases_a_plan_by_its_plan_number(site: Api) -> None:
    plan_id = new_plan(site, released=False)
    assert code_of(receive(site, plan_id, scan=PLAIN)) == "PLAN_NOT_RELEASED"
    body = {"customer": "C1", "plan_no": "ASN-1", "released": True}
    answer = site.post("/api/v1/plan-releases", role="oms", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == plan_id and answer.json()["customs_released"] is True
    assert receive(site, plan_id, scan=PLAIN).status_code == 200
    # The floor's id still works, and both forms read the same plan.
    off = site.post(f"/api/v1/plans/{plan_id}/release", role="oms", json={"released": False})
    assert off.status_code == 200 and off.json()["customs_released"] is False
    by_number = site.get("/api/v1/plans/by-number?customer=C1&plan_no=ASN-1", role="oms")
    by_id = site.get(f"/api/v1/plans/{plan_id}", role="oms")
    assert by_number.status_code == 200 and by_number.json() == by_id.json()


def test_a_plan_number_of_another_customer_is_not_found(site: Api) -> None:
    new_plan(site, released=False)
    body = {"customer": "C2", "plan_no": "ASN-1", "released": True}
    answer = site.post("/api/v1/plan-releases", role="oms", json=body)
    assert answer.status_code == 404 and code_of(answer) == "PLAN_NOT_FOUND"
    missing = site.get("/api/v1/plans/by-number?customer=C1&plan_no=ASN-9", role="oms")
    assert missing.status_code == 404 and code_of(missing) == "PLAN_NOT_FOUND"


def test_arrivals_are_listed_on_the_site_day_in_every_form(site: Api) -> None:
    """Shanghai (UTC+8): a date, a local time and instants with an offset each count on the
    site's day they fall in; an instant late on the UTC day belongs to the next site day."""
    arrivals = {
        "DATE": "2030-06-02",
        "LOCAL": "2030-06-02T07:30:00",
        "UTC-EARLY": "2030-06-01T16:00:00Z",  # 00:00 on June 2nd in Shanghai
        "OFFSET": "2030-06-02T23:59:00+08:00",
        "UTC-LATE": "2030-06-02T16:00:00Z",  # 00:00 on June 3rd in Shanghai
    }
    for plan_no, at in arrivals.items():
        body = plan_body(plan_no=plan_no, expected_arrival=at)
        assert site.post("/api/v1/plans", json=body).status_code == 200
    listed = site.get("/api/v1/plans", role="receiver", params={"day": "2030-06-02"}).json()
    assert {p["plan_no"] for p in listed} == {"DATE", "LOCAL", "UTC-EARLY", "OFFSET"}
    next_day = site.get("/api/v1/plans", role="receiver", params={"day": "2030-06-03"}).json()
    assert [p["plan_no"] for p in next_day] == ["UTC-LATE"]


def test_a_non_bonded_site_receives_without_release(site: Api) -> None:
    site.settings.site.bonded = False
    plan_id = new_plan(site, released=False)
    assert receive(site, plan_id, scan=PLAIN).status_code == 200


def test_gs1_scan_with_lot_expiry_and_count(site: Api) -> None:
    plan_id = new_plan(site)
    answer = receive(site, plan_id, scan=gs1(TRACKED, lot="L1", expiry=FAR, count=4)).json()
    assert (
        answer["sku"],
        answer["lot"],
        answer["expiry"],
        answer["quantity"],
        answer["location"],
    ) == ("T1", "L1", FAR, 4, "DOCK-01")
    assert on_hand(site, "DOCK-01") == {("T1", "L1"): 4}


def test_tracked_sku_needs_lot_and_expiry(site: Api) -> None:
    plan_id = new_plan(site)
    assert code_of(receive(site, plan_id, scan=TRACKED)) == "LOT_REQUIRED"
    assert code_of(receive(site, plan_id, scan=TRACKED, lot="L1")) == "EXPIRY_REQUIRED"
    assert receive(site, plan_id, scan=TRACKED, lot="L1", expiry=FAR, quantity=2).status_code == 200


def test_a_plain_scan_of_a_tracked_sku_offers_the_lot_of_its_last_carton_on_the_plan(
    site: Api,
) -> None:
    plan_id = new_plan(site)
    first = receive(site, plan_id, scan=TRACKED).json()["error"]
    assert first["code"] == "LOT_REQUIRED"
    assert first["details"] == {
        "sku": "T1",
        "lot_tracked": True,
        "expiry_tracked": True,
        "last_lot": "",
        "last_expiry": "",
    }
    assert receive(site, plan_id, scan=gs1(TRACKED, lot="L7", expiry=FAR)).status_code == 200
    again = receive(site, plan_id, scan=TRACKED).json()["error"]
    assert (again["code"], again["details"]["last_lot"]) == ("LOT_REQUIRED", "L7")
    assert again["details"]["last_expiry"] == FAR
    other_plan = new_plan(site, plan_no="ASN-2")
    elsewhere = receive(site, other_plan, scan=TRACKED).json()["error"]
    assert elsewhere["details"]["last_lot"] == ""  # another plan's cartons say nothing


def test_a_typed_receiving_quantity_above_the_per_scan_maximum_needs_confirming(
    site: Api,
) -> None:
    plan_id = new_plan(site)
    before = table_counts(site.db)
    answer = receive(site, plan_id, scan=PLAIN, quantity=6141)
    assert code_of(answer) == "QUANTITY_ABOVE_SCAN_MAX"
    assert answer.json()["error"]["details"] == {"quantity": 6141, "maximum": 999}
    assert table_counts(site.db) == before
    # Confirmed, it meets the plan's own rule next: more than planned is confirmed apart.
    confirmed = receive(site, plan_id, scan=PLAIN, quantity=6141, confirmed_large=True)
    assert code_of(confirmed) == "RECEIPT_OVER"
    both = receive(
        site, plan_id, scan=PLAIN, quantity=6141, confirmed_large=True, confirm_over=True
    )
    assert both.status_code == 200, both.text
    # A carton's own GS1 count (AI 30) is printed, not typed: no question.
    assert receive(site, plan_id, scan=gs1(PLAIN, count=1200), confirm_over=True).status_code == 200


def test_expired_and_short_dated_lots(site: Api) -> None:
    plan_id = new_plan(site)
    past = (date.today() - timedelta(days=1)).isoformat()
    soon = (date.today() + timedelta(days=10)).isoformat()  # C1 wants 30 days left
    assert (
        code_of(receive(site, plan_id, scan=gs1(TRACKED, lot="OLD", expiry=past))) == "LOT_EXPIRED"
    )
    assert (
        code_of(receive(site, plan_id, scan=gs1(TRACKED, lot="SOON", expiry=soon)))
        == "SHELF_LIFE_TOO_SHORT"
    )
    site.settings.inbound.expired_lot_policy = "quarantine"
    answer = receive(site, plan_id, scan=gs1(TRACKED, lot="SOON", expiry=soon)).json()
    assert (answer["condition"], answer["location"]) == ("quarantine", "QUAR-01")


def test_over_and_unplanned_need_confirmation(site: Api) -> None:
    plan_id = new_plan(site)
    assert receive(site, plan_id, scan=PLAIN, quantity=11).status_code == 200  # 5 + 6 planned
    over = receive(site, plan_id, scan=PLAIN)
    assert code_of(over) == "RECEIPT_OVER"
    assert over.json()["error"]["details"] == {
        "sku": "U1",
        "expected": 11,
        "counted": 11,
        "quantity": 1,
    }
    confirmed = receive(site, plan_id, scan=PLAIN, confirm_over=True).json()
    assert confirmed["over"] is True and confirmed["counted"] == 12


def test_over_tolerance_lets_a_little_more_in(site: Api) -> None:
    site.settings.inbound.over_tolerance_percent = 10
    plan_id = new_plan(site)
    assert receive(site, plan_id, scan=PLAIN, quantity=12).status_code == 200  # 11 * 1.1 = 12.1


def test_another_customers_barcode_is_unknown_on_this_plan(site: Api) -> None:
    plan_id = new_plan(site)
    assert code_of(receive(site, plan_id, scan=OTHER)) == "BARCODE_UNKNOWN"


def test_sscc_receives_the_whole_carton_once(site: Api) -> None:
    plan_id = new_plan(site)
    answer = receive(site, plan_id, scan="]C1" + "00" + SSCC).json()
    assert (answer["sku"], answer["quantity"], answer["sscc"]) == ("U1", 6, SSCC)
    assert code_of(receive(site, plan_id, scan="]C1" + "00" + SSCC)) == "SSCC_ALREADY_RECEIVED"
    assert (
        code_of(receive(site, plan_id, scan="]C1" + "00" + "006901234567890015"))
        == "SSCC_NOT_ON_PLAN"
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"scan": "6901234567891"}, "BARCODE_INVALID"),
        ({"scan": "]C10106901234567893"}, "BARCODE_INVALID"),
        ({"scan": "]C1" + "0106901234567892" + "17" + "991399"}, "BARCODE_INVALID"),
        ({"scan": "NOT-A-BARCODE"}, "BARCODE_UNKNOWN"),
        ({"scan": PLAIN, "quantity": 0}, "VALIDATION_FAILED"),
        ({"scan": PLAIN, "quantity": -3}, "VALIDATION_FAILED"),
        ({"scan": PLAIN, "quantity": 10**9}, "VALIDATION_FAILED"),
        ({"scan": ""}, "VALIDATION_FAILED"),
    ],
    ids=[
        "check-digit",
        "gs1-check-digit",
        "bad-date-in-gs1",
        "unknown",
        "zero",
        "negative",
        "absurd",
        "empty",
    ],
)
def test_bad_receiving_scans_change_nothing(site: Api, body: dict[str, Any], code: str) -> None:
    plan_id = new_plan(site)
    site.token("receiver")
    before = table_counts(site.db)
    assert code_of(receive(site, plan_id, **body)) == code
    assert table_counts(site.db) == before


def test_unknown_plan(site: Api) -> None:
    assert code_of(receive(site, 999, scan=PLAIN)) == "PLAN_NOT_FOUND"
    assert site.post(
        "/api/v1/plans/99999999999999999999/receive", role="receiver", json={"scan": PLAIN}
    ).status_code in (400, 404)


def test_a_replayed_scan_counts_once(site: Api) -> None:
    plan_id = new_plan(site)
    first = receive(site, plan_id, key="hh-1-scan-7", scan=PLAIN).json()
    again = receive(site, plan_id, key="hh-1-scan-7", scan=PLAIN).json()
    assert again == first
    assert site.get(f"/api/v1/plans/{plan_id}").json()["counted"] == 1


def test_two_receivers_at_once_never_lose_a_count(site: Api) -> None:
    plan_id = new_plan(site)
    for role in ("receiver", "supervisor"):
        site.token(role)
    errors: list[str] = []

    def scan_many(role: str) -> None:
        for _ in range(15):
            answer = (
                receive(site, plan_id, scan=PLAIN, confirm_over=True)
                if role == "receiver"
                else site.post(
                    f"/api/v1/plans/{plan_id}/receive",
                    role=role,
                    json={"scan": PLAIN, "confirm_over": True},
                )
            )
            if answer.status_code != 200:
                errors.append(answer.text)

    threads = [
        threading.Thread(target=scan_many, args=(role,)) for role in ("receiver", "supervisor")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert site.get(f"/api/v1/plans/{plan_id}").json()["counted"] == 30
    assert on_hand(site, "DOCK-01") == {("U1", ""): 30}


# -- tally and close ---------------------------------------------------------------------


def test_close_needs_a_reason_for_every_difference_and_writes_the_receipt(site: Api) -> None:
    plan_id = new_plan(site)
    receive(site, plan_id, scan=gs1(TRACKED, lot="L1", expiry=FAR, count=9))
    receive(site, plan_id, scan=gs1(TRACKED, lot="L1", expiry=FAR), damaged=True)
    receive(site, plan_id, scan=PLAIN, quantity=8)  # 11 planned: 3 short
    tally = {(t["sku"], t["lot"]): t for t in site.get(f"/api/v1/plans/{plan_id}").json()["tally"]}
    assert (
        tally[("T1", "")]["counted"],
        tally[("T1", "")]["damaged"],
        tally[("T1", "")]["difference"],
    ) == (10, 1, 0)
    assert tally[("U1", "")]["difference"] == -3

    refused = site.post(f"/api/v1/plans/{plan_id}/close", role="receiver", json={})
    assert code_of(refused) == "DIFFERENCE_REASON_REQUIRED"
    assert {
        (d["sku"], d["difference"], d["damaged"])
        for d in refused.json()["error"]["details"]["lines"]
    } == {("T1", 0, 1), ("U1", -3, 0)}

    closed = site.post(
        f"/api/v1/plans/{plan_id}/close",
        role="receiver",
        json={
            "differences": [
                {"sku": "T1", "reason": "damaged", "note": "crushed corner"},
                {"sku": "U1", "reason": "short"},
            ]
        },
    )
    assert closed.status_code == 200, closed.text
    doc = closed.json()
    assert doc["plan"]["status"] == "closed"
    lots = {
        (r["sku"], r["lot"], r["condition"], r["location"]): r["quantity"]
        for r in doc["received_lots"]
    }
    assert lots == {
        ("T1", "L1", "good", "DOCK-01"): 9,
        ("T1", "L1", "damaged", "QUAR-01"): 1,
        ("U1", "", "good", "DOCK-01"): 8,
    }
    assert on_hand(site, "QUAR-01") == {("T1", "L1"): 1}
    assert site.get(f"/api/v1/plans/{plan_id}/receipt", role="receiver").json() == doc
    event = site.db.read(
        lambda conn: conn.execute(
            "SELECT payload FROM events WHERE type = 'receipt.closed'"
        ).fetchone()
    )
    payload = msgspec.json.decode(event[0])
    assert payload["plan_no"] == "ASN-1" and {r["sku"] for r in payload["received_lots"]} == {
        "T1",
        "U1",
    }
    assert code_of(receive(site, plan_id, scan=PLAIN)) == "PLAN_CLOSED"


# -- put-away ----------------------------------------------------------------------------


def received(site: Api) -> int:
    plan_id = new_plan(site)
    receive(site, plan_id, scan=gs1(TRACKED, lot="L1", expiry=FAR, count=8))
    receive(site, plan_id, scan=PLAIN, quantity=5)
    receive(site, plan_id, scan="]C1" + "00" + SSCC)
    return plan_id


def test_suggestion_prefers_same_sku_then_the_customers_empty_zone(site: Api) -> None:
    received(site)
    first = site.get(
        "/api/v1/putaway/suggest", role="putaway", params={"location": "DOCK-01", "item": PLAIN}
    ).json()
    assert first["stock"][0]["suggestion"]["location"] == "A-01"  # C1's zone, nearest
    assert first["stock"][0]["suggestion"]["reason"] == "empty_customer_zone"
    site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "item": PLAIN, "quantity": 5, "to_location": "A-02"},
    )
    tracked = site.get(
        "/api/v1/putaway/suggest", role="putaway", params={"location": "DOCK-01", "item": TRACKED}
    ).json()
    # A-02 holds C1's U1, so for T1 the nearest empty location of C1 is still A-01
    assert tracked["stock"][0]["suggestion"]["location"] == "A-01"
    more_plain = site.get(
        "/api/v1/putaway/pending", role="putaway", params={"location": "DOCK-01"}
    ).json()
    carton = next(p for p in more_plain if p["sku"] == "U1")
    # 6 more U1 do not fit in A-02 (capacity 10, 5 held): the next choice is an empty one
    assert carton["suggestion"]["location"] == "A-01"


def test_putaway_refuses_other_customer_location(site: Api) -> None:
    received(site)
    before = on_hand(site, "DOCK-01")
    for target in ("B-01",):  # assigned to C2
        answer = site.post(
            "/api/v1/putaway",
            role="putaway",
            json={"from_location": "DOCK-01", "item": PLAIN, "quantity": 1, "to_location": target},
        )
        assert code_of(answer) == "LOCATION_OTHER_CUSTOMER"
    # A-03 is free for anyone; once it holds C2's goods, C1's are refused there
    site.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C2",
            "sku": "V1",
            "quantity": 1,
            "to_location": "A-03",
        },
    )
    answer = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "item": PLAIN, "quantity": 1, "to_location": "A-03"},
    )
    assert code_of(answer) == "LOCATION_OTHER_CUSTOMER"
    assert on_hand(site, "DOCK-01") == before


def test_putaway_moves_with_user_and_device_and_respects_capacity_and_type(site: Api) -> None:
    received(site)
    ok = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={
            "from_location": "DOCK-01",
            "item": gs1(TRACKED, lot="L1"),
            "quantity": 5,
            "to_location": "]C0A-01",
        },
    )
    assert ok.status_code == 200, ok.text
    assert on_hand(site, "A-01") == {("T1", "L1"): 5}
    row = site.db.read(
        lambda conn: conn.execute(
            "SELECT user_code, device FROM movements WHERE kind = 'putaway'"
        ).fetchone()
    )
    assert tuple(row) == ("putaway01", "test-putaway")
    full = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "item": PLAIN, "quantity": 11, "to_location": "A-02"},
    )
    assert code_of(full) in ("LOCATION_FULL", "INSUFFICIENT_STOCK")
    wrong_type = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "item": PLAIN, "quantity": 1, "to_location": "PACK-01"},
    )
    assert code_of(wrong_type) == "PUTAWAY_LOCATION_TYPE"


def test_putaway_of_a_whole_sscc_carton(site: Api) -> None:
    received(site)
    answer = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "sscc": SSCC, "to_location": "A-03"},
    )
    assert answer.status_code == 200, answer.text
    assert on_hand(site, "A-03") == {("U1", ""): 6}


def test_putaway_of_an_item_not_on_the_dock(site: Api) -> None:
    received(site)
    answer = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "item": OTHER, "quantity": 1, "to_location": "A-01"},
    )
    assert code_of(answer) == "ITEM_NOT_ON_LOCATION"


# -- import --------------------------------------------------------------------------------


PLANS_CSV = (
    "customer,plan_no,transport_mode,container_no,truck_plate,expected_arrival,customs_released,sku,expected_qty,lot,expiry\n"
    "C1,CSV-1,sea,MSKU1234565,,2026-12-01,true,T1,10,L1,2028-01-31\n"
    "C1,CSV-1,sea,MSKU1234565,,2026-12-01,true,U1,4,,\n"
    "C1,CSV-2,land,,粤B12345,2026-12-02,false,U1,3,,\n"
)


def test_plans_import_from_csv_and_json(site: Api) -> None:
    answer = site.post("/api/v1/plan-imports?format=csv", content=PLANS_CSV.encode())
    assert answer.json() == {"kind": "plans", "plans": 2, "lines": 3}
    plans = {
        p["plan_no"]: p for p in site.get("/api/v1/plans", params={"open_only": "true"}).json()
    }
    assert (
        plans["CSV-1"]["expected"] == 14
        and plans["CSV-2"]["transport"]["truck_plate"] == "粤B12345"
    )
    as_json = site.post(
        "/api/v1/plan-imports?format=json", content=msgspec.json.encode([plan_body(plan_no="J-1")])
    )
    assert as_json.json()["plans"] == 1


def test_plans_import_reports_bad_rows_and_imports_nothing(site: Api) -> None:
    bad = (
        PLANS_CSV
        + "C1,CSV-3,sea,MSKU1234565,,2026-12-01,true,T1,-1,,\nC1,CSV-4,boat,X,,2026-12-01,true,T1,1,,\nC1,CSV-5,sea,MSKU1234565,,2026-12-01,true,V1,1,,\n"
    )
    answer = site.post("/api/v1/plan-imports?format=csv", content=bad.encode())
    problems = [(p["line"], p["field"]) for p in answer.json()["error"]["details"]["problems"]]
    assert problems == [(5, "expected_qty"), (6, "transport_mode")]  # the file's column
    assert site.get("/api/v1/plans", params={"open_only": "false"}).json() == []
    unknown_sku = site.post(
        "/api/v1/plan-imports?format=csv",
        content=(PLANS_CSV + "C1,CSV-5,sea,MSKU1234565,,2026-12-01,true,V1,1,,\n").encode(),
    )
    assert [
        (p["line"], p["field"]) for p in unknown_sku.json()["error"]["details"]["problems"]
    ] == [(5, "SKU_NOT_FOUND")]
    assert site.get("/api/v1/plans", params={"open_only": "false"}).json() == []


def test_a_scanned_carton_gets_a_suggestion_for_its_contents(site: Api) -> None:
    received(site)
    answer = site.get(
        "/api/v1/putaway/suggest",
        role="putaway",
        params={"location": "DOCK-01", "item": "]C100" + SSCC},
    ).json()
    assert answer["sscc"] == SSCC
    assert [(s["sku"], s["quantity"], s["suggestion"]["location"]) for s in answer["stock"]] == [
        ("U1", 6, "A-01")
    ]


def test_receipt_scans_are_append_only(site: Api) -> None:
    import sqlite3

    plan_id = new_plan(site)
    receive(site, plan_id, scan=PLAIN, quantity=2)
    for sql in ("UPDATE receipt_scans SET quantity = 9", "DELETE FROM receipt_scans"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            site.db._write(lambda conn, sql=sql: conn.execute(sql))
    assert site.get(f"/api/v1/plans/{plan_id}").json()["counted"] == 2


def test_a_gtin_two_customers_share_is_told_apart_by_customer(site: Api) -> None:
    run_command(
        site.db,
        SYSTEM,
        "seed",
        new_key("seed"),
        {},
        lambda conn, ctx: masterdata.upsert_sku(
            conn, ctx, SkuIn(customer="C2", code="V2", name="Same cup", barcodes=[PLAIN])
        ),
    )
    for customer, sku in (("C1", "U1"), ("C2", "V2")):
        receive_by_flow(site, customer=customer, sku=sku, quantity=2, to_location="DOCK-01")
    ambiguous = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "item": PLAIN, "quantity": 1, "to_location": "A-03"},
    )
    assert code_of(ambiguous) == "LOT_AMBIGUOUS"
    suggested = site.get(
        "/api/v1/putaway/suggest",
        role="putaway",
        params={"location": "DOCK-01", "item": PLAIN, "customer": "C2"},
    ).json()
    assert [(s["customer"], s["sku"]) for s in suggested["stock"]] == [("C2", "V2")]
    moved = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={
            "from_location": "DOCK-01",
            "item": PLAIN,
            "customer": "C2",
            "quantity": 2,
            "to_location": "B-01",
        },
    )
    assert moved.status_code == 200, moved.text
    assert on_hand(site, "B-01") == {("V2", ""): 2}


# -- GS1 -----------------------------------------------------------------------------------


def test_best_before_date_is_taken_as_the_expiry_on_receiving(site: Api) -> None:
    plan_id = new_plan(site)
    bb = FAR[2:4] + FAR[5:7] + FAR[8:10]
    answer = receive(site, plan_id, scan="]C101" + "0" + TRACKED + "15" + bb + "10L1")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["lot"], answer.json()["expiry"]) == ("L1", FAR)


def test_a_serial_is_recorded_with_the_receiving_scan(site: Api) -> None:
    plan_id = new_plan(site)
    answer = receive(site, plan_id, scan="]C101" + "0" + PLAIN + "21" + "SN-77")
    assert answer.status_code == 200, answer.text
    assert answer.json()["serial"] == "SN-77"
    stored = site.db.read(lambda conn: conn.execute("SELECT serial FROM receipt_scans").fetchall())
    assert [r[0] for r in stored] == ["SN-77"]


def test_a_digital_link_is_received_like_its_element_string(site: Api) -> None:
    plan_id = new_plan(site)
    link = f"]Q3https://example.com/01/0{TRACKED}/10/L7?17={FAR[2:4]}{FAR[5:7]}{FAR[8:10]}"
    answer = receive(site, plan_id, scan=link)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["sku"], answer.json()["lot"], answer.json()["expiry"]) == (
        "T1",
        "L7",
        FAR,
    )


def test_a_lot_that_swallowed_a_date_is_received_with_a_warning(site: Api) -> None:
    plan_id = new_plan(site)
    answer = receive(
        site, plan_id, scan="]C101" + "0" + PLAIN + "10" + "A1" + "17" + "261231", confirm_over=True
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["lot"] == "A117261231"
    assert answer.json()["warnings"] == ["LOT_MAY_HOLD_ANOTHER_AI"]
    assert receive(site, plan_id, scan=PLAIN).json()["warnings"] == []


def test_a_bare_sscc_receives_the_carton_only_when_the_site_allows_it(site: Api) -> None:
    plan_id = new_plan(site)
    assert code_of(receive(site, plan_id, scan=SSCC)) == "BARCODE_UNKNOWN"
    site.settings.scan.bare_sscc = True
    answer = receive(site, plan_id, scan=SSCC)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["sku"], answer.json()["quantity"], answer.json()["sscc"]) == (
        "U1",
        6,
        SSCC,
    )


def test_a_bare_sscc_gets_a_put_away_suggestion_when_the_site_allows_it(site: Api) -> None:
    received(site)
    site.settings.scan.bare_sscc = True
    answer = site.get(
        "/api/v1/putaway/suggest", role="putaway", params={"location": "DOCK-01", "item": SSCC}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["sscc"] == SSCC
    assert [(s["sku"], s["quantity"]) for s in answer.json()["stock"]] == [("U1", 6)]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_arrivals_of_the_calendars_first_and_last_day_are_an_empty_list(
    site: Api, day: str
) -> None:
    answer = site.get("/api/v1/plans", role="receiver", params={"day": day})
    assert answer.status_code == 200 and answer.json() == []


def test_an_impossible_day_is_refused_as_bad_input(site: Api) -> None:
    answer = site.get("/api/v1/plans", role="receiver", params={"day": "0000-00-00"})
    assert answer.status_code == 400
