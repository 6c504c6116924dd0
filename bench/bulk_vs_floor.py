"""Do bulk commands stall the floor? Durable scans' latency while a big wave is built and
a big master data import is written, on a real `bondfloor serve`.

Run with `.venv/bin/python bench/bulk_vs_floor.py` (`--orders`, `--rows`, `--clients`,
`--baseline DIR`). The demo warehouse is seeded with the CLI; before the server starts,
--orders (5,000) one-unit orders of one SKU (customer DOCKCO, stock received for all of
them) are made and released by customs (800) in-process, through `run_command` and the
services the routes run, 250 per command. A CSV of --rows (1,000,000) new storage
locations is written. Then `bondfloor serve` (with `max_body_bytes` raised for the file),
a released receiving plan of one lot-tracked SKU, its truck checked in, and three phases:

  quiet   --clients (4) threads, each its own keep-alive connection, send durable
          receiving scans (`POST /api/v1/plans/{id}/receive`, each its own
          Idempotency-Key, fsync'd) back to back for --quiet seconds: the reference
  wave    the same scans while one `POST /api/v1/waves` names every order (one request)
  import  the same scans while one `POST /api/v1/import/locations` sends the whole file

Printed per phase: the bulk request's seconds, the scans answered, their p50 / p99 / max,
and how many took longer than 200 ms (the target: none). A scan's time is the client's
(send to answer), so it holds the wait for the writer plus HTTP and a shared CPU; the
server's own histogram of writer waits (/metrics `bondfloor_db_write_lock_wait_seconds`,
every write of the phase: the floor's and the bulk job's) gives how many writes waited
more than 100 ms and more than 250 ms for the one writer. Checks:
the wave holds every order, the import created every row, every scan answered 200.

`--baseline DIR` runs the same phases on an older checkout's server first (PYTHONPATH=DIR,
the demo seeded with its CLI so its schema is the older one; this checkout's server
upgrades its own copy on start): before and after in one run of a shared machine. About
3-6 minutes with the defaults (the import parses and writes a million rows per server).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dock_checkout import CUSTOMER, EAN, SKU, STORAGE, order_in
from pick_http import pct
from processes import HOST, bondfloor_exe, free_port, loadavg, metrics_text, serve_logged_in
from scans_wrk import EXPIRY, LOT, lot_tracked_item, open_plan
from scans_wrk import Site as Server
from seed_floor import OMS, Seeder, release

from server.config import Settings
from server.db import Database
from server.masterdata.schemas import LocationIn
from server.outbound import orders

TARGET_MS = 200.0
CHUNK = 250  # orders per setup command
MAX_BODY = 256 * 1024 * 1024


# --------------------------------------------------------------------------- the site


def seed(folder: Path, pythonpath: str | None, n_orders: int) -> list[str]:
    """The demo (seeded by the given checkout's CLI) plus n released one-unit orders."""
    config = folder / "bondfloor.toml"
    config.write_text(f'[database]\npath = "{folder / "site.db"}"\n[server]\nport = 1\n')
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    subprocess.run(
        [bondfloor_exe(), "--config", str(config), "demo"],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=folder,
        env=env,
    )
    db = Database(folder / "site.db")  # not migrated: the seeding checkout's schema stays
    seeder = Seeder(db, "bench-seed")
    settings = Settings()
    try:
        seeder.product(CUSTOMER, "Bulk Co", SKU, EAN)
        seeder.locations([LocationIn(code=STORAGE, zone="A", type="storage", pick_sequence=1)])
        seeder.receive(CUSTOMER, SKU, STORAGE, n_orders, "BENCH-ASN")
        day = datetime.now(UTC)
        planned = [
            order_in(f"BK{day:%y%m%d}{i:05d}", f"BW{day:%y%m%d}{i:06d}", i)
            for i in range(1, n_orders + 1)
        ]
        for start in range(0, len(planned), CHUNK):
            part = planned[start : start + CHUNK]

            def upsert_and_release(c: Any, x: Any, part: list[Any] = part) -> None:
                for o in part:
                    orders.upsert_order(c, x, o)
                    release(c, x, settings, o.order_no)

            seeder.run(OMS, "order.upsert", len(part), upsert_and_release)
    finally:
        db.close()
    return [o.order_no for o in planned]


def location_file(rows: int) -> bytes:
    lines = ["code,zone,type,pick_sequence"]
    lines += [f"BULK-{i:07d},BULK,storage,{i}" for i in range(rows)]
    return "\n".join(lines).encode()


def serve(name: str, seeded: Path, tmp: Path, pythonpath: str | None) -> Server:
    folder = tmp / name
    shutil.copytree(seeded, folder)
    port = free_port()
    config = folder / "bondfloor.toml"
    config.write_text(
        f'[database]\npath = "{folder / "site.db"}"\n'
        f"[server]\nport = {port}\nmax_body_bytes = {MAX_BODY}\n"
    )
    proc, client = serve_logged_in(name, folder, config, port, pythonpath, timeout=120)
    server = Server(name, folder, port, proc, client.token)
    server.plan_id = open_plan(client, lot_tracked_item(folder / "site.db")[0])
    return server


# --------------------------------------------------------------------------- the phases


def writer_waits(port: int) -> dict[str, float]:
    """The server's histogram of how long writes waited for the one writer (/metrics):
    cumulative count per bucket bound, "+Inf" for all."""
    found = re.findall(
        r'^bondfloor_db_write_lock_wait_seconds_bucket\{le="([^"]+)"\} ([\d.e+]+)$',
        metrics_text(port),
        re.M,
    )
    return {le: float(n) for le, n in found}


@dataclass
class Phase:
    site: str
    name: str
    bulk_seconds: float = 0.0
    bulk_status: int = 0
    bulk_answer: Any = None
    scans_ms: list[float] = field(default_factory=list)
    failed: int = 0
    loadavg: str = ""
    waits: dict[str, float] = field(default_factory=dict)  # writer waits during the phase

    def waited_over(self, bound: str) -> int:
        """Writes (the floor's and the bulk job's chunks) that waited longer than `bound` s."""
        return int(self.waits.get("+Inf", 0) - self.waits.get(bound, 0))


class Scanner(threading.Thread):
    """One floor client: durable receiving scans back to back until told to stop."""

    def __init__(self, server: Server, barcode: str, n: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.server, self.barcode, self.n, self.stop = server, barcode, n, stop
        self.times: list[float] = []
        self.failed = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.server.port, timeout=300)
        body = json.dumps({"scan": self.barcode, "lot": LOT, "expiry": EXPIRY}).encode()
        path = f"/api/v1/plans/{self.server.plan_id}/receive"
        prefix = f"floor-{self.n}-{time.monotonic_ns()}"
        for i in itertools.count():
            if self.stop.is_set():
                break
            headers = {
                "Authorization": f"Bearer {self.server.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{prefix}-{i}",
                "X-Device": f"floor-{self.n}",
            }
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            self.times.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                self.failed += 1
        conn.close()


def phase(
    server: Server,
    name: str,
    barcode: str,
    clients: int,
    bulk: tuple[str, bytes, str] | None,
    quiet_seconds: float,
) -> Phase:
    """Scans from `clients` threads while the bulk request (path, body, content type) runs,
    or for `quiet_seconds` without one."""
    result = Phase(server.name, name)
    stop = threading.Event()
    scanners = [Scanner(server, barcode, n, stop) for n in range(clients)]
    for s in scanners:
        s.start()
    time.sleep(1.0)  # every client is scanning before the bulk request goes
    for s in scanners:
        s.times.clear()
    waits_before = writer_waits(server.port)
    if bulk is None:
        time.sleep(quiet_seconds)
    else:
        path, body, content_type = bulk
        conn = http.client.HTTPConnection(HOST, server.port, timeout=1800)
        headers = {
            "Authorization": f"Bearer {server.token}",
            "Content-Type": content_type,
            "Idempotency-Key": f"bulk-{name}-{time.monotonic_ns()}",
        }
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        result.bulk_seconds = time.perf_counter() - t0
        result.bulk_status = resp.status
        result.bulk_answer = json.loads(raw)
        conn.close()
    waits_after = writer_waits(server.port)
    result.waits = {le: n - waits_before.get(le, 0) for le, n in waits_after.items()}
    stop.set()
    for s in scanners:
        s.join(60)
        result.scans_ms += s.times
        result.failed += s.failed
    result.loadavg = loadavg()
    return result


def run_site(
    server: Server, order_nos: list[str], file: bytes, barcode: str, args: Any
) -> list[Phase]:
    wave_body = json.dumps({"order_nos": order_nos}).encode()
    return [
        phase(server, "quiet", barcode, args.clients, None, args.quiet),
        phase(
            server,
            "wave",
            barcode,
            args.clients,
            ("/api/v1/waves", wave_body, "application/json"),
            0,
        ),
        phase(
            server,
            "import",
            barcode,
            args.clients,
            ("/api/v1/import/locations?format=csv", file, "text/csv"),
            0,
        ),
    ]


# --------------------------------------------------------------------------- report


def report(phases: list[Phase]) -> None:
    print(
        f"\n{'server':9} {'phase':7} {'bulk s':>8} {'scans':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'>200ms':>7} {'writes':>7} {'w>100ms':>7} {'w>250ms':>7}  load"
    )
    for p in phases:
        bulk = f"{p.bulk_seconds:8.2f}" if p.name != "quiet" else f"{'-':>8}"
        slow = sum(1 for t in p.scans_ms if t > TARGET_MS)
        print(
            f"{p.site:9} {p.name:7} {bulk} {len(p.scans_ms):6d} {pct(p.scans_ms, 50):8.1f} "
            f"{pct(p.scans_ms, 99):8.1f} {max(p.scans_ms, default=0):8.1f} {slow:7d} "
            f"{int(p.waits.get('+Inf', 0)):7d} {p.waited_over('0.1'):7d} "
            f"{p.waited_over('0.25'):7d}  {p.loadavg}"
        )


def checks(phases: list[Phase], orders: int, rows: int) -> list[str]:
    problems = []
    for p in phases:
        if p.failed:
            problems.append(f"{p.site} {p.name}: {p.failed} scans not answered 200")
        if p.name == "wave" and (p.bulk_status != 200 or p.bulk_answer.get("orders") != orders):
            problems.append(f"{p.site} wave: {p.bulk_status} {str(p.bulk_answer)[:300]}")
        if p.name == "import" and (p.bulk_status != 200 or p.bulk_answer.get("created") != rows):
            problems.append(f"{p.site} import: {p.bulk_status} {str(p.bulk_answer)[:300]}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders in the wave (<= 5000)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the import")
    parser.add_argument("--clients", type=int, default=4, help="floor clients scanning")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds of scans alone")
    parser.add_argument("--baseline", metavar="DIR", help="an older checkout to compare with")
    args = parser.parse_args()
    file = location_file(args.rows)
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="bf-bulk-floor-") as tmp:
        sites = [("baseline", args.baseline)] if args.baseline else []
        sites.append(("this", None))
        for name, pythonpath in sites:
            seeded = Path(tmp) / f"seed-{name}"
            seeded.mkdir()
            t = time.perf_counter()
            order_nos = seed(seeded, pythonpath, args.orders)
            barcode = lot_tracked_item(seeded / "site.db")[1]
            print(f"{name}: seeded the demo and {len(order_nos)} released orders "
                  f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
            server = serve(name, seeded, Path(tmp), pythonpath)
            try:
                for p in run_site(server, order_nos, file, barcode, args):
                    phases.append(p)
                    print(f"{name} {p.name}: {len(p.scans_ms)} scans, bulk "
                          f"{p.bulk_seconds:.2f} s", flush=True)  # fmt: skip
            finally:
                server.proc.stop()
    report(phases)
    problems = checks(phases, args.orders, args.rows)
    for line in problems:
        print(f"CHECK FAILED: {line}")
    mine = [p for p in phases if p.site == "this" and p.name != "quiet"]
    worst = max((max(p.scans_ms, default=0) for p in mine), default=0)
    verdict = "met" if worst <= TARGET_MS else "NOT met"
    print(
        f"\nverdict: slowest scan during bulk work {worst:.0f} ms: target {TARGET_MS:.0f} ms {verdict}"
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
