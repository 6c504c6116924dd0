"""The document pages' "Download PDF" button hands the browser the server's PDF, in both
languages, at phone size."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.documents.reading import read_pdf

pytestmark = pytest.mark.e2e


def test_the_tally_record_page_downloads_its_pdf(
    page: Page,
    logged_in_as: Callable[[str], None],
    demo_db: sqlite3.Connection,
    tmp_path: Path,
) -> None:
    plan_id, plan_no = demo_db.execute(
        "SELECT id, plan_no FROM delivery_plans ORDER BY id LIMIT 1"
    ).fetchone()
    logged_in_as("recv01")
    page.goto(f"/receipt.html?plan={plan_id}&doc=tally")
    button = page.locator("#download-pdf")
    expect(button).to_have_text("下载 PDF", timeout=20_000)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 48
    page.locator("#lang").click()
    expect(button).to_have_text("Download PDF")

    with page.expect_download(timeout=30_000) as downloading:
        button.click()
    download = downloading.value
    assert download.suggested_filename == f"理货单-{plan_no}.pdf"
    saved = tmp_path / "tally.pdf"
    download.save_as(saved)
    doc = read_pdf(saved.read_bytes())
    assert doc.has("理货单", "Tally record", plan_no)
