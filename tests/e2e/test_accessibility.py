"""Every handheld page at phone size (360x640), in Chinese and in English, with real
content where it is cheap to have: axe-core finds 0 violations, nothing is wider than the
screen, no title, scan instruction or code is cut or broken, tap targets are thumb-sized.

Each page is opened once per language (a module fixture); the tests read what was seen.
axe-core is vendored from npm (tests/e2e/vendor/, `make axe-core` refreshes it). Its
experimental rules run too: label-content-name-mismatch (a button's accessible name must
contain its visible text, or speech control cannot press it) is one of them.
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from devices.handover_slip import mask_id, mask_phone
from server.app import handheld_web_dir
from tests.e2e.conftest import DOCK_DOOR, LABEL_PRINTER, PACK_BENCHES, PHONE, SITE_NAME, Server
from tests.e2e.test_move_page import movable_lot

pytestmark = pytest.mark.e2e

AXE_CORE_VERSION = "4.14.1"  # the Makefile's AXE_CORE_VERSION: `make axe-core` fetches it
AXE = Path(__file__).parent / "vendor" / f"axe-core-{AXE_CORE_VERSION}" / "axe.min.js"
LANGUAGES = ("zh", "en")
HANDOVER_LIST_ID = 9043  # answered by the test itself (handover_record)

# The supervisor's dashboard is being reworked for the phone in a branch of its own: what
# axe finds there until that lands is named here, not skipped. Today that is nothing (its
# one finding, the language button's name, was every page's and is fixed). Every other
# page has no entry: 0 violations.
KNOWN_VIOLATIONS_UNTIL_THE_DASHBOARD_REWORK: dict[str, set[str]] = {
    "supervisor.html": set(),
}
# Not floor pages: the dashboard (same rework: its buttons are 40 px today) and the
# dock door's TV, made for 1920x1080 and a glance, not a thumb.
NOT_FLOOR_PAGES = {"supervisor.html", "dock-screen.html"}

# Every experimental rule on as well: label-content-name-mismatch is one of them.
RUN_AXE = """async () => {
  const rules = {};
  for (const rule of axe.getRules(['experimental'])) rules[rule.ruleId] = { enabled: true };
  const result = await axe.run(document, { rules, resultTypes: ['violations'] });
  return result.violations.map(v => ({
    id: v.id,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary
      .replace(/\\s+/g, ' ').slice(0, 200)),
  }));
}"""

# What a person at 360 px would see wrong. Widths are against the screen, not innerWidth:
# a mobile viewport grows to fit a page that is too wide.
MEASURE_LAYOUT = """() => {
  const shown = (el) => el.checkVisibility() && el.getClientRects().length > 0;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '');
  const title = document.querySelector('.topbar-title');
  const canvas = document.createElement('canvas').getContext('2d');
  const cutPlaceholders = [...document.querySelectorAll('input[placeholder]')]
    .filter((input) => shown(input) && input.placeholder)
    .filter((input) => {
      const style = getComputedStyle(input, '::placeholder');
      canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return canvas.measureText(input.placeholder).width > room;
    })
    .map((input) => `${describe(input)}: ${input.placeholder}`);
  const cutTexts = [...document.querySelectorAll('body *')]
    .filter((el) => shown(el) && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
    .filter((el) => ['hidden', 'clip'].includes(getComputedStyle(el).overflowX))
    .filter((el) => el.scrollWidth > el.clientWidth + 1 && !el.classList.contains('visually-hidden'))
    .map((el) => `${describe(el)}: ${el.textContent.trim()}`);
  const codes = [...document.querySelectorAll(
      '.task-suggested, .pick-location, .pick-sku, .dock-plate, .dock-check-value, .code-whole, '
      + '.reprint-code:not([data-empty]), .doc-table .code, [data-fact=driver_id], '
      + '[data-fact=handover_no], [data-fact=list_no], [data-fact=seal_no]')]
    .filter((el) => shown(el) && el.textContent.trim())
    .filter((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      // A wide table scrolls sideways in its own region: only its page may not.
      const scrolls = el.closest('[tabindex="0"]');
      return lines.size > 1 || (el.getBoundingClientRect().right > screen.width && !scrolls);
    })
    .map((el) => `${describe(el)}: ${el.textContent.trim()}`);
  const small = [...document.querySelectorAll('button, a, input, select, textarea, summary')]
    .filter((el) => shown(el) && !(el.tagName === 'A' && getComputedStyle(el).display === 'inline'))
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([, box]) => box.height < 47.5 || box.width < 47.5)
    .map(([el, box]) => `${describe(el)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  return {
    width: Math.max(document.documentElement.scrollWidth, innerWidth),
    screen: screen.width,
    title: title && {
      text: title.textContent,
      cut: title.scrollWidth > title.clientWidth + 1 || title.scrollHeight > title.clientHeight + 1,
      fontSize: parseFloat(getComputedStyle(title).fontSize),
    },
    cutPlaceholders, cutTexts, codes, small,
  };
}"""


def page_addresses(db: sqlite3.Connection) -> list[str]:
    """Every page once, with real content on screen where a query parameter gives it."""
    plan_id = db.execute("SELECT id FROM delivery_plans ORDER BY id LIMIT 1").fetchone()[0]
    location = db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "WHERE l.type = 'storage' ORDER BY l.code LIMIT 1"
    ).fetchone()[0]
    with_content = {
        "receiving.html": f"receiving.html?plan={plan_id}",
        "receipt.html": f"receipt.html?plan={plan_id}&doc=tally",
        "move.html": f"move.html?location={location}",
        "trace.html": f"trace.html?kind=location&value={location}",
        "station.html": f"station.html?name={PACK_BENCHES[0]}",
        "dock-screen.html": f"dock-screen.html?door={DOCK_DOOR}",
        "handover.html": f"handover.html?list={HANDOVER_LIST_ID}",
    }
    pages = sorted(p.name for p in Path(handheld_web_dir()).glob("*.html"))
    addresses = [with_content.get(name, name) for name in pages if name != "index.html"]
    return [*addresses, f"receipt.html?plan={plan_id}&doc=receipt"]


def handover_record() -> dict[str, Any]:
    """A departed truck's handover record as GET /api/v1/loading-lists/{id}/handover gives
    it: the demo has no departed truck, and making one takes a day's outbound flow."""
    return {
        "site": {"name": SITE_NAME},
        "handover_no": "HO-20261206-0007",
        "list_no": "LL-20261206-0042",
        "plate": "粤B7D301",
        "second_plate": "粤Z1234港",
        "driver_name": "李师傅",
        "driver_id": "440305199003071234",
        "driver_phone": "13800138000",
        "seal_no": "SEAL-7D301",
        "carrier": "顺丰",
        "door": DOCK_DOOR,
        "departed_at": "2026-12-06T09:30:00+00:00",
        "departed_by": "dock01",
        "parcels": [
            {
                "waybill_no": f"SF14400000000{n}",
                "order_no": f"SO-20261206-{n:04d}",
                "courier": "SF",
                "weight_g": 480,
                "parcel_count": 1,
                "loaded_at": "2026-12-06T09:10:00+00:00",
                "loaded_by": "dock01",
            }
            for n in range(1, 4)
        ],
        "loaded_weight_g": 1440,
        "parcel_count": 3,
        "expected_weight_g": 1440,
    }


def queue_a_test_print(server: Server, token: str) -> None:
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/printers/{LABEL_PRINTER}/test",
        data=b"{}",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"axe-test-print-{time.time_ns()}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def page_name(key: str) -> str:
    """'en receipt.html?plan=1&doc=tally' -> 'receipt.html'"""
    return re.sub(r"^\w+ |\?.*$", "", key)


def run_axe(page: Page) -> list[dict[str, Any]]:
    # add_script_tag(path=) adds an inline <script>, which the server's CSP refuses;
    # evaluating the file's text goes through the DevTools protocol, which CSP does not see.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate(RUN_AXE)


def open_translated(page: Page, address: str) -> None:
    page.goto(f"/{address}")
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-i18n]')]"
        ".every(el => el.textContent.trim() && el.textContent !== el.dataset.i18n)"
    )


@pytest.fixture(scope="module")
def seen(
    browser: Browser,
    server: Server,
    session_token: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, dict[str, Any]]]:
    """Each page in each language, opened once as a supervisor (who may open them all):
    axe's violations, the layout measures and a screenshot, keyed "en move.html?…"."""
    shots = tmp_path_factory.mktemp("phone-pages")
    print(f"screenshots: {shots}")
    db = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True)
    addresses = page_addresses(db)
    db.close()
    context = browser.new_context(
        base_url=server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=1,
        locale="zh-CN",
    )
    queue_a_test_print(server, session_token("admin"))  # the printer station lists a job
    record = handover_record()
    context.route(
        f"**/api/v1/loading-lists/{HANDOVER_LIST_ID}/handover",
        lambda route: route.fulfill(json=record),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    found: dict[str, dict[str, Any]] = {}

    def look(key: str) -> None:
        found[key] = {"axe": run_axe(page), "layout": page.evaluate(MEASURE_LAYOUT)}
        file_name = re.sub(r"[^\w.-]+", "_", key)
        page.screenshot(path=str(shots / f"{file_name}.png"))

    def in_both_languages(address: str) -> None:
        """One load: the page as it opens, then in the other language by its own switch
        (which is what the next page opens in, so the languages take turns)."""
        open_translated(page, address)
        first = page.evaluate("document.documentElement.lang.startsWith('en') ? 'en' : 'zh'")
        look(f"{first} {address}")
        other = "zh" if first == "en" else "en"
        page.locator("#lang").click()
        page.wait_for_function("lang => document.documentElement.lang.startsWith(lang)", arg=other)
        page.wait_for_load_state("networkidle")
        look(f"{other} {address}")

    page.goto("/index.html")  # the login page first, before there is a session
    in_both_languages("index.html")
    page.evaluate(f"sessionStorage.setItem('bondfloor.token', {session_token('sup01')!r})")
    for address in addresses:
        in_both_languages(address)
    context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"
    yield found


def test_axe_is_vendored_with_its_licence() -> None:
    assert AXE.is_file() and (AXE.parent / "LICENSE").is_file()
    assert f"axe v{AXE_CORE_VERSION}" in AXE.read_text(encoding="utf-8")[:300]


def test_every_page_is_seen_in_both_languages(seen: dict[str, dict[str, Any]]) -> None:
    pages = {p.name for p in Path(handheld_web_dir()).glob("*.html")}
    seen_in = {(key.split()[0], page_name(key)) for key in seen}
    assert seen_in == {(lang, name) for lang in LANGUAGES for name in pages}


def test_every_page_has_no_axe_violation_in_either_language(
    seen: dict[str, dict[str, Any]],
) -> None:
    report = {}
    for key, result in seen.items():
        known = KNOWN_VIOLATIONS_UNTIL_THE_DASHBOARD_REWORK.get(page_name(key), set())
        print(key, sorted(v["id"] for v in result["axe"]))
        for violation in result["axe"]:
            print("   ", violation["id"])
            for node in violation["nodes"]:
                print("      ", node)
        unexpected = [v for v in result["axe"] if v["id"] not in known]
        if unexpected:
            report[key] = unexpected
    assert report == {}


def test_no_page_is_wider_than_the_phone(seen: dict[str, dict[str, Any]]) -> None:
    too_wide = {k: r["layout"]["width"] for k, r in seen.items() if r["layout"]["width"] > 360}
    assert too_wide == {}


def test_every_title_is_readable_in_the_top_bar(seen: dict[str, dict[str, Any]]) -> None:
    """Wrapped to a second line if it must, never cut to "Wareh…" and never tiny."""
    titles = {k: r["layout"]["title"] for k, r in seen.items() if r["layout"]["title"]}
    assert len(titles) >= len(seen) - 2  # all but the home page's (no title there)
    cut = {k: title["text"] for k, title in titles.items() if title["cut"]}
    assert cut == {}
    assert min(title["fontSize"] for title in titles.values()) >= 18


def test_no_text_placeholder_or_code_is_cut_or_broken(seen: dict[str, dict[str, Any]]) -> None:
    """Instructions are visible labels that wrap; location codes, plates, waybills and ID
    numbers stay on one line."""
    problems = {
        key: [*layout["cutPlaceholders"], *layout["cutTexts"], *layout["codes"]]
        for key, result in seen.items()
        if (layout := result["layout"])
        and (layout["cutPlaceholders"] or layout["cutTexts"] or layout["codes"])
    }
    assert problems == {}


def test_floor_pages_have_thumb_sized_tap_targets(seen: dict[str, dict[str, Any]]) -> None:
    small = {
        key: result["layout"]["small"]
        for key, result in seen.items()
        if result["layout"]["small"] and page_name(key) not in NOT_FLOOR_PAGES
    }
    assert small == {}


def test_the_scan_field_says_what_to_scan_above_it_in_words(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    """The step's instruction is the field's visible label, and the keyboard button is
    named as a person would say it."""
    logged_in_as("put01")
    page.add_init_script("localStorage.setItem('bondfloor.lang', 'en')")
    page.goto("/move.html")
    prompt = page.locator("label[for=scan]")
    expect(prompt).to_have_text("Scan the from-location")
    expect(page.get_by_label("Scan the from-location")).to_be_focused()
    assert page.locator("#scan").get_attribute("placeholder") in (None, "")
    prompt_box, field_box = prompt.bounding_box(), page.locator("#scan").bounding_box()
    assert prompt_box and field_box and prompt_box["y"] + prompt_box["height"] <= field_box["y"]
    expect(page.locator(".scan-keys")).to_have_text("Keyboard")
    expect(page.get_by_role("button", name="Keyboard")).to_have_attribute("aria-pressed", "false")


def lines_of(element: Locator) -> int:
    """On how many lines the element's text stands."""
    return int(
        element.evaluate(
            """el => { const range = document.createRange(); range.selectNodeContents(el);
                 return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""
        )
    )


def fake_loading_list(list_id: int) -> dict[str, Any]:
    """A loading list as GET /api/v1/loading-lists/{id} gives it, plate checked, at the
    driver's ID: the page's layout is what is tested, not the dock's rules."""
    return {
        "id": list_id,
        "list_no": "LL-20261206-0042",
        "state": "loading",
        "door": DOCK_DOOR,
        "plate": "粤B7D301",
        "second_plate": "粤Z1234港",
        "driver_name": "李师傅",
        "driver_id": mask_id("440305199003071234"),
        "driver_phone": mask_phone("13800138000"),
        "seal_no": "SEAL-7D301",
        "carrier": "顺丰",
        "plate_confirmed": True,
        "driver_id_verified": False,
        "driver_name_confirmed": False,
        "seal_confirmed": False,
        "planned": 3,
        "loaded": 0,
        "missing_count": 3,
        "missing": [
            {"waybill_no": f"SF14400000000{n}", "order_no": f"SO-E2E-{n}", "weight_g": 480}
            for n in range(3)
        ],
        "to_pull_off": [],
        "removed": [],
        "weight": {
            "expected_g": 1440,
            "loaded_g": 0,
            "planned_g": 1440,
            "off_by_percent": -100.0,
            "tolerance_percent": 5.0,
            "warning": False,
        },
        "can_depart": False,
        "blockers": [],
        "departed_at": None,
        "handover_no": None,
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_driver_id_stays_on_one_line_after_a_refused_id(
    page: Page, logged_in_as: Callable[[str], None], lang: str
) -> None:
    """After a wrong ID the row says so and the list's ID number still reads as one code
    (it was one character a line, the page wider than the phone)."""
    view = fake_loading_list(9042)
    refusal = {
        "error": {
            "code": "DRIVER_MISMATCH",
            "message": "this ID number is not the driver's",
            "details": {"list_no": view["list_no"], "scanned_ends": "002X"},
        }
    }
    page.route(
        "**/api/v1/loading-lists/9042",
        lambda route: route.fulfill(json=view),
    )
    page.route(
        "**/api/v1/loading-lists/9042/driver-id",
        lambda route: route.fulfill(status=422, json=refusal),
    )
    logged_in_as("dock01")
    page.add_init_script(f"localStorage.setItem('bondfloor.lang', {lang!r})")
    page.goto(f"/dock.html?list={view['id']}")
    expect(page.locator("body")).to_have_attribute("data-step", "driver")
    page.locator("#scan").press_sequentially("11010519491231002X", delay=5)
    page.keyboard.press("Enter")
    row = page.locator("#check-driver-id")
    expect(row).to_have_attribute("data-state", "refused")
    value = page.locator("#check-driver-id-value")
    expect(value).to_have_text(view["driver_id"])
    assert lines_of(value) == 1
    # The refusal names the list: its number is not broken at a hyphen either.
    list_no = page.locator("#banner .banner-text .code-whole", has_text=view["list_no"])
    assert lines_of(list_no) == 1
    box = row.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("Math.max(document.documentElement.scrollWidth, innerWidth)") <= 360


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_move_quantity_has_room_and_the_lot_line_keeps_its_date_whole(
    page: Page, logged_in_as: Callable[[str], None], demo_db: sqlite3.Connection, lang: str
) -> None:
    """With an item scanned, the quantity field is thumb-wide (it was 23 px in English, "198
    free" and Cancel beside it) and the expiry date is not split at a hyphen."""
    item = movable_lot(demo_db)
    logged_in_as("put01")
    page.add_init_script(f"localStorage.setItem('bondfloor.lang', {lang!r})")
    page.goto(f"/move.html?location={item['location']}")
    expect(page.locator("body")).to_have_attribute("data-step", "item")
    page.locator("#scan").press_sequentially(item["barcode"], delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-step", "target")
    layout = page.evaluate(MEASURE_LAYOUT)
    assert (layout["small"], layout["codes"], layout["width"]) == ([], [], 360)
    quantity = page.locator("#qty").bounding_box()
    assert quantity and quantity["width"] >= 64
    expiry = page.locator("#task-lot .code-whole", has_text=item["expiry"])
    assert lines_of(expiry) == 1
