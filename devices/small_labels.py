"""Small labels printed from the handheld: a location's Code128 with its code large, and a
carton or pallet's GS1-128 with its SSCC (AI 00) and optionally GTIN (02), count (37),
batch/lot (10) and expiry (17).

Drawn at the printer's label size and resolution, 1-bit, with the face sheet's fonts and
Code128 helpers (devices/facesheet.py); sent with the same `to_escpos`.

GS1-128 per the GS1 General Specifications (5.4.1): FNC1 in first position marks the
symbol as GS1; the fixed-length AIs (00, 02, 17) go first, and an FNC1 ends every
variable-length AI (37, 10) that is not the last element.
"""

from __future__ import annotations

from typing import Any

import barcode
from PIL import Image, ImageDraw, ImageFont

from devices.facesheet import (
    FONT_LOCK,
    LabelError,
    code128_modules,
    label_fonts,
    label_size_px,
)

__all__ = [
    "gs1_element_string",
    "gs1_human_readable",
    "render_carton_label",
    "render_location_label",
    "sscc_check_digit",
]

FNC1 = "\xf1"
QUIET_MODULES = 10  # Code128 needs ten modules of white either side
# AI -> fixed length of its data, None for variable length (with its most characters).
_AIS: dict[str, tuple[int | None, int]] = {
    "00": (18, 18),
    "02": (14, 14),
    "17": (6, 6),
    "37": (None, 8),
    "10": (None, 20),
}
_ORDER = ("00", "02", "17", "37", "10")  # fixed lengths first: fewer FNC1 separators


def sscc_check_digit(first17: str) -> str:
    """The GS1 mod-10 check digit of 17 digits (weights 3, 1, 3, ... from the left)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"an SSCC has 17 digits before its check digit, got {first17!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(first17))
    return str((10 - total % 10) % 10)


def _checked_elements(elements: dict[str, str]) -> list[tuple[str, str]]:
    unknown = sorted(set(elements) - set(_AIS))
    if unknown:
        raise LabelError("LABEL_FIELD_INVALID", f"no such AI here: {unknown}", field="ai")
    if not any(elements.values()):
        raise LabelError("LABEL_FIELD_MISSING", "a GS1-128 needs at least one element")
    out = []
    for ai in _ORDER:
        value = elements.get(ai, "")
        if not value:
            continue
        fixed, longest = _AIS[ai]
        numeric = ai != "10"
        if (fixed is not None and len(value) != fixed) or len(value) > longest:
            raise LabelError("LABEL_FIELD_INVALID", f"AI ({ai}) {value!r}: wrong length", field=ai)
        if numeric and not value.isdigit():
            raise LabelError("LABEL_FIELD_INVALID", f"AI ({ai}) {value!r}: digits only", field=ai)
        if not numeric and not all("!" <= c <= "z" for c in value):
            raise LabelError(
                "LABEL_FIELD_INVALID", f"AI ({ai}) {value!r}: GS1 characters only", field=ai
            )
        out.append((ai, value))
    return out


def gs1_element_string(elements: dict[str, str]) -> str:
    """The symbol's data: AIs and values in order, FNC1 after each variable-length one
    that is followed by another (the leading FNC1 is added by the encoder)."""
    parts = []
    pairs = _checked_elements(elements)
    for i, (ai, value) in enumerate(pairs):
        parts.append(ai + value)
        if _AIS[ai][0] is None and i < len(pairs) - 1:
            parts.append(FNC1)
    return "".join(parts)


def gs1_human_readable(elements: dict[str, str]) -> str:
    """The text under the bars, each AI in brackets: `(00)...(02)...`."""
    return "".join(f"({ai}){value}" for ai, value in _checked_elements(elements))


def gs1_128_modules(elements: dict[str, str]) -> str:
    """GS1-128 bars as '1'/'0' modules (start to stop bar)."""
    data = gs1_element_string(elements)
    try:
        modules: str = barcode.Gs1_128(data).build()[0]
    except Exception as err:  # python-barcode raises several kinds
        raise LabelError("LABEL_FIELD_INVALID", f"cannot encode {data!r}: {err}") from err
    return modules


# ---------------------------------------------------------------------------- drawing


def _draw_bars(
    draw: ImageDraw.ImageDraw, modules: str, *, top: int, height: int, width: int, most: int
) -> int:
    """Bars centred across `width`, each module as many dots as fit (at most `most`);
    returns the module width in dots."""
    module = min(most, width // (len(modules) + 2 * QUIET_MODULES))
    if module < 1:
        raise LabelError(
            "LABEL_SIZE_UNSUPPORTED",
            f"the barcode needs {len(modules) + 2 * QUIET_MODULES} dots; the label has {width}",
        )
    left = (width - module * len(modules)) // 2
    for i, bit in enumerate(modules):
        if bit == "1":
            x = left + i * module
            draw.rectangle((x, top, x + module - 1, top + height - 1), fill=0)
    return module


def _fitting_font(
    text: str, configured: str, width: int, largest: int, bold: bool = False
) -> tuple[ImageFont.FreeTypeFont, int]:
    size = largest
    while True:
        font, stroke = label_fonts(configured).get(size, bold)
        if font.getlength(text) + 2 * stroke <= width or size <= 12:
            return font, stroke
        size = max(12, int(size * 0.9))


def _text(
    draw: ImageDraw.ImageDraw,
    text: str,
    *,
    top: int,
    width: int,
    configured: str,
    largest: int,
    bold: bool = False,
    room: int | None = None,
) -> int:
    """One line of text centred across `width`, as large as fits in `room` (all of the
    width when not given); returns the y under it."""
    font, stroke = _fitting_font(text, configured, room or width, largest, bold)
    box = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    left = (width - (box[2] - box[0])) // 2 - box[0]
    draw.text((left, top - box[1]), text, font=font, fill=0, stroke_width=stroke, stroke_fill=0)
    return top + int(box[3] - box[1])


def _canvas(width_mm: float, height_mm: float, dpi: int) -> tuple[Image.Image, int, int]:
    width, height = label_size_px(width_mm, height_mm, dpi)
    image = Image.new("1", (width, height), 1)
    image.info["dpi"] = (dpi, dpi)
    return image, width, height


def render_location_label(
    payload: dict[str, Any], *, width_mm: float, height_mm: float, dpi: int, font: str = ""
) -> Image.Image:
    """A location's label: its code large, the Code128 of the code, zone and type small."""
    code = str(payload.get("code", "")).strip()
    if not code:
        raise LabelError("LABEL_FIELD_MISSING", "a location label needs its code", field="code")
    modules = code128_modules(code)
    image, width, height = _canvas(width_mm, height_mm, dpi)
    margin = dpi // 10
    inner = width - 2 * margin
    small = f"{payload.get('zone', '')} · {payload.get('type', '')}".strip(" ·")
    with FONT_LOCK:
        draw = ImageDraw.Draw(image)
        y = _text(
            draw,
            code,
            top=margin,
            width=width,
            room=inner,
            configured=font,
            largest=height // 4,
            bold=True,
        )
        y += margin
        # Bars an inch tall at most: a tall label gets the same symbol, not a taller one.
        bars = max(dpi // 4, min(dpi, height - y - margin * 3 - dpi // 6))
        _draw_bars(draw, modules, top=y, height=bars, width=width, most=dpi // 50)
        y += bars + margin
        if small:
            _text(draw, small, top=y, width=width, room=inner, configured=font, largest=dpi // 7)
    return image


def _carton_symbols(elements: dict[str, str], width: int) -> list[dict[str, str]]:
    """One GS1-128 when it fits with modules of two dots or more; else the GS1 logistic
    label's two: the contents on top, the SSCC alone under them (what is scanned most)."""
    modules = gs1_128_modules(elements)
    contents = {ai: value for ai, value in elements.items() if ai != "00" and value}
    if not contents or 2 * (len(modules) + 2 * QUIET_MODULES) <= width:
        return [elements]
    return [contents, {"00": elements["00"]}]


def render_carton_label(
    payload: dict[str, Any], *, width_mm: float, height_mm: float, dpi: int, font: str = ""
) -> Image.Image:
    """A carton or pallet label: what it holds on top, the SSCC large, then the GS1-128
    symbol(s) with the element string in brackets under each."""
    elements = {ai: str(payload.get(key) or "") for ai, key in _PAYLOAD_AIS.items()}
    sscc = elements["00"]
    if len(sscc) != 18:
        raise LabelError("LABEL_FIELD_MISSING", "a carton label needs its SSCC", field="sscc")
    image, width, height = _canvas(width_mm, height_mm, dpi)
    symbols = _carton_symbols(elements, width)
    margin = dpi // 12
    lines = [
        f"{payload.get('unit_label', '')} {payload.get('plan_no', '')}".strip(),
        f"{payload.get('sku', '')} {payload.get('name', '')}".strip(),
    ]
    with FONT_LOCK:
        draw = ImageDraw.Draw(image)
        y = margin
        for line in lines:
            if line:
                y = _text(draw, line, top=y, width=width, configured=font, largest=dpi // 6)
                y += margin
        y = _text(
            draw, f"SSCC {sscc}", top=y, width=width, configured=font, largest=dpi // 5, bold=True
        )
        y += 2 * margin
        text_room = dpi // 8 + 3 * margin
        room = (height - y - margin) // len(symbols) - text_room
        bars = max(dpi // 4, min(dpi, room))
        for symbol in symbols:
            modules = gs1_128_modules(symbol)
            _draw_bars(draw, modules, top=y, height=bars, width=width, most=dpi // 50)
            y += bars + margin
            readable = gs1_human_readable(symbol)
            y = _text(draw, readable, top=y, width=width, configured=font, largest=dpi // 9)
            y += 2 * margin
    return image


# payload key -> AI, as the server writes the payload
_PAYLOAD_AIS = {"00": "sscc", "02": "gtin", "17": "expiry_yymmdd", "37": "count", "10": "lot"}
