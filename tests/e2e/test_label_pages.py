"""Labels from the handheld in a real Chromium at phone size: a supervisor prints a zone's
location labels, a receiver prints carton labels for a line of an open plan; both reach
the test ESC/POS printer, and the raster it got decodes (zxing-cpp) to the location codes
and to the GS1 element string with the SSCC the page showed. Screenshots in both
languages are kept (the path is printed)."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import zxingcpp
from biip import parse
from playwright.sync_api import Page, expect

from tests.devices.escpos_raster import raster_images
from tests.e2e.conftest import LABEL_PRINTER
from tests.e2e.test_inbound import Api, Item, assert_fits_phone
from tests.e2e.test_inbound import api as api
from tests.e2e.test_inbound import items as items
from tests.printing.fake_printer import FakePrinter

pytestmark = pytest.mark.e2e

ZONE = "STG"  # the demo's six staging locations: a small batch


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("label-screenshots")
    print(f"screenshots: {folder}")
    return folder


def barcodes_of(data: bytes) -> list[Any]:
    found = []
    for image in raster_images(data):
        found += zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    return found


def switch_language(page: Page) -> None:
    page.locator("#lang").click()


def test_a_zone_and_a_plan_lines_cartons_are_printed_from_the_handheld(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,
    items: Callable[[int], list[Item]],
    demo_db: sqlite3.Connection,
    label_printer: FakePrinter,
    shots: Any,
) -> None:
    codes = [
        r[0]
        for r in demo_db.execute(
            "SELECT code FROM locations WHERE zone = ? AND active = 1 ORDER BY pick_sequence, code",
            (ZONE,),
        )
    ]
    before = len(label_printer.received())

    # Location labels: the supervisor's menu has the page; a zone prints as one batch.
    logged_in_as("sup01")
    page.goto("/home.html")
    page.locator('[data-menu="labels"]').click()
    expect(page).to_have_url(re.compile(r"/labels\.html"))
    expect(page.locator("#printer option")).to_have_count(1, timeout=15_000)
    expect(page.locator("#printer")).to_have_value(LABEL_PRINTER)
    page.locator("#zone").fill(ZONE.lower())
    assert_fits_phone(page, shots, "labels-zh")
    page.locator("#print").click()
    expect(page.locator("#printed-codes li")).to_have_count(len(codes), timeout=15_000)
    expect(page.locator("#printed-title")).to_contain_text(f"{len(codes)} 张")
    switch_language(page)
    expect(page.locator("#printed-title")).to_have_text(
        f"{len(codes)} labels queued on {LABEL_PRINTER}"
    )
    assert_fits_phone(page, shots, "labels-en")
    jobs = label_printer.wait_for_jobs(before + len(codes), timeout=20)[before:]
    assert [[r.text for r in barcodes_of(data)] for data in jobs] == [[c] for c in codes]

    # Carton labels at receiving: a plan line, two cartons of six, the SSCCs shown.
    (item,) = items(1)
    lot = f"L{uuid.uuid4().hex[:6].upper()}"
    plan = api.plan(
        [{"sku": item.sku, "expected_qty": 12, "lot": lot, "expiry": "2028-06-30"}],
        {"type": "sea", "container_no": f"MSKU{uuid.uuid4().int % 10**7:07d}"},
    )
    api.check_in(plan, "DOCK-01")
    logged_in_as("recv01")
    page.goto(f"/receiving.html?plan={plan['id']}")
    expect(page.locator("#plan-no")).to_have_text(plan["plan_no"], timeout=15_000)
    page.locator("#carton-labels summary").click()
    expect(page.locator("#carton-line option")).to_have_count(1, timeout=15_000)
    expect(page.locator("#carton-lot")).to_have_value(lot)
    page.locator("#carton-labels-count").fill("2")
    page.locator("#carton-count").fill("6")
    page.locator("#carton-labels").scroll_into_view_if_needed()
    before = len(label_printer.received())
    page.locator("#carton-print").click()
    expect(page.locator("#carton-ssccs li")).to_have_count(2, timeout=15_000)
    ssccs = page.locator("#carton-ssccs li").all_text_contents()
    page.locator("#carton-printed").scroll_into_view_if_needed()
    assert_fits_phone(page, shots, "receiving-cartons-en")
    switch_language(page)
    expect(page.locator("#carton-printed-title")).to_contain_text("2 张")
    assert_fits_phone(page, shots, "receiving-cartons-zh")
    jobs = label_printer.wait_for_jobs(before + 2, timeout=20)[before:]
    for sscc, data in zip(ssccs, jobs, strict=True):
        elements: dict[str, str] = {}
        for result in barcodes_of(data):
            assert result.symbology_identifier == "]C1"
            message = parse(result.symbology_identifier + result.text).gs1_message
            assert message is not None
            elements |= {e.ai.ai: e.value for e in message.element_strings}
        assert elements == {
            "00": sscc,
            "02": item.ean.zfill(14),
            "17": "280630",
            "37": "6",
            "10": lot,
        }

    # A torn label: tap its SSCC, give a reason, and the same SSCC prints again.
    before = len(label_printer.received())
    page.locator("#carton-ssccs button").nth(1).click()
    expect(page.locator("#carton-reprint-sscc")).to_have_value(ssccs[1])
    page.locator("#carton-reprint-reason").fill("标签破损")
    page.locator("#carton-reprint").scroll_into_view_if_needed()
    assert_fits_phone(page, shots, "receiving-reprint-zh")
    page.locator("#carton-reprint-send").click()
    expect(page.locator("#banner .banner-text")).to_contain_text(
        f"{ssccs[1]} 已补打（副本 1）", timeout=15_000
    )
    switch_language(page)
    expect(page.locator("#banner .banner-text")).to_contain_text(f"{ssccs[1]} reprinted (copy 1)")
    assert_fits_phone(page, shots, "receiving-reprint-en")
    (data,) = label_printer.wait_for_jobs(before + 1, timeout=20)[before:]
    sscc_again = [r.text for r in barcodes_of(data) if r.text.startswith("00")]
    assert sscc_again and sscc_again[0][2:20] == ssccs[1]
