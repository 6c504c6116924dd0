"""Where a label lies across the print head.

A label narrower than the head (a 76 mm label on a 4-inch head: 608 of 832 dots) is drawn
at the label's own width, then put on a raster as wide as the head: centred or at its
left edge, moved by a signed offset for a printer that prints a little off. A label that
would not lie wholly on the head is refused (`LabelError`), never cut.

A library module: it never imports `server/`.
"""

from __future__ import annotations

from PIL import Image

from devices.facesheet import LabelError, label_size_px

HEAD_MM = 104
"""The print width of the usual 4-inch desktop label printer: 832 dots at 8 dots/mm
(203 dpi), 1248 at 12 dots/mm (300 dpi)."""


def head_dots(configured: int, dpi: int) -> int:
    """The head's width in dots: as configured, else a 4-inch head at `dpi`."""
    return configured or HEAD_MM * round(dpi / 25.4)


def offset_dots(offset_mm: float, dpi: int) -> int:
    return round(offset_mm * dpi / 25.4)


def label_left(label: int, head: int, align: str, offset: int) -> int:
    """The dot column of the label's left edge on the head (all widths in dots).

    Raises LabelError LABEL_WIDER_THAN_HEAD, or LABEL_OFF_HEAD when the offset pushes a
    label that fits partly off the head."""
    if label > head:
        raise LabelError(
            "LABEL_WIDER_THAN_HEAD",
            f"the label ({label} dots) is wider than the print head ({head} dots) and would "
            "be cut: set the printer's label_width_mm and head_width_dots to what it has",
            field="size",
        )
    left = (head - label) // 2 if align == "center" else 0
    left += offset
    if left < 0 or left + label > head:
        raise LabelError(
            "LABEL_OFF_HEAD",
            f"an offset of {offset} dots puts the {label}-dot label at dots {left} to "
            f"{left + label} of a {head}-dot head: it would be cut",
            field="offset_mm",
        )
    return left


def placement_problem(
    label_width_mm: int, dpi: int, head_width_dots: int, align: str, offset_mm: float
) -> LabelError | None:
    """Why a printer's label would not lie on its head (for check-config), or None."""
    label, _ = label_size_px(label_width_mm, 1, dpi)
    try:
        label_left(label, head_dots(head_width_dots, dpi), align, offset_dots(offset_mm, dpi))
    except LabelError as err:
        return err
    return None


def place_on_head(
    image: Image.Image, *, head_width_dots: int, dpi: int, align: str, offset_mm: float
) -> Image.Image:
    """The label on a blank raster as wide as the head (the label itself when they match
    and nothing moves it)."""
    head = head_dots(head_width_dots, dpi)
    left = label_left(image.width, head, align, offset_dots(offset_mm, dpi))
    if left == 0 and image.width == head:
        return image
    blank = 255 if image.mode == "L" else 1 if image.mode == "1" else "white"
    raster = Image.new(image.mode, (head, image.height), blank)
    raster.paste(image, (left, 0))
    raster.info.update(image.info)  # the dpi, for the PNG preview
    return raster
