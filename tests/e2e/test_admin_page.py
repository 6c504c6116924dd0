"""The admin page in a real Chromium: an admin disables a user and sets another's
language, and that user's next login on a fresh handheld shows the chosen language.

One test (the server and browser are the session's): the page is also measured at
360x640 in both languages and at a desk's 1280x800 (axe, widths, tap targets), with
screenshots, and a token is made (shown once) and revoked.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, Server
from tests.e2e.test_accessibility import MEASURE_LAYOUT, run_axe

pytestmark = pytest.mark.e2e

PIN = "2580"
DESK = {"width": 1280, "height": 800}


def add_user_on_the_page(page: Page, code: str, name: str, role: str) -> None:
    page.locator("#add-user summary").click()
    page.locator("#new-code").fill(code)
    page.locator("#new-name").fill(name)
    page.locator(f"#new-roles input[value={role}]").check()
    page.locator("#new-pin").fill(PIN)
    page.locator("#add-user-form button[type=submit]").click()
    expect(page.locator(f'[data-user="{code}"]')).to_be_visible()
    expect(page.locator("#add-user-form")).to_be_hidden()  # folded away once added


def open_card(page: Page, code: str) -> Any:
    card = page.locator(f'[data-user="{code}"]')
    if card.get_attribute("open") is None:
        card.locator("summary").click()
    return card


def fresh_handheld_login(browser: Browser, server: Server, code: str) -> tuple[Any, Page]:
    context = browser.new_context(
        base_url=server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        locale="zh-CN",
        service_workers="block",
    )
    page = context.new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.locator("#user-code").fill(code)
    page.locator("#pin").fill(PIN)
    page.locator("#login-submit").click()
    return context, page


def saved_language(server: Server, code: str) -> str:
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True)
    try:
        return str(conn.execute("SELECT language FROM users WHERE code = ?", (code,)).fetchone()[0])
    finally:
        conn.close()


def measure(page: Page) -> dict[str, Any]:
    return {"axe": run_axe(page), "layout": page.evaluate(MEASURE_LAYOUT)}


def test_admin_disables_a_user_and_sets_a_language_the_users_next_login_takes(
    page: Page,
    browser: Browser,
    server: Server,
    logged_in_as: Callable[[str], None],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shots = tmp_path_factory.mktemp("admin-page")
    print(f"screenshots: {shots}")
    logged_in_as("admin")
    page.goto("/admin.html")
    expect(page.locator('[data-user="admin"]')).to_be_visible()
    add_user_on_the_page(page, "e2e-off", "停用测试", "picker")
    add_user_on_the_page(page, "e2e-lang", "Language Test", "packer")

    off = open_card(page, "e2e-off")
    off.get_by_role("button", name="停用").click()
    expect(page.locator('[data-user="e2e-off"]')).to_have_attribute("data-enabled", "false")
    expect(page.locator('[data-user="e2e-off"] .chip[data-kind="held"]')).to_have_text("已停用")

    lang = open_card(page, "e2e-lang")
    lang.locator("select[name=language]").select_option("en")
    lang.get_by_role("button", name="保存语言").click()
    expect(lang.locator('.chip[data-kind="language"]')).to_have_text("英文 (English)")
    expect(page.locator("#banner")).to_contain_text("e2e-lang")

    # A station token: shown once, listed with its kind, revoked by a second tap.
    page.locator("#token-name").fill("e2e-bench")
    page.locator("#add-token-form button[type=submit]").click()
    expect(page.locator("#secret-value")).to_have_text(re.compile(r"^bf_station_"))
    token_row = page.locator('[data-token="e2e-bench"]')
    expect(token_row).to_contain_text("从未")

    found: dict[str, dict[str, Any]] = {}
    page.locator("#secret-done").click()
    found["zh 360"] = measure(page)
    page.screenshot(path=str(shots / "admin-zh-360.png"), full_page=True)
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(lang.locator('.chip[data-kind="language"]')).to_have_text("English")
    found["en 360"] = measure(page)
    page.screenshot(path=str(shots / "admin-en-360.png"), full_page=True)
    page.set_viewport_size(DESK)
    found["en 1280"] = measure(page)
    page.screenshot(path=str(shots / "admin-en-1280.png"), full_page=True)
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.screenshot(path=str(shots / "admin-zh-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)

    for key, seen in found.items():
        assert seen["axe"] == [], key
        assert seen["layout"]["cutTexts"] == [] and seen["layout"]["codes"] == [], key
        assert seen["layout"]["small"] == [], key
    assert found["zh 360"]["layout"]["width"] <= 360
    assert found["en 360"]["layout"]["width"] <= 360

    revoke = token_row.get_by_role("button", name="吊销")
    revoke.click()
    expect(token_row.locator("button")).to_have_text("再按一次吊销 e2e-bench")
    token_row.locator("button").click()
    expect(page.locator('[data-token="e2e-bench"]')).to_have_count(0)

    # The user's next login, on a handheld that never saw them, is in their language.
    context, handheld = fresh_handheld_login(browser, server, "e2e-lang")
    handheld.wait_for_url(re.compile(r"/home\.html$"))
    expect(handheld.locator("html")).to_have_attribute("lang", "en")
    expect(handheld.locator("#lang")).to_have_text("中文")
    # Their own choice on the switch, logged in, becomes theirs for the next login.
    with handheld.expect_response("**/api/v1/auth/me/language") as saved:
        handheld.locator("#lang").click()
    assert saved.value.ok
    expect(handheld.locator("html")).to_have_attribute("lang", "zh-CN")
    assert saved_language(server, "e2e-lang") == "zh"
    context.close()

    # The disabled user cannot log in there.
    context, handheld = fresh_handheld_login(browser, server, "e2e-off")
    expect(handheld.locator("#banner")).to_contain_text("该用户已停用")
    expect(handheld).to_have_url(re.compile(r"/(index\.html)?$"))
    context.close()


def test_the_menu_shows_the_admin_tile_to_admins_only(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    logged_in_as("sup01")
    page.goto("/home.html")
    expect(page.locator("#menu .tile").first).to_be_visible()
    expect(page.locator('#menu [data-menu="admin"]')).to_have_count(0)
    page.goto("/admin.html")
    expect(page.locator("#not-admin")).to_be_visible()
    expect(page.locator("#admin")).to_be_hidden()
