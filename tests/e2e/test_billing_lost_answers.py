"""The billing page on a weak Wi-Fi: the answer to a close or a re-open is lost after the
server made the change. The page sees the month's new state and goes on with a new key for
the next change, never the lost one's (a close and a re-open of one month sharing a key
was refused as a key reused; an old close key would answer a later close with its first
result and close nothing)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
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
