"""Where a label lies on the print head, as the TCP printer receives it: a 76 mm label
(608 dots at 203 dpi) centred on a 4-inch head (832 dots) by default, moved by the
printer's offset, at the left edge when asked; every kind of raster job the same way; a
label that would not lie wholly on the head refused, never cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageChops

from devices import facesheet
from server.config import Settings, check_config_file
from server.printing.dispatch import draw_job, render_job
from tests.conftest import Api
from tests.devices.escpos_raster import raster_images
from tests.devices.test_handover_slip import record as handover_record
from tests.outbound.helpers import SOAP, pack, picked_order, put_stock, seed_outbound
from tests.printing.fake_printer import FakePrinter
from tests.printing.printer_site import printer as printer
from tests.printing.printer_site import printer_site_settings
from tests.printing.test_print_queue import eventually, jobs

HEAD = 832  # a 4-inch head at 203 dpi
LABEL = 608  # 76 mm at 203 dpi


@pytest.fixture
def head_settings() -> dict[str, Any]:
    """The printer's head settings under test (a test overrides it by parametrising)."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, printer: FakePrinter, head_settings: dict[str, Any]) -> Settings:
    return printer_site_settings(tmp_path, printer, label_options=head_settings)


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 100)
    return api


def drawn_alone(site: Api, job: dict[str, Any]) -> Image.Image:
    """The job's label as drawn at its own width, through the same ESC/POS raster."""
    printer = site.settings.printers[0]
    image = draw_job({"kind": job["kind"], "payload": job["payload"]}, printer, site.settings)
    (raster,) = raster_images(facesheet.to_escpos(image))
    return raster


def left_edge(received: Image.Image, label: Image.Image) -> int:
    """Where on the received raster the label lies: the one column at which it equals the
    label drawn alone, with nothing printed anywhere else."""
    found = []
    for left in range(received.width - label.width + 1):
        window = received.crop((left, 0, left + label.width, received.height))
        if ImageChops.difference(window.convert("L"), label.convert("L")).getbbox() is None:
            found.append(left)
    assert len(found) == 1, f"the label lies at {found} on the raster"
    outside = received.copy()
    outside.paste(
        255 if received.mode == "L" else 1, (found[0], 0, found[0] + label.width, label.height)
    )
    blank = Image.new(received.mode, received.size, 255 if received.mode == "L" else 1)
    assert ImageChops.difference(outside.convert("L"), blank.convert("L")).getbbox() is None
    return found[0]


def waybill_on(image: Image.Image) -> str:
    found = {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}
    return found.get("Code128", "")


def packed_label(site: Api, printer: FakePrinter) -> tuple[Image.Image, Image.Image, str]:
    """(the raster the printer received, the label drawn alone, the order's waybill)."""
    order = picked_order(site, [{"sku": "S1", "quantity": 1}], "T-1")
    answer = pack(site, order["id"], [SOAP])
    assert answer.status_code == 200, answer.text
    (data,) = printer.wait_for_jobs(1)
    (received,) = raster_images(data)
    (job,) = jobs(site)
    return received, drawn_alone(site, job), order["waybill_no"]


def test_a_76mm_label_arrives_centred_on_a_4_inch_head_and_still_decodes(
    site: Api, printer: FakePrinter
) -> None:
    received, label, waybill = packed_label(site, printer)
    assert (received.width, label.width) == (HEAD, LABEL)
    assert left_edge(received, label) == (HEAD - LABEL) // 2 == 112
    assert waybill_on(received) == waybill


@pytest.mark.parametrize(
    ("head_settings", "left"),
    [
        ({"offset_mm": 5.0}, 112 + 40),  # 5 mm at 203 dpi: 40 dots to the right
        ({"offset_mm": -2.5}, 112 - 20),
        ({"align": "left"}, 0),
        ({"align": "left", "offset_mm": 1.0}, 8),
        ({"head_width_dots": 640}, 16),  # a head of its own width, from its spec sheet
    ],
)
def test_the_printers_offset_and_alignment_move_the_label_on_the_head(
    site: Api, printer: FakePrinter, head_settings: dict[str, Any], left: int
) -> None:
    received, label, waybill = packed_label(site, printer)
    assert received.width == head_settings.get("head_width_dots", HEAD)
    assert left_edge(received, label) == left
    assert waybill_on(received) == waybill


@pytest.mark.parametrize("head_settings", [{"head_width_dots": LABEL}])
def test_a_head_as_wide_as_the_label_gets_the_label_as_drawn(
    site: Api, printer: FakePrinter
) -> None:
    received, label, _ = packed_label(site, printer)
    assert received.width == LABEL
    assert left_edge(received, label) == 0


def test_test_prints_and_handover_slips_are_centred_too(site: Api, printer: FakePrinter) -> None:
    answer = site.post("/api/v1/printers/label-1/test", role="admin")
    assert answer.status_code == 200, answer.text
    (data,) = printer.wait_for_jobs(1)
    (received,) = raster_images(data)
    (job,) = jobs(site)
    assert left_edge(received, drawn_alone(site, job)) == 112
    assert waybill_on(received) == "TEST-0000000001"
    # a handover slip takes the same one path (render_job) to the printer
    slip = {"kind": "handover", "payload": handover_record(3)}
    (on_head,) = raster_images(
        facesheet.to_escpos(render_job(slip, site.settings.printers[0], site.settings))
    )
    assert on_head.width == HEAD
    assert left_edge(on_head, drawn_alone(site, slip)) == 112


@pytest.mark.parametrize("head_settings", [{"head_width_dots": 576}])
def test_a_label_wider_than_the_head_is_refused_at_print_time_not_cut(
    site: Api, printer: FakePrinter
) -> None:
    """Settings made in code skip check-config: the dispatcher still refuses the job."""
    answer = site.post("/api/v1/printers/label-1/test", role="admin")
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["id"]
    failed = eventually(lambda: [j for j in jobs(site) if j["status"] == "failed"])
    assert failed[0]["id"] == job_id
    assert failed[0]["last_error"].startswith("LABEL_WIDER_THAN_HEAD: ")
    assert printer.received() == []
    preview = site.get(f"/api/v1/print-jobs/{job_id}/preview.png", role="packer")
    assert (preview.status_code, preview.json()["error"]["code"]) == (400, "LABEL_WIDER_THAN_HEAD")


@pytest.mark.parametrize(
    ("lines", "key", "words"),
    [
        ("offset_mm = 14.5", "printers[0].offset_mm", "would be cut"),  # 116 dots > 112
        ("offset_mm = -40.0", "printers[0].offset_mm", "would be cut"),
        ('align = "left"\noffset_mm = -1.0', "printers[0].offset_mm", "would be cut"),
        ('offset_mm = "a bit"', "printers[0].offset_mm", "Expected `float`"),
        ("label_width_mm = 110", "printers[0].head_width_dots", "wider"),
        (
            "head_width_dots = 384",
            "printers[0].head_width_dots",
            "(608 dots) is wider than the print head (384 dots)",
        ),
        ('align = "right"', "printers[0].align", "allowed: center, left"),
    ],
)
def test_check_config_refuses_a_label_that_would_not_lie_on_the_head(
    tmp_path: Path, lines: str, key: str, words: str
) -> None:
    config = tmp_path / "bondfloor.toml"
    config.write_text(f'[[printers]]\nname = "p1"\nkind = "file"\n{lines}\n', encoding="utf-8")
    errors = check_config_file(config)
    assert len(errors) == 1, errors
    assert errors[0].split(": ")[1] == key
    assert words in errors[0]


@pytest.mark.parametrize(
    "lines",
    [
        "offset_mm = 14.0",  # 112 dots: the label's right edge on the head's last dot
        'align = "left"\noffset_mm = 28.0',
        "label_width_mm = 104",
        "dpi = 300\nlabel_width_mm = 100",  # 12 dots/mm: a 1248-dot head
    ],
)
def test_check_config_takes_a_label_that_lies_wholly_on_the_head(
    tmp_path: Path, lines: str
) -> None:
    config = tmp_path / "bondfloor.toml"
    config.write_text(f'[[printers]]\nname = "p1"\nkind = "file"\n{lines}\n', encoding="utf-8")
    assert check_config_file(config) == []
