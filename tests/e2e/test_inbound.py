"""Inbound on the handheld: check-in, receiving with a live tally, close with reasons, the
printed receipt, and put-away by scan, in a real Chromium at 360x640 against a real server.

Plans are made through the API with unique numbers and lots, so tests never meet on the
shared server; what the pages should have done is checked in the server's own database.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from server.config import load_settings, site_today
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

RECEIVE = "/receive"
CUSTOMER = "HKBEAUTY"  # lot- and expiry-tracked SKUs, storage zone A
BOOK_NO = "T5165W000101"


# The API, for what the test sets up ----------------------------------------------------


class Refused(Exception):
    def __init__(self, code: str, details: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass
class Api:
    server: Server
    token: Callable[[str], str]

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token(user)}", "X-Device": "e2e-tests"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            headers["Idempotency-Key"] = f"e2e-{uuid.uuid4().hex}"
        request = urllib.request.Request(
            f"{self.server.base_url}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as err:
            error = json.load(err)["error"]
            raise Refused(error["code"], error["details"]) from err

    def plan(self, lines: list[dict[str, Any]], transport: dict[str, str]) -> dict[str, Any]:
        """A customs-released plan of CUSTOMER expected today, with a unique number."""
        return self.call(
            "sup01",
            "POST",
            "/api/v1/plans",
            {
                "customer": CUSTOMER,
                "plan_no": f"E2E-{uuid.uuid4().hex[:10].upper()}",
                "transport": transport,
                # Today on the site's calendar, as the receiving page asks for it.
                "expected_arrival": site_today(load_settings(self.server.config_path)).isoformat(),
                "customs_released": True,
                "lines": lines,
            },
        )

    def check_in(self, plan: dict[str, Any], dock: str) -> None:
        reference = plan["transport"].get("container_no") or plan["transport"]["truck_plate"]
        self.call(
            "recv01",
            "POST",
            f"/api/v1/plans/{plan['id']}/check-in",
            {"reference": reference, "seal_no": "SEAL-1", "dock": dock},
        )

    def receive(self, plan: dict[str, Any], scan: str) -> dict[str, Any]:
        return self.call("recv01", "POST", f"/api/v1/plans/{plan['id']}/receive", {"scan": scan})


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    ean: str
    record_no: str


_taken: set[str] = set()


@pytest.fixture
def items(demo_db: sqlite3.Connection) -> Callable[[int], list[Item]]:
    """SKUs of CUSTOMER with an EAN-13 and no stock yet, none handed out twice: each test
    has the dock and the suggestions for its own SKUs."""

    def take(n: int) -> list[Item]:
        rows = demo_db.execute(
            "SELECT s.code, s.name, sb.barcode, s.customs_record_no FROM skus s "
            "JOIN customers c ON c.id = s.customer_id JOIN sku_barcodes sb ON sb.sku_id = s.id "
            "WHERE c.code = ? AND length(sb.barcode) = 13 AND s.lot_tracked = 1 "
            "AND s.expiry_tracked = 1 AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.sku_id = s.id) "
            "ORDER BY s.code",
            (CUSTOMER,),
        ).fetchall()
        free = [r for r in rows if r["code"] not in _taken][:n]
        assert len(free) == n, "the demo warehouse ran out of unstocked SKUs"
        _taken.update(r["code"] for r in free)
        return [Item(r["code"], r["name"], r["barcode"], r["customs_record_no"]) for r in free]

    return take


def unique_lot() -> str:
    return f"L{uuid.uuid4().hex[:7].upper()}"


def good_expiry() -> date:
    return date.today() + timedelta(days=400)


def gs1(item: Item, lot: str, count: int, expiry: date | None = None) -> str:
    """A GS1-128 read with AIM prefix: (01) GTIN-14, (17) expiry, (10) lot, GS, (30) count."""
    yymmdd = (expiry or good_expiry()).strftime("%y%m%d")
    return f"]C101{item.ean.zfill(14)}17{yymmdd}10{lot}~30{count}"


def sscc18(serial: int) -> str:
    """An SSCC-18 with its GS1 check digit."""
    body = f"00614141{serial:09d}"  # extension 0, company prefix 0614141, serial
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


# What the database says --------------------------------------------------------------


def balance(db: sqlite3.Connection, location: str, sku: str, lot: str) -> int:
    row = db.execute(
        "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b "
        "JOIN locations l ON l.id = b.location_id JOIN skus s ON s.id = b.sku_id "
        "WHERE l.code = ? AND s.code = ? AND b.lot = ?",
        (location, sku, lot),
    ).fetchone()
    return int(row[0])


def where_is(db: sqlite3.Connection, sku: str, lot: str) -> dict[str, int]:
    return {
        r[0]: r[1]
        for r in db.execute(
            "SELECT l.code, b.quantity FROM balances b JOIN locations l ON l.id = b.location_id "
            "JOIN skus s ON s.id = b.sku_id WHERE s.code = ? AND b.lot = ? ORDER BY l.code",
            (sku, lot),
        )
    }


def plan_row(db: sqlite3.Connection, plan_id: int) -> sqlite3.Row:
    return db.execute("SELECT * FROM delivery_plans WHERE id = ?", (plan_id,)).fetchone()


# Driving the pages -------------------------------------------------------------------


def wedge_scan(page: Page, code: str, suffix: str = "Enter") -> None:
    """Type like a keyboard-wedge scanner into the focused scan field, then the suffix."""
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(code, delay=5)
    page.keyboard.press(suffix)


def feedback_count(page: Page) -> int:
    return int(page.locator("body").get_attribute("data-feedback-seq") or 0)


def expect_feedback(page: Page, kind: str, before: int, text: str | None = None) -> None:
    """Wait for a feedback after `before` and check the latest is `kind` (and says `text`)."""
    page.wait_for_function("n => Number(document.body.dataset.feedbackSeq || 0) > n", arg=before)
    expect(page.locator("body")).to_have_attribute("data-feedback", kind)
    expect(page.locator("#banner")).to_have_attribute("data-feedback", kind)
    if text is not None:
        expect(page.locator("#banner .banner-text")).to_contain_text(text)


def scan_expecting(page: Page, code: str, kind: str, text: str | None = None) -> None:
    before = feedback_count(page)
    wedge_scan(page, code)
    expect_feedback(page, kind, before, text)


def switch_user(page: Page, logged_in_as: Callable[[str], None], user: str) -> None:
    """Hand the browser to another person: their session, no cached user code."""
    logged_in_as(user)
    page.add_init_script("sessionStorage.removeItem('bondfloor.user')")


def tally_line(page: Page, sku: str) -> dict[str, int]:
    row = page.locator(f'.tally-line[data-sku="{sku}"]')
    expect(row).to_be_visible()
    return {
        key: int(row.get_attribute(f"data-{key}") or 0)
        for key in ("expected", "counted", "damaged", "difference")
    }


def expect_counted(page: Page, sku: str, counted: int) -> None:
    expect(page.locator(f'.tally-line[data-sku="{sku}"]')).to_have_attribute(
        "data-counted", str(counted)
    )


def assert_fits_phone(page: Page, shots: Any, name: str) -> None:
    """No sideways scrolling, readable text, thumb-sized buttons; keeps a screenshot."""
    page.screenshot(path=str(shots / f"{name}-360x640.png"))
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: page scrolls sideways: {width}"
    smallest = page.evaluate(
        """Math.min(...[...document.querySelectorAll('main *')]
            .filter(el => el.offsetParent && [...el.childNodes]
                .some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(el => parseFloat(getComputedStyle(el).fontSize)))"""
    )
    assert smallest >= 14, f"{name}: text as small as {smallest}px"
    for button in page.locator("main button:visible, main a.link-button:visible").all():
        box = button.bounding_box()
        assert box and box["height"] >= 44, f"{name}: touch target too small: {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, f"{name}: cut off: {box}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("inbound-screenshots")
    print(f"screenshots: {folder}")
    return folder


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


def sounds(page: Page) -> tuple[list[float], list[list[int]]]:
    tones, buzz = page.evaluate("[window.__tones, window.__vibrations]")
    page.evaluate("window.__tones = []; window.__vibrations = []")
    return tones, buzz


# The whole inbound flow ----------------------------------------------------------------


def test_receive_close_print_put_away_and_find_the_goods(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
    site_name: str,
    shots: Any,
) -> None:
    full, short, exact = items(3)
    lots = {full.sku: unique_lot(), short.sku: unique_lot(), exact.sku: unique_lot()}
    container = f"MSKU{uuid.uuid4().int % 10**7:07d}"
    plan = api.plan(
        [
            {"sku": full.sku, "expected_qty": 10},
            {"sku": short.sku, "expected_qty": 5},
            {"sku": exact.sku, "expected_qty": 4},
        ],
        {"type": "sea", "container_no": container, "vessel": "COSCO TAURUS", "voyage": "061E"},
    )

    # Today's arrivals: tap ours.
    logged_in_as("recv01")
    page.goto("/home.html")
    page.locator('[data-menu="receiving"]').click()
    expect(page).to_have_url(re.compile(r"/receiving\.html"))
    entry = page.locator(f'.plan-item[data-plan-no="{plan["plan_no"]}"]')
    expect(entry).to_contain_text(container)
    expect(entry).to_contain_text("待到货")
    assert_fits_phone(page, shots, "receiving-arrivals")
    entry.click()

    # Check-in: the container number, then the seal, both by wedge scan.
    expect(page.locator("#plan-no")).to_have_text(plan["plan_no"])
    expect(page.locator("#plan-released")).to_have_text("海关已放行")
    expect(page.locator("#plan-ref")).to_have_text(container)
    expect(page.locator("#step-checkin")).to_be_visible()
    expect(page.locator("label[for=scan]")).to_have_text("扫描集装箱号")
    assert_fits_phone(page, shots, "receiving-checkin")
    wedge_scan(page, container.lower())  # case and spacing do not matter
    expect(page.locator("#slot-reference-value")).to_have_text(container.lower())
    expect(page.locator("label[for=scan]")).to_have_text("扫描封条号")
    scan_expecting(page, "SL-778812", "good", "已登记到达 DOCK-01")
    expect(page.locator("#step-receive")).to_be_visible()
    expect(page.locator("#plan-status")).to_have_text("已到货")
    # The check-in stays in sight while receiving, not only in a banner the next scan replaces.
    expect(page.locator("#plan-arrival")).to_have_text(
        f"已到货 DOCK-01 · {container} · 封条 SL-778812"
    )

    # Receiving: GS1 labels carrying lot, expiry and count.
    scan_expecting(page, gs1(full, lots[full.sku], 6), "good", f"+6 {full.sku}")
    expect(page.locator("#banner .banner-detail")).to_contain_text(lots[full.sku])
    expect_counted(page, full.sku, 6)
    before = feedback_count(page)
    page.keyboard.type(gs1(full, lots[full.sku], 3), delay=5)
    page.keyboard.press("Tab")  # a scanner ending its reads with Tab
    expect_feedback(page, "good", before, f"+3 {full.sku}")
    expect_counted(page, full.sku, 9)
    # One unit arrived damaged: toggle, scan its label; it goes to quarantine.
    page.locator("#damaged").click()
    expect(page.locator("#damaged")).to_have_attribute("aria-pressed", "true")
    scan_expecting(page, gs1(full, lots[full.sku], 1), "good", f"+1 {full.sku}")
    expect(page.locator("#banner .banner-detail")).to_contain_text("残损 → QUAR-01")
    expect(page.locator("#damaged")).to_have_attribute("aria-pressed", "false")
    scan_expecting(page, gs1(short, lots[short.sku], 3), "good", f"+3 {short.sku}")
    # The count field overrides: two reads of a single-unit label, typed count 2 each.
    page.locator("#count-more").click()
    expect(page.locator("#count")).to_have_value("2")
    expect(page.locator("#scan")).to_be_focused()
    scan_expecting(page, gs1(exact, lots[exact.sku], 1), "good", f"+2 {exact.sku}")
    expect(page.locator("#count")).to_have_value("")
    page.locator("#count").fill("2")
    page.keyboard.press("Enter")  # hands the focus back to the scan field
    scan_expecting(page, gs1(exact, lots[exact.sku], 1), "good", f"+2 {exact.sku}")

    expect_counted(page, exact.sku, 4)
    assert tally_line(page, full.sku) == {
        "expected": 10,
        "counted": 10,
        "damaged": 1,
        "difference": 0,
    }
    assert tally_line(page, short.sku) == {
        "expected": 5,
        "counted": 3,
        "damaged": 0,
        "difference": -2,
    }
    expect(page.locator(f'.tally-line[data-sku="{short.sku}"]')).to_have_attribute(
        "data-state", "short"
    )
    expect(page.locator("#tally-counted")).to_have_text("17")
    assert_fits_phone(page, shots, "receiving-tally")

    # Close: the damaged and the short line need their reasons, chosen on the page.
    page.locator("#close-start").click()
    reasons = page.locator(".reason-line")
    expect(reasons).to_have_count(2)
    before = feedback_count(page)
    page.locator("#close-submit").click()  # nothing chosen yet: the page asks
    expect_feedback(page, "bad", before, "请为每个差异行选择原因")
    assert plan_row(demo_db, plan["id"])["status"] == "receiving"
    damaged_line = page.locator(f'.reason-line[data-sku="{full.sku}"]')
    damaged_line.locator("select").select_option("damaged")
    damaged_line.locator("input").fill("外箱压坏")
    short_line = page.locator(f'.reason-line[data-sku="{short.sku}"]')
    short_line.locator("select").select_option("short")
    assert_fits_phone(page, shots, "receiving-close")
    before = feedback_count(page)
    page.locator("#close-submit").click()
    expect_feedback(page, "good", before, "收货已关闭")
    expect(page.locator("#step-closed")).to_be_visible()
    expect(page.locator("#plan-status")).to_have_text("已关闭")
    assert plan_row(demo_db, plan["id"])["status"] == "closed"
    assert_fits_phone(page, shots, "receiving-closed")

    # The warehouse receipt (进仓单) print view.
    page.locator("#print-receipt").click()
    expect(page).to_have_url(re.compile(r"/receipt\.html\?plan=\d+&doc=receipt"))
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#doc-title")).to_have_text("进仓单")
    expect(page.locator("#doc-site")).to_have_text(site_name)
    expect(page.locator('[data-fact="plan_no"]')).to_have_text(plan["plan_no"])
    expect(page.locator('[data-fact="book"]')).to_have_text(BOOK_NO)
    expect(page.locator('[data-fact="container_no"]')).to_have_text(container)
    expect(page.locator('[data-fact="vessel"]')).to_have_text("COSCO TAURUS / 061E")
    expect(page.locator('[data-fact="seal_no"]')).to_have_text("SL-778812")
    expect(page.locator('[data-fact="closed_at"]')).not_to_have_text("—")
    expect(page.locator("#doc-draft")).to_be_hidden()
    lines = page.locator("#doc-lines tbody tr")
    expect(lines).to_have_count(3)
    short_row = page.locator(f'#doc-lines tr[data-sku="{short.sku}"] td')
    assert short_row.all_inner_texts()[4:9] == ["5", "3", "0", "−2", "短少"]
    full_row = page.locator(f'#doc-lines tr[data-sku="{full.sku}"] td')
    assert full_row.all_inner_texts()[4:10] == ["10", "10", "1", "0", "残损", "外箱压坏"]
    expect(page.locator('#doc-lines [data-total="counted"]')).to_have_text("17")
    lots_shown = page.locator("#doc-lots tbody tr").evaluate_all(
        """rows => rows.map(r => [...r.cells].slice(1).map(c => c.textContent))"""
    )

    def lot_row(item: Item, condition: str, location: str, quantity: int) -> list[str]:
        expiry = good_expiry().isoformat()
        row = [item.sku, item.name, item.record_no, lots[item.sku], expiry, condition]
        return [*row, location, str(quantity)]

    expected_lots = [
        lot_row(full, "残损", "QUAR-01", 1),
        lot_row(full, "良品", "DOCK-01", 9),
        lot_row(short, "良品", "DOCK-01", 3),
        lot_row(exact, "良品", "DOCK-01", 4),
    ]
    assert sorted(lots_shown) == sorted(expected_lots)
    expect(page.locator("#doc-received-by")).to_contain_text("recv01")
    expect(page.locator(".signature")).to_have_count(3)
    expect(page.locator("#print")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#print")).to_be_hidden()
    expect(page.locator("#doc")).to_be_visible()
    page.emulate_media(media="screen")
    page.screenshot(path=str(shots / "receipt-360x640.png"), full_page=True)
    # The tally record (理货单) of the same receipt leads with the count.
    page.goto(f"/receipt.html?plan={plan['id']}&doc=tally")
    expect(page.locator("#doc-title")).to_have_text("理货单")
    expect(page.locator(".doc-section").first).to_have_id("doc-lines-section")
    expect(page.locator(f'#doc-lines tr[data-sku="{short.sku}"]')).to_contain_text("短少")

    # Put-away by put01: follow each suggestion by scanning the suggested location.
    switch_user(page, logged_in_as, "put01")
    page.goto("/home.html")
    page.locator('[data-menu="putaway"]').click()
    expect(page).to_have_url(re.compile(r"/putaway\.html"))
    expect(page.locator("#source")).to_have_value("DOCK-01")
    for item in (full, short, exact):
        expect(page.locator(f'.pending-row[data-sku="{item.sku}"]')).to_be_visible()

    targets: dict[str, str] = {}
    # The first five of the good nine, by scanning the item's label.
    scan_expecting(page, gs1(full, lots[full.sku], 1), "good", full.sku)
    target = page.locator("#suggested").inner_text()
    assert re.fullmatch(r"A-\d\d-\d\d-\d", target), target  # HKBEAUTY's own zone
    expect(page.locator("#qty")).to_have_value("9")
    assert_fits_phone(page, shots, "putaway-task")
    page.locator("#qty").fill("5")
    page.keyboard.press("Enter")
    scan_expecting(page, target, "good", f"已上架 5 件 {full.sku} → {target}")
    targets[full.sku] = target
    # The rest stays in the list; tap it, and it goes where its lot already lies.
    rest = page.locator(f'.pending-row[data-sku="{full.sku}"]')
    expect(rest).to_have_attribute("data-quantity", "4")
    expect(rest).to_have_attribute("data-suggestion", target)
    rest.click()
    expect(page.locator("#qty")).to_have_value("4")
    expect(page.locator("#suggested")).to_have_text(target)
    scan_expecting(page, target, "good", f"已上架 4 件 {full.sku}")
    for item in (short, exact):
        scan_expecting(page, item.ean, "good", item.sku)
        targets[item.sku] = page.locator("#suggested").inner_text()
        scan_expecting(page, targets[item.sku].lower(), "good", f"{item.sku} → {targets[item.sku]}")
    expect(page.locator(".trail-move")).to_have_count(4)
    expect(page.locator(".trail-move").first).to_contain_text(exact.sku)
    for item in (full, short, exact):
        expect(page.locator(f'.pending-row[data-sku="{item.sku}"]')).to_have_count(0)
    assert_fits_phone(page, shots, "putaway-done")

    # The stock lookup finds them at their new locations.
    page.goto("/stock.html")
    scan_expecting(page, targets[full.sku], "good")
    row = page.locator(f'.stock-row[data-sku="{full.sku}"][data-location="{targets[full.sku]}"]')
    expect(row).to_have_attribute("data-quantity", "9")
    expect(row).to_contain_text(lots[full.sku])

    # And the ledger agrees: stored, the damaged unit in quarantine, the dock clear.
    assert where_is(demo_db, full.sku, lots[full.sku]) == {targets[full.sku]: 9, "QUAR-01": 1}
    assert where_is(demo_db, short.sku, lots[short.sku]) == {targets[short.sku]: 3}
    assert where_is(demo_db, exact.sku, lots[exact.sku]) == {targets[exact.sku]: 4}
    for item in (full, short, exact):
        assert balance(demo_db, "DOCK-01", item.sku, lots[item.sku]) == 0


# Put-away refusals -------------------------------------------------------------------


def other_customers_locations(api: Api, demo_db: sqlite3.Connection) -> tuple[str, str]:
    """A storage location assigned to AUNUTRI, and a free one we fill with JPHOME goods."""
    assigned = demo_db.execute(
        "SELECT l.code FROM locations l JOIN customers c ON c.id = l.customer_id "
        "WHERE c.code = 'AUNUTRI' AND l.type = 'storage' AND l.code LIKE 'B-01-%' "
        "ORDER BY l.code LIMIT 1"
    ).fetchone()[0]
    holding = demo_db.execute(
        "SELECT l.code FROM locations l WHERE l.customer_id IS NULL AND l.type = 'storage' "
        "AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.location_id = l.id) "
        "ORDER BY l.code DESC LIMIT 1"
    ).fetchone()[0]
    jphome_sku = demo_db.execute(
        "SELECT s.code FROM skus s JOIN customers c ON c.id = s.customer_id "
        "WHERE c.code = 'JPHOME' AND s.lot_tracked = 0 ORDER BY s.code LIMIT 1"
    ).fetchone()[0]
    api.call(
        "sup01",
        "POST",
        "/api/v1/ledger/movements",
        {
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "JPHOME",
            "sku": jphome_sku,
            "quantity": 1,
            "to_location": holding,
            "document": "E2E-SEGREGATION",
        },
    )
    return assigned, holding


def test_a_location_entered_while_the_putaway_page_loads_is_confirmed(
    page: Page, logged_in_as: Callable[[str], None], api: Api, items: Callable[[int], list[Item]]
) -> None:
    """On a slow Wi-Fi the page's own first load of the waiting goods may start after the
    putter has entered the dock and before the dock's goods answer; the dock is still
    confirmed, with what waits there."""
    (item,) = items(1)
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 4}], {"type": "sea", "container_no": "TGHU8765432"}
    )
    api.check_in(plan, "DOCK-02")
    api.receive(plan, gs1(item, unique_lot(), 4))
    logged_in_as("put01")
    session: list[Route] = []
    pending: list[Route] = []
    page.route("**/api/v1/auth/me", lambda route: session.append(route))  # answers late
    page.route("**/api/v1/putaway/pending*", lambda route: pending.append(route))

    def until(held: list[Route], n: int) -> None:
        for _ in range(300):
            if len(held) >= n:
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"{n} requests never came")

    page.goto("/putaway.html")
    page.locator("#source").fill("dock-02")
    before = feedback_count(page)
    page.locator("#source").press("Enter")
    until(pending, 1)  # the dock's goods asked for
    for route in session:
        route.continue_()  # the page's start goes on: its own load of the goods
    until(pending, 2)
    for route in pending:  # the dock's goods answer first, then the page's own load
        route.continue_()

    expect_feedback(page, "good", before, "DOCK-02")
    expect(page.locator(f'.pending-row[data-sku="{item.sku}"]')).to_have_attribute(
        "data-quantity", "4"
    )


def test_putaway_refuses_other_customer_location_with_its_own_alarm(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    lot = unique_lot()
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 6}], {"type": "sea", "container_no": "TGHU8765432"}
    )
    api.check_in(plan, "DOCK-03")
    api.receive(plan, gs1(item, lot, 6))
    assigned, holding = other_customers_locations(api, demo_db)

    page.add_init_script(SPY_ON_SOUND_AND_VIBRATION)
    logged_in_as("put01")
    page.goto("/putaway.html")
    # The source location is a field: tap it, scan or type the dock, Enter.
    page.locator("#source").fill("dock-03")
    before = feedback_count(page)
    page.locator("#source").press("Enter")
    expect_feedback(page, "good", before, "DOCK-03")
    expect(page.locator(f'.pending-row[data-sku="{item.sku}"]')).to_have_attribute(
        "data-quantity", "6"
    )
    scan_expecting(page, gs1(item, lot, 1), "good", item.sku)
    suggested = page.locator("#suggested").inner_text()
    sounds(page)

    # A typo first: an ordinary refusal.
    scan_expecting(page, "NO-SUCH-LOCATION", "bad", "库位不存在")
    bad_tones, bad_buzz = sounds(page)

    for location in (assigned, holding):
        scan_expecting(
            page,
            location,
            "segregation",
            f"库位 {location} 属于其他货主或存有其他货主的货物，不能混放",
        )
        expect(page.locator("#banner .banner-detail")).to_have_text(
            "不同货主的货物不能放在同一库位"
        )
        tones, buzz = sounds(page)
        assert len(tones) == 3 and tones != bad_tones, "segregation has its own siren"
        assert sum(buzz[0]) > sum(bad_buzz[0]), "and a longer buzz than a plain refusal"
        # Nothing moved; the item is still in hand, waiting for a right location.
        expect(page.locator("#task")).to_be_visible()
    assert balance(demo_db, "DOCK-03", item.sku, lot) == 6
    assert balance(demo_db, assigned, item.sku, lot) == 0
    assert balance(demo_db, holding, item.sku, lot) == 0
    held = demo_db.execute(
        "SELECT c.code, SUM(b.quantity) FROM balances b JOIN locations l ON l.id = b.location_id "
        "JOIN customers c ON c.id = b.customer_id WHERE l.code = ? GROUP BY c.code",
        (holding,),
    ).fetchall()
    assert [tuple(r) for r in held] == [("JPHOME", 1)]

    page.locator("#lang").click()
    expect(page.locator("#banner .banner-text")).to_have_text(
        f"Location {holding} belongs to or holds another customer's goods; never mix"
    )
    scan_expecting(page, suggested, "good", f"Put 6 × {item.sku} on {suggested}")
    assert where_is(demo_db, item.sku, lot) == {suggested: 6}


def test_sscc_carton_is_received_and_put_away_whole(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    lot = unique_lot()
    sscc = sscc18(uuid.uuid4().int % 10**9)
    plan = api.plan(
        [
            {
                "sku": item.sku,
                "expected_qty": 8,
                "lot": lot,
                "expiry": good_expiry().isoformat(),
                "sscc": sscc,
            }
        ],
        {"type": "air", "air_waybill": "784-12345675", "flight": "CX0401"},
    )
    api.check_in({**plan, "transport": {"container_no": "784-12345675"}}, "STG-01")

    logged_in_as("recv01")
    page.goto(f"/receiving.html?plan={plan['id']}")
    expect(page.locator("#step-receive")).to_be_visible()
    expect(page.locator("#plan-ref")).to_have_text("784-12345675")
    scan_expecting(page, f"]C100{sscc}", "good", f"+8 {item.sku}")
    expect_counted(page, item.sku, 8)

    switch_user(page, logged_in_as, "put01")
    page.goto("/putaway.html?location=STG-01")
    row = page.locator(f'.pending-row[data-sku="{item.sku}"]')
    expect(row).to_have_attribute("data-quantity", "8")
    target = row.get_attribute("data-suggestion")
    assert target
    scan_expecting(page, f"]C100{sscc}", "good", "整箱")
    expect(page.locator("#task")).to_have_attribute("data-kind", "carton")
    scan_expecting(page, target, "good", f"已上架 8 件 {item.sku} → {target}")
    assert where_is(demo_db, item.sku, lot) == {target: 8}


def test_put_away_made_offline_says_saved_and_moves_once_back_online(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    lot = unique_lot()
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 4}], {"type": "sea", "container_no": "SEGU4400441"}
    )
    api.check_in(plan, "STG-02")
    api.receive(plan, gs1(item, lot, 4))
    logged_in_as("put01")
    page.goto("/putaway.html?location=STG-02")
    row = page.locator(f'.pending-row[data-sku="{item.sku}"]')
    target = row.get_attribute("data-suggestion")
    assert target
    page.route("**/api/v1/putaway", lambda r: r.abort("internetdisconnected"))

    row.click()
    page.locator("#qty").fill("3")
    page.keyboard.press("Enter")
    scan_expecting(page, target, "info", "已存在本机，联网后上传")
    expect(page.locator("#outbox")).to_have_text("待上传 1")
    expect(page.locator(".trail-move").first).to_contain_text("待上传")
    expect(row).to_have_attribute("data-quantity", "1")  # not offered twice
    assert balance(demo_db, target, item.sku, lot) == 0

    page.unroute("**/api/v1/putaway")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox")).to_be_hidden()
    assert where_is(demo_db, item.sku, lot) == {"STG-02": 1, target: 3}
    expect(row).to_have_attribute("data-quantity", "1")
    # Uploaded: neither the banner nor the trail says "to upload" any more.
    expect(page.locator("#banner .banner-text")).to_have_text("已上传到服务器")
    expect(page.locator(".trail-move").first).not_to_contain_text("待上传")


# Receiving questions -----------------------------------------------------------------


def open_receiving(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    lines: list[dict[str, Any]],
    container: str,
) -> dict[str, Any]:
    """A released sea plan, checked in at DOCK-04, open on recv01's receiving page."""
    plan = api.plan(lines, {"type": "sea", "container_no": container})
    api.check_in(plan, "DOCK-04")
    logged_in_as("recv01")
    page.goto(f"/receiving.html?plan={plan['id']}")
    expect(page.locator("#step-receive")).to_be_visible()
    return plan


def receive_requests(page: Page) -> list[tuple[str, dict[str, Any]]]:
    """(Idempotency-Key, body) of every receiving scan the page sends."""
    sent: list[tuple[str, dict[str, Any]]] = []
    page.on(
        "request",
        lambda r: (
            sent.append((r.headers["idempotency-key"], json.loads(r.post_data or "{}")))
            if r.method == "POST" and r.url.endswith(RECEIVE)
            else None
        ),
    )
    return sent


def test_plain_ean_of_a_tracked_sku_asks_for_lot_and_expiry_then_offers_the_last_ones(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    lot = unique_lot()
    plan = open_receiving(
        page, logged_in_as, api, [{"sku": item.sku, "expected_qty": 2}], "OOLU1234567"
    )
    sent = receive_requests(page)

    # A question, not a refusal: a plain EAN carries no lot.
    scan_expecting(page, item.ean, "notice", f"{item.sku}：批次和效期？")
    prompt = page.locator("#lot-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text(f"{item.sku} 需要批次和效期")
    expect(page.locator("#lot")).to_be_focused()
    page.keyboard.type(lot.lower(), delay=5)  # scanned off the carton's label
    page.keyboard.press("Enter")
    expect(page.locator("#expiry")).to_be_focused()  # one field after the other
    before = feedback_count(page)
    page.keyboard.type(good_expiry().strftime("%Y%m%d"), delay=5)
    page.keyboard.press("Enter")
    expect_feedback(page, "good", before, f"+1 {item.sku}")
    expect(prompt).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    expect_counted(page, item.sku, 1)

    assert len(sent) == 2 and sent[0][0] != sent[1][0], "the resend is a command of its own"
    assert sent[1][1] == {"scan": item.ean, "lot": lot.lower(), "expiry": good_expiry().isoformat()}

    # The next carton by plain EAN: the last carton's lot and expiry, one tap to accept.
    scan_expecting(page, item.ean, "notice", f"{item.sku}：与上一箱同批次？")
    expect(page.locator("#lot-prompt-title")).to_have_text(f"{item.sku}：与上一箱同批次？")
    expect(page.locator("#lot")).to_have_value(lot.lower())
    expect(page.locator("#expiry")).to_have_value(good_expiry().isoformat())
    before = feedback_count(page)
    page.locator("#lot-submit").click()
    expect_feedback(page, "good", before, f"+1 {item.sku}")
    expect_counted(page, item.sku, 2)
    scans = demo_db.execute(
        "SELECT lot, expiry, quantity FROM receipt_scans WHERE plan_id = ?", (plan["id"],)
    ).fetchall()
    assert [tuple(r) for r in scans] == [(lot.lower(), good_expiry().isoformat(), 1)] * 2


def test_over_receipt_and_unplanned_item_need_confirmation(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    planned, unplanned = items(2)
    lot = unique_lot()
    plan = open_receiving(
        page, logged_in_as, api, [{"sku": planned.sku, "expected_qty": 2}], "CSNU7654321"
    )
    sent = receive_requests(page)

    scan_expecting(page, gs1(planned, lot, 1), "good", f"+1 {planned.sku}")
    scan_expecting(page, gs1(planned, lot, 3), "bad", f"{planned.sku} 超出计划数量")
    over = page.locator("#over-prompt")
    expect(over).to_be_visible()
    expect(page.locator("#over-title")).to_have_text("超出计划，是否收下？")
    expect(page.locator("#over-numbers")).to_have_text("应收 2 · 已收 1 · 本次 3")
    expect_counted(page, planned.sku, 1)
    before = feedback_count(page)
    page.locator("#over-confirm").click()
    expect_feedback(page, "good", before, f"+3 {planned.sku}")
    expect(page.locator("#banner .banner-detail")).to_contain_text("超收")
    expect(over).to_be_hidden()
    assert tally_line(page, planned.sku)["difference"] == 2
    expect(page.locator(f'.tally-line[data-sku="{planned.sku}"]')).to_have_attribute(
        "data-state", "over"
    )
    keys = [key for key, _ in sent]
    assert len(keys) == 3 and len(set(keys)) == 3
    assert sent[2][1] == {"scan": gs1(planned, lot, 3), "confirm_over": True}

    # An item not on the plan: asked, and "don't receive" records nothing.
    scan_expecting(page, gs1(unplanned, lot, 1), "bad", f"{unplanned.sku} 不在此计划中")
    expect(page.locator("#over-title")).to_have_text("计划外商品，是否收下？")
    page.locator("#over-reject").click()
    expect(over).to_be_hidden()
    expect(page.locator("#banner .banner-text")).to_have_text(f"未记录：{unplanned.sku}")
    expect(page.locator("#scan")).to_be_focused()
    recorded = demo_db.execute(
        "SELECT s.code, r.quantity, r.over_confirmed FROM receipt_scans r "
        "JOIN skus s ON s.id = r.sku_id WHERE r.plan_id = ? ORDER BY r.id",
        (plan["id"],),
    ).fetchall()
    assert [tuple(r) for r in recorded] == [(planned.sku, 1, 0), (planned.sku, 3, 1)]


def test_scan_made_offline_says_saved_and_is_counted_once_back_online(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    lot = unique_lot()
    plan = open_receiving(
        page, logged_in_as, api, [{"sku": item.sku, "expected_qty": 5}], "MRKU1112223"
    )
    page.route(f"**/api/v1/plans/{plan['id']}/receive", lambda r: r.abort("internetdisconnected"))

    scan_expecting(page, gs1(item, lot, 5), "info", "已存在本机，联网后上传")
    expect(page.locator("#outbox")).to_have_text("待上传 1")
    expect_counted(page, item.sku, 0)

    page.unroute(f"**/api/v1/plans/{plan['id']}/receive")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox")).to_be_hidden()
    expect_counted(page, item.sku, 5)  # the tally catches up once it is uploaded
    count = demo_db.execute(
        "SELECT SUM(quantity) FROM receipt_scans WHERE plan_id = ?", (plan["id"],)
    ).fetchone()[0]
    assert count == 5


# Check-in ------------------------------------------------------------------------------


def test_receiver_cannot_check_in_a_truck_that_does_not_match(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    plate = "粤ZA1234港"
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 1}],
        {"type": "land", "truck_plate": plate, "second_plate": "TV 1234", "driver": "陈师傅"},
    )
    logged_in_as("recv01")
    page.goto("/receiving.html")
    page.locator(f'.plan-item[data-plan-no="{plan["plan_no"]}"]').click()
    expect(page.locator("label[for=scan]")).to_have_text("扫描车牌")
    wedge_scan(page, "粤ZB9999港")
    scan_expecting(page, "SEAL-0099", "bad", f"粤ZB9999港 与计划不符（应为 {plate},TV 1234）")
    expect(page.locator("#banner .banner-detail")).to_have_text("请联系主管核实")
    expect(page.locator("#override")).to_be_hidden()  # a receiver gets no override
    expect(page.locator("#step-checkin")).to_be_visible()
    row = plan_row(demo_db, plan["id"])
    assert (row["status"], row["arrival_ref"], row["dock_location_id"]) == ("planned", "", None)

    page.locator("#lang").click()
    expect(page.locator("#banner .banner-text")).to_contain_text("does not match the plan")
    page.locator("#lang").click()

    # The right plate: the seal is kept, so the check-in goes straight through.
    expect(page.locator("#slot-seal-value")).to_have_text("SEAL-0099")
    scan_expecting(page, plate, "good", "已登记到达 DOCK-01")
    row = plan_row(demo_db, plan["id"])
    assert (row["status"], row["arrival_ref"], row["seal_no"]) == ("arrived", plate, "SEAL-0099")
    assert row["arrival_override"] == ""


def test_supervisor_accepts_a_mismatching_container_with_a_reason(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 1}], {"type": "sea", "container_no": "TCLU5550001"}
    )
    logged_in_as("sup01")
    page.goto(f"/receiving.html?plan={plan['id']}")
    wedge_scan(page, "TCLU5550010")
    scan_expecting(page, "SEAL-7", "bad", "TCLU5550010 与计划不符（应为 TCLU5550001）")
    override = page.locator("#override")
    expect(override).to_be_visible()
    expect(override).to_contain_text("扫描到 TCLU5550010，计划为 TCLU5550001")
    before = feedback_count(page)
    page.locator("#override-submit").click()
    expect_feedback(page, "bad", before, "请填写强制登记的原因")
    assert plan_row(demo_db, plan["id"])["status"] == "planned"

    page.locator("#override-reason").fill("箱号喷涂错误，已核对提单")
    before = feedback_count(page)
    page.locator("#override-submit").click()
    expect_feedback(page, "good", before, "已登记到达 DOCK-01")
    expect(page.locator("#step-receive")).to_be_visible()
    row = plan_row(demo_db, plan["id"])
    assert row["status"] == "arrived"
    assert row["arrival_override"] == "TCLU5550010: 箱号喷涂错误，已核对提单"


def test_a_container_scanned_while_its_plan_loads_is_the_check_in(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
) -> None:
    """On a page opened for a plan, a scan before the plan has arrived belongs to that plan:
    it must not be looked up as a plan number on the still empty page."""
    (item,) = items(1)
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 1}], {"type": "sea", "container_no": "TCLU5550028"}
    )
    logged_in_as("recv01")
    held: list[Route] = []  # the plan's answer waits until the container has been scanned
    page.route(f"**/api/v1/plans/{plan['id']}", lambda route: held.append(route))
    lookups: list[str] = []
    page.on("request", lambda r: lookups.append(r.url) if "/plans/lookup" in r.url else None)
    page.goto(f"/receiving.html?plan={plan['id']}")
    page.wait_for_selector("#scan-form[data-ready]", state="attached")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    wedge_scan(page, "TCLU5550028")
    held[0].continue_()
    expect(page.locator("body")).to_have_attribute("data-step", "checkin")
    expect(page.locator("#slot-reference-value")).to_have_text("TCLU5550028")
    assert lookups == []


def test_a_lot_the_plan_does_not_name_asks_before_it_is_received(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
) -> None:
    (item,) = items(1)
    planned_lot, other_lot = unique_lot(), unique_lot()
    line = {
        "sku": item.sku,
        "expected_qty": 4,
        "lot": planned_lot,
        "expiry": good_expiry().isoformat(),
    }
    plan = open_receiving(page, logged_in_as, api, [line], "TCLU3344556")

    scan_expecting(page, gs1(item, other_lot, 2), "bad", f"{item.sku} 的此批次不在计划中")
    expect(page.locator("#over-title")).to_have_text("计划外批次，是否收下？")
    before = feedback_count(page)
    page.locator("#over-confirm").click()
    expect_feedback(page, "good", before, f"+2 {item.sku}")
    recorded = demo_db.execute(
        "SELECT lot, quantity, over_confirmed FROM receipt_scans WHERE plan_id = ?", (plan["id"],)
    ).fetchall()
    assert [tuple(r) for r in recorded] == [(other_lot, 2, 1)]


def test_a_lot_that_may_hold_a_date_is_received_with_a_warning(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
) -> None:
    (item,) = items(1)
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 5}],
        {"type": "air", "air_waybill": "784-12345675", "flight": "CX0401"},
    )
    api.check_in({**plan, "transport": {"container_no": "784-12345675"}}, "STG-01")
    logged_in_as("recv01")
    page.goto(f"/receiving.html?plan={plan['id']}")
    expect(page.locator("#step-receive")).to_be_visible()
    # No GS after the lot: "A1" + (17) + a date reads as one lot; it is received as read.
    yymmdd = good_expiry().strftime("%y%m%d")
    swallowed = f"]C101{item.ean.zfill(14)}17{yymmdd}10A117{yymmdd}"
    scan_expecting(page, swallowed, "notice", f"+1 {item.sku}")
    expect(page.locator("#banner")).to_contain_text(f"批次 A117{yymmdd} 可能含有效期")


def test_a_location_typed_while_the_putaway_page_loads_is_the_one_opened(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    """The page's first look-up of what waits must not put its location back over the one
    the user is typing."""
    logged_in_as("put01")
    held: list[Route] = []  # the first look-up's answer waits until the user has typed
    page.route("**/api/v1/putaway/pending?location=DOCK-01", lambda route: held.append(route))
    page.goto("/putaway.html")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    page.locator("#source").fill("dock-03")
    held[0].continue_()
    # The first look-up has drawn the page (it keeps what it found, then draws at once).
    page.wait_for_function(
        "() => (sessionStorage.getItem('bondfloor.open.putaway') || '').includes('DOCK-01')"
    )
    expect(page.locator("#source")).to_have_value("dock-03")
    page.locator("#source").press("Enter")
    expect(page.locator("#pending-title")).to_contain_text("DOCK-03")
    expect(page.locator("#source")).to_have_value("DOCK-03")
