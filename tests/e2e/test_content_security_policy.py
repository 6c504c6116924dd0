"""The handheld works under the server's Content-Security-Policy (no inline script or
style): every page loads without a violation (and without a missing string), and logging
in and a scan still work."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from server.app import handheld_web_dir
from server.security_headers import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import LABEL_PRINTER, Server

pytestmark = pytest.mark.e2e

PAGES = sorted(p.name for p in Path(handheld_web_dir()).glob("*.html"))
# Every violation the page sees, also those before a module runs: reported to the page
# (securitypolicyviolation) and to the console ("Refused to ...").
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || location.pathname}:${e.lineNumber}`);
});
"""


@pytest.fixture
def violations(page: Page) -> Iterator[Callable[[], list[str]]]:
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if "Content Security Policy" in msg.text
            or msg.text.startswith(("Refused to", "bondfloor: no text for"))
            else None
        ),
    )

    def seen() -> list[str]:
        reported = page.evaluate("window.__cspViolations || []")
        return [*reported, *console]

    yield seen


def test_there_is_a_page_to_check() -> None:
    assert {"index.html", "home.html", "stock.html", "dock.html", "printers.html"} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_under_the_policy_without_a_violation(
    page: Page,
    logged_in_as: Callable[[str], None],
    violations: Callable[[], list[str]],
    name: str,
) -> None:
    logged_in_as("sup01")  # a manager may open every page
    answer = page.goto(f"/{name}")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).not_to_be_empty()
    # The page's modules ran: they translate every [data-i18n] element.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-i18n]')]"
        ".every(el => el.textContent.trim() && el.textContent !== el.dataset.i18n)"
    )
    assert violations() == []


def test_the_check_sees_a_violation_when_there_is_one(
    page: Page, violations: Callable[[], list[str]]
) -> None:
    """The watch above can fail: an inline style attribute is blocked and reported."""
    page.goto("/index.html")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert any("style-src" in v for v in violations())


def test_login_and_a_stock_scan_work_under_the_policy(
    page: Page, violations: Callable[[], list[str]], demo_db: sqlite3.Connection
) -> None:
    location = demo_db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "ORDER BY l.code LIMIT 1"
    ).fetchone()[0]
    page.goto("/")
    page.locator("#user-code").fill("pick01")
    page.locator("#pin").fill("1234")
    page.locator("#login-submit").click()
    page.wait_for_url(re.compile(r"/home\.html$"))
    page.locator('[data-menu="stock"]').click()
    expect(page).to_have_url(re.compile(r"/stock\.html$"))
    expect(page.locator("#scan")).to_be_focused()
    seq = int(page.locator("body").get_attribute("data-feedback-seq") or 0)
    page.keyboard.type(location, delay=5)
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.body.dataset.feedbackSeq === n", arg=str(seq + 1))
    expect(page.locator("body")).to_have_attribute("data-feedback", "good")
    expect(page.locator("#result-title")).to_contain_text(location)
    assert violations() == []


def test_a_label_preview_shows_under_the_policy(
    page: Page,
    logged_in_as: Callable[[str], None],
    session_token: Callable[[str], str],
    violations: Callable[[], list[str]],
    server: Server,
) -> None:
    """The preview is a blob: image made from the PNG the server draws."""
    queued = urllib.request.Request(
        f"{server.base_url}/api/v1/printers/{LABEL_PRINTER}/test",
        data=b"{}",
        headers={
            "Authorization": f"Bearer {session_token('admin')}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"csp-test-print-{time.time_ns()}",
        },
        method="POST",
    )
    with urllib.request.urlopen(queued, timeout=10) as answer:
        job = json.load(answer)
    logged_in_as("admin")
    page.goto("/printers.html")
    row = page.locator(f'.job-row[data-job-id="{job["id"]}"]')
    row.locator(".job-open").click()
    expect(page.locator("#preview-img")).to_have_attribute("data-loaded", str(job["id"]))
    assert page.locator("#preview-img").get_attribute("src").startswith("blob:")
    assert violations() == []
