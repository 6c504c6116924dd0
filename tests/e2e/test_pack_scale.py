"""The pack page with a bench scale, in a real Chromium at 360x640 against a real server.

This module starts its own server (the demo warehouse again, ~2 s): its site checks the
parcel weight (`weight_check`) and its bench pack-01 has a scale, which the shared
server's other pages must not meet. Readings come as the station agent sends them: posted
to `/api/v1/stations/pack-01/agent/weight` with the station's token.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e import test_dock as dock
from tests.e2e import test_inbound as inbound
from tests.e2e import test_outbound as outbound
from tests.e2e import test_printing as printing
from tests.e2e.conftest import Server, running_server, session_tokens, station_tokens
from tests.e2e.test_accessibility import run_axe
from tests.e2e.test_dock import oms  # noqa: F401 (the OMS's token, a fixture)
from tests.live_server import DEMO_BADGES
from tests.printing.fake_printer import FakePrinter

pytestmark = pytest.mark.e2e

BENCH = "pack-01"
SCALE = "bench-scale"
ALLOWANCE_G = 60
SHOTS = Path("/tmp/bondfloor-pack-scale")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own site: weight checked at packing, a scale on pack-01."""
    printer = FakePrinter().start()
    extra = (
        "[outbound]\nweight_check = true\nweight_tolerance_percent = 10.0\n"
        f"weight_tolerance_min_g = 50\npackaging_allowance_g = {ALLOWANCE_G}\n"
        # Readings are posted by the test, not every second by an agent: never stale here.
        f'[[scales]]\nname = "{SCALE}"\nkind = "continuous"\ndevice = "/dev/ttyUSB9"\n'
        "stale_seconds = 60.0\n"
    )
    try:
        with running_server(
            tmp_path_factory.mktemp("weighing"),
            printer,
            extra_config=extra,
            bench_config={BENCH: f'scales = ["{SCALE}"]\n'},
        ) as started:
            yield started
    finally:
        printer.stop()


@pytest.fixture(scope="module")
def tokens(server: Server) -> Callable[[str], str]:
    """Session tokens of demo users on this module's server (cached per user)."""
    return session_tokens(server)


@pytest.fixture(scope="module")
def agent(server: Server) -> inbound.Api:
    """The bench's station agent: its token made with `bondfloor token add --kind station`."""
    token = station_tokens(server)(BENCH)
    return inbound.Api(server, lambda _user: token)


@pytest.fixture
def db(demo_db: sqlite3.Connection) -> sqlite3.Connection:
    """The conftest's read-only view of the database, here of this module's `server`."""
    return demo_db


def reading(agent: inbound.Api, grams: int, *, stable: bool, tare_g: int = 0) -> None:
    agent.call(
        BENCH,
        "POST",
        f"/api/v1/stations/{BENCH}/agent/weight",
        {
            "grams": grams,
            "stable": stable,
            "net": tare_g > 0,
            "tare_g": tare_g,
            "unit": "kg",
            "raw": f"{'ST' if stable else 'US'},NT,+{grams / 1000:8.3f}kg",
            "scale": SCALE,
            "read_at": "2026-12-07T06:00:00+00:00",
        },
    )


def kg(grams: int) -> str:
    return f"{grams / 1000:.3f}"


def packed_event(db: sqlite3.Connection, order_no: str) -> dict[str, Any] | None:
    for (payload,) in db.execute("SELECT payload FROM events WHERE type = 'order.packed'"):
        event = json.loads(payload)
        if event["order_no"] == order_no:
            return dict(event)
    return None


def test_the_pack_page_takes_the_scales_stable_weight_warns_out_of_range_and_auto_packs(
    page: Page,
    server: Server,
    tokens: Callable[[str], str],
    agent: inbound.Api,
    oms: inbound.Api,  # noqa: F811
    db: sqlite3.Connection,
) -> None:
    api = inbound.Api(server, tokens)
    orders, _ = picked_orders(api, oms, db, 3)
    # Every item in by the API: the page opens each order at its weight.
    expected = {o["order_no"]: scan_everything(api, db, o) for o in orders}
    tapped, warned, auto = (o["order_no"] for o in orders)
    SHOTS.mkdir(exist_ok=True)
    page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {tokens('pack01')!r})")

    # 1. A moving reading shows big, marked "moving" in words, and cannot be taken.
    grams = expected[tapped]
    reading(agent, grams, stable=False, tare_g=120)
    page.goto(f"/packing.html?order={tapped}")
    expect(page.locator("#order-no")).to_have_text(tapped)
    expect(page.locator("#weigh")).to_be_visible()
    expect(page.locator("#scale-weight")).to_have_text(kg(grams))
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "no")
    expect(page.locator("#scale-mark")).to_contain_text("不稳定")
    expect(page.locator("#scale-tare")).to_contain_text("皮重 0.120 kg")
    expect(page.locator("#scale-take")).to_be_disabled()
    low, high = grams - max(-(-grams // 10), 50), grams + max(-(-grams // 10), 50)
    expect(page.locator("#expected")).to_contain_text(f"{kg(low)}–{kg(high)}")
    assert page.locator("#scale-take").bounding_box()["height"] >= 48  # type: ignore[index]

    # 2. Stable: one tap takes it into the weight field, and the pack goes with it.
    reading(agent, grams, stable=True, tare_g=120)
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "yes")
    expect(page.locator("#scale-mark")).to_contain_text("稳定")
    expect(page.locator("#scale-take")).to_be_enabled()
    page.screenshot(path=str(SHOTS / "zh-stable.png"))
    page.locator("#scale-take").click()
    expect(page.locator("#weight")).to_have_value(str(grams))
    before = inbound.feedback_count(page)
    page.locator("#pack-submit").click()
    inbound.expect_feedback(page, "good", before, "已打包")
    event = packed_event(db, tapped)
    assert event is not None
    assert (event["weight_g"], event["expected_weight_g"], event["weight_confirmed"]) == (
        grams,
        grams,
        False,
    )

    # 3. Out of range: refused once with the range in words, then the confirm packs.
    heavy = expected[warned] * 2 + 500
    reading(agent, heavy, stable=True)
    page.goto(f"/packing.html?order={warned}")
    expect(page.locator("#scale-weight")).to_have_text(kg(heavy))
    page.locator("#scale-take").click()
    warn = refused_out_of_range(page, heavy)
    assert packed_event(db, warned) is None
    page.screenshot(path=str(SHOTS / "zh-warning.png"))
    assert run_axe(page) == []
    page.locator("#lang").click()
    expect(warn).to_contain_text(f"{kg(heavy)} kg is outside the expected")
    expect(page.locator("#scale-mark")).to_have_text("✓ Stable")
    page.screenshot(path=str(SHOTS / "en-warning.png"))
    assert run_axe(page) == []
    before = inbound.feedback_count(page)
    page.locator("#weight-confirm").click()
    inbound.expect_feedback(page, "good", before)
    event = packed_event(db, warned)
    assert event is not None and (event["weight_g"], event["weight_confirmed"]) == (heavy, True)

    # 4. Where the site packs by itself: every item in, a weight that settles on the scale
    # and stays a moment, and it is packed. One already there when the page opened may be
    # the last parcel, never taken off: it waits for a tap, or for the scale to move.
    packs = pack_requests(page)
    page.route("**/api/v1/client-config", auto_take)
    reading(agent, expected[auto], stable=True)
    page.goto(f"/packing.html?order={auto}")
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "yes")
    readings_go_by(page, packs)
    assert packs == [], "packed a weight that was on the scale before the page opened"
    reading(agent, expected[auto], stable=False)
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "no")
    reading(agent, expected[auto], stable=True)
    expect(page.locator("#done")).to_be_visible(timeout=15_000)
    expect(page.locator("#done-waybill")).to_have_text(orders[2]["waybill_no"])
    event = packed_event(db, auto)
    assert event is not None and event["weight_g"] == expected[auto]
    page.screenshot(path=str(SHOTS / "en-auto-packed.png"))


def test_a_bench_without_a_scale_says_so_and_the_weight_is_typed(
    page: Page,
    server: Server,
    tokens: Callable[[str], str],
    oms: inbound.Api,  # noqa: F811
    db: sqlite3.Connection,
) -> None:
    api = inbound.Api(server, tokens)
    (order,), _ = picked_orders(api, oms, db, 1)
    grams = scan_everything(api, db, order, station="pack-02")
    page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {tokens('pack01')!r})")
    page.add_init_script("localStorage.setItem('bondfloor.station', 'pack-02')")
    page.goto(f"/packing.html?order={order['order_no']}")
    expect(page.locator("#weigh")).to_be_visible()
    expect(page.locator("#scale")).to_have_attribute("data-state", "no_scale")
    expect(page.locator("#scale-state")).to_contain_text("没有电子秤")
    expect(page.locator("#scale-weight")).to_be_hidden()
    expect(page.locator("#scale-take")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "zh-no-scale.png"))
    assert run_axe(page) == []
    page.locator("#weight").fill(str(grams))
    before = inbound.feedback_count(page)
    page.locator("#pack-submit").click()
    inbound.expect_feedback(page, "good", before, "已打包")
    event = packed_event(db, order["order_no"])
    assert event is not None and (event["weight_g"], event["weight_confirmed"]) == (grams, False)


def auto_take(route: Route) -> None:
    """The client config of a site that packs by itself once the weight is stable."""
    answer = route.fetch()
    config = answer.json()
    config["packing"]["scale_take"] = "auto"
    route.fulfill(response=answer, json=config)


def pack_requests(page: Page) -> list[str]:
    """The pack calls the page sends from now on, as they go."""
    packs: list[str] = []
    page.on(
        "request",
        lambda r: packs.append(r.url) if r.method == "POST" and r.url.endswith("/pack") else None,
    )
    return packs


def readings_go_by(page: Page, packs: list[str], count: int = 6) -> None:
    """`count` more readings asked by the page, well past the moment auto-take waits, or
    until a pack is sent (the page stops asking once it has packed)."""
    sent = len(packs)
    for _ in range(count):
        with page.expect_request(
            lambda r: (
                (r.method == "GET" and r.url.endswith(f"/stations/{BENCH}/weight"))
                or (r.method == "POST" and r.url.endswith("/pack"))
            ),
            timeout=15_000,
        ):
            pass
        if len(packs) > sent:
            return


def picked_orders(
    api: inbound.Api, owner: inbound.Api, db: sqlite3.Connection, count: int
) -> tuple[list[sqlite3.Row], list[str]]:
    """`count` released SF orders in one wave, picked each into its own tote."""
    orders = dock.released_orders(api, owner, db, "SF", count)
    wave = api.call(
        "sup01", "POST", "/api/v1/waves", {"order_nos": [o["order_no"] for o in orders]}
    )
    totes = outbound.free_totes(db, count)
    printing.pick_wave(
        api, db, wave["id"], {o["order_no"]: t for o, t in zip(orders, totes, strict=True)}
    )
    return orders, totes


def station_scan(agent: inbound.Api, code: str) -> None:
    """A scan of the bench's fixed scanner, as its agent sends it."""
    scan = agent.call(BENCH, "POST", f"/api/v1/stations/{BENCH}/scans", {"code": code})
    assert scan["outcome"] == "ok", scan


def refused_out_of_range(page: Page, grams: int) -> Locator:
    """Pack at a weight outside the range (zh page): refused once with the weight in
    words, and a confirm offered at that weight. Returns the warning."""
    before = inbound.feedback_count(page)
    page.locator("#pack-submit").click()
    inbound.expect_feedback(page, "bad", before)
    warn = page.locator("#weight-warn")
    expect(warn).to_be_visible()
    expect(warn).to_contain_text(f"{kg(grams)} kg 不在预计的")
    expect(page.locator("#weight-confirm")).to_contain_text(kg(grams))
    return warn


def tall_enough(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["height"] >= 48


def test_the_station_page_shows_the_scale_takes_its_weight_and_confirms_one_outside_the_range(
    page: Page,
    server: Server,
    tokens: Callable[[str], str],
    agent: inbound.Api,
    oms: inbound.Api,  # noqa: F811
    db: sqlite3.Connection,
) -> None:
    api = inbound.Api(server, tokens)
    (order,), (tote,) = picked_orders(api, oms, db, 1)
    # The packer works at the bench with its fixed scanner: badge, tote, every item.
    station_scan(agent, DEMO_BADGES["pack01"])
    station_scan(agent, tote)
    for sku, quantity in outbound.order_items(db, order["id"]):
        for _ in range(quantity):
            station_scan(agent, outbound.ean_of(db, sku))
    grams = expected_weight(db, order)
    heavy = grams * 2 + 500
    reading(agent, heavy, stable=False)
    SHOTS.mkdir(exist_ok=True)
    page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {tokens('pack01')!r})")
    page.goto(f"/station.html?name={BENCH}")
    expect(page.locator("#order-no")).to_have_text(order["order_no"])
    expect(page.locator("#weigh")).to_be_visible()

    # The bench's live weight, as on the packing page: moving cannot be taken.
    expect(page.locator("#scale-weight")).to_have_text(kg(heavy))
    expect(page.locator("#scale-mark")).to_contain_text("不稳定")
    expect(page.locator("#scale-take")).to_be_disabled()
    expect(page.locator("#expected")).to_have_attribute("data-expected", str(grams))
    expect(page.locator("#expected")).to_contain_text(f"预计 {kg(grams)} kg")
    reading(agent, heavy, stable=True)
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "yes")
    page.locator("#scale-take").click()
    expect(page.locator("#weight")).to_have_value(str(heavy))

    # Outside the expected range: refused once, the range in words, and a confirm.
    warn = refused_out_of_range(page, heavy)
    expect(page.locator("#weight-confirm")).to_contain_text(f"确认按 {kg(heavy)} kg 打包")
    assert packed_event(db, order["order_no"]) is None
    for target in ("#scale-take", "#weight-confirm", "#pack-submit"):
        assert tall_enough(page, target), f"{target} is under 48 px"
    page.locator("#weight-confirm").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "zh-station-warning.png"))
    assert run_axe(page) == []
    page.locator("#lang").click()
    expect(warn).to_contain_text(f"{kg(heavy)} kg is outside the expected")
    expect(page.locator("#weight-confirm")).to_have_text(f"Pack at {kg(heavy)} kg")
    expect(page.locator("#scale-mark")).to_have_text("✓ Stable")
    page.locator("#weight-confirm").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "en-station-warning.png"))
    assert run_axe(page) == []

    # The packer confirms: packed at that weight, the confirm in the event.
    before = inbound.feedback_count(page)
    page.locator("#weight-confirm").click()
    inbound.expect_feedback(page, "good", before, order["waybill_no"])
    expect(page.locator("#done-waybill")).to_have_text(order["waybill_no"])
    expect(warn).to_be_hidden()
    event = packed_event(db, order["order_no"])
    assert event is not None and (event["weight_g"], event["weight_confirmed"]) == (heavy, True)


def test_auto_take_weighs_only_after_the_last_item_and_never_packs_a_weight_left_on_the_scale(
    page: Page,
    server: Server,
    tokens: Callable[[str], str],
    agent: inbound.Api,
    oms: inbound.Api,  # noqa: F811
    db: sqlite3.Connection,
) -> None:
    api = inbound.Api(server, tokens)
    (short, full), (_, full_tote) = picked_orders(api, oms, db, 2)
    short_g = scan_everything(api, db, short, leave_out=1)
    last_sku = outbound.order_items(db, short["id"])[-1][0]
    full_g = scan_everything(api, db, full)
    packs = pack_requests(page)
    page.route("**/api/v1/client-config", auto_take)
    page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {tokens('pack01')!r})")
    page.add_init_script(f"localStorage.setItem('bondfloor.station', {BENCH!r})")

    # 1. An item is still missing: a stable weight is never packed.
    reading(agent, short_g, stable=True)
    page.goto(f"/packing.html?order={short['order_no']}")
    expect(page.locator("#order-no")).to_have_text(short["order_no"])
    expect(page.locator("body")).to_have_attribute("data-step", "items")
    readings_go_by(page, packs)
    assert packs == []

    # 2. The last item scanned while the scale shows what it showed before: that weight
    # may lack the item, so it waits for a tap, or for a weight that settles afterwards.
    inbound.scan_expecting(page, outbound.ean_of(db, last_sku), "good")
    expect(page.locator("#weigh")).to_be_visible()
    readings_go_by(page, packs)
    assert packs == [], "packed a weight read before the last item was scanned"
    expect(page.locator("#scale-take")).to_be_enabled()
    reading(agent, short_g, stable=False)
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "no")
    reading(agent, short_g, stable=True)
    expect(page.locator("#done-waybill")).to_have_text(short["waybill_no"], timeout=15_000)
    assert len(packs) == 1
    event = packed_event(db, short["order_no"])
    assert event is not None and event["weight_g"] == short_g

    # 3. The next tote, every item already in, while the last parcel is still on the scale:
    # its weight is not packed again.
    inbound.scan_expecting(page, full_tote, "good")
    expect(page.locator("#order-no")).to_have_text(full["order_no"])
    expect(page.locator("#weigh")).to_be_visible()
    readings_go_by(page, packs)
    assert len(packs) == 1, "packed the weight of the parcel before"
    expect(page.locator("#weight-warn")).to_be_hidden()
    reading(agent, 0, stable=False)
    expect(page.locator("#scale-mark")).to_have_attribute("data-stable", "no")
    reading(agent, full_g, stable=True)
    expect(page.locator("#done-waybill")).to_have_text(full["waybill_no"], timeout=15_000)
    assert len(packs) == 2
    event = packed_event(db, full["order_no"])
    assert event is not None and event["weight_g"] == full_g


def scan_everything(
    api: inbound.Api,
    db: sqlite3.Connection,
    order: sqlite3.Row,
    *,
    station: str = BENCH,
    leave_out: int = 0,
) -> int:
    """Every item of the order into its parcel through the API but the last `leave_out`
    units; the order's expected weight."""
    units = [
        sku for sku, quantity in outbound.order_items(db, order["id"]) for _ in range(quantity)
    ]
    for sku in units[: len(units) - leave_out]:
        api.call(
            "pack01",
            "POST",
            f"/api/v1/orders/{order['id']}/pack-scans",
            {"scan": outbound.ean_of(db, sku), "station": station},
        )
    return expected_weight(db, order)


def expected_weight(db: sqlite3.Connection, order: sqlite3.Row) -> int:
    """The SKUs' weights plus the packaging allowance (server/outbound/weighing.py)."""
    weighed = db.execute(
        "SELECT SUM(l.quantity * s.weight_g) FROM order_lines l "
        "JOIN skus s ON s.id = l.sku_id WHERE l.order_id = ?",
        (order["id"],),
    ).fetchone()[0]
    return int(weighed) + ALLOWANCE_G
