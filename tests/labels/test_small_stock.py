"""Location labels on small stock: a printer declares the stock it prints them on
(`small_label_mm`), and the raster it gets has that size and still decodes, while carton
labels and face sheets stay on its label size. A printer kept for small labels just has
that as its label size."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageOps

from server.config import (
    LabelSettings,
    PrinterSettings,
    Settings,
    SiteSettings,
    check_config_file,
)
from tests.api.test_inbound import new_plan
from tests.api.test_inbound import site as site
from tests.conftest import Api
from tests.devices.escpos_raster import raster_images
from tests.printing.fake_printer import FakePrinter
from tests.printing.printer_site import printer as printer
from tests.printing.test_print_queue import site_settings


@pytest.fixture
def settings(tmp_path: Path, printer: FakePrinter) -> Settings:
    made = site_settings(
        tmp_path,
        printer,
        printers=[
            PrinterSettings(
                name="small-1",
                kind="file",
                folder=str(tmp_path / "out-small"),
                label_width_mm=100,
                label_height_mm=50,
            )
        ],
        site=SiteSettings(gs1_company_prefix="6901234"),
        labels=LabelSettings(batch_max=20),
    )
    made.printers[0].small_label_mm = [60, 40]  # label-1: face sheets 76×130, and a 60×40 roll
    return made


HEAD_DOTS = 832  # the printers' default 4-inch head at 203 dpi: labels arrive centred on it


def lies_centred(image: Image.Image, label_dots: int) -> bool:
    """The raster is the head's width and all its ink lies on the label, centred on it."""
    left = (HEAD_DOTS - label_dots) // 2
    ink = ImageOps.invert(image.convert("L")).getbbox()
    return (
        image.size[0] == HEAD_DOTS
        and ink is not None
        and left <= ink[0] < ink[2] <= left + label_dots
    )


def decoded(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)]


def test_a_location_label_prints_on_the_printers_small_stock_and_decodes(
    site: Api, printer: FakePrinter
) -> None:
    answer = site.post("/api/v1/labels/locations", json={"printer": "label-1", "codes": ["A-02"]})
    assert answer.status_code == 200, answer.text
    (data,) = printer.wait_for_jobs(1)
    (image,) = raster_images(data)
    assert image.size[1] == 320 and lies_centred(image, 480)  # 60×40 mm at 203 dpi
    assert decoded(image) == ["A-02"]


def test_a_carton_label_stays_on_the_printers_label_size(site: Api, printer: FakePrinter) -> None:
    plan_id = new_plan(site)
    answer = site.post(
        f"/api/v1/plans/{plan_id}/carton-labels",
        role="receiver",
        json={"printer": "label-1", "line_no": 1, "labels": 1},
    )
    assert answer.status_code == 200, answer.text
    (data,) = printer.wait_for_jobs(1)
    image = raster_images(data)[0]
    assert image.size[1] == 1039 and lies_centred(image, 608)  # 76×130 mm: not shrunk


def test_a_printer_kept_for_small_labels_prints_them_at_its_size_and_they_decode(
    site: Api,
) -> None:
    answer = site.post("/api/v1/labels/locations", json={"printer": "small-1", "codes": ["A-03"]})
    assert answer.status_code == 200, answer.text
    (job_id,) = answer.json()["print_job_ids"]
    png = site.get(f"/api/v1/print-jobs/{job_id}/preview.png", role="supervisor")
    assert png.status_code == 200, png.text
    image = Image.open(io.BytesIO(png.content))
    assert image.size[1] == 400 and lies_centred(image, 800)  # 100×50 mm at 203 dpi
    assert decoded(image) == ["A-03"]


def test_the_label_pages_see_the_size_each_printer_prints_location_labels_at(site: Api) -> None:
    answer = site.get("/api/v1/labels/printers", role="supervisor")
    assert answer.status_code == 200, answer.text
    sizes = {p["name"]: (p["label_mm"], p["location_label_mm"]) for p in answer.json()}
    assert sizes["label-1"] == ([76, 130], [60, 40])
    assert sizes["small-1"] == ([100, 50], [100, 50])


@pytest.mark.parametrize("value", ["[100]", "[100, 50, 20]", "[0, 40]", "[1000, 40]"])
def test_check_config_refuses_a_small_label_size_that_is_not_width_and_height(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(f'[[printers]]\nname = "p"\nsmall_label_mm = {value}\n', encoding="utf-8")
    (problem,) = check_config_file(path)
    assert "small_label_mm" in problem
