"""Face sheet (电子面单) renderer: a layout drawn, a PNG preview and ESC/POS bytes.

The label is drawn as a 1-bit image with a CJK font (Chinese prints the same on any
ESC/POS printer, whatever code pages it knows), then sent as a `GS v 0` raster made by
python-escpos. The PNG preview and the raster carry the same pixels.

What goes where is data: a layout per courier family and label size
(devices/label_layouts.py, the files in devices/layouts/). The `standard` layout is the
one every courier got before (domain.md, "Face sheet"): header (courier, product type,
date); the waybill number as Code128 with its text under it; the sort code (大头笔) in
big characters; the consolidation point (集包地) beside the QR code; recipient (收) and
sender (寄); order number, weight, parcel count, remarks and the 已验视 mark.

`plan_face_sheet` checks everything and lays the label out without drawing, so a bad
label is refused with a `LabelError` (a stable `code`) and never half drawn;
`render_face_sheet` paints a plan. The renderer prints what it is given: masking the
recipient is the caller's job (the server's `outbound/label.py`).

A library module: it never imports `server/`.
"""

from __future__ import annotations

import functools
import io
import shutil
import string
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import barcode
import qrcode
from barcode.charsets import code128 as code128_tables
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from devices.label_layouts import (
    BoxElement,
    Code128Element,
    Layout,
    QrElement,
    RuleElement,
    TextElement,
    pick_layout,
    template_fields,
)

__all__ = [
    "FaceSheetPlan",
    "LabelError",
    "draw_face_sheet",
    "find_cjk_font",
    "label_size_px",
    "plan_face_sheet",
    "render_face_sheet",
    "to_escpos",
    "to_png",
]

FONT_HELP = (
    "install a CJK font (Debian/Ubuntu: `apt-get install fonts-noto-cjk`) "
    "or set `font` on the printer in the config ([[printers]] font = '/path/to/font.ttc')"
)

#: Where to look for a CJK font when fontconfig's `fc-match` is not installed.
FONT_DIRS: tuple[Path, ...] = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_FONT_GLOBS = (
    "**/Noto*CJK*SC*",
    "**/Noto*Sans*CJK*",
    "**/Noto*CJK*",
    "**/wqy*",
    "**/*DroidSansFallback*",
)
_FONT_SUFFIXES = {".ttf", ".ttc", ".otf", ".otc"}

# The cached FreeType faces are shared: lay out and draw one label at a time.
_FONT_LOCK = threading.RLock()


class LabelError(ValueError):
    """A face sheet that cannot be printed correctly.

    `code` is stable (for the API and the printer station), `message` says what is wrong
    in words, `field` names the label field at fault when there is one.

    Codes: WAYBILL_NOT_CODE128, WAYBILL_TOO_LONG, LABEL_FIELD_MISSING,
    LABEL_FIELD_INVALID, LABEL_TEXT_TOO_LONG, LABEL_SIZE_UNSUPPORTED, FONT_NOT_FOUND.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# ---------------------------------------------------------------------------- fonts


def _run_fc_match() -> Path | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}\t%{lang}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    file, _, langs = out.stdout.partition("\t")
    # fc-match always answers with its best match, even a font with no Chinese at all.
    if "zh-cn" not in langs.split("|"):
        return None
    path = Path(file.strip())
    return path if path.is_file() else None


def _system_font_candidates() -> list[Path]:
    found: list[Path] = []
    matched = _run_fc_match()
    if matched is not None:
        found.append(matched)
    for folder in FONT_DIRS:
        if not folder.is_dir():
            continue
        for pattern in _FONT_GLOBS:
            for path in sorted(folder.glob(pattern)):
                if path.suffix.lower() in _FONT_SUFFIXES and path not in found:
                    # Regular weights first: Bold/Light siblings are found by name later.
                    found.append(path)
    regular = [p for p in found if "bold" not in p.name.lower() and "light" not in p.name.lower()]
    return regular + [p for p in found if p not in regular]


@functools.lru_cache(maxsize=64)
def _face_index(path: Path) -> int:
    """The face to use in a collection (.ttc): the Simplified Chinese one if there is one."""
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return 0
    for index in range(32):
        try:
            family = ImageFont.truetype(str(path), 16, index=index).getname()[0] or ""
        except OSError:
            break
        if any(tag in family.split() for tag in ("SC", "CN", "GB")):
            return index
    return 0


@functools.lru_cache(maxsize=64)
def _has_cjk(path: Path) -> bool:
    """Whether the font draws Chinese: two different characters give two different shapes
    (a font without them draws the same .notdef box for both)."""
    try:
        font = ImageFont.truetype(str(path), 32, index=_face_index(path))
    except OSError:
        return False

    def shape(char: str) -> bytes:
        image = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(image).text((8, 4), char, font=font, fill=255)
        return image.tobytes()

    first, second = shape("收"), shape("寄")
    return any(first) and first != second


@functools.lru_cache(maxsize=16)
def find_cjk_font(configured: str = "") -> Path:
    """The font the labels are drawn with.

    `configured` (the printer's `font` setting) wins and must exist and draw Chinese;
    else fontconfig's best font for `zh-cn`, else a Noto CJK / WenQuanYi / Droid
    fallback font under /usr/share/fonts. Raises LabelError FONT_NOT_FOUND.
    """
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise LabelError(
                "FONT_NOT_FOUND",
                f"the configured label font {configured!r} does not exist: {FONT_HELP}",
                field="font",
            )
        if not _has_cjk(path):
            raise LabelError(
                "FONT_NOT_FOUND",
                f"the configured label font {configured!r} cannot draw Chinese: {FONT_HELP}",
                field="font",
            )
        return path
    for path in _system_font_candidates():
        if _has_cjk(path):
            return path
    raise LabelError("FONT_NOT_FOUND", f"no font with Chinese characters found: {FONT_HELP}")


@functools.lru_cache(maxsize=256)
def _truetype(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, index=index)


@dataclass(frozen=True)
class _Fonts:
    regular: Path
    bold: Path | None  # None: draw bold with a stroke of the regular face

    def get(self, size: int, bold: bool) -> tuple[ImageFont.FreeTypeFont, int]:
        """(font, stroke width) for a size in dots."""
        if bold and self.bold is not None:
            return _truetype(self.bold, _face_index(self.bold), size), 0
        font = _truetype(self.regular, _face_index(self.regular), size)
        return font, (max(1, size // 24) if bold else 0)


@functools.lru_cache(maxsize=16)
def _fonts(configured: str) -> _Fonts:
    regular = find_cjk_font(configured)
    bold: Path | None = None
    for old, new in (("Regular", "Bold"), ("regular", "bold"), ("-R.", "-B.")):
        if old in regular.name:
            candidate = regular.with_name(regular.name.replace(old, new))
            if candidate.is_file() and _has_cjk(candidate):
                bold = candidate
            break
    return _Fonts(regular, bold)


def cjk_font_faces(configured: str = "") -> tuple[tuple[Path, int], tuple[Path, int] | None]:
    """(file, face index) of the label font and of its bold sibling (None without one): the
    PDF documents embed the same faces, and a collection (.ttc) needs the index."""
    fonts = _fonts(configured)
    bold = None if fonts.bold is None else (fonts.bold, _face_index(fonts.bold))
    return (fonts.regular, _face_index(fonts.regular)), bold


# The handover slip draws with the same fonts and Code128 (devices/handover_slip.py).
FONT_LOCK = _FONT_LOCK


def label_fonts(configured: str = "") -> _Fonts:
    return _fonts(configured)


def code128_modules(text: str) -> str:
    """Code128 bars of a printable-ASCII text, checked by decoding them back."""
    return _waybill_modules(text)


# -------------------------------------------------------------------------- Code128


def _waybill_modules(waybill: str) -> str:
    """The Code128 bars of the waybill number as '1'/'0' modules (start to stop bar).

    The symbols come from python-barcode; they are decoded back here and must give the
    number again (a barcode differing from the waybill is a compliance defect).
    """
    for pos, char in enumerate(waybill):
        if not ("!" <= char <= "~"):
            raise LabelError(
                "WAYBILL_NOT_CODE128",
                f"waybill number {waybill!r} has {char!r} (U+{ord(char):04X}) at position "
                f"{pos + 1}: a Code128 label carries printable ASCII only (no spaces, "
                "no Chinese, no control characters)",
                field="waybill_no",
            )
    try:
        modules = barcode.Code128(waybill).build()[0]
    except Exception as err:  # python-barcode raises several kinds
        raise LabelError(
            "WAYBILL_NOT_CODE128",
            f"waybill number {waybill!r} cannot be encoded as Code128: {err}",
            field="waybill_no",
        ) from err
    decoded = _decode_code128(modules)
    if decoded != waybill:
        raise LabelError(
            "WAYBILL_NOT_CODE128",
            f"the Code128 built for waybill {waybill!r} reads back as {decoded!r}",
            field="waybill_no",
        )
    return modules


_PATTERN_VALUES = {pattern: value for value, pattern in enumerate(code128_tables.CODES)}


def _decode_code128(modules: str) -> str | None:
    """Read a module string back (the subset python-barcode writes: sets A/B/C, no FNC)."""
    stop = code128_tables.STOP + "11"
    if not modules.endswith(stop) or (len(modules) - len(stop)) % 11:
        return None
    body = modules[: -len(stop)]
    values = [_PATTERN_VALUES.get(body[i : i + 11]) for i in range(0, len(body), 11)]
    if len(values) < 2 or any(v is None for v in values):
        return None
    checked = [v for v in values if v is not None]
    *data, checksum = checked
    if (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103 != checksum:
        return None
    charset = {103: "A", 104: "B", 105: "C"}.get(data[0])
    out: list[str] = []
    for value in data[1:]:
        if charset is None:
            return None
        if charset == "C":
            if value < 100:
                out.append(f"{value:02d}")
            elif value in (100, 101):
                charset = "B" if value == 100 else "A"
            else:
                return None
        elif value < 96:
            if charset == "B":
                out.append(chr(value + 32))
            else:
                out.append(chr(value + 32) if value < 64 else chr(value - 64))
        elif value == 99:
            charset = "C"
        elif (charset, value) in (("A", 100), ("B", 101)):
            charset = "B" if value == 100 else "A"
        else:
            return None  # SHIFT / FNC: never written for a waybill
    return "".join(out)


# ---------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _Text:
    x: int
    y: int
    text: str
    size: int
    bold: bool
    anchor: str  # Pillow text anchor, e.g. "lm", "mm", "rm"
    fill: int = 0


@dataclass(frozen=True)
class _Rect:
    box: tuple[int, int, int, int]
    fill: int | None
    outline: int | None = None
    width: int = 0
    radius: int = 0


@dataclass(frozen=True)
class _Bitmap:
    x: int
    y: int
    image: Image.Image  # mode "L", 0 = black


_Op = _Text | _Rect | _Bitmap


@dataclass(frozen=True)
class FaceSheetPlan:
    """A checked, laid-out face sheet: what `render_face_sheet` paints."""

    width: int
    height: int
    dpi: int
    ops: tuple[_Op, ...]
    fonts: _Fonts
    module_dots: int  # width of one Code128 module in dots (the narrowest barcode's)
    qr_module_dots: int  # 0 when the label has no QR content
    layout: str = "standard"  # the layout family drawn

    def texts(self) -> list[str]:
        """Every string the label prints, top to bottom."""
        return [op.text for op in self.ops if isinstance(op, _Text)]


def label_size_px(width_mm: float, height_mm: float, dpi: int) -> tuple[int, int]:
    """Label size in dots: the width rounded up to whole raster bytes (8 dots), so the
    ESC/POS raster has no padding and equals the PNG; e.g. 76×130 mm at 203 dpi is
    608×1039, 100×150 mm is 800×1199."""
    width = round(width_mm * dpi / 25.4)
    return (width + 7) // 8 * 8, round(height_mm * dpi / 25.4)


def _clean(value: Any) -> str:
    """One line of printable text: whitespace runs become one space, control chars go."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return "".join(c for c in text if c.isprintable())


@dataclass(frozen=True)
class _Party:
    name: str
    phone: str
    region: str
    address: str


@dataclass(frozen=True)
class _Fields:
    courier: str
    product_type: str
    date: str
    waybill_no: str
    sort_code: str
    consolidation_point: str
    qr: str
    recipient: _Party
    sender: _Party
    order_no: str
    weight_g: int | None
    parcel_count: int | None
    remarks: str
    checked_mark: str


def _party(label: dict[str, Any], key: str, required: bool) -> _Party:
    raw = label.get(key)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise LabelError("LABEL_FIELD_INVALID", f"{key} must be an object", field=key)
    party = _Party(*(_clean(raw.get(k)) for k in ("name", "phone", "region", "address")))
    if required:
        for attr in ("name", "address"):
            if not getattr(party, attr):
                raise LabelError(
                    "LABEL_FIELD_MISSING",
                    f"the face sheet has no {key} {attr}",
                    field=f"{key}.{attr}",
                )
    return party


def _optional_int(label: dict[str, Any], key: str) -> int | None:
    value = label.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LabelError(
            "LABEL_FIELD_INVALID", f"{key} must be a whole number ≥ 0, not {value!r}", field=key
        )
    return value


def _fields(label: dict[str, Any]) -> _Fields:
    if not isinstance(label, dict):
        raise LabelError("LABEL_FIELD_INVALID", "the face sheet payload must be an object")
    waybill = label.get("waybill_no")
    if waybill is None or waybill == "":
        raise LabelError(
            "LABEL_FIELD_MISSING", "the face sheet has no waybill number", field="waybill_no"
        )
    if not isinstance(waybill, str):
        raise LabelError(
            "WAYBILL_NOT_CODE128",
            f"waybill number must be text, not {type(waybill).__name__}",
            field="waybill_no",
        )
    for key, what in (("sort_code", "sort code (大头笔)"), ("courier", "courier")):
        if not _clean(label.get(key)):
            raise LabelError("LABEL_FIELD_MISSING", f"the face sheet has no {what}", field=key)
    qr = label.get("qr")
    return _Fields(
        courier=_clean(label.get("courier")),
        product_type=_clean(label.get("product_type")),
        date=_clean(label.get("date")),
        waybill_no=waybill,
        sort_code=_clean(label.get("sort_code")),
        consolidation_point=_clean(label.get("consolidation_point")),
        qr="" if qr is None else str(qr),
        recipient=_party(label, "recipient", required=True),
        sender=_party(label, "sender", required=False),
        order_no=_clean(label.get("order_no")),
        weight_g=_optional_int(label, "weight_g"),
        parcel_count=_optional_int(label, "parcel_count"),
        remarks=_clean(label.get("remarks")),
        checked_mark=_clean(label.get("checked_mark")),
    )


def _tokens(text: str) -> list[str]:
    """Break points for wrapping: Latin words and numbers stay whole, CJK breaks anywhere."""
    out: list[str] = []
    word = ""
    for char in text:
        if (char.isascii() and char.isalnum()) or (word and char in "-_./#"):
            word += char
            continue
        if word:
            out.append(word)
            word = ""
        out.append(char)
    if word:
        out.append(word)
    return out


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str] | None:
    """Greedy line breaking; None when it takes more than `max_lines` lines (or a single
    character is wider than the line)."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if len(lines) > max_lines:
            return None
        candidate = line + token
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = token.lstrip()
        if font.getlength(line) > width:
            # A very long word/number: break it by characters.
            chunk = ""
            for char in line:
                if font.getlength(chunk + char) > width:
                    if not chunk:
                        return None
                    lines.append(chunk)
                    chunk = ""
                chunk += char
            line = chunk
    if line.strip():
        lines.append(line.rstrip())
    return lines if len(lines) <= max_lines else None


class _Layout:
    """Draws a layout's elements into a list of ops, in dots at the printer's resolution."""

    def __init__(self, fonts: _Fonts, width: int, height: int, dpi: int):
        self.fonts = fonts
        self.W, self.H, self.dpi = width, height, dpi
        self.ops: list[_Op] = []
        self.rule = max(2, self.dots(0.3))

    def dots(self, mm: float) -> int:
        """Millimetres to dots."""
        return round(mm * self.dpi / 25.4)

    def font(self, size: int, bold: bool = False) -> tuple[ImageFont.FreeTypeFont, int]:
        return self.fonts.get(size, bold)

    def length(self, text: str, size: int, bold: bool = False) -> float:
        font, stroke = self.font(size, bold)
        return font.getlength(text) + 2 * stroke

    def fit_line(
        self, text: str, width: int, size: int, min_size: int, bold: bool, field: str
    ) -> int:
        """The biggest size ≤ `size` at which `text` fits on one line of `width`."""
        while size >= min_size:
            if self.length(text, size, bold) <= width:
                return size
            size -= 1
        raise LabelError(
            "LABEL_TEXT_TOO_LONG",
            f"{field} {text!r} does not fit on one line of the label",
            field=field,
        )

    def fit_block(
        self,
        text: str,
        width: int,
        height: int,
        size: int,
        min_size: int,
        bold: bool,
        field: str,
        max_lines: int = 99,
    ) -> tuple[int, int, list[str]]:
        """(size, line height, lines) of the biggest size ≤ `size` that fits the box."""
        while size >= min_size:
            line_h = round(size * 1.25)
            font, stroke = self.font(size, bold)
            lines = _wrap(text, font, width - 2 * stroke, min(max_lines, height // line_h))
            if lines is not None:
                return size, line_h, lines
            size -= 1
        raise LabelError(
            "LABEL_TEXT_TOO_LONG",
            f"{field} is too long for the label ({len(text)} characters)",
            field=field,
        )

    def box(self, el: Any) -> tuple[int, int, int, int]:
        """An element's box in dots: x, y, width, height."""
        return self.dots(el.x), self.dots(el.y), self.dots(el.w), self.dots(el.h)

    # --------------------------------------------------------------- elements

    def draw_text(self, el: TextElement, values: dict[str, str]) -> None:
        if el.show_if and not values[el.show_if]:
            return
        names = template_fields(el.text)
        if names and not any(values[name] for name in names):
            return  # nothing to say: no caption without its value
        text = _fill(el.text, values).strip()
        if not text:
            return
        field = el.field or (names[0] if names else "layout")
        x, y, w, h = self.box(el)
        pad = self.dots(0.8) if el.style != "plain" else 0
        size = max(1, self.dots(el.size))
        min_size = max(1, self.dots(el.min_size or el.size * 0.7))
        fill = 255 if el.style == "inverse" else 0
        if el.style == "inverse":
            self.ops.append(_Rect((x, y, x + w, y + h), fill=0, radius=self.dots(1.0)))
        elif el.style == "outline":
            self.ops.append(_Rect((x, y, x + w, y + h), fill=None, outline=0, width=self.rule))
        anchor_x = {"left": x + pad, "center": x + w // 2, "right": x + w - pad}[el.align]
        anchor = {"left": "l", "center": "m", "right": "r"}[el.align]
        if el.lines == 1:
            fit = self.fit_line(text, w - 2 * pad, size, min_size, el.bold, field)
            self.ops.append(_Text(anchor_x, y + h // 2, text, fit, el.bold, anchor + "m", fill))
            return
        fit, line_h, lines = self.fit_block(
            text, w - 2 * pad, h, size, min_size, el.bold, field, max_lines=el.lines
        )
        for i, line in enumerate(lines):
            self.ops.append(
                _Text(
                    anchor_x, y + i * line_h + line_h // 2, line, fit, el.bold, anchor + "m", fill
                )
            )

    def draw_code128(self, el: Code128Element, values: dict[str, str]) -> int:
        """Bars centred in the element, the widest module (0.25-0.5 mm, at least 2 dots)
        that fits with a quiet zone of 10 modules on the label. Returns the module."""
        text = _fill(el.text, values)
        modules = _waybill_modules(text)
        x, y, w, h = self.box(el)
        module = 0
        for m in range(max(2, self.dots(0.5)), max(2, self.dots(0.25)) - 1, -1):
            left = x + (w - len(modules) * m) // 2
            if (
                len(modules) * m <= w
                and left >= 10 * m
                and left + len(modules) * m + 10 * m <= self.W
            ):
                module = m
                break
        if not module:
            raise LabelError(
                "WAYBILL_TOO_LONG",
                f"waybill number {text!r} ({len(text)} characters) is too long for a "
                f"scannable Code128 {el.w:g} mm wide",
                field="waybill_no",
            )
        row = Image.frombytes(
            "L", (len(modules), 1), bytes(0 if c == "1" else 255 for c in modules)
        )
        bars = row.resize((len(modules) * module, h), Image.Resampling.NEAREST)
        self.ops.append(_Bitmap(x + (w - bars.width) // 2, y, bars))
        if el.human_readable:
            size = self.fit_line(
                text, w, self.dots(el.text_size), self.dots(el.text_size * 0.7), True, "waybill_no"
            )
            text_y = y + h + self.dots(0.6) + round(size * 0.6)
            self.ops.append(_Text(x + w // 2, text_y, text, size, True, "mm"))
        return module

    def draw_qr(self, el: QrElement, values: dict[str, str]) -> int:
        content = _fill(el.text, values)
        if not content:
            return 0
        side = self.dots(el.size)
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0
        )
        code.add_data(content)
        try:
            code.make(fit=True)
        except Exception as err:  # qrcode's DataOverflowError and kin
            raise LabelError(
                "LABEL_TEXT_TOO_LONG",
                f"the QR content cannot be encoded ({len(content)} characters): {err}",
                field="qr",
            ) from err
        matrix = code.get_matrix()
        n = len(matrix)
        qr_module = side // (n + 8)  # 4 modules of quiet zone on each side
        if qr_module < max(2, self.dots(0.33)):
            raise LabelError(
                "LABEL_TEXT_TOO_LONG",
                f"the QR content is too long for the label ({len(content)} characters)",
                field="qr",
            )
        raw = bytes(0 if cell else 255 for line in matrix for cell in line)
        image = Image.frombytes("L", (n, n), raw).resize(
            (n * qr_module, n * qr_module), Image.Resampling.NEAREST
        )
        x, y = self.dots(el.x), self.dots(el.y)
        self.ops.append(
            _Bitmap(x + (side - image.width) // 2, y + (side - image.height) // 2, image)
        )
        return qr_module

    def draw_rule(self, el: RuleElement) -> None:
        x, y, w = self.dots(el.x), self.dots(el.y), self.dots(el.w)
        thick = max(2, self.dots(el.h))
        right = min(x + w, self.W) - 1
        if not el.dashed:
            self.ops.append(_Rect((x, y, right, y + thick - 1), fill=0))
            return
        dash = self.dots(2.0)
        for start in range(x, right, 2 * dash):
            self.ops.append(_Rect((start, y, min(start + dash, right), y + thick - 1), fill=0))

    def draw_box(self, el: BoxElement) -> None:
        x, y, w, h = self.box(el)
        line = max(2, self.dots(el.line)) if el.line else 0
        self.ops.append(
            _Rect(
                (x, y, min(x + w, self.W - 1), min(y + h, self.H - 1)),
                fill=0 if el.fill else None,
                outline=0 if line else None,
                width=line,
                radius=self.dots(el.radius),
            )
        )


def _values(f: _Fields) -> dict[str, str]:
    """Every template field as text."""
    values = {
        "courier": f.courier,
        "product_type": f.product_type,
        "date": f.date,
        "waybill_no": f.waybill_no,
        "sort_code": f.sort_code,
        "consolidation_point": f.consolidation_point,
        "qr": f.qr,
        "order_no": f.order_no,
        "weight_g": "" if f.weight_g is None else str(f.weight_g),
        "weight_kg": "" if f.weight_g is None else f"{f.weight_g / 1000:.3f}",
        "parcel_count": "" if f.parcel_count is None else str(f.parcel_count),
        "remarks": f.remarks,
        "checked_mark": f.checked_mark,
    }
    for key, party in (("recipient", f.recipient), ("sender", f.sender)):
        for part in ("name", "phone", "region", "address"):
            values[f"{key}.{part}"] = getattr(party, part)
    return values


def _fill(template: str, values: dict[str, str]) -> str:
    """A template with its fields filled in ("{recipient.name}" is one field's name)."""
    return "".join(
        literal + (values[name] if name is not None else "")
        for literal, name, _, _ in string.Formatter().parse(template)
    )


def plan_face_sheet(
    label: dict[str, Any],
    *,
    width_mm: int = 76,
    height_mm: int = 130,
    dpi: int = 203,
    font: str = "",
    layout: Layout | None = None,
) -> FaceSheetPlan:
    """Check a face-sheet payload and lay it out, drawing nothing.

    `layout` is what to draw (devices/label_layouts.py), stretched to the label size when
    it was made for another; None draws the `standard` layout.

    Raises LabelError: WAYBILL_NOT_CODE128 / WAYBILL_TOO_LONG, LABEL_FIELD_MISSING,
    LABEL_FIELD_INVALID, LABEL_TEXT_TOO_LONG, LABEL_SIZE_UNSUPPORTED, FONT_NOT_FOUND.
    """
    with _FONT_LOCK:
        return _plan(label, width_mm, height_mm, dpi, font, layout)


def _plan(
    label: dict[str, Any],
    width_mm: int,
    height_mm: int,
    dpi: int,
    font: str,
    layout: Layout | None,
) -> FaceSheetPlan:
    fields = _fields(label)
    _waybill_modules(fields.waybill_no)  # a waybill Code128 cannot carry is refused first
    if not (150 <= dpi <= 600) or width_mm < 70 or height_mm < 100:
        raise LabelError(
            "LABEL_SIZE_UNSUPPORTED",
            f"a face sheet needs at least 70×100 mm at 150-600 dpi, not "
            f"{width_mm}×{height_mm} mm at {dpi} dpi",
            field="size",
        )
    if layout is None:
        layout = pick_layout("standard", width_mm, height_mm)
    layout = layout.scaled_to(width_mm, height_mm)
    width, height = label_size_px(width_mm, height_mm, dpi)
    fonts = _fonts(font)
    lay = _Layout(fonts, width, height, dpi)
    values = _values(fields)
    module_dots: list[int] = []
    qr_module = 0
    for el in layout.elements:
        if isinstance(el, TextElement):
            lay.draw_text(el, values)
        elif isinstance(el, Code128Element):
            module_dots.append(lay.draw_code128(el, values))
        elif isinstance(el, QrElement):
            qr_module = lay.draw_qr(el, values) or qr_module
        elif isinstance(el, RuleElement):
            lay.draw_rule(el)
        else:
            lay.draw_box(el)
    return FaceSheetPlan(
        width, height, dpi, tuple(lay.ops), fonts, min(module_dots), qr_module, layout.family
    )


def draw_face_sheet(plan: FaceSheetPlan) -> Image.Image:
    """Paint a plan: a 1-bit image (mode "1", black = printed dot)."""
    with _FONT_LOCK:
        return _draw(plan)


def _draw(plan: FaceSheetPlan) -> Image.Image:
    canvas = Image.new("L", (plan.width, plan.height), 255)
    draw = ImageDraw.Draw(canvas)
    for op in plan.ops:
        if isinstance(op, _Text):
            font, stroke = plan.fonts.get(op.size, op.bold)
            draw.text(
                (op.x, op.y),
                op.text,
                fill=op.fill,
                font=font,
                anchor=op.anchor,
                stroke_width=stroke,
                stroke_fill=op.fill,
            )
        elif isinstance(op, _Rect):
            if op.radius:
                draw.rounded_rectangle(
                    op.box, op.radius, fill=op.fill, outline=op.outline, width=op.width
                )
            else:
                draw.rectangle(op.box, fill=op.fill, outline=op.outline, width=op.width)
        else:
            canvas.paste(op.image, (op.x, op.y))
    # Thermal heads print dots, not greys: threshold (no dithering) to 1 bit.
    image = canvas.convert("1", dither=Image.Dither.NONE)
    image.info["dpi"] = (plan.dpi, plan.dpi)
    return image


def render_face_sheet(
    label: dict[str, Any],
    *,
    width_mm: int = 76,
    height_mm: int = 130,
    dpi: int = 203,
    font: str = "",
    layout: Layout | None = None,
) -> Image.Image:
    """The face sheet as a 1-bit image (mode "1", black = printed dot) of
    `label_size_px(width_mm, height_mm, dpi)` dots, drawn after `layout` (None: the
    `standard` one). Checks first (see `plan_face_sheet`): a bad label raises LabelError
    and nothing is drawn."""
    with _FONT_LOCK:
        plan = plan_face_sheet(
            label, width_mm=width_mm, height_mm=height_mm, dpi=dpi, font=font, layout=layout
        )
        return _draw(plan)


# ---------------------------------------------------------------------------- output


def _one_bit(image: Image.Image) -> Image.Image:
    return image if image.mode == "1" else image.convert("L").convert("1", dither=Image.Dither.NONE)


def to_png(image: Image.Image) -> bytes:
    """PNG preview (1-bit, with the print resolution recorded for true-size viewing)."""
    buf = io.BytesIO()
    one_bit = _one_bit(image)
    dpi = image.info.get("dpi")
    if dpi:
        one_bit.save(buf, "PNG", dpi=dpi)
    else:
        one_bit.save(buf, "PNG")
    return buf.getvalue()


#: Rows per `GS v 0` block: python-escpos's own default split, which printers with a
#: small receive buffer need.
ESCPOS_BAND_ROWS = 960


def to_escpos(image: Image.Image, *, cut: bool = True) -> bytes:
    """ESC/POS bytes for the image, made with python-escpos: ESC @, the raster as
    `GS v 0` blocks of at most 960 rows, then feed and full cut when `cut`."""
    one_bit = _one_bit(image)
    printer = Dummy()
    # The default profile does not know the paper width, and python-escpos prints a
    # warning to stdout for every image then: tell it this printer's width (this
    # instance's profile only; the class-level profile data is shared).
    profile = printer.profile
    profile.profile_data = {
        **profile.profile_data,
        "media": {"width": {"mm": "Unknown", "pixels": one_bit.width}, "dpi": "Unknown"},
    }
    printer.hw("INIT")
    # The same bands python-escpos's `image()` would cut (it crops the image every
    # `fragment_height` rows), cut here so it does not convert the whole image first.
    for top in range(0, one_bit.height, ESCPOS_BAND_ROWS):
        band = one_bit.crop((0, top, one_bit.width, min(one_bit.height, top + ESCPOS_BAND_ROWS)))
        printer.image(band, impl="bitImageRaster", fragment_height=ESCPOS_BAND_ROWS)
    if cut:
        printer.cut()
    data: bytes = printer.output
    return data
