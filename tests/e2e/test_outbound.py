"""Outbound on the handheld: the supervisor builds a wave on the orders page, the picker
picks it by wedge scans, the packer verifies every item and weighs, and the parcel leaves
with its waybill number and a queued face sheet, in a real Chromium at 360x640 against
a real server seeded with the demo warehouse (36 orders for today, no waves).

Tests take their own orders (by courier, or by number through the API), so they never
meet on the shared server; what the pages did is checked in the server's own database.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LABEL_PRINTER, Server
from tests.e2e.test_inbound import (
    SPY_ON_SOUND_AND_VIBRATION,
    Api,
    assert_fits_phone,
    expect_feedback,
    feedback_count,
    scan_expecting,
    sounds,
    switch_user,
    wedge_scan,
)

pytestmark = pytest.mark.e2e

GOOD_TONES = [1800]
BAD_TONES = [220, 220]
INFO_TONES = [760, 760]  # e.g. "now scan the lot label": neither a success nor a refusal


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("outbound-screenshots")
    print(f"screenshots: {folder}")
    return folder


# What the database says --------------------------------------------------------------


def demo_order(db: sqlite3.Connection, n: int) -> sqlite3.Row:
    """Demo order number n of today (SO<yyyymmdd><nnnn>)."""
    return db.execute(
        "SELECT * FROM orders WHERE order_no LIKE ? ORDER BY id LIMIT 1", (f"SO________{n:04d}",)
    ).fetchone()


def order_by_no(db: sqlite3.Connection, order_no: str) -> sqlite3.Row:
    return db.execute("SELECT * FROM orders WHERE order_no = ?", (order_no,)).fetchone()


def free_totes(db: sqlite3.Connection, n: int) -> list[str]:
    """Empty totes no order holds, from the end of the rack."""
    rows = db.execute(
        "SELECT l.code FROM locations l WHERE l.type = 'tote' "
        "AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.location_id = l.id) "
        "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tote_location_id = l.id) "
        "ORDER BY l.code DESC LIMIT ?",
        (n,),
    ).fetchall()
    assert len(rows) == n, "the demo warehouse ran out of empty totes"
    return [r[0] for r in rows]


def ean_of(db: sqlite3.Connection, sku: str) -> str:
    return db.execute(
        "SELECT b.barcode FROM sku_barcodes b JOIN skus s ON s.id = b.sku_id "
        "WHERE s.code = ? AND length(b.barcode) = 13 ORDER BY b.barcode LIMIT 1",
        (sku,),
    ).fetchone()[0]


def order_items(db: sqlite3.Connection, order_id: int) -> list[tuple[str, int]]:
    """(SKU, quantity) of an order's lines."""
    rows = db.execute(
        "SELECT s.code, SUM(l.quantity) FROM order_lines l JOIN skus s ON s.id = l.sku_id "
        "WHERE l.order_id = ? GROUP BY s.code ORDER BY s.code",
        (order_id,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def other_ean(db: sqlite3.Connection, not_skus: list[str]) -> str:
    """An EAN of an item that is on none of these orders' lines."""
    marks = ",".join("?" * len(not_skus))
    return db.execute(
        "SELECT b.barcode FROM sku_barcodes b JOIN skus s ON s.id = b.sku_id "
        f"WHERE s.code NOT IN ({marks}) AND length(b.barcode) = 13 ORDER BY s.code LIMIT 1",
        not_skus,
    ).fetchone()[0]


def in_tote(db: sqlite3.Connection, tote: str) -> dict[str, int]:
    return {
        r[0]: r[1]
        for r in db.execute(
            "SELECT s.code, SUM(b.quantity) FROM balances b JOIN locations l ON l.id = b.location_id "
            "JOIN skus s ON s.id = b.sku_id WHERE l.code = ? GROUP BY s.code",
            (tote,),
        )
    }


def tote_lots(db: sqlite3.Connection, tote: str, sku: str) -> list[str]:
    """One lot per unit of a lot-tracked SKU in the tote (empty for a SKU without lots)."""
    rows = db.execute(
        "SELECT b.lot, b.quantity FROM balances b JOIN locations l ON l.id = b.location_id "
        "JOIN skus s ON s.id = b.sku_id WHERE l.code = ? AND s.code = ? AND s.lot_tracked = 1 "
        "AND b.lot != ''",
        (tote, sku),
    ).fetchall()
    return [r["lot"] for r in rows for _ in range(r["quantity"])]


def pack_items_in_browser(
    page: Page, db: sqlite3.Connection, order_id: int, tote: str, shots: Any = None
) -> None:
    """Scan every unit of the order at the packing page; a lot-tracked SKU's bare EAN is
    followed by the unit's lot label, which the page asks for."""
    for sku, quantity in order_items(db, order_id):
        lots = tote_lots(db, tote, sku)
        for n in range(1, quantity + 1):
            if lots:
                scan_expecting(page, ean_of(db, sku), "info", f"{sku} 需确认批次")
                expect(page.locator("#lot-prompt")).to_be_visible()
                if shots is not None:
                    assert_fits_phone(page, shots, "packing-lot-label")
                scan_expecting(page, lots.pop(), "good", f"{sku}：{n}/{quantity}")
                expect(page.locator("#lot-prompt")).to_be_hidden()
            else:
                scan_expecting(page, ean_of(db, sku), "good", f"{sku}：{n}/{quantity}")
            expect(page.locator(f'.pack-line[data-sku="{sku}"]')).to_have_attribute(
                "data-packed", str(n)
            )


def gs1(ean: str, lot: str, expiry: str) -> str:
    """A GS1-128 read with AIM prefix: (01) GTIN-14, (17) expiry, (10) lot."""
    yymmdd = date.fromisoformat(expiry).strftime("%y%m%d")
    return f"]C101{ean.zfill(14)}17{yymmdd}10{lot}"


def eventually(check: Callable[[], bool], seconds: float = 5) -> None:
    """Wait for something the page sends on its own (the outbox) to reach the database."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the page did not send it in time"
        time.sleep(0.05)


# Driving the pages -------------------------------------------------------------------


def current_task(page: Page) -> dict[str, str]:
    task = page.locator("#task")
    expect(task).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-step", "location")
    keys = ("task-id", "location", "sku", "lot", "expiry", "order-no", "tote", "lot-to-confirm")
    return {key: task.get_attribute(f"data-{key}") or "" for key in keys}


def pick_task(
    page: Page,
    db: sqlite3.Connection,
    task: dict[str, str],
    tote: str,
    *,
    mistakes: bool,
    shots: Any = None,
) -> None:
    """Location → item → tote by wedge scans; with `mistakes`, a wrong scan at each step."""
    if mistakes:
        scan_expecting(page, "A-99-99-9", "bad", f"库位错误：请到 {task['location']}")
    scan_expecting(page, task["location"].lower(), "good", f"库位正确：{task['location']}")
    ean = ean_of(db, task["sku"])
    if mistakes:
        wrong = other_ean(db, [task["sku"]])
        scan_expecting(page, wrong, "bad", f"商品错误：此任务是 {task['sku']}")
        expect(page.locator("#slot-item")).to_have_attribute("data-state", "active")
    if task["lot"] and mistakes:
        scan_expecting(
            page,
            gs1(ean, "WRONGLOT", task["expiry"]),
            "bad",
            f"批次 WRONGLOT 不是预留批次 {task['lot']}",
        )
    if task["lot"] and task["lot-to-confirm"] != "true":
        scan_expecting(page, gs1(ean, task["lot"], task["expiry"]), "good", task["sku"])
    elif task["lot-to-confirm"] == "true":
        # A plain EAN says the SKU, not the lot: the page asks for the lot label next.
        scan_expecting(page, ean, "good", f"商品正确：{task['sku']}")
        expect(page.locator("#banner .banner-detail")).to_have_text(
            f"请扫描批次标签（批次 {task['lot']}）"
        )
        expect(page.locator("#slot-lot")).to_have_attribute("data-state", "active")
        if shots is not None:
            assert_fits_phone(page, shots, "picking-lot-label")
        scan_expecting(page, "WRONGLOT", "bad", f"批次 WRONGLOT 不是预留批次 {task['lot']}")
        scan_expecting(page, task["lot"], "good", f"批次正确：{task['lot']}")
    else:
        scan_expecting(page, ean, "good", f"商品正确：{task['sku']}")
    remaining = page.locator("#qty").input_value()
    scan_expecting(page, tote, "good", f"已拣 {remaining} × {task['sku']} → {tote}")


# The whole flow ------------------------------------------------------------------------


def test_released_orders_are_waved_picked_packed_and_labelled(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    demo_db: sqlite3.Connection,
    shots: Any,
) -> None:
    inspected = demo_order(demo_db, 6)  # customs 500: inspection
    assert inspected["customs_status"] == 500

    # The supervisor: counts, the exceptions, and a wave of two SF orders.
    logged_in_as("sup01")
    page.goto("/home.html")
    page.locator('[data-menu="orders"]').click()
    expect(page).to_have_url(re.compile(r"/orders\.html"))
    new = demo_db.execute("SELECT COUNT(*) FROM orders WHERE state = 'new'").fetchone()[0]
    expect(page.locator('.stat[data-stat="new"]')).to_have_attribute("data-count", str(new))
    expect(page.locator('.stat[data-stat="new"]')).to_contain_text("新订单")
    page.locator("#filter-exceptions").click()
    expect(page.locator("#filter-exceptions")).to_have_attribute("aria-pressed", "true")
    row = page.locator(f'.order-row[data-order-no="{inspected["order_no"]}"]')
    expect(row).to_have_attribute("data-blocked", "ORDER_INSPECTION")
    expect(row).to_contain_text("查验：送查验区")
    expect(row).to_contain_text("海关查验 500")
    assert_fits_phone(page, shots, "orders-exceptions")

    page.locator("#wave-courier").select_option("SF")
    page.locator("#wave-max").fill("2")
    before = feedback_count(page)
    page.locator("#wave-submit").click()
    expect_feedback(page, "good", before, "2 单")
    result = page.locator("#wave-result")
    expect(result).to_have_attribute("data-orders", "2")
    wave_no = result.get_attribute("data-wave-no") or ""
    assert re.fullmatch(r"W\d{6}", wave_no), wave_no
    expect(page.locator("#banner .banner-text")).to_contain_text(f"波次 {wave_no}")
    assert_fits_phone(page, shots, "orders-wave-built")
    waved = demo_db.execute(
        "SELECT o.* FROM orders o JOIN waves w ON w.id = o.wave_id WHERE w.wave_no = ? "
        "ORDER BY o.order_no",
        (wave_no,),
    ).fetchall()
    assert [(o["courier"], o["state"]) for o in waved] == [("SF", "waved")] * 2
    members = page.locator("#wave-orders li")
    expect(members).to_have_count(2)
    assert sorted(members.evaluate_all("items => items.map(i => i.dataset.orderNo)")) == [
        o["order_no"] for o in waved
    ]
    page.locator("#filter-exceptions").click()  # off: every order, then only the waved ones
    page.locator("#filter-state").select_option("waved")
    for order in waved:
        expect(page.locator(f'.order-row[data-order-no="{order["order_no"]}"]')).to_have_attribute(
            "data-wave", wave_no
        )
    # The order customs inspects is in no wave, and nothing is reserved for it.
    assert (order_by_no(demo_db, inspected["order_no"])["state"], inspected["wave_id"]) == (
        "new",
        None,
    )

    # The picker: the wave, then every task by wedge scans; each order gets its own tote.
    switch_user(page, logged_in_as, "pick01")
    page.goto("/home.html")
    page.locator('[data-menu="picking"]').click()
    expect(page).to_have_url(re.compile(r"/picking\.html"))
    page.locator(f'.plan-item[data-wave-no="{wave_no}"]').click()
    totes = dict(zip((o["order_no"] for o in waved), free_totes(demo_db, 2), strict=True))
    tasks = demo_db.execute(
        "SELECT COUNT(*) FROM allocations a JOIN waves w ON w.id = a.wave_id WHERE w.wave_no = ?",
        (wave_no,),
    ).fetchone()[0]
    for i in range(tasks):
        task = current_task(page)
        if i == 0:
            expect(page.locator("#pick-location")).to_have_text(task["location"])
            expect(page.locator("#qty")).to_have_value(
                str(
                    demo_db.execute(
                        "SELECT quantity FROM allocations WHERE id = ?", (task["task-id"],)
                    ).fetchone()[0]
                )
            )
            assert_fits_phone(page, shots, "picking-task")
        pick_task(page, demo_db, task, totes[task["order-no"]], mistakes=i == 0, shots=shots)
    expect(page.locator("#banner .banner-detail")).to_contain_text(f"波次 {wave_no} 已拣完")
    expect(page.locator("body")).to_have_attribute("data-step", "wave")
    for order in waved:
        assert order_by_no(demo_db, order["order_no"])["state"] == "picked"
        assert in_tote(demo_db, totes[order["order_no"]]) == dict(order_items(demo_db, order["id"]))

    # The OMS cancels the second order after it was picked.
    packed, cancelled = waved
    api.call(
        "sup01",
        "POST",
        "/api/v1/order-cancellations",
        {"order_no": cancelled["order_no"], "reason": "客户取消"},
    )

    # The packer at pack-01: every item scanned, a wrong one and one too many refused.
    page.add_init_script(SPY_ON_SOUND_AND_VIBRATION)
    switch_user(page, logged_in_as, "pack01")
    page.goto("/home.html")
    page.locator('[data-menu="packing"]').click()
    expect(page).to_have_url(re.compile(r"/packing\.html"))
    expect(page.locator("#station")).to_have_value("pack-01")
    tote = totes[packed["order_no"]]
    scan_expecting(page, tote, "good", f"订单 {packed['order_no']}")
    items = order_items(demo_db, packed["id"])
    for sku, quantity in items:
        line = page.locator(f'.pack-line[data-sku="{sku}"]')
        expect(line).to_have_attribute("data-ordered", str(quantity))
        expect(line).to_have_attribute("data-packed", "0")
    assert_fits_phone(page, shots, "packing-lines")
    sounds(page)
    wrong = other_ean(demo_db, [sku for sku, _ in items])
    scan_expecting(page, wrong, "bad", f"错货：{wrong} 不在此订单中")
    wrong_tones, _ = sounds(page)
    pack_items_in_browser(page, demo_db, packed["id"], tote, shots)
    good_tones, _ = sounds(page)
    expect(page.locator("#weigh")).to_be_visible()
    expect(page.locator("#banner .banner-detail")).to_have_text("全部装齐，请称重")
    first_sku, first_quantity = items[0]
    scan_expecting(
        page,
        ean_of(demo_db, first_sku),
        "bad",
        f"多了一件：{first_sku} 只要 {first_quantity} 件",
    )
    over_tones, _ = sounds(page)
    assert wrong_tones == over_tones == BAD_TONES
    assert set(GOOD_TONES) <= set(good_tones) <= set(GOOD_TONES + INFO_TONES), (
        "success sounds unlike a refusal"
    )
    expect(page.locator(f'.pack-line[data-sku="{first_sku}"]')).to_have_attribute(
        "data-packed", str(first_quantity)
    )
    assert_fits_phone(page, shots, "packing-weigh")

    page.locator("#weight").fill("640")
    before = feedback_count(page)
    page.locator("#pack-submit").click()
    waybill = packed["waybill_no"]
    expect_feedback(page, "good", before, f"已打包：运单 {waybill}")
    expect(page.locator("#done-waybill")).to_have_text(waybill)
    expect(page.locator("#done-lane")).to_have_text("放到出库道口 OUT-01")
    expect(page.locator("#done-print")).to_have_text(f"面单已排队：{LABEL_PRINTER}")
    assert_fits_phone(page, shots, "packing-done")
    assert order_by_no(demo_db, packed["order_no"])["state"] == "packed"
    jobs = demo_db.execute(
        "SELECT j.status, j.printer, j.payload FROM print_jobs j JOIN parcels p "
        "ON p.id = j.parcel_id WHERE p.waybill_no = ?",
        (waybill,),
    ).fetchall()
    assert [j["printer"] for j in jobs] == [LABEL_PRINTER]
    label = json.loads(jobs[0]["payload"])
    assert (label["waybill_no"], label["order_no"], label["weight_g"]) == (
        waybill,
        packed["order_no"],
        640,
    )
    # The bench's printer is on: the face sheet leaves the queue for it at once.
    listed = api.call("pack01", "GET", f"/api/v1/print-jobs?printer={LABEL_PRINTER}")
    assert waybill in [job["waybill_no"] for job in listed]
    eventually(
        lambda: (
            demo_db.execute(
                "SELECT j.status FROM print_jobs j JOIN parcels p ON p.id = j.parcel_id "
                "WHERE p.waybill_no = ?",
                (waybill,),
            ).fetchone()[0]
            == "done"
        )
    )

    # The cancelled order's tote: refused with the intercept alarm, and back to stock.
    cancelled_tote = totes[cancelled["order_no"]]
    scan_expecting(
        page, cancelled_tote, "intercept", f"订单 {cancelled['order_no']} 已取消：退回库存"
    )
    intercept_tones, _ = sounds(page)
    assert intercept_tones not in (BAD_TONES, GOOD_TONES)
    expect(page.locator("#stop")).to_be_visible()
    expect(page.locator("#stop-what")).to_contain_text(f"周转箱 {cancelled_tote} 的货物退回库存")
    expect(page.locator("#stop-task")).to_contain_text(f"退回库存 {cancelled_tote}")
    expect(page.locator("#order")).to_be_hidden()
    assert_fits_phone(page, shots, "packing-cancelled")
    assert in_tote(demo_db, cancelled_tote) == dict(order_items(demo_db, cancelled["id"]))
    assert (
        demo_db.execute(
            "SELECT COUNT(*) FROM parcels WHERE order_id = ?", (cancelled["id"],)
        ).fetchone()[0]
        == 0
    )
    # Still untouched: the inspected order was never waved, reserved or picked.
    inspected_now = order_by_no(demo_db, inspected["order_no"])
    assert (inspected_now["state"], inspected_now["wave_id"]) == ("new", None)
    assert (
        demo_db.execute(
            "SELECT COUNT(*) FROM allocations WHERE order_id = ?", (inspected["id"],)
        ).fetchone()[0]
        == 0
    )


# Picking when an order stops -----------------------------------------------------------


def single_line_orders(
    db: sqlite3.Connection, courier: str, n: int, *, without_lots: bool = False
) -> list[sqlite3.Row]:
    """Released orders of one courier no wave has taken, each with one line (of a SKU
    not tracked by lot, if asked: a bare EAN then packs it)."""
    no_lots = (
        "AND NOT EXISTS (SELECT 1 FROM order_lines l JOIN skus s ON s.id = l.sku_id "
        "WHERE l.order_id = o.id AND s.lot_tracked = 1) "
        if without_lots
        else ""
    )
    rows = db.execute(
        "SELECT o.* FROM orders o WHERE o.courier = ? AND o.state = 'new' AND o.wave_id IS NULL "
        "AND o.customs_status = 800 AND (SELECT COUNT(*) FROM order_lines l "
        f"WHERE l.order_id = o.id) = 1 {no_lots}ORDER BY o.id DESC LIMIT ?",
        (courier, n),
    ).fetchall()
    assert len(rows) == n, f"not enough released {courier} orders left"
    return rows


def test_a_short_pick_and_a_customs_hold_stop_the_task_in_english(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    demo_db: sqlite3.Connection,
    shots: Any,
) -> None:
    orders = single_line_orders(demo_db, "ZTO", 2)
    wave = api.call(
        "sup01", "POST", "/api/v1/waves", {"order_nos": [o["order_no"] for o in orders]}
    )
    assert wave["orders"] == 2

    page.add_init_script(SPY_ON_SOUND_AND_VIBRATION)
    logged_in_as("pick01")
    page.goto("/picking.html")
    page.locator("#lang").click()
    expect(page.locator(".topbar-title")).to_have_text("Picking")
    expect(page.locator("label[for=scan]")).to_have_text("Choose or scan a wave")
    expect(page.locator(f'.plan-item[data-wave-no="{wave["wave_no"]}"]')).to_be_visible()
    wedge_scan(page, wave["wave_no"].lower())  # the wave number, scanned off the wave sheet

    # The first task's location is empty: the picker reports it short.
    first = current_task(page)
    scan_expecting(page, first["location"], "good", f"Right location: {first['location']}")
    page.locator("#short").click()
    expect(page.locator("#short-prompt")).to_be_visible()
    expect(page.locator("#short-title")).to_have_text(
        f"Short: {first['sku']} at {first['location']}"
    )
    page.locator("#short-reason").select_option("empty")
    assert_fits_phone(page, shots, "picking-short")
    before = feedback_count(page)
    page.locator("#short-submit").click()
    expect_feedback(page, "info", before, f"× {first['sku']} missing")
    # The demo holds each item in one location only: nothing else is found.
    expect(page.locator("#banner .banner-detail")).to_have_text(
        f"Order {first['order-no']} is short: a supervisor follows up"
    )
    assert order_by_no(demo_db, first["order-no"])["state"] == "short"
    assert (
        demo_db.execute(
            "SELECT status FROM allocations WHERE id = ?", (first["task-id"],)
        ).fetchone()[0]
        == "short"
    )

    # The next task comes by itself; customs holds its order while it is being picked.
    second = current_task(page)
    assert second["order-no"] != first["order-no"]
    api.call(
        "sup01",
        "POST",
        "/api/v1/customs-statuses",
        {
            "order_no": second["order-no"],
            "code": 502,
            "status_at": datetime.now(UTC).isoformat(),  # later than the release
        },
    )
    # The very next scan (the location, before any walk to the shelf) says so.
    sounds(page)
    (tote,) = free_totes(demo_db, 1)
    scan_expecting(
        page,
        second["location"],
        "intercept",
        f"Customs holds order {second['order-no']} (502): stop",
    )
    tones, buzz = sounds(page)
    assert tones not in (BAD_TONES, GOOD_TONES) and len(buzz[0]) > 3, "the intercept alarm"
    expect(page.locator("#block")).to_be_visible()
    expect(page.locator("#block-what")).to_have_text(
        f"Customs holds order {second['order-no']} (502): stop until it is released."
    )
    expect(page.locator("#task")).to_be_hidden()
    assert_fits_phone(page, shots, "picking-blocked")
    # Nothing went into the tote; the held order's task waits, given back to the pool.
    assert in_tote(demo_db, tote) == {}
    eventually(
        lambda: (
            tuple(
                demo_db.execute(
                    "SELECT status, lease_holder FROM allocations WHERE id = ?",
                    (second["task-id"],),
                ).fetchone()
            )
            == ("open", "")
        )
    )

    page.locator("#block-next").click()
    expect(page.locator("#no-task")).to_be_visible()
    expect(page.locator("#no-task-text")).to_have_text(
        f"Wave {wave['wave_no']}: no free task (1 held by others or stopped)"
    )
