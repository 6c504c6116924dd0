"""Scans from fixed scanners go to what is open at their station (in-process API)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from server.auth import service as auth
from server.config import PrinterSettings, Settings, StationSettings
from tests.conftest import Api, _ctx, add_user, table_counts
from tests.outbound.helpers import (
    CREAM,
    SOAP,
    customs,
    outbound_settings,
    picked_order,
    put_stock,
    seed_outbound,
)

BADGE = "BF-BADGE-7001"


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    base = outbound_settings(tmp_path)
    return base.__class__(
        **{
            **{f: getattr(base, f) for f in base.__struct_fields__},
            "printers": [
                *base.printers,
                PrinterSettings(
                    name="bench-2",
                    kind="file",
                    via_station="pack-02",
                    folder=str(tmp_path / "printouts"),
                ),
            ],
            "stations": [
                *base.stations,
                StationSettings(name="pack-02", kind="pack_bench", printers=["bench-2"]),
                StationSettings(name="print-1", kind="printer_station", printers=["label-1"]),
                StationSettings(name="door-1", kind="dock_door"),
            ],
        }
    )


def station_token(api: Api, name: str) -> str:
    return str(api.db._write(lambda c: auth.add_api_token(c, _ctx(), name, "station"))["token"])


class Station:
    """A station's agent as the server sees it: its token and its scans."""

    def __init__(self, api: Api, name: str) -> None:
        self.api, self.name = api, name
        self.headers = {"Authorization": f"Bearer {station_token(api, name)}"}
        self.n = 0

    def scan(self, code: str, key: str | None = None) -> Any:
        self.n += 1
        answer = self.api.client.post(
            f"/api/v1/stations/{self.name}/scans",
            headers={**self.headers, "Idempotency-Key": key or f"{self.name}:{self.n}"},
            json={"code": code, "scanner": "s1", "symbology": "]E0"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    add_user(api.db, api.settings, "pk7", ["packer"], badge=BADGE)
    add_user(api.db, api.settings, "pi7", ["picker"], badge="BF-BADGE-7002")
    put_stock(api, "A-1", "S1", 20)
    return api


def test_a_bench_scanner_packs_the_order_open_at_the_bench(site: Api) -> None:
    order = picked_order(site, [{"sku": "S1", "quantity": 2}], tote="T-1")
    bench = Station(site, "pack-01")
    assert bench.scan("T-1")["error_code"] == "STATION_NO_USER"
    signed = bench.scan(BADGE)
    assert (signed["action"], signed["outcome"], signed["user_code"]) == ("sign_in", "ok", "pk7")
    opened = bench.scan("T-1")
    assert (opened["action"], opened["effect"]["order"]["order_no"]) == ("open", order["order_no"])
    first = bench.scan(SOAP)
    assert (first["action"], first["effect"]["packed"], first["effect"]["complete"]) == (
        "pack_scan",
        1,
        False,
    )
    assert bench.scan("4006381333931")["error_code"] == "ITEM_NOT_ON_ORDER"
    assert bench.scan(SOAP)["effect"]["complete"] is True
    assert bench.scan(SOAP)["error_code"] == "ITEM_OVER_PACKED"
    other = site.post(
        "/api/v1/stations/pack-01/pack",
        role="packer",
        json={"weight_g": 900, "order_no": "SO-NOT-OPEN"},
    )
    assert other.json()["error"]["code"] == "ORDER_NOT_OPEN_HERE"
    made = site.post(
        "/api/v1/stations/pack-01/pack",
        role="packer",
        json={"weight_g": 900, "order_no": order["order_no"]},
    )
    assert made.status_code == 200, made.text
    assert made.json()["print_job"]["printer"] == "label-1"
    packed = site.db.read(
        lambda c: c.execute(
            "SELECT user_code, device FROM pack_scans p JOIN orders o ON o.id = p.order_id "
            "WHERE o.order_no = ?",
            (order["order_no"],),
        ).fetchall()
    )
    assert [tuple(r) for r in packed] == [("pk7", "station:pack-01")] * 2
    view = site.get("/api/v1/stations/pack-01", role="packer").json()
    assert view["order"] is None and view["last_parcel"]["order_no"] == order["order_no"]
    feed = site.get("/api/v1/stations/pack-01/scans?after=0", role="packer").json()
    assert [s["outcome"] for s in feed] == ["refused", "ok", "ok", "ok", "refused", "ok", "refused"]


def test_a_bench_scanner_takes_the_lot_label_after_a_plain_ean_of_a_lot_tracked_item(
    site: Api,
) -> None:
    put_stock(site, "A-2", "S3", 1, lot="L1", expiry="2027-05-31")
    put_stock(site, "A-3", "S3", 1, lot="L2", expiry="2027-08-31")
    order = picked_order(site, [{"sku": "S3", "quantity": 2}], tote="T-1")
    bench = Station(site, "pack-01")
    bench.scan(BADGE)
    assert bench.scan("T-1")["action"] == "open"
    plain = bench.scan(CREAM)
    assert (plain["error_code"], plain["effect"]["details"]["lots"]) == (
        "LOT_CONFIRMATION_REQUIRED",
        ["L1", "L2"],
    )
    assert bench.scan("L9")["error_code"] == "LOT_MISMATCH"  # the item still waits
    first = bench.scan("L2")
    assert (first["outcome"], first["effect"]["packed"]) == ("ok", 1)
    assert bench.scan("L1")["error_code"] == "ITEM_NOT_ON_ORDER"  # nothing waits now
    assert bench.scan(CREAM)["error_code"] == "LOT_CONFIRMATION_REQUIRED"
    assert bench.scan(CREAM)["error_code"] == "LOT_CONFIRMATION_REQUIRED"  # a new item
    assert bench.scan("]C110L1")["effect"]["complete"] is True
    lots = site.db.read(
        lambda c: sorted(
            r[0] for r in c.execute("SELECT lot FROM pack_scans WHERE order_id = ?", (order["id"],))
        )
    )
    assert lots == ["L1", "L2"]


def test_a_repeated_station_key_is_one_scan(site: Api) -> None:
    picked_order(site, [{"sku": "S1", "quantity": 3}], tote="T-2")
    bench = Station(site, "pack-01")
    bench.scan(BADGE)
    bench.scan("T-2")
    first = bench.scan(SOAP, key="spool-1:9")
    again = bench.scan(SOAP, key="spool-1:9")
    assert again == first
    count = site.db.read(lambda c: c.execute("SELECT COUNT(*) FROM pack_scans").fetchone()[0])
    assert count == 1


def test_a_held_order_is_refused_at_the_bench_and_nothing_changes(site: Api) -> None:
    order = picked_order(site, [{"sku": "S1", "quantity": 1}], tote="T-3")
    assert customs(site, order["order_no"], 500).status_code == 200
    bench = Station(site, "pack-01")
    bench.scan(BADGE)
    refused = bench.scan("T-3")
    assert refused["outcome"] == "refused" and refused["error_code"].startswith("ORDER_")
    assert site.get("/api/v1/stations/pack-01", role="packer").json()["order"] is None


def test_a_token_scans_for_its_own_station_only(site: Api) -> None:
    other = Station(site, "pack-02")
    before = table_counts(site.db)
    answer = site.client.post(
        "/api/v1/stations/pack-01/scans",
        headers={**other.headers, "Idempotency-Key": "x-1"},
        json={"code": BADGE},
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "STATION_MISMATCH")
    unknown = site.client.post(
        "/api/v1/stations/nope/scans",
        headers={**other.headers, "Idempotency-Key": "x-2"},
        json={"code": BADGE},
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "STATION_UNKNOWN")
    after = table_counts(site.db)
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def test_the_printer_station_looks_up_a_parcels_labels(site: Api) -> None:
    order = picked_order(site, [{"sku": "S1", "quantity": 1}], tote="T-4")
    bench = Station(site, "pack-01")
    bench.scan(BADGE)
    bench.scan("T-4")
    bench.scan(SOAP)
    assert (
        site.post(
            "/api/v1/stations/pack-01/pack", role="packer", json={"weight_g": 500}
        ).status_code
        == 200
    )
    desk = Station(site, "print-1")
    found = desk.scan(order["waybill_no"])
    assert found["action"] == "lookup" and found["outcome"] == "ok"
    assert [j["printer"] for j in found["effect"]["jobs"]] == ["label-1"]
    assert desk.scan("SF0000000000")["error_code"] == "PARCEL_NOT_FOUND"


def test_a_dock_door_takes_dock_staff_only(site: Api) -> None:
    door = Station(site, "door-1")
    refused = door.scan("BF-BADGE-7002")
    assert (refused["action"], refused["error_code"]) == ("sign_in", "ROLE_NOT_ALLOWED")
    assert door.scan("SF123")["error_code"] == "STATION_NO_USER"
    add_user(site.db, site.settings, "dk7", ["dock"], badge="BF-BADGE-7003")
    assert door.scan("BF-BADGE-7003")["outcome"] == "ok"
    no_list = door.scan("粤B12345")
    assert (no_list["action"], no_list["error_code"]) == ("open_list", "LIST_NOT_FOUND")


def test_an_agent_printer_is_claimed_by_its_agent_and_settled_by_its_answer(site: Api) -> None:
    picked_order(site, [{"sku": "S1", "quantity": 1}], tote="T-5")
    bench = Station(site, "pack-02")
    bench.scan(BADGE)
    bench.scan("T-5")
    bench.scan(SOAP)
    made = site.post("/api/v1/stations/pack-02/pack", role="packer", json={"weight_g": 700})
    job_id = made.json()["print_job"]["id"]
    config = site.client.get("/api/v1/station/config", headers=bench.headers).json()
    assert [p["name"] for p in config["printers"]] == ["bench-2"]
    claim = site.client.post("/api/v1/station/printers/bench-2/next-job", headers=bench.headers)
    assert claim.status_code == 200 and claim.json()["id"] == job_id
    assert base64.b64decode(claim.json()["escpos"]).startswith(b"\x1b@")
    away = site.client.post(
        f"/api/v1/station/print-jobs/{job_id}/result",
        headers=bench.headers,
        json={"outcome": "unavailable", "state": "offline", "detail": "cover open"},
    )
    assert away.json()["status"] == "queued"
    printers = {p["name"]: p for p in site.get("/api/v1/printers").json()}
    assert printers["bench-2"]["state"] == "offline"
    site.db._write(lambda c: c.execute("UPDATE print_jobs SET next_attempt_at = ''"))
    again = site.client.post("/api/v1/station/printers/bench-2/next-job", headers=bench.headers)
    assert again.json()["id"] == job_id and again.json()["attempts"] == 2
    done = site.client.post(
        f"/api/v1/station/print-jobs/{job_id}/result",
        headers=bench.headers,
        json={"outcome": "printed"},
    )
    assert done.json()["status"] == "done"
    none = site.client.post("/api/v1/station/printers/bench-2/next-job", headers=bench.headers)
    assert none.status_code == 204
    other = Station(site, "pack-01")
    refused = site.client.post("/api/v1/station/printers/bench-2/next-job", headers=other.headers)
    assert refused.json()["error"]["code"] == "PRINTER_NOT_AT_STATION"


def test_a_heartbeat_shows_the_agent_and_its_devices(site: Api) -> None:
    bench = Station(site, "pack-02")
    beat = site.client.post(
        "/api/v1/station/heartbeat",
        headers=bench.headers,
        json={
            "version": "1.0",
            "scanners": {"s1": {"state": "unavailable", "detail": "unplugged"}},
            "printers": {"bench-2": {"state": "online"}},
            "buffered_scans": 3,
        },
    )
    assert beat.status_code == 200, beat.text
    view = site.get("/api/v1/stations/pack-02", role="packer").json()
    assert view["agent"]["devices"]["scanners"]["s1"]["state"] == "unavailable"
    assert view["agent"]["devices"]["buffered_scans"] == 3
    printers = {p["name"]: p for p in site.get("/api/v1/printers").json()}
    assert printers["bench-2"]["state"] == "online"
    health = site.client.get("/health").json()["stations"]
    assert health["pack-02"] == {
        "agent": "online",
        "seen_at": view["agent"]["seen_at"],
        "buffered_scans": 3,
        "scanners": {"s1": "unavailable"},
    }
    assert "pack-01" not in health  # no fixed scanner, no agent printer: no agent expected


def test_a_badge_scan_is_masked_in_the_answer_the_feed_the_replay_and_the_audit(
    site: Api,
) -> None:
    bench = Station(site, "pack-02")
    signed = bench.scan(BADGE, key="badge-1")
    assert (signed["action"], signed["outcome"], signed["code"]) == ("sign_in", "ok", "****01")
    door = Station(site, "door-1")
    refused = door.scan("BF-BADGE-7002")  # a picker may not work at a door: refused, masked
    assert (refused["action"], refused["code"]) == ("sign_in", "****02")
    # A packer or a dock user reading a station's feed never sees a badge.
    feeds = [
        site.get(f"/api/v1/stations/{name}/scans", role=role).text
        for name, role in (("pack-02", "packer"), ("door-1", "dock"))
    ]
    assert all("BF-BADGE" not in feed for feed in feeds) and "****01" in feeds[0]
    assert bench.scan(BADGE, key="badge-1")["code"] == "****01"  # the stored replay too
    dump = "\n".join(site.db.read(lambda conn: list(conn.iterdump())))
    assert BADGE not in dump and "BF-BADGE-7002" not in dump


def test_a_managers_badge_alone_does_not_take_a_station(site: Api) -> None:
    add_user(site.db, site.settings, "sup7", ["supervisor"], badge="BF-BADGE-7009")
    bench = Station(site, "pack-02")
    refused = bench.scan("BF-BADGE-7009")
    assert (refused["action"], refused["error_code"]) == ("sign_in", "BADGE_NEEDS_PIN")
    assert site.get("/api/v1/stations/pack-02", role="packer").json()["user"] is None
