"""fpdf2 or WeasyPrint for the floor's PDF documents? The same warehouse receipt (进仓单) made
with both, measured.

Run with `.venv/bin/python bench/pdf_libraries.py` (`--runs N`, default 7). For a plan of 20
and of 500 lines (Chinese names, two lots a line received) each library makes the receipt in
the face sheets' CJK font (devices/facesheet.py, Noto Sans CJK SC from a .ttc collection),
each in a fresh Python process, and the bench prints per library and size:

- the median time per document of N, wall and CPU (the first, with the font parsed
  cold, apart),
- the process's peak memory (max RSS) and its growth over the imports alone,
- the PDF's size (the font embedded as a subset), and its page count,
- whether the Chinese text reads back: the plan number, the title and every line's SKU
  name found by pypdf's `extract_text` and by poppler's pdftotext (when installed),
  whitespace ignored (a table cell wraps a long name onto two lines),
- the install footprint: the library's wheels and their dependencies outside bondfloor's
  own, and the Debian packages it needs besides Python.

fpdf2 draws with server/documents/receipt.py, exactly what the server answers. WeasyPrint
draws an HTML page with the same content (the print page's markup and a small style
sheet). A library that is not installed is skipped with a note:
`.venv/bin/pip install weasyprint` to measure both.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LIBRARIES = ("fpdf2", "weasyprint")
SIZES = (20, 500)

NAMES = [
    "洁面乳 200g",
    "保湿精华液 30ml",
    "婴儿配方奶粉 3段 800g",
    "维生素C咀嚼片 120粒",
    "防晒霜 SPF50+ 50ml",
    "氨基酸洗发水 500ml",
    "深海鱼油软胶囊 180粒",
    "儿童益生菌粉 30袋",
]


def sample_receipt(lines: int) -> Any:
    """A closed plan of `lines` lines; every tenth short with a reason, two lots each."""
    from server.inbound.schemas import PlanSummary, ReceiptDocument, SeaTransport, TallyLine
    from server.sync.contract import ReceivedLot

    tally, lots = [], []
    for n in range(1, lines + 1):
        short = n % 10 == 0
        expected = 24 + n % 50
        counted = expected - 2 if short else expected
        name = f"{NAMES[n % len(NAMES)]} 批{n}"
        tally.append(
            TallyLine(
                sku=f"HK{n:05d}",
                sku_name=name,
                lot="",
                expiry="",
                expected=expected,
                counted=counted,
                damaged=0,
                quarantined=0,
                difference=counted - expected,
                reason="short" if short else "",
                note="外箱破损，少两件" if short else "",
            )
        )
        for part, quantity in enumerate((counted // 2, counted - counted // 2)):
            lots.append(
                ReceivedLot(
                    sku=f"HK{n:05d}",
                    sku_name=name,
                    customs_record_no=f"GJ4890{n:05d}",
                    lot=f"L26{n:04d}{part}",
                    expiry="2028-06-30",
                    condition="good",
                    location="DOCK-01",
                    quantity=quantity,
                )
            )
    plan = PlanSummary(
        id=1,
        plan_no=f"ASN-20261123-{lines:03d}",
        customer="HKBEAUTY",
        customer_name="香港美妆贸易有限公司",
        transport_mode="sea",
        transport=SeaTransport(
            container_no="MSKU1234565",
            vessel="EVER ACE",
            voyage="0123E",
            bill_of_lading="EGLV123456789",
            port_of_loading="香港",
            port_of_discharge="南沙",
        ),
        expected_arrival="2026-11-23",
        customs_released=True,
        status="closed",
        arrival_ref="MSKU1234565",
        seal_no="SL-88231",
        arrival_override="",
        dock="DOCK-01",
        arrived_at="2026-11-23T01:20:00.000+00:00",
        closed_at="2026-11-23T09:40:11.502+00:00",
        expected=sum(t.expected for t in tally),
        counted=sum(t.counted for t in tally),
    )
    return ReceiptDocument(plan=plan, tally=tally, received_lots=lots, received_by=["recv01"])


PRINTED_AT = "2026-11-23T09:45:00.000+00:00"


def make_fpdf2(document: Any) -> bytes:
    from server.documents.receipt import receipt_pdf

    return receipt_pdf(
        document,
        "receipt",
        site="前海保税仓",
        customs_book_no="T5301W000123",
        printed_at=PRINTED_AT,
        timezone="Asia/Shanghai",
    )


STYLE = """
@page { size: A4; margin: 12mm 12mm 16mm;
  @bottom-right { content: "第 " counter(page) "/" counter(pages) " 页"; font-size: 7.5pt; } }
body { font-family: "Noto Sans CJK SC"; font-size: 9pt; }
h1 { text-align: center; font-size: 18pt; margin: 0; }
table { width: 100%; border-collapse: collapse; margin-bottom: 3mm; }
th, td { border: 0.2mm solid #000; padding: 0.8mm 1mm; word-break: break-all; }
th { background: #e8ecf1; font-size: 8pt; }
thead { display: table-header-group; }
.num { text-align: right; }
.signatures { display: flex; gap: 6mm; margin-top: 6mm; break-inside: avoid; }
.signatures div { flex: 1; border-bottom: 0.2mm solid #000; height: 20mm; }
"""


def make_weasyprint(document: Any) -> bytes:
    from weasyprint import HTML

    plan = document.plan
    lots = "".join(
        f"<tr><td class=num>{i}</td><td>{escape(x.sku)}</td><td>{escape(x.sku_name)}</td>"
        f"<td>{x.customs_record_no}</td><td>{x.lot}</td><td>{x.expiry}</td><td>良品 Good</td>"
        f"<td>{x.location}</td><td class=num>{x.quantity:,}</td></tr>"
        for i, x in enumerate(document.received_lots, start=1)
    )
    lines = "".join(
        f"<tr><td class=num>{i}</td><td>{escape(x.sku)}</td><td>{escape(x.sku_name)}</td>"
        f"<td>{x.lot or '—'}</td><td class=num>{x.expected:,}</td><td class=num>{x.counted:,}"
        f"</td><td class=num>{x.damaged}</td><td class=num>{x.difference:+}</td>"
        f"<td>{'短少 Short' if x.reason else ''}</td><td>{escape(x.note)}</td></tr>"
        for i, x in enumerate(document.tally, start=1)
    )
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<style>{STYLE}</style></head><body>
<p style="text-align:center">前海保税仓</p><h1>进仓单</h1><p style="text-align:center">Warehouse receipt</p>
<table><tr><th>货主 Customer</th><td>{escape(plan.customer_name)} ({plan.customer})</td>
<th>计划号 Plan no</th><td>{plan.plan_no}</td></tr>
<tr><th>集装箱号 Container no</th><td>{plan.arrival_ref}</td><th>封条号 Seal no</th>
<td>{plan.seal_no}</td></tr></table>
<h2>入库批次 Received lots</h2><table><thead><tr><th>序号<br>No</th><th>商品编码<br>SKU</th>
<th>品名<br>Description</th><th>海关备案号<br>Customs record no</th><th>批次<br>Lot</th>
<th>效期<br>Expiry</th><th>状态<br>Condition</th><th>库位<br>Location</th><th>数量<br>Quantity</th>
</tr></thead><tbody>{lots}</tbody></table>
<h2>理货明细 Tally lines</h2><table><thead><tr><th>序号<br>No</th><th>商品编码<br>SKU</th>
<th>品名<br>Description</th><th>批次<br>Lot</th><th>应收<br>Expected</th><th>实收<br>Counted</th>
<th>残损<br>Damaged</th><th>差异<br>Difference</th><th>原因<br>Reason</th><th>备注<br>Note</th>
</tr></thead><tbody>{lines}</tbody></table>
<div class="signatures"><div>仓库（签章） Warehouse (stamp)</div><div>货主代表 Customer</div>
<div>承运人/司机 Carrier / driver</div></div></body></html>"""
    return bytes(HTML(string=html).write_pdf())


MAKERS = {"fpdf2": make_fpdf2, "weasyprint": make_weasyprint}


def measure_in_this_process(library: str, lines: int, runs: int, out: Path) -> None:
    """The child's side: import, make the document `runs` + 1 times, report as JSON."""
    import resource
    import time

    document = sample_receipt(lines)
    before_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    make = MAKERS[library]
    __import__("weasyprint" if library == "weasyprint" else "fpdf")
    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, cpu = [], []
    pdf = b""
    for _ in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = make(document)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    out.write_bytes(pdf)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "first_s": times[0],
                "median_s": statistics.median(times[1:]),
                "cpu_s": statistics.median(cpu[1:]),
                "peak_kib": peak,
                "growth_kib": peak - max(imported, before_import),
            }
        )
    )


def readback(pdf_path: Path, document: Any) -> dict[str, Any]:
    """Pages, and whether the plan number and every SKU name read back (spaces ignored)."""
    import pypdf

    reader = pypdf.PdfReader(pdf_path)
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    text = text.replace("\x00", "")
    wanted = [document.plan.plan_no, "进仓单", *(line.sku_name for line in document.tally)]
    found = sum("".join(w.split()) in text for w in wanted)
    poppler = "not installed"
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=False
        ).stdout
        squeezed = "".join(out.split())
        found_by_poppler = sum("".join(w.split()) in squeezed for w in wanted)
        poppler = f"{found_by_poppler}/{len(wanted)}"
    return {"pages": len(reader.pages), "pypdf": f"{found}/{len(wanted)}", "pdftotext": poppler}


def _distribution_closure(name: str, skip: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = re.split(r"[ <>=!~;\[(]", todo.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if current in seen or current in skip:
            continue
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue
        seen.add(current)
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                todo.append(requirement)
    return seen


def install_footprint(library: str) -> str:
    """The wheels a library brings that bondfloor does not already need, as installed."""
    own = _distribution_closure("bondfloor", set()) - {"bondfloor"}
    extra = _distribution_closure(library, own)
    total = 0
    for name in extra:
        for file in metadata.distribution(name).files or []:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return f"{total / 1e6:.1f} MB in {len(extra)} wheels ({', '.join(sorted(extra))})"


DEBIAN_NEEDS = {
    "fpdf2": [],  # pure Python; fontTools subsets the font
    "weasyprint": ["libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"],
}


def debian_footprint(library: str) -> str:
    packages = DEBIAN_NEEDS[library]
    if not packages:
        return "none (fonts-noto-cjk only, as the face sheets)"
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${Installed-Size}\n", *packages],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    sizes = dict(line.split() for line in out.splitlines() if line.strip())
    kib = sum(int(v) for v in sizes.values())
    return f"{' '.join(packages)} (+ their dependencies; these {kib / 1024:.1f} MB installed)"


def installed(library: str) -> bool:
    try:
        metadata.distribution(library)
    except metadata.PackageNotFoundError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs=3, metavar=("LIBRARY", "LINES", "OUT"))
    parser.add_argument(
        "--only", choices=LIBRARIES, help="measure this library only (e.g. fpdf2 after a change)"
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also make the fpdf2 documents with an older checkout's server/ and devices/ "
        "(PYTHONPATH=DIR), in the same run, before this checkout's",
    )
    args = parser.parse_args()
    if args.child:
        library, lines, out = args.child
        measure_in_this_process(library, int(lines), args.runs, Path(out))
        return

    sys.path.insert(0, str(HERE.parent))
    from devices.facesheet import cjk_font_faces

    (font, index), _ = cjk_font_faces()
    print(f"font: {font} (face {index}); median of {args.runs} documents after a first")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        runs: list[tuple[str, str, str | None]] = []
        for library in LIBRARIES if args.only is None else (args.only,):
            if library == "fpdf2" and args.baseline:
                runs.append((library, "before: " + args.baseline, args.baseline))
            runs.append((library, "", None))
        for library, note, pythonpath in runs:
            if not installed(library):
                print(f"\n{library}: not installed, skipped (`.venv/bin/pip install {library}`)")
                continue
            print(f"\n{library} {metadata.version(library)}" + (f" ({note})" if note else ""))
            print(f"  install: {install_footprint(library)}")
            print(f"  Debian packages besides Python: {debian_footprint(library)}")
            env = dict(os.environ)
            if pythonpath:
                env["PYTHONPATH"] = str(Path(pythonpath).resolve())
            for lines in SIZES:
                out = Path(folder) / f"{library}-{lines}.pdf"
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--runs",
                        str(args.runs),
                        "--child",
                        library,
                        str(lines),
                        str(out),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                )
                figures = json.loads(child.stdout.strip().splitlines()[-1])
                back = readback(out, sample_receipt(lines))
                print(
                    f"  {lines:>3} lines: {figures['median_s'] * 1000:7.0f} ms/document "
                    f"(CPU {figures['cpu_s'] * 1000:.0f} ms; first {figures['first_s'] * 1000:.0f} ms), "
                    f"peak RSS {figures['peak_kib'] / 1024:.0f} MB "
                    f"(+{figures['growth_kib'] / 1024:.0f} MB making it), "
                    f"{out.stat().st_size / 1024:.0f} KB, {back['pages']} pages, "
                    f"Chinese read back: pypdf {back['pypdf']}, pdftotext {back['pdftotext']}"
                )

    print(
        f"\nload average after: {os.getloadavg()[0]:.1f} (wall times on a busy machine grow; CPU less)"
    )


if __name__ == "__main__":
    main()
