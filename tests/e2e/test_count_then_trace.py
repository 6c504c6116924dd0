"""The inventory-control round trip in real Chromium: a blind count finds a lot short, the
recount confirms it, a supervisor approves the adjustment, and the lot's trace shows that
adjustment on top of its history — who approved it, which count, why."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_counting import SHORT_BY, blind_count_with_recount_and_approval

pytestmark = pytest.mark.e2e


def test_a_counted_difference_approved_shows_in_the_lot_s_trace(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    done = blind_count_with_recount_and_approval(page, log_in, demo_db)  # ends as sup01

    page.goto(f"/trace.html?kind=lot&value={done.lot}&customer={done.customer}")
    newest = page.locator("#rows-body tr").first
    expect(newest).to_have_attribute("data-what", "count")
    expect(newest.locator(".trace-what")).to_have_text(f"盘点 · {done.sku} · {done.lot}")
    expect(newest.locator(".trace-qty")).to_have_text(str(SHORT_BY))
    expect(newest.locator(".trace-where")).to_have_text(f"{done.location} → —")
    expect(newest.locator(".trace-user")).to_have_text("sup01")
    expect(newest.locator(".trace-document")).to_have_text(f"COUNT-{done.task}")
    expect(newest.locator(".trace-note")).to_contain_text("count_loss")
    # Below it, the lot's own history: it came in and was put away before it was counted.
    whats = page.locator("#rows-body tr").evaluate_all("rows => rows.map(r => r.dataset.what)")
    assert whats[0] == "count" and {"receive", "putaway"} <= set(whats[1:]), whats
    # Where did it go: the counted quantity now agrees with the ledger.
    held = demo_db.execute(
        "SELECT SUM(b.quantity) FROM balances b JOIN locations l ON l.id = b.location_id "
        "JOIN skus s ON s.id = b.sku_id WHERE l.code = ? AND s.code = ? AND b.lot = ?",
        (done.location, done.sku, done.lot),
    ).fetchone()[0]
    assert held == done.counted == done.expected - SHORT_BY
