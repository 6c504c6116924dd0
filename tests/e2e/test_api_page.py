"""The interactive API page (/schema/swagger) works on a site LAN: Swagger UI comes from
this server, not a CDN, and runs under the same strict Content-Security-Policy as the
handheld pages, showing every operation of the OpenAPI document."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from server.security_headers import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import Server
from tests.e2e.test_content_security_policy import RECORD_VIOLATIONS

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots"


@pytest.fixture
def desk_page(browser: Browser, server: Server) -> Iterator[Page]:
    """An integrator's desktop browser (the API page is not a handheld page)."""
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_api_page_shows_every_operation_from_our_own_files_under_the_strict_policy(
    desk_page: Page, server: Server
) -> None:
    page = desk_page
    errors: list[str] = []
    console: list[str] = []
    hosts: set[str] = set()
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.add_init_script(RECORD_VIOLATIONS)
    with urllib.request.urlopen(f"{server.base_url}/schema/openapi.json", timeout=10) as answer:
        document = json.load(answer)

    answer = page.goto("/schema/swagger")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    # Swagger UI renders only the operations in view; it holds the whole document.
    paths = page.evaluate("window.ui.specSelectors.specJson().get('paths').size")
    assert paths == len(document["paths"])
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator(".info .title")).to_contain_text("bondfloor")

    # An operation opens (by its deep link) with its description and example body.
    page.goto("about:blank")  # a fresh load: Swagger UI reads the deep link on start
    page.goto("/schema/swagger#/inbound/ApiV1PlanReleasesReleasePlanByNumber")
    opened = page.locator("#operations-inbound-ApiV1PlanReleasesReleasePlanByNumber")
    expect(opened.locator(".opblock-description-wrapper").first).to_contain_text("plan number")
    expect(opened.locator(".body-param__example, .microlight").first).to_contain_text(
        "ASN-20261206-001"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-page.png"))

    hosts.discard("")  # about:blank
    assert hosts == {urlsplit(server.base_url).netloc}, "every file comes from the floor server"
    assert page.evaluate("window.__cspViolations") == []
    assert errors == [] and [m for m in console if "Refused" in m] == []
