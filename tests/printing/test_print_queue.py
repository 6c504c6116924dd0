"""The durable print queue through the app: packing queues the face sheet, the dispatcher
sends it to a real TCP printer on loopback, and a printer that goes away loses nothing
and prints nothing twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from litestar.testing import TestClient

from server.app import create_app
from server.config import PrinterSettings, Settings
from tests.conftest import Api
from tests.devices.escpos_raster import raster_images
from tests.outbound.helpers import SOAP, pack, picked_order, put_stock, seed_outbound
from tests.printing.fake_printer import FakePrinter
from tests.printing.printer_site import printer as printer
from tests.printing.printer_site import printer_site_settings


def site_settings(tmp_path: Path, printer: FakePrinter, **extra: Any) -> Settings:
    """The shared printer site with a file printer, `file-1`, after `label-1`."""
    file_printer = PrinterSettings(name="file-1", kind="file", folder=str(tmp_path / "out"))
    more = extra.pop("printers", [])
    return printer_site_settings(tmp_path, printer, file_printer, *more, **extra)


@pytest.fixture
def settings(tmp_path: Path, printer: FakePrinter) -> Settings:
    return site_settings(tmp_path, printer)


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 100)
    return api


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not true within {timeout} s: {check()!r}")


def jobs(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/print-jobs", role="packer").json())


def packed(api: Api, tote: str = "T-1") -> dict[str, Any]:
    order = picked_order(api, [{"sku": "S1", "quantity": 1}], tote)
    answer = pack(api, order["id"], [SOAP])
    assert answer.status_code == 200, answer.text
    return order


def decoded(image: Any) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def decoded_all(image: Any) -> dict[str, list[str]]:
    """Every barcode read, by format (a two-part sheet has the waybill twice)."""
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image):
        found.setdefault(result.format.name, []).append(result.text)
    return found


def test_a_packed_parcel_prints_its_waybill_on_the_printer(site: Api, printer: FakePrinter) -> None:
    order = packed(site)
    (data,) = printer.wait_for_jobs(1)
    (label,) = raster_images(data)
    codes = decoded(label)
    assert codes["Code128"] == order["waybill_no"]
    assert codes["QRCode"].split("|")[1] == order["waybill_no"]
    done = eventually(lambda: [j for j in jobs(site) if j["status"] == "done"])
    assert done[0]["waybill_no"] == order["waybill_no"]
    assert done[0]["attempts"] == 1
    state = {p["name"]: p["state"] for p in site.get("/api/v1/printers").json()}
    assert state["label-1"] == "online"


def test_a_printer_switched_off_keeps_the_labels_and_prints_each_once_when_back(
    site: Api, printer: FakePrinter
) -> None:
    printer.stop()
    orders = [packed(site, tote) for tote in ("T-1", "T-2", "T-3")]
    # The head of the line is tried again and again; the others wait behind it, in order.
    eventually(lambda: max(j["attempts"] for j in jobs(site)) >= 3)
    assert {j["status"] for j in jobs(site)} <= {"queued", "sending"}
    assert all("refused" in j["last_error"].lower() for j in jobs(site) if j["last_error"])
    listed = {p["name"]: p for p in site.get("/api/v1/printers").json()}
    assert listed["label-1"]["state"] == "unavailable"
    assert listed["label-1"]["queued"] == 3
    printer.start()
    received = printer.wait_for_jobs(3)
    eventually(lambda: all(j["status"] == "done" for j in jobs(site)))
    # Nothing more comes: two more passes of the printer's loop, the second begun after
    # every job was done, had their chance to send one again, and the printer has
    # recorded whatever they sent.
    assert site.client.app.state.printing.wait_for_passes("label-1", 2, timeout=10)
    assert printer.wait_until_quiet()
    received = printer.received()
    waybills = [decoded(raster_images(data)[0])["Code128"] for data in received]
    assert waybills == [o["waybill_no"] for o in orders]  # in order, each once


@pytest.mark.parametrize("mode", ["paper_out", "stall", "drop"])
def test_a_printer_that_stops_mid_run_loses_and_doubles_nothing(
    site: Api, printer: FakePrinter, mode: str
) -> None:
    first = packed(site, "T-1")
    printer.wait_for_jobs(1)
    printer.mode = mode
    second = packed(site, "T-2")
    eventually(lambda: any(j["attempts"] >= 2 for j in jobs(site)))
    assert len(printer.received()) == 1
    state = {p["name"]: p["state"] for p in site.get("/api/v1/printers").json()}["label-1"]
    assert state == ("paper_out" if mode == "paper_out" else "unavailable")
    printer.mode = "ok"
    received = printer.wait_for_jobs(2)
    eventually(lambda: all(j["status"] == "done" for j in jobs(site)))
    waybills = [decoded(raster_images(data)[0])["Code128"] for data in received]
    assert waybills == [first["waybill_no"], second["waybill_no"]]


def test_jobs_for_unknown_or_disabled_printers_fail_visibly(
    tmp_path: Path, printer: FakePrinter
) -> None:
    settings = site_settings(
        tmp_path, printer, printers=[PrinterSettings(name="off-1", kind="file", enabled=False)]
    )
    first = create_app(settings)
    with TestClient(first) as client:
        db = first.state.db
        for name in ("ghost", "off-1"):
            db._write(
                lambda c, n=name: c.execute(
                    "INSERT INTO print_jobs (printer, kind, payload, created_by, created_at) "
                    "VALUES (?, 'test', '{}', 'test', '2026-11-23')",
                    (n,),
                )
            )
        assert client.get("/health").status_code == 200
    again = create_app(settings)
    with TestClient(again) as client:
        api = Api(client, again.state.db, settings)
        failed = {j["printer"]: j for j in jobs(api) if j["status"] == "failed"}
        # A retry cannot put them back in a queue nobody sends.
        for name, code in (("ghost", "PRINTER_UNKNOWN"), ("off-1", "PRINTER_DISABLED")):
            retried = api.post(f"/api/v1/print-jobs/{failed[name]['id']}/retry")
            assert retried.json()["error"]["code"] == code
    assert failed["ghost"]["last_error"].startswith("PRINTER_UNKNOWN")
    assert failed["off-1"]["last_error"].startswith("PRINTER_DISABLED")


def test_reprint_by_waybill_is_a_copy_with_a_reason_and_audited(
    site: Api, printer: FakePrinter
) -> None:
    order = packed(site)
    printer.wait_for_jobs(1)
    answer = site.post(
        "/api/v1/print-jobs/reprint",
        role="packer",
        json={"scan": order["waybill_no"], "reason": "label torn"},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["copy"], answer.json()["printer"]) == (1, "label-1")
    (_, copy) = printer.wait_for_jobs(2)
    assert decoded(raster_images(copy)[0])["Code128"] == order["waybill_no"]
    audit = site.db.read(
        lambda c: c.execute(
            "SELECT actor, target FROM audit WHERE action = 'print.reprint' AND outcome = 'ok'"
        ).fetchall()
    )
    assert [tuple(a) for a in audit] == [("user:packer01", f"parcel:{order['waybill_no']}")]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"scan": "SF0000000000", "reason": "x"}, 404, "PARCEL_NOT_FOUND"),
        ({"scan": "SF0000000000"}, 400, "VALIDATION_FAILED"),
        ({"scan": "SF0000000000", "reason": "x", "printer": "ghost"}, 404, "PARCEL_NOT_FOUND"),
    ],
)
def test_bad_reprints_are_refused(site: Api, body: dict[str, Any], status: int, code: str) -> None:
    answer = site.post("/api/v1/print-jobs/reprint", role="packer", json=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)


def test_reprint_to_an_unknown_printer_is_refused(site: Api, printer: FakePrinter) -> None:
    order = packed(site)
    answer = site.post(
        "/api/v1/print-jobs/reprint",
        role="packer",
        json={"scan": order["waybill_no"], "reason": "x", "printer": "ghost"},
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "PRINTER_UNKNOWN")


def test_a_cancelled_orders_label_is_not_reprinted(site: Api, printer: FakePrinter) -> None:
    order = packed(site)
    site.post("/api/v1/order-cancellations", role="oms", json={"order_no": order["order_no"]})
    answer = site.post(
        "/api/v1/print-jobs/reprint", role="packer", json={"scan": order["order_no"], "reason": "x"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "ORDER_CANCELLED")


def test_test_print_and_preview(site: Api, printer: FakePrinter) -> None:
    answer = site.post("/api/v1/printers/label-1/test", role="admin")
    assert answer.status_code == 200, answer.text
    (data,) = printer.wait_for_jobs(1)
    assert decoded(raster_images(data)[0])["Code128"] == "TEST-0000000001"
    preview = site.get(f"/api/v1/print-jobs/{answer.json()['id']}/preview.png", role="packer")
    assert (preview.status_code, preview.headers["content-type"]) == (200, "image/png")
    assert preview.content.startswith(b"\x89PNG")
    unknown = site.post("/api/v1/printers/ghost/test", role="admin")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "PRINTER_UNKNOWN")


def test_a_label_that_cannot_be_drawn_is_refused_at_the_bench(site: Api) -> None:
    from tests.outbound.helpers import order_json, pick_all, release, wave

    body = order_json([{"sku": "S1", "quantity": 1}])
    body["recipient"]["address"] = (
        "广东省深圳市南山区科技园南路十八号软件大厦" * 9
    )  # 198 characters
    assert site.post("/api/v1/orders", role="oms", json=body).status_code == 200
    release(site, body["order_no"])
    built = wave(site, order_nos=[body["order_no"]])
    pick_all(site, built["id"], {body["order_no"]: "T-1"})
    order = site.get("/api/v1/orders/lookup", params={"code": body["order_no"]}).json()
    refused = pack(site, order["id"], [SOAP])
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "LABEL_TEXT_TOO_LONG")
    assert refused.json()["error"]["details"]["field"] == "recipient.address"
    assert jobs(site) == []
    assert site.get(f"/api/v1/orders/{order['id']}").json()["state"] == "picked"


def test_a_reprint_says_copy_on_the_label(site: Api, printer: FakePrinter) -> None:
    order = packed(site)
    printer.wait_for_jobs(1)
    for _ in (1, 2):
        site.post(
            "/api/v1/print-jobs/reprint",
            role="packer",
            json={"scan": order["waybill_no"], "reason": "smudged"},
        )
    copies = [j for j in jobs(site) if j["copy_of"]]
    assert sorted(j["payload"]["remarks"][:11] for j in copies) == [
        "【副本 COPY 1】",
        "【副本 COPY 2】",
    ]
    assert {j["reason"] for j in copies} == {"smudged"}


def test_the_file_printer_keeps_the_bytes_and_the_preview(site: Api, tmp_path: Path) -> None:
    answer = site.post("/api/v1/printers/file-1/test", role="admin")
    assert answer.status_code == 200, answer.text
    stem = tmp_path / "out" / f"job-{answer.json()['id']:06d}"
    eventually(lambda: stem.with_suffix(".png").exists())
    (label,) = raster_images(stem.with_suffix(".bin").read_bytes())
    assert decoded(label)["Code128"] == "TEST-0000000001"
    from PIL import Image

    with Image.open(stem.with_suffix(".png")) as preview:
        assert preview.convert("1").tobytes() == label.convert("1").tobytes()
