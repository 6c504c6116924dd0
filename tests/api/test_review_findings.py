"""Defects found in a code review, each kept as a regression test (all fixed; the last,
today's arrivals on the site's calendar, was a strict xfail until it was)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from server.commands import SYSTEM, run_command
from server.db import Database
from server.masterdata import service as masterdata
from server.masterdata.schemas import LocationIn
from tests.api.test_inbound import (
    PLAIN,
    SSCC,
    code_of,
    new_plan,
    on_hand,
    plan_body,
    receive,
    site,  # noqa: F401  (fixture)
)
from tests.conftest import Api, new_key, receive_by_flow

SSCC_2 = "006901234567890015"


def _stock(api: Api) -> dict[tuple[str, str, str, str], int]:
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT l.code, c.code, s.code, b.lot, b.quantity FROM balances b "
            "JOIN locations l ON l.id = b.location_id JOIN customers c ON c.id = b.customer_id "
            "JOIN skus s ON s.id = b.sku_id"
        ).fetchall()
    )
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


# -- 1. a malformed GS1 count is a 500, not a clear error ----------------------------------

EMPTY_COUNT = "]C1" + "01" + "0" + PLAIN + "30"  # AI 30 present, its value empty


def test_gs1_scan_with_an_empty_count_is_bad_input_not_a_500(site: Api) -> None:  # noqa: F811
    plan_id = new_plan(site)
    answer = receive(site, plan_id, scan=EMPTY_COUNT)
    assert answer.status_code == 400, answer.text
    assert code_of(answer) == "BARCODE_INVALID"


def test_putaway_suggest_with_an_empty_gs1_count_is_bad_input(site: Api) -> None:  # noqa: F811
    answer = site.get(
        "/api/v1/putaway/suggest",
        role="putaway",
        params={"location": "DOCK-01", "item": EMPTY_COUNT},
    )
    assert answer.status_code == 400, answer.text


# -- 2. over-receipt of one lot hides behind the SKU total ---------------------------------


def test_receiving_twice_a_planned_lot_needs_confirmation(site: Api) -> None:  # noqa: F811
    answer = site.post(
        "/api/v1/plans",
        json=plan_body(
            plan_no="LOTS-1",
            lines=[
                {"sku": "U1", "expected_qty": 5, "lot": "LA"},
                {"sku": "U1", "expected_qty": 5, "lot": "LB"},
            ],
        ),
    )
    plan_id = answer.json()["id"]
    site.post(
        f"/api/v1/plans/{plan_id}/check-in", role="receiver", json={"reference": "MSKU1234565"}
    )
    # Lot LA was planned at 5; 10 of it go in without the over confirmation.
    over = receive(site, plan_id, scan=PLAIN, lot="LA", quantity=10)
    assert over.status_code == 422, over.text
    assert code_of(over) == "RECEIPT_OVER"


def test_an_unplanned_lot_needs_confirmation(site: Api) -> None:  # noqa: F811
    answer = site.post(
        "/api/v1/plans",
        json=plan_body(plan_no="LOTS-2", lines=[{"sku": "U1", "expected_qty": 5, "lot": "LA"}]),
    )
    plan_id = answer.json()["id"]
    site.post(
        f"/api/v1/plans/{plan_id}/check-in", role="receiver", json={"reference": "MSKU1234565"}
    )
    wrong_lot = receive(site, plan_id, scan=PLAIN, lot="ZZ", quantity=5)
    assert wrong_lot.status_code == 422, wrong_lot.text


# -- 3. one SSCC carton can be put away twice ----------------------------------------------


def test_an_sscc_carton_is_put_away_only_once(site: Api) -> None:  # noqa: F811
    answer = site.post(
        "/api/v1/plans",
        json=plan_body(
            plan_no="CARTONS",
            lines=[
                {"sku": "U1", "expected_qty": 6, "sscc": SSCC},
                {"sku": "U1", "expected_qty": 6, "sscc": SSCC_2},
            ],
        ),
    )
    plan_id = answer.json()["id"]
    site.post(
        f"/api/v1/plans/{plan_id}/check-in", role="receiver", json={"reference": "MSKU1234565"}
    )
    for carton in (SSCC, SSCC_2):
        assert receive(site, plan_id, scan="]C100" + carton).status_code == 200
    first = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "sscc": SSCC, "to_location": "A-03"},
    )
    assert first.status_code == 200, first.text
    again = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "sscc": SSCC, "to_location": "A-01"},
    )
    assert again.status_code in (404, 409, 422), again.text
    assert on_hand(site, "DOCK-01") == {("U1", ""): 6}  # carton 2 still waits


# -- 4. put-away empties the quarantine -----------------------------------------------------


def test_putaway_does_not_take_goods_out_of_quarantine(site: Api) -> None:  # noqa: F811
    plan_id = new_plan(site)
    assert receive(site, plan_id, scan=PLAIN, damaged=True).json()["location"] == "QUAR-01"
    answer = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "QUAR-01", "item": PLAIN, "quantity": 1, "to_location": "A-01"},
    )
    assert answer.status_code == 422, answer.text
    assert on_hand(site, "QUAR-01") == {("U1", ""): 1}


# -- 5. an empty scan checks in a plan whose container number is empty ---------------------


def test_check_in_with_nothing_scanned_is_a_mismatch(site: Api) -> None:  # noqa: F811
    body = plan_body(plan_no="NOBOX", transport={"type": "sea", "container_no": ""})
    plan_id = site.post("/api/v1/plans", json=body).json()["id"]
    answer = site.post(
        f"/api/v1/plans/{plan_id}/check-in", role="receiver", json={"reference": " - "}
    )
    assert answer.status_code == 422, answer.text
    assert code_of(answer) == "ARRIVAL_MISMATCH"


# -- 6. a receiver's re-check-in rewrites a receipt in progress ----------------------------


def test_check_in_again_while_receiving_keeps_the_arrival_record(site: Api) -> None:  # noqa: F811
    run_command(
        site.db,
        SYSTEM,
        "seed",
        new_key("seed"),
        {},
        lambda conn, ctx: masterdata.upsert_location(
            conn, ctx, LocationIn(code="DOCK-02", zone="D", type="dock")
        ),
    )
    plan_id = new_plan(site, arrived=False)
    supervised = site.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="supervisor",
        json={"reference": "TGHU7654321", "override_reason": "container swapped"},
    )
    assert supervised.status_code == 200, supervised.text
    assert receive(site, plan_id, scan=PLAIN).status_code == 200
    again = site.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="receiver",
        json={"reference": "MSKU1234565", "dock": "DOCK-02"},
    )
    if again.status_code == 200:
        plan = site.get(f"/api/v1/plans/{plan_id}").json()
        assert plan["arrival_override"] == "TGHU7654321: container swapped"
        assert plan["dock"] == "DOCK-01"


# -- 7. a difference reason may contradict the difference ----------------------------------


def test_close_refuses_a_reason_that_contradicts_the_count(site: Api) -> None:  # noqa: F811
    plan_id = new_plan(site)
    receive(site, plan_id, scan=PLAIN, quantity=8)  # U1: 11 planned, 3 short
    answer = site.post(
        f"/api/v1/plans/{plan_id}/close",
        role="receiver",
        json={
            "differences": [
                {"sku": "T1", "reason": "over"},  # T1: 10 planned, none came
                {"sku": "U1", "reason": "over"},
            ]
        },
    )
    assert answer.status_code == 422, answer.text


# -- 8. a dock turned into storage keeps two customers' goods ------------------------------


def test_retyping_a_mixed_dock_as_storage_is_refused(site: Api) -> None:  # noqa: F811
    for customer, sku in (("C1", "U1"), ("C2", "V1")):
        receive_by_flow(site, customer=customer, sku=sku, quantity=1, to_location="DOCK-01")
    answer = site.post(
        "/api/v1/locations", json={"code": "DOCK-01", "zone": "D", "type": "storage"}
    )
    assert answer.status_code == 400, answer.text
    customers = {c for (loc, c, _, _) in _stock(site) if loc == "DOCK-01"}
    assert customers == {"C1", "C2"}


# -- 9. today's arrivals ignore the site's time zone ---------------------------------------


def test_todays_arrivals_use_the_site_calendar(site: Api) -> None:  # noqa: F811
    tz = site.settings.site.timezone
    assert tz not in ("UTC", "Etc/UTC")
    day = date(2030, 6, 1)
    # 20:00 UTC on June 1st is early morning of June 2nd in Shanghai.
    body = plan_body(plan_no="LATE", expected_arrival=f"{day.isoformat()}T20:00:00Z")
    assert site.post("/api/v1/plans", json=body).status_code == 200
    local_day = (day + timedelta(days=1)).isoformat()
    listed = site.get("/api/v1/plans", role="receiver", params={"day": local_day}).json()
    assert [p["plan_no"] for p in listed] == ["LATE"]


# -- 10. a failed COMMIT leaves the one writer stuck in its transaction --------------------


def test_a_failed_commit_does_not_wedge_the_writer(db: Database) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        # Any COMMIT-time failure will do (I/O error, disk full, deferred constraint).
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT INTO skus (customer_id, code, name) VALUES (999, 'X', 'orphan')")

    with pytest.raises(sqlite3.IntegrityError):
        db._write(bad)
    db._write(lambda conn: conn.execute("SELECT 1"))  # the next command must still run


# -- 11. a GS1 count bypasses the quantity limit -------------------------------------------


def test_gs1_counts_obey_the_quantity_rules(site: Api) -> None:  # noqa: F811
    plan_id = new_plan(site)
    zero = receive(site, plan_id, scan="]C101" + "0" + PLAIN + "370")
    assert zero.status_code == 400, zero.text
    huge = receive(site, plan_id, scan="]C101" + "0" + PLAIN + "3099999999", confirm_over=True)
    assert huge.status_code in (400, 422), huge.text
