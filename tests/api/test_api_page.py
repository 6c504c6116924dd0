"""The API page's HTML names only files this server serves, none inline, and the vendored
Swagger UI is the version the Makefile pins, with its licence."""

from __future__ import annotations

import re
from pathlib import Path

from server.api_page import ASSETS_DIR, SWAGGER_UI_VERSION, VENDORED
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]


def test_api_page_loads_only_our_own_files_and_no_inline_script(api: Api) -> None:
    for path in ("/schema/swagger", "/schema/"):
        answer = api.client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
        page = answer.text
        assert "<style" not in page and " style=" not in page
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # no inline script
        urls = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
        for url in urls:
            assert api.client.get(url).status_code == 200, url


def test_vendored_swagger_ui_is_the_pinned_version_with_its_licence() -> None:
    pinned = re.search(r"^SWAGGER_UI_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert pinned is not None and pinned.group(1) == SWAGGER_UI_VERSION
    vendored = ASSETS_DIR / VENDORED
    assert f'"version": "{SWAGGER_UI_VERSION}"' in (vendored / "package.json").read_text()
    assert "Apache License" in (vendored / "LICENSE").read_text()
