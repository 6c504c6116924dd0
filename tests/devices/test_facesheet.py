"""The face sheet renderer: read back by a real decoder (zxing-cpp), masked, refused whole.

Labels are built the way packing builds them (server/outbound/label.py `face_sheet`), then
rendered; the Code128 and the QR are decoded from the PNG preview and from the raster
inside the ESC/POS bytes.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageChops, ImageDraw

from devices import facesheet
from devices.facesheet import (
    LabelError,
    draw_face_sheet,
    find_cjk_font,
    label_size_px,
    plan_face_sheet,
    render_face_sheet,
    to_escpos,
    to_png,
)
from server.outbound.label import face_sheet
from tests.devices.escpos_raster import raster_images

SIZES = [(76, 130), (100, 150)]

RAW_NAME = "张三丰"
RAW_PHONE = "13812345678"
RAW_ADDRESS = "文三路100号华星时代广场A座1201室"


def make_order(waybill: str = "JT5012345678901234567", **label_changes: Any) -> dict[str, Any]:
    label: dict[str, Any] = {
        "recipient": {
            "name": RAW_NAME,
            "phone": RAW_PHONE,
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "address": RAW_ADDRESS,
        },
        "sender": {
            "name": "宁波保税仓",
            "phone": "0574-88886666",
            "province": "浙江省",
            "city": "宁波市",
            "district": "北仑区",
            "address": "保税区港东大道8号3号库",
        },
        "routing": {
            "sort_code": "342-081-00 052",
            "consolidation_point": "杭州转运中心",
            "product_type": "标准快递",
        },
        "remarks": "易碎品 轻拿轻放",
    }
    label.update(label_changes)
    return {
        "courier": "中通快递",
        "waybill_no": waybill,
        "order_no": "SO20241111000123",
        "label": label,
    }


def make_label(waybill: str = "JT5012345678901234567", **label_changes: Any) -> dict[str, Any]:
    return face_sheet(
        make_order(waybill, **label_changes), weight_g=1250, parcel_count=1, day="2024-11-11"
    )


def decoded(image: Image.Image) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image.convert("L")):
        found.setdefault(result.format.name, []).append(result.text)
    return found


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


# ------------------------------------------------------------------- decoding


@pytest.mark.parametrize(("width_mm", "height_mm"), SIZES)
@pytest.mark.parametrize(
    "waybill",
    [
        "JT5012345678901234567",  # 21 characters: letters then an odd run of digits
        "773012345678901234567890",  # 24 digits (Code128 set C)
        "7730" + "1234567890" * 4,  # 44 digits: about the widest that fits at 76 mm
        "SF1234567890",
        "YT2024abc-9x/7+Q",  # lower case and punctuation (set B)
        "0",
    ],
)
def test_barcode_and_qr_decode_from_png_and_escpos(
    width_mm: int, height_mm: int, waybill: str
) -> None:
    label = make_label(waybill)
    image = render_face_sheet(label, width_mm=width_mm, height_mm=height_mm)
    png = png_image(to_png(image))
    (raster,) = raster_images(to_escpos(image))

    for source in (png, raster):
        found = decoded(source)
        assert found.get("Code128") == [waybill]
        assert found.get("QRCode") == [label["qr"]]


def test_bars_are_wide_enough_to_scan() -> None:
    for width_mm, height_mm in SIZES:
        plan = plan_face_sheet(make_label(), width_mm=width_mm, height_mm=height_mm)
        assert plan.module_dots >= 2  # 0.25 mm at 203 dpi
        assert plan.qr_module_dots >= 3
    # A 300 dpi head gets proportionally wider modules.
    plan = plan_face_sheet(make_label("SF1234567890"), dpi=300)
    assert plan.module_dots >= 3


# ------------------------------------------------------------------ the image


@pytest.mark.parametrize(
    ("width_mm", "height_mm", "size"), [(76, 130, (608, 1039)), (100, 150, (800, 1199))]
)
def test_size_in_dots(width_mm: int, height_mm: int, size: tuple[int, int]) -> None:
    assert label_size_px(width_mm, height_mm, 203) == size
    image = render_face_sheet(make_label(), width_mm=width_mm, height_mm=height_mm)
    assert image.size == size
    assert image.mode == "1"
    assert png_image(to_png(image)).info["dpi"] == pytest.approx((203, 203), abs=0.1)


@pytest.mark.parametrize(("width_mm", "height_mm"), SIZES)
def test_png_and_escpos_raster_are_pixel_identical(width_mm: int, height_mm: int) -> None:
    image = render_face_sheet(make_label(), width_mm=width_mm, height_mm=height_mm)
    data = to_escpos(image)
    images = raster_images(data)
    assert len(images) == 1
    assert same_pixels(png_image(to_png(image)), images[0])
    assert same_pixels(image, images[0])
    assert data.startswith(b"\x1b@")  # ESC @: initialise
    # python-escpos sends images taller than 960 dots as bands: stitched back above.
    assert data.count(b"\x1dv0") == 2
    # cut=True adds python-escpos's feed (ESC d 6) and full cut (GS V 0), nothing else.
    assert data == to_escpos(image, cut=False) + b"\x1bd\x06\x1dV\x00"


def test_escpos_bytes_are_what_python_escpos_makes_of_the_image() -> None:
    image = render_face_sheet(make_label())
    printer = Dummy()
    printer.profile.profile_data = {
        **printer.profile.profile_data,
        "media": {"width": {"pixels": image.width}},
    }
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster")  # python-escpos splits at 960 rows itself
    printer.cut()
    assert to_escpos(image) == printer.output


def test_rendering_is_deterministic_and_leaves_the_payload_alone() -> None:
    label = make_label()
    before = copy.deepcopy(label)
    first = render_face_sheet(label)
    assert label == before
    assert first.tobytes() == render_face_sheet(label).tobytes()
    assert first.tobytes() == draw_face_sheet(plan_face_sheet(label)).tobytes()


def test_a_long_address_wraps_onto_several_lines() -> None:
    label = make_label()
    label["recipient"]["address"] = "滨江区" + "长河街道江南大道" * 5 + "3888号1幢1单元2202室"
    plan = plan_face_sheet(label)
    texts = plan.texts()
    body = [t for t in texts if t.startswith("浙江省 杭州市")]
    assert body
    start = texts.index(body[0])
    joined = "".join(texts[start : start + 4])
    assert "3888号1幢1单元2202室" in joined
    assert decoded(render_face_sheet(label)).get("Code128") == [label["waybill_no"]]


# ---------------------------------------------------------------- privacy


def _text_ops(plan: facesheet.FaceSheetPlan) -> list[Any]:
    return [op for op in plan.ops if hasattr(op, "text")]


def _draw_alone(plan: facesheet.FaceSheetPlan, op: Any, text: str) -> Image.Image:
    """One text op drawn alone on a blank label, thresholded like the label is."""
    canvas = Image.new("L", (plan.width, plan.height), 255)
    font, stroke = plan.fonts.get(op.size, op.bold)
    ImageDraw.Draw(canvas).text(
        (op.x, op.y),
        text,
        fill=op.fill,
        font=font,
        anchor=op.anchor,
        stroke_width=stroke,
        stroke_fill=op.fill,
    )
    return canvas.convert("1", dither=Image.Dither.NONE)


def _ink_inside(part: Image.Image, label: Image.Image) -> bool:
    """Every black dot of `part` is black on `label`."""
    part_ink = part.convert("L").point(lambda v: 255 if v == 0 else 0)
    label_ink = label.convert("L").point(lambda v: 255 if v == 0 else 0)
    return ImageChops.subtract(part_ink, label_ink).getbbox() is None


def test_the_label_shows_the_recipient_masked() -> None:
    label = make_label()
    # The payload packing stores is masked (server/outbound/label.py)...
    recipient = label["recipient"]
    assert recipient["name"] == "张*丰"
    assert recipient["phone"] == "138****5678"
    assert recipient["address"].startswith("文三路10") and "*" in recipient["address"]
    stored = repr(label)
    for raw in (RAW_NAME, RAW_PHONE, RAW_ADDRESS):
        assert raw not in stored

    # ...and the renderer prints exactly that, nothing unmasked.
    plan = plan_face_sheet(label)
    texts = plan.texts()
    printed = "\n".join(texts)
    assert "张*丰  138****5678" in texts
    assert recipient["address"] in "".join(texts)
    for raw in (RAW_NAME, RAW_PHONE, RAW_ADDRESS):
        assert raw not in printed

    # Pixel check without OCR: the masked name line is on the label as drawn, the
    # same line with the raw name and phone would not be.
    image = render_face_sheet(label)
    (name_op,) = [op for op in _text_ops(plan) if op.text == "张*丰  138****5678"]
    assert _ink_inside(_draw_alone(plan, name_op, name_op.text), image)
    assert not _ink_inside(_draw_alone(plan, name_op, f"{RAW_NAME}  {RAW_PHONE}"), image)


def test_sender_is_printed_in_full() -> None:
    texts = plan_face_sheet(make_label()).texts()
    assert "宁波保税仓  0574-88886666" in texts


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "waybill",
    [
        "JT中文123456",  # Chinese
        "JT123\x07456",  # control character
        "JT123456\n",  # trailing newline
        "JT 123456",  # space
        "ＪＴ123456",  # full-width letters
        "JT123456é",  # not ASCII
    ],
)
def test_waybill_code128_cannot_carry_is_refused(waybill: str) -> None:
    with pytest.raises(LabelError) as err:
        render_face_sheet(make_label(waybill))
    assert err.value.code == "WAYBILL_NOT_CODE128"
    assert err.value.field == "waybill_no"
    assert "Code128" in err.value.message


def test_waybill_that_is_not_text_is_refused() -> None:
    label = make_label()
    label["waybill_no"] = 1234567890
    with pytest.raises(LabelError) as err:
        render_face_sheet(label)
    assert err.value.code == "WAYBILL_NOT_CODE128"


def test_waybill_too_long_for_a_scannable_barcode() -> None:
    waybill = "AB" * 20  # 40 characters of set B: 46 symbols
    with pytest.raises(LabelError) as err:
        render_face_sheet(make_label(waybill))
    assert err.value.code == "WAYBILL_TOO_LONG"
    # The same number fits at 2 dots per module on a wider label? Not at 100 mm either.
    with pytest.raises(LabelError):
        render_face_sheet(make_label(waybill), width_mm=100, height_mm=150)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda lb: lb.pop("sort_code"), "sort_code"),
        (lambda lb: lb.update(sort_code="  "), "sort_code"),
        (lambda lb: lb.update(waybill_no=""), "waybill_no"),
        (lambda lb: lb.pop("courier"), "courier"),
        (lambda lb: lb["recipient"].update(name=""), "recipient.name"),
        (lambda lb: lb["recipient"].pop("address"), "recipient.address"),
        (lambda lb: lb.pop("recipient"), "recipient.name"),
    ],
)
def test_missing_routing_data_is_refused(change: Any, field: str) -> None:
    label = make_label()
    change(label)
    with pytest.raises(LabelError) as err:
        render_face_sheet(label)
    assert err.value.code == "LABEL_FIELD_MISSING"
    assert err.value.field == field


def test_missing_sort_code_from_the_order_routing() -> None:
    order = make_order()
    order["label"]["routing"]["sort_code"] = ""
    label = face_sheet(order, weight_g=800, parcel_count=1, day="2024-11-11")
    with pytest.raises(LabelError) as err:
        plan_face_sheet(label)
    assert err.value.code == "LABEL_FIELD_MISSING"


@pytest.mark.parametrize(("width_mm", "height_mm"), SIZES)
def test_overlong_address_is_refused_whole(width_mm: int, height_mm: int) -> None:
    label = make_label()
    label["recipient"]["address"] = "文三路" * 166 + "1号"  # 500 characters
    assert len(label["recipient"]["address"]) == 500
    with pytest.raises(LabelError) as err:
        render_face_sheet(label, width_mm=width_mm, height_mm=height_mm)
    assert err.value.code == "LABEL_TEXT_TOO_LONG"
    assert err.value.field == "recipient.address"


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("sort_code", "342-081-00 052 " * 4, "sort_code"),
        ("remarks", "易碎品轻拿轻放" * 40, "remarks"),
        ("qr", "X" * 1500, "qr"),
        ("courier", "中通快递" * 10, "courier"),  # the courier has its own box
    ],
)
def test_other_overlong_text_is_refused(key: str, value: str, field: str) -> None:
    label = make_label()
    label[key] = value
    with pytest.raises(LabelError) as err:
        plan_face_sheet(label)
    assert err.value.code == "LABEL_TEXT_TOO_LONG"
    assert err.value.field == field


def test_bad_numbers_and_sizes_are_refused() -> None:
    label = make_label()
    label["weight_g"] = "1.2kg"
    with pytest.raises(LabelError) as err:
        plan_face_sheet(label)
    assert err.value.code == "LABEL_FIELD_INVALID"
    with pytest.raises(LabelError) as err:
        plan_face_sheet(make_label(), width_mm=50, height_mm=30)
    assert err.value.code == "LABEL_SIZE_UNSUPPORTED"


# ------------------------------------------------------------------- fonts


@pytest.fixture
def fresh_font_cache() -> Any:
    facesheet.find_cjk_font.cache_clear()
    facesheet._fonts.cache_clear()
    yield
    facesheet.find_cjk_font.cache_clear()
    facesheet._fonts.cache_clear()


def test_a_missing_configured_font_is_refused(tmp_path: Path, fresh_font_cache: Any) -> None:
    missing = str(tmp_path / "NoSuchFont.ttc")
    with pytest.raises(LabelError) as err:
        find_cjk_font(missing)
    assert err.value.code == "FONT_NOT_FOUND"
    assert "fonts-noto-cjk" in err.value.message
    with pytest.raises(LabelError) as err:
        render_face_sheet(make_label(), font=missing)
    assert err.value.code == "FONT_NOT_FOUND"


def test_a_configured_font_without_chinese_is_refused(fresh_font_cache: Any) -> None:
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.is_file():
        pytest.skip("DejaVu Sans is not installed")
    with pytest.raises(LabelError) as err:
        find_cjk_font(str(latin))
    assert err.value.code == "FONT_NOT_FOUND"
    assert "cannot draw Chinese" in err.value.message


def test_the_configured_font_is_used(fresh_font_cache: Any) -> None:
    system = find_cjk_font()
    assert find_cjk_font(str(system)) == system
    plan = plan_face_sheet(make_label(), font=str(system))
    assert plan.fonts.regular == system


def test_no_chinese_font_on_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_font_cache: Any
) -> None:
    monkeypatch.setattr(facesheet.shutil, "which", lambda name: None)
    monkeypatch.setattr(facesheet, "FONT_DIRS", (tmp_path,))
    with pytest.raises(LabelError) as err:
        find_cjk_font()
    assert err.value.code == "FONT_NOT_FOUND"
    assert "fonts-noto-cjk" in err.value.message


def test_fallback_search_without_fontconfig(
    monkeypatch: pytest.MonkeyPatch, fresh_font_cache: Any
) -> None:
    in_font_dirs = [
        path
        for folder in facesheet.FONT_DIRS
        for path in folder.glob("**/*")
        if path.suffix.lower() in {".ttc", ".ttf", ".otf"} and facesheet._has_cjk(path)
    ]
    if not in_font_dirs:
        pytest.skip("the CJK font here is not under /usr/share/fonts")
    monkeypatch.setattr(facesheet.shutil, "which", lambda name: None)
    found = find_cjk_font()
    assert found in in_font_dirs
