"""Manual adjustments over the approval limit, decided on the supervisor dashboard in a real
Chromium: the proposer sees them but cannot decide their own; a second manager approves one
(the stock changes) and rejects the other (the stock stays) from a phone.

sup01 proposes over the API: +1,500 found and −1,001 damaged on one storage location (the
e2e server keeps the default `[ledger] approval_over_units` of 1,000). sup01's desk page runs
on a paused clock, so it keeps what it drew until it asks again itself: pressing a decision
there after the admin decided shows that it is decided already.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_inbound import Api
from tests.e2e.test_printing import well_stocked_sku

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 800}


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("adjustment-screenshots")
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def desk(browser: Browser, server: Server, session_token: Callable[[str], str]) -> Iterator[Page]:
    """sup01 at a desktop browser whose timers wait (the page does not poll by itself)."""
    context = browser.new_context(base_url=server.base_url, viewport=DESK, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {session_token('sup01')!r})")
    page.clock.install()
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def on_hand(api: Api, location: str, sku: str) -> int:
    answer = api.call("sup01", "GET", f"/api/v1/stock/lookup?code={location}")
    return sum(r["quantity"] for r in answer["rows"] if r["sku"] == sku and not r["lot"])


def item(page: Page, proposal: dict[str, Any]) -> Locator:
    return page.locator(f'li.board-adjust[data-id="{proposal["id"]}"]')


def value(row: Locator, name: str) -> Locator:
    return row.locator(f'[data-field="{name}"] dd')


def fits_a_phone(page: Page) -> None:
    # A page wider than the phone is shrunk to fit (innerWidth grows): it must stay 360.
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width == [360, 360], f"page wider than the phone: {width}"
    heights = page.evaluate(
        "[...document.querySelectorAll('.board-adjust button')]"
        ".map(b => b.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 48, f"buttons smaller than 48 px: {heights}"


def test_a_second_supervisor_approves_one_adjustment_and_rejects_another_on_the_dashboard(
    desk: Page,
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    demo_db: sqlite3.Connection,
    shots: Path,
) -> None:
    stocked = well_stocked_sku(demo_db)
    where = demo_db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "JOIN skus s ON s.id = b.sku_id WHERE s.code = ? AND l.type = 'storage' LIMIT 1",
        (stocked["sku"],),
    ).fetchone()[0]
    before = on_hand(api, where, stocked["sku"])
    what = {"customer": stocked["customer"], "sku": stocked["sku"]}
    movements = "/api/v1/ledger/movements"
    found = api.call(
        "sup01",
        "POST",
        movements,
        {**what, "kind": "receive", "quantity": 1500, "reason": "found", "to_location": where},
    )
    damaged = api.call(
        "sup01",
        "POST",
        movements,
        {**what, "kind": "adjust", "quantity": 1001, "reason": "damaged", "from_location": where},
    )
    assert found["status"] == damaged["status"] == "pending"
    assert on_hand(api, where, stocked["sku"]) == before

    # The proposer sees both, with what they are, and cannot approve their own.
    desk.goto("/supervisor.html")
    mine = item(desk, found)
    expect(mine).to_be_visible()
    expect(value(mine, "location")).to_have_text(where)
    expect(value(mine, "customer")).to_have_text(stocked["customer"])
    expect(value(mine, "sku")).to_have_text(stocked["sku"])
    expect(value(mine, "lot")).to_have_text("—")
    expect(value(mine, "quantity")).to_have_text("+1,500")
    expect(value(mine, "reason")).to_have_text("找到")
    expect(value(mine, "proposed_by")).to_have_text("sup01")
    expect(value(item(desk, damaged), "quantity")).to_have_text("−1,001")
    expect(value(item(desk, damaged), "reason")).to_have_text("残损报废")
    pending = len(api.call("sup01", "GET", "/api/v1/ledger/adjustments"))
    expect(desk.locator('[data-stat="adjustments_to_approve"] .stat-count')).to_have_text(
        str(pending)
    )
    expect(desk.locator('[data-stat="adjustments_to_approve"] .stat-label')).to_have_text(
        "待审批库存调整"
    )
    desk.locator("#adjustments").scroll_into_view_if_needed()
    desk.screenshot(path=str(shots / "adjustments-desk-1280x800-zh.png"))
    mine.locator(".board-adjust-approve").click()
    expect(desk.locator("#adjust-outcome")).to_contain_text("需要另一位主管审批")
    expect(desk.locator("#banner")).to_contain_text("需要另一位主管审批")
    desk.locator("#adjustments").screenshot(path=str(shots / "adjustments-desk-refused-zh.png"))
    expect(mine).to_be_visible()
    assert on_hand(api, where, stocked["sku"]) == before

    # The admin, on a phone, approves the found units: the stock changes.
    logged_in_as("admin")
    page.goto("/supervisor.html")
    theirs = item(page, found)
    theirs.scroll_into_view_if_needed()
    expect(value(theirs, "quantity")).to_have_text("+1,500")
    fits_a_phone(page)
    page.screenshot(path=str(shots / "adjustments-360x640-zh.png"))
    page.screenshot(path=str(shots / "dashboard-360-full-zh.png"), full_page=True)
    theirs.locator(".board-adjust-approve").click()
    expect(page.locator("#adjust-outcome")).to_contain_text("已批准，库存已调整")
    expect(theirs).to_have_count(0)
    page.locator("#adjustments").screenshot(path=str(shots / "adjustments-360-approved-zh.png"))
    assert on_hand(api, where, stocked["sku"]) == before + 1500

    # In English, the damaged units are rejected: the stock stays.
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    other = item(page, damaged)
    expect(value(other, "reason")).to_have_text("Damaged")
    expect(other.locator(".board-adjust-reject")).to_have_text("Reject")
    other.scroll_into_view_if_needed()
    fits_a_phone(page)
    page.screenshot(path=str(shots / "adjustments-360x640-en.png"))
    other.locator(".board-adjust-reject").click()
    expect(page.locator("#adjust-outcome")).to_contain_text("Rejected: the stock stays as it was")
    expect(other).to_have_count(0)
    assert on_hand(api, where, stocked["sku"]) == before + 1500
    decided = {p["id"]: p for p in api.call("sup01", "GET", "/api/v1/ledger/adjustments?status=")}
    assert decided[found["id"]]["status"] == "approved"
    assert decided[damaged["id"]]["status"] == "rejected"
    assert decided[damaged["id"]]["decided_by"] == "admin"

    # The proposer's page still shows the rejected one: deciding it says who did.
    item(desk, damaged).locator(".board-adjust-reject").click()
    expect(desk.locator("#adjust-outcome")).to_contain_text("admin 已处理过此项")
    expect(item(desk, damaged)).to_have_count(0)  # the page asked again
    assert on_hand(api, where, stocked["sku"]) == before + 1500
