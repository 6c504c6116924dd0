"""How long from the last pack scan to the face sheet's bytes on the printer's socket?

Run with `.venv/bin/python bench/print_latency.py`. Target (issue 5, item 5): under
300 ms p95 on this machine, over 200 parcels, against a local TCP printer.

It starts a recording ESC/POS printer on a free 127.0.0.1 port (it answers DLE EOT status
queries "online" like tests/printing/fake_printer.py and timestamps every chunk it
receives), seeds the demo with the real CLI (`bondfloor demo`) under a config whose
pack bench `pack-01` prints to that printer (`[[printers]] label-1`, kind network,
`[printing]` left at its defaults: poll_seconds 2), starts `bondfloor serve` (granian) on
a free loopback port and, all over HTTP:

  - creates totes (POST /api/v1/import/locations) besides the demo's empty ones;
  - creates --parcels orders of the demo's JPHOME SKUs (not lot/expiry tracked, so a bare
    EAN packs), 1-2 lines of 1-2 units, and releases each (customs 800), at concurrency 8;
  - builds one wave of them (POST /api/v1/waves) and picks it all with 4 `pick01`
    handhelds (next-task -> confirm into each order's tote, as bench/pick_http.py does).

Then one packer (`pack01`, one keep-alive connection, TCP_NODELAY) packs the parcels one
after the other, like a pack bench:

  GET  /api/v1/packing/open?scan=<tote>           (not timed)
  POST /api/v1/orders/{id}/pack-scans             every unit but the last (not timed)
  t0 = just before sending the LAST pack-scan
  POST /api/v1/orders/{id}/pack-scans             the last unit       -> "scan" time
  POST /api/v1/orders/{id}/pack {weight_g, station: "pack-01"}       -> "pack" time
  t1 = when the printer received the job's last byte (the chunk that completed it)

and waits for the printer's connection to close (the server's status query after the job
answered) plus --gap seconds before the next parcel: a packer needs seconds per parcel,
so parcels do not queue behind each other here. Reported: p50/p95/p99/max of t1 - t0; of
the last scan's and the pack call's HTTP time; of "pack answer -> last byte" (the print
dispatcher's work) and its parts as seen on the printer's side: answer -> connection
accepted (wake, claim the job in a write transaction, render, ESC/POS encode; runs while
the pack answer is still travelling, so it can start before the answer is read), accepted
-> first byte of the job (the DLE EOT status round trip before the job), first -> last
byte (the transfer). The first parcel (fonts opened, caches cold) is shown apart as well.

Where the dispatcher's time goes is then measured in this process on the very payloads the
server queued (read from its file after it stopped): `render_job` (layout + draw),
`to_escpos`, `plan_face_sheet` (what the pack command runs inside the write transaction to
refuse a label that cannot be drawn), and `NetworkPrinter.print_job` against a second
recording printer (connect, status query, send, status query).

Checks, all exact: as many jobs received as parcels packed, each one raster image ending
with the cut command (GS V), its Code128 (zxing-cpp, from the raster inside the ESC/POS
bytes) equal to its order's waybill and its QR naming it, in packing order, no waybill
twice, nothing more printed after a quiet second; after the server stopped, one
`face_sheet` job per parcel, all `done` at the first attempt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import zxingcpp
from asgi_servers import (
    HOST,
    REQUEST_TIMEOUT,
    bondfloor_exe,
    filesystem_of,
    free_port,
    machine_busy_seconds,
    self_cpu_seconds,
    tree_cpu_seconds,
    version,
)
from health_ratio import print_health_ratios
from pick_http import Floor, Level, PickServer, build_wave, create_orders, pct, run_level
from receiving_http import fsync_ms

from devices import facesheet
from devices.printers import NetworkPrinter
from server.config import PrinterSettings, Settings
from server.printing.dispatch import render_job

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers
from tests.devices.escpos_raster import raster_images

CUSTOMER = "JPHOME"  # its SKUs are neither lot nor expiry tracked: a bare EAN packs
PRINTER, STATION = "label-1", "pack-01"
PACKER, PICKER, PIN = "pack01", "pick01", "1234"
PICKERS = 4
LINES, UNITS = (1, 2), (1, 2)
TARGET_P95_MS = 300.0
STATUS_QUERY = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"  # what NetworkPrinter sends
ONLINE = b"\x12\x12\x12"  # printer, offline cause, paper sensor: all fine
CUT = b"\x1dV"  # GS V: every job ends with the cut


# --------------------------------------------------------------------------- the printer


@dataclass
class Job:
    """One connection that carried a job between its two status queries."""

    data: bytes
    accepted_at: float
    first_byte_at: float  # the chunk that brought the job's first byte
    last_byte_at: float  # the chunk that brought the job's last byte
    closed_at: float
    chunks: int


class RecordingPrinter:
    """An ESC/POS TCP printer on loopback that timestamps what it receives.

    A connection is: DLE EOT 1, 2, 4 (answered "online"), the job, DLE EOT again
    (answered), close; a status check alone is the queries and close. A query is
    recognised at the end of what has arrived, so the same bytes inside a raster are
    not mistaken for one (unless a chunk happens to end with all nine of them)."""

    def __init__(self, answers: bool = True) -> None:
        self.answers = answers  # False: a printer that never answers DLE EOT, sent jobs bare
        self.jobs: list[Job] = []
        self.status_checks = 0
        self.unexpected: list[str] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, name="printer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def wait_jobs(self, count: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.jobs) >= count, timeout)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted = time.perf_counter()
            threading.Thread(target=self._session, args=(conn, accepted), daemon=True).start()

    def _session(self, conn: socket.socket, accepted: float) -> None:
        buf = bytearray()
        marks: list[tuple[int, float]] = []  # (bytes received so far, when)
        answered = 0
        with contextlib.closing(conn):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(REQUEST_TIMEOUT)
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(1 << 16)
                except OSError:
                    break
                at = time.perf_counter()
                if not chunk:
                    break
                buf += chunk
                marks.append((len(buf), at))
                if buf.endswith(STATUS_QUERY) and len(buf) > answered:
                    answered = len(buf)
                    if self.answers:
                        with contextlib.suppress(OSError):
                            conn.sendall(ONLINE)
        closed = time.perf_counter()
        data = bytes(buf)
        if not data:
            return
        q = len(STATUS_QUERY) if self.answers else 0
        if data == STATUS_QUERY:
            with self._cond:
                self.status_checks += 1
            return
        if self.answers and not (
            data.startswith(STATUS_QUERY) and data.endswith(STATUS_QUERY) and len(data) > 2 * q
        ):
            with self._cond:
                self.unexpected.append(f"{len(data)} bytes not framed by status queries")
            return
        job = data[q : len(data) - q]

        def arrival(offset: int) -> float:
            return next(t for n, t in marks if n > offset)

        with self._cond:
            self.jobs.append(
                Job(job, accepted, arrival(q), arrival(q + len(job) - 1), closed, len(marks))
            )
            self._cond.notify_all()


# --------------------------------------------------------------------------- the site


class PrintServer(PickServer):
    """The demo on `bondfloor serve`, its pack bench printing to the recording printer."""

    printer_port = 0
    printer_answers = True

    def seed(self) -> None:
        self.port = free_port()
        self.config.write_text(
            f'[database]\npath = "{self.db_path}"\n'
            f"[server]\nport = {self.port}\n"
            f'[[printers]]\nname = "{PRINTER}"\nkind = "network"\nhost = "{HOST}"\n'
            f"port = {self.printer_port}\ntimeout_seconds = 5\n"
            f"answers_status = {'true' if self.printer_answers else 'false'}\n"
            f'[[stations]]\nname = "{STATION}"\nkind = "pack_bench"\nprinters = ["{PRINTER}"]\n'
        )
        subprocess.run(
            [bondfloor_exe(), "--config", str(self.config), "demo"],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=self.workdir,
        )


@dataclass
class Site:
    skus: list[tuple[str, str, int]]  # (sku code, unit barcode, reservable units)
    free_totes: list[str]


def site_of(db_path: Path) -> Site:
    """The customer's SKUs with reservable stock and a barcode, and the empty totes."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT s.code, (SELECT MIN(x.barcode) FROM sku_barcodes x WHERE x.sku_id = s.id "
            " AND length(x.barcode) = 13), SUM(b.quantity - COALESCE(r.quantity, 0)) "
            "FROM balances b JOIN locations l ON l.id = b.location_id "
            "JOIN skus s ON s.id = b.sku_id JOIN customers c ON c.id = b.customer_id "
            "LEFT JOIN reservations r ON r.location_id = b.location_id "
            " AND r.customer_id = b.customer_id AND r.sku_id = b.sku_id AND r.lot = b.lot "
            " AND r.expiry = b.expiry "
            "WHERE c.code = ? AND l.type IN ('storage', 'pick_face') AND l.active = 1 "
            "AND s.active = 1 AND s.lot_tracked = 0 AND s.expiry_tracked = 0 "
            "AND (b.expiry = '' OR b.expiry >= ?) GROUP BY s.code "
            "HAVING SUM(b.quantity - COALESCE(r.quantity, 0)) > 0 ORDER BY s.code",
            (CUSTOMER, date.today().isoformat()),
        ).fetchall()
        totes = [
            r[0]
            for r in conn.execute(
                "SELECT code FROM locations l WHERE type = 'tote' AND active = 1 AND NOT EXISTS "
                "(SELECT 1 FROM balances b WHERE b.location_id = l.id) AND NOT EXISTS "
                "(SELECT 1 FROM orders o WHERE o.tote_location_id = l.id) ORDER BY code"
            )
        ]
    finally:
        conn.close()
    skus = [(code, barcode, int(units)) for code, barcode, units in rows if barcode]
    if not skus:
        sys.exit(f"no {CUSTOMER} SKUs with stock and a 13-digit barcode in {db_path}")
    return Site(skus, totes)


NAMES = ["张三丰", "李小龙", "王芳", "陈静怡", "刘洋", "赵敏", "周杰", "吴秀兰"]
PLACES = [
    ("广东省", "深圳市", "南山区", "科技园南路十八号大厦三楼"),
    ("浙江省", "杭州市", "西湖区", "文三路九十号阳光花园二幢"),
    ("上海市", "上海市", "浦东新区", "张江高科路五百号软件园二期"),
    ("北京市", "北京市", "朝阳区", "建国路八十八号华星时代广场"),
    ("四川省", "成都市", "武侯区", "人民南路四段十二号三单元"),
]


def plan_orders(site: Site, rng: random.Random, n: int) -> tuple[list[dict[str, Any]], dict]:
    """n order bodies for POST /api/v1/orders, each covered by the stock; and the
    barcode of every SKU."""
    left = {code: units for code, _, units in site.skus}
    barcode = {code: bc for code, bc, _ in site.skus}
    waybills: set[str] = set()
    orders: list[dict[str, Any]] = []
    for i in range(n):
        lines: list[dict[str, Any]] = []
        for sku in rng.sample(sorted(left), rng.randint(*LINES)):
            q = rng.randint(*UNITS)
            if left[sku] >= q:
                left[sku] -= q
                lines.append({"sku": sku, "quantity": q})
        if not lines:
            sys.exit("the demo's stock does not cover the orders")
        while (waybill := f"SF14{rng.randrange(10**11):011d}") in waybills:
            pass
        waybills.add(waybill)
        province, city, district, address = rng.choice(PLACES)
        orders.append(
            {
                "customer": CUSTOMER,
                "order_no": f"PL{i:05d}",
                "courier": "SF",
                "waybill_no": waybill,
                "routing": {
                    "sort_code": f"{rng.randint(100, 999)}-{rng.randint(0, 999):03d}-00 "
                    f"{rng.randint(0, 999):03d}",
                    "consolidation_point": "深圳集包",
                    "product_type": "标准快递",
                },
                "recipient": {
                    "name": rng.choice(NAMES),
                    "phone": f"13{rng.randrange(10**9):09d}",
                    "province": province,
                    "city": city,
                    "district": district,
                    "address": address,
                },
                "sender": {
                    "name": "日本家居用品贸易公司",
                    "phone": "0755-1234567",
                    "address": "前海保税区一号仓",
                },
                "lines": lines,
            }
        )
    return orders, barcode


# --------------------------------------------------------------------------- packing


@dataclass
class Parcel:
    order_no: str
    waybill_no: str
    tote: str
    scans: list[str]  # one barcode per unit, in scan order
    order_id: int = 0
    t0: float = 0.0  # just before the last scan was sent
    t_scan: float = 0.0  # its answer read
    t_pack: float = 0.0  # the pack answer read
    job: Job | None = None
    printed_waybill: str = ""


class Packer:
    """One pack bench: a keep-alive HTTP/1.1 connection with the packer's session."""

    def __init__(self, port: int, token: str, device: str, run_id: str) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.conn.connect()
        assert self.conn.sock is not None
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "X-Device": device,
        }
        self.run_id = run_id
        self.keys = 0

    def call(self, method: str, path: str, payload: object = None) -> tuple[int, Any]:
        headers = dict(self.headers)
        body = None
        if method == "POST":
            self.keys += 1
            headers["Idempotency-Key"] = f"pack-{self.run_id}-{self.keys}"
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


def must(status: int, answer: Any, what: str) -> Any:
    if status != 200:
        raise RuntimeError(f"{what}: {status} {str(answer)[:300]}")
    return answer


def pack_all(
    packer: Packer,
    printer: RecordingPrinter,
    parcels: list[Parcel],
    gap: float,
    gap_max: float = 0.0,
    rng: random.Random | None = None,
) -> None:
    """`gap_max` > 0: each gap is random between 0 and it (an idle printer's status checks
    then fall between packs as they do at a real bench)."""
    rng = rng or random.Random(0)
    for i, p in enumerate(parcels):
        view = must(*packer.call("GET", f"/api/v1/packing/open?scan={p.tote}"), f"open {p.tote}")
        if view["order_no"] != p.order_no:
            raise RuntimeError(f"tote {p.tote} opened {view['order_no']}, not {p.order_no}")
        p.order_id = int(view["id"])
        scan_path = f"/api/v1/orders/{p.order_id}/pack-scans"
        for barcode in p.scans[:-1]:
            answer = must(
                *packer.call("POST", scan_path, {"scan": barcode, "station": STATION}), "scan"
            )
            if answer["complete"]:
                raise RuntimeError(f"{p.order_no} complete before its last scan")
        p.t0 = time.perf_counter()
        answer = packer.call("POST", scan_path, {"scan": p.scans[-1], "station": STATION})
        p.t_scan = time.perf_counter()
        if not must(*answer, f"last scan of {p.order_no}")["complete"]:
            raise RuntimeError(f"{p.order_no} not complete after its last scan")
        answer = packer.call(
            "POST",
            f"/api/v1/orders/{p.order_id}/pack",
            {"weight_g": 850 + 10 * len(p.scans), "station": STATION},
        )
        p.t_pack = time.perf_counter()
        packed = must(*answer, f"pack {p.order_no}")
        if packed["waybill_no"] != p.waybill_no:
            raise RuntimeError(f"{p.order_no} packed as {packed['waybill_no']}")
        if not printer.wait_jobs(i + 1, timeout=30):
            raise RuntimeError(f"no label for {p.order_no} within 30 s")
        p.job = printer.jobs[i]
        # the packer puts the parcel away and takes the next tote
        time.sleep(rng.uniform(0, gap_max) if gap_max > 0 else gap)


# --------------------------------------------------------------------------- checks


def decode(job: Job) -> tuple[str, str, str]:
    """(Code128, QR text, problem) of the one label inside the job's ESC/POS bytes."""
    images = raster_images(job.data)
    if len(images) != 1:
        return "", "", f"{len(images)} raster images"
    if CUT not in job.data[-8:]:
        return "", "", "does not end with the cut (GS V)"
    found = {r.format.name: r.text for r in zxingcpp.read_barcodes(images[0])}
    return found.get("Code128", ""), found.get("QRCode", ""), ""


def label_checks(printer: RecordingPrinter, parcels: list[Parcel]) -> list[str]:
    failures: list[str] = []
    time.sleep(1.0)  # anything printed late or twice would arrive now
    jobs = list(printer.jobs)
    if len(jobs) != len(parcels):
        failures.append(f"{len(jobs)} jobs received for {len(parcels)} parcels")
    if printer.unexpected:
        failures.append(f"{len(printer.unexpected)} odd connections: {printer.unexpected[0]}")
    decoded: list[str] = []
    right = wrong = qr_wrong = 0
    for i, job in enumerate(jobs):
        code128, qr, problem = decode(job)
        if problem:
            failures.append(f"job {i + 1}: {problem}")
        decoded.append(code128)
        if i < len(parcels):
            parcels[i].printed_waybill = code128
            if code128 == parcels[i].waybill_no:
                right += 1
            else:
                wrong += 1
            qr_fields = qr.split("|")
            if len(qr_fields) < 2 or qr_fields[1] != parcels[i].waybill_no:
                qr_wrong += 1
    dupes = len(decoded) - len(set(decoded))
    missing = {p.waybill_no for p in parcels} - set(decoded)
    print(
        f"  printer: {len(jobs)} jobs for {len(parcels)} parcels, {printer.status_checks} "
        f"status checks alone, {len(printer.unexpected)} odd connections; job size "
        f"{min((len(j.data) for j in jobs), default=0):,}-"
        f"{max((len(j.data) for j in jobs), default=0):,} bytes"
    )
    print(
        f"  decoded Code128 (zxing-cpp, raster from the ESC/POS bytes): "
        f"{right} equal to their order's waybill in packing order, {wrong} not; QR naming the "
        f"waybill: {len(jobs) - qr_wrong}; waybills printed twice: {dupes}; parcels with "
        f"no label: {len(missing)}"
    )
    if wrong:
        failures.append(f"{wrong} labels whose Code128 is not their order's waybill")
    if qr_wrong:
        failures.append(f"{qr_wrong} labels whose QR does not name their waybill")
    if dupes:
        failures.append(f"{dupes} waybills printed twice")
    if missing:
        failures.append(f"{len(missing)} parcels without a label, e.g. {sorted(missing)[0]}")
    return failures


def database_checks(db_path: Path, parcels: list[Parcel]) -> tuple[list[str], list[dict]]:
    """The print queue after the server stopped; returns the payloads for the breakdown."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT j.status, j.attempts, j.payload, p.waybill_no FROM print_jobs j "
            "LEFT JOIN parcels p ON p.id = j.parcel_id WHERE j.kind = 'face_sheet' ORDER BY j.id"
        ).fetchall()
        parcels_n = conn.execute("SELECT COUNT(*) FROM parcels").fetchone()[0]
    finally:
        conn.close()
    done_first = sum(1 for r in rows if r["status"] == "done" and r["attempts"] == 1)
    in_order = [r["waybill_no"] for r in rows] == [p.waybill_no for p in parcels]
    print(
        f"  database after stop: {parcels_n} parcels, {len(rows)} face_sheet jobs, "
        f"{done_first} done at the first attempt; jobs in packing order: "
        f"{'yes' if in_order else 'NO'}"
    )
    failures = []
    if not len(rows) == parcels_n == len(parcels):
        failures.append(f"{len(rows)} jobs, {parcels_n} parcels for {len(parcels)} packed")
    if done_first != len(rows):
        failures.append(f"{len(rows) - done_first} jobs not done at the first attempt")
    if not in_order:
        failures.append("the queue's jobs are not the parcels in packing order")
    return failures, [json.loads(r["payload"]) for r in rows]


# --------------------------------------------------------------------------- breakdown


def breakdown(payloads: list[dict], count: int) -> list[str]:
    """The dispatcher's steps, timed in this process on the payloads the server queued."""
    settings = Settings()
    sink = RecordingPrinter()
    ps = PrinterSettings(name=PRINTER, kind="network", host=HOST, port=sink.port)
    printer = NetworkPrinter(PRINTER, HOST, sink.port, timeout=5.0)
    steps: dict[str, list[float]] = {"plan": [], "render": [], "escpos": [], "send": []}
    size = 0
    try:
        render_job(payloads[0], ps, settings)  # fonts opened once, as in a running server
        for payload in payloads[:count]:
            t0 = time.perf_counter()
            facesheet.plan_face_sheet(
                payload, width_mm=ps.label_width_mm, height_mm=ps.label_height_mm, dpi=ps.dpi
            )
            t1 = time.perf_counter()
            image = render_job(payload, ps, settings)
            t2 = time.perf_counter()
            data = facesheet.to_escpos(image)
            t3 = time.perf_counter()
            printer.print_job(data, job_id=0)
            t4 = time.perf_counter()
            size = len(data)
            for key, a, b in (("plan", t0, t1), ("render", t1, t2), ("escpos", t2, t3)):
                steps[key].append((b - a) * 1000)
            steps["send"].append((t4 - t3) * 1000)
        sink.wait_jobs(len(steps["send"]), 5)
        to_first = [(j.first_byte_at - j.accepted_at) * 1000 for j in sink.jobs]
    finally:
        sink.stop()
    n = len(steps["send"])
    out = [
        f"dispatcher steps in this process, {n} of the queued labels ({size:,} bytes of ESC/POS "
        "each), ms:",
        f"  {'step':<44} {'p50':>7} {'p95':>7} {'max':>7} {'mean':>7}",
    ]
    names = {
        "plan": "plan_face_sheet (pack command, in the writer)",
        "render": "render_job (plan again + draw)",
        "escpos": "to_escpos (python-escpos GS v 0)",
        "send": "NetworkPrinter.print_job (whole connection)",
    }
    for key, label in names.items():
        v = steps[key]
        out.append(
            f"  {label:<44} {pct(v, 50):>7.2f} {pct(v, 95):>7.2f} {max(v):>7.2f} "
            f"{statistics.fmean(v):>7.2f}"
        )
    out.append(
        f"  {'  of which accept -> first job byte':<44} {pct(to_first, 50):>7.2f} "
        f"{pct(to_first, 95):>7.2f} {max(to_first):>7.2f} {statistics.fmean(to_first):>7.2f}"
    )
    return out


# --------------------------------------------------------------------------- report


def figures(name: str, values: list[float]) -> str:
    return (
        f"  {name:<46} {pct(values, 50):>7.1f} {pct(values, 95):>7.1f} {pct(values, 99):>7.1f} "
        f"{max(values):>7.1f} {statistics.fmean(values):>7.1f}"
    )


def report(parcels: list[Parcel]) -> float:
    ms = 1000.0
    rows: dict[str, list[float]] = {
        "last scan -> last byte on the socket (t1 - t0)": [],
        "  last pack-scan, HTTP": [],
        "  pack, HTTP": [],
        "  pack answer -> last byte (dispatcher)": [],
        "    answer -> printer connection accepted": [],
        "    accepted -> first job byte (DLE EOT)": [],
        "    first -> last job byte (transfer)": [],
    }
    values = list(rows.values())
    for p in parcels:
        assert p.job is not None
        j = p.job
        for column, seconds in zip(
            values,
            (
                j.last_byte_at - p.t0,
                p.t_scan - p.t0,
                p.t_pack - p.t_scan,
                j.last_byte_at - p.t_pack,
                j.accepted_at - p.t_pack,
                j.first_byte_at - j.accepted_at,
                j.last_byte_at - j.first_byte_at,
            ),
            strict=True,
        ):
            column.append(seconds * ms)
    print(
        f"  {'ms, over ' + str(len(parcels)) + ' parcels':<46} {'p50':>7} {'p95':>7} "
        f"{'p99':>7} {'max':>7} {'mean':>7}"
    )
    for name, column in rows.items():
        print(figures(name, column))
    first = parcels[0]
    assert first.job is not None
    print(
        f"  first parcel (cold): t1 - t0 {(first.job.last_byte_at - first.t0) * ms:.1f} ms "
        f"(scan {(first.t_scan - first.t0) * ms:.1f}, pack {(first.t_pack - first.t_scan) * ms:.1f}, "
        f"pack answer -> last byte {(first.job.last_byte_at - first.t_pack) * ms:.1f})"
    )
    e2e = values[0]
    worst = sorted(range(len(parcels)), key=lambda i: -e2e[i])[:5]
    print(
        "  slowest parcels (t1 - t0 = scan + pack + dispatcher, ms): "
        + "; ".join(
            f"#{i + 1} {e2e[i]:.0f} = {values[1][i]:.0f} + {values[2][i]:.0f} + {values[3][i]:.0f}"
            for i in worst
        )
    )
    return pct(e2e, 95)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, default=200, help="parcels packed (default 200)")
    parser.add_argument(
        "--gap",
        type=float,
        default=0.1,
        help="seconds between a label's arrival and the next tote (default 0.1)",
    )
    parser.add_argument(
        "--breakdown",
        type=int,
        default=50,
        help="labels replayed in this process to time the dispatcher's steps (default 50)",
    )
    parser.add_argument(
        "--gap-max",
        type=float,
        default=0.0,
        help="gaps random between 0 and this many seconds instead of --gap (e.g. 15)",
    )
    parser.add_argument(
        "--no-status",
        action="store_true",
        help="the printer never answers DLE EOT and is configured answers_status = false",
    )
    parser.add_argument("--seed", type=int, default=5, help="random seed of the orders")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="serve (and seed) with an older checkout's code (DIR: its top folder with server/, "
        "devices/ and handheld_web/, e.g. from `git archive`); the in-process breakdown, which "
        "would time this checkout's code, is then left out",
    )
    parser.add_argument(
        "--json", metavar="FILE", help="also write t1 - t0 of every parcel (ms) to FILE"
    )
    args = parser.parse_args()
    if args.baseline:
        # the server and the demo seeding are child processes: the older code goes first on
        # their path, as in scans_wrk.py
        os.environ["PYTHONPATH"] = str(Path(args.baseline).resolve())
        args.breakdown = 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops the server
    rng = random.Random(args.seed)
    t_start = time.perf_counter()
    failures: list[str] = []
    parcels: list[Parcel] = []
    p95 = float("inf")
    printer = RecordingPrinter(answers=not args.no_status)
    server: PrintServer | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bondfloor-print-") as tmp:
            workdir = Path(tmp) / "granian"
            workdir.mkdir()
            server = PrintServer("granian", workdir)
            server.printer_port = printer.port
            server.printer_answers = not args.no_status
            probe = sorted(fsync_ms(workdir))
            print("bondfloor: last pack scan -> face sheet bytes on a TCP printer's socket")
            print(f"  server code: {args.baseline or 'this checkout'}")
            print(
                f"  python {sys.version.split()[0]}, litestar {version('litestar')}, granian "
                f"{version('granian')}, python-escpos {version('python-escpos')}, sqlite "
                f"{sqlite3.sqlite_version}; {os.cpu_count()} CPU cores shared by the server, "
                "this client and the recording printer (a thread of this process)"
            )
            print(
                f"  database in {tmp} ({filesystem_of(Path(tmp))}); fsync of 4 KiB there: p50 "
                f"{probe[len(probe) // 2]:.2f} ms, p99 {probe[int(len(probe) * 0.99) - 1]:.2f} "
                f"ms; printer {PRINTER} on {HOST}:{printer.port}"
            )
            try:
                server.seed()
                site = site_of(server.db_path)
                orders, barcode = plan_orders(site, rng, args.parcels)
                server.start()
                run_id = uuid.uuid4().hex[:8]
                totes = list(site.free_totes)
                need = len(orders) - len(totes)
                if need > 0:
                    new = [f"PT-{run_id}-{i:04d}" for i in range(need)]
                    must(
                        *server.api(
                            "POST",
                            "/api/v1/import/locations?format=json",
                            [{"code": t, "zone": "TOTE", "type": "tote"} for t in new],
                            key=f"totes-{run_id}",
                        ),
                        "totes",
                    )
                    totes += new
                setup_s = asyncio.run(create_orders(server, orders, run_id))
                level = Level("pick", PICKERS)
                level.wave_id, level.wave_tasks, wave_s = build_wave(
                    server, orders, f"wave-{run_id}"
                )
                tokens = [
                    server.login(PICKER, PIN, f"HH-{PICKERS:02d}-{i:02d}")
                    for i in range(1, PICKERS + 1)
                ]
                floor = Floor(totes[::-1])
                t_pick = time.perf_counter()
                # one call more per picker: whoever takes the last task still hears "none left"
                asyncio.run(
                    run_level(server, floor, level, tokens, 300.0, level.wave_tasks + PICKERS)
                )
                pick_s = time.perf_counter() - t_pick
                if level.errors or not level.drained:
                    raise RuntimeError(f"picking did not finish: {dict(level.errors)}")
                units = sum(line["quantity"] for o in orders for line in o["lines"])
                print(
                    f"  server pid {server.pid}, port {server.port}, healthy after "
                    f"{server.startup_s:.2f} s; {len(orders)} {CUSTOMER} orders ({units} units) "
                    f"created and released in {setup_s:.1f} s, one wave ({level.wave_tasks} "
                    f"tasks, {wave_s:.2f} s) picked by {PICKERS} handhelds in {pick_s:.1f} s "
                    f"into {len(totes)} totes ({max(0, need)} imported)"
                )
                for o in orders:
                    scans = [barcode[ln["sku"]] for ln in o["lines"] for _ in range(ln["quantity"])]
                    parcels.append(
                        Parcel(o["order_no"], o["waybill_no"], floor.tote_of[o["order_no"]], scans)
                    )
                token = server.login(PACKER, PIN, "PACK-01")
                packer = Packer(server.port, token, "PACK-01", run_id)
                print(
                    f"  packing {len(parcels)} parcels one after the other at {STATION} as "
                    f"{PACKER} ({sum(len(p.scans) for p in parcels)} item scans; "
                    + (
                        f"gaps random 0-{args.gap_max:g} s"
                        if args.gap_max > 0
                        else f"--gap {args.gap:g} s"
                    )
                    + " after each label; printer "
                    + ("without status answers)" if args.no_status else "answering status)")
                )
                cpu0, me0, all0 = (
                    tree_cpu_seconds(server.pid),
                    self_cpu_seconds(),
                    machine_busy_seconds(),
                )
                t_pack = time.perf_counter()
                try:
                    pack_all(packer, printer, parcels, args.gap, args.gap_max, rng)
                finally:
                    packer.close()
                pack_s = time.perf_counter() - t_pack
                server_cpu = tree_cpu_seconds(server.pid) - cpu0
                mine = self_cpu_seconds() - me0
                other = max(0.0, machine_busy_seconds() - all0 - server_cpu - mine)
                print(
                    f"  packed in {pack_s:.1f} s; server CPU {server_cpu / len(parcels) * 1000:.1f}"
                    f" ms per parcel (its scans, pack, label); other processes used "
                    f"{other / pack_s:.0%} of a core meanwhile (this process {mine / pack_s:.0%})"
                )
                print()
                p95 = report(parcels)
                if args.json:
                    Path(args.json).write_text(
                        json.dumps(
                            [
                                (p.job.last_byte_at - p.t0) * 1000
                                for p in parcels
                                if p.job is not None
                            ]
                        )
                    )
                scan_ms = [(p.t_scan - p.t0) * 1000 for p in parcels if p.t_scan]
                if scan_ms:
                    print_health_ratios(
                        server.port, [("last pack scans", statistics.median(scan_ms))]
                    )
                print()
            finally:
                server.stop()
            if server.proc is not None and server.proc.returncode not in (0, -15, None):
                print(f"  server exit code {server.proc.returncode}; log:\n{server.log()}")
            packed = [p for p in parcels if p.job is not None]
            failures += label_checks(printer, packed)
            db_failures, payloads = database_checks(server.db_path, packed)
            failures += db_failures
            print()
            if payloads and args.breakdown > 0:
                for line in breakdown(payloads, args.breakdown):
                    print(line)
                print()
    finally:
        printer.stop()

    if failures:
        for f in failures:
            print(f"FAIL: {f}")
    else:
        print(
            f"CHECKS: all passed ({len(parcels)} jobs for {len(parcels)} parcels, each label's "
            "Code128 and QR = its order's waybill, in packing order, none twice; every queued "
            "job done at the first attempt)"
        )
    verdict = "met" if p95 < TARGET_P95_MS else "NOT met"
    print(
        f"VERDICT: last scan -> bytes on the socket p95 {p95:.1f} ms: target < "
        f"{TARGET_P95_MS:.0f} ms {verdict}"
    )
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    if failures or p95 >= TARGET_P95_MS:
        sys.exit(1)


if __name__ == "__main__":
    main()
