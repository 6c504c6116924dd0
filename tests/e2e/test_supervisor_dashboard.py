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
import os
import re
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import BONDFLOOR, Server
from tests.e2e.test_dock import customs, packed_orders
from tests.e2e.test_inbound import Api, Refused
from tests.e2e.test_printing import well_stocked_sku

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 800}
SITE_ZONE = ZoneInfo("Asia/Shanghai")  # the demo site's zone: the default
# Set BONDFLOOR_SCREENSHOTS to a folder to keep the pages' screenshots for a look.
SHOTS = (
    Path(os.environ["BONDFLOOR_SCREENSHOTS"]) if os.environ.get("BONDFLOOR_SCREENSHOTS") else None
)


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


# -- at phone size: alerts in the reader's language and the site's time, fits the screen --

# Everything a gloved finger taps: 48 px high at least. Inline text links are exempt.
TAP_TARGETS = """() => [...document.querySelectorAll(
    'button, a, input, select, textarea, summary, [role="button"]')]
  .filter((n) => n.offsetParent !== null && !(n.tagName === 'A' && n.closest('p, li > span')))
  .map((n) => ({what: n.id || n.className || n.tagName, height: n.getBoundingClientRect().height}))
  .filter((t) => t.height < 47.5)"""
# The size a chart's text is drawn at on screen: its font size times the drawing's scale.
CHART_TEXT_PX = """() => [...document.querySelectorAll('.board-chart svg text')].map((n) => {
  const svg = n.ownerSVGElement;
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return parseFloat(getComputedStyle(n).fontSize) * scale;
})"""


def site_time(moment: datetime, lang: str) -> str:
    """A moment as the page shows it on the site's clock (toLocaleString, 2-digit, 24 h)."""
    local = moment.astimezone(SITE_ZONE)
    return local.strftime("%Y/%m/%d %H:%M" if lang == "zh" else "%d/%m/%Y, %H:%M")


def released_order_due(api: Api, oms: Api, stocked: dict[str, Any], cutoff: datetime) -> str:
    """An order of one unit, released by customs, with its cut-off at `cutoff`."""
    party = {"name": "王五", "phone": "13712345678", "city": "深圳市", "address": "前海路九号"}
    order_no = f"E2E-DUE-{uuid.uuid4().hex[:8].upper()}"
    api.call(
        "sup01",
        "POST",
        "/api/v1/orders",
        {
            "customer": stocked["customer"],
            "order_no": order_no,
            "courier": "SF",
            "waybill_no": f"SF{uuid.uuid4().int % 10**12:012d}",
            "cutoff_at": cutoff.isoformat(),
            "routing": {"sort_code": "755-020", "consolidation_point": "深圳转运中心"},
            "recipient": party,
            "sender": {**party, "name": "保税仓"},
            "lines": [{"sku": stocked["sku"], "quantity": 1}],
        },
    )
    customs(oms, order_no, 800)
    return order_no


def test_alerts_at_phone_size_say_codes_in_both_languages_on_the_site_clock(
    page: Page, api: Api, oms: Api, demo_db: sqlite3.Connection, session_token: Any
) -> None:
    stocked = well_stocked_sku(demo_db)
    cutoff = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    order_no = released_order_due(api, oms, stocked, cutoff)
    # Near its cut-off at the check, past it when the page is read (no check in between).
    soon = datetime.now(UTC) + timedelta(seconds=2)
    soon_no = released_order_due(api, oms, stocked, soon)
    # A customs reply dated a day ahead is refused: a critical alert with the refusal's time.
    with pytest.raises(Refused):
        oms.call(
            "oms",
            "POST",
            "/api/v1/customs-statuses",
            {
                "order_no": order_no,
                "code": 800,
                "status_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            },
        )
    level = {"customer": stocked["customer"], "sku": stocked["sku"], "quantity": 1_000_000_000}
    api.call("sup01", "PUT", "/api/v1/alerts/safety-levels", {"levels": [level]})
    try:
        api.call("sup01", "POST", "/api/v1/alerts/check", {})
        alerts = {(a["kind"], a["subject"]): a for a in api.call("sup01", "GET", "/api/v1/alerts")}
        late = alerts[("ORDER_NOT_PACKED_BY_CUTOFF", order_no)]
        assert late["code"] == "ORDER_NOT_PACKED_PAST_CUTOFF"
        future = next(a for (kind, _), a in alerts.items() if kind == "CUSTOMS_TIME_IN_FUTURE")
        gone_by = alerts[("ORDER_NOT_PACKED_BY_CUTOFF", soon_no)]
        assert gone_by["code"] == "ORDER_NOT_PACKED_NEAR_CUTOFF"
        while datetime.now(UTC) <= soon:
            time.sleep(0.2)
        refused_at = datetime.fromisoformat(future["params"]["last_at"])

        page.add_init_script(
            f"sessionStorage.setItem('bondfloor.token', {session_token('sup01')!r})"
        )
        # An alert stored before alerts had codes (a database upgraded): the page says its
        # stored message as it is. Added to the server's answer on its way to the page.
        stored = {
            **late,
            "id": 2_000_000_000,
            "kind": "SYNC_LAG",
            "subject": "oms",
            "code": "",
            "params": {},
            "message": "event 7 waits 400 s",
        }

        def with_stored_alert(route: Route) -> None:
            answer = route.fetch()
            body = answer.json()
            body["alerts"].append(stored)
            route.fulfill(response=answer, json=body)

        page.route("**/api/v1/dashboard*", with_stored_alert)
        page.goto("/supervisor.html")
        expected = {
            "zh": {
                "late": f"已过截单 {site_time(cutoff, 'zh')}：新订单，未打包",
                "kind": "订单截单前未打包",
                "soon": "已过截单 {time}：新订单，未打包",
                "future": f"最近一条：{future['params']['target']}，{site_time(refused_at, 'zh')}",
                "safety": "安全库存 1,000,000,000",
            },
            "en": {
                "late": f"Past its cut-off, {site_time(cutoff, 'en')}: new, not packed",
                "kind": "Order not packed by its cut-off",
                "soon": "Past its cut-off, {time}: new, not packed",
                "future": f"the last: {future['params']['target']}, {site_time(refused_at, 'en')}",
                "safety": "safety level 1,000,000,000",
            },
        }
        for lang in ("zh", "en"):
            if lang == "en":
                page.locator("#lang").click()
            words = expected[lang]
            row = page.locator(f'li.board-alert[data-id="{late["id"]}"]')
            expect(row.locator(".board-alert-message")).to_have_text(words["late"])
            expect(row.locator(".board-alert-kind")).to_have_text(words["kind"])
            older = page.locator(f'li.board-alert[data-id="{stored["id"]}"]')
            expect(older.locator(".board-alert-message")).to_have_text("event 7 waits 400 s")
            expect(older.locator(".board-alert-kind")).to_have_text(
                {"zh": "OMS 上传延迟", "en": "OMS delivery lagging"}[lang]
            )
            since_check = page.locator(f'li.board-alert[data-id="{gone_by["id"]}"]')
            expect(since_check.locator(".board-alert-message")).to_have_text(
                words["soon"].format(time=site_time(soon, lang))
            )
            refusal = page.locator(f'li.board-alert[data-id="{future["id"]}"]')
            expect(refusal.locator(".board-alert-message")).to_contain_text(words["future"])
            safety = page.locator(
                f'li.board-alert[data-kind="STOCK_BELOW_SAFETY"][data-id="'
                f'{alerts[("STOCK_BELOW_SAFETY", stocked["customer"] + "/" + stocked["sku"])]["id"]}"]'
            )
            expect(safety.locator(".board-alert-message")).to_contain_text(words["safety"])
            # No server English and no UTC timestamp in the words of any alert with a code.
            said = page.locator(".board-alert-message[data-code]").all_inner_texts()
            assert len(said) >= 4
            for text in said:
                assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:|\+00:00", text), text
                assert lang == "en" or not re.search(r"cut-off|in stock|safety level", text), text
            # A page wider than the phone is shrunk to fit (innerWidth grows): it stays 360.
            assert page.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [360, 360]
            assert page.evaluate(TAP_TARGETS) == []
            sizes = page.evaluate(CHART_TEXT_PX)
            assert sizes and min(sizes) >= 12, sizes
            if SHOTS:
                page.screenshot(path=str(SHOTS / f"supervisor-360-{lang}.png"), full_page=True)

        # The printers page and the dashboard's devices show a printer's time on the site's
        # clock too (the browser's own zone is the machine's).
        printer = next(p for p in api.call("sup01", "GET", "/api/v1/printers") if p["since"])
        since = datetime.fromisoformat(printer["since"]).astimezone(SITE_ZONE)
        device = page.locator(f'li[data-device="printer:{printer["name"]}"]')
        expect(device).to_contain_text(f"since {site_time(since, 'en')}")
        today = datetime.now(SITE_ZONE).date()
        shown = since.strftime("%H:%M:%S") if since.date() == today else site_time(since, "en")
        page.goto("/printers.html")
        card = page.locator(f'.printer-card[data-printer="{printer["name"]}"]')
        expect(card.locator(".printer-since")).to_have_text(f" · since {shown}")
    finally:
        level["quantity"] = 0
        api.call("sup01", "PUT", "/api/v1/alerts/safety-levels", {"levels": [level]})
        for number in (order_no, soon_no):
            oms.call("oms", "POST", "/api/v1/order-cancellations", {"order_no": number})
        api.call("sup01", "POST", "/api/v1/alerts/check", {})
