"""Login page and home menu of the handheld app, in a real Chromium on a phone screen."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from server.demo import DEMO_PIN
from tests.live_server import DEMO_BADGES

pytestmark = pytest.mark.e2e

HOME = re.compile(r"/home\.html$")
# the flows built so far; the rest are greyed out
READY = {
    "receiving",
    "putaway",
    "move",
    "picking",
    "packing",
    "printers",
    "labels",
    "station",
    "orders",
    "dock",
    "dock_screen",
    "count",
    "sync",
    "trace",
    "billing",
    "supervisor",
    "admin",
    "stock",
}
MANAGER_TILES = [
    "receiving",
    "putaway",
    "move",
    "picking",
    "packing",
    "printers",
    "labels",
    "station",
    "orders",
    "dock",
    "dock_screen",
    "count",
    "sync",
    "trace",
    "billing",
    "supervisor",
    "stock",
]
# Admins also manage users and tokens (the tile before stock lookup, as in js/menu.js).
ADMIN_TILES = [*MANAGER_TILES[:-1], "admin", "stock"]
LOGIN = re.compile(r"/(index\.html)?(\?.*)?$")


def user_row(db: sqlite3.Connection, code: str) -> sqlite3.Row:
    return db.execute("SELECT code, name FROM users WHERE code = ?", (code,)).fetchone()


def menu_ids(page: Page) -> list[str]:
    return page.locator("#menu .tile").evaluate_all("tiles => tiles.map(t => t.dataset.menu)")


def test_picker_logs_in_with_pin_in_chinese_and_sees_own_tiles(
    page: Page, log_in: Callable[[str], None], demo_db: sqlite3.Connection, site_name: str
) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#site-name")).to_have_text(site_name)
    expect(page.locator("#login-submit")).to_have_text("登录")
    expect(page.get_by_text("或扫描工牌")).to_be_visible()

    log_in("pick01")

    expect(page.locator("#user-name")).to_have_text(user_row(demo_db, "pick01")["name"])
    expect(page.locator("#user-roles")).to_have_text("拣货员")
    assert menu_ids(page) == ["picking", "stock"]
    picking = page.locator('[data-menu="picking"]')
    expect(picking).to_be_enabled()
    expect(picking).to_have_text("拣货")
    expect(picking).to_have_attribute("href", "picking.html")
    stock = page.locator('[data-menu="stock"]')
    expect(stock).to_be_enabled()
    expect(stock).to_have_text("库存查询")

    stock.click()
    expect(page).to_have_url(re.compile(r"/stock\.html$"))
    expect(page.locator("#scan")).to_be_focused()


@pytest.mark.parametrize(
    ("user_code", "tiles"),
    [
        ("recv01", ["receiving", "stock"]),
        ("put01", ["putaway", "move", "stock"]),
        ("pack01", ["packing", "printers", "station", "stock"]),
        ("dock01", ["station", "dock", "dock_screen", "stock"]),
        ("count01", ["count"]),
        ("sup01", MANAGER_TILES),
        ("admin", ADMIN_TILES),
    ],
)
def test_menu_shows_the_tiles_of_the_users_role(
    page: Page, logged_in_as: Callable[[str], None], user_code: str, tiles: list[str]
) -> None:
    logged_in_as(user_code)
    page.goto("/home.html")
    expect(page.locator("#menu .tile")).to_have_count(len(tiles))
    assert menu_ids(page) == tiles
    expect(page.locator("#menu .tile:disabled")).to_have_count(len(set(tiles) - READY))


def test_badge_scan_logs_in(page: Page, demo_db: sqlite3.Connection) -> None:
    picker = user_row(demo_db, "pick01")
    page.goto("/")
    expect(page.locator("#badge")).to_be_focused()

    page.keyboard.type(DEMO_BADGES["pick01"], delay=5)
    page.keyboard.press("Enter")

    page.wait_for_url(HOME)
    expect(page.locator("#user-name")).to_have_text(picker["name"])


@pytest.mark.parametrize(
    ("language", "prompt"),
    [("zh", "已识别工牌：请输入您的 PIN 码"), ("en", "Badge read: enter your PIN")],
)
def test_a_supervisors_badge_asks_for_the_pin(
    page: Page, demo_db: sqlite3.Connection, language: str, prompt: str
) -> None:
    page.goto("/")
    if language == "en":
        page.locator("#lang").click()
        expect(page.locator("#login-submit")).to_have_text("Log in")
    page.locator("#badge").focus()
    page.keyboard.type(DEMO_BADGES["sup01"], delay=5)
    page.keyboard.press("Enter")

    # The badge alone does not log a supervisor in: the page asks for the PIN.
    expect(page.locator("#banner .banner-text")).to_have_text(prompt)
    expect(page.locator("#user-code")).to_be_hidden()
    expect(page.locator("#pin")).to_be_focused()
    expect(page).to_have_url(LOGIN)

    page.locator("#pin").fill(DEMO_PIN)
    page.locator("#login-submit").click()
    page.wait_for_url(HOME)
    expect(page.locator("#user-name")).to_have_text(user_row(demo_db, "sup01")["name"])


@pytest.mark.parametrize(
    ("language", "message"), [("zh", "工号或 PIN 码错误"), ("en", "Unknown user or wrong PIN")]
)
def test_wrong_pin_shows_error_and_stays_on_login(page: Page, language: str, message: str) -> None:
    page.goto("/")
    if language == "en":
        page.locator("#lang").click()
        expect(page.locator("#login-submit")).to_have_text("Log in")
    page.locator("#user-code").fill("pack01")
    page.locator("#pin").fill("9999")
    page.locator("#login-submit").click()

    expect(page.locator("#banner .banner-text")).to_have_text(message)
    expect(page.locator("body")).to_have_attribute("data-feedback", "bad")
    expect(page.locator("#pin")).to_have_value("")
    expect(page).to_have_url(LOGIN)


def test_a_known_badge_with_a_wrong_pin_says_the_pin_is_wrong(page: Page) -> None:
    page.goto("/")
    page.locator("#lang").click()
    page.locator("#badge").focus()
    page.keyboard.type(DEMO_BADGES["sup01"], delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#pin")).to_be_focused()
    page.locator("#pin").fill("0000")
    page.locator("#login-submit").click()

    expect(page.locator("#banner .banner-text")).to_have_text("Badge read, but the PIN is wrong")
    expect(page.locator("#pin")).to_be_focused()
    expect(page.locator("#user-code")).to_be_hidden()  # the badge still waits for its PIN


def test_unknown_badge_is_refused_as_unknown_not_as_a_wrong_pin(page: Page) -> None:
    page.goto("/")
    page.keyboard.type("BF-BADGE-0000", delay=5)
    page.keyboard.press("Enter")

    expect(page.locator("#banner .banner-text")).to_have_text(
        "未登记的工牌：请用工号和 PIN 码登录，或请主管登记"
    )
    expect(page.locator("body")).to_have_attribute("data-feedback", "bad")
    expect(page).to_have_url(LOGIN)


def test_logout_ends_the_session(page: Page, log_in: Callable[[str], None]) -> None:
    log_in("dock01")
    page.locator("#logout").click()
    page.wait_for_url(LOGIN)
    assert page.evaluate("sessionStorage.getItem('bondfloor.token')") is None

    page.goto("/home.html")
    page.wait_for_url(LOGIN)


def test_unknown_session_goes_back_to_login(page: Page) -> None:
    page.goto("/")
    page.evaluate("sessionStorage.setItem('bondfloor.token', 'not-a-real-token')")

    page.goto("/stock.html")

    expect(page).to_have_url(re.compile(r"/index\.html\?reason=UNAUTHENTICATED$"))
    expect(page.locator("#banner .banner-text")).to_have_text("会话已结束，请重新登录")


def test_language_choice_is_remembered(page: Page) -> None:
    page.goto("/")
    page.locator("#lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#lang")).to_have_text("中文")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#login-submit")).to_have_text("Log in")
    expect(page.locator("#user-code")).to_be_visible()
    expect(page.get_by_text("User code")).to_be_visible()


UNTRANSLATED = """() => [...document.querySelectorAll('[data-i18n]')]
    .filter(el => !el.textContent.trim() || el.textContent === el.dataset.i18n)
    .map(el => el.dataset.i18n)"""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/home.html",
        "/stock.html",
        "/station.html?name=pack-01",
        "/station.html?name=door-1",
        "/dock.html",
        "/dock-screen.html?door=door-1",
        "/count.html",
        "/supervisor.html",
    ],
)
def test_every_page_text_exists_in_both_languages(
    page: Page, logged_in_as: Callable[[str], None], path: str
) -> None:
    logged_in_as("sup01")
    page.goto(path)
    for lang, html_lang in (("en", "en"), ("zh", "zh-CN")):
        page.locator("#lang").click()
        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        assert page.evaluate(UNTRANSLATED) == [], f"untranslated on {path} in {lang}"
