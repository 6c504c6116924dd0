"""Camera scanning on a phone without a scan engine: Chromium's fake camera plays a barcode
these tests draw, the page decodes it and the scan arrives like a scanner's.

Each barcode is its own Chromium launch (the fake camera plays one file per browser), so
there are four: EAN-13, GS1 DataMatrix, GS1-128 and QR. Headless Chromium on Linux has no
BarcodeDetector, so this is the vendored WebAssembly decoder's path; the choice between the
two, and the native path's hand-over, are checked with stand-in detectors.
"""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import barcode
import pytest
import qrcode
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image
from playwright.sync_api import Page, Playwright, Request, Response, expect

from server.barcodes import parse_scan
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Server

pytestmark = pytest.mark.e2e

LOOKUP = "/api/v1/stock/lookup"
LAZY = re.compile(r"/js/camera-scan\.js|/js/barcode-reader\.js|/vendor/")
FRAME = (1280, 720)  # a phone camera's usual stream size
# Every camera stream the page opens, to check its constraints and that it was stopped.
RECORD_STREAMS = """
window.__streams = [];
window.__constraints = [];
const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  window.__constraints.push(constraints);
  const stream = await getUserMedia(constraints);
  window.__streams.push(stream);
  return stream;
};
"""
ALL_TRACKS_ENDED = (
    "() => window.__streams.length > 0 && window.__streams.every("
    "s => s.getTracks().every(t => t.readyState === 'ended'))"
)


# Drawing the barcodes and the fake camera's video ------------------------------------


def _grey(image: Image.Image) -> Image.Image:
    return image.convert("L")


def ean13_image(code: str) -> Image.Image:
    out = io.BytesIO()
    barcode.get("ean13", code, writer=ImageWriter()).write(out, {"write_text": False})
    return _grey(Image.open(out))


def gs1_128_image(element_string: str) -> Image.Image:
    """python-barcode's GS1-128: FNC1 first; "\\xf1" is FNC1 between variable-length AIs."""
    out = io.BytesIO()
    barcode.get("gs1_128", element_string, writer=ImageWriter()).write(out, {"write_text": False})
    return _grey(Image.open(out))


def gs1_datamatrix_image(hri: str) -> Image.Image:
    """A square GS1 DataMatrix (FNC1 first, FNC1 after variable-length AIs) from its HRI
    text, drawn by zxing-cpp's writer (libzint underneath)."""
    symbol = zxingcpp.create_barcode(
        hri, zxingcpp.BarcodeFormat.DataMatrix, gs1=True, force_square=True
    )
    return _grey(Image.fromarray(symbol.to_image(scale=10, add_quiet_zones=True)))


def qr_image(text: str) -> Image.Image:
    return _grey(qrcode.make(text, box_size=8, border=4).get_image())


def write_y4m(image: Image.Image, path: Path) -> Path:
    """One frame of 4:2:0 YUV (full-range BT.601, Pillow's YCbCr) with the barcode in the
    middle of a white picture; Chromium's fake camera plays it in a loop."""
    width, height = FRAME
    image.thumbnail((width - 80, height - 80))
    frame = Image.new("L", FRAME, 255)
    frame.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    body = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(header + body)
    return path


# A phone with a camera: its own Chromium playing one video ---------------------------


@dataclass
class CameraPhone:
    page: Page
    requests: list[str]
    wasm_answers: list[Response]
    lookups: list[str]


@contextmanager
def phone_filming(
    playwright: Playwright, video: Path, server: Server, token: str, language: str = "zh"
) -> Iterator[CameraPhone]:
    # One launch per video: the fake camera plays one file per browser.
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(
            base_url=server.base_url,
            viewport=PHONE,
            has_touch=True,
            is_mobile=True,
            device_scale_factor=2,
            locale="zh-CN",
            permissions=["camera"],
        )
        context.add_init_script(f"sessionStorage.setItem('bondfloor.token', {token!r})")
        context.add_init_script(f"localStorage.setItem('bondfloor.lang', {language!r})")
        context.add_init_script(RECORD_STREAMS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        # The decoder runs under the server's Content-Security-Policy: nothing refused.
        page.on(
            "console",
            lambda msg: (
                errors.append(msg.text)
                if "Content Security Policy" in msg.text or msg.text.startswith("Refused")
                else None
            ),
        )
        phone = CameraPhone(page, [], [], [])

        def seen(request: Request) -> None:
            phone.requests.append(request.url)
            if urlparse(request.url).path == LOOKUP:
                phone.lookups.append(parse_qs(urlparse(request.url).query)["code"][0])

        page.on("request", seen)
        page.on(
            "response",
            lambda r: phone.wasm_answers.append(r) if r.url.endswith(".wasm") else None,
        )
        yield phone
        assert not errors, f"JavaScript errors or CSP refusals on the page: {errors}"
    finally:
        browser.close()


def camera_scan_on_stock_page(phone: CameraPhone) -> str:
    """Open the stock page, tap the camera button, wait for the read; the code sent."""
    page = phone.page
    page.goto("/stock.html")
    expect(page.locator("#scan")).to_be_focused()
    # The decoder is not part of the page's load: it comes with the first tap.
    assert [u for u in phone.requests if LAZY.search(u)] == []
    before = int(page.locator("body").get_attribute("data-feedback-seq") or 0)
    page.locator("[data-scan-camera]").click()
    # Decoding starts once the wasm is compiled; the read then comes within a frame or two.
    page.wait_for_function(
        "n => Number(document.body.dataset.feedbackSeq || 0) > n", arg=before, timeout=20_000
    )
    expect(page.locator("dialog.camera-view")).to_have_count(0)
    page.wait_for_function(ALL_TRACKS_ENDED)
    expect(page.locator("#banner")).to_have_attribute("data-source", "camera")
    expect(page.locator("#scan")).to_be_focused()
    assert len(phone.lookups) == 1, phone.lookups
    return phone.lookups[0]


def expect_only_this_server(phone: CameraPhone, server: Server) -> None:
    outside = [u for u in phone.requests if not u.startswith((server.base_url, "data:", "blob:"))]
    assert outside == []
    assert [urlparse(r.url).path for r in phone.wasm_answers] == [
        "/vendor/zxing-wasm-3.1.8/dist/reader/zxing_reader.wasm"
    ]
    assert phone.wasm_answers[0].headers["content-type"] == "application/wasm"


# What the database says --------------------------------------------------------------


def item_with_stock(db: sqlite3.Connection) -> sqlite3.Row:
    return db.execute(
        "SELECT sb.barcode, s.code AS sku FROM sku_barcodes sb JOIN skus s ON s.id = sb.sku_id "
        "JOIN balances b ON b.sku_id = s.id WHERE length(sb.barcode) = 13 "
        "ORDER BY sb.barcode LIMIT 1"
    ).fetchone()


def location_with_stock(db: sqlite3.Connection) -> str:
    return db.execute(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
        "ORDER BY l.code LIMIT 1"
    ).fetchone()[0]


# Tests ---------------------------------------------------------------------------------


def test_camera_scans_arrive_as_scans_with_the_same_parsing_and_nothing_from_outside(
    playwright_session: Playwright,
    server: Server,
    demo_db: sqlite3.Connection,
    session_token: Callable[[str], str],
    tmp_path: Path,
) -> None:
    item = item_with_stock(demo_db)
    gtin14 = item["barcode"].zfill(14)
    location = location_with_stock(demo_db)
    token = session_token("pick01")

    # EAN-13 of a demo SKU: the stock page shows that SKU's stock, in Chinese.
    with phone_filming(
        playwright_session,
        write_y4m(ean13_image(item["barcode"]), tmp_path / "ean.y4m"),
        server,
        token,
    ) as phone:
        assert phone.page.evaluate("typeof BarcodeDetector") == "undefined"
        assert camera_scan_on_stock_page(phone) == item["barcode"]
        page = phone.page
        expect(page.locator("body")).to_have_attribute("data-feedback", "good")
        expect(page.locator("dialog.camera-view")).to_have_count(0)
        expect(page.locator("#result")).to_have_attribute("data-kind", "sku")
        expect(page.locator(f'.stock-row[data-sku="{item["sku"]}"]').first).to_be_visible()
        expect(page.locator("#banner .banner-detail")).to_have_text(f"{item['barcode']} · 相机")
        constraints = page.evaluate("window.__constraints")
        assert constraints[0]["video"]["facingMode"] == {"ideal": "environment"}
        expect_only_this_server(phone, server)

    # GS1 DataMatrix and GS1-128 with lot and expiry: sent as a GS1 scanner sends them
    # (symbology identifier, GS placeholder), parsed by the server into the same AIs.
    gs1_codes = [
        (
            "datamatrix",
            gs1_datamatrix_image(f"(01){gtin14}(10)CAM-LOT7(17)271130"),
            f"]d201{gtin14}10CAM-LOT7~17271130",
        ),
        (
            "gs1-128",
            gs1_128_image(f"01{gtin14}10CAM-LOT7\xf117271130"),
            f"]C101{gtin14}10CAM-LOT7~17271130",
        ),
    ]
    for name, image, sent in gs1_codes:
        video = write_y4m(image, tmp_path / f"{name}.y4m")
        with phone_filming(playwright_session, video, server, token, language="en") as phone:
            assert camera_scan_on_stock_page(phone) == sent, name
            scan = parse_scan(sent)
            assert (scan.gtin, scan.lot, scan.expiry) == (gtin14, "CAM-LOT7", "2027-11-30")
            expect(phone.page.locator("#result")).to_have_attribute("data-kind", "sku")
            expect(phone.page.locator("#result-title")).to_contain_text(item["sku"])
            expect(phone.page.locator("#banner .banner-detail")).to_have_text(f"{sent} · camera")
            expect_only_this_server(phone, server)

    # A location's QR code: the page shows what is at that location. The same phone then
    # stands in for one whose browser has its own BarcodeDetector.
    with phone_filming(
        playwright_session, write_y4m(qr_image(location), tmp_path / "qr.y4m"), server, token
    ) as phone:
        assert camera_scan_on_stock_page(phone) == location
        expect(phone.page.locator("#result")).to_have_attribute("data-kind", "location")
        expect(phone.page.locator("#result-title")).to_contain_text(location)
        expect_only_this_server(phone, server)
        a_failed_decoder_download_is_said_and_the_next_tap_tries_again(phone, location)
        native_detector_reads_arrive_and_cancel_stops_the_camera(phone, gtin14)


def a_failed_decoder_download_is_said_and_the_next_tap_tries_again(
    phone: CameraPhone, location: str
) -> None:
    page = phone.page
    page.route("**/zxing_reader.wasm", lambda route: route.abort())
    page.goto("/stock.html")
    phone.lookups.clear()
    page.locator("[data-scan-camera]").click()
    view = page.locator("dialog.camera-view")
    expect(view).to_have_attribute("data-state", "error", timeout=15_000)
    expect(view.locator(".camera-status")).to_have_text("相机扫码无法启动")
    page.wait_for_function(ALL_TRACKS_ENDED)
    view.locator(".camera-cancel").click()
    expect(view).to_have_count(0)

    page.unroute("**/zxing_reader.wasm")
    page.locator("[data-scan-camera]").click()
    page.wait_for_function("() => document.body.dataset.feedback === 'good'", timeout=20_000)
    assert phone.lookups == [location]


# A stand-in for the BarcodeDetector of Chrome on Android: it reads every format and hands
# out what the test put in window.__nativeReads (a GS1 DataMatrix as the standard API can
# report it: rawValue with GS characters, no symbology identifier), one per detect() call
# after the first.
NATIVE_DETECTOR = """
window.__nativeReads = [];
window.__nativeCalls = 0;
window.BarcodeDetector = class {
  static async getSupportedFormats() {
    return ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "data_matrix", "qr_code", "pdf417"];
  }
  constructor(options) { window.__nativeFormats = options.formats; }
  async detect(source) {
    window.__nativeCalls += 1;
    if (!(source instanceof HTMLVideoElement) || window.__nativeCalls < 2) return [];
    const rawValue = window.__nativeReads.shift();
    return rawValue ? [{ rawValue, format: "data_matrix" }] : [];
  }
};
"""


def native_detector_reads_arrive_and_cancel_stops_the_camera(
    phone: CameraPhone, gtin14: str
) -> None:
    page = phone.page
    page.add_init_script(NATIVE_DETECTOR)
    page.goto("/stock.html")
    phone.lookups.clear()
    requests_before = len(phone.requests)
    page.evaluate("code => window.__nativeReads.push(code)", f"01{gtin14}10CAM-LOT7\x1d17271130")
    page.locator("[data-scan-camera]").click()
    page.wait_for_function("() => document.body.dataset.feedback === 'good'")
    page.wait_for_function(ALL_TRACKS_ENDED)
    sent = f"01{gtin14}10CAM-LOT7~17271130"
    assert phone.lookups == [sent]
    assert [u for u in phone.requests[requests_before:] if "/vendor/" in u] == []
    assert page.evaluate("window.__nativeFormats") == [
        "ean_13",
        "ean_8",
        "upc_a",
        "upc_e",
        "code_128",
        "data_matrix",
        "qr_code",
    ]
    scan = parse_scan(sent)
    assert (scan.gtin, scan.lot, scan.expiry) == (gtin14, "CAM-LOT7", "2027-11-30")

    # Nothing in front of the camera: Cancel closes the view, stops the camera, sends nothing.
    page.locator("[data-scan-camera]").click()
    view = page.locator("dialog.camera-view")
    expect(view).to_have_attribute("data-state", "reading")
    expect(view).to_have_attribute("data-reader", "native")
    expect(view.locator(".camera-cancel")).to_have_text("取消")
    page.wait_for_function("() => window.__nativeCalls > 3")
    view.locator(".camera-cancel").click()
    expect(view).to_have_count(0)
    page.wait_for_function(ALL_TRACKS_ENDED)
    expect(page.locator("#scan")).to_be_focused()
    assert phone.lookups == [sent]


# Which decoder, and the button -----------------------------------------------------------

CHOICE = """async () => {
  const { nativeDetectorCovers, scanTextOfZxingRead } = await import("/js/barcode-reader.js");
  const all = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "data_matrix", "qr_code"];
  const detector = (formats) => class { static async getSupportedFormats() { return formats; } };
  const covers = {};
  delete window.BarcodeDetector;
  covers.none = await nativeDetectorCovers();
  window.BarcodeDetector = detector([...all, "aztec"]);
  covers.every = await nativeDetectorCovers();
  window.BarcodeDetector = detector(["qr_code", "ean_13"]);  // e.g. no DataMatrix
  covers.some = await nativeDetectorCovers();
  window.BarcodeDetector = class { static async getSupportedFormats() { throw new Error("x"); } };
  covers.failing = await nativeDetectorCovers();
  delete window.BarcodeDetector;
  const gs1 = "0104890000100017" + "10AB\x1d17271130";
  const texts = [
    scanTextOfZxingRead({ text: gs1, contentType: "GS1", symbology: "DataMatrix" }),
    scanTextOfZxingRead({ text: gs1, contentType: "GS1", symbology: "Code128" }),
    scanTextOfZxingRead({ text: gs1, contentType: "GS1", symbology: "QRCode" }),
    scanTextOfZxingRead({ text: "4890000100017", contentType: "Text", symbology: "EANUPC" }),
    scanTextOfZxingRead({ text: "A-01-01", contentType: "Text", symbology: "QRCode" }),
  ];
  return { covers, texts };
}"""


def test_the_native_detector_is_used_only_when_it_reads_every_floor_format(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    logged_in_as("pick01")
    page.goto("/stock.html")
    answer = page.evaluate(CHOICE)
    assert answer["covers"] == {"none": False, "every": True, "some": False, "failing": False}
    gs1 = "0104890000100017" + "10AB\x1d17271130"
    assert answer["texts"] == [f"]d2{gs1}", f"]C1{gs1}", f"]Q3{gs1}", "4890000100017", "A-01-01"]
    for text in answer["texts"][:3]:
        assert parse_scan(text).lot == "AB"


def test_the_camera_button_is_a_48px_target_in_both_languages_and_absent_without_a_camera_api(
    page: Page, logged_in_as: Callable[[str], None]
) -> None:
    logged_in_as("pick01")
    page.goto("/stock.html")
    button = page.locator("#scan-form [data-scan-camera]")
    expect(button).to_have_attribute("aria-label", "用相机扫码")
    box = button.bounding_box()
    assert box is not None and box["width"] >= 48 and box["height"] >= 48
    page.locator("#lang").click()
    expect(button).to_have_attribute("aria-label", "Scan with the camera")
    # Nothing on the page's load asks for the camera code.
    assert (
        page.evaluate(
            "performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => /camera-scan|barcode-reader|vendor/.test(n))"
        )
        == []
    )

    page.add_init_script("delete MediaDevices.prototype.getUserMedia")
    page.reload()
    expect(page.locator("#scan")).to_be_focused()
    expect(button).to_have_count(0)
