"""The app shell the handheld's service worker keeps: its file list, its version, the worker
script, the manifest and the long-lived caching of versioned URLs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from server import app as app_module
from server.app_shell import AppShell
from server.security_headers import CONTENT_SECURITY_POLICY
from tests.api.test_security_headers import assert_hardened
from tests.conftest import Api

IMMUTABLE = "public, max-age=31536000, immutable"


def worker_shell(script: str) -> dict[str, Any]:
    match = re.match(r"self\.SHELL = (\{.*?\});\n", script)
    assert match, script[:200]
    return json.loads(match.group(1))


def test_the_shell_is_every_handheld_file_but_the_worker_and_the_notes() -> None:
    root = app_module.handheld_web_dir()
    _, files = AppShell(root).current()
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"sw.js", "README.md"}
    for needed in ("index.html", "receipt.html", "js/api.js", "js/offline.js", "css/app.css"):
        assert needed in files
    assert "manifest.webmanifest" in files
    assert "icons/icon-512.png" in files


def test_the_camera_decoder_is_kept_when_first_used_not_installed_with_the_shell(
    api: Api,
) -> None:
    shell = worker_shell(api.client.get("/sw.js").text)
    wasm = "vendor/zxing-wasm-3.1.8/dist/reader/zxing_reader.wasm"
    assert wasm in shell["on_demand"] and wasm not in shell["files"]
    assert not [f for f in shell["files"] if f.startswith("vendor/")]
    assert "js/camera-scan.js" in shell["files"]  # small: installed, so the view opens offline
    root = app_module.handheld_web_dir()
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert set(shell["files"]) | set(shell["on_demand"]) == on_disk - {"sw.js", "README.md"}


def test_the_version_changes_with_any_file_and_with_the_package_version(own_pages: Path) -> None:
    shell = AppShell(own_pages, "1.0.0")
    first = shell.version()
    assert first == AppShell(own_pages, "1.0.0").version()  # a pure function of the files
    assert AppShell(own_pages, "1.0.1").version() != first
    style = own_pages / "css" / "app.css"
    style.write_text(style.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    assert shell.version() != first
    (own_pages / "js" / "new-page.js").write_text("export {};\n", encoding="utf-8")
    assert "js/new-page.js" in shell.current()[1]


def test_the_worker_is_served_with_its_shell_and_revalidated(api: Api) -> None:
    answer = api.client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    assert_hardened(answer)
    shell = worker_shell(answer.text)
    assert shell["version"] == AppShell(app_module.handheld_web_dir()).version()
    assert "index.html" in shell["files"] and "sw.js" not in shell["files"]
    again = api.client.get("/sw.js", headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_changed_file_makes_a_new_worker(own_pages: Path, own_pages_client: Any) -> None:
    before = own_pages_client.get("/sw.js")
    page = own_pages / "stock.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- changed -->\n", encoding="utf-8")
    after = own_pages_client.get("/sw.js", headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert worker_shell(after.text)["version"] != worker_shell(before.text)["version"]


def test_a_url_with_the_files_content_hash_is_kept_a_year_and_others_revalidate(
    api: Api,
) -> None:
    version = worker_shell(api.client.get("/sw.js").text)["files"]["js/api.js"]
    versioned = api.client.get(f"/js/api.js?v={version}")
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == IMMUTABLE
    assert versioned.headers["x-content-type-options"] == "nosniff"
    plain = api.client.get("/js/api.js")
    assert plain.headers["cache-control"] == "no-cache"
    assert plain.content == versioned.content
    stale = api.client.get("/js/api.js?v=0123456789abcdef")
    assert stale.headers["cache-control"] == "no-cache"  # today's bytes, not the old ones
    revalidated = api.client.get(
        f"/js/api.js?v={version}", headers={"if-none-match": versioned.headers["etag"]}
    )
    assert revalidated.status_code == 304
    other_file = api.client.get(f"/js/ui.js?v={version}")  # another file's hash
    assert other_file.headers["cache-control"] == "no-cache"


def test_the_manifest_names_the_app_and_its_icons(api: Api) -> None:
    answer = api.client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == manifest["background_color"] == "#10243a"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert api.client.get(f"/{icon['src']}").headers["content-type"] == "image/png"


def test_every_page_links_the_manifest_and_icons_and_starts_offline_use() -> None:
    root = app_module.handheld_web_dir()
    for page in sorted(root.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        # The CA page is also served on plain HTTP to a handheld that does not trust the
        # site yet, where the manifest is not: it is the one page that is no app.
        installable = page.name != "ca.html"
        assert ('<link rel="manifest" href="manifest.webmanifest">' in html) == installable, (
            page.name
        )
        assert 'rel="icon" href="icons/' in html, page.name
        assert 'rel="apple-touch-icon"' in html, page.name
        assert 'href="data:,"' not in html, page.name
        (module,) = re.findall(r'<script type="module" src="(js/[a-z-]+\.js)"></script>', html)
        script = (root / module).read_text(encoding="utf-8")
        assert "startPage(" in script, page.name  # which starts offline use
    shell = (root / "js" / "shell.js").read_text(encoding="utf-8")
    assert 'import("./offline.js").then((offline) => offline.startOffline())' in shell


def test_the_policy_lets_the_pages_use_their_own_worker_and_manifest_only() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["worker-src"] == "'self'"
    assert directives["manifest-src"] == "'self'"
