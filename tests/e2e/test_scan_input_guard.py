"""Input that cannot be mistaken, in a real Chromium at 360x640 against a real server.

A wedge scanner types its code as a burst of keys a few milliseconds apart, then Enter; a
person types at a person's pace. Playwright's `keyboard.type(code, delay=5)` is the
scanner and `delay=120` the person, as in the other page tests.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import test_dock as dock
from tests.e2e import test_inbound as inbound
from tests.e2e import test_outbound as outbound
from tests.e2e import test_printing as printing
from tests.e2e.conftest import Server
from tests.e2e.test_dock import oms  # noqa: F401 (the OMS's token, a fixture)

pytestmark = pytest.mark.e2e

PERSON_MS = 120
SCANNER_MS = 5
REACH_MS = 300  # from the keypad to the scanner's trigger


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> inbound.Api:
    return inbound.Api(server, session_token)


def take_items(db: sqlite3.Connection, n: int) -> list[inbound.Item]:
    """Unstocked lot-tracked SKUs of the receiving tests' customer, never handed out twice."""
    rows = db.execute(
        "SELECT s.code, s.name, sb.barcode, s.customs_record_no FROM skus s "
        "JOIN customers c ON c.id = s.customer_id JOIN sku_barcodes sb ON sb.sku_id = s.id "
        "WHERE c.code = ? AND length(sb.barcode) = 13 AND s.lot_tracked = 1 "
        "AND s.expiry_tracked = 1 AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.sku_id = s.id) "
        "ORDER BY s.code DESC",
        (inbound.CUSTOMER,),
    ).fetchall()
    free = [r for r in rows if r["code"] not in inbound._taken][:n]
    assert len(free) == n, "the demo warehouse ran out of unstocked SKUs"
    inbound._taken.update(r["code"] for r in free)
    return [inbound.Item(r["code"], r["name"], r["barcode"], r["customs_record_no"]) for r in free]


def scanned_rows(db: sqlite3.Connection, plan_id: int) -> list[tuple[str, str, int]]:
    rows = db.execute(
        "SELECT s.code, r.lot, r.quantity FROM receipt_scans r JOIN skus s ON s.id = r.sku_id "
        "WHERE r.plan_id = ? ORDER BY r.id",
        (plan_id,),
    ).fetchall()
    return [tuple(r) for r in rows]


def test_a_scan_after_a_typed_count_is_a_scan_not_a_quantity(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: inbound.Api,
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = take_items(demo_db, 1)
    lot = inbound.unique_lot()
    plan = inbound.open_receiving(
        page, logged_in_as, api, [{"sku": item.sku, "expected_qty": 20}], "TGHU1122334"
    )
    sent = inbound.receive_requests(page)
    count = page.locator("#count")
    count.click()
    page.keyboard.type("12", delay=PERSON_MS)  # the person types the count
    expect(count).to_have_value("12")
    page.wait_for_timeout(REACH_MS)
    before = inbound.feedback_count(page)
    page.keyboard.type(inbound.gs1(item, lot, 1), delay=SCANNER_MS)  # then scans the carton
    page.keyboard.press("Enter")

    inbound.expect_feedback(page, "good", before, f"+12 {item.sku}")
    assert [body for _, body in sent] == [{"scan": inbound.gs1(item, lot, 1), "quantity": 12}]
    assert scanned_rows(demo_db, plan["id"]) == [(item.sku, lot, 12)]
    expect(page.locator("#scan")).to_be_focused()  # the next scan goes to the scan field
    expect(count).to_have_value("")

    # A barcode starting with 0 into an empty count: still a scan (was 6,141 units).
    count.click()
    before = inbound.feedback_count(page)
    page.keyboard.type(inbound.gs1(item, lot, 2), delay=SCANNER_MS)
    page.keyboard.press("Enter")
    inbound.expect_feedback(page, "good", before, f"+2 {item.sku}")
    assert scanned_rows(demo_db, plan["id"]) == [(item.sku, lot, 12), (item.sku, lot, 2)]

    # A person's Enter in the count field is a person's: it stays a count.
    count.click()
    page.keyboard.type("3", delay=PERSON_MS)
    page.keyboard.press("Enter")
    expect(count).to_have_value("3")
    expect(page.locator("#scan")).to_be_focused()


def test_packing_lists_what_waits_and_a_typed_weight_is_the_weight_not_an_item(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: inbound.Api,
    demo_db: sqlite3.Connection,
) -> None:
    (order,) = outbound.single_line_orders(demo_db, "SF", 1, without_lots=True)
    wave = api.call("sup01", "POST", "/api/v1/waves", {"order_nos": [order["order_no"]]})
    (tote,) = outbound.free_totes(demo_db, 1)
    printing.pick_wave(api, demo_db, wave["id"], {order["order_no"]: tote})
    ((sku, quantity),) = outbound.order_items(demo_db, order["id"])

    logged_in_as("pack01")
    page.goto("/packing.html")
    # Nothing scanned yet: the bench shows what waits, the tote first and big.
    waiting = page.locator(f'.waiting-item[data-order-no="{order["order_no"]}"]')
    expect(waiting).to_be_visible()
    expect(waiting.locator(".plan-item-no")).to_have_text(tote)
    expect(page.locator("#waiting-title")).to_contain_text("待打包")
    waiting.click()
    expect(page.locator("#order-no")).to_have_text(order["order_no"])
    expect(page.locator("#waiting")).to_be_hidden()
    page.locator("#scan").focus()
    for n in range(1, quantity + 1):
        inbound.scan_expecting(
            page, outbound.ean_of(demo_db, sku), "good", f"{sku}：{n}/{quantity}"
        )
    expect(page.locator("#weigh")).to_be_visible()

    # "Weigh and enter grams", typed into the scan field: the weight, not a wrong item.
    expect(page.locator("#scan")).to_be_focused()
    before = inbound.feedback_count(page)
    page.keyboard.type("420", delay=PERSON_MS)
    page.keyboard.press("Enter")
    inbound.expect_feedback(page, "good", before, "已打包")
    weight = demo_db.execute(
        "SELECT weight_g FROM parcels WHERE order_id = ?", (order["id"],)
    ).fetchone()
    assert weight is not None and weight[0] == 420
    expect(waiting).to_have_count(0)  # packed: no longer waiting
    expect(page.locator("#waiting")).to_be_visible()


def test_dock_plate_is_chosen_from_the_waiting_lists_and_the_id_is_checked_as_typed(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: inbound.Api,
    oms: inbound.Api,  # noqa: F811 (the fixture imported above)
    demo_db: sqlite3.Connection,
) -> None:
    (parcel,) = dock.packed_orders(api, oms, demo_db, "JD", 1)
    plate = "粤B8E" + f"{uuid.uuid4().int % 1000:03d}"  # never the dock tests' 粤B7D30x
    made = api.call(
        "sup01", "POST", "/api/v1/loading-lists", dock.truck(plate, [parcel["waybill_no"]])
    )
    logged_in_as("dock01")
    page.goto("/dock.html")
    card = page.locator(f'.dock-waiting-item[data-list-no="{made["list_no"]}"]')
    expect(card).to_contain_text(plate)
    before = inbound.feedback_count(page)
    card.click()  # the plate is chosen, not typed through the input method
    inbound.expect_feedback(page, "good", before, made["list_no"])
    expect(page.locator("#check-plate")).to_have_attribute("data-state", "done")

    # The ID number on the numeric keypad, checked character by character.
    field = page.locator("#driver-id-input")
    expect(field).to_have_attribute("inputmode", "numeric")
    field.click()
    page.keyboard.type(dock.DRIVER_ID[:10], delay=PERSON_MS)
    expect(page.locator("#driver-id-status")).to_have_text("还差 8 位")
    wrong = "0" if dock.DRIVER_ID[17] != "0" else "1"
    page.keyboard.type(dock.DRIVER_ID[10:17] + wrong, delay=PERSON_MS)
    expect(page.locator("#driver-id-status")).to_have_text("身份证号校验位不对：请核对")
    expect(page.locator("#driver-id-status")).to_have_attribute("data-state", "bad")
    expect(page.locator("#check-driver-id")).not_to_have_attribute("data-state", "done")
    page.locator("#lang").click()  # both languages say the same rule
    expect(page.locator("#driver-id-status")).to_have_text(
        "The ID number's check character is wrong: check it"
    )

    # An ID ending in X: the X key types it; the valid number is sent at once.
    page.keyboard.press("Backspace")
    field.fill(dock.OTHER_ID[:17])
    page.locator("#driver-id-x").click()
    expect(field).to_have_value(dock.OTHER_ID)
    expect(page.locator("#check-driver-id")).to_have_attribute("data-state", "refused")
    field.fill(dock.DRIVER_ID[:17])
    before = inbound.feedback_count(page)
    page.keyboard.type(dock.DRIVER_ID[17], delay=PERSON_MS)
    inbound.expect_feedback(page, "good", before, "The ID number matches")
    expect(page.locator("#check-driver-id")).to_have_attribute("data-state", "done")
    expect(page.locator("#driver-id-form")).to_be_hidden()
    # The door is the dock tests' too: free it for the next truck.
    api.call(
        "sup01",
        "POST",
        f"/api/v1/loading-lists/{made['id']}/release-door",
        {"reason": "test truck leaves the door"},
    )


# Every page with a number field: the field (unhidden here; each page shows it at its own
# step) keeps what the person typed, and the burst goes to the scan handler.
NUMBER_FIELDS = [
    ("receiving.html", "count"),
    ("move.html", "qty"),
    ("count.html", "qty"),
    ("picking.html", "qty"),
    ("putaway.html", "qty"),
    ("packing.html", "weight"),
    ("station.html?name=pack-01", "weight"),
]


def test_no_page_lets_a_scan_into_a_number_field(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    logged_in_as("sup01")
    for path, field_id in NUMBER_FIELDS:
        page.goto(f"/{path}", wait_until="networkidle")  # shown, or hidden, by now
        field = page.locator(f"#{field_id}")
        field.evaluate("f => { for (let n = f; n; n = n.parentElement) n.hidden = false; }")
        field.click()
        page.keyboard.type("7", delay=PERSON_MS)
        page.wait_for_timeout(REACH_MS)
        before = inbound.feedback_count(page)
        page.keyboard.type("NOPE-0000001", delay=SCANNER_MS)
        page.keyboard.press("Enter")
        expect(field, f"{path}: the typed number stays").to_have_value("7")
        expect(
            page.locator("#scan"), f"{path}: the next scan goes to the scan field"
        ).to_be_focused()
        page.wait_for_function(
            "n => Number(document.body.dataset.feedbackSeq || 0) > n", arg=before
        )  # the page's scan handler answered the scan


def test_a_typed_count_above_the_per_scan_maximum_is_asked_about_first(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: inbound.Api,
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = take_items(demo_db, 1)
    lot = inbound.unique_lot()
    plan = inbound.open_receiving(
        page, logged_in_as, api, [{"sku": item.sku, "expected_qty": 3000}], "TGHU5566778"
    )
    sent = inbound.receive_requests(page)
    count = page.locator("#count")
    count.click()
    page.keyboard.type("1500", delay=PERSON_MS)
    page.wait_for_timeout(REACH_MS)
    page.keyboard.type(inbound.gs1(item, lot, 1), delay=SCANNER_MS)
    page.keyboard.press("Enter")
    dialog = page.locator("#large-quantity")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h3")).to_have_text("一次 1,500 件？")
    expect(page.locator("#large-quantity-cancel")).to_be_focused()  # a scan's Enter says no
    page.locator("#large-quantity-cancel").click()
    expect(dialog).to_be_hidden()
    assert sent == [] and scanned_rows(demo_db, plan["id"]) == []

    count.click()
    page.keyboard.type("1500", delay=PERSON_MS)
    page.wait_for_timeout(REACH_MS)
    page.keyboard.type(inbound.gs1(item, lot, 1), delay=SCANNER_MS)
    page.keyboard.press("Enter")
    before = inbound.feedback_count(page)
    page.locator("#large-quantity-confirm").click()
    inbound.expect_feedback(page, "good", before, f"+1,500 {item.sku}")
    assert [body for _, body in sent] == [
        {"scan": inbound.gs1(item, lot, 1), "quantity": 1500, "confirmed_large": True}
    ]
    assert scanned_rows(demo_db, plan["id"]) == [(item.sku, lot, 1500)]
