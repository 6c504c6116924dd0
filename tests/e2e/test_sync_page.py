"""The supervisor's OMS link page in a real Chromium, against a real `bondfloor serve` that
delivers its events journal to a real `bondfloor oms-sim` process on loopback.

The OMS first fails every batch (the page shows the backlog and the last error), then
refuses one event for good: delivery stops before it and the page shows that event and
the OMS's answer. A skip without a reason is refused on the page, a retry stops again
(the OMS still refuses), and a skip with a reason lets delivery finish: the simulator then
holds every event of the journal but the skipped one. A picker gets no tile and no link.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PIN, PHONE
from tests.e2e.test_handheld_login import UNTRANSLATED
from tests.e2e.test_inbound import assert_fits_phone
from tests.live_server import LiveServer, running_server
from tests.sync.sim_process import SimProcess

pytestmark = pytest.mark.e2e

SITE = "SITE1"  # the default site code: the config names none
REFUSED = 7  # a demo day's stock.receive; the OMS refuses it for good
DESK = {"width": 1280, "height": 800}
HOME = re.compile(r"/home\.html$")


@dataclass
class Link:
    server: LiveServer
    sim: SimProcess

    def read(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.server.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def journal(self) -> list[dict[str, Any]]:
        with contextlib.closing(self.read()) as conn:
            rows = conn.execute("SELECT seq, at, type, payload FROM events ORDER BY seq")
            return [dict(r) for r in rows]

    def audit(self, action: str) -> list[dict[str, Any]]:
        with contextlib.closing(self.read()) as conn:
            rows = conn.execute("SELECT * FROM audit WHERE action = ? ORDER BY id", (action,))
            return [dict(r) for r in rows]

    def sync(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.server.base_url}/health", timeout=5) as answer:
            status: dict[str, Any] = json.load(answer)["sync"]
        return status


def oms_config(sim: SimProcess) -> str:
    return (
        f'[oms]\nenabled = true\nurl = "{sim.url}/events"\nbatch_size = 25\n'
        "timeout_seconds = 1.0\nretry_min_seconds = 0.05\nretry_max_seconds = 0.5\n"
        "poll_seconds = 0.1\n"
    )


@pytest.fixture(scope="module")
def link(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Link]:
    """The floor server and an OMS that sends nothing and fails every batch until told."""
    folder = tmp_path_factory.mktemp("oms-link-page")
    sim = SimProcess(folder, folder / "bondfloor.toml", "--no-feed", "--fault", "fail")
    with running_server(folder, "OMS link page", oms_config(sim)) as server:
        sim.start()
        try:
            yield Link(server, sim)
        finally:
            sim.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("sync-screenshots")
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def phone(browser: Browser, link: Link) -> Iterator[Page]:
    """A fresh phone-sized page on the link's server."""
    expect.set_options(timeout=10_000)
    context = browser.new_context(
        base_url=link.server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        locale="zh-CN",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in(page: Page, user_code: str) -> None:
    page.goto("/")
    page.locator("#user-code").fill(user_code)
    page.locator("#pin").fill(DEMO_PIN)
    page.locator("#login-submit").click()
    page.wait_for_url(HOME)
    expect(page.locator("#menu .tile").first).to_be_visible()


def refreshes(page: Page) -> int:
    return int(page.evaluate("Number(document.body.dataset.refreshed || 0)"))


def wait_refreshed(page: Page, times: int) -> None:
    """Let the page ask the server `times` more times (it asks every 2 s)."""
    page.wait_for_function(
        "n => Number(document.body.dataset.refreshed || 0) >= n", arg=refreshes(page) + times
    )


def expect_banner(page: Page, kind: str, text: str) -> None:
    expect(page.locator("#banner")).to_have_attribute("data-feedback", kind)
    expect(page.locator("#banner .banner-text")).to_contain_text(text)


def test_a_refused_event_stops_delivery_until_the_supervisor_skips_it_with_a_reason(
    phone: Page, link: Link, shots: Any
) -> None:
    page = phone
    journal = link.journal()
    last = journal[-1]["seq"]
    assert last > REFUSED + 25, "the demo day must outlast a batch after the refused event"
    log_in(page, "sup01")
    tile = page.locator('[data-menu="sync"]')
    expect(tile).to_have_text("OMS 链路")
    tile.click()
    expect(page).to_have_url(re.compile(r"/sync\.html$"))

    # The OMS answers 500 to everything: nothing delivered, retried with backoff.
    expect(page.locator("body")).to_have_attribute("data-link-state", "retrying")
    expect(page.locator("#link-state")).to_have_text("出错，重试中")
    expect(page.locator("#backlog")).to_have_text(f"{last:,}")
    expect(page.locator("#seqs")).to_have_text(f"0 / {last}")
    # The oldest undelivered event is the demo's first: last month's stock arriving.
    expect(page.locator("#lag")).to_have_text(re.compile(r"^\d+ 天 \d+ 小时$"))
    expect(page.locator("#last-error")).to_contain_text("OMS 出错（500）")
    expect(page.locator("#last-error")).to_contain_text("simulated failure")
    expect(page.locator("#last-ok")).to_have_text("从未")
    expect(page.locator("#attempts")).not_to_have_text("0")
    expect(page.locator("#stop")).to_be_hidden()

    # The OMS is back but will never take event 7: delivery stops right before it.
    link.sim.faults(mode="ok", refuse_seqs=[REFUSED])
    stop = page.locator("#stop")
    expect(stop).to_be_visible()
    expect(stop).to_have_attribute("data-seq", str(REFUSED))
    expect(page.locator("#stop-title")).to_have_text(f"上传已停止：OMS 拒收事件 #{REFUSED}")
    expect(page.locator("#stop-seq")).to_have_text(str(REFUSED))
    refused = journal[REFUSED - 1]
    payload = json.loads(refused["payload"])
    expect(page.locator("#stop-type")).to_have_text(refused["type"])
    expect(page.locator("#stop-at")).not_to_have_text("…")
    excerpt = page.locator("#stop-excerpt")
    expect(excerpt.locator('[data-field="sku"] dd')).to_have_text(payload["sku"])
    expect(excerpt.locator('[data-field="quantity"] dd')).to_have_text(str(payload["quantity"]))
    expect(excerpt.locator('[data-field="lot"] dd')).to_have_text(payload["lot"])
    expect(excerpt.locator('[data-field="to_location"] dd')).to_have_text(payload["to_location"])
    expect(page.locator("#stop-error")).to_have_text("OMS 拒收（400）")
    expect(page.locator("#stop-error-raw")).to_have_text('{"error": "refused"}')
    expect(page.locator("#link-state")).to_have_text("已停止")
    expect(page.locator("#seqs")).to_have_text(f"{REFUSED - 1} / {last}")
    expect(page.locator("#backlog")).to_have_text(f"{last - REFUSED + 1:,}")
    expect(page.locator("#next-try")).to_have_text("已停止，等待主管处理")
    expect(page.locator("#last-ok")).not_to_have_text("从未")
    assert [e["seq"] for e in link.sim.taken(SITE)] == list(range(1, REFUSED))
    assert_fits_phone(page, shots, "sync-stopped")
    page.screenshot(path=str(shots / "sync-stopped-360-full.png"), full_page=True)

    # Both languages, every text there.
    for lang, html_lang in (("en", "en"), ("zh", "zh-CN")):
        page.locator("#lang").click()
        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        assert page.evaluate(UNTRANSLATED) == [], f"untranslated in {lang}"
        if lang == "en":
            expect(page.locator("#stop-title")).to_have_text(
                f"Delivery stopped: the OMS refused event #{REFUSED}"
            )
            expect(page.locator("#skip")).to_have_text(f"Skip event #{REFUSED}")

    # A skip needs its reason: none, or too short, is refused on the page, nothing sent.
    page.locator("#skip").click()
    expect_banner(page, "bad", "请填写跳过原因")
    expect(page.locator("#skip-reason")).to_be_focused()
    page.locator("#skip-reason").fill("  ab ")
    page.locator("#skip").click()
    expect_banner(page, "bad", "请填写跳过原因")
    assert link.audit("sync.skip") == []

    # Retry: the event goes again, the OMS still refuses it, delivery stops there again.
    page.locator("#retry").click()
    expect_banner(page, "good", f"事件 #{REFUSED} 已重新发送")
    wait_refreshed(page, 2)
    expect(stop).to_be_visible()
    expect(stop).to_have_attribute("data-seq", str(REFUSED))
    assert (link.sync()["stopped"] or {}).get("seq") == REFUSED
    assert [(a["outcome"], a["target"]) for a in link.audit("sync.retry")] == [
        ("ok", f"event:{REFUSED}")
    ]
    assert max(e["seq"] for e in link.sim.taken(SITE)) == REFUSED - 1

    # Skip with a reason: delivery goes on to the end, the page shows it caught up.
    page.set_viewport_size(DESK)
    stop_box, link_box = stop.bounding_box(), page.locator("#link").bounding_box()
    assert stop_box and link_box and stop_box["x"] + stop_box["width"] <= link_box["x"]
    page.screenshot(path=str(shots / "sync-stopped-1280x800.png"), full_page=True)
    reason = "OMS 缺少此商品资料，已手工补录"
    page.locator("#skip-reason").fill(reason)
    page.locator("#skip").click()
    expect_banner(page, "good", f"已跳过事件 #{REFUSED}")
    expect(page.locator("#banner .banner-detail")).to_have_text(reason)
    expect(stop).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-backlog", "0")
    expect(page.locator("#backlog")).to_have_text("0")
    expect(page.locator("#link-state")).to_have_text("已全部送达")
    expect(page.locator("#seqs")).to_have_text(f"{last} / {last}")
    expect(page.locator("#lag")).to_have_text("无")
    expect(page.locator("#last-error")).to_have_text("无")
    expect(page.locator("#skip-reason")).to_have_value("")
    page.screenshot(path=str(shots / "sync-caught-up-1280x800.png"))

    taken = link.sim.taken(SITE)
    assert [e["seq"] for e in taken] == [e["seq"] for e in journal if e["seq"] != REFUSED]
    assert [e["key"] for e in taken] == [f"{SITE}:{e['epoch']}:{e['seq']}" for e in taken]
    assert [b["seq"] for b in link.sim.stats()["breaches"]] == [REFUSED + 1]  # the one gap
    with contextlib.closing(link.read()) as conn:
        skips = [dict(r) for r in conn.execute("SELECT seq, reason, skipped_by FROM sync_skips")]
    assert skips == [{"seq": REFUSED, "reason": reason, "skipped_by": "sup01"}]


def test_a_picker_has_no_tile_and_the_page_says_the_role_may_not(phone: Page, link: Link) -> None:
    page = phone
    log_in(page, "pick01")
    expect(page.locator('[data-menu="picking"]')).to_be_visible()
    expect(page.locator('[data-menu="sync"]')).to_have_count(0)

    page.goto("/sync.html")
    expect_banner(page, "bad", "您的角色无权执行此操作")
    expect(page.locator("#link")).to_be_hidden()
    expect(page.locator("#stop")).to_be_hidden()

    token = page.evaluate("sessionStorage.getItem('bondfloor.token')")
    request = urllib.request.Request(
        f"{link.server.base_url}/api/v1/sync", headers={"Authorization": f"Bearer {token}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert json.load(refused.value)["error"]["code"] == "ROLE_NOT_ALLOWED"
