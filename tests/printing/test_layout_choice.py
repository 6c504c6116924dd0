"""The dispatcher draws each face sheet in its courier's layout at the printer's label
size: a packed SF parcel on a 100×180 mm network printer (a real TCP printer on
loopback) arrives as the two-part SF sheet, both barcodes reading as the waybill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devices import facesheet
from devices.label_layouts import pick_layout
from server.config import DatabaseSettings, PrinterSettings, PrintingSettings, Settings
from server.printing.dispatch import render_job
from server.printing.layouts import face_sheet_layout
from tests.conftest import Api
from tests.devices.escpos_raster import raster_images
from tests.outbound.helpers import put_stock, seed_outbound
from tests.printing.fake_printer import FakePrinter
from tests.printing.printer_site import printer as printer
from tests.printing.printer_site import printer_site_settings
from tests.printing.test_print_queue import decoded_all, packed


@pytest.fixture
def settings(tmp_path: Path, printer: FakePrinter) -> Settings:
    label = {
        "label_width_mm": 100,
        "label_height_mm": 180,
        "head_width_dots": 800,  # as wide as the label: the raster is the sheet as drawn
    }
    return printer_site_settings(tmp_path, printer, label_options=label)


def test_the_printer_gets_the_couriers_two_part_sheet_at_its_size(
    api: Api, printer: FakePrinter, settings: Settings
) -> None:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 100)
    order = packed(api)  # an SF order
    (data,) = printer.wait_for_jobs(1)
    (label,) = raster_images(data)
    assert label.size == facesheet.label_size_px(100, 180, 203)
    found = decoded_all(label)
    assert found["Code128"] == [order["waybill_no"]] * 2  # the parcel's and the stub's
    assert found["QRCode"][0].split("|")[:2] == ["SF", order["waybill_no"]]
    # Pixel for pixel the SF 100×180 layout, not the standard one stretched.
    (job,) = api.get("/api/v1/print-jobs", role="packer").json()
    payload = api.db.read(lambda c: c.execute("SELECT payload FROM print_jobs").fetchone()[0])
    sheet = facesheet.render_face_sheet(
        json.loads(payload), width_mm=100, height_mm=180, layout=pick_layout("sf", 100, 180)
    )
    assert sheet.tobytes() == label.convert("1").tobytes()
    assert job["waybill_no"] == order["waybill_no"]


@pytest.mark.parametrize(
    ("courier", "size", "family"),
    [
        ("SF", (76, 130), "sf"),
        ("SF", (100, 180), "sf"),
        ("YTO", (100, 180), "cainiao"),
        ("ZTO", (76, 130), "cainiao"),
        ("sto", (76, 130), "cainiao"),
        ("JD", (100, 180), "jd"),
        ("EMS", (76, 130), "ems"),
        ("YD", (76, 130), "standard"),
        ("YD", (100, 150), "standard"),
    ],
)
def test_the_courier_and_the_label_size_pick_the_layout(
    courier: str, size: tuple[int, int], family: str
) -> None:
    printer = PrinterSettings(name="p", label_width_mm=size[0], label_height_mm=size[1])
    layout = face_sheet_layout(Settings(), printer, courier)
    assert (layout.family, layout.width_mm, layout.height_mm) == (family, *size)


def test_the_config_map_moves_a_courier_to_another_layout() -> None:
    settings = Settings(printing=PrintingSettings(courier_layouts={"SF": "jd"}))
    printer = PrinterSettings(name="p", label_width_mm=76, label_height_mm=130)
    assert face_sheet_layout(settings, printer, "SF").family == "jd"
    assert face_sheet_layout(settings, printer, "YTO").family == "standard"
    job: dict[str, Any] = {"kind": "label", "payload": {"courier": "SF"}}
    with pytest.raises(facesheet.LabelError):  # the payload is checked whatever the layout
        render_job(job, printer, settings)


def test_a_layout_file_broken_after_start_fails_the_label_not_the_printer_loop(
    tmp_path: Path,
) -> None:
    """Layouts are read at the first label, not when check-config passed: a file edited in
    between is a refused label (at the bench) or a failed job (at the printer), never an
    exception the bench answers with a 500 or the printer's loop leaves its job claimed."""
    from server.errors import DomainError
    from server.outbound.packing import check_label_prints
    from tests.devices.test_facesheet import make_label

    folder = tmp_path / "broken-layouts"
    folder.mkdir()
    (folder / "kerry_76x130.toml").write_text("width_mm = 76\nelements = [", encoding="utf-8")
    site = Settings(
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        printers=[PrinterSettings(name="file-1", kind="file", folder=str(tmp_path / "out"))],
        printing=PrintingSettings(layouts_dir=str(folder)),
    )
    printer = site.printers[0]
    with pytest.raises(facesheet.LabelError) as drawn:
        render_job({"kind": "face_sheet", "payload": make_label()}, printer, site)
    assert drawn.value.code == "LABEL_LAYOUT_INVALID"
    assert "kerry_76x130.toml" in drawn.value.message
    with pytest.raises(DomainError) as refused:
        check_label_prints(make_label(), site, "file-1")
    assert refused.value.code == "LABEL_LAYOUT_INVALID"
