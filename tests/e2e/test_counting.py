"""Cycle counting in real Chromium: a blind count with a difference, the recount it
triggers, a supervisor's approval, and the stock lookup showing the new quantity.

`blind_count_with_recount_and_approval` is the whole flow as one helper, so that other
tests (e.g. tracing the lot to show the adjustment) can run it and carry on.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, Response, expect

pytestmark = pytest.mark.e2e

SHORT_BY = 7  # beyond the default recount threshold (5 units, 10 %)


@dataclass(frozen=True)
class CountedDifference:
    location: str
    customer: str
    sku: str
    lot: str
    expiry: str
    expected: int
    counted: int
    task: int  # the recount whose difference was approved (document COUNT-<task>)


def location_to_count(db: sqlite3.Connection) -> list[sqlite3.Row]:
    """The stock rows of a storage location whose every row has a lot, an expiry and an
    EAN-13, nothing reserved and never counted: the last such location, away from what
    other tests pick first. The first row is the one the counter finds short."""
    rows = db.execute(
        """
        SELECT l.code AS location, c.code AS customer, s.code AS sku, b.lot, b.expiry,
               b.quantity, (SELECT MIN(sb.barcode) FROM sku_barcodes sb
                            WHERE sb.sku_id = s.id AND length(sb.barcode) = 13) AS barcode
        FROM balances b JOIN locations l ON l.id = b.location_id
        JOIN customers c ON c.id = b.customer_id JOIN skus s ON s.id = b.sku_id
        WHERE l.type = 'storage'
          AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.location_id = b.location_id)
          AND NOT EXISTS (SELECT 1 FROM count_tasks t WHERE t.location_id = b.location_id)
        ORDER BY l.code DESC, s.code, b.lot
        """
    ).fetchall()
    by_location: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        by_location.setdefault(row["location"], []).append(row)
    for found in by_location.values():
        complete = all(r["lot"] and r["expiry"] and r["barcode"] for r in found)
        if complete and found[0]["quantity"] >= 2 * SHORT_BY:
            return found
    return []


def gs1_scan(row: sqlite3.Row) -> str:
    """`]C1` + (01) GTIN-14, (10) lot, GS placeholder, (17) expiry, as a GS1-128 reader sends it."""
    yymmdd = row["expiry"][2:].replace("-", "")
    return f"]C101{row['barcode'].zfill(14)}10{row['lot']}~17{yymmdd}"


def wedge_scan(page: Page, code: str) -> None:
    """Type like a keyboard-wedge scanner into the focused scan field, then Enter (once
    the page handles its scan form: before, an Enter does nothing)."""
    page.wait_for_selector("#scan-form[data-ready]", state="attached")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def feedback_after(page: Page, before: int, kind: str) -> None:
    page.wait_for_function("n => Number(document.body.dataset.feedbackSeq || 0) > n", arg=before)
    expect(page.locator("body")).to_have_attribute("data-feedback", kind)


def feedback_seq(page: Page) -> int:
    return int(page.locator("body").get_attribute("data-feedback-seq") or 0)


def shows_number(page: Page, selector: str, n: int) -> bool:
    """Whether `n` appears as a number in the section's text (lot and expiry left out)."""
    text = page.locator(selector).evaluate(
        """el => { const copy = el.cloneNode(true);
                   copy.querySelectorAll('.pending-lot').forEach(x => x.remove());
                   return copy.textContent; }"""
    )
    return re.search(rf"(?<![\d,]){n:,}(?![\d,])", text) is not None


def count_on_the_handheld(page: Page, rows: list[sqlite3.Row], counted: int) -> str:
    """Scan the location (it freezes), scan each item and type its count (the first
    row `counted`, the others right), submit; the feedback kind of the submit (`notice`
    when a recount follows, `good` else)."""
    row = rows[0]
    page.goto("/count.html")
    expect(page.locator("body")).to_have_attribute("data-step", "location")
    wedge_scan(page, row["location"])
    expect(page.locator("#task")).to_be_visible()
    expect(page.locator("#task-location")).to_have_text(row["location"])
    expect(page.locator("body")).to_have_attribute("data-step", "item")
    for n, item in enumerate(rows):
        quantity = counted if n == 0 else item["quantity"]
        wedge_scan(page, gs1_scan(item))
        expect(page.locator("#qty")).to_be_focused()
        page.locator("#qty").fill(str(quantity))
        page.locator("#line-save").click()
        line = page.locator(f'.count-line[data-sku="{item["sku"]}"][data-lot="{item["lot"]}"]')
        expect(line.locator(".line-counted")).to_have_text(f"{quantity:,}")
    assert not shows_number(page, "#task", row["quantity"]), "the counter saw the expected"
    before = feedback_seq(page)
    page.locator("#submit-count").click()
    page.wait_for_function("n => Number(document.body.dataset.feedbackSeq || 0) > n", arg=before)
    expect(page.locator("#task")).to_be_hidden()
    return page.locator("body").get_attribute("data-feedback") or ""


def blind_count_with_recount_and_approval(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection
) -> CountedDifference:
    """count01 counts a demo location blind, SHORT_BY units short; the recount it
    triggers confirms it; sup01 approves the difference; the stock lookup shows it."""
    rows = location_to_count(demo_db)
    assert rows, "the demo floor has no location to count"
    row = rows[0]
    counted = row["quantity"] - SHORT_BY
    answers: list[Response] = []

    def keep(response: Response) -> None:
        if "/api/v1/counts" in response.url:
            answers.append(response)

    log_in("count01")
    page.on("response", keep)
    first = count_on_the_handheld(page, rows, counted)
    bodies = [r.text() for r in answers if r.ok]  # before the page navigates away
    assert first == "notice"  # beyond the threshold: a recount, no proposal yet
    expect(page.locator("#next-location")).to_have_text(row["location"])
    expect(page.locator("#next-origin")).to_have_text("复盘")
    answers.clear()
    assert count_on_the_handheld(page, rows, counted) == "good"  # the recount: proposed
    bodies += [r.text() for r in answers if r.ok]
    page.remove_listener("response", keep)
    assert len(bodies) >= 8 and all('"expected"' not in b for b in bodies), "a counter saw it"

    log_in("sup01")
    page.goto("/count.html")
    proposal = page.locator(
        f'.proposal[data-location="{row["location"]}"][data-sku="{row["sku"]}"]'
    )
    expect(proposal.locator(".p-expected")).to_have_text(f"{row['quantity']:,}")
    expect(proposal.locator(".p-counted")).to_have_text(f"{counted:,}")
    expect(proposal.locator(".p-delta")).to_have_text(f"−{SHORT_BY}")
    expect(proposal.locator(".p-reason")).to_have_value("count_loss")
    before = feedback_seq(page)
    proposal.locator(".p-approve").click()
    feedback_after(page, before, "good")
    expect(proposal).to_have_count(0)

    page.goto("/stock.html")
    wedge_scan(page, row["location"])
    stock_row = page.locator(f'.stock-row[data-sku="{row["sku"]}"]')
    expect(stock_row).to_have_attribute("data-quantity", str(counted))
    task = demo_db.execute(
        "SELECT t.id FROM count_tasks t JOIN locations l ON l.id = t.location_id "
        "WHERE l.code = ? AND t.origin = 'recount'",
        (row["location"],),
    ).fetchone()[0]
    return CountedDifference(
        location=row["location"],
        customer=row["customer"],
        sku=row["sku"],
        lot=row["lot"],
        expiry=row["expiry"],
        expected=row["quantity"],
        counted=counted,
        task=task,
    )


def test_blind_count_recount_and_approval_change_the_stock(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    done = blind_count_with_recount_and_approval(page, log_in, demo_db)
    movement = demo_db.execute(
        "SELECT kind, reason, quantity, user_code FROM movements WHERE document = ?",
        (f"COUNT-{done.task}",),
    ).fetchone()
    assert tuple(movement) == ("count", "count_loss", SHORT_BY, "sup01")
    held = demo_db.execute(
        "SELECT SUM(b.quantity) FROM balances b JOIN locations l ON l.id = b.location_id "
        "JOIN skus s ON s.id = b.sku_id WHERE l.code = ? AND s.code = ? AND b.lot = ?",
        (done.location, done.sku, done.lot),
    ).fetchone()[0]
    assert held == done.counted
