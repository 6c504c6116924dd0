"""How long does a truck of 2,000 parcels take to check out at the dock, scan by scan over
HTTP, and does it leave with exactly its parcels?

Run with `.venv/bin/python bench/dock_checkout.py`. A temp folder holds the site's own
config and SQLite file: a `file` printer `label-1` writing into that folder, the pack bench
`pack-01` printing on it, users sup01 / pick01 / pack01 / dock01 (PIN 1234).

Setup, in-process BEFORE the server starts, through the server's own rules: every step is
`run_command` of the service function its route runs, a chunk of orders per command (one
write transaction and fsync per chunk instead of per order): customer, SKU, storage,
lanes and totes, stock received; --parcels orders of one unit each (`upsert_order`),
released by customs (`apply_customs_status` 800); one wave of all of them (`build_wave`);
each order picked into a tote (`lease_next_task`, `confirm_pick`), its item scanned at the
bench (`pack_scan`) and the parcel made (`complete_pack`: the face sheet laid out, the stock
moved from the tote onto the parcel's location, the label queued). Through HTTP that
would be about 12,000 requests: 1-2 minutes at the rates pick_http.py and print_latency.py
measure, before the part measured here.

Packing queued one face sheet per parcel for `label-1`. The server's dispatcher renders
each in about 25-30 ms of CPU (bench/print_latency.py): 2,000 labels are a minute of CPU in
the server process, competing with the scans for the 2 cores. So the server starts with
`label-1` set `enabled = false` in its config: at start the dispatcher fails the queued
jobs of a disabled printer (PRINTER_DISABLED, `fail_unprintable`) and runs no printer
thread. `--print-labels` leaves the printer on, to see the scans while the labels render.

Then over HTTP on `bondfloor serve` (granian) on a free 127.0.0.1 port, as dock01:
  - POST /api/v1/loading-lists naming the --parcels waybills (timed);
  - POST /api/v1/dock/open (the plate at door D1), driver-id (18 characters: 17 digits and
    the check character from `server.dock.identity.id_check_character`), driver-name, seal;
  - GET /api/v1/dock-doors/D1 (the door's screen), before the first scan;
  - every parcel's face sheet scanned, POST /api/v1/loading-lists/{id}/scans, one at a time
    over ONE keep-alive `http.client` connection, each with its own Idempotency-Key, in a
    shuffled order: per scan ms from just before the request is sent to the last byte of
    the answer (p50/p95/p99/max, p50 per block), the answer's size, server CPU per scan;
  - GET /api/v1/dock-doors/D1 again, with every parcel loaded;
  - POST .../depart: ships every parcel's stock, marks the orders shipped and writes the
    handover record and its events in ONE write transaction (timed);
  - GET .../handover (timed).

Checks, exact, on the server's file after it stopped: every parcel loaded once (one
`order.loaded` and one `order.shipped` event per order, one `loading_list.load` command per
scan), every order `shipped`, no stock left on the parcels' locations, one `ship` movement
per parcel, balances = the sum of movements; the handover record (depart answer = GET)
lists exactly the list's waybills.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asgi_servers import (
    filesystem_of,
    machine_busy_seconds,
    self_cpu_seconds,
    tree_cpu_seconds,
    version,
)
from health_ratio import print_health_ratios
from pick_http import pct
from processes import HOST, Proc, bondfloor_exe, free_port
from receiving_http import fsync_ms
from seed_floor import OMS, SUPERVISOR, Seeder, release

from server.auth import service as auth
from server.commands import SYSTEM, Actor
from server.config import Settings, load_settings, site_today
from server.db import Database
from server.dock.identity import id_check_character
from server.ledger.service import balances_from_movements, stored_balances
from server.masterdata.schemas import LocationIn
from server.outbound import orders, packing, picking
from server.outbound.schemas import (
    OrderIn,
    OrderLineIn,
    PackComplete,
    PackScan,
    Party,
    PickConfirm,
    Routing,
    WaveIn,
)
from server.outbound.waves import build_wave

PIN = "1234"
USERS = (("sup01", "supervisor"), ("pick01", "picker"), ("pack01", "packer"), ("dock01", "dock"))
PICKER = Actor(kind="user", code="pick01", roles=frozenset({"picker"}), device="bench-seed")
PACKER = Actor(kind="user", code="pack01", roles=frozenset({"packer"}), device="bench-seed")
DOCK_USER, DEVICE = "dock01", "HH-DOCK-01"
CUSTOMER, SKU, EAN = "DOCKCO", "SOAP-1", "6901234567892"
STORAGE, LANE, INSPECTION = "A-01-01", "OUT-01", "INSP-01"
PRINTER, STATION, DOOR = "label-1", "pack-01", "D1"
TOTES = 100  # orders picked and packed per chunk (a tote each, free again once packed)
CHUNK = 250  # orders per command when creating and releasing them
PLATE, SECOND_PLATE, SEAL = "粤B12345", "AB1234", "SEAL-20261123-01"
DRIVER_NAME = "李师傅"
DRIVER_ID = "44030519900307123" + id_check_character("44030519900307123")
BLOCKS = 5
STARTUP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 120.0  # departure of 2,000 parcels is one request


# --------------------------------------------------------------------------- the site


@dataclass
class Site:
    folder: Path
    print_labels: bool
    port: int = field(default_factory=free_port)
    server: Proc = field(init=False)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.server = Proc("server", self.folder / "serve.log")

    @property
    def config(self) -> Path:
        return self.folder / "bondfloor.toml"

    @property
    def db_path(self) -> Path:
        return self.folder / "site.db"

    def write_config(self, printer_enabled: bool) -> None:
        self.config.write_text(
            '[site]\ncode = "BENCH"\nname = "dock check-out bench"\n'
            f'[database]\npath = "{self.db_path}"\n'
            f'[server]\nhost = "{HOST}"\nport = {self.port}\n'
            "[discovery]\nadvertise = false\n"
            "[outbound]\nauto_wave_minutes = 0\n"
            f'[[printers]]\nname = "{PRINTER}"\nkind = "file"\n'
            f'folder = "{self.folder / "printouts"}"\n'
            f"enabled = {'true' if printer_enabled else 'false'}\n"
            f'[[stations]]\nname = "{STATION}"\nkind = "pack_bench"\nprinters = ["{PRINTER}"]\n'
            f'[[stations]]\nname = "{DOOR}"\nkind = "dock_door"\n',
            encoding="utf-8",
        )

    def start(self) -> float:
        """Start `bondfloor serve`; returns the seconds until it answered /health."""
        cmd = [bondfloor_exe(), "--config", str(self.config), "serve"]
        return self.server.start_server(cmd, self.folder, self.port, STARTUP_TIMEOUT)


# --------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    waybills: list[str]
    order_nos: list[str]
    weight_g: int
    seconds: dict[str, float]


def order_in(order_no: str, waybill: str, n: int) -> OrderIn:
    return OrderIn(
        customer=CUSTOMER,
        order_no=order_no,
        courier="SF",
        waybill_no=waybill,
        routing=Routing(
            sort_code=f"{300 + n % 90}-{n % 100:03d}-00 {n % 1000:03d}",
            consolidation_point="深圳集包中心",
            product_type="标准快递",
        ),
        recipient=Party(
            name="张三丰",
            phone=f"138{n:08d}",
            province="广东省",
            city="深圳市",
            district="南山区",
            address=f"科技园南路{n % 200 + 1}号软件大厦3楼",
        ),
        sender=Party(
            name="Bonded DC",
            phone="0755-86001210",
            province="广东省",
            city="深圳市",
            district="前海",
            address="前海保税港区一号仓",
        ),
        lines=[OrderLineIn(sku=SKU, quantity=1)],
    )


def seed(db: Database, settings: Settings, n: int, rng: random.Random) -> Seeded:
    """The site and n packed, released parcels, through run_command and the services."""
    seeder = Seeder(db, "seed")
    run = seeder.run
    seconds: dict[str, float] = {}

    def chunks(items: list[Any], size: int) -> list[list[Any]]:
        return [items[i : i + size] for i in range(0, len(items), size)]

    t = time.perf_counter()
    for code, role in USERS:
        run(
            SYSTEM,
            "user.add",
            code,
            lambda c, x, code=code, role=role: auth.add_user(
                c, x, settings.auth, code=code, name=code, roles=[role], pin=PIN
            ),
        )
    seeder.product(CUSTOMER, "Dock Co", SKU, EAN)
    totes = [f"TOTE-{i:03d}" for i in range(1, TOTES + 1)]
    locations = [
        LocationIn(code=STORAGE, zone="A", type="storage", pick_sequence=1),
        LocationIn(code=LANE, zone="OUT", type="outbound_lane"),
        LocationIn(code=INSPECTION, zone="INSP", type="inspection"),
    ] + [LocationIn(code=t, zone="TOTE", type="tote") for t in totes]
    seeder.locations(locations)
    seeder.receive(CUSTOMER, SKU, STORAGE, n, "BENCH-ASN")
    seconds["site"] = time.perf_counter() - t

    t = time.perf_counter()
    day = datetime.now(UTC)
    planned = [
        order_in(f"DK{day:%y%m%d}{i:05d}", f"SF{day:%y%m%d}{i:06d}", i) for i in range(1, n + 1)
    ]
    order_ids: dict[str, int] = {}
    for part in chunks(planned, CHUNK):

        def upsert(c: sqlite3.Connection, x: Any, part: list[OrderIn] = part) -> list[Any]:
            return [(o.order_no, orders.upsert_order(c, x, o).id) for o in part]

        order_ids.update(run(OMS, "order.upsert", len(part), upsert))

        def release_part(c: sqlite3.Connection, x: Any, part: list[OrderIn] = part) -> None:
            for o in part:
                release(c, x, settings, o.order_no)

        run(OMS, "order.customs_status", len(part), release_part)
    seconds["orders"] = time.perf_counter() - t

    t = time.perf_counter()
    nos = [o.order_no for o in planned]
    wave = run(
        SUPERVISOR,
        "wave.build",
        {"order_nos": len(nos)},
        lambda c, x: build_wave(
            c, x, settings, WaveIn(order_nos=nos, max_orders=n), today=site_today(settings)
        ),
    )
    if wave["orders"] != n or wave["backordered"] or wave["skipped"]:
        raise RuntimeError(f"the wave took {wave['orders']} of {n} orders: {str(wave)[:300]}")
    seconds["wave"] = time.perf_counter() - t

    weights: dict[str, int] = {}
    seconds["pick"] = seconds["pack_scan"] = seconds["pack"] = 0.0
    today = site_today(settings).isoformat()
    for part in chunks(nos, TOTES):
        t = time.perf_counter()

        def pick(c: sqlite3.Connection, x: Any, count: int = len(part)) -> list[str]:
            picked = []
            for tote in totes[:count]:
                task = picking.lease_next_task(c, x, settings, wave["id"]).task
                assert task is not None, "the wave ran out of tasks"
                confirm = PickConfirm(
                    location=task.location,
                    item=task.barcodes[0],
                    quantity=task.remaining,
                    tote=tote,
                )
                picked.append(picking.confirm_pick(c, x, settings, task.id, confirm).order_no)
            return picked

        picked: list[str] = run(PICKER, "pick.confirm", len(part), pick)
        seconds["pick"] += time.perf_counter() - t
        t = time.perf_counter()

        def scan(c: sqlite3.Connection, x: Any, picked: list[str] = picked) -> None:
            for no in picked:
                packing.pack_scan(
                    c, x, settings, order_ids[no], PackScan(scan=EAN, station=STATION)
                )

        run(PACKER, "pack.scan", len(picked), scan)
        seconds["pack_scan"] += time.perf_counter() - t
        t = time.perf_counter()
        for no in picked:
            weights[no] = rng.randint(300, 3000)

        def pack(c: sqlite3.Connection, x: Any, picked: list[str] = picked) -> None:
            for no in picked:
                done = PackComplete(weight_g=weights[no], station=STATION)
                packing.complete_pack(c, x, settings, order_ids[no], done, day=today)

        run(PACKER, "pack.complete", len(picked), pack)
        seconds["pack"] += time.perf_counter() - t
    by_no = {o.order_no: o.waybill_no for o in planned}
    return Seeded([by_no[no] for no in nos], nos, sum(weights.values()), seconds)


# --------------------------------------------------------------------------- HTTP


@dataclass
class Answer:
    status: int
    body: Any
    ms: float
    size: int


class Handheld:
    """One user's session on one keep-alive HTTP/1.1 connection (http.client)."""

    def __init__(self, port: int, device: str, run_id: str) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.device = device
        self.token = ""
        self.keys = itertools.count(1)
        self.run_id = run_id

    def request(self, method: str, path: str, payload: Any = None) -> Answer:
        headers = {"Accept": "application/json", "X-Device": self.device}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = None
        if method == "POST":
            headers["Idempotency-Key"] = f"{self.run_id}-{self.device}-{next(self.keys)}"
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload if payload is not None else {}).encode()
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        ms = (time.perf_counter() - t0) * 1000
        return Answer(resp.status, json.loads(raw) if raw else None, ms, len(raw))

    def must(self, method: str, path: str, payload: Any = None) -> Answer:
        answer = self.request(method, path, payload)
        if answer.status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {answer.status} {str(answer.body)[:300]}")
        return answer

    def login(self, user: str) -> None:
        self.token = self.must("POST", "/api/v1/auth/login", {"user_code": user, "pin": PIN}).body[
            "token"
        ]

    def close(self) -> None:
        self.conn.close()


@dataclass
class Run:
    list_id: int = 0
    list_no: str = ""
    create: Answer | None = None
    steps: dict[str, float] = field(default_factory=dict)
    door_before: Answer | None = None
    door_after: Answer | None = None
    scans_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    scan_s: float = 0.0
    server_cpu_s: float = 0.0
    me_cpu_s: float = 0.0
    other_cpu_s: float = 0.0
    depart: Answer | None = None
    depart_cpu_s: float = 0.0
    handover: Answer | None = None


def check_out(site: Site, seeded: Seeded, rng: random.Random) -> Run:
    run = Run()
    dock = Handheld(site.port, DEVICE, site.run_id)
    try:
        dock.login(DOCK_USER)
        body = {
            "plate": PLATE,
            "second_plate": SECOND_PLATE,
            "driver_name": DRIVER_NAME,
            "driver_id": DRIVER_ID,
            "driver_phone": "13800138000",
            "seal_no": SEAL,
            "carrier": "顺丰",
            "waybills": seeded.waybills,
        }
        run.create = dock.must("POST", "/api/v1/loading-lists", body)
        run.list_id, run.list_no = run.create.body["id"], run.create.body["list_no"]
        base = f"/api/v1/loading-lists/{run.list_id}"
        for name, path, payload in (
            ("open", "/api/v1/dock/open", {"scan": PLATE, "door": DOOR}),
            ("driver-id", f"{base}/driver-id", {"driver_id": DRIVER_ID}),
            ("driver-name", f"{base}/driver-name", {"driver_name": DRIVER_NAME}),
            ("seal", f"{base}/seal", {"seal_no": SEAL}),
        ):
            run.steps[name] = dock.must("POST", path, payload).ms
        run.door_before = dock.must("GET", f"/api/v1/dock-doors/{DOOR}")
        order = list(seeded.waybills)
        rng.shuffle(order)
        cpu = (tree_cpu_seconds(site.server.pid), self_cpu_seconds(), machine_busy_seconds())
        t0 = time.perf_counter()
        for n, waybill in enumerate(order, start=1):
            answer = dock.request("POST", f"{base}/scans", {"scan": waybill})
            run.scans_ms.append(answer.ms)
            run.sizes.append(answer.size)
            said: dict[str, Any] = answer.body if isinstance(answer.body, dict) else {}
            got = (answer.status, said.get("outcome"), said.get("summary", {}).get("loaded"))
            if got != (200, "loaded", n) and len(run.wrong) < 10:
                run.wrong.append(f"scan {n} {waybill}: {got} {str(answer.body)[:200]}")
        run.scan_s = time.perf_counter() - t0
        run.server_cpu_s = tree_cpu_seconds(site.server.pid) - cpu[0]
        run.me_cpu_s = self_cpu_seconds() - cpu[1]
        run.other_cpu_s = max(
            0.0, machine_busy_seconds() - cpu[2] - run.server_cpu_s - run.me_cpu_s
        )
        run.door_after = dock.must("GET", f"/api/v1/dock-doors/{DOOR}")
        print_health_ratios(site.port, [("dock scans", pct(run.scans_ms, 50))])
        cpu0 = tree_cpu_seconds(site.server.pid)
        run.depart = dock.request("POST", f"{base}/depart", {})
        run.depart_cpu_s = tree_cpu_seconds(site.server.pid) - cpu0
        run.handover = dock.request("GET", f"{base}/handover")
    finally:
        dock.close()
    return run


# --------------------------------------------------------------------------- checks


def database_checks(site: Site, seeded: Seeded, run: Run) -> list[str]:
    failures: list[str] = []
    n = len(seeded.waybills)
    conn = sqlite3.connect(f"file:{site.db_path}?mode=ro", uri=True)
    try:

        def one(sql: str, *params: Any) -> int:
            return int(conn.execute(sql, params).fetchone()[0] or 0)

        nos = json.dumps(seeded.order_nos)
        facts = {
            "planned": one(
                "SELECT COUNT(*) FROM loading_list_parcels WHERE list_id = ?", run.list_id
            ),
            "loaded": one(
                "SELECT COUNT(*) FROM loading_list_parcels WHERE list_id = ? AND loaded_at IS NOT "
                "NULL AND removed_at IS NULL",
                run.list_id,
            ),
            "orders shipped": one(
                "SELECT COUNT(*) FROM orders WHERE state = 'shipped' AND order_no IN "
                "(SELECT value FROM json_each(?))",
                nos,
            ),
            "parcels shipped": one("SELECT COUNT(*) FROM parcels WHERE status = 'shipped'"),
            "order.loaded events": one(
                "SELECT COUNT(DISTINCT json_extract(payload, '$.order_no')) FROM events "
                "WHERE type = 'order.loaded'"
            ),
            "order.loaded events (rows)": one(
                "SELECT COUNT(*) FROM events WHERE type = 'order.loaded'"
            ),
            "order.shipped events": one("SELECT COUNT(*) FROM events WHERE type = 'order.shipped'"),
            "ship movements": one(
                "SELECT COUNT(*) FROM movements WHERE kind = 'ship' AND document = ?", run.list_no
            ),
            "ship units": one(
                "SELECT SUM(quantity) FROM movements WHERE kind = 'ship' AND document = ?",
                run.list_no,
            ),
            "loading_list.load commands": one(
                "SELECT COUNT(*) FROM commands WHERE name = 'loading_list.load'"
            ),
        }
        left = one(
            "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b JOIN parcels p "
            "ON p.location_id = b.location_id"
        )
        departed = one(
            "SELECT COUNT(*) FROM events WHERE type = 'loading_list.departed' AND "
            "json_extract(payload, '$.list_no') = ?",
            run.list_no,
        )
        state = conn.execute(
            "SELECT state FROM loading_lists WHERE id = ?", (run.list_id,)
        ).fetchone()[0]
        ledger_ok = balances_from_movements(conn) == stored_balances(conn)
        results = conn.execute(
            "SELECT COUNT(*), SUM(LENGTH(result)), MAX(LENGTH(result)) FROM commands "
            "WHERE name = 'loading_list.load'"
        ).fetchone()
        jobs = dict(conn.execute("SELECT status, COUNT(*) FROM print_jobs GROUP BY status"))
    finally:
        conn.close()
    print(
        "database after stop: "
        + ", ".join(f"{k} {v:,}" for k, v in facts.items())
        + f"; stock left on the parcels' locations {left}; list {state}, "
        f"loading_list.departed events {departed}; balances = sum of movements: "
        f"{'yes' if ledger_ok else 'NO'}"
    )
    print(
        f"  loading_list.load results kept in `commands`: {results[0]:,} rows, "
        f"{(results[1] or 0) / 1e6:.1f} MB in all, largest {(results[2] or 0) / 1e3:.0f} KB; "
        f"database file {site.db_path.stat().st_size / 1e6:.1f} MB; print jobs "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(jobs.items()))
    )
    for what, got in facts.items():
        if got != n:
            failures.append(f"{what}: {got}, expected {n}")
    if left:
        failures.append(f"{left} units left on the parcels' locations")
    if departed != 1 or state != "departed":
        failures.append(f"list {state}, {departed} departure events")
    if not ledger_ok:
        failures.append("balances differ from the sum of movements")
    return failures


def answer_checks(seeded: Seeded, run: Run) -> list[str]:
    failures = list(run.wrong)
    n = len(seeded.waybills)
    assert run.create and run.door_before and run.door_after
    if run.create.body["planned"] != n:
        failures.append(f"the list plans {run.create.body['planned']} parcels, not {n}")
    if run.create.body["weight"]["expected_g"] != seeded.weight_g:
        failures.append(f"expected weight {run.create.body['weight']['expected_g']} g")
    after = run.door_after.body["list"]
    if (after["loaded"], after["can_depart"], after["weight"]["warning"]) != (n, True, False):
        failures.append(
            f"door after the scans: loaded {after['loaded']}, can_depart {after['can_depart']}"
        )
    if run.depart is None or run.depart.status != 200:
        failures.append(
            f"depart: {run.depart and run.depart.status} {run.depart and run.depart.body}"
        )
        return failures
    waybills = sorted(p["waybill_no"] for p in run.depart.body["parcels"])
    if waybills != sorted(seeded.waybills):
        failures.append(f"the handover lists {len(waybills)} parcels, not the list's {n}")
    if run.depart.body["loaded_weight_g"] != seeded.weight_g:
        failures.append(f"handover weight {run.depart.body['loaded_weight_g']} g")
    record = {k: v for k, v in run.depart.body.items() if k != "print_job"}  # door's slip
    if run.handover is None or run.handover.status != 200 or run.handover.body != record:
        failures.append("GET handover differs from the departure's answer")
    return failures


# --------------------------------------------------------------------------- report


def report(seeded: Seeded, run: Run) -> None:
    n = len(run.scans_ms)
    ms = run.scans_ms
    assert run.create and run.door_before and run.door_after
    print(
        f"loading list {run.list_no} of {len(seeded.waybills):,} waybills: POST "
        f"/api/v1/loading-lists {run.create.ms:.0f} ms (answer {run.create.size / 1e3:.0f} KB)"
    )
    print(
        "  at the door: "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in run.steps.items())
        + f"; GET /api/v1/dock-doors/{DOOR} with 0 loaded {run.door_before.ms:.0f} ms "
        f"({run.door_before.size / 1e3:.0f} KB), with all loaded {run.door_after.ms:.0f} ms "
        f"({run.door_after.size / 1e3:.0f} KB)"
    )
    print()
    print(
        f"{n:,} scans one at a time over one keep-alive connection in {run.scan_s:.1f} s "
        f"({n / run.scan_s:.0f} scans/s): per scan p50 {pct(ms, 50):.1f} / p95 "
        f"{pct(ms, 95):.1f} / p99 {pct(ms, 99):.1f} / max {max(ms):.1f} ms"
    )
    print(
        f"  server CPU per scan {run.server_cpu_s / n * 1000:.1f} ms ({run.server_cpu_s / run.scan_s:.0%} "
        f"of a core); this process {run.me_cpu_s / n * 1000:.1f} ms per scan; other processes "
        f"used {run.other_cpu_s / run.scan_s:.0%} of a core meanwhile"
    )
    size = max(1, n // BLOCKS)
    for b in range(0, n, size):
        block, sizes = ms[b : b + size], run.sizes[b : b + size]
        print(
            f"  scans {b + 1:>5}-{min(n, b + size):>5}: p50 {pct(block, 50):6.1f}  p99 "
            f"{pct(block, 99):6.1f}  max {max(block):6.1f} ms; answer p50 "
            f"{pct([float(s) for s in sizes], 50) / 1e3:.0f} KB"
        )
    print(
        f"  answer size: first scan {run.sizes[0] / 1e3:.0f} KB, last {run.sizes[-1] / 1e3:.0f} KB "
        f"(each carries the list's counts; the full view is a separate GET)"
    )
    print()
    if run.depart is not None:
        print(
            f"departure (POST .../depart, one transaction: {len(seeded.waybills):,} ship "
            f"movements, orders shipped, handover and events): {run.depart.status} in "
            f"{run.depart.ms:.0f} ms, server CPU {run.depart_cpu_s * 1000:.0f} ms, answer "
            f"{run.depart.size / 1e3:.0f} KB"
        )
    if run.handover is not None:
        print(
            f"handover (GET .../handover): {run.handover.status} in {run.handover.ms:.0f} ms, "
            f"{run.handover.size / 1e3:.0f} KB"
        )
    print()


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parcels", type=int, default=2000, help="parcels on the truck (default 2000)"
    )
    parser.add_argument(
        "--print-labels",
        action="store_true",
        help="leave the printer enabled: the 2,000 face sheets render while the scans run",
    )
    parser.add_argument("--seed", type=int, default=1210, help="random seed (weights, scan order)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops the server
    rng = random.Random(args.seed)
    t_start = time.perf_counter()
    failures: list[str] = []
    tmp = tempfile.mkdtemp(prefix="bondfloor-dock-")
    site = Site(Path(tmp), args.print_labels)
    run: Run | None = None
    seeded: Seeded | None = None
    try:
        probe = sorted(fsync_ms(site.folder))
        print("bondfloor dock check-out: a truck of parcels scanned over HTTP, then departure")
        print(
            f"  python {sys.version.split()[0]}, litestar {version('litestar')}, granian "
            f"{version('granian')}, sqlite {sqlite3.sqlite_version}; {os.cpu_count()} CPU cores "
            "shared by the server and this process"
        )
        print(
            f"  files in {tmp} ({filesystem_of(site.folder)}); fsync of 4 KiB there: p50 "
            f"{probe[len(probe) // 2]:.2f} ms, p99 {probe[int(len(probe) * 0.99) - 1]:.2f} ms"
        )
        site.write_config(printer_enabled=True)
        settings = load_settings(site.config)
        db = Database(site.db_path)
        try:
            db.migrate()
            t = time.perf_counter()
            seeded = seed(db, settings, args.parcels, rng)
            seed_s = time.perf_counter() - t
        finally:
            db.close()
        with contextlib.closing(sqlite3.connect(site.db_path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        s = seeded.seconds
        print(
            f"  seeded in-process in {seed_s:.1f} s: site and users {s['site']:.1f} s, "
            f"{args.parcels:,} orders created and released {s['orders']:.1f} s, wave "
            f"{s['wave']:.1f} s, picked {s['pick']:.1f} s, pack scans {s['pack_scan']:.1f} s, "
            f"packed (face sheet laid out, parcel made, label queued) {s['pack']:.1f} s"
        )
        site.write_config(printer_enabled=args.print_labels)
        healthy = site.start()
        print(
            f"  server pid {site.server.pid} on port {site.port}, healthy after {healthy:.2f} s; printer "
            f"{PRINTER} {'enabled: the labels render during the scans' if args.print_labels else 'disabled: its queued jobs failed at start'}"
        )
        print()
        run = check_out(site, seeded, rng)
        report(seeded, run)
        failures += answer_checks(seeded, run)
    except Exception as err:
        failures.append(f"{type(err).__name__}: {err}")
        print(f"--- server log (tail) ---\n{site.server.log(3000)}")
    finally:
        site.server.stop()
    if "Traceback" in site.server.log(100_000):
        failures.append("the server log has a traceback")
        print(f"--- server log (tail) ---\n{site.server.log(3000)}")
    if seeded is not None and run is not None and run.list_id:
        failures += database_checks(site, seeded, run)
    if args.keep:
        print(f"  kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
    else:
        print(
            "CHECKS: all passed (every parcel loaded once and shipped, one event of each per "
            "order, no stock left on the parcels, ledger = balances, handover = the list)"
        )
    if run is not None and run.scans_ms and run.depart is not None:
        ms = run.scans_ms
        print(
            f"VERDICT: {len(ms):,} load scans p50 {pct(ms, 50):.1f} / p95 {pct(ms, 95):.1f} / "
            f"p99 {pct(ms, 99):.1f} / max {max(ms):.1f} ms; departure {run.depart.ms:.0f} ms; "
            f"handover {run.handover.ms if run.handover else float('nan'):.0f} ms (no target set)"
        )
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
