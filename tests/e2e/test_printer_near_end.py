"""A printer low on paper still prints, and the printer page says so after the job, in
both languages, on a phone: the answer after the job is kept, not wiped by its success."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LABEL_PRINTER
from tests.e2e.test_printing import Api, api  # noqa: F401  (the fixture)
from tests.printing.fake_printer import FakePrinter


def test_paper_near_its_end_is_shown_on_the_printer_page_after_a_job(
    page: Page,
    logged_in_as: Callable[[str], None],
    api: Api,  # noqa: F811
    label_printer: FakePrinter,
    tmp_path: Path,
) -> None:
    before = len(label_printer.received())
    label_printer.mode = "near_end"
    try:
        api.call("admin", "POST", f"/api/v1/printers/{LABEL_PRINTER}/test", {})
        label_printer.wait_for_jobs(before + 1)
        logged_in_as("admin")
        page.goto("/printers.html")
        card = page.locator(f'.printer-card[data-printer="{LABEL_PRINTER}"]')
        expect(card.locator(".printer-warn")).to_have_text("面单纸快用完了，请备好新卷")
        expect(card.locator(".printer-raw")).to_have_text("paper near its end")
        card.screenshot(path=str(tmp_path / "near-end-zh.png"))
        page.locator("#lang").click()
        expect(card.locator(".printer-warn")).to_have_text("Paper low: have a new roll ready")
        card.screenshot(path=str(tmp_path / "near-end-en.png"))
        print(f"screenshots: {tmp_path}")
    finally:
        label_printer.mode = "ok"
