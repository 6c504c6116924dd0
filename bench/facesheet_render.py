"""How long does a face sheet take to render, as PNG and as ESC/POS bytes?

Run with `.venv/bin/python bench/facesheet_render.py`. For every shipped layout
(devices/layouts/: each courier family and label size) at 203 dpi it renders `--labels`
(200) distinct labels (payloads made by the server's
`outbound/label.py face_sheet`, so masked as printed) with `devices.facesheet` and times,
per label: `render_face_sheet` (check + layout + draw), `to_png` and `to_escpos`
(python-escpos `GS v 0` raster). The first label of each size (font files opened,
caches cold) is reported apart. Prints p50/p95/max per step and layout. Target: render
p95 well under 100 ms for every layout.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from health_ratio import NO_HTTP

from devices.facesheet import find_cjk_font, render_face_sheet, to_escpos, to_png
from devices.label_layouts import load_layouts
from server.outbound.label import face_sheet

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
CITIES = [
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("四川省", "成都市", "武侯区"),
]
STREETS = ["文三路", "科技园南路", "张江高科路", "建国路", "天府大道中段", "人民南路四段"]
COURIERS = ["中通快递", "圆通速递", "申通快递", "韵达快递", "顺丰速运", "京东快递"]


def make_label(rng: random.Random, n: int) -> dict[str, Any]:
    province, city, district = rng.choice(CITIES)
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
    address = (
        f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        + rng.choice(["", "华星时代广场", "阳光花园", "软件园二期"])
        + f"{rng.randint(1, 30)}幢{rng.randint(1, 6)}单元{rng.randint(101, 3208)}室"
    )
    prefix = rng.choice(["JT", "YT", "SF", "75", "ZTO"])
    waybill = prefix + "".join(rng.choices("0123456789", k=rng.randint(12, 19)))
    order = {
        "courier": rng.choice(COURIERS),
        "waybill_no": waybill,
        "order_no": f"SO2024{n:010d}",
        "label": {
            "recipient": {
                "name": name,
                "phone": "1"
                + "".join(rng.choices("3456789", k=1) + rng.choices("0123456789", k=9)),
                "province": province,
                "city": city,
                "district": district,
                "address": address,
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
                "sort_code": f"{rng.randint(100, 999)}-{rng.randint(0, 999):03d}-00 "
                f"{rng.randint(0, 999):03d}",
                "consolidation_point": rng.choice(["杭州转运中心", "深圳分拨中心", "上海集包点"]),
                "product_type": rng.choice(["标准快递", "特快", ""]),
            },
            "remarks": rng.choice(["", "易碎品 轻拿轻放", "保税仓发货 请勿倒置"]),
        },
    }
    return face_sheet(order, weight_g=rng.randint(80, 12000), parcel_count=1, day="2024-11-11")


def sample_label() -> dict[str, Any]:
    """A label like the demo's (server/demo.py): ZTO, recipient 张三丰 in Shenzhen."""
    order = {
        "courier": "ZTO",
        "waybill_no": "ZT241123000012",
        "order_no": "SO202411230012",
        "label": {
            "recipient": {
                "name": "张三丰",
                "phone": "13812345678",
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "address": "科技园南路18号软件大厦3楼",
            },
            "sender": {
                "name": "香港美妆跨境有限公司",
                "phone": "0755-86001210",
                "province": "广东省",
                "city": "深圳市",
                "district": "前海",
                "address": "前海保税港区一号仓",
            },
            "routing": {
                "sort_code": "312-012-00 012",
                "consolidation_point": "深圳市集包中心",
                "product_type": "中通快递",
            },
            "remarks": "保税仓发货 易碎品 轻拿轻放",
        },
    }
    return face_sheet(order, weight_g=860, parcel_count=1, day="2024-11-23")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, default=200, help="labels per size (200)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the payloads")
    parser.add_argument(
        "--sample",
        type=Path,
        help="also write a 76×130 mm sample label with demo-like data to this PNG "
        "(docs/facesheet-sample.png is made this way)",
    )
    args = parser.parse_args()
    print(NO_HTTP)
    if args.sample:
        args.sample.write_bytes(to_png(render_face_sheet(sample_label())))
        print(f"sample label written to {args.sample}")

    print(f"font: {find_cjk_font()}")
    rng = random.Random(args.seed)
    labels = [make_label(rng, n) for n in range(args.labels)]
    worst_render_p95 = 0.0
    summary: list[tuple[str, float, float]] = []
    for (family, width_mm, height_mm), layout in sorted(load_layouts().items()):
        times: dict[str, list[float]] = {"render": [], "png": [], "escpos": [], "total": []}
        first: dict[str, float] = {}
        size = (0, 0)
        for i, label in enumerate(labels):
            t0 = time.perf_counter()
            image = render_face_sheet(label, width_mm=width_mm, height_mm=height_mm, layout=layout)
            t1 = time.perf_counter()
            png = to_png(image)
            t2 = time.perf_counter()
            escpos = to_escpos(image)
            t3 = time.perf_counter()
            assert png and escpos
            size = image.size
            step = {
                "render": t1 - t0,
                "png": t2 - t1,
                "escpos": t3 - t2,
                "total": t3 - t0,
            }
            if i == 0:
                first = step
                continue
            for key, value in step.items():
                times[key].append(value * 1000)
        print(
            f"\n{family} {width_mm}×{height_mm} mm at 203 dpi ({size[0]}×{size[1]} dots), "
            f"{len(labels) - 1} labels after the first"
        )
        print(
            f"  {'step':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'mean ms':>8} {'first ms':>9}"
        )
        for key, values in times.items():
            print(
                f"  {key:<8} {pct(values, 0.5):8.1f} {pct(values, 0.95):8.1f} {max(values):8.1f} "
                f"{statistics.fmean(values):8.1f} {first[key] * 1000:9.1f}"
            )
        worst_render_p95 = max(worst_render_p95, pct(times["render"], 0.95))
        summary.append(
            (
                f"{family}_{width_mm}x{height_mm}",
                pct(times["render"], 0.5),
                pct(times["render"], 0.95),
            )
        )
    print(f"\n  {'layout':<20} {'render p50 ms':>14} {'render p95 ms':>14}")
    for name, p50, p95 in summary:
        print(f"  {name:<20} {p50:14.1f} {p95:14.1f}")
    verdict = "OK" if worst_render_p95 < 100 else "SLOW"
    print(f"\nverdict: {verdict}: render p95 {worst_render_p95:.1f} ms (target < 100 ms)")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
