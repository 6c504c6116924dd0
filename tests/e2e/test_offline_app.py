"""The handheld as an installable, offline-first app: the manifest and its icons, the
service worker that keeps every page on the device, pages that open without the network
and show their queue, uploads that say so, open work that outlives a reload, and a clean
update when the server's files change."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server import app as app_module
from server.app import create_app
from server.config import Settings
from tests.e2e.conftest import PHONE, Server
from tests.e2e.test_inbound import (  # noqa: F401 (fixtures)
    Api,
    Item,
    api,
    expect_counted,
    gs1,
    items,
    scan_expecting,
    unique_lot,
)
from tests.e2e.test_outbound import (
    current_task,
    free_totes,
    order_items,
    pack_items_in_browser,
    pick_task,
    single_line_orders,
)
from tests.live_server import free_port

pytestmark = pytest.mark.e2e

# Every page of handheld_web, with the query the pages that need one are opened with.
PAGES = (
    "index.html",
    "home.html",
    "stock.html",
    "receiving.html",
    "receipt.html?doc=tally&plan=1",
    "putaway.html",
    "move.html",
    "count.html",
    "picking.html",
    "packing.html",
    "printers.html",
    "station.html?name=pack-01",
    "orders.html",
    "dock.html",
    "dock-screen.html?door=door-1",
    "sync.html",
    "trace.html?kind=sku&value=NOSUCHSKU",
    "supervisor.html",
    "handover.html?list=1",
)


@pytest.fixture
def app_context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """A phone with service workers allowed (the default), its own storage."""
    expect.set_options(timeout=10_000)
    context = browser.new_context(
        base_url=server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        locale="zh-CN",
        service_workers="allow",
    )
    yield context
    context.close()


@pytest.fixture
def app_page(app_context: BrowserContext) -> Iterator[Page]:
    page = app_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


def wait_for_worker(page: Page) -> str:
    """Wait until the service worker is active and controls the page; its shell version."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    (version,) = shell_cache_names(page)
    return version


def log_in_as(page: Page, session_token: Callable[[str], str], user: str) -> None:
    """This tab's session becomes `user`'s, as after a login: kept across reloads, and
    nothing of the previous user's session (its cached answers, its open work) kept."""
    if not page.url.startswith("http"):
        page.goto("/index.html")
    page.evaluate(
        "(token) => { sessionStorage.clear(); sessionStorage.setItem('bondfloor.token', token); }",
        session_token(user),
    )


def queue_one_change(page: Page, document: str, demo_db: sqlite3.Connection) -> None:
    row = demo_db.execute(
        "SELECT c.code AS customer, s.code AS sku FROM skus s "
        "JOIN customers c ON c.id = s.customer_id WHERE s.lot_tracked = 0 LIMIT 1"
    ).fetchone()
    body = {
        "kind": "receive",
        "reason": "found",
        "customer": row["customer"],
        "sku": row["sku"],
        "quantity": 1,
        "to_location": "STG-02",
        "document": document,
    }
    answer = page.evaluate(
        """async (body) => {
            const outbox = await import('/js/outbox.js');
            return outbox.submit('/api/v1/ledger/movements', body);
        }""",
        body,
    )
    assert answer == {"queued": True}


def test_the_install_criteria_are_met(app_page: Page, server: Server) -> None:
    app_page.goto("/")
    wait_for_worker(app_page)
    assert (
        app_page.evaluate("navigator.serviceWorker.controller.scriptURL")
        == f"{server.base_url}/sw.js"
    )
    href = app_page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = app_page.evaluate(
        """async (href) => {
            const answer = await fetch(href, { cache: 'no-store' });
            return { type: answer.headers.get('content-type'), body: await answer.json() };
        }""",
        href,
    )
    assert manifest["type"].startswith("application/manifest+json")
    body = manifest["body"]
    assert body["name"] and body["short_name"] and body["display"] == "standalone"
    assert body["start_url"] == "/" and body["scope"] == "/"
    assert body["theme_color"] == "#10243a"
    purposes = set()
    for icon in body["icons"]:
        width, height = app_page.evaluate(
            """(src) => new Promise((resolve, reject) => {
                const img = new Image();
                img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
                img.onerror = reject;
                img.src = src;
            })""",
            icon["src"],
        )
        assert f"{width}x{height}" == icon["sizes"]
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    favicon = app_page.locator('link[rel="icon"]').get_attribute("href")
    assert app_page.evaluate("(src) => fetch(src).then(a => a.ok)", favicon)
    # Chromium's own verdict on installing the app: no errors but the test browser's own
    # (a Playwright context is an incognito profile, where nothing is installed).
    devtools = app_page.context.new_cdp_session(app_page)
    errors = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    manifest_seen = devtools.send("Page.getAppManifest")
    assert manifest_seen["errors"] == [] and manifest_seen["url"].endswith("/manifest.webmanifest")


def test_every_page_reloads_offline_with_its_title_and_its_queue(
    app_context: BrowserContext,
    app_page: Page,
    session_token: Callable[[str], str],
    demo_db: sqlite3.Connection,
    server: Server,
) -> None:
    page = app_page
    log_in_as(page, session_token, "sup01")
    page.goto("/home.html")
    expect(page.locator("#menu .tile").first).to_be_visible()
    wait_for_worker(page)

    app_context.set_offline(True)
    document = f"E2E-OFF-{uuid.uuid4().hex[:8]}"
    queue_one_change(page, document, demo_db)
    for path in PAGES:
        page.goto(f"/{path}")
        page.reload()
        assert page.url.startswith(server.base_url), path  # not chrome-error://
        title = page.locator("header.topbar h1, header.topbar .who").first
        expect(title, path).not_to_be_empty()
        expect(page.locator("#outbox"), path).to_have_text("待上传 1")
        expect(page.locator("#offline"), path).to_be_visible()
        expect(page.locator("#offline"), path).to_contain_text("离线")
    assert re.search(r"/handover\.html\?list=1$", page.url)
    # The worker keeps the shell only: no API answer is kept, none is answered offline.
    cached = shell_files_in_cache(page)["files"]
    assert "/index.html" in cached and not [p for p in cached if p.startswith("/api/")]
    assert (
        page.evaluate("fetch('/api/v1/client-config').then(() => 'answered', () => 'failed')")
        == "failed"
    )

    app_context.set_offline(False)
    page.goto("/home.html")
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#offline")).to_be_hidden()
    recorded = demo_db.execute(
        "SELECT COUNT(*) FROM movements WHERE document = ?", (document,)
    ).fetchone()[0]
    assert recorded == 1


def test_a_scan_queued_offline_uploads_once_and_the_banner_then_says_uploaded(
    app_context: BrowserContext,
    app_page: Page,
    session_token: Callable[[str], str],
    api: Api,  # noqa: F811
    items: Callable[[int], list[Item]],  # noqa: F811
    demo_db: sqlite3.Connection,
) -> None:
    page = app_page
    (item,) = items(1)
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 5}], {"type": "sea", "container_no": "MRKU7654321"}
    )
    api.check_in(plan, "DOCK-04")
    log_in_as(page, session_token, "recv01")
    page.goto(f"/receiving.html?plan={plan['id']}")
    expect(page.locator("#step-receive")).to_be_visible()
    wait_for_worker(page)

    app_context.set_offline(True)
    page.reload()  # offline: the open plan is back from the device
    expect(page.locator("#step-receive")).to_be_visible()
    expect(page.locator(f'.tally-line[data-sku="{item.sku}"]')).to_be_visible()
    scan_expecting(page, gs1(item, unique_lot(), 5), "info", "已存在本机，联网后上传")
    expect(page.locator("#outbox")).to_have_text("待上传 1")

    app_context.set_offline(False)
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#banner .banner-text")).to_have_text("已上传到服务器")
    expect(page.locator("#offline")).to_be_hidden()
    expect_counted(page, item.sku, 5)
    page.locator("#lang").click()  # the page says its last outcome again: not "will upload"
    expect(page.locator("#banner .banner-text")).to_have_text("Uploaded to the server")
    received = demo_db.execute(
        "SELECT COUNT(*), SUM(quantity) FROM receipt_scans WHERE plan_id = ?", (plan["id"],)
    ).fetchone()
    assert tuple(received) == (1, 5)


def shell_cache_names(page: Page) -> list[str]:
    names = page.evaluate("caches.keys()")
    return sorted(name for name in names if name.startswith("shell-"))


def shell_files_in_cache(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """async () => {
                const names = (await caches.keys()).filter(k => k.startsWith('shell-'));
                const cache = await caches.open(names[0]);
                const out = {};
                for (const request of await cache.keys()) {
                    out[new URL(request.url).pathname] = await (await cache.match(request)).text();
                }
                return { names, files: out };
            }"""
        )
    )


def test_the_pick_task_and_the_order_at_the_bench_are_back_after_a_reload_offline(
    app_context: BrowserContext,
    app_page: Page,
    session_token: Callable[[str], str],
    api: Api,  # noqa: F811
    demo_db: sqlite3.Connection,
) -> None:
    page = app_page
    courier = demo_db.execute(
        "SELECT o.courier FROM orders o WHERE o.state = 'new' AND o.wave_id IS NULL "
        "AND o.customs_status = 800 AND (SELECT COUNT(*) FROM order_lines l "
        "WHERE l.order_id = o.id) = 1 GROUP BY o.courier ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()[0]
    (order,) = single_line_orders(demo_db, courier, 1)
    wave = api.call("sup01", "POST", "/api/v1/waves", {"order_nos": [order["order_no"]]})
    log_in_as(page, session_token, "pick01")
    page.goto("/picking.html")
    wait_for_worker(page)
    expect(page.locator(f'.plan-item[data-wave-no="{wave["wave_no"]}"]')).to_be_visible()
    page.locator(f'.plan-item[data-wave-no="{wave["wave_no"]}"]').click()
    task = current_task(page)

    app_context.set_offline(True)
    page.reload()
    assert current_task(page)["task-id"] == task["task-id"]
    app_context.set_offline(False)
    page.goto("/picking.html")  # from the menu, online: the same task, leased to this device
    assert current_task(page)["task-id"] == task["task-id"]

    (tote,) = free_totes(demo_db, 1)
    pick_task(page, demo_db, task, tote, mistakes=False)
    expect(page.locator("body")).to_have_attribute("data-step", "wave")  # the wave is done

    log_in_as(page, session_token, "pack01")
    page.goto("/packing.html")
    scan_expecting(page, tote, "good", f"订单 {order['order_no']}")
    expect(page.locator("#order-no")).to_have_text(order["order_no"])
    app_context.set_offline(True)
    page.reload()
    expect(page.locator("#order")).to_be_visible()
    expect(page.locator("#order-no")).to_have_text(order["order_no"])
    (sku, quantity) = order_items(demo_db, order["id"])[0]
    expect(page.locator(f'.pack-line[data-sku="{sku}"]')).to_have_attribute(
        "data-ordered", str(quantity)
    )
    app_context.set_offline(False)
    page.goto("/packing.html")
    expect(page.locator("#order-no")).to_have_text(order["order_no"])

    # Packed with the Wi-Fi gone: saved on the device; once up, the card says so.
    pack_items_in_browser(page, demo_db, order["id"], tote)
    page.locator("#weight").fill("640")
    app_context.set_offline(True)
    page.locator("#pack-submit").click()
    expect(page.locator("#done-print")).to_have_text("封箱已存在本机，联网后上传并打印面单")
    app_context.set_offline(False)
    expect(page.locator("#done-print")).to_have_text("封箱已上传，面单已排队打印")
    state = demo_db.execute("SELECT state FROM orders WHERE id = ?", (order["id"],)).fetchone()[0]
    assert state == "packed"


@dataclass
class OwnPagesServer:
    base_url: str
    pages: Path  # the folder it serves
    asked: list[str]  # every path (with its query) it was asked for


@pytest.fixture
def server_of_own_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Iterator[OwnPagesServer]:
    """A real server over HTTP, in this process, so its handheld files are a copy this test
    may change and what it is asked for can be counted."""
    pages = tmp_path / "handheld_web"
    shutil.copytree(app_module.handheld_web_dir(), pages)
    monkeypatch.setattr(app_module, "handheld_web_dir", lambda: pages)
    port = free_port()
    app = create_app(settings)
    asked: list[str] = []

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            asked.append(f"{scope['path']}?{scope['query_string'].decode()}")
        await app(scope, receive, send)

    http = uvicorn.Server(uvicorn.Config(counted, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=http.run, name="own-pages-server")
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not http.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield OwnPagesServer(f"http://127.0.0.1:{port}", pages, asked)
    finally:
        http.should_exit = True
        thread.join(timeout=20)


def test_a_change_on_the_server_is_picked_up_whole_by_the_next_page_load(
    browser: Browser, server_of_own_pages: OwnPagesServer
) -> None:
    pages = server_of_own_pages.pages
    context = browser.new_context(
        base_url=server_of_own_pages.base_url, viewport=PHONE, locale="zh-CN"
    )
    try:
        page = context.new_page()
        page.goto("/")
        old = wait_for_worker(page)

        # An upgrade: a page and the style sheet change on the server.
        marker = f"changed-{uuid.uuid4().hex[:8]}"
        style = pages / "css" / "app.css"
        style.write_text(
            style.read_text(encoding="utf-8") + f"\n/* {marker} */\n", encoding="utf-8"
        )
        login = pages / "index.html"
        html = login.read_text(encoding="utf-8").replace("</body>", f"<!-- {marker} --></body>")
        login.write_text(html, encoding="utf-8")
        server_of_own_pages.asked.clear()

        page.reload()  # still the old version; the navigation finds the new worker
        deadline = time.monotonic() + 15
        while shell_cache_names(page) == [old]:
            assert time.monotonic() < deadline, "the new version was not installed"
            time.sleep(0.1)
        while shell_cache_names(page) != [new := shell_cache_names(page)[-1]] or new == old:
            assert time.monotonic() < deadline, "the old version was not removed"
            time.sleep(0.1)
        # Only the two changed files crossed the network; the others came from the HTTP
        # cache under their unchanged content hash.
        precached = {p.split("?")[0] for p in server_of_own_pages.asked if "?v=" in p}
        assert precached == {"/css/app.css", "/index.html"}
        page.reload()
        assert marker in page.content()
        cached = shell_files_in_cache(page)
        assert len(cached["names"]) == 1 and cached["names"][0] != old
        # No stale mix: every file in the cache is the server's file as it is now.
        for path, text in cached["files"].items():
            on_disk = pages / path.lstrip("/")
            if on_disk.suffix in {".html", ".js", ".css", ".webmanifest"}:
                assert text == on_disk.read_text(encoding="utf-8"), path
        assert page.evaluate("fetch('/css/app.css').then(a => a.text())").endswith(
            f"/* {marker} */\n"
        )
    finally:
        context.close()


def test_the_from_location_of_a_move_is_back_after_a_reload_offline(
    app_page: Page, session_token: Callable[[str], str], demo_db: sqlite3.Connection
) -> None:
    page = app_page
    location = demo_db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "WHERE l.type = 'storage' ORDER BY l.code LIMIT 1"
    ).fetchone()[0]
    log_in_as(page, session_token, "sup01")
    page.goto("/move.html")
    wait_for_worker(page)
    scan_expecting(page, location, "good", location)
    expect(page.locator("#source-code")).to_have_text(location)
    rows = page.locator(".move-row").count()
    assert rows > 0

    page.context.set_offline(True)
    page.goto("/move.html")  # from the menu, offline: the location still open, as last seen
    expect(page.locator("#source-code")).to_have_text(location)
    expect(page.locator(".move-row")).to_have_count(rows)
    page.context.set_offline(False)
    page.locator("#source-change").click()  # done with it: not brought back again
    page.goto("/move.html")
    expect(page.locator("#source-box")).to_be_hidden()


def test_the_put_away_list_of_a_location_is_back_after_a_reload_offline(
    app_page: Page,
    session_token: Callable[[str], str],
    api: Api,  # noqa: F811
    items: Callable[[int], list[Item]],  # noqa: F811
) -> None:
    page = app_page
    (item,) = items(1)
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 2}], {"type": "sea", "container_no": "MSKU3322110"}
    )
    api.check_in(plan, "STG-03")
    api.receive(plan, gs1(item, unique_lot(), 2))
    log_in_as(page, session_token, "put01")
    page.goto("/putaway.html?location=STG-03")
    wait_for_worker(page)
    row = page.locator(f'.pending-row[data-sku="{item.sku}"]')
    expect(row).to_have_attribute("data-quantity", "2")

    page.context.set_offline(True)
    page.goto("/putaway.html")  # from the menu, offline: the same location, as last seen
    expect(row).to_have_attribute("data-quantity", "2")
    expect(page.locator("#banner")).to_be_hidden()
    page.context.set_offline(False)


def test_the_offline_note_shows_while_the_server_is_out_of_reach_on_a_working_network(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    logged_in_as("sup01")
    page.goto("/stock.html")
    expect(page.locator("#banner")).to_be_hidden()
    expect(page.locator("#offline")).to_be_hidden()
    page.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    scan_expecting(page, "A-01-01-1", "bad")
    expect(page.locator("#offline")).to_be_visible()  # navigator.onLine is still true
    page.unroute("**/api/v1/**")
    scan_expecting(page, "A-01-01-1", "good")
    expect(page.locator("#offline")).to_be_hidden()


def test_the_camera_decoder_is_kept_on_the_device_once_used_not_at_install(
    app_context: BrowserContext, app_page: Page
) -> None:
    """The decoder (about 430 KB gzipped) is no part of the first visit's download; once a
    page has loaded it, it opens offline too."""
    decoder = "/vendor/zxing-wasm-3.1.8/package.json"
    app_page.goto("/index.html")
    wait_for_worker(app_page)
    cached = shell_files_in_cache(app_page)["files"]
    assert "/index.html" in cached and not [p for p in cached if p.startswith("/vendor/")]
    fetch = "(url) => fetch(url).then(a => a.ok ? a.json() : a.status, () => 'failed')"
    assert app_page.evaluate(fetch, decoder)["name"] == "zxing-wasm"
    app_context.set_offline(True)
    try:
        assert app_page.evaluate(fetch, decoder)["name"] == "zxing-wasm"
        assert app_page.evaluate(fetch, "/vendor/zxing-wasm-3.1.8/LICENSE") == "failed"
    finally:
        app_context.set_offline(False)
