"""The supervisor dashboard's numbers: movements planted at known site hours come back in
those hours (Asia/Shanghai, eight hours ahead of UTC), open work is counted per step, and
the throughput CSV says exactly what the JSON says."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest

from server.commands import SYSTEM, CommandContext
from server.config import Settings
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from tests.conftest import Api
from tests.outbound.helpers import customs, outbound_settings, released_order, seed_outbound

DAY = date(2026, 11, 23)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(tmp_path)  # Asia/Shanghai, the default site zone


def ids(api: Api) -> dict[str, int]:
    rows = api.db.read(
        lambda conn: [
            *conn.execute("SELECT 'sku:' || code, id FROM skus"),
            *conn.execute("SELECT 'loc:' || code, id FROM locations"),
            *conn.execute("SELECT 'cust:' || code, id FROM customers"),
        ]
    )
    return {r[0]: r[1] for r in rows}


def plant(
    api: Api, at: datetime, kind: str, quantity: int, src: str | None, dst: str | None
) -> None:
    """One movement of C1's soap written by the ledger at a chosen time."""
    known = ids(api)
    movement = MovementIn(
        kind=kind,  # type: ignore[arg-type]
        customer_id=known["cust:C1"],
        sku_id=known["sku:S1"],
        quantity=quantity,
        from_location_id=known[f"loc:{src}"] if src else None,
        to_location_id=known[f"loc:{dst}"] if dst else None,
    )
    ctx = CommandContext(
        actor=SYSTEM, key=f"plant-{at}-{kind}", at=at.isoformat(timespec="milliseconds")
    )
    api.db._write(lambda conn: post_movement(conn, ctx, movement))


def utc(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def planted_day(api: Api) -> None:
    seed_outbound(api)
    # 09:00 site time is 01:00 UTC; 00:00 site time on the 23rd is 16:00 UTC on the 22nd.
    plant(api, utc(16, 0, day=22), "receive", 7, None, "DOCK-1")  # site 00:00 → hour 0
    plant(api, utc(15, 59, day=22), "receive", 100, None, "DOCK-1")  # the 22nd: not counted
    plant(api, utc(1, 5), "receive", 30, None, "DOCK-1")  # site 09:05
    plant(api, utc(1, 59), "receive", 5, None, "DOCK-1")  # site 09:59
    plant(api, utc(2, 0), "putaway", 20, "DOCK-1", "A-1")  # site 10:00 sharp
    plant(api, utc(2, 30), "putaway", 12, "DOCK-1", "A-2")
    plant(api, utc(6, 15), "move", 3, "A-2", "A-3")  # a move is no step of the flow
    plant(api, utc(15, 59), "receive", 2, None, "DOCK-1")  # site 23:59
    plant(api, utc(16, 0), "receive", 50, None, "DOCK-1")  # the 24th already


def step(report: dict[str, Any], name: str) -> list[int]:
    return next(s["per_hour"] for s in report["throughput"]["steps"] if s["step"] == name)


def test_throughput_per_site_hour_equals_the_planted_movements(api: Api) -> None:
    planted_day(api)
    answer = api.get("/api/v1/dashboard", params={"day": DAY.isoformat()})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    hours = report["throughput"]["hours"]
    assert len(hours) == 24 and hours[0] == "00:00" and hours[9] == "09:00"
    received = step(report, "received")
    assert received[0] == 7 and received[9] == 35 and received[23] == 2
    assert sum(received) == 44
    put_away = step(report, "put_away")
    assert put_away[10] == 32 and sum(put_away) == 32
    assert sum(step(report, "picked")) == 0
    totals = {s["step"]: s["total"] for s in report["throughput"]["steps"]}
    assert totals == {
        "received": 44,
        "put_away": 32,
        "picked": 0,
        "packed": 0,
        "loaded": 0,
        "shipped": 0,
    }


def test_the_throughput_csv_equals_the_json(api: Api) -> None:
    planted_day(api)
    report = api.get("/api/v1/dashboard", params={"day": DAY.isoformat()}).json()
    answer = api.get("/api/v1/reports/throughput.csv", params={"day": DAY.isoformat()})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "throughput-2026-11-23.csv" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    steps = [s["step"] for s in report["throughput"]["steps"]]
    assert rows[0] == ["day", "hour", *steps]
    assert [r[1] for r in rows[1:-1]] == report["throughput"]["hours"]
    for n, row in enumerate(rows[1:-1]):
        assert [int(v) for v in row[2:]] == [step(report, s)[n] for s in steps]
    assert rows[-1] == ["2026-11-23", "total", "44", "32", "0", "0", "0", "0"]


def test_open_work_and_holds_are_counted_per_step(api: Api) -> None:
    planted_day(api)  # 44 + 100 + 50 received on DOCK-1, 32 put away: 162 wait there
    released_order(api, [{"sku": "S1", "quantity": 1}])
    held = released_order(api, [{"sku": "S1", "quantity": 1}])
    assert customs(api, held["order_no"], 500).status_code == 200
    report = api.get("/api/v1/dashboard", params={"day": DAY.isoformat()}).json()
    work = report["open_work"]
    assert work["units_to_put_away"] == 162
    assert work["orders_waiting"] + work["orders_to_pick"] == 2
    assert work["orders_to_pack"] == 0 and work["orders_to_load"] == 0
    assert report["holds"]["customs_holds"] == 1
    assert report["holds"]["held_orders"][0]["order_no"] == held["order_no"]
    assert [p["name"] for p in report["devices"]["printers"]] == ["label-1"]
    assert report["sync"]["enabled"] is False
    assert isinstance(report["alerts"], list)


def test_open_work_counts_the_adjustments_waiting_for_a_second_supervisor(api: Api) -> None:
    seed_outbound(api)
    over_limit = api.settings.ledger.approval_over_units + 1
    correction = {"kind": "receive", "customer": "C1", "sku": "S1", "reason": "found"}
    proposals = [
        api.post(
            "/api/v1/ledger/movements",
            json={**correction, "quantity": over_limit, "to_location": f"A-{n}"},
        ).json()
        for n in (1, 2)
    ]
    assert [p["status"] for p in proposals] == ["pending", "pending"]

    def waiting() -> int:
        return int(api.get("/api/v1/dashboard").json()["open_work"]["adjustments_to_approve"])

    assert waiting() == 2
    decided = api.post(f"/api/v1/ledger/adjustments/{proposals[0]['id']}/approve", role="admin")
    assert decided.status_code == 200, decided.text
    assert waiting() == 1


def test_the_dashboard_is_for_supervisors_and_refuses_a_bad_day(api: Api) -> None:
    assert api.get("/api/v1/dashboard", role="picker").status_code == 403
    assert api.get("/api/v1/reports/throughput.csv", role="packer").status_code == 403
    assert api.get("/api/v1/dashboard", params={"day": "2026-13-01"}).status_code == 400
    far = api.get("/api/v1/dashboard", params={"day": "9999-12-31"})
    assert far.status_code == 400
    assert far.json()["error"]["code"] == "DAY_OUT_OF_RANGE"
    assert api.get("/api/v1/dashboard").status_code == 200  # today on the site's calendar


def test_the_dashboard_gives_the_site_time_zone_its_times_are_shown_in(api: Api) -> None:
    report = api.get("/api/v1/dashboard").json()
    assert report["site"]["timezone"] == report["throughput"]["timezone"] == "Asia/Shanghai"
