"""Moves on the handheld, in a real Chromium on a phone screen: `put01` moves part of a lot
from one demo location to another by wedge scans, and the stock lookup shows both places.

What to move and where is read from the server's own demo database, not hard-coded.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_handheld_stock_lookup import (
    expect_feedback,
    feedback_count,
    shown_rows,
    wedge_scan,
)

pytestmark = pytest.mark.e2e


def movable_lot(db: sqlite3.Connection) -> sqlite3.Row:
    """A lot-tracked item on a storage location in one lot, with nothing reserved there."""
    return db.execute(
        """
        SELECT sb.barcode, s.id AS sku_id, s.code AS sku, b.customer_id, l.id AS location_id,
               l.code AS location, b.lot, b.expiry, b.quantity
        FROM balances b JOIN skus s ON s.id = b.sku_id JOIN locations l ON l.id = b.location_id
        JOIN sku_barcodes sb ON sb.sku_id = s.id AND length(sb.barcode) = 13
        WHERE l.type = 'storage' AND b.lot != '' AND b.expiry != '' AND b.quantity >= 12
          AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.location_id = b.location_id
                          AND r.sku_id = b.sku_id AND r.quantity > 0)
          AND (SELECT COUNT(*) FROM balances o WHERE o.location_id = b.location_id
               AND o.sku_id = b.sku_id) = 1
        ORDER BY l.code DESC LIMIT 1
        """
    ).fetchone()


def empty_location_of(db: sqlite3.Connection, customer_id: int) -> str:
    return str(
        db.execute(
            "SELECT code FROM locations l WHERE type = 'storage' AND customer_id = ? AND active = 1 "
            "AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.location_id = l.id) "
            "ORDER BY code DESC LIMIT 1",
            (customer_id,),
        ).fetchone()[0]
    )


def other_customers_location(db: sqlite3.Connection, customer_id: int) -> str:
    return str(
        db.execute(
            "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
            "WHERE l.type = 'storage' AND b.customer_id != ? ORDER BY l.code LIMIT 1",
            (customer_id,),
        ).fetchone()[0]
    )


def gs1(item: sqlite3.Row) -> str:
    yymmdd = item["expiry"][2:].replace("-", "")
    return f"]C101{item['barcode'].zfill(14)}10{item['lot']}~17{yymmdd}"


def on_hand(db: sqlite3.Connection, location: str, sku_id: int) -> int:
    row = db.execute(
        "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b JOIN locations l "
        "ON l.id = b.location_id WHERE l.code = ? AND b.sku_id = ?",
        (location, sku_id),
    ).fetchone()
    return int(row[0])


def test_putaway_worker_moves_part_of_a_lot_and_the_lookup_shows_both_places(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    item = movable_lot(demo_db)
    source, total = item["location"], item["quantity"]
    target = empty_location_of(demo_db, item["customer_id"])
    part = total // 3
    logged_in_as("put01")
    page.goto("/home.html")
    page.locator('[data-menu="move"]').click()
    expect(page).to_have_url(re.compile(r"/move\.html$"))
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("label[for=scan]")).to_have_text("扫描来源库位")

    before = feedback_count(page)
    wedge_scan(page, source)
    expect_feedback(page, "good", before)
    expect(page.locator("#source-code")).to_have_text(source)
    row = page.locator(f'#contents-list .move-row[data-sku="{item["sku"]}"]')
    expect(row).to_have_attribute("data-quantity", str(total))

    before = feedback_count(page)
    wedge_scan(page, gs1(item))
    expect_feedback(page, "good", before)
    expect(page.locator("body")).to_have_attribute("data-step", "target")
    expect(page.locator("#task-sku")).to_have_text(item["sku"])
    expect(page.locator("#qty")).to_have_value(str(total))  # all of the lot by default

    # Another customer's location is refused with the segregation signal; nothing moves.
    page.locator("#qty").fill(str(part))
    page.locator("#qty").press("Enter")
    expect(page.locator("#scan")).to_be_focused()
    before = feedback_count(page)
    wedge_scan(page, other_customers_location(demo_db, item["customer_id"]))
    expect_feedback(page, "segregation", before)
    assert on_hand(demo_db, source, item["sku_id"]) == total

    before = feedback_count(page)
    wedge_scan(page, target)
    expect_feedback(page, "good", before)
    expect(page.locator("#banner .banner-text")).to_have_text(
        f"已移库 {part} 件 {item['sku']}：{source} → {target}"
    )
    expect(page.locator("#trail-list .trail-move").first).to_have_attribute("data-to", target)
    expect(row).to_have_attribute("data-quantity", str(total - part))
    assert on_hand(demo_db, source, item["sku_id"]) == total - part
    assert on_hand(demo_db, target, item["sku_id"]) == part
    mover = demo_db.execute(
        "SELECT user_code, document FROM movements WHERE kind = 'move' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert mover["user_code"] == "put01" and mover["document"].startswith("MV")

    page.goto("/stock.html")
    expect(page.locator("#scan")).to_be_focused()
    before = feedback_count(page)
    wedge_scan(page, item["barcode"])
    expect_feedback(page, "good", before)
    shown = [r for r in shown_rows(page) if r[1] == item["sku"]]
    assert (source, item["sku"], total - part) in shown
    assert (target, item["sku"], part) in shown


def test_a_move_whose_answer_is_lost_is_sent_again_with_its_key_and_moves_once(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    item = movable_lot(demo_db)
    source, total = item["location"], item["quantity"]
    target = empty_location_of(demo_db, item["customer_id"])
    sent_keys: list[str] = []

    def lose_first_answer(route: Route) -> None:
        sent_keys.append(route.request.headers["idempotency-key"])
        if len(sent_keys) == 1:
            route.fetch()  # the server moves the stock...
            route.abort("connectionreset")  # ...but the handheld never hears back
        else:
            route.continue_()

    logged_in_as("put01")
    page.goto(f"/move.html?location={source}")
    expect(page.locator("#source-code")).to_have_text(source)
    before = feedback_count(page)
    wedge_scan(page, gs1(item))
    expect_feedback(page, "good", before)
    page.locator("#qty").fill("2")
    page.locator("#qty").press("Enter")
    page.route("**/api/v1/moves", lose_first_answer)

    before = feedback_count(page)
    wedge_scan(page, target)
    expect_feedback(page, "info", before)  # kept on the device, to upload
    expect(page.locator("#trail-list .trail-move").first).to_have_attribute("data-queued", "")
    expect(page.locator("#outbox")).to_be_hidden(timeout=10_000)  # sent again after a second
    # Up now: neither the trail nor the banner says "to upload" any more.
    expect(page.locator("#trail-list .trail-move").first).not_to_have_attribute("data-queued", "")
    expect(page.locator("#banner .banner-text")).to_have_text("已上传到服务器")
    assert len(sent_keys) == 2 and sent_keys[0] == sent_keys[1]
    assert on_hand(demo_db, source, item["sku_id"]) == total - 2
    assert on_hand(demo_db, target, item["sku_id"]) == 2
