"""The station agent and the server as two real processes over HTTP on loopback.

The agent finds the server by mDNS on 127.0.0.1 (an HTTPS server, as on a site, checked
against the site CA given to the agent), reads the bench's pseudo-terminal
scanner and drives the bench's network label printer; the server is stopped and started
again while scans wait in the agent's spool, and answers the agent never recorded are
sent again: every scan is applied once, in the order it was read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp

from tests.devices.escpos_raster import raster_images
from tests.devices.pty_port import Pty, wait_for
from tests.printing.fake_printer import FakePrinter
from tests.stations.live_site import BENCH, PACKER_BADGE, LiveSite


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveSite]:
    printer = FakePrinter().start()
    scanner = Pty(tmp_path / "ttyBenchScanner")
    https = request.node.get_closest_marker("https") is not None
    site = LiveSite(folder=tmp_path, printer=printer, scanner=scanner, https=https)
    site.prepare()
    try:
        yield site
    finally:
        site.close()
        printer.stop()
        print("--- serve.log ---\n" + site.log("serve")[-3000:])
        print("--- agent.log ---\n" + site.log("agent")[-3000:])


def outcomes(rows: list[sqlite3.Row]) -> list[tuple[str, str, str]]:
    return [(r["code"], r["outcome"], r["error_code"]) for r in rows]


@pytest.mark.https
def test_an_agent_found_by_mdns_packs_from_its_serial_scanner_and_prints_the_face_sheet(
    live: LiveSite,
) -> None:
    live.start_server()
    assert live.base_url.startswith("https://")
    order, tote, items = live.picked_order()
    live.start_agent(by_mdns=True)
    wait_for(lambda: "found bondfloor " + live.site in live.log("agent"), timeout=20)
    assert f"at https://127.0.0.1:{live.port}" in live.log("agent")
    wait_for(lambda: live.read("SELECT agent_seen_at FROM station_state"), timeout=10)
    live.wait_for_scanner()

    live.scan(PACKER_BADGE, tote, *items)
    rows = live.wait_for_scans(2 + len(items))
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("sign_in", "ok"),
        ("open", "ok"),
        *[("pack_scan", "ok")] * len(items),
    ]
    assert rows[-1]["user_code"] == "pack01"
    packed = live.call("pack01", "POST", f"/api/v1/stations/{BENCH}/pack", {"weight_g": 640})
    assert packed["waybill_no"] == order["waybill_no"]

    (label,) = live.printer.wait_for_jobs(1, timeout=15)
    (image,) = raster_images(label)
    codes = {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}
    assert codes["Code128"] == order["waybill_no"]
    wait_for(
        lambda: (
            live.read("SELECT status FROM print_jobs WHERE id = ?", packed["print_job"]["id"])[0][0]
            == "done"
        ),
        timeout=10,
    )
    (state,) = live.read("SELECT state FROM printer_status WHERE printer = 'bench-label'")
    assert state[0] == "online"


def test_scans_wait_on_disk_while_the_server_is_down_and_apply_once_in_order(
    live: LiveSite,
) -> None:
    live.start_server()
    order, tote, items = live.picked_order(min_units=2)
    live.start_agent(by_mdns=False)
    live.wait_for_scanner()
    live.scan(PACKER_BADGE, tote)
    live.wait_for_scans(2)

    live.stop_server()
    live.scan(*items, items[0])  # every unit, then one too many
    wait_for(lambda: live.spool("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL")[0][0] == 3)
    assert "server link down" in live.log("agent")

    live.start_server()
    rows = live.wait_for_scans(5, timeout=20)
    wait_for(lambda: live.spool("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL")[0][0] == 0)
    assert outcomes(rows[2:]) == [
        (items[0], "ok", ""),
        (items[1], "ok", ""),
        (items[0], "refused", "ITEM_OVER_PACKED"),
    ]
    spool_keys = [
        f"{k}:{seq}"
        for k, seq in live.spool(
            "SELECT (SELECT value FROM meta WHERE key = 'spool_id'), seq FROM scans ORDER BY seq"
        )
    ]
    assert [r["scan_key"] for r in rows] == spool_keys

    # Answers the agent never recorded (as if lost on the way): sent again, applied once.
    live.stop_agent()
    conn = sqlite3.connect(live.spool_path)
    conn.execute("UPDATE scans SET sent_at = NULL WHERE seq > 2")
    conn.commit()
    conn.close()
    live.start_agent(by_mdns=False)
    live.wait_for_scanner()
    wait_for(lambda: live.spool("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL")[0][0] == 0)
    assert len(live.station_scans()) == 5
    (packed,) = live.read(
        "SELECT COALESCE(SUM(quantity), 0) FROM pack_scans WHERE order_id = ?", order["id"]
    )
    assert packed[0] == len(items)
    replayed = live.spool("SELECT outcome, error_code FROM scans WHERE seq > 2 ORDER BY seq")
    assert replayed == [("ok", ""), ("ok", ""), ("refused", "ITEM_OVER_PACKED")]

    # An agent started while the server is away opens its scanners from the kept
    # configuration and keeps what they read for later.
    live.stop_agent()
    live.stop_server()
    live.start_agent(by_mdns=False)
    live.wait_for_scanner()
    live.scan(PACKER_BADGE)
    wait_for(lambda: live.spool("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL")[0][0] == 1)
    assert "last configuration" in live.log("agent")
    live.start_server()
    rows = live.wait_for_scans(6, timeout=20)
    assert (rows[-1]["action"], rows[-1]["outcome"]) == ("sign_in", "ok")
