"""The station page: a station's fixed scanner, simulated by its station token posting
scans over real HTTP as the station agent does, shows every scan live in a real Chromium
(no reload), refused ones red with their translated reason; at a pack bench the order
open there follows each scan and the packer weighs and packs on the page, and the face
sheet comes out of the bench's label printer; at the printer station a parcel scanned
shows its labels and a reprint with a reason queues a marked copy.

Tests take their own orders (one released single-line ZTO order, and an order made
through the API), and their own stations (pack-02, print-desk), so they never meet the
other tests on the shared server.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import DOCK_DOOR, LABEL_PRINTER, PRINT_DESK, Server
from tests.e2e.test_dock import oms, released_orders  # noqa: F401 (oms: a fixture)
from tests.e2e.test_inbound import (
    SPY_ON_SOUND_AND_VIBRATION,
    Api,
    assert_fits_phone,
    expect_feedback,
    feedback_count,
    sounds,
    wedge_scan,
)
from tests.e2e.test_outbound import (
    BAD_TONES,
    GOOD_TONES,
    ean_of,
    free_totes,
    order_by_no,
    order_items,
    other_ean,
)
from tests.e2e.test_printing import pick_wave, printed_waybills, well_stocked_sku
from tests.live_server import DEMO_BADGES
from tests.printing.fake_printer import FakePrinter

pytestmark = pytest.mark.e2e

BENCH = "pack-02"
PACKER_BADGE = DEMO_BADGES["pack01"]  # pack01, 陈打包 (server/demo.py)
PACKER_NAME = "陈打包"
DESK = {"width": 1280, "height": 800}
RED = "rgb(196, 18, 26)"  # --bad in css/app.css


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("station-screenshots")
    print(f"screenshots: {folder}")
    return folder


@dataclass
class FixedScanner:
    """A station's agent as the server sees it: its token, its scans and heartbeats."""

    server: Server
    station: str
    token: str
    scanner: str

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.server.base_url}{path}",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{self.station}:{uuid.uuid4().hex}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{path} refused: {err.read().decode()}") from err

    def scan(self, code: str) -> dict[str, Any]:
        scan = self.post(
            f"/api/v1/stations/{self.station}/scans", {"code": code, "scanner": self.scanner}
        )
        assert isinstance(scan, dict)
        return scan

    def heartbeat(self, buffered: int) -> None:
        self.post(
            "/api/v1/station/heartbeat",
            {
                "version": "0.9-e2e",
                "scanners": {self.scanner: {"state": "available"}},
                "buffered_scans": buffered,
            },
        )


@pytest.fixture
def fixed_scanner(
    server: Server, station_token: Callable[[str], str]
) -> Callable[[str, str], FixedScanner]:
    def fixed_scanner(station: str, scanner: str) -> FixedScanner:
        return FixedScanner(server, station, station_token(station), scanner)

    return fixed_scanner


@pytest.fixture
def desk(browser: Browser, server: Server, session_token: Callable[[str], str]) -> Iterator[Page]:
    """The printer station's PC: a desk-sized screen with the packer's session."""
    context = browser.new_context(base_url=server.base_url, viewport=DESK, locale="zh-CN")
    screen = context.new_page()
    errors: list[str] = []
    screen.on("pageerror", lambda err: errors.append(str(err)))
    screen.add_init_script(
        f"sessionStorage.setItem('bondfloor.token', {session_token('pack01')!r})"
    )
    yield screen
    context.close()
    assert not errors, f"JavaScript errors on the station page: {errors}"


# What the page shows ---------------------------------------------------------------------


def feed_row(page: Page, scan: dict[str, Any]) -> Locator:
    return page.locator(f'#scan-feed .feed-row[data-scan-id="{scan["id"]}"]')


def expect_live(page: Page, scan: dict[str, Any], outcome: str, text: str) -> Locator:
    """The scan shows up in the feed by itself, on top, with its outcome and message."""
    row = feed_row(page, scan)
    expect(row).to_have_attribute("data-outcome", outcome)
    expect(row.locator(".feed-message")).to_have_text(text)
    expect(row.locator(".feed-code")).to_have_text(scan["code"])
    expect(page.locator("#scan-feed .feed-row").first).to_have_attribute(
        "data-scan-id", str(scan["id"])
    )
    return row


def fixed_scan(
    page: Page, scanner: FixedScanner, code: str, kind: str, text: str
) -> dict[str, Any]:
    """The fixed scanner reads `code`: the page shows it and sounds it, without a reload."""
    before = feedback_count(page)
    scan = scanner.scan(code)
    expect_live(page, scan, "ok" if kind == "good" else "refused", text)
    expect_feedback(page, kind, before, text)
    return scan


def is_red(row: Locator) -> bool:
    color = row.evaluate("r => getComputedStyle(r).borderLeftColor")
    message = row.locator(".feed-message").evaluate("m => getComputedStyle(m).color")
    return bool(color == RED and message == RED)


def line(page: Page, sku: str) -> Locator:
    return page.locator(f'#order .pack-line[data-sku="{sku}"]')


# The pack bench --------------------------------------------------------------------------


def test_fixed_scanner_scans_show_live_and_the_packer_packs_at_the_bench(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    oms: Api,  # noqa: F811
    demo_db: sqlite3.Connection,
    fixed_scanner: Callable[[str, str], FixedScanner],
    label_printer: FakePrinter,
    shots: Any,
) -> None:
    # Without lots (the bench's lot-label step is tested in tests/stations), and our own:
    # the demo day's single-line orders are few and other page tests take them.
    (order,) = released_orders(api, oms, demo_db, "SF", 1)
    wave = api.call("sup01", "POST", "/api/v1/waves", {"order_nos": [order["order_no"]]})
    assert wave["orders"] == 1, wave
    (tote,) = free_totes(demo_db, 1)
    pick_wave(api, demo_db, wave["id"], {order["order_no"]: tote})
    ((sku, quantity),) = order_items(demo_db, order["id"])
    scanner = fixed_scanner(BENCH, "bench-scanner")

    # The packer opens the bench's page on the phone: nobody works there yet.
    page.add_init_script(SPY_ON_SOUND_AND_VIBRATION)
    logged_in_as("pack01")
    page.goto("/home.html")
    page.locator('[data-menu="station"]').click()
    expect(page).to_have_url(re.compile(r"/station\.html"))
    page.goto(f"/station.html?name={BENCH}")
    expect(page.locator("#station-name")).to_have_text(BENCH)
    expect(page.locator("#station-kind")).to_have_text("打包台")
    expect(page.locator("#station-user")).to_have_text("无人签到：请扫工牌")
    expect(page.locator("#agent-state")).to_have_attribute("data-state", "never")
    expect(page.locator("#order-empty")).to_have_text("请先扫工牌签到")
    page.evaluate("window.__notReloaded = true")

    # The agent comes up: online, its scanner ready, scans waiting in its spool.
    scanner.heartbeat(buffered=3)
    agent = page.locator("#agent-state")
    expect(agent).to_have_attribute("data-state", "online", timeout=10_000)
    expect(agent.locator("#agent-line")).to_have_text("采集程序在线 · 版本 0.9-e2e")
    expect(agent.locator('.agent-device[data-device="bench-scanner"]')).to_have_text(
        "bench-scanner：正常"
    )
    expect(agent.locator("#agent-buffered")).to_have_text("采集程序缓存了 3 条扫描，待上传")

    # A tote before anyone signed in: refused, red, and the bad sound.
    sounds(page)
    refused = fixed_scan(page, scanner, tote, "bad", "无人签到：请先扫工牌")
    assert refused["error_code"] == "STATION_NO_USER"
    assert is_red(feed_row(page, refused)), "a refused scan must stand out"
    assert sounds(page)[0] == BAD_TONES

    # The badge signs the packer in; the tote opens the order.
    signed = fixed_scan(page, scanner, PACKER_BADGE, "good", f"{PACKER_NAME} 已签到")
    expect(feed_row(page, signed)).to_have_attribute("data-action", "sign_in")
    assert not is_red(feed_row(page, signed))
    expect(page.locator("#station-user")).to_have_text(f"在岗：{PACKER_NAME}（pack01）")
    expect(page.locator("#sign-out")).to_be_visible()
    expect(page.locator("#sign-in")).to_be_hidden()
    fixed_scan(page, scanner, tote, "good", f"订单 {order['order_no']} 已打开")
    expect(page.locator("#order")).to_have_attribute("data-order-no", order["order_no"])
    expect(page.locator("#order-no")).to_have_text(order["order_no"])
    expect(page.locator("#order-waybill")).to_contain_text(order["waybill_no"])
    expect(line(page, sku)).to_have_attribute("data-packed", "0")
    expect(line(page, sku)).to_have_attribute("data-ordered", str(quantity))
    expect(page.locator("#weigh")).to_be_hidden()

    # A wrong item: refused in red, nothing counted.
    wrong = other_ean(demo_db, [sku])
    sounds(page)
    bad = fixed_scan(page, scanner, wrong, "bad", f"错货：{wrong} 不在此订单中")
    assert bad["error_code"] == "ITEM_NOT_ON_ORDER"
    assert is_red(feed_row(page, bad))
    assert sounds(page)[0] == BAD_TONES
    expect(line(page, sku)).to_have_attribute("data-packed", "0")

    # The right items, one by one: the counter follows each scan.
    ean = ean_of(demo_db, sku)
    for n in range(1, quantity + 1):
        text = f"{sku}：{n}/{quantity}" + (" · 全部装齐，请称重" if n == quantity else "")
        fixed_scan(page, scanner, ean, "good", text)
        expect(line(page, sku)).to_have_attribute("data-packed", str(n))
    assert set(sounds(page)[0]) == set(GOOD_TONES)
    expect(line(page, sku)).to_have_attribute("data-state", "match")
    expect(page.locator("#weigh")).to_be_visible()
    rows = page.locator("#scan-feed .feed-row")
    expect(rows).to_have_count(4 + quantity)
    ids = [int(i) for i in rows.evaluate_all("rows => rows.map(r => r.dataset.scanId)")]
    assert ids == sorted(ids, reverse=True), "the newest scan is on top"
    assert page.evaluate("window.__notReloaded") is True
    assert_fits_phone(page, shots, "station-bench-weigh")

    # Weighed and packed on the page: the waybill, and the face sheet on the bench's printer.
    before_labels = len(label_printer.received())
    page.locator("#weight").fill("455")
    before = feedback_count(page)
    page.locator("#pack-submit").click()
    expect_feedback(page, "good", before, f"已打包：运单 {order['waybill_no']}")
    done = page.locator("#done")
    expect(done).to_be_visible()
    expect(page.locator("#done-waybill")).to_have_text(order["waybill_no"])
    expect(page.locator("#done-print")).to_have_text(f"面单已排队：{LABEL_PRINTER}")
    expect(page.locator("#order-empty")).to_have_text("扫周转箱、订单号或运单号开单")
    expect(page.locator("#order-body")).to_be_hidden()
    expect(page.locator("#last-parcel")).to_contain_text(f"运单 {order['waybill_no']}")
    expect(page.locator("#last-parcel")).to_contain_text("455 克")
    assert_fits_phone(page, shots, "station-bench-done")

    packed = order_by_no(demo_db, order["order_no"])
    assert packed["state"] == "packed"
    parcel = demo_db.execute(
        "SELECT id, station, weight_g, packed_by FROM parcels WHERE order_id = ?", (packed["id"],)
    ).fetchone()
    assert (parcel["station"], parcel["weight_g"]) == (BENCH, 455)
    jobs = demo_db.execute(
        "SELECT printer, kind, copy_of FROM print_jobs WHERE parcel_id = ?", (parcel["id"],)
    ).fetchall()
    assert [tuple(j) for j in jobs] == [(LABEL_PRINTER, "face_sheet", None)]
    who = demo_db.execute(
        "SELECT DISTINCT user_code, device FROM pack_scans WHERE order_id = ?", (packed["id"],)
    ).fetchall()
    assert [tuple(w) for w in who] == [("pack01", f"station:{BENCH}")]
    printed = label_printer.wait_for_jobs(before_labels + 1)
    assert order["waybill_no"] in printed_waybills(printed[before_labels:])

    # In English, the feed says the same; then the packer signs out.
    page.locator("#lang").click()
    expect(feed_row(page, bad).locator(".feed-message")).to_have_text(
        f"Wrong item: {wrong} is not on this order"
    )
    expect(feed_row(page, refused).locator(".feed-outcome")).to_have_text("Refused")
    expect(page.locator("#station-kind")).to_have_text("Pack bench")
    page.locator("#sign-out").click()
    expect(page.locator("#station-user")).to_have_text("Nobody signed in: scan a badge")
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True


# The printer station ---------------------------------------------------------------------


def parcel_with_label(api: Api, db: sqlite3.Connection) -> dict[str, str]:
    """An order of our own, released, picked and packed through the API at pack-01."""
    stocked = well_stocked_sku(db)
    serial = uuid.uuid4().int % 10**9
    order_no = f"E2E-DESK-{serial:09d}"
    party = {"name": "李四", "phone": "13912345678", "city": "深圳市", "address": "福田路一号"}
    api.call(
        "sup01",
        "POST",
        "/api/v1/orders",
        {
            "customer": stocked["customer"],
            "order_no": order_no,
            "courier": "ZTO",
            "waybill_no": f"ZT8{serial:09d}",
            "routing": {"sort_code": "755-010", "consolidation_point": "深圳转运中心"},
            "recipient": party,
            "sender": {**party, "name": "保税仓"},
            "lines": [{"sku": stocked["sku"], "quantity": 1}],
        },
    )
    api.call(
        "sup01",
        "POST",
        "/api/v1/customs-statuses",
        {"order_no": order_no, "code": 800, "status_at": datetime.now(UTC).isoformat()},
    )
    wave = api.call("sup01", "POST", "/api/v1/waves", {"order_nos": [order_no]})
    assert wave["orders"] == 1, wave
    (tote,) = free_totes(db, 1)
    pick_wave(api, db, wave["id"], {order_no: tote})
    order = order_by_no(db, order_no)
    api.call(
        "pack01",
        "POST",
        f"/api/v1/orders/{order['id']}/pack-scans",
        {"scan": ean_of(db, stocked["sku"]), "station": "pack-01"},
    )
    made = api.call(
        "pack01",
        "POST",
        f"/api/v1/orders/{order['id']}/pack",
        {"weight_g": 300, "station": "pack-01"},
    )
    return {"order_no": order_no, "waybill_no": made["waybill_no"]}


def test_the_printer_station_shows_a_scanned_parcels_labels_and_reprints_one(
    desk: Page,
    api: Api,
    demo_db: sqlite3.Connection,
    fixed_scanner: Callable[[str, str], FixedScanner],
    label_printer: FakePrinter,
    shots: Any,
) -> None:
    parcel = parcel_with_label(api, demo_db)
    waybill = parcel["waybill_no"]
    scanner = fixed_scanner(PRINT_DESK, "desk-scanner")

    # No station in the address: choose one from the list; the choice is remembered.
    desk.goto("/station.html")
    choices = desk.locator("#station-list .station-choice")
    expect(choices).to_have_count(4)
    assert choices.evaluate_all("bs => bs.map(b => b.dataset.station)") == [
        "pack-01",
        "pack-02",
        PRINT_DESK,
        DOCK_DOOR,
    ]
    desk.locator(f'.station-choice[data-station="{PRINT_DESK}"]').click()
    expect(desk).to_have_url(re.compile(rf"/station\.html\?name={PRINT_DESK}$"))
    expect(desk.locator("#station-kind")).to_have_text("打印站")
    desk.goto("/station.html")
    expect(desk.locator("#station-name")).to_have_text(PRINT_DESK)
    expect(desk.locator("#lookup-empty")).to_have_text("扫描包裹的运单号或订单号")
    expect(desk.locator("#order")).to_be_hidden()

    # A wrong number typed at the desk: refused, red.
    before = feedback_count(desk)
    wedge_scan(desk, "ZT-NO-SUCH-PARCEL")
    expect_feedback(desk, "bad", before, "没有 ZT-NO-SUCH-PARCEL 的面单")
    typed = desk.locator("#scan-feed .feed-row").first
    expect(typed).to_have_attribute("data-outcome", "refused")
    expect(typed.locator(".feed-who")).to_have_text("网页输入 · pack01")
    assert is_red(typed)
    expect(desk.locator("#lookup-error")).to_contain_text("ZT-NO-SUCH-PARCEL")

    # The desk's fixed scanner reads the parcel: its face sheet, printed at the bench.
    found = fixed_scan(desk, scanner, waybill, "good", f"运单 {waybill}：1 张面单")
    assert found["action"] == "lookup"
    lookup = desk.locator("#lookup")
    expect(lookup).to_have_attribute("data-waybill", waybill)
    expect(desk.locator("#lookup-order")).to_have_text(f"订单 {parcel['order_no']} · 已打包")
    jobs = lookup.locator(".lookup-job")
    expect(jobs).to_have_count(1)
    expect(jobs.first).to_have_attribute("data-copy", "0")
    expect(jobs.first).to_have_attribute("data-printer", LABEL_PRINTER)
    expect(jobs.first).to_have_attribute("data-status", "done", timeout=10_000)

    # A reprint asks for a reason, then queues a marked copy on the desk's printer.
    before_labels = len(label_printer.received())
    desk.locator("#reprint-open").click()
    expect(desk.locator("#reprint-form")).to_be_visible()
    before = feedback_count(desk)
    desk.locator("#reprint-submit").click()
    expect_feedback(desk, "bad", before, "请选择或填写补打原因")
    desk.locator('.reason-preset[data-reason="unreadable"]').click()
    before = feedback_count(desk)
    desk.locator("#reprint-submit").click()
    expect_feedback(desk, "good", before, f"副本 1 已排队：{LABEL_PRINTER}")
    expect(desk.locator("#reprint-form")).to_be_hidden()
    expect(jobs).to_have_count(2)
    copy = jobs.nth(1)
    expect(copy).to_have_attribute("data-copy", "1")
    expect(copy).to_contain_text("补打原因：扫不出")
    expect(copy).to_have_attribute("data-status", "done", timeout=10_000)  # followed out
    desk.screenshot(path=str(shots / "print-desk-1280x800.png"))

    made = demo_db.execute(
        "SELECT j.printer, j.reason, j.created_by FROM print_jobs j JOIN parcels p "
        "ON p.id = j.parcel_id WHERE p.waybill_no = ? AND j.copy_of IS NOT NULL",
        (waybill,),
    ).fetchall()
    assert [tuple(m) for m in made] == [(LABEL_PRINTER, "扫不出", "user:pack01")]
    printed = label_printer.wait_for_jobs(before_labels + 1)
    assert printed_waybills(printed[before_labels:]) == [waybill]
