"""The camera scan's vendored decoder: pinned, whole, licensed, served by this server as
WebAssembly (gzipped when asked), and pointed at our copy rather than a CDN."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from server.app import handheld_web_dir
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(handheld_web_dir())


def pinned_version() -> str:
    found = re.search(r"^ZXING_WASM_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert found, "the Makefile pins the zxing-wasm version"
    return found.group(1)


def vendored() -> Path:
    return PAGES / "vendor" / f"zxing-wasm-{pinned_version()}"


def test_the_vendored_decoder_is_the_pinned_version_with_its_licence_and_matching_wasm() -> None:
    folder = vendored()
    assert json.loads((folder / "package.json").read_text())["version"] == pinned_version()
    assert "MIT License" in (folder / "LICENSE").read_text()
    module = (folder / "dist/es/reader/index.js").read_text()
    # The module knows the hash of the wasm it was built with; the copy must be that wasm.
    expected = re.search(r'"([0-9a-f]{64})"', module)
    assert expected is not None
    wasm = (folder / "dist/reader/zxing_reader.wasm").read_bytes()
    assert hashlib.sha256(wasm).hexdigest() == expected.group(1)


def test_the_page_code_loads_the_pinned_copy_and_overrides_the_cdn_location() -> None:
    reader = (PAGES / "js/barcode-reader.js").read_text()
    assert f'"../vendor/zxing-wasm-{pinned_version()}"' in reader
    assert "locateFile" in reader
    assert "http" not in reader.replace("http://www.w3.org", "")


def test_the_wasm_is_served_as_webassembly_and_gzipped_when_asked(api: Api) -> None:
    path = f"/vendor/zxing-wasm-{pinned_version()}/dist/reader/zxing_reader.wasm"
    client: TestClient[Any] = api.client
    plain = client.get(path, headers={"accept-encoding": "identity"})
    zipped = client.get(path, headers={"accept-encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    # WebAssembly.instantiateStreaming refuses any other type.
    assert plain.headers["content-type"] == "application/wasm"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"]) / 2
    assert zipped.content == plain.content
    assert plain.content[:4] == b"\0asm"
