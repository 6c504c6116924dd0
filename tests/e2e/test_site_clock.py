"""Days and times on the site's calendar and clock (Asia/Shanghai in the demo), not the
device's zone or UTC: a handheld set to UTC at 20:30 UTC is already at 04:30 tomorrow on
the site. The A4 pages print that time, and today's arrivals are asked for that day."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_accessibility import HANDOVER_LIST_ID, handover_record

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots"
NOW_UTC = "2026-12-06T20:30:00Z"  # 2026-12-07 04:30 in Shanghai


def test_print_times_and_todays_arrivals_are_on_the_site_clock(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection
) -> None:
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") in ("UTC", "Etc/UTC")
    page.clock.set_fixed_time(NOW_UTC)
    logged_in_as("sup01")
    plan_id = demo_db.execute("SELECT id FROM delivery_plans ORDER BY id LIMIT 1").fetchone()[0]
    record = handover_record()
    page.route(
        f"**/api/v1/loading-lists/{HANDOVER_LIST_ID}/handover",
        lambda route: route.fulfill(json=record),
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    for address in (
        f"receipt.html?plan={plan_id}&doc=receipt",
        f"handover.html?list={HANDOVER_LIST_ID}",
    ):
        page.goto(f"/{address}")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        printed = page.locator("#doc-printed")
        expect(printed).to_contain_text("2026/12/07 04:30")
        page.screenshot(path=str(SHOTS / f"site-clock-{address.split('.')[0]}.png"), full_page=True)

    with page.expect_request("**/api/v1/plans?*") as asked:
        page.goto("/receiving.html")
    assert "day=2026-12-07" in asked.value.url
