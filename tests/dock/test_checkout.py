"""Dock check-out through the API: a truck leaves only with exactly its list's released
parcels, a verified driver and a confirmed seal; every refusal has its own code and
changes nothing."""

from __future__ import annotations

import io
import json
import sqlite3
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from server.dock.identity import id_check_character
from tests.conftest import Api, table_counts
from tests.outbound.helpers import SOAP, customs, pack, picked_order, put_stock, seed_outbound

DRIVER_ID = "44030519900307123" + id_check_character("44030519900307123")
OTHER_ID = "11010519491231002X"


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 50)
    return api


def packed_parcel(api: Api, tote: str) -> dict[str, Any]:
    order = picked_order(api, [{"sku": "S1", "quantity": 1}], tote=tote)
    answer = pack(api, order["id"], [SOAP], weight_g=1000)
    assert answer.status_code == 200, answer.text
    return order


def truck(waybills: list[str], plate: str = "粤B12345", **kw: Any) -> dict[str, Any]:
    return {
        "plate": plate,
        "second_plate": "AB1234",
        "driver_name": "李师傅",
        "driver_id": DRIVER_ID,
        "driver_phone": "13800138000",
        "seal_no": "SEAL-0001",
        "carrier": "顺丰",
        "waybills": waybills,
        **kw,
    }


def ok(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def refused(answer: Any, code: str) -> dict[str, Any]:
    assert answer.status_code in (400, 403, 404, 409, 422), answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == code, error
    return error


def ready(api: Api, list_id: int, plate: str = "粤B12345") -> None:
    ok(api.post("/api/v1/dock/open", role="dock", json={"scan": plate, "door": "D1"}))
    ok(
        api.post(
            f"/api/v1/loading-lists/{list_id}/driver-id", role="dock", json={"driver_id": DRIVER_ID}
        )
    )
    ok(
        api.post(
            f"/api/v1/loading-lists/{list_id}/driver-name",
            role="dock",
            json={"driver_name": "李师傅"},
        )
    )
    ok(
        api.post(
            f"/api/v1/loading-lists/{list_id}/seal", role="dock", json={"seal_no": "SEAL-0001"}
        )
    )


def scan(api: Api, list_id: int, code: str) -> Any:
    return api.post(f"/api/v1/loading-lists/{list_id}/scans", role="dock", json={"scan": code})


def test_a_list_with_bad_fields_lists_every_problem_and_makes_nothing(site: Api) -> None:
    site.token("dock")
    before = table_counts(site.db)
    answer = site.post(
        "/api/v1/loading-lists",
        role="dock",
        json=truck(
            ["SF-NOPE"], plate="B12345", driver_id="11010519491231002" + "1", driver_phone="123"
        ),
    )
    error = refused(answer, "LOADING_LIST_INVALID")
    found = {(p["field"], p["code"], p.get("rule")) for p in error["details"]["problems"]}
    assert found == {
        ("plate", "PLATE_INVALID", "province"),
        ("driver_id", "DRIVER_ID_INVALID", "check_character"),
        ("driver_phone", "DRIVER_PHONE_INVALID", "format"),
        ("waybills", "WAYBILL_UNKNOWN", None),
    }
    after = table_counts(site.db)
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def test_a_truck_leaves_with_exactly_its_parcels(site: Api) -> None:
    a, b, c = (packed_parcel(site, t) for t in ("T-1", "T-2", "T-3"))
    first = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"], b["waybill_no"]])
        )
    )
    other = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([c["waybill_no"]], plate="粤BD12345")
        )
    )
    assert (first["planned"], first["weight"]["expected_g"]) == (2, 2000)
    list_id = first["id"]

    refused(scan(site, list_id, a["waybill_no"]), "LIST_NOT_OPEN")
    refused(
        site.post("/api/v1/dock/open", role="dock", json={"scan": "粤B12345", "door": "D9"}),
        "DOOR_UNKNOWN",
    )
    ok(site.post("/api/v1/dock/open", role="dock", json={"scan": "粤B 12345", "door": "D1"}))
    refused(scan(site, list_id, a["waybill_no"]), "DRIVER_NOT_VERIFIED")
    refused(
        site.post(
            f"/api/v1/loading-lists/{list_id}/driver-id", role="dock", json={"driver_id": OTHER_ID}
        ),
        "DRIVER_MISMATCH",
    )
    audit = site.db.read(
        lambda c: c.execute(
            "SELECT outcome, target, details FROM audit WHERE code = 'DRIVER_MISMATCH'"
        ).fetchall()
    )
    assert [(r[0], r[1]) for r in audit] == [("refused", f"loading-list:{first['list_no']}")]
    assert json.loads(audit[0][2])["refusal"]["scanned_ends"] == OTHER_ID[-4:]
    ready(site, list_id)

    loaded = ok(scan(site, list_id, a["waybill_no"]))
    assert (loaded["outcome"], loaded["summary"]["loaded"]) == ("loaded", 1)
    again = ok(scan(site, list_id, f"PCL-{a['waybill_no']}"))
    assert (again["outcome"], again["notice"], again["summary"]["loaded"]) == (
        "duplicate",
        "ALREADY_LOADED",
        1,
    )
    wrong_truck = refused(scan(site, list_id, c["waybill_no"]), "PARCEL_OTHER_LIST")
    assert wrong_truck["details"]["other_list_no"] == other["list_no"]
    refused(scan(site, list_id, "SF9999999999"), "WAYBILL_UNKNOWN")
    early = refused(
        site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}),
        "DEPARTURE_BLOCKED",
    )
    assert {"code": "PARCELS_MISSING", "count": 1, "waybills": [b["waybill_no"]]} in early[
        "details"
    ]["reasons"]

    last = ok(scan(site, list_id, b["waybill_no"]))["summary"]
    assert (last["loaded"], last["missing_count"], last["can_depart"]) == (2, 0, True)
    record = ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    assert sorted(p["waybill_no"] for p in record["parcels"]) == sorted(
        [a["waybill_no"], b["waybill_no"]]
    )
    assert record["driver_id"] == DRIVER_ID and record["second_plate"] == "AB1234"
    states = site.db.read(
        lambda conn: dict(
            conn.execute(
                "SELECT order_no, state FROM orders WHERE order_no IN (?, ?, ?)",
                (a["order_no"], b["order_no"], c["order_no"]),
            ).fetchall()
        )
    )
    assert states == {a["order_no"]: "shipped", b["order_no"]: "shipped", c["order_no"]: "packed"}
    left = site.db.read(
        lambda conn: conn.execute(
            "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b JOIN locations l "
            "ON l.id = b.location_id WHERE l.code IN (?, ?)",
            (f"PCL-{a['waybill_no']}", f"PCL-{b['waybill_no']}"),
        ).fetchone()[0]
    )
    assert left == 0
    events = site.db.read(
        lambda conn: [
            r[0]
            for r in conn.execute(
                "SELECT type FROM events WHERE type IN ('order.loaded', 'order.shipped', "
                "'loading_list.departed') ORDER BY seq"
            )
        ]
    )
    assert events.count("order.shipped") == 2 and events[-1] == "loading_list.departed"

    refused(scan(site, list_id, b["waybill_no"]), "LIST_DEPARTED")
    refused(
        site.post(
            f"/api/v1/loading-lists/{list_id}/remove-parcel",
            json={"waybill_no": a["waybill_no"], "reason": "late"},
        ),
        "LIST_DEPARTED",
    )
    assert record.pop("print_job") is None  # door D1 is no station with a printer
    assert ok(site.get(f"/api/v1/loading-lists/{list_id}/handover", role="dock")) == record


@pytest.mark.parametrize(
    ("code", "expected"), [(500, "PARCEL_ON_HOLD"), (None, "PARCEL_CANCELLED")]
)
def test_an_intercept_after_loading_must_be_pulled_off_before_departure(
    site: Api, code: int | None, expected: str
) -> None:
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    made = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"], b["waybill_no"]])
        )
    )
    list_id = made["id"]
    ready(site, list_id)
    ok(scan(site, list_id, a["waybill_no"]))
    assert ok(scan(site, list_id, b["waybill_no"]))["summary"]["can_depart"] is True
    if code is None:
        ok(
            site.post(
                "/api/v1/order-cancellations",
                role="oms",
                json={"order_no": a["order_no"], "reason": "buyer cancelled"},
            )
        )
    else:
        assert customs(site, a["order_no"], code).status_code == 200
    again = ok(scan(site, list_id, b["waybill_no"]))["summary"]
    assert (again["to_pull_off_count"], again["can_depart"]) == (1, False)
    view = ok(site.get(f"/api/v1/loading-lists/{list_id}", role="dock"))
    assert view["to_pull_off"] == [
        {"waybill_no": a["waybill_no"], "order_no": a["order_no"], "code": expected}
    ]
    blocked = refused(
        site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}),
        "DEPARTURE_BLOCKED",
    )
    assert {"code": "PARCELS_TO_PULL_OFF", "waybills": [a["waybill_no"]]} in blocked["details"][
        "reasons"
    ]
    refused(scan(site, list_id, a["waybill_no"]), expected)
    refused(
        site.post(
            f"/api/v1/loading-lists/{list_id}/remove-parcel",
            role="dock",
            json={"waybill_no": a["waybill_no"], "reason": "intercept"},
        ),
        "ROLE_NOT_ALLOWED",
    )
    ok(
        site.post(
            f"/api/v1/loading-lists/{list_id}/remove-parcel",
            role="supervisor",
            json={"waybill_no": a["waybill_no"], "reason": "customs intercept"},
        )
    )
    record = ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    assert [p["waybill_no"] for p in record["parcels"]] == [b["waybill_no"]]
    state = site.db.read(
        lambda c: c.execute(
            "SELECT state FROM orders WHERE order_no = ?", (a["order_no"],)
        ).fetchone()[0]
    )
    assert state == ("cancelled" if code is None else "packed")


def test_the_database_refuses_an_incomplete_departure_and_changes_after_it(site: Api) -> None:
    a = packed_parcel(site, "T-1")
    made = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    with pytest.raises(sqlite3.IntegrityError, match="DEPARTURE_BLOCKED"):
        site.db._write(
            lambda c: c.execute(
                "UPDATE loading_lists SET state = 'departed' WHERE id = ?", (made["id"],)
            )
        )
    ready(site, made["id"])
    ok(scan(site, made["id"], a["waybill_no"]))
    ok(site.post(f"/api/v1/loading-lists/{made['id']}/depart", role="dock", json={}))
    with pytest.raises(sqlite3.IntegrityError, match="LIST_DEPARTED"):
        site.db._write(
            lambda c: c.execute(
                "UPDATE loading_list_parcels SET removed_at = 'x' WHERE list_id = ?", (made["id"],)
            )
        )


def test_the_door_s_fixed_scanner_checks_out_a_truck(site: Api) -> None:
    from server.auth import service as auth
    from server.config import StationSettings
    from tests.conftest import _ctx, add_user

    site.settings.stations.append(
        StationSettings(name="door-1", kind="dock_door", printers=["label-1"])
    )
    add_user(site.db, site.settings, "dk1", ["dock"], badge="BF-BADGE-9005")
    token = site.db._write(lambda c: auth.add_api_token(c, _ctx(), "door-1", "station"))["token"]
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    made = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    n = iter(range(100))

    def door(code: str) -> dict[str, Any]:
        answer = site.client.post(
            "/api/v1/stations/door-1/scans",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"door:{next(n)}"},
            json={"code": code},
        )
        return dict(ok(answer))

    seen = [door(c) for c in ("BF-BADGE-9005", "粤B12345", OTHER_ID, DRIVER_ID, "SEAL-0001")]
    assert [(s["action"], s["outcome"], s["error_code"]) for s in seen] == [
        ("sign_in", "ok", ""),
        ("open_list", "ok", ""),
        ("driver_id", "refused", "DRIVER_MISMATCH"),
        ("driver_id", "ok", ""),
        ("seal", "ok", ""),
    ]
    assert door(a["waybill_no"])["error_code"] == "DRIVER_NOT_VERIFIED"  # name not confirmed
    ok(
        site.post(
            f"/api/v1/loading-lists/{made['id']}/driver-name",
            role="dock",
            json={"driver_name": "李师傅"},
        )
    )
    assert door(b["waybill_no"])["error_code"] == "PARCEL_NOT_ON_LIST"
    loaded = door(a["waybill_no"])
    assert (loaded["action"], loaded["effect"]["outcome"]) == ("load", "loaded")
    assert loaded["effect"]["summary"]["can_depart"] is True
    assert door(a["waybill_no"])["effect"]["outcome"] == "duplicate"
    view = ok(site.get(f"/api/v1/loading-lists/{made['id']}", role="dock"))
    assert (view["loaded"], view["can_depart"]) == (1, True)

    # Departure prints the driver's handover slip on the door's printer.
    record = ok(site.post(f"/api/v1/loading-lists/{made['id']}/depart", role="dock", json={}))
    assert record["print_job"]["printer"] == "label-1"
    png = site.get(f"/api/v1/print-jobs/{record['print_job']['id']}/preview.png")
    assert png.status_code == 200, png.text
    image = Image.open(io.BytesIO(png.content))
    codes = {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}
    assert codes == {"Code128": record["handover_no"]}


def test_a_list_takes_every_waiting_parcel_of_a_lane_once(site: Api) -> None:
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    made = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([], lane="OUT-01")))
    assert made["planned"] == 2
    assert {p["waybill_no"] for p in made["missing"]} == {a["waybill_no"], b["waybill_no"]}
    again = site.post("/api/v1/loading-lists", role="dock", json=truck([], lane="OUT-01"))
    problems = refused(again, "LOADING_LIST_INVALID")["details"]["problems"]
    assert [(p["field"], p["code"]) for p in problems] == [("lane", "LIST_EMPTY")]


def test_a_parcel_held_after_loading_leaves_only_if_scanned_back_on(site: Api) -> None:
    """Held after loading, it came off the truck (customs may inspect it); released again,
    it is missing until it is scanned back on, never shipped on the strength of the old scan."""
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    made = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"], b["waybill_no"]])
        )
    )
    list_id = made["id"]
    ready(site, list_id)
    ok(scan(site, list_id, a["waybill_no"]))
    ok(scan(site, list_id, b["waybill_no"]))
    assert customs(site, a["order_no"], 500).status_code == 200
    assert customs(site, a["order_no"], 800).status_code == 200
    view = ok(site.get(f"/api/v1/loading-lists/{list_id}", role="dock"))
    assert [p["code"] for p in view["to_pull_off"]] == ["PARCEL_INTERCEPTED"]
    assert view["can_depart"] is False
    refused(
        site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}),
        "DEPARTURE_BLOCKED",
    )
    again = ok(scan(site, list_id, a["waybill_no"]))
    assert (again["outcome"], again["summary"]["can_depart"]) == ("loaded", True)
    ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))


def test_a_blank_scan_opens_nothing_and_a_list_number_does_not_confirm_the_plate(
    site: Api,
) -> None:
    a = packed_parcel(site, "T-1")
    made = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]], second_plate="")
        )
    )
    for blank in ("-", "·", " "):
        refused(
            site.post("/api/v1/dock/open", role="dock", json={"scan": blank, "door": "D1"}),
            "PLATE_INVALID",
        )
    opened = ok(
        site.post("/api/v1/dock/open", role="dock", json={"scan": made["list_no"], "door": "D1"})
    )
    assert opened["plate_confirmed"] is False
    again = ok(site.post("/api/v1/dock/open", role="dock", json={"scan": "粤B12345", "door": "D1"}))
    assert again["plate_confirmed"] is True
    blank = truck([a["waybill_no"]], driver_name=" ", seal_no=" ")
    problems = refused(
        site.post("/api/v1/loading-lists", role="dock", json=blank), "LOADING_LIST_INVALID"
    )["details"]["problems"]
    assert {(p["field"], p["code"]) for p in problems} >= {
        ("driver_name", "REQUIRED"),
        ("seal_no", "REQUIRED"),
    }


def test_a_supervisor_frees_a_door_held_by_a_list_that_will_not_leave(site: Api) -> None:
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    stuck = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    other = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([b["waybill_no"]], plate="粤BD12345")
        )
    )
    ready(site, stuck["id"])
    blank = {"waybill_no": a["waybill_no"], "reason": "  "}
    remove = f"/api/v1/loading-lists/{stuck['id']}/remove-parcel"
    refused(site.post(remove, role="supervisor", json=blank), "REASON_REQUIRED")
    ok(
        site.post(
            remove,
            role="supervisor",
            json={"waybill_no": a["waybill_no"], "reason": "order moved"},
        )
    )
    busy = site.post("/api/v1/dock/open", role="dock", json={"scan": "粤BD12345", "door": "D1"})
    refused(busy, "DOOR_BUSY")
    path = f"/api/v1/loading-lists/{stuck['id']}/release-door"
    refused(site.post(path, role="dock", json={"reason": "truck gone"}), "ROLE_NOT_ALLOWED")
    refused(site.post(path, role="supervisor", json={"reason": " \u3000"}), "REASON_REQUIRED")
    freed = ok(site.post(path, role="supervisor", json={"reason": "truck gone"}))
    assert (freed["state"], freed["door"], freed["plate_confirmed"]) == ("open", None, False)
    opened = ok(
        site.post("/api/v1/dock/open", role="dock", json={"scan": "粤BD12345", "door": "D1"})
    )
    assert opened["list_no"] == other["list_no"]


def test_a_parcel_taken_off_the_list_no_longer_counts_in_the_expected_weight(site: Api) -> None:
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    made = ok(
        site.post(
            "/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"], b["waybill_no"]])
        )
    )
    assert made["weight"]["expected_g"] == 2000
    after = ok(
        site.post(
            f"/api/v1/loading-lists/{made['id']}/remove-parcel",
            json={"waybill_no": b["waybill_no"], "reason": "order moved to the next truck"},
        )
    )
    assert after["weight"]["expected_g"] == 1000
    ready(site, made["id"])
    ok(scan(site, made["id"], a["waybill_no"]))
    weight = ok(site.get(f"/api/v1/loading-lists/{made['id']}", role="dock"))["weight"]
    assert (weight["loaded_g"], weight["off_by_percent"], weight["warning"]) == (1000, 0.0, False)


def test_an_inspection_reply_after_departure_leaves_no_floor_task(site: Api) -> None:
    """The parcel is gone with its truck: there is nothing on the floor to take anywhere."""
    order = packed_parcel(site, "T-1")
    made = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([order["waybill_no"]])))
    ready(site, made["id"])
    ok(scan(site, made["id"], order["waybill_no"]))
    ok(site.post(f"/api/v1/loading-lists/{made['id']}/depart", role="dock", json={}))
    answer = ok(customs(site, order["order_no"], 500))
    assert (answer["applied"], answer["state"], answer["tasks"]) == (True, "shipped", [])


def test_the_plate_chosen_on_a_lists_card_opens_that_list_even_when_the_truck_has_two(
    site: Api,
) -> None:
    a, b = packed_parcel(site, "T-1"), packed_parcel(site, "T-2")
    first = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    second = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([b["waybill_no"]])))
    # By the plate alone the newest list opens; the card of the first one names it.
    body = {"scan": "粤B12345", "door": "D1", "list_no": first["list_no"]}
    opened = ok(site.post("/api/v1/dock/open", role="dock", json=body))
    assert (opened["list_no"], opened["plate_confirmed"]) == (first["list_no"], True)
    assert ok(site.get(f"/api/v1/loading-lists/{second['id']}", role="dock"))["state"] == "open"
    missing = {"scan": "粤B12345", "door": "D1", "list_no": "LL-NOPE"}
    refused(site.post("/api/v1/dock/open", role="dock", json=missing), "LIST_NOT_FOUND")
