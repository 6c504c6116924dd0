"""The billing pages on a weak Wi-Fi: the answer to a close, a re-open or a new tariff
version is lost after the server made the change. The page sees the change made and goes
on with a new key for the next one, never the lost one's (a close and a re-open of one
month shared a key and the re-open was refused as a key reused; the next tariff version
was sent with the lost one's key and refused alike)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e

SITE_ZONE = ZoneInfo("Asia/Shanghai")  # the demo site's zone


def two_months_back() -> str:
    """A month that has ended and that the other billing page tests leave alone."""
    today = datetime.now(SITE_ZONE).date()
    index = today.year * 12 + today.month - 1 - 2
    return f"{index // 12}-{index % 12 + 1:02d}"


def lose_the_answer(route: Route) -> None:
    route.fetch()  # the server makes the change ...
    route.abort("internetdisconnected")  # ... and the handheld never hears of it


def test_a_lost_answer_to_a_close_or_a_reopen_does_not_block_the_months_next_change(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    expect.set_options(timeout=30_000)  # closing computes a month: generous on a busy machine
    month = two_months_back()
    logged_in_as("sup01")
    page.goto("/billing.html")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    card = page.locator(f".billing-period[data-period='{month}']")
    expect(card).to_have_attribute("data-state", "open")

    close = f"**/api/v1/billing/periods/{month}/close"
    page.route(close, lose_the_answer)
    card.locator(".billing-close").click()
    expect(card).to_have_attribute("data-state", "closed")  # seen on the page's refresh
    page.unroute(close)

    reopen = f"**/api/v1/billing/periods/{month}/reopen"
    page.route(reopen, lose_the_answer)
    card.locator(".billing-reopen input").fill("a receipt was dated wrong")
    card.locator(".billing-reopen button").click()
    expect(card).to_have_attribute("data-state", "open")
    page.unroute(reopen)

    card.locator(".billing-close").click()
    expect(card).to_have_attribute("data-state", "closed")
    versions = demo_db.execute(
        "SELECT state, COUNT(*) FROM billing_statements WHERE period = ? GROUP BY state",
        (month,),
    ).fetchall()
    customers = demo_db.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    assert dict(map(tuple, versions)) == {"closed": customers, "superseded": customers}

    card.locator(".billing-reopen input").fill("put back as it was")
    card.locator(".billing-reopen button").click()
    expect(card).to_have_attribute("data-state", "open")


def test_a_lost_answer_to_a_new_tariff_version_does_not_refuse_the_next_version(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    customer = demo_db.execute(
        "SELECT code FROM customers ORDER BY id LIMIT 1 OFFSET 1"
    ).fetchone()[0]
    today = datetime.now(SITE_ZONE).date()
    first, second = ((today + timedelta(days=n)).isoformat() for n in (500, 501))
    logged_in_as("sup01")
    page.goto(f"/tariffs.html?customer={customer}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    tariffs = "**/api/v1/billing/tariffs"
    page.route(
        tariffs, lambda r: lose_the_answer(r) if r.request.method == "POST" else r.continue_()
    )
    add_version(page, first, "2.00")
    expect(page.locator(f".billing-version[data-effective-from='{first}']")).to_have_count(1)
    page.unroute(tariffs)

    add_version(page, second, "2.10")
    expect(page.locator(f".billing-version[data-effective-from='{second}']")).to_have_count(1)


def add_version(page: Page, starts: str, unit_rate: str) -> None:
    page.locator("#effective-from").fill(starts)
    page.locator("#rates input[data-charge='inbound.unit']").fill(unit_rate)
    page.locator("#minimum").fill("0")
    page.locator("#reason").fill("contract renewed")
    page.locator("#add-submit").click()
