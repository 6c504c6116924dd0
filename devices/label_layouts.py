"""Face-sheet layouts as data: one TOML file per courier family and label size.

A layout file is named `<family>_<width>x<height>.toml` (e.g. `sf_100x180.toml`) and says
the label size in mm, whether it is one part or two (a main part and a tear-off stub from
`stub_at_mm` down), and its elements, each placed in mm from the label's top-left corner:

- `text`: a template of label fields (`"{recipient.name}  {recipient.phone}"`), drawn at
  the biggest size from `size` down to `min_size` that fits its box on at most `lines`
  lines; `style = "inverse"` prints it white on a black box (the courier mark, 收/寄),
  `"outline"` boxed (已验视). An element whose fields are all empty is left out.
- `code128`: the waybill's Code128, bars `h` mm tall, the number under it when
  `human_readable`.
- `qr`: a QR code in a `size` mm square (`text` defaults to the label's `qr`).
- `rule`: a line (`dashed` for a tear line); `box`: a rectangle, outlined or filled.

The shipped layouts live beside this module (`devices/layouts/`); a site directory of its
own may add a family or size, or override a shipped file of the same name. Files are read
with tomllib and validated into msgspec Structs; `layout_problems` is what
`bondfloor check-config` reports. A library module: it never imports `server/`.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

__all__ = [
    "FIELDS",
    "SHIPPED_DIR",
    "Layout",
    "LayoutError",
    "code128_module_dots",
    "layout_problems",
    "load_layouts",
    "pick_layout",
]

SHIPPED_DIR = Path(__file__).with_name("layouts")
FILE_NAME = re.compile(r"^([a-z0-9][a-z0-9-]*)_(\d+)x(\d+)\.toml$")

#: The label fields a template may name (see facesheet.py `_Fields`).
FIELDS = frozenset(
    {
        "courier",
        "product_type",
        "date",
        "waybill_no",
        "sort_code",
        "consolidation_point",
        "qr",
        "order_no",
        "weight_g",
        "weight_kg",
        "parcel_count",
        "remarks",
        "checked_mark",
    }
    | {f"{party}.{part}" for party in ("recipient", "sender") for part in ("name", "phone")}
    | {f"{party}.{part}" for party in ("recipient", "sender") for part in ("region", "address")}
)

#: The waybill `check-config` measures a Code128 against: 21 characters, letters then
#: digits, about the longest Chinese couriers issue.
CHECK_WAYBILL = "JT5012345678901234567"
#: Below this a Code128 module is too thin for a thermal head to print scannably.
MIN_MODULE_DOTS = 2
#: The fields a Code128 may carry: printable ASCII, never empty on a packed order.
CODE128_FIELDS = frozenset({"waybill_no", "order_no"})
#: The smallest QR code (21 modules and 4 of quiet zone each side) at the renderer's
#: least module of 0.33 mm: a smaller square refuses every label at the bench.
MIN_QR_MM = (21 + 8) * 0.33

Mm = Annotated[float, Meta(ge=0, le=1000)]
FontMm = Annotated[float, Meta(gt=0, le=100)]


class _Element(Struct, forbid_unknown_fields=True, kw_only=True, tag_field="kind"):
    id: str = ""  # named in check-config messages
    x: Mm
    y: Mm


class TextElement(_Element, tag="text"):
    w: Mm
    h: Mm
    text: str
    size: FontMm
    min_size: Annotated[float, Meta(ge=0, le=100)] = 0.0  # 0: 70 % of size
    bold: bool = False
    lines: Annotated[int, Meta(ge=1, le=20)] = 1
    align: Literal["left", "center", "right"] = "left"
    style: Literal["plain", "inverse", "outline"] = "plain"
    show_if: str = ""  # a field: drawn only when it is not empty (captions)
    field: str = ""  # the field named when the text does not fit; default: the first

    def bottom(self) -> float:
        return self.y + self.h


class Code128Element(_Element, tag="code128"):
    w: Mm
    h: Mm  # bar height
    text: str = "{waybill_no}"
    human_readable: bool = True
    text_size: FontMm = 3.4

    def bottom(self) -> float:
        if not self.human_readable:
            return self.y + self.h
        return self.y + self.h + 0.6 + self.text_size * 1.2


class QrElement(_Element, tag="qr"):
    size: Annotated[float, Meta(gt=0, le=1000)]
    text: str = "{qr}"

    def bottom(self) -> float:
        return self.y + self.size


class RuleElement(_Element, tag="rule"):
    w: Mm
    h: Annotated[float, Meta(gt=0, le=20)] = 0.3  # thickness
    dashed: bool = False

    def bottom(self) -> float:
        return self.y + self.h


class BoxElement(_Element, tag="box"):
    w: Mm
    h: Mm
    line: Annotated[float, Meta(ge=0, le=20)] = 0.3
    fill: bool = False
    radius: Mm = 0.0

    def bottom(self) -> float:
        return self.y + self.h


Element = TextElement | Code128Element | QrElement | RuleElement | BoxElement


class Layout(Struct, forbid_unknown_fields=True, kw_only=True):
    width_mm: Annotated[int, Meta(ge=40, le=300)]
    height_mm: Annotated[int, Meta(ge=40, le=400)]
    stub_at_mm: Mm = 0.0  # 0: one part; else the tear-off stub starts here
    description: str = ""
    elements: list[Element]
    # Set from the file name, not written in the file:
    family: str = ""
    source: str = ""

    @property
    def parts(self) -> int:
        return 2 if self.stub_at_mm else 1

    def scaled_to(self, width_mm: int, height_mm: int) -> Layout:
        """The layout stretched to another label size (fonts by the smaller factor)."""
        if (width_mm, height_mm) == (self.width_mm, self.height_mm):
            return self
        sx, sy = width_mm / self.width_mm, height_mm / self.height_mm
        sf = min(sx, sy)
        out: list[Element] = []
        for el in self.elements:
            changes: dict[str, float] = {"x": el.x * sx, "y": el.y * sy}
            if isinstance(el, QrElement):
                changes["size"] = el.size * sf
            else:
                changes["w"] = el.w * sx
                if not isinstance(el, RuleElement):
                    changes["h"] = el.h * sy
            if isinstance(el, TextElement):
                changes["size"] = el.size * sf
                changes["min_size"] = el.min_size * sf
            if isinstance(el, Code128Element):
                changes["text_size"] = el.text_size * sf
            out.append(msgspec.structs.replace(el, **changes))
        return msgspec.structs.replace(
            self,
            width_mm=width_mm,
            height_mm=height_mm,
            stub_at_mm=self.stub_at_mm * sy,
            elements=out,
        )


@dataclass(frozen=True)
class LayoutError(Exception):
    """A layout file that cannot be used: the file and, when there is one, the element."""

    file: str
    problem: str
    element: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.element}: " if self.element else f"{self.file}: "
        return where + self.problem


def element_name(index: int, el: Element) -> str:
    kind = type(el).__struct_config__.tag
    return f"element {index + 1} ({kind}{' ' + el.id if el.id else ''})"


def template_fields(text: str) -> list[str]:
    """The field names a template mentions, in order."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as err:
        raise ValueError(f"bad template {text!r}: {err}") from err


# -------------------------------------------------------------------------- loading


def _read(path: Path) -> Layout:
    match = FILE_NAME.match(path.name)
    if match is None:
        raise LayoutError(
            str(path), "a layout file is named <family>_<width>x<height>.toml, e.g. sf_100x180.toml"
        )
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise LayoutError(str(path), f"not valid TOML: {err}") from err
    except OSError as err:
        raise LayoutError(str(path), f"cannot be read: {err}") from err
    if not isinstance(data.get("elements"), list):
        raise LayoutError(str(path), "no `elements` list")
    for i, raw in enumerate(data["elements"]):
        try:
            msgspec.convert(raw, Element)
        except msgspec.ValidationError as err:
            kind = raw.get("kind", "?") if isinstance(raw, dict) else "?"
            ident = raw.get("id", "") if isinstance(raw, dict) else ""
            name = f"element {i + 1} ({kind}{' ' + ident if ident else ''})"
            raise LayoutError(str(path), str(err).replace("`$.", "`"), name) from err
    try:
        layout = msgspec.convert(data, Layout)
    except msgspec.ValidationError as err:
        raise LayoutError(str(path), str(err)) from err
    family, width, height = match.group(1), int(match.group(2)), int(match.group(3))
    if (layout.width_mm, layout.height_mm) != (width, height):
        raise LayoutError(
            str(path),
            f"says {layout.width_mm}×{layout.height_mm} mm but is named {width}x{height}",
        )
    layout = msgspec.structs.replace(layout, family=family, source=str(path))
    _check_static(layout)
    return layout


def _check_static(layout: Layout) -> None:
    """What is wrong with a layout at any resolution."""
    if layout.stub_at_mm and not (0 < layout.stub_at_mm < layout.height_mm):
        raise LayoutError(layout.source, f"stub_at_mm {layout.stub_at_mm} is not on the label")
    for i, el in enumerate(layout.elements):
        name = element_name(i, el)
        texts = [el.text] if isinstance(el, TextElement | Code128Element | QrElement) else []
        if isinstance(el, TextElement):
            texts += [f"{{{el.show_if}}}"] if el.show_if else []
            texts += [f"{{{el.field}}}"] if el.field else []
            if el.min_size > el.size:
                raise LayoutError(layout.source, "min_size is bigger than size", name)
        for text in texts:
            try:
                names = template_fields(text)
            except ValueError as err:
                raise LayoutError(layout.source, str(err), name) from err
            for field in names:
                if field not in FIELDS:
                    raise LayoutError(
                        layout.source,
                        f"unknown field {field!r}; the fields are {', '.join(sorted(FIELDS))}",
                        name,
                    )
        _check_room(layout, name, el)
        right = el.x + (el.size if isinstance(el, QrElement) else el.w)
        if right > layout.width_mm + 1e-6 or el.bottom() > layout.height_mm + 1e-6:
            raise LayoutError(
                layout.source,
                f"reaches {right:g}×{el.bottom():g} mm, outside the "
                f"{layout.width_mm}×{layout.height_mm} mm label",
                name,
            )
    barcodes = [el for el in layout.elements if isinstance(el, Code128Element)]
    if not barcodes:
        raise LayoutError(layout.source, "has no code128 element for the waybill")
    if layout.stub_at_mm:
        in_stub = [el for el in barcodes if el.y >= layout.stub_at_mm]
        if not in_stub or len(in_stub) == len(barcodes):
            raise LayoutError(
                layout.source,
                "a two-part layout has a waybill Code128 in the main part and in the stub",
            )


def _check_room(layout: Layout, name: str, el: Element) -> None:
    """What would refuse every label at the bench, not only a long one: a Code128 of a
    field that is not ASCII, a text box without room for one line at its smallest size,
    a QR square smaller than the smallest QR code."""
    if isinstance(el, Code128Element):
        fields = template_fields(el.text)
        if not fields or not set(fields) <= CODE128_FIELDS:
            raise LayoutError(
                layout.source,
                f"a Code128 carries {{waybill_no}} or {{order_no}}, not {el.text!r}",
                name,
            )
    if isinstance(el, TextElement):
        if not el.w or not el.h:
            raise LayoutError(layout.source, "a text box needs a width and a height", name)
        least = el.min_size or el.size * 0.7
        if least > el.h:
            raise LayoutError(
                layout.source,
                f"a line of min_size {least:g} mm does not fit its {el.h:g} mm height",
                name,
            )
    if isinstance(el, QrElement) and el.size < MIN_QR_MM:
        raise LayoutError(
            layout.source,
            f"a {el.size:g} mm QR square is too small: the smallest QR code with its quiet "
            f"zone needs {MIN_QR_MM:.1f} mm",
            name,
        )


def code128_module_dots(el: Code128Element, waybill_modules: int, dpi: int) -> int:
    """The widest whole-dot module at which the bars fit the element's width."""
    return int(el.w * dpi / 25.4) // waybill_modules


def check_at_dpi(layout: Layout, dpi: int) -> None:
    """Raise LayoutError when a Code128 of the layout is too narrow to scan at `dpi`."""
    _check_dpi(layout, dpi)


@functools.cache
def _check_waybill_modules() -> int:
    """Modules of the check waybill's Code128, as python-barcode builds it for the
    renderer (imported here, not the renderer: check-config need not load Pillow)."""
    import barcode

    return len(barcode.Code128(CHECK_WAYBILL).build()[0])


def _check_dpi(layout: Layout, dpi: int) -> None:
    modules = _check_waybill_modules()
    for i, el in enumerate(layout.elements):
        if isinstance(el, Code128Element):
            module = code128_module_dots(el, modules, dpi)
            if module < MIN_MODULE_DOTS:
                raise LayoutError(
                    layout.source,
                    f"a {el.w:g} mm Code128 is too narrow at {dpi} dpi: a {len(CHECK_WAYBILL)}-"
                    f"character waybill gets modules of {module} dot(s), a scanner needs "
                    f"{MIN_MODULE_DOTS}",
                    element_name(i, el),
                )


def _layout_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.toml") if p.is_file())


def _load(site_dir: str) -> dict[tuple[str, int, int], Layout]:
    found: dict[tuple[str, int, int], Layout] = {}
    folders = [SHIPPED_DIR] + ([Path(site_dir).expanduser()] if site_dir else [])
    for folder in folders:
        if folder != SHIPPED_DIR and not folder.is_dir():
            raise LayoutError(str(folder), "the layouts directory does not exist")
        for path in _layout_files(folder):
            layout = _read(path)
            found[(layout.family, layout.width_mm, layout.height_mm)] = layout
    return found


@functools.lru_cache(maxsize=8)
def load_layouts(site_dir: str = "") -> dict[tuple[str, int, int], Layout]:
    """Every layout by (family, width, height): the shipped ones, then the site's (which
    override a shipped file of the same name). Raises LayoutError on the first bad file.
    Read once per directory: a changed layout is drawn after the server restarts."""
    return _load(site_dir)


def _signature(site_dir: str) -> tuple[tuple[str, int, int], ...]:
    """What the layout files are now: path, modification time and size of each."""
    folders = [SHIPPED_DIR] + ([Path(site_dir).expanduser()] if site_dir else [])
    found = []
    for folder in folders:
        if folder.is_dir():
            for path in _layout_files(folder):
                stat = path.stat()
                found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


@functools.lru_cache(maxsize=16)
def _load_signed(
    site_dir: str, signature: tuple[tuple[str, int, int], ...]
) -> dict[tuple[str, int, int], Layout]:
    return _load(site_dir)


def current_layouts(site_dir: str = "") -> dict[tuple[str, int, int], Layout]:
    """The layouts as the files are now (check-config): read again when a file changed,
    unlike `load_layouts`, which a running server reads once."""
    return _load_signed(site_dir, _signature(site_dir))


def families(site_dir: str = "") -> set[str]:
    """The layout families there are, as the files are now."""
    return {family for family, _, _ in current_layouts(site_dir)}


def pick_layout(
    family: str,
    width_mm: int,
    height_mm: int,
    site_dir: str = "",
    layouts: dict[tuple[str, int, int], Layout] | None = None,
) -> Layout:
    """The family's layout for the label size: its own file for that size, else its file
    of the nearest width (then shape) stretched to the size. An unknown family draws
    `standard`."""
    if layouts is None:
        layouts = load_layouts(site_dir)
    exact = layouts.get((family, width_mm, height_mm))
    if exact is not None:
        return exact
    own = [lay for (fam, _, _), lay in layouts.items() if fam == family]
    if not own:
        return pick_layout("standard", width_mm, height_mm, site_dir, layouts)
    # The nearest width first (barcodes and text lines keep their size), then the shape.
    aspect = height_mm / width_mm
    nearest = min(
        own,
        key=lambda lay: (
            abs(lay.width_mm - width_mm),
            abs(lay.height_mm / lay.width_mm - aspect),
        ),
    )
    return nearest.scaled_to(width_mm, height_mm)


def layout_problems(site_dir: str, dpis: set[int]) -> list[str]:
    """Every bad layout file (shipped or the site's) as `file: element: reason`, each
    Code128 measured at every configured print resolution. Worked out again only when a
    file changed (settings are checked each time they are loaded)."""
    return list(_problems_signed(site_dir, _signature(site_dir), frozenset(dpis)))


@functools.lru_cache(maxsize=16)
def _problems_signed(
    site_dir: str, signature: tuple[tuple[str, int, int], ...], dpis: frozenset[int]
) -> tuple[str, ...]:
    problems: list[str] = []
    folders = [SHIPPED_DIR]
    if site_dir:
        folder = Path(site_dir).expanduser()
        if not folder.is_dir():
            return (f"{site_dir}: the layouts directory does not exist",)
        folders.append(folder)
    for folder in folders:
        for path in _layout_files(folder):
            try:
                layout = _read(path)
                for dpi in sorted(dpis or {203}):
                    _check_dpi(layout, dpi)
            except LayoutError as err:
                problems.append(str(err))
    return tuple(problems)
