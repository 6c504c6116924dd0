"""The trace page in a real Chromium against a real `bondfloor serve` on the demo floor:
a supervisor traces a demo lot, sees its receipt and put-away with who did them, a move
made on a handheld with its user and device, loads older rows, downloads the CSV with
the same rows, and asks where a counted difference went. A picker gets no tile."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_handheld_login import UNTRANSLATED

pytestmark = pytest.mark.e2e

DEVICE = "HH-TRACE-01"


def api_post(server: Server, token: str, path: str, body: dict[str, Any], key: str) -> Any:
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Device": DEVICE,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def demo_lot(db: sqlite3.Connection) -> sqlite3.Row:
    row: sqlite3.Row = db.execute(
        "SELECT m.lot, m.expiry, m.quantity, s.code AS sku, c.code AS customer, "
        "l.code AS storage FROM movements m JOIN skus s ON s.id = m.sku_id "
        "JOIN customers c ON c.id = m.customer_id JOIN locations l ON l.id = m.to_location_id "
        "WHERE m.kind = 'putaway' AND m.lot != '' ORDER BY m.id LIMIT 1"
    ).fetchone()
    return row


def test_a_supervisor_traces_a_demo_lot_and_downloads_its_csv(
    page: Page,
    log_in: Callable[[str], None],
    server: Server,
    demo_db: sqlite3.Connection,
    session_token: Callable[[str], str],
    tmp_path: Path,
) -> None:
    lot = demo_lot(demo_db)
    token = session_token("sup01")
    # One unit to staging and back, on a handheld: the storage keeps what it had.
    for n, (src, dst) in enumerate(((lot["storage"], "STG-01"), ("STG-01", lot["storage"]))):
        api_post(
            server,
            token,
            "/api/v1/ledger/movements",
            {
                "kind": "move",
                "customer": lot["customer"],
                "sku": lot["sku"],
                "quantity": 1,
                "lot": lot["lot"],
                "expiry": lot["expiry"],
                "from_location": src,
                "to_location": dst,
                "reason": "relocation",
            },
            f"trace-e2e-move-{lot['lot']}-{n}",
        )
    log_in("sup01")
    page.locator("#menu .tile[data-menu='trace']").click()
    expect(page).to_have_url(re.compile(r"/trace\.html"))
    # The page has started (its kinds filled, the language switch live) before the switch
    # is pressed: a busy server (the demo's first start prints last month's labels) can
    # answer the page's modules after the button is on the screen.
    expect(page.locator("#kind option").first).to_be_attached()
    if page.locator("html").get_attribute("lang") != "en":
        page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.evaluate(UNTRANSLATED) == []
    page.select_option("#kind", "lot")
    page.locator("#customer").fill(
        lot["customer"]
    )  # the demo gives each customer's SKU 1 the same lot
    page.locator("#scan").fill(lot["lot"])
    page.locator("#scan").press("Enter")

    rows = page.locator("#rows-body tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#subject")).to_contain_text(lot["lot"])
    texts = [rows.nth(i).locator("td").all_inner_texts() for i in range(4)]
    # newest first: the move back, the move out, the put-away, the receipt
    assert [t[1].split(" · ")[0] for t in texts] == ["Moved", "Moved", "Put away", "Received"]
    assert [t[4] for t in texts] == ["sup01", "sup01", "bondfloor", "bondfloor"]
    assert [t[5] for t in texts[:2]] == [DEVICE, DEVICE]
    assert texts[0][3] == f"STG-01 → {lot['storage']}"
    assert texts[2][3] == f"DOCK-01 → {lot['storage']}" and texts[3][3] == "— → DOCK-01"
    assert texts[3][6] == f"DEMO-ASN-{lot['customer']}"
    assert texts[3][2] == str(lot["quantity"])
    expect(page.locator("#more")).to_be_hidden()
    # On the phone the table scrolls inside its box, never the page.
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width

    with page.expect_download() as download:
        page.locator("#csv").click()
    saved = tmp_path / "trace.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"trace-lot-{lot['lot']}.csv"
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode())
    exported = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["what"], r["user"], r["device"]) for r in exported] == [
        ("move", "sup01", DEVICE),
        ("move", "sup01", DEVICE),
        ("putaway", "bondfloor", ""),
        ("receive", "bondfloor", ""),
    ]

    # Where did it go: the shelf shows one unit less than the ledger.
    expect(page.locator("#explain-form")).to_be_visible()
    expect(page.locator("#explain-sku")).to_have_value(lot["sku"])
    page.locator("#explain-location").fill(lot["storage"])
    page.locator("#explain-counted").fill(str(lot["quantity"] - 1))
    page.locator("#explain-submit").click()
    expect(page.locator("#explain-difference")).to_have_text("−1")
    expect(page.locator("#explain-ledger")).to_have_text(str(lot["quantity"]))
    best = page.locator("#explain-candidates li").first
    expect(best).to_contain_text("1 units moved to STG-01 by sup01")
    expect(best).to_have_attribute("data-matches", "true")


def test_a_long_history_loads_older_rows_without_repeating(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    location = demo_db.execute(
        "SELECT l.code, COUNT(*) FROM movements m JOIN locations l ON l.id = m.to_location_id "
        "OR l.id = m.from_location_id WHERE l.code = 'DOCK-01' GROUP BY l.code"
    ).fetchone()
    assert location[1] > 50  # the demo's receipts and put-aways all pass the dock
    log_in("sup01")
    page.goto("/trace.html?kind=location&value=DOCK-01")
    rows = page.locator("#rows-body tr")
    expect(rows).to_have_count(50)
    page.locator("#more").click()
    expect(rows).to_have_count(min(100, location[1]))
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert len(set(ids)) == len(ids) == min(100, location[1])


def test_a_picker_has_no_trace_tile(page: Page, log_in: Callable[[str], None]) -> None:
    log_in("pick01")
    expect(page.locator("#menu .tile").first).to_be_visible()
    expect(page.locator("#menu .tile[data-menu='trace']")).to_have_count(0)
