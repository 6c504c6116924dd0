"""Stock lookup on the handheld: scans typed like a keyboard-wedge scanner into real Chromium.

What the page should show is read from the server's own demo database, not hard-coded.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e

STOCK_ROWS = """
SELECT l.code AS location, c.code AS customer, c.name AS customer_name, s.code AS sku,
       b.lot, b.expiry, b.quantity
FROM balances b
JOIN locations l ON l.id = b.location_id
JOIN customers c ON c.id = b.customer_id
JOIN skus s ON s.id = b.sku_id
"""
LOOKUP = "/api/v1/stock/lookup"


# What the database says --------------------------------------------------------------


def busiest_location(db: sqlite3.Connection) -> str:
    """The location holding the most stock lines (a location with several rows to show)."""
    return db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "GROUP BY l.code ORDER BY COUNT(*) DESC, l.code LIMIT 1"
    ).fetchone()[0]


def rows_at(db: sqlite3.Connection, location: str) -> list[sqlite3.Row]:
    return db.execute(f"{STOCK_ROWS} WHERE l.code = ?", (location,)).fetchall()


def item_with_stock(db: sqlite3.Connection) -> sqlite3.Row:
    """An EAN-13 of a SKU that has stock with a lot and an expiry."""
    return db.execute(
        "SELECT sb.barcode, s.id AS sku_id, s.code AS sku, b.lot, b.expiry "
        "FROM sku_barcodes sb JOIN skus s ON s.id = sb.sku_id "
        "JOIN balances b ON b.sku_id = s.id "
        "WHERE length(sb.barcode) = 13 AND b.lot != '' AND b.expiry != '' "
        "ORDER BY sb.barcode LIMIT 1"
    ).fetchone()


def rows_of_sku(db: sqlite3.Connection, sku_id: int) -> list[sqlite3.Row]:
    return db.execute(f"{STOCK_ROWS} WHERE s.id = ?", (sku_id,)).fetchall()


def gs1_element_string(item: sqlite3.Row) -> str:
    """`]C1` + (01) GTIN-14, (10) lot, GS placeholder, (17) expiry as a GS1-128 reader sends it."""
    yymmdd = item["expiry"][2:].replace("-", "")
    return f"]C101{item['barcode'].zfill(14)}10{item['lot']}~17{yymmdd}"


def expected(rows: list[sqlite3.Row]) -> list[tuple[str, str, int]]:
    return sorted((r["location"], r["sku"], r["quantity"]) for r in rows)


# Driving the page --------------------------------------------------------------------


def open_stock_lookup(page: Page, logged_in_as: Callable[[str], None]) -> None:
    logged_in_as("pick01")
    page.goto("/stock.html")
    expect(page.locator("#scan")).to_be_focused()


def wedge_scan(page: Page, code: str, suffix: str = "Enter") -> None:
    """Type like a keyboard-wedge scanner: keystrokes a few ms apart, then the suffix key
    (once the page handles its scan form: before, an Enter does nothing)."""
    page.wait_for_selector("#scan-form[data-ready]", state="attached")
    page.keyboard.type(code, delay=5)
    page.keyboard.press(suffix)


def feedback_count(page: Page) -> int:
    return int(page.locator("body").get_attribute("data-feedback-seq") or 0)


def expect_feedback(page: Page, kind: str, count_before: int) -> None:
    """Wait for the next feedback after `count_before` and check it is `kind`."""
    page.wait_for_function(
        "n => document.body.dataset.feedbackSeq === n", arg=str(count_before + 1)
    )
    expect(page.locator("body")).to_have_attribute("data-feedback", kind)
    expect(page.locator("#banner")).to_have_attribute("data-feedback", kind)


def shown_rows(page: Page) -> list[tuple[str, str, int]]:
    rows = page.locator(".stock-row").evaluate_all(
        """rows => rows.map(r => [
            r.querySelector('.row-location').textContent,
            r.querySelector('.row-sku-code').textContent,
            r.querySelector('.row-qty').textContent])"""
    )
    return sorted((loc, sku, int(qty.replace(",", ""))) for loc, sku, qty in rows)


def shown_total(page: Page) -> int:
    return int(page.locator("#result-total").inner_text().replace(",", ""))


# Tests ---------------------------------------------------------------------------------


def test_location_scan_lists_its_customer_stock_in_chinese(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    location = busiest_location(demo_db)
    rows = rows_at(demo_db, location)
    log_in("pick01")
    page.locator('[data-menu="stock"]').click()
    expect(page).to_have_url(re.compile(r"/stock\.html$"))
    expect(page.locator("#scan")).to_be_focused()

    before = feedback_count(page)
    wedge_scan(page, location)

    expect_feedback(page, "good", before)
    expect(page.locator("#banner")).to_have_attribute("data-source", "scanner")
    expect(page.locator("#banner .banner-detail")).to_have_text(f"{location} · 扫描")
    expect(page.locator("#result-title")).to_contain_text(f"库位 {location}")
    customer = rows[0]
    group = page.locator(f'.customer-group[data-customer="{customer["customer"]}"]')
    expect(group.locator(".customer-name")).to_have_text(customer["customer_name"])
    expect(group.locator(".customer-code")).to_have_text(customer["customer"])
    expect(page.locator(".customer-group")).to_have_count(len({r["customer"] for r in rows}))
    assert shown_rows(page) == expected(rows)
    assert shown_total(page) == sum(r["quantity"] for r in rows)
    expect(page.locator(".stock-row").first).to_contain_text("批次")
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#scan")).to_have_value("")


def test_location_scan_in_english_after_language_switch(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    location = busiest_location(demo_db)
    rows = rows_at(demo_db, location)
    page.goto("/")
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    log_in("pick01")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#user-roles")).to_have_text("Picker")
    expect(page.locator('[data-menu="picking"]')).to_have_text("Picking")
    page.locator('[data-menu="stock"]').click()
    expect(page.locator(".topbar-title")).to_have_text("Stock lookup")
    expect(page.locator("label[for=scan]")).to_have_text("Location or item")

    before = feedback_count(page)
    wedge_scan(page, location)

    expect_feedback(page, "good", before)
    total = sum(r["quantity"] for r in rows)
    expect(page.locator("#banner .banner-text")).to_contain_text(f"Location {location}")
    expect(page.locator("#banner .banner-text")).to_contain_text(f"{total:,} units")
    expect(page.locator(".result-total")).to_contain_text("Total")
    expect(page.locator(".stock-row").first).to_contain_text("Lot")
    expect(page.locator(".stock-row").first).to_contain_text("Expiry")
    assert shown_rows(page) == expected(rows)

    # Switching back relabels what is on screen without scanning again.
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".result-total")).to_contain_text("合计")
    expect(page.locator("#banner .banner-text")).to_contain_text(f"库位 {location}")
    expect(page.locator("#scan")).to_be_focused()


def test_item_ean_with_tab_suffix_lists_its_locations(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    item = item_with_stock(demo_db)
    open_stock_lookup(page, logged_in_as)
    page.evaluate(
        "window.__blurs = 0;"
        "document.getElementById('scan').addEventListener('blur', () => window.__blurs++)"
    )

    before = feedback_count(page)
    wedge_scan(page, item["barcode"], suffix="Tab")

    expect_feedback(page, "good", before)
    expect(page.locator("#result")).to_have_attribute("data-kind", "sku")
    assert shown_rows(page) == expected(rows_of_sku(demo_db, item["sku_id"]))
    # Tab ended the scan without moving focus, even for a moment: the next scan goes in.
    assert page.evaluate("window.__blurs") == 0
    expect(page.locator("#scan")).to_be_focused()
    location = busiest_location(demo_db)
    wedge_scan(page, location, suffix="Tab")
    expect_feedback(page, "good", before + 1)
    assert shown_rows(page) == expected(rows_at(demo_db, location))


def test_gs1_scan_with_aim_prefix_and_gs_placeholder_finds_the_item(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    item = item_with_stock(demo_db)
    code = gs1_element_string(item)
    open_stock_lookup(page, logged_in_as)

    before = feedback_count(page)
    with page.expect_request(lambda r: LOOKUP in r.url) as request:
        wedge_scan(page, code)

    assert parse_qs(urlparse(request.value.url).query)["code"] == [code]
    expect_feedback(page, "good", before)
    assert shown_rows(page) == expected(rows_of_sku(demo_db, item["sku_id"]))


def _ctrl_bracket(page: Page) -> None:
    page.keyboard.press("Control+BracketRight")


def _alt_029(page: Page) -> None:
    page.keyboard.down("Alt")
    for key in ("Numpad0", "Numpad2", "Numpad9"):
        page.keyboard.press(key)
    page.keyboard.up("Alt")


def _raw_gs(page: Page) -> None:
    page.keyboard.insert_text("\x1d")


@pytest.mark.parametrize(
    "send_gs", [_ctrl_bracket, _alt_029, _raw_gs], ids=["ctrl-]", "alt-029", "0x1d"]
)
def test_gs_separator_from_any_wedge_reaches_the_server_as_placeholder(
    page: Page,
    logged_in_as: Callable[[str], None],
    demo_db: sqlite3.Connection,
    send_gs: Callable[[Page], None],
) -> None:
    item = item_with_stock(demo_db)
    before_gs, after_gs = gs1_element_string(item).split("~")
    open_stock_lookup(page, logged_in_as)

    before = feedback_count(page)
    with page.expect_request(lambda r: LOOKUP in r.url) as request:
        page.keyboard.type(before_gs, delay=5)
        send_gs(page)
        wedge_scan(page, after_gs)

    assert parse_qs(urlparse(request.value.url).query)["code"] == [f"{before_gs}~{after_gs}"]
    expect_feedback(page, "good", before)
    assert shown_rows(page) == expected(rows_of_sku(demo_db, item["sku_id"]))


def test_wrong_check_digit_and_unknown_code_give_bad_feedback_with_translated_error(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    ean = item_with_stock(demo_db)["barcode"]
    wrong = ean[:-1] + str((int(ean[-1]) + 1) % 10)
    open_stock_lookup(page, logged_in_as)

    before = feedback_count(page)
    wedge_scan(page, wrong)
    expect_feedback(page, "bad", before)
    expect(page.locator("#banner .banner-text")).to_have_text("条码校验位错误，请重扫")
    expect(page.locator("#banner .banner-detail")).to_contain_text(wrong)
    expect(page.locator("#result")).to_be_hidden()

    wedge_scan(page, "NO-SUCH-PLACE-42")
    expect_feedback(page, "bad", before + 1)
    expect(page.locator("#banner .banner-text")).to_have_text("未找到此库位或商品")
    expect(page.locator("#scan")).to_be_focused()

    page.locator("#lang").click()
    expect(page.locator("#banner .banner-text")).to_have_text("No such location or item")


def test_slow_typing_with_ok_button_is_manual_and_empty_scans_are_ignored(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    location = busiest_location(demo_db)
    open_stock_lookup(page, logged_in_as)
    lookups: list[str] = []
    page.on("request", lambda r: lookups.append(r.url) if LOOKUP in r.url else None)

    page.keyboard.press("Enter")
    page.keyboard.type("   ")
    page.keyboard.press("Tab")
    expect(page.locator("#scan")).to_be_focused()

    before = feedback_count(page)
    page.keyboard.type(location, delay=120)  # a person: slower than max_interkey_ms
    page.get_by_role("button", name="确定").click()

    expect_feedback(page, "good", before)
    expect(page.locator("#banner")).to_have_attribute("data-source", "manual")
    expect(page.locator("#banner .banner-detail")).to_have_text(f"{location} · 手输")
    assert len(lookups) == 1
    expect(page.locator("#scan")).to_be_focused()

    # A person typing and pressing Enter is still a person.
    page.keyboard.type(location, delay=120)
    page.keyboard.press("Enter")
    expect_feedback(page, "good", before + 1)
    expect(page.locator("#banner")).to_have_attribute("data-source", "manual")

    # The on-screen keyboard stays away for scanning until asked for.
    scan = page.locator("#scan")
    expect(scan).to_have_attribute("inputmode", "none")
    page.get_by_role("button", name="键盘").click()
    expect(scan).to_have_attribute("inputmode", "text")
    expect(scan).to_be_focused()


SPY_ON_SOUND_AND_VIBRATION = """
window.__tones = [];
window.__vibrations = [];
navigator.vibrate = (pattern) => { window.__vibrations.push([].concat(pattern)); return true; };
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const osc = createOscillator.call(this);
  const start = osc.start.bind(osc);
  osc.start = (when) => { window.__tones.push(osc.frequency.value); return start(when); };
  return osc;
};
"""


def test_good_and_bad_scans_sound_and_vibrate_differently(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    page.add_init_script(SPY_ON_SOUND_AND_VIBRATION)
    open_stock_lookup(page, logged_in_as)

    before = feedback_count(page)
    wedge_scan(page, busiest_location(demo_db))
    expect_feedback(page, "good", before)
    good_tones, good_buzz = page.evaluate("[window.__tones, window.__vibrations]")
    page.evaluate("window.__tones = []; window.__vibrations = []")

    wedge_scan(page, "NO-SUCH-PLACE-42")
    expect_feedback(page, "bad", before + 1)
    bad_tones, bad_buzz = page.evaluate("[window.__tones, window.__vibrations]")

    assert len(good_tones) == 1, "good is one beep"
    assert len(bad_tones) == 2, "bad is a double buzz"
    assert max(bad_tones) < min(good_tones), "bad sounds lower than good"
    assert len(good_buzz) == len(bad_buzz) == 1
    assert sum(bad_buzz[0]) > sum(good_buzz[0]), "bad vibrates longer than good"


def test_stock_lookup_fits_a_phone_screen(
    page: Page,
    logged_in_as: Callable[[str], None],
    demo_db: sqlite3.Connection,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    open_stock_lookup(page, logged_in_as)
    before = feedback_count(page)
    wedge_scan(page, busiest_location(demo_db))
    expect_feedback(page, "good", before)

    shot = tmp_path_factory.mktemp("screenshots") / "stock-lookup-360x640.png"
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")

    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page scrolls sideways: {width}"
    smallest = page.evaluate(
        """Math.min(...[...document.querySelectorAll('main *')]
            .filter(el => el.offsetParent && el.childNodes.length
                     && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(el => parseFloat(getComputedStyle(el).fontSize)))"""
    )
    assert smallest >= 14, f"text as small as {smallest}px is hard to read on a handheld"
    for button in page.locator("main button:visible").all():
        box = button.bounding_box()
        assert box and box["height"] >= 44, f"touch target too small: {box}"


def test_an_enter_before_the_page_script_runs_does_not_reload_the_page(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    logged_in_as("pick01")
    held: list[Route] = []  # the page's script waits until the scan was typed
    page.route("**/js/stock.js*", lambda route: held.append(route))
    page.goto("/stock.html", wait_until="commit")  # a module script holds DOMContentLoaded
    page.locator("#scan").fill("DOCK-04")
    page.locator("#scan").press("Enter")
    assert page.url.endswith("/stock.html"), page.url
    expect(page.locator("#scan")).to_have_value("DOCK-04")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    page.wait_for_selector("#scan-form[data-ready]", state="attached")
    assert page.url.endswith("/stock.html"), page.url
