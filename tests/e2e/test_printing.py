"""Face sheets on the floor: a parcel packed at the bench in a real Chromium prints on the
bench's network label printer (a test ESC/POS printer on a loopback TCP port), and its
barcode, read back from the bytes the printer got, is the waybill number; the printer
switched off mid-run keeps its labels queued, as the printer station page shows, and
prints each exactly once, in order, when it is back; a reprint scanned at the station
arrives at the printer as a marked copy.

Tests take their own orders (YTO, which no other test waves), so they never meet on the
shared server; what the pages did is checked in the server's database and in the bytes
the printer received.
"""

from __future__ import annotations

import base64
import io
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from tests.devices.escpos_raster import raster_images
from tests.e2e.conftest import LABEL_PRINTER, Server
from tests.e2e.test_inbound import (
    Api,
    assert_fits_phone,
    expect_feedback,
    feedback_count,
    scan_expecting,
    wedge_scan,
)
from tests.e2e.test_outbound import (
    ean_of,
    free_totes,
    order_by_no,
    order_items,
    pack_items_in_browser,
    single_line_orders,
    tote_lots,
)
from tests.printing.fake_printer import FakePrinter

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 800}
BENCH = "pack-01"
TEST_LABEL_WAYBILL = "TEST-0000000001"  # server/printing/service.py SAMPLE_LABEL


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("printing-screenshots")
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def station(
    browser: Browser, server: Server, session_token: Callable[[str], str]
) -> Iterator[Page]:
    """The printer station on a desk-sized screen, with the admin's session (a test print
    is printer setup: the admin's)."""
    context = browser.new_context(base_url=server.base_url, viewport=DESK, locale="zh-CN")
    desk = context.new_page()
    errors: list[str] = []
    desk.on("pageerror", lambda err: errors.append(str(err)))
    desk.add_init_script(f"sessionStorage.setItem('bondfloor.token', {session_token('admin')!r})")
    yield desk
    context.close()
    assert not errors, f"JavaScript errors on the station page: {errors}"


# What the printer got --------------------------------------------------------------------


def barcodes(image: Any) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def printed(jobs: list[bytes]) -> list[dict[str, str]]:
    """The barcodes of each label, decoded from the raster image in its ESC/POS bytes."""
    labels = []
    for data in jobs:
        (image,) = raster_images(data)
        labels.append(barcodes(image))
    return labels


def printed_waybills(jobs: list[bytes]) -> list[str]:
    return [label.get("Code128", "(unreadable)") for label in printed(jobs)]


# Getting parcels to the bench ------------------------------------------------------------


def pick_wave(api: Api, db: sqlite3.Connection, wave_id: int, totes: dict[str, str]) -> None:
    """Pick every task of the wave through the API, each order into its own tote."""
    while (
        task := api.call("pick01", "POST", f"/api/v1/waves/{wave_id}/next-task", {})["task"]
    ) is not None:
        api.call(
            "pick01",
            "POST",
            f"/api/v1/pick-tasks/{task['id']}/confirm",
            {
                "location": task["location"],
                "item": ean_of(db, task["sku"]),
                "quantity": task["remaining"],
                "tote": totes[task["order_no"]],
                # a bare EAN of a lot-tracked SKU: the picker scans the lot label too
                **({"lot": task["lot"]} if task["lot_to_confirm"] else {}),
            },
        )


def pack_by_api(api: Api, db: sqlite3.Connection, order: sqlite3.Row) -> dict[str, Any]:
    tote = db.execute(
        "SELECT l.code FROM orders o JOIN locations l ON l.id = o.tote_location_id WHERE o.id = ?",
        (order["id"],),
    ).fetchone()[0]
    for sku, quantity in order_items(db, order["id"]):
        lots = tote_lots(db, tote, sku)
        for _ in range(quantity):
            body = {"scan": ean_of(db, sku), "station": BENCH}
            if lots:  # a bare EAN of a lot-tracked SKU: its lot label too
                body["lot"] = lots.pop()
            api.call("pack01", "POST", f"/api/v1/orders/{order['id']}/pack-scans", body)
    return dict(
        api.call(
            "pack01",
            "POST",
            f"/api/v1/orders/{order['id']}/pack",
            {"weight_g": 480, "station": BENCH},
        )
    )


def pack_in_browser(page: Page, db: sqlite3.Connection, order: sqlite3.Row, tote: str) -> None:
    page.goto("/packing.html")
    expect(page.locator("#station")).to_have_value(BENCH)
    scan_expecting(page, tote, "good", f"订单 {order['order_no']}")
    pack_items_in_browser(page, db, order["id"], tote)
    page.locator("#weight").fill("520")
    before = feedback_count(page)
    page.locator("#pack-submit").click()
    expect_feedback(page, "good", before, f"已打包：运单 {order['waybill_no']}")
    expect(page.locator("#done-print")).to_have_text(f"面单已排队：{LABEL_PRINTER}")


# The printer station page ----------------------------------------------------------------


def job_waybills(rows: Locator) -> list[str]:
    return list(rows.evaluate_all("rows => rows.map(r => r.dataset.waybill)"))


def preview_png(page: Page) -> Image.Image:
    """The preview image the page shows, at its own size (drawn onto a canvas)."""
    data_url = page.evaluate(
        """() => {
            const img = document.getElementById('preview-img');
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth;
            canvas.height = img.naturalHeight;
            canvas.getContext('2d').drawImage(img, 0, 0);
            return canvas.toDataURL('image/png');
        }"""
    )
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


def test_packed_labels_print_survive_a_printer_outage_and_reprint_at_the_station(
    page: Page,
    station: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    demo_db: sqlite3.Connection,
    label_printer: FakePrinter,
    shots: Any,
) -> None:
    orders = single_line_orders(demo_db, "YTO", 3)
    wave = api.call(
        "sup01", "POST", "/api/v1/waves", {"order_nos": [o["order_no"] for o in orders]}
    )
    assert wave["orders"] == 3, wave
    totes = dict(zip((o["order_no"] for o in orders), free_totes(demo_db, 3), strict=True))
    pick_wave(api, demo_db, wave["id"], totes)
    first, second, third = orders
    waybills = [o["waybill_no"] for o in orders]
    before = len(label_printer.received())

    # The packer packs the first at the bench: its face sheet comes out of the printer,
    # and what the printer got reads back as the waybill number (the QR carries it too).
    logged_in_as("pack01")
    pack_in_browser(page, demo_db, first, totes[first["order_no"]])
    jobs = label_printer.wait_for_jobs(before + 1)
    (label,) = printed(jobs[before:])
    assert label["Code128"] == first["waybill_no"]
    assert first["waybill_no"] in label["QRCode"].split("|")

    # The printer station: label-1 online, the label among the printed ones.
    station.goto("/printers.html")
    card = station.locator(f'.printer-card[data-printer="{LABEL_PRINTER}"]')
    expect(card).to_have_attribute("data-state", "online")
    expect(card.locator(".printer-state")).to_have_text("在线")
    done_rows = card.locator(".job-done .job-row")
    expect(done_rows.filter(has_text=first["waybill_no"])).to_have_attribute("data-status", "done")

    # The printer goes off; two more parcels are packed meanwhile.
    label_printer.stop()
    try:
        for order in (second, third):
            made = pack_by_api(api, demo_db, order)
            assert made["print_job"]["printer"] == LABEL_PRINTER
        expect(card).to_have_attribute("data-state", "unavailable")
        expect(card).to_have_attribute("data-queued", "2")
        expect(card.locator(".printer-state")).to_have_text("不可用，重试中")
        expect(card.locator(".printer-detail")).to_contain_text("不可用，重试中：连接被拒绝")
        expect(card.locator(".printer-raw").first).to_contain_text("Connection refused")
        queue = card.locator(".job-queue .job-row")
        expect(queue).to_have_count(2)
        assert job_waybills(queue) == waybills[1:]  # the head of the line first
        expect(queue.first).to_contain_text("下一张")
        expect(queue.first).to_contain_text(f"订单 {second['order_no']}")
        expect(queue.first.locator(".job-error")).to_contain_text("Connection refused")
        expect(queue.first.locator(".job-facts")).to_contain_text("下次尝试")
        station.screenshot(path=str(shots / "station-printer-off-1280x800.png"))
        assert len(label_printer.received()) == before + 1, "printed while switched off"
    finally:
        label_printer.start()  # on the same port: the server's configuration names it

    # Back on: the queue empties and each label came out exactly once, in order.
    expect(card).to_have_attribute("data-state", "online", timeout=10_000)
    expect(card).to_have_attribute("data-queued", "0")
    expect(card.locator(".job-queue .job-empty")).to_have_text("队列为空")
    for waybill in waybills[1:]:
        expect(done_rows.filter(has_text=waybill)).to_have_attribute("data-status", "done")
    assert printed_waybills(label_printer.received()[before:]) == waybills
    attempts = demo_db.execute(
        "SELECT p.waybill_no, j.status, j.attempts FROM print_jobs j JOIN parcels p "
        "ON p.id = j.parcel_id WHERE p.waybill_no IN (?, ?) ORDER BY j.id",
        waybills[1:],
    ).fetchall()
    assert [(a[0], a[1]) for a in attempts] == [(w, "done") for w in waybills[1:]]
    assert attempts[0]["attempts"] > 1, "the head of the line was tried while the printer was off"

    # Reprint at the station: the parcel scanned, then a reason, which is required.
    expect(station.locator("#scan")).to_be_focused()
    wedge_scan(station, second["waybill_no"])
    expect(station.locator("#reprint-code")).to_have_text(second["waybill_no"])
    before_reprint = feedback_count(station)
    station.locator("#reprint-submit").click()
    expect_feedback(station, "bad", before_reprint, "请选择或填写补打原因")
    # A number with no face sheet is refused by the server, with its code's text.
    station.locator("#scan").focus()
    wedge_scan(station, "YT-NO-SUCH-PARCEL")
    station.locator("#reprint-note").fill("客户要求")
    before_reprint = feedback_count(station)
    station.locator("#reprint-submit").click()
    expect_feedback(station, "bad", before_reprint, "没有 YT-NO-SUCH-PARCEL 的面单")

    station.locator("#scan").focus()
    wedge_scan(station, second["waybill_no"])
    station.locator('.reason-preset[data-reason="damaged"]').click()
    expect(station.locator('.reason-preset[data-reason="damaged"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    station.locator("#reprint-note").fill("")
    before_reprint = feedback_count(station)
    station.locator("#reprint-submit").click()
    expect_feedback(station, "good", before_reprint, f"副本 1 已排队：{LABEL_PRINTER}")
    result = station.locator("#reprint-result")
    expect(result).to_have_attribute("data-copy", "1")
    expect(result).to_have_attribute("data-waybill", second["waybill_no"])
    expect(result).to_have_attribute("data-status", "done")  # the page follows it out
    copy_job = result.get_attribute("data-job-id")

    # The copy arrives at the printer and reads back as the same waybill.
    jobs = label_printer.wait_for_jobs(before + 4)
    assert printed_waybills(jobs[before + 3 :]) == [second["waybill_no"]]
    copy_row = card.locator(f'.job-done .job-row[data-job-id="{copy_job}"]')
    expect(copy_row).to_have_attribute("data-copy", "1")
    expect(copy_row).to_contain_text("副本 1")
    expect(copy_row).to_contain_text("补打原因：面单破损")
    audit = demo_db.execute(
        "SELECT target FROM audit WHERE action = 'print.reprint' AND outcome = 'ok' AND target = ?",
        (f"parcel:{second['waybill_no']}",),
    ).fetchall()
    assert len(audit) == 1

    # Its label preview: the image the page shows is the label, barcode and all.
    copy_row.locator(".job-open").click()
    preview = station.locator("#preview")
    expect(preview).to_be_visible()
    expect(station.locator("#preview-title")).to_have_text(f"面单预览 · 任务 {copy_job}")
    expect(station.locator("#preview-img")).to_have_attribute("data-loaded", str(copy_job))
    assert barcodes(preview_png(station))["Code128"] == second["waybill_no"]
    station.screenshot(path=str(shots / "station-preview-1280x800.png"))
    station.keyboard.press("Escape")
    expect(preview).to_be_hidden()

    # A test print from the card.
    before_test = feedback_count(station)
    card.locator(".printer-test").click()
    expect_feedback(station, "good", before_test, f"测试页已排队：{LABEL_PRINTER}")
    jobs = label_printer.wait_for_jobs(before + 5)
    assert printed_waybills(jobs[before + 4 :]) == [TEST_LABEL_WAYBILL]
    expect(card.locator('.job-done .job-row[data-kind="test"]').first).to_have_attribute(
        "data-status", "done"
    )
    station.screenshot(path=str(shots / "station-1280x800.png"))

    # The packer finds the station in the menu, on the phone too; no retry or test print there.
    page.goto("/home.html")
    page.locator('[data-menu="printers"]').click()
    expect(page).to_have_url(re.compile(r"/printers\.html"))
    phone_card = page.locator(f'.printer-card[data-printer="{LABEL_PRINTER}"]')
    expect(phone_card).to_have_attribute("data-state", "online")
    expect(phone_card.locator(".job-done .job-row").first).to_be_visible()
    expect(phone_card.locator(".job-retry")).to_have_count(0)
    expect(phone_card.locator(".printer-test")).to_have_count(0)
    assert_fits_phone(page, shots, "printers")
    page.locator("#lang").click()
    expect(page.locator(".topbar-title")).to_have_text("Printer station")
    expect(phone_card.locator(".printer-state")).to_have_text("Online")
    expect(page.locator("#reprint-submit")).to_have_text("Reprint")
    assert len(label_printer.received()) == before + 5, "a label printed twice"


# A label that cannot be drawn ----------------------------------------------------------


def well_stocked_sku(db: sqlite3.Connection) -> sqlite3.Row:
    """A SKU without lots that has the most units in storage, and its customer."""
    return db.execute(
        "SELECT s.code AS sku, c.code AS customer FROM balances b JOIN skus s ON s.id = b.sku_id "
        "JOIN customers c ON c.id = s.customer_id JOIN locations l ON l.id = b.location_id "
        "WHERE l.type = 'storage' AND s.lot_tracked = 0 GROUP BY s.id "
        "ORDER BY SUM(b.quantity) DESC LIMIT 1"
    ).fetchone()


def test_a_face_sheet_that_cannot_be_drawn_is_refused_at_the_bench(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    demo_db: sqlite3.Connection,
    label_printer: FakePrinter,
) -> None:
    # The OMS sends remarks (200 characters are allowed) too long for the label's 3 lines.
    stocked = well_stocked_sku(demo_db)
    serial = uuid.uuid4().int % 10**9
    order_no = f"E2E-LABEL-{serial:09d}"
    party = {
        "name": "张三丰",
        "phone": "13812345678",
        "city": "深圳市",
        "address": "科技园南路十八号",
    }
    api.call(
        "sup01",
        "POST",
        "/api/v1/orders",
        {
            "customer": stocked["customer"],
            "order_no": order_no,
            "courier": "YTO",
            "waybill_no": f"YT9{serial:09d}",
            "routing": {"sort_code": "330-030-00 030", "consolidation_point": "深圳市集包中心"},
            "recipient": party,
            "sender": {**party, "name": "保税仓"},
            "lines": [{"sku": stocked["sku"], "quantity": 1}],
            "remarks": "易碎品请轻放" * 33 + "谢谢",
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
    (tote,) = free_totes(demo_db, 1)
    pick_wave(api, demo_db, wave["id"], {order_no: tote})
    before = len(label_printer.received())

    # At the bench: every item in, weighed, and the parcel is refused, saying why.
    logged_in_as("pack01")
    page.goto("/packing.html")
    scan_expecting(page, tote, "good", f"订单 {order_no}")
    scan_expecting(page, ean_of(demo_db, stocked["sku"]), "good", f"{stocked['sku']}：1/1")
    page.locator("#weight").fill("300")
    before_pack = feedback_count(page)
    page.locator("#pack-submit").click()
    expect_feedback(page, "bad", before_pack, "面单上放不下：内容太长，请主管核对订单资料（备注）")
    expect(page.locator("#done")).to_be_hidden()
    expect(page.locator("#weigh")).to_be_visible()  # nothing was made: fix the data, pack again
    order = order_by_no(demo_db, order_no)
    assert order["state"] == "picked"
    made = demo_db.execute(
        "SELECT COUNT(*) FROM parcels WHERE order_id = ?", (order["id"],)
    ).fetchone()[0]
    assert made == 0
    assert len(label_printer.received()) == before
