"""The supervisor's dashboard in a real Chromium at desktop size, on the demo warehouse.

Some of today's work happens first through the API (units received, two orders picked
and packed under a courier no other test uses); the page then shows the day's flow: each
step's chart says the day's total and the bar of this hour carries the count the
server has. A safety level set above the stock of a SKU gives an alert once a
supervisor checks now; it is acknowledged on the page with a note; the throughput CSV
downloaded from the page has the day's totals.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import BONDFLOOR, Server
from tests.e2e.test_dock import packed_orders
from tests.e2e.test_inbound import Api
from tests.e2e.test_printing import well_stocked_sku

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 800}
SITE_ZONE = ZoneInfo("Asia/Shanghai")  # the demo site's zone: the default


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@pytest.fixture
def oms(server: Server) -> Api:
    made = subprocess.run(
        [
            str(BONDFLOOR),
            "--config",
            str(server.config_path),
            "token",
            "add",
            f"e2e-board-oms-{uuid.uuid4().hex[:6]}",
            "--kind",
            "oms",
        ],
        cwd=server.config_path.parent,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    token = made.stdout.strip().splitlines()[-1]
    return Api(server, lambda _user: token)


@pytest.fixture
def desk(browser: Browser, server: Server, session_token: Callable[[str], str]) -> Iterator[Page]:
    """sup01 at a desktop browser."""
    context = browser.new_context(base_url=server.base_url, viewport=DESK, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {session_token('sup01')!r})")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def totals(report: dict[str, Any]) -> dict[str, int]:
    return {s["step"]: s["total"] for s in report["throughput"]["steps"]}


def test_the_dashboard_shows_the_days_flow_an_alert_and_gives_the_csv(
    desk: Page, api: Api, oms: Api, demo_db: sqlite3.Connection
) -> None:
    before = totals(api.call("sup01", "GET", "/api/v1/dashboard"))
    stocked = well_stocked_sku(demo_db)
    where = demo_db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "JOIN skus s ON s.id = b.sku_id WHERE s.code = ? AND l.type = 'storage' LIMIT 1",
        (stocked["sku"],),
    ).fetchone()[0]
    receipt = {"customer": stocked["customer"], "sku": stocked["sku"], "quantity": 7}
    api.call(
        "sup01",
        "POST",
        "/api/v1/ledger/movements",
        {**receipt, "kind": "receive", "reason": "opening_balance", "to_location": where},
    )
    packed_orders(api, oms, demo_db, "STO", 2)

    report = api.call("sup01", "GET", "/api/v1/dashboard")
    after = totals(report)
    assert after["received"] - before["received"] == 7
    assert after["picked"] - before["picked"] == 2
    assert after["packed"] - before["packed"] == 2
    hour = datetime.now(SITE_ZONE).strftime("%H:00")

    desk.goto("/supervisor.html")
    for step, total in after.items():
        chart = desk.locator(f'svg[data-step="{step}"]')
        expect(chart).to_have_attribute("data-total", str(total))
    index = report["throughput"]["hours"].index(hour)
    for step in ("received", "picked", "packed"):
        per_hour = next(s for s in report["throughput"]["steps"] if s["step"] == step)["per_hour"]
        bar = desk.locator(f'svg[data-step="{step}"] rect[data-hour="{hour}"]')
        expect(bar).to_have_attribute("data-count", str(per_hour[index]))
        assert per_hour[index] >= {"received": 7, "picked": 2, "packed": 2}[step]
    expect(desk.locator('figure[data-step="received"] .board-chart-total')).to_contain_text(
        f"{after['received']:,} 件"
    )
    expect(desk.locator('[data-stat="orders_to_load"] .stat-count')).not_to_have_text("0")

    # A safety level far above the stock: a check on the page raises it, it is acknowledged.
    subject = f"{stocked['customer']}/{stocked['sku']}"
    level = {"customer": stocked["customer"], "sku": stocked["sku"], "quantity": 1_000_000_000}
    api.call("sup01", "PUT", "/api/v1/alerts/safety-levels", {"levels": [level]})
    try:
        desk.locator("#check-now").click()
        alert = desk.locator('li.board-alert[data-kind="STOCK_BELOW_SAFETY"]').filter(
            has_text=subject
        )
        expect(alert).to_be_visible()
        expect(alert.locator(".board-alert-kind")).to_have_text("库存低于安全库存")
        alert.locator(".board-ack-button").click()
        expect(desk.locator("#banner")).to_contain_text("请填写确认备注")
        alert.locator(".board-ack-note").fill("补货已下单")
        alert.locator(".board-ack-button").click()
        expect(desk.locator("#banner")).to_contain_text("告警已确认")
        expect(alert.locator(".board-alert-ack")).to_have_text("sup01 已确认：补货已下单")

        with desk.expect_download() as download:
            desk.locator("#throughput-csv").click()
        assert re.fullmatch(r"throughput-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
        text = download.value.path().read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:2] == ["day", "hour"]
        total_row = dict(zip(rows[0], rows[-1], strict=True))
        assert total_row["hour"] == "total"
        assert int(total_row["received"]) >= after["received"]
        assert int(total_row["packed"]) >= after["packed"]
    finally:
        level["quantity"] = 0
        api.call("sup01", "PUT", "/api/v1/alerts/safety-levels", {"levels": [level]})
        api.call("sup01", "POST", "/api/v1/alerts/check", {})
