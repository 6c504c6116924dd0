"""A small outbound site: customers, SKUs, stock in storage, totes, lanes, a pack bench."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from server.config import (
    DatabaseSettings,
    OutboundSettings,
    PrinterSettings,
    PrintingSettings,
    Settings,
    StationSettings,
)
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from tests.conftest import Api, command_by_service

SOAP = "6901234567892"  # C1 / S1
GEL = "4006381333931"  # C2 / S2
CREAM = "4901234567894"  # C1 / S3, lot and expiry tracked
_orders = itertools.count(1)


def outbound_settings(tmp_path: Any, **outbound: Any) -> Settings:
    return Settings(
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        # A printer that is never there: face sheets stay queued for the tests to look at.
        printers=[PrinterSettings(name="label-1", kind="network", host="127.0.0.1", port=9)],
        printing=PrintingSettings(retry_min_seconds=3600, retry_max_seconds=3600),
        stations=[StationSettings(name="pack-01", kind="pack_bench", printers=["label-1"])],
        outbound=OutboundSettings(**outbound),
    )


def seed_outbound(api: Api) -> None:
    """The site's master data, written by the master data commands as their routes run
    them, without the HTTP round trips (tests/api/test_masterdata.py tests those routes)."""
    for code in ("C1", "C2"):
        customer = msgspec.convert({"code": code, "name": code}, CustomerIn)
        command_by_service(api, "customer.upsert", customer, masterdata.upsert_customer)
    skus = [
        {"customer": "C1", "code": "S1", "name": "Soap", "barcodes": [SOAP]},
        {"customer": "C2", "code": "S2", "name": "Gel", "barcodes": [GEL]},
        {
            "customer": "C1",
            "code": "S3",
            "name": "Cream",
            "barcodes": [CREAM],
            "lot_tracked": True,
            "expiry_tracked": True,
            "shelf_life_days": 720,
        },
    ]
    for sku in skus:
        command_by_service(api, "sku.upsert", msgspec.convert(sku, SkuIn), masterdata.upsert_sku)
    locations = [("DOCK-1", "dock", 0)]
    locations += [(f"A-{i}", "storage", i) for i in range(1, 7)]
    locations += [(f"T-{i}", "tote", 0) for i in range(1, 9)]
    locations += [("OUT-01", "outbound_lane", 0), ("INSP-01", "inspection", 0)]
    locations += [("STG-1", "staging", 0)]
    for code, type_, seq in locations:
        location = msgspec.convert(
            {"code": code, "zone": code.split("-")[0], "type": type_, "pick_sequence": seq},
            LocationIn,
        )
        command_by_service(api, "location.upsert", location, masterdata.upsert_location)


def put_stock(
    api: Api,
    location: str,
    sku: str,
    quantity: int,
    *,
    customer: str = "C1",
    lot: str = "",
    expiry: str = "",
) -> None:
    answer = api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "receive",
            "reason": "opening_balance",
            "customer": customer,
            "sku": sku,
            "quantity": quantity,
            "lot": lot,
            "expiry": expiry,
            "to_location": location,
        },
    )
    assert answer.status_code == 200, answer.text
    if answer.json().get("status") == "pending":  # over the limit: a second manager approves
        approved = api.post(
            f"/api/v1/ledger/adjustments/{answer.json()['id']}/approve", role="admin"
        )
        assert approved.status_code == 200, approved.text


def order_json(
    lines: list[dict[str, Any]],
    *,
    customer: str = "C1",
    order_no: str | None = None,
    courier: str = "SF",
    cutoff_hours: float | None = 4,
) -> dict[str, Any]:
    n = next(_orders)
    body: dict[str, Any] = {
        "customer": customer,
        "order_no": order_no or f"SO{n:06d}",
        "courier": courier,
        "waybill_no": f"SF{7_000_000_000 + n}",
        "routing": {
            "sort_code": "342-081-00 052",
            "consolidation_point": "深圳集包",
            "product_type": "标准快递",
        },
        "recipient": {
            "name": "张三丰",
            "phone": "13812345678",
            "province": "广东省",
            "city": "深圳市",
            "district": "南山区",
            "address": "科技园南路十八号大厦三楼",
        },
        "sender": {"name": "Bonded DC", "phone": "0755-1234567", "address": "前海保税区一号仓"},
        "lines": lines,
    }
    if cutoff_hours is not None:
        body["cutoff_at"] = (datetime.now(UTC) + timedelta(hours=cutoff_hours)).isoformat()
    return body


def add_order(api: Api, lines: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/orders", role="oms", json=order_json(lines, **kw))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


_status_clock = itertools.count(1)


def customs(api: Api, order_no: str, code: int, at: datetime | None = None) -> Any:
    """Send a customs reply; without a time, each reply is a second later than the last."""
    at = at or datetime(2026, 11, 23, 8, 0, tzinfo=UTC) + timedelta(seconds=next(_status_clock))
    return api.post(
        "/api/v1/customs-statuses",
        role="oms",
        json={"order_no": order_no, "code": code, "status_at": at.isoformat()},
    )


def release(api: Api, order_no: str) -> None:
    answer = customs(api, order_no, 800)
    assert answer.status_code == 200, answer.text


def wave(api: Api, **body: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/waves", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def next_task(api: Api, wave_id: int, role: str = "picker") -> dict[str, Any] | None:
    answer = api.post(f"/api/v1/waves/{wave_id}/next-task", role=role)
    assert answer.status_code == 200, answer.text
    task: dict[str, Any] | None = answer.json()["task"]
    return task


def pick(api: Api, task: dict[str, Any], tote: str, *, item: str | None = None, **kw: Any) -> Any:
    body = {
        "location": task["location"],
        "item": item or task["barcodes"][0],
        "quantity": kw.pop("quantity", task["remaining"]),
        "tote": tote,
    }
    lot = kw.pop("lot", task["lot"] if task["lot_to_confirm"] else None)
    if lot is not None:  # the picker scans the lot label after a plain EAN
        body["lot"] = lot
    return api.post(
        f"/api/v1/pick-tasks/{task['id']}/confirm", role=kw.pop("role", "picker"), json=body
    )


def pick_all(api: Api, wave_id: int, totes: dict[str, str]) -> None:
    """Pick every task of the wave, each order into the tote named for it."""
    while (task := next_task(api, wave_id)) is not None:
        answer = pick(api, task, totes[task["order_no"]])
        assert answer.status_code == 200, answer.text


def pack(api: Api, order_id: int, scans: list[str], weight_g: int = 850) -> Any:
    for scan in scans:
        answer = api.post(
            f"/api/v1/orders/{order_id}/pack-scans",
            role="packer",
            json={"scan": scan, "station": "pack-01"},
        )
        assert answer.status_code == 200, answer.text
    return api.post(
        f"/api/v1/orders/{order_id}/pack",
        role="packer",
        json={"weight_g": weight_g, "station": "pack-01"},
    )


def balance(api: Api, location: str) -> dict[tuple[str, str], int]:
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT s.code, b.lot, b.quantity FROM balances b JOIN skus s ON s.id = b.sku_id "
            "JOIN locations l ON l.id = b.location_id WHERE l.code = ?",
            (location,),
        ).fetchall()
    )
    return {(r[0], r[1]): r[2] for r in rows}


def reserved(api: Api) -> int:
    return int(
        api.db.read(
            lambda conn: conn.execute(
                "SELECT COALESCE(SUM(quantity), 0) FROM reservations"
            ).fetchone()[0]
        )
    )


def released_order(api: Api, lines: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    order = add_order(api, lines, **kw)
    release(api, order["order_no"])
    return order


def picked_order(api: Api, lines: list[dict[str, Any]], tote: str = "T-1") -> dict[str, Any]:
    """A released order, waved on its own and picked whole into `tote`."""
    order = released_order(api, lines)
    built = wave(api, order_nos=[order["order_no"]])
    pick_all(api, built["id"], {order["order_no"]: tote})
    return order
