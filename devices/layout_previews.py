"""PNG previews of every shipped face-sheet layout, drawn for a demo parcel.

    python -m devices.layout_previews docs/layouts [SITE_LAYOUTS_DIR]

writes `<family>_<width>x<height>.png` for each layout in devices/layouts/ (and in the
site's layouts folder when named; its files win) at 203 dpi, the pixels a printer gets,
and prints how long each took to draw. The demo parcel is
already masked, as packing stores it (server/outbound/label.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from devices.facesheet import render_face_sheet, to_png
from devices.label_layouts import load_layouts

#: A waybill and courier code of each family's own form.
DEMO_COURIERS = {
    "sf": ("SF", "SF1428765301234", "顺丰标快"),
    "cainiao": ("ZTO", "ZT7512345678901", "标准快递"),
    "jd": ("JD", "JDVA23456789012", "特惠送"),
    "ems": ("EMS", "1151234567890", "标准快递"),
}


def demo_label(family: str) -> dict[str, Any]:
    courier, waybill, product = DEMO_COURIERS.get(
        family, ("ZTO", "JT5012345678901234567", "标准快递")
    )
    return {
        "courier": courier,
        "product_type": product,
        "date": "2026-12-07",
        "waybill_no": waybill,
        "sort_code": "342-081-00 052",
        "consolidation_point": "杭州转运中心",
        "qr": f"{courier}|{waybill}|SO20261207000123",
        "recipient": {
            "name": "张*丰",
            "phone": "138****5678",
            "region": "浙江省 杭州市 西湖区",
            "address": "文三路10*********1201室",
        },
        "sender": {
            "name": "宁波保税仓",
            "phone": "0574-88886666",
            "region": "浙江省 宁波市 北仑区",
            "address": "保税区港东大道8号3号库",
        },
        "order_no": "SO20261207000123",
        "weight_g": 1250,
        "parcel_count": 1,
        "remarks": "易碎品 轻拿轻放",
        "checked_mark": "已验视",
    }


def write_previews(folder: Path, site_dir: str = "") -> list[tuple[str, float]]:
    """Draw every layout into `folder`; (file name, milliseconds) for each."""
    folder.mkdir(parents=True, exist_ok=True)
    timings = []
    for (family, width, height), layout in sorted(load_layouts(site_dir).items()):
        label = demo_label(family)
        render_face_sheet(label, width_mm=width, height_mm=height, layout=layout)  # warm
        started = time.perf_counter()
        image = render_face_sheet(label, width_mm=width, height_mm=height, layout=layout)
        elapsed = (time.perf_counter() - started) * 1000
        name = f"{family}_{width}x{height}.png"
        (folder / name).write_bytes(to_png(image))
        timings.append((name, elapsed))
    return timings


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "docs/layouts")
    for name, ms in write_previews(folder, argv[1] if len(argv) > 1 else ""):
        print(f"{folder / name}  drawn in {ms:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
