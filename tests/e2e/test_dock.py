"""Dock check-out in a real Chromium: a dock worker loads a truck on a phone-sized page
while the door's screen (a second browser at 1920x1080) follows it live; a wrong driver
ID, a parcel of another truck and a parcel customs holds after it was loaded stop the
truck, a supervisor takes the held parcel off the list, the truck departs, and the
handover record lists exactly the parcels loaded. A new loading list made on the page
shows every problem the server finds next to its field.

Tests take their own orders (made, released, picked and packed through the API under
couriers no other test uses: JD and EMS) and their own plates, so they never meet the
other tests on the shared server. Customs replies come from an OMS token, as the real
OMS sends them.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from server.dock.identity import id_check_character
from tests.e2e.conftest import BONDFLOOR, DOCK_DOOR, PHONE, Server
from tests.e2e.test_inbound import (
    SPY_ON_SOUND_AND_VIBRATION,
    Api,
    assert_fits_phone,
    expect_feedback,
    feedback_count,
    scan_expecting,
    sounds,
)
from tests.e2e.test_outbound import BAD_TONES, GOOD_TONES, free_totes, order_by_no
from tests.e2e.test_printing import pack_by_api, pick_wave, well_stocked_sku

pytestmark = pytest.mark.e2e

SCREEN = {"width": 1920, "height": 1080}
RED = "rgb(196, 18, 26)"  # --bad in css/app.css
GREEN = "rgb(10, 125, 50)"  # --good
PURPLE = "rgb(91, 26, 140)"  # the intercept banner
NOTICE_BLUE = "rgb(31, 78, 121)"  # the notice banner
INTERCEPT_TONES = [440, 660, 440, 660]  # js/feedback.js: cancelled or held, must not go on
NOTICE_TONES = [520]  # js/feedback.js: scanned again, not counted again
INFO_TONES = [760, 760]  # js/feedback.js: saved on the device, will upload
DRIVER = "李师傅"
DRIVER_ID = "44030519900307123" + id_check_character("44030519900307123")
OTHER_ID = "11010519491231002X"  # a valid ID number: someone else's
SEAL = "SEAL-7D301"
PLATE_A = "粤B7D301"
PLATE_B = "粤B7D302"
PLATE_NEW = "粤B7D303"
PARCEL_WEIGHT_G = 480  # what pack_by_api weighs


@pytest.fixture
def api(server: Server, session_token: Callable[[str], str]) -> Api:
    return Api(server, session_token)


@pytest.fixture(scope="module")
def oms(server: Server) -> Api:
    """The OMS as the server knows it: an API token made with `bondfloor token add`."""
    made = subprocess.run(
        [
            str(BONDFLOOR),
            "--config",
            str(server.config_path),
            "token",
            "add",
            f"e2e-oms-{uuid.uuid4().hex[:6]}",
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


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("dock-screenshots")
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def open_page(
    browser: Browser, server: Server, session_token: Callable[[str], str]
) -> Iterator[Callable[[str, dict[str, int]], Page]]:
    """Another browser (the door's TV, a supervisor's phone) with its own session."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(user: str, viewport: dict[str, int]) -> Page:
        phone = viewport == PHONE
        context = browser.new_context(
            base_url=server.base_url,
            viewport=viewport,
            locale="zh-CN",
            has_touch=phone,
            is_mobile=phone,
        )
        contexts.append(context)
        other = context.new_page()
        other.on("pageerror", lambda err: errors.append(str(err)))
        other.add_init_script(f"sessionStorage.setItem('bondfloor.token', {session_token(user)!r})")
        return other

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the other pages: {errors}"


# Parcels and lists through the API -------------------------------------------------------


def packed_orders(api: Api, oms: Api, db: sqlite3.Connection, courier: str, n: int) -> list[Any]:
    """n orders of our own (one unit each), released by customs, picked and packed."""
    stocked = well_stocked_sku(db)
    serial = uuid.uuid4().int % 10**8
    party = {"name": "王五", "phone": "13712345678", "city": "深圳市", "address": "前海路九号"}
    order_nos = [f"E2E-DOCK-{serial:08d}-{i}" for i in range(n)]
    for i, order_no in enumerate(order_nos):
        api.call(
            "sup01",
            "POST",
            "/api/v1/orders",
            {
                "customer": stocked["customer"],
                "order_no": order_no,
                "courier": courier,
                "waybill_no": f"{courier}{serial:08d}{i:02d}",
                "routing": {"sort_code": "755-020", "consolidation_point": "深圳转运中心"},
                "recipient": party,
                "sender": {**party, "name": "保税仓"},
                "lines": [{"sku": stocked["sku"], "quantity": 1}],
            },
        )
        customs(oms, order_no, 800)
    wave = api.call("sup01", "POST", "/api/v1/waves", {"order_nos": order_nos})
    assert wave["orders"] == n, wave
    pick_wave(api, db, wave["id"], dict(zip(order_nos, free_totes(db, n), strict=True)))
    for order_no in order_nos:
        pack_by_api(api, db, order_by_no(db, order_no))
    return [order_by_no(db, order_no) for order_no in order_nos]


def customs(oms: Api, order_no: str, code: int) -> None:
    oms.call(
        "oms",
        "POST",
        "/api/v1/customs-statuses",
        {"order_no": order_no, "code": code, "status_at": datetime.now(UTC).isoformat()},
    )


def truck(plate: str, waybills: list[str], **more: Any) -> dict[str, Any]:
    return {
        "plate": plate,
        "driver_name": DRIVER,
        "driver_id": DRIVER_ID,
        "driver_phone": "13800138000",
        "seal_no": SEAL,
        "carrier": "顺丰干线",
        "waybills": waybills,
        **more,
    }


def order_states(db: sqlite3.Connection, orders: list[Any]) -> dict[str, str]:
    marks = ",".join("?" * len(orders))
    rows = db.execute(
        f"SELECT order_no, state FROM orders WHERE order_no IN ({marks})",
        [o["order_no"] for o in orders],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


# What the pages show ---------------------------------------------------------------------


def expect_count(page: Page, loaded: int, planned: int) -> None:
    expect(page.locator("#counter")).to_have_attribute("data-loaded", str(loaded))
    expect(page.locator("#counter")).to_have_attribute("data-planned", str(planned))
    expect(page.locator("#count-loaded")).to_have_text(str(loaded))
    expect(page.locator("#count-planned")).to_have_text(str(planned))


def expect_screen_count(tv: Page, loaded: int, planned: int) -> None:
    expect(tv.locator("#screen-loaded")).to_have_text(str(loaded))
    expect(tv.locator("#screen-planned")).to_have_text(str(planned))


def scan_sounding(page: Page, code: str, kind: str, text: str, tones: list[int]) -> None:
    """Scan, and the outcome is told with its own text and its own sound."""
    sounds(page)
    scan_expecting(page, code, kind, text)
    assert sounds(page)[0] == tones, f"{code}: wrong sound for {kind}"


# The whole truck ------------------------------------------------------------------------


@pytest.mark.service_worker  # a reload offline, in the middle of the loading
def test_a_truck_is_stopped_resolved_and_departs_with_exactly_its_parcels(
    page: Page,
    logged_in_as: Callable[[str], None],
    open_page: Callable[[str, dict[str, int]], Page],
    api: Api,
    oms: Api,
    demo_db: sqlite3.Connection,
    shots: Any,
) -> None:
    ours = packed_orders(api, oms, demo_db, "JD", 5)
    a1, a2, a3, a4, b1 = ours
    list_a = api.call(
        "sup01",
        "POST",
        "/api/v1/loading-lists",
        # The OMS's own figure for the truck (with packing material): 600 g a parcel.
        truck(
            PLATE_A,
            [o["waybill_no"] for o in (a1, a2, a3, a4)],
            second_plate="AB 1234",
            expected_weight_g=4 * 600,
        ),
    )
    list_b = api.call(
        "sup01",
        "POST",
        "/api/v1/loading-lists",
        truck(PLATE_B, [b1["waybill_no"]], driver_name="陈师傅", seal_no="SEAL-7D302"),
    )
    assert (list_a["planned"], list_a["weight"]["expected_g"]) == (4, 4 * 600)

    # The door's screen: a TV at the dock, nothing loading there yet.
    tv = open_page("dock01", SCREEN)
    tv.goto(f"/dock-screen.html?door={DOCK_DOOR}")
    expect(tv.locator("#screen-door")).to_have_text(f"装车口 {DOCK_DOOR}")
    expect(tv.locator("#screen-idle")).to_have_text("空闲：没有车在装")
    tv.evaluate("window.__stayedOpen = true")  # gone if the screen ever reloads

    # The dock worker finds check-out in the menu; the site's dock door is chosen.
    page.add_init_script(SPY_ON_SOUND_AND_VIBRATION)
    logged_in_as("dock01")
    page.goto("/home.html")
    page.locator('[data-menu="dock"]').click()
    expect(page).to_have_url(re.compile(r"/dock\.html$"))
    expect(page.locator("#door")).to_have_value(DOCK_DOOR)
    waiting = page.locator(f'.dock-waiting-item[data-list-no="{list_a["list_no"]}"]')
    expect(waiting).to_contain_text(PLATE_A)
    expect(waiting).to_contain_text("4 个包裹 · 司机 李师傅")
    assert_fits_phone(page, shots, "dock-waiting")

    # The truck is at the door: its plate, typed as painted, opens its list here.
    scan_sounding(
        page,
        "粤B 7D301",
        "good",
        f"装车单 {list_a['list_no']}（{PLATE_A}）已在 {DOCK_DOOR} 打开",
        GOOD_TONES,
    )
    expect(page.locator("#list-plate")).to_have_text(PLATE_A)
    expect(page.locator("#list-state")).to_have_text("装车中")
    expect(page.locator("#list-second-plate")).to_have_text("港澳 AB1234")
    expect(page.locator("label[for=scan]")).to_have_text("扫描或输入司机身份证号")
    expect(tv.locator("#screen-plate")).to_have_text(PLATE_A)
    expect(tv.locator("#screen-second-plate")).to_have_text("AB1234")
    expect(tv.locator("#screen-driver")).to_have_text(DRIVER)
    expect(tv.locator("#screen-state")).to_have_text("装车中")
    expect_screen_count(tv, 0, 4)
    expect(tv.locator("#screen-missing-list li")).to_have_count(4)

    # The driver: a mistyped ID number, then someone else's — refused, red, audited.
    mistyped = DRIVER_ID[:17] + ("0" if DRIVER_ID[17] != "0" else "1")
    scan_sounding(page, mistyped, "bad", "身份证号校验位不对", BAD_TONES)
    device = page.evaluate("localStorage.getItem('bondfloor.device')")
    before = demo_db.execute(
        "SELECT COUNT(*) FROM audit WHERE code = 'DRIVER_MISMATCH' AND device = ?", (device,)
    ).fetchone()[0]
    scan_sounding(
        page,
        OTHER_ID,
        "bad",
        f"身份证号（尾号 002X）不是装车单 {list_a['list_no']} 的司机：不能装车，已记录",
        BAD_TONES,
    )
    expect(page.locator("#banner")).to_have_css("background-color", RED)
    expect(page.locator("#check-driver-id")).to_have_attribute("data-state", "refused")
    expect(page.locator("#check-driver-id .dock-check-state")).to_have_text("不符，已拒绝")
    audited = demo_db.execute(
        "SELECT action, outcome FROM audit WHERE code = 'DRIVER_MISMATCH' AND device = ? "
        "ORDER BY id",
        (device,),
    ).fetchall()
    assert len(audited) == before + 1
    assert tuple(audited[-1]) == ("loading_list.driver_id", "refused")

    scan_sounding(page, DRIVER_ID, "good", "身份证号一致", GOOD_TONES)
    expect(page.locator("#check-driver-id")).to_have_attribute("data-state", "done")
    # The page shows the list's driver; a scan before the name is confirmed is refused.
    expect(page.locator("#driver-name")).to_have_text(DRIVER)
    scan_expecting(page, SEAL, "bad", "请先核对司机姓名")
    before_name = feedback_count(page)
    page.locator("#name-ok").click()
    expect_feedback(page, "good", before_name, f"司机已确认：{DRIVER}")
    expect(page.locator("#name-ok")).to_be_hidden()

    # The seal: a wrong one, then the one on the list.
    scan_sounding(
        page, "SEAL-0000", "bad", f"封条 SEAL-0000 不是装车单 {list_a['list_no']}", BAD_TONES
    )
    scan_sounding(page, SEAL, "good", f"封条 {SEAL} 一致", GOOD_TONES)
    expect(page.locator("label[for=scan]")).to_have_text("逐件扫描包裹面单")
    # A reload with the Wi-Fi gone: the truck's list is back from the device, as last seen.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the pages are on the device
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#list-plate")).to_have_text(PLATE_A)
    expect(page.locator("label[for=scan]")).to_have_text("逐件扫描包裹面单")
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#list-plate")).to_have_text(PLATE_A)
    expect(page.locator("label[for=scan]")).to_have_text("逐件扫描包裹面单")
    for check in ("plate", "driver", "seal"):
        expect(tv.locator(f'.screen-check[data-check="{check}"]')).to_have_attribute(
            "data-state", "done"
        )

    # Parcels. One of the other truck's: refused, saying whose it is; nothing counted.
    scan_sounding(
        page,
        b1["waybill_no"],
        "bad",
        f"{b1['waybill_no']} 属于装车单 {list_b['list_no']}（车牌 {PLATE_B}），不是这辆车",
        BAD_TONES,
    )
    expect(page.locator("#list")).to_have_attribute("data-last-kind", "bad")
    expect(page.locator("#list")).to_have_attribute("data-last-scan", b1["waybill_no"])
    expect_count(page, 0, 4)

    scan_sounding(page, a1["waybill_no"], "good", f"已装车 {a1['waybill_no']}", GOOD_TONES)
    expect_count(page, 1, 4)
    expect(page.locator("#list")).to_have_attribute("data-last-kind", "good")
    expect(page.locator("#banner")).to_have_css("background-color", GREEN)
    expect_screen_count(tv, 1, 4)
    expect(tv.locator(f'#screen-missing-list li[data-waybill="{a1["waybill_no"]}"]')).to_have_count(
        0
    )

    # Customs holds the loaded parcel: both screens say to pull it off; the truck cannot go.
    customs(oms, a1["order_no"], 500)
    pull_off = page.locator(f'#pull-off .dock-parcel[data-waybill="{a1["waybill_no"]}"]')
    expect(pull_off).to_be_visible()
    expect(pull_off).to_have_attribute("data-code", "PARCEL_ON_HOLD")
    expect(pull_off).to_contain_text("海关扣留/未放行")
    expect(page.locator("#pull-off-title")).to_have_text("要卸下（1）")
    expect(page.locator(".dock-remove-open")).to_have_count(0)  # the dock role cannot
    expect(page.locator("#depart")).to_be_disabled()
    expect(page.locator('#blockers [data-code="PARCELS_TO_PULL_OFF"]')).to_have_text(
        f"有 1 个包裹要卸下：{a1['waybill_no']}"
    )
    screen_pull_off = tv.locator("#screen-pull-off")
    expect(screen_pull_off).to_be_visible()
    expect(screen_pull_off.locator(f'li[data-waybill="{a1["waybill_no"]}"]')).to_be_visible()
    expect(tv.locator("#screen-pull-off-title")).to_have_text("卸下！1 个包裹不能走")
    expect(screen_pull_off).to_have_css("animation-name", "screen-flash")
    expect(tv.locator("#screen-verdict")).to_contain_text(f"有 1 个包裹要卸下：{a1['waybill_no']}")
    assert_fits_phone(page, shots, "dock-pull-off")
    tv.screenshot(path=str(shots / "dock-screen-pull-off-1920x1080.png"))
    # Scanned again, it is the intercept alarm, not an ordinary refusal.
    scan_sounding(
        page,
        a1["waybill_no"],
        "intercept",
        f"{a1['waybill_no']} 海关未放行（500）：不要装车，交主管",
        INTERCEPT_TONES,
    )
    expect(page.locator("#list")).to_have_attribute("data-last-kind", "intercept")
    expect(page.locator("#banner")).to_have_css("background-color", PURPLE)

    # A supervisor, on their own phone, takes it off the list — a reason is required.
    boss = open_page("sup01", PHONE)
    boss.goto(f"/dock.html?list={list_a['id']}")
    boss_row = boss.locator(f'#pull-off .dock-parcel[data-waybill="{a1["waybill_no"]}"]')
    boss_row.locator(".dock-remove-open").click()
    expect(boss.locator("#remove-title")).to_have_text(f"把 {a1['waybill_no']} 移出装车单")
    before_remove = feedback_count(boss)
    boss.locator("#remove-submit").click()
    expect_feedback(boss, "bad", before_remove, "请选择或填写移出的原因")
    boss.locator('#remove-reasons .reason-preset[data-reason="hold"]').click()
    boss.locator("#remove-note").fill("等海关放行")
    assert_fits_phone(boss, shots, "dock-remove")
    before_remove = feedback_count(boss)
    boss.locator("#remove-submit").click()
    expect_feedback(boss, "good", before_remove, f"已把 {a1['waybill_no']} 移出装车单")
    expect(boss.locator("#pull-off")).to_be_hidden()

    # The worker's phone and the screen follow without a reload.
    expect(page.locator("#pull-off")).to_be_hidden()
    removed = page.locator(f'#removed .dock-parcel[data-waybill="{a1["waybill_no"]}"]')
    expect(removed).to_contain_text("海关扣留 · 等海关放行")
    expect_count(page, 0, 3)
    expect(tv.locator("#screen-pull-off")).to_be_hidden()
    expect_screen_count(tv, 0, 3)
    # The door's station page (its PC) shows the truck too.
    boss.goto(f"/station.html?name={DOCK_DOOR}")
    expect(boss.locator("#dock-list")).to_have_text(
        f"装车单 {list_a['list_no']} · {PLATE_A} · 已装 0/3"
    )
    expect(boss.locator("#dock-screen")).to_have_attribute(
        "href", f"dock-screen.html?door={DOCK_DOOR}"
    )

    # The rest; a parcel scanned twice is a notice with its own tone, never counted twice.
    scan_sounding(page, a2["waybill_no"], "good", f"已装车 {a2['waybill_no']}", GOOD_TONES)
    expect_count(page, 1, 3)
    scan_sounding(
        page,
        f"PCL-{a2['waybill_no']}",
        "notice",
        f"{a2['waybill_no']} 已装过，不重复计数",
        NOTICE_TONES,
    )
    expect(page.locator("#list")).to_have_attribute("data-last-kind", "notice")
    expect(page.locator("#banner")).to_have_css("background-color", NOTICE_BLUE)
    expect_count(page, 1, 3)
    expect_screen_count(tv, 1, 3)

    # The Wi-Fi drops as a3's answer comes back: the scan was loaded, the phone does not
    # know. It says so, keeps the scan, sends it again under the same key, and the server's
    # replay counts it once.
    keys: list[str] = []

    def answer_lost(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server loads the parcel
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/loading-lists/*/scans", answer_lost)
    scan_sounding(page, a3["waybill_no"], "info", "已存在本机，联网后上传", INFO_TONES)
    expect_count(page, 2, 3)
    expect(page.locator("#outbox")).to_be_hidden()
    page.unroute("**/api/v1/loading-lists/*/scans")
    assert len(keys) == 2 and keys[0] == keys[1], keys
    expect_screen_count(tv, 2, 3)

    scan_sounding(page, a4["waybill_no"], "good", f"已装车 {a4['waybill_no']}", GOOD_TONES)
    expect_count(page, 3, 3)
    expect(page.locator("#missing-none")).to_be_visible()

    # 3 parcels of 480 g against the 1.92 kg the list expects for 3 (the parcel taken off no
    # longer counts): a warning, not a block.
    expect(page.locator("#weight-line")).to_have_text("已装 1.44 kg / 预计 1.92 kg")
    expect(page.locator("#weight-warning")).to_have_text("重量偏差超过 ±5%：出闸前请核对")
    expect_screen_count(tv, 3, 3)
    expect(tv.locator("#screen-weight")).to_contain_text("偏差 −25%（允许 ±5%）")
    expect(tv.locator("#screen-weight-warning")).to_be_visible()
    expect(tv.locator("#screen-verdict")).to_have_text("可以发车")
    expect(tv.locator("#screen-missing")).to_be_hidden()
    tv.screenshot(path=str(shots / "dock-screen-ready-1920x1080.png"))
    expect(page.locator("#counter")).to_be_in_viewport()
    assert_fits_phone(page, shots, "dock-ready")

    # Departure.
    expect(page.locator("#depart")).to_be_enabled()
    before_depart = feedback_count(page)
    page.locator("#depart").click()
    expect_feedback(page, "good", before_depart, "已发车：交接单 HO")
    expect(page.locator("#departed")).to_be_visible()
    handover_no = page.locator("#departed-handover").inner_text()
    (stored,) = demo_db.execute(
        "SELECT handover_no FROM loading_lists WHERE list_no = ?", (list_a["list_no"],)
    ).fetchone()
    assert handover_no == stored
    expect(page.locator("#list-state")).to_have_text("已发车")
    expect(tv.locator("#screen-state")).to_have_text("已发车")
    expect(tv.locator("#screen-departed")).to_contain_text(f"交接单 {handover_no}")
    assert tv.evaluate("window.__stayedOpen === true"), "the dock screen reloaded"

    # The handover record: exactly the parcels loaded, not the one taken off.
    page.locator("#handover-link").click()
    expect(page).to_have_url(re.compile(rf"/handover\.html\?list={list_a['id']}$"))
    rows = page.locator("#doc-parcels tbody tr")
    expect(rows).to_have_count(3)
    loaded = [o["waybill_no"] for o in (a2, a3, a4)]
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.waybill)") == loaded
    for order, row in zip((a2, a3, a4), rows.all(), strict=True):
        expect(row).to_contain_text(order["order_no"])
        expect(row).to_contain_text("0.48")
    expect(page.locator("#doc")).not_to_contain_text(a1["waybill_no"])
    expect(page.locator('[data-fact="handover_no"]')).to_have_text(handover_no)
    expect(page.locator('[data-fact="plate"]')).to_have_text(PLATE_A)
    expect(page.locator('[data-fact="second_plate"]')).to_have_text("AB1234")
    expect(page.locator('[data-fact="driver_id"]')).to_have_text(DRIVER_ID)
    expect(page.locator('[data-fact="seal_no"]')).to_have_text(SEAL)
    expect(page.locator('[data-fact="door"]')).to_have_text(DOCK_DOOR)
    expect(page.locator('[data-total="weight"]')).to_have_text("1.44")
    expect(page.locator('[data-total="parcel_count"]')).to_have_text("3")
    signatures = page.locator(".signature .signature-label")
    assert signatures.all_inner_texts() == ["仓库（签章）", "司机", "承运商"]
    page.screenshot(path=str(shots / "handover-360x640.png"), full_page=True)
    # On paper: A4, without the page's buttons.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    (shots / "handover-a4.pdf").write_bytes(pdf)
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]", pdf), "not A4"
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=str(shots / "handover-print-794x1123.png"), full_page=True)
    page.emulate_media(media="screen")

    # The ledger: the loaded orders shipped, the held one back to packed, B untouched.
    assert order_states(demo_db, ours) == {
        a1["order_no"]: "packed",
        a2["order_no"]: "shipped",
        a3["order_no"]: "shipped",
        a4["order_no"]: "shipped",
        b1["order_no"]: "packed",
    }


def test_a_new_loading_list_shows_every_problem_at_its_field(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    oms: Api,
    demo_db: sqlite3.Connection,
    shots: Any,
) -> None:
    (parcel,) = packed_orders(api, oms, demo_db, "EMS", 1)
    lists_before = demo_db.execute("SELECT COUNT(*) FROM loading_lists").fetchone()[0]
    logged_in_as("sup01")
    page.goto("/dock.html")
    page.locator("#new-list-open").click()
    expect(page.locator("#new-list")).to_be_visible()

    # Nothing filled in: the required fields say so, and nothing is sent.
    before = feedback_count(page)
    page.locator("#new-list-submit").click()
    expect_feedback(page, "bad", before, "装车单有 5 处问题，见各栏")
    for field in ("plate", "driver_name", "driver_id", "driver_phone", "seal_no"):
        expect(page.locator(f"#nl-error-{field}")).to_have_text("必填")
    expect(page.locator("#nl-error-carrier")).to_be_hidden()

    # Filled in wrong: every problem the server finds, each at its own field.
    page.locator("#nl-plate").fill("B12345")
    page.locator("#nl-driver-name").fill("王师傅")
    page.locator("#nl-driver-id").fill("110105194912310021")
    page.locator("#nl-driver-phone").fill("123")
    page.locator("#nl-seal-no").fill("SEAL-7D303")
    page.locator("#nl-waybills").fill(f"EMS-NO-SUCH-PARCEL\n{parcel['waybill_no']}")
    before = feedback_count(page)
    page.locator("#new-list-submit").click()
    expect_feedback(page, "bad", before, "装车单有 4 处问题，见各栏")
    expect(page.locator("#nl-error-plate")).to_have_text("车牌应以省份简称开头（粤、沪、京…）")
    expect(page.locator("#nl-plate")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#nl-error-plate")).to_be_in_viewport()  # the first problem in sight
    expect(page.locator("#nl-error-driver_id")).to_have_text("校验位不对：请核对身份证号")
    expect(page.locator("#nl-error-driver_phone")).to_contain_text("手机号为 13–19 开头的 11 位")
    expect(page.locator("#nl-error-driver_name")).to_be_hidden()
    unknown = page.locator('#nl-error-waybills li[data-waybill="EMS-NO-SUCH-PARCEL"]')
    expect(unknown).to_have_text("没有运单 EMS-NO-SUCH-PARCEL")
    expect(page.locator("#nl-error-waybills li")).to_have_count(1)
    assert_fits_phone(page, shots, "dock-new-list-problems")
    # In English too, at the same fields.
    page.locator("#lang").click()
    expect(page.locator("#nl-error-plate")).to_have_text(
        "A plate starts with a province abbreviation (粤, 沪, 京 …)"
    )
    page.locator("#lang").click()
    assert demo_db.execute("SELECT COUNT(*) FROM loading_lists").fetchone()[0] == lists_before

    # Put right, by courier: every packed EMS parcel (ours) goes on the new list.
    page.locator("#nl-plate").fill("粤B 7D303")
    page.locator("#nl-driver-id").fill(DRIVER_ID)
    page.locator("#nl-driver-phone").fill("13800138000")
    page.locator("#nl-waybills").fill("")
    page.locator("#nl-courier").select_option("EMS")
    before = feedback_count(page)
    page.locator("#new-list-submit").click()
    expect_feedback(page, "good", before, "已建：1 个包裹")
    expect(page.locator("#new-list")).to_be_hidden()
    made = demo_db.execute(
        "SELECT l.id, l.list_no, l.plate, l.driver_name FROM loading_lists l WHERE l.plate = ?",
        (PLATE_NEW,),
    ).fetchone()
    assert made is not None and made["driver_name"] == "王师傅"
    on_it = demo_db.execute(
        "SELECT p.waybill_no FROM loading_list_parcels lp JOIN parcels p ON p.id = lp.parcel_id "
        "WHERE lp.list_id = ?",
        (made["id"],),
    ).fetchall()
    assert [r[0] for r in on_it] == [parcel["waybill_no"]]
    waiting = page.locator(f'.dock-waiting-item[data-list-no="{made["list_no"]}"]')
    expect(waiting).to_contain_text(PLATE_NEW)
    expect(waiting).to_contain_text("1 个包裹 · 司机 王师傅")
