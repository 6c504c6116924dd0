"""The handover record (交接单) as a thermal slip for the driver: the truck, the driver,
the seal, the count and weight, the handover number as Code128, the waybills (or, on a
long list, a pointer to the A4 record) and two signature lines.

Drawn like the face sheet: one 1-bit image at the printer's width and resolution, as long
as it needs to be, with the same CJK font.
"""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from devices.facesheet import FONT_LOCK, code128_modules, label_fonts, label_size_px

MAX_LISTED_WAYBILLS = 60


def mask_id(number: str) -> str:
    """440305199003071234 -> 440305********1234."""
    return number[:6] + "********" + number[-4:] if len(number) == 18 else number


def mask_phone(phone: str) -> str:
    """13800138000 -> 138****8000."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def slip_lines(record: dict[str, Any]) -> list[tuple[str, bool]]:
    """The slip's text, line by line, (text, bold)."""
    plates = record["plate"] + (f" / {record['second_plate']}" if record["second_plate"] else "")
    weight_kg = record["loaded_weight_g"] / 1000
    lines = [
        (f"装载单 {record['list_no']}", False),
        (f"车牌 {plates}", True),
        (f"司机 {record['driver_name']}  {mask_phone(record['driver_phone'])}", False),
        (f"身份证 {mask_id(record['driver_id'])}", False),
        (f"封条 {record['seal_no']}", True),
        (f"承运 {record['carrier'] or '-'}  道口 {record['door'] or '-'}", False),
        (f"离场 {record.get('departed_local') or record['departed_at']}", False),
        (f"件数 {len(record['parcels'])}  重量 {weight_kg:.2f} kg", True),
    ]
    if len(record["parcels"]) <= MAX_LISTED_WAYBILLS:
        lines += [(f"{n}. {p['waybill_no']}", False) for n, p in enumerate(record["parcels"], 1)]
    else:
        lines.append((f"运单明细见 A4 交接单（{len(record['parcels'])} 件）", False))
    lines += [
        ("", False),
        ("仓库签字 ________________", False),
        ("司机签字 ________________", False),
    ]
    return lines


def render_handover_slip(
    record: dict[str, Any], *, width_mm: int = 76, dpi: int = 203, font: str = ""
) -> Image.Image:
    width, _ = label_size_px(width_mm, 10, dpi)
    margin = width // 24
    with FONT_LOCK:
        fonts = label_fonts(font)
        title, title_stroke = fonts.get(width // 14, True)
        body = [fonts.get(width // 22, bold) for bold in (False, True)]
        modules = code128_modules(record["handover_no"])
        module = max(2, (width - 2 * margin) // (len(modules) + 20))
        bars_height = width // 7
        line_height = width // 22 + width // 60
        lines = slip_lines(record)
        height = margin * 3 + width // 12 + bars_height + line_height * (len(lines) + 2)
        canvas = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(canvas)
        y = margin
        draw.text(
            (width // 2, y),
            "出库交接单",
            font=title,
            anchor="mt",
            fill=0,
            stroke_width=title_stroke,
            stroke_fill=0,
        )
        y += width // 12
        x = (width - len(modules) * module) // 2
        for n, bit in enumerate(modules):
            if bit == "1":
                draw.rectangle(
                    (x + n * module, y, x + (n + 1) * module - 1, y + bars_height), fill=0
                )
        y += bars_height + margin // 2
        font_regular, _ = body[0]
        draw.text((width // 2, y), record["handover_no"], font=font_regular, anchor="mt", fill=0)
        y += line_height + margin // 2
        for text, bold in lines:
            face, stroke = body[1] if bold else body[0]
            draw.text((margin, y), text, font=face, fill=0, stroke_width=stroke, stroke_fill=0)
            y += line_height
    image = canvas.convert("1", dither=Image.Dither.NONE)
    image.info["dpi"] = (dpi, dpi)
    return image
