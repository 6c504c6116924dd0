"""Trace through the API on a real SQLite file: a lot's whole life from receipt to the
truck, seen from its lot, SKU, location, order, parcel and user; pages that never skip or
repeat; the CSV with the same rows; "where did it go" on a planted difference."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from server.config import Settings, StationSettings
from tests.conftest import Api, receive_by_flow, table_counts
from tests.dock.test_checkout import ready, scan, truck
from tests.outbound.helpers import (
    CREAM,
    add_order,
    outbound_settings,
    pack,
    picked_order,
    put_stock,
    release,
    seed_outbound,
    wave,
)

LOT = "L1"
EXPIRY = "2028-01-31"
CREAM_L1 = f"01{CREAM.zfill(14)}10{LOT}"


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    base = outbound_settings(tmp_path)
    base.stations.append(StationSettings(name="D1", kind="dock_door"))
    return base


def ok(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def movement(api: Api, **body: Any) -> Any:
    return ok(api.post("/api/v1/ledger/movements", json={"customer": "C1", "sku": "S3", **body}))


@pytest.fixture
def floor(api: Api) -> dict[str, Any]:
    """Lot L1 of S3 received, put away, moved, picked, packed, loaded, shipped, adjusted."""
    seed_outbound(api)
    lot = {"lot": LOT, "expiry": EXPIRY}
    receive_by_flow(
        api, customer="C1", sku="S3", quantity=10, to_location="DOCK-1", document="ASN-7", **lot
    )
    ok(
        api.post(
            "/api/v1/putaway",
            role="putaway",
            json={
                "from_location": "DOCK-1",
                "to_location": "A-1",
                "item": CREAM_L1,
                "quantity": 10,
            },
        )
    )
    movement(
        api,
        kind="move",
        quantity=2,
        from_location="A-1",
        to_location="A-2",
        reason="relocation",
        **lot,
    )
    order = picked_order(api, [{"sku": "S3", "quantity": 3}], tote="T-1")
    ok(pack(api, order["id"], [CREAM_L1] * 3, weight_g=900))
    listed = ok(api.post("/api/v1/loading-lists", role="dock", json=truck([order["waybill_no"]])))
    ready(api, listed["id"])
    ok(scan(api, listed["id"], order["waybill_no"]))
    ok(api.post(f"/api/v1/loading-lists/{listed['id']}/depart", role="dock", json={}))
    movement(
        api,
        kind="adjust",
        quantity=1,
        from_location="A-2",
        reason="damaged",
        document='=HYPERLINK("x")',
        **lot,
    )
    return {"order": order, "list_no": listed["list_no"]}


def trace(api: Api, kind: str, value: str, **params: Any) -> dict[str, Any]:
    return dict(ok(api.get("/api/v1/trace", params={"kind": kind, "value": value, **params})))


def steps(page: dict[str, Any], source: str = "movement") -> list[tuple[Any, ...]]:
    return [
        (e["what"], e["quantity"], e["from_location"], e["to_location"], e["user"], e["device"])
        for e in page["entries"]
        if e["source"] == source
    ]


def test_a_lot_s_trace_lists_every_step_newest_first_with_who_and_device(
    api: Api, floor: dict[str, Any]
) -> None:
    parcel = f"PCL-{floor['order']['waybill_no']}"
    life = [
        ("adjust", 1, "A-2", "", "supervisor01", "test-supervisor"),
        ("ship", 3, parcel, "", "dock01", "test-dock"),
        ("pack", 3, "T-1", parcel, "packer01", "test-packer"),
        ("pick", 3, "A-1", "T-1", "picker01", "test-picker"),
        ("move", 2, "A-1", "A-2", "supervisor01", "test-supervisor"),
        ("putaway", 10, "DOCK-1", "A-1", "putaway01", "test-putaway"),
        ("receive", 10, "", "DOCK-1", "supervisor01", "test-supervisor"),
    ]
    by_lot = trace(api, "lot", LOT)
    assert steps(by_lot) == life
    assert {e["source"] for e in by_lot["entries"]} == {"movement"}
    assert by_lot["next_cursor"] is None
    assert [e["document"] for e in by_lot["entries"]][-1] == "ASN-7"
    by_sku = trace(api, "sku", "S3", customer="C1")
    assert steps(by_sku) == life
    assert (by_sku["customer"], by_sku["subject"]) == ("C1", "Cream")
    assert steps(trace(api, "location", "A-1")) == [life[3], life[4], life[5]]
    assert steps(trace(api, "user", "putaway01")) == [life[5]]
    # the command's audit line, its movement, and the login before
    assert [(e["source"], e["what"]) for e in trace(api, "user", "putaway01")["entries"]] == [
        ("audit", "putaway"),
        ("movement", "putaway"),
        ("audit", "login"),
    ]


def test_an_order_and_its_parcel_show_their_documents_between_the_movements(
    api: Api, floor: dict[str, Any]
) -> None:
    order = floor["order"]
    page = trace(api, "order", order["order_no"])
    assert [s[0] for s in steps(page)] == ["ship", "pack", "pick"]
    events = [e["what"] for e in page["entries"] if e["source"] == "event"]
    for expected in ("order.customs_status", "order.packed", "order.loaded", "order.shipped"):
        assert expected in events
    assert next(e["note"] for e in page["entries"] if e["what"] == "order.state_changed") == (
        "loaded → shipped"
    )
    whats = [e["what"] for e in page["entries"]]
    # newest first: the departure's ship movement and event come before the loading.
    assert whats.index("order.shipped") < whats.index("order.loaded") < whats.index("pack")
    assert [e["at"] for e in page["entries"]] == sorted(
        (e["at"] for e in page["entries"]), reverse=True
    )
    loaded = next(e for e in page["entries"] if e["what"] == "order.loaded")
    assert (loaded["user"], loaded["document"]) == ("dock01", floor["list_no"])

    parcel = trace(api, "parcel", order["waybill_no"])
    assert [s[0] for s in steps(parcel)] == ["ship", "pack"]
    assert {"order.packed", "order.loaded", "order.shipped"} <= {
        e["what"] for e in parcel["entries"] if e["source"] == "event"
    }


@pytest.mark.parametrize(
    ("kind", "value"),
    [("lot", LOT), ("sku", "S3"), ("location", "A-1"), ("order", None), ("user", "supervisor01")],
)
def test_pages_of_any_size_never_skip_or_repeat_a_row(
    api: Api, floor: dict[str, Any], kind: str, value: str | None
) -> None:
    value = value or floor["order"]["order_no"]
    whole = trace(api, kind, value, limit=500)["entries"]
    assert len(whole) >= 3

    @hsettings(
        max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(sizes=st.lists(st.integers(1, 4), min_size=1, max_size=5))
    def walk(sizes: list[int]) -> None:
        seen: list[dict[str, Any]] = []
        cursor = None
        for n in range(100):
            params: dict[str, Any] = {"limit": sizes[n % len(sizes)]}
            if cursor:
                params["before"] = cursor
            page = trace(api, kind, value, **params)
            assert len(page["entries"]) <= params["limit"]
            seen += page["entries"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == whole

    walk()


def test_the_csv_has_the_same_rows_and_no_formula_runs(api: Api, floor: dict[str, Any]) -> None:
    answer = api.get("/api/v1/trace/export", params={"kind": "lot", "value": LOT})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="trace-lot-L1.csv"' in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    page = trace(api, "lot", LOT)["entries"]
    assert [(r["id"], r["what"], r["quantity"], r["user"], r["device"]) for r in rows] == [
        (str(e["id"]), e["what"], str(e["quantity"]), e["user"], e["device"]) for e in page
    ]
    assert rows[0]["document"] == '\'=HYPERLINK("x")'


def test_where_did_it_go_accounts_for_a_planted_difference(api: Api) -> None:
    seed_outbound(api)
    put_stock(api, "A-3", "S1", 10)
    movement(api, sku="S1", kind="adjust", quantity=1, to_location="A-3", reason="found")
    movement(
        api,
        sku="S1",
        kind="move",
        quantity=3,
        from_location="A-3",
        to_location="A-4",
        reason="relabel",
    )
    picked = picked_order(api, [{"sku": "S1", "quantity": 2}], tote="T-2")
    reserved = add_order(api, [{"sku": "S1", "quantity": 1}])
    release(api, reserved["order_no"])
    wave(api, order_nos=[reserved["order_no"]])
    # The shelf shows 3 where the ledger holds 6: someone moved 3 units to A-4.
    answer = ok(
        api.get("/api/v1/trace/explain", params={"sku": "S1", "location": "A-3", "counted": 3})
    )
    assert (answer["ledger_quantity"], answer["counted"], answer["difference"]) == (6, 3, -3)
    assert answer["since"] is not None
    assert [(m["kind"], m["direction"]) for m in answer["movements_since"]] == [
        ("move", "out"),
        ("pick", "out"),
    ]
    best = answer["candidates"][0]
    assert (best["kind"], best["quantity"], best["location"], best["matches"]) == (
        "moved_out",
        3,
        "A-4",
        True,
    )
    assert best["text"].startswith("3 units moved to A-4 by supervisor01 at ")
    assert answer["held_elsewhere"] == [
        {
            "location": "T-2",
            "location_type": "tote",
            "quantity": 2,
            "lot": "",
            "order_no": picked["order_no"],
            "order_state": "picked",
            "picked_by": "picker01",
        }
    ]
    texts = [c["text"] for c in answer["candidates"]]
    assert f"2 units in tote T-2 for order {picked['order_no']} picked by picker01" in texts
    assert answer["reserved"] == [
        {"location": "A-3", "quantity": 1, "lot": "", "order_no": reserved["order_no"]}
    ]
    building = ok(api.get("/api/v1/trace/explain", params={"sku": "S1", "counted": 11}))
    assert (building["ledger_quantity"], building["difference"]) == (11, 0)
    assert building["candidates"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v1/trace", {"kind": "box", "value": "S1"}, 400, None),
        ("/api/v1/trace", {"kind": "sku", "value": "NOPE"}, 404, "SKU_NOT_FOUND"),
        (
            "/api/v1/trace",
            {"kind": "sku", "value": "S1", "customer": "C9"},
            404,
            "CUSTOMER_NOT_FOUND",
        ),
        ("/api/v1/trace", {"kind": "lot", "value": "NOPE"}, 404, "LOT_NOT_FOUND"),
        ("/api/v1/trace", {"kind": "location", "value": "Z-9"}, 404, "LOCATION_NOT_FOUND"),
        ("/api/v1/trace", {"kind": "order", "value": "SO-NONE"}, 404, "ORDER_NOT_FOUND"),
        ("/api/v1/trace", {"kind": "parcel", "value": "SF0"}, 404, "PARCEL_NOT_FOUND"),
        ("/api/v1/trace", {"kind": "user", "value": "ghost"}, 404, "USER_NOT_FOUND"),
        ("/api/v1/trace", {"kind": "sku", "value": " "}, 400, "TRACE_VALUE_MISSING"),
        ("/api/v1/trace", {"kind": "sku", "value": "S1", "before": "x"}, 400, "INVALID_CURSOR"),
        ("/api/v1/trace", {"kind": "sku", "value": "S1", "before": "1.2"}, 400, "INVALID_CURSOR"),
        (
            "/api/v1/trace",
            {"kind": "sku", "value": "S1", "before": "99999999999999999999"},
            400,
            None,
        ),
        ("/api/v1/trace", {"kind": "sku", "value": "S1", "limit": 0}, 400, None),
        ("/api/v1/trace", {"kind": "sku", "value": "S1", "limit": 501}, 400, None),
        ("/api/v1/trace/export", {"kind": "sku", "value": "NOPE"}, 404, "SKU_NOT_FOUND"),
        ("/api/v1/trace/explain", {"sku": "S1", "counted": -1}, 400, None),
        ("/api/v1/trace/explain", {"sku": "S1", "counted": 1, "location": "Z-9"}, 404, None),
    ],
)
def test_bad_input_gets_a_clear_code_and_changes_nothing(
    api: Api, path: str, params: dict[str, Any], status: int, code: str | None
) -> None:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 5)
    api.token("supervisor")
    before = table_counts(api.db)
    answer = api.get(path, params=params)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == (code or error["code"]) and error["message"]
    assert table_counts(api.db) == before


def test_a_picker_may_not_trace(api: Api) -> None:
    seed_outbound(api)
    answer = api.get("/api/v1/trace", role="picker", params={"kind": "sku", "value": "S1"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "ROLE_NOT_ALLOWED"
    explain = api.get("/api/v1/trace/explain", role="packer", params={"sku": "S1", "counted": 1})
    assert explain.status_code == 403
