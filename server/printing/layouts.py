"""Which face-sheet layout a label is drawn with: the order's courier picks the family
(`[printing] courier_layouts`, anything else `standard`), the printer's label size picks
the file (devices/label_layouts.py). Layouts are read once per layouts directory."""

from __future__ import annotations

from typing import Any

from devices import label_layouts
from devices.facesheet import LabelError
from devices.label_layouts import Layout, LayoutError
from server.config import PrinterSettings, Settings
from server.error_codes import ERR


def layout_family(settings: Settings, courier: Any) -> str:
    code = str(courier or "").strip().upper()
    return settings.printing.courier_layouts.get(code, "standard")


def face_sheet_layout(settings: Settings, printer: PrinterSettings, courier: Any) -> Layout:
    """The layout for a courier's face sheet on this printer. A layout file made bad after
    check-config passed (the files are read at the first label) refuses the label like any
    other label problem: a refusal at the bench, a failed job at the printer."""
    try:
        return label_layouts.pick_layout(
            layout_family(settings, courier),
            printer.label_width_mm,
            printer.label_height_mm,
            settings.printing.layouts_dir,
        )
    except LayoutError as err:
        raise LabelError(
            ERR.LABEL_LAYOUT_INVALID.code,
            f"{err}: fix it (bondfloor check-config) and restart the server",
            field="layout",
        ) from err
