"""Every shipped face-sheet layout drawn for a demo order and read back by zxing-cpp:
the Code128 (both of them on a two-part sheet) is the waybill, the QR is what the label
says, the Chinese is drawn in glyphs, not .notdef boxes. Each layout is drawn once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from devices import facesheet, layout_previews
from devices.facesheet import plan_face_sheet, render_face_sheet
from devices.label_layouts import (
    SHIPPED_DIR,
    Code128Element,
    Layout,
    load_layouts,
    pick_layout,
)
from server.outbound.label import face_sheet
from tests.devices.escpos_raster import raster_images
from tests.devices.test_facesheet import _draw_alone, _ink_inside, make_order

SHIPPED = sorted(load_layouts())
#: A waybill of each family's couriers' own form.
WAYBILLS = {
    "sf": "SF1428765301234",
    "cainiao": "YT7512345678901",
    "jd": "JDVA23456789012",
    "ems": "1151234567890",
    "standard": "JT5012345678901234567",
}
COURIER = {"sf": "SF", "cainiao": "ZTO", "jd": "JD", "ems": "EMS", "standard": "XYZ"}


def demo_label(family: str) -> dict[str, Any]:
    order = make_order(WAYBILLS[family])
    order["courier"] = COURIER[family]
    return face_sheet(order, weight_g=1250, parcel_count=1, day="2026-12-07")


@pytest.fixture(scope="module")
def drawn() -> dict[tuple[str, int, int], tuple[dict[str, Any], Any, Image.Image]]:
    """Each shipped layout drawn once: label, plan, image."""
    out = {}
    for key in SHIPPED:
        family, width, height = key
        label = demo_label(family)
        layout = load_layouts()[key]
        plan = plan_face_sheet(label, width_mm=width, height_mm=height, layout=layout)
        out[key] = (label, plan, facesheet.draw_face_sheet(plan))
    return out


def decoded(image: Image.Image) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image.convert("L")):
        found.setdefault(result.format.name, []).append(result.text)
    return found


def test_the_required_couriers_and_sizes_are_shipped() -> None:
    for family in ("standard", "sf", "cainiao", "jd", "ems"):
        assert (family, 76, 130) in SHIPPED
    for family in ("sf", "cainiao", "jd", "ems"):
        layout = load_layouts()[(family, 100, 180)]
        assert layout.parts == 2
    assert ("standard", 100, 150) in SHIPPED


@pytest.mark.parametrize("key", SHIPPED, ids=lambda k: f"{k[0]}_{k[1]}x{k[2]}")
def test_every_layout_decodes_to_the_waybill_and_the_qr(drawn: Any, key: Any) -> None:
    label, plan, image = drawn[key]
    layout: Layout = load_layouts()[key]
    barcodes = [el for el in layout.elements if isinstance(el, Code128Element)]
    assert image.size == facesheet.label_size_px(key[1], key[2], 203)
    assert plan.layout == key[0]
    assert plan.module_dots >= 2
    for source in (image, raster_images(facesheet.to_escpos(image))[0]):
        found = decoded(source)
        # A two-part sheet carries the waybill twice: on the parcel and on the stub.
        assert found.get("Code128") == [label["waybill_no"]] * len(barcodes)
        assert found.get("QRCode") == [label["qr"]]
    if layout.parts == 2:
        stub = image.crop((0, round(layout.stub_at_mm * 203 / 25.4), image.width, image.height))
        assert decoded(stub).get("Code128") == [label["waybill_no"]]


@pytest.mark.parametrize("key", SHIPPED, ids=lambda k: f"{k[0]}_{k[1]}x{k[2]}")
def test_every_layout_prints_the_chinese_in_glyphs(drawn: Any, key: Any) -> None:
    label, plan, image = drawn[key]
    texts = plan.texts()
    line = "张*丰  138****5678"
    assert line in texts
    assert label["recipient"]["region"] in " ".join(texts)
    # The masked name line is on the label as drawn; another name in the same place is
    # not (with .notdef boxes both would be the same boxes).
    (op,) = [op for op in plan.ops if getattr(op, "text", None) == line]
    assert _ink_inside(_draw_alone(plan, op, line), image)
    assert not _ink_inside(_draw_alone(plan, op, "李*明  138****5678"), image)


def test_a_size_without_its_own_file_stretches_the_nearest_layout() -> None:
    # 100×150: the family's 100 mm wide two-part sheet, squeezed to 150 mm, stub and all.
    layout = pick_layout("sf", 100, 150)
    assert (layout.family, layout.width_mm, layout.height_mm, layout.parts) == ("sf", 100, 150, 2)
    label = demo_label("sf")
    found = decoded(render_face_sheet(label, width_mm=100, height_mm=150, layout=layout))
    assert found.get("Code128") == [label["waybill_no"]] * 2
    assert found.get("QRCode") == [label["qr"]]
    # 70 mm wide: the 76 mm one, so the barcode keeps its modules.
    assert pick_layout("sf", 70, 130).parts == 1
    # An unknown family draws the standard layout.
    assert pick_layout("nobody", 76, 130).family == "standard"


def test_without_a_layout_the_standard_one_is_drawn() -> None:
    label = demo_label("standard")
    assert plan_face_sheet(label).layout == "standard"
    assert (
        render_face_sheet(label).tobytes()
        == render_face_sheet(label, layout=load_layouts()[("standard", 76, 130)]).tobytes()
    )


def test_the_docs_show_every_shipped_layout() -> None:
    docs = (SHIPPED_DIR.parent.parent / "docs" / "layouts.md").read_text(encoding="utf-8")
    previews = SHIPPED_DIR.parent.parent / "docs" / "layouts"
    for family, width, height in SHIPPED:
        name = f"{family}_{width}x{height}"
        assert f"layouts/{name}.png" in docs, name
        assert (previews / f"{name}.png").is_file(), name


def test_the_preview_command_draws_every_layout_and_the_sites(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "kerry_76x130.toml").write_text(
        (SHIPPED_DIR / "sf_76x130.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = tmp_path / "previews"
    assert layout_previews.main([str(out), str(site)]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {f"{f}_{w}x{h}.png" for f, w, h in SHIPPED} | {"kerry_76x130.png"}
    kerry = Image.open(out / "kerry_76x130.png")
    assert decoded(kerry).get("Code128") == [layout_previews.demo_label("kerry")["waybill_no"]]


def test_check_config_measures_the_bars_the_renderer_draws() -> None:
    from devices.label_layouts import CHECK_WAYBILL, _check_waybill_modules

    assert _check_waybill_modules() == len(facesheet.code128_modules(CHECK_WAYBILL)) == 189
