"""Which face-sheet layout a label is drawn with: the order's courier picks the family
(`[printing] courier_layouts`, anything else `standard`), the printer's label size picks
the file (devices/label_layouts.py). Layouts are read once per layouts directory."""

from __future__ import annotations

from typing import Any

from devices import label_layouts
from devices.label_layouts import Layout
from server.config import PrinterSettings, Settings


def layout_family(settings: Settings, courier: Any) -> str:
    code = str(courier or "").strip().upper()
    return settings.printing.courier_layouts.get(code, "standard")


def face_sheet_layout(settings: Settings, printer: PrinterSettings, courier: Any) -> Layout:
    """The layout for a courier's face sheet on this printer."""
    return label_layouts.pick_layout(
        layout_family(settings, courier),
        printer.label_width_mm,
        printer.label_height_mm,
        settings.printing.layouts_dir,
    )
