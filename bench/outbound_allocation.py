"""How fast does bondfloor reserve stock for an order on a big site, and is it right?

Run with `.venv/bin/python bench/outbound_allocation.py`. It builds a big site in a temp
SQLite file (the real schema through `server.db.Database` and its migrations; master data
and balances inserted in bulk, under the schema's own segregation trigger and foreign
keys):

  3 customers x 5,000 SKUs (two lot- and expiry-tracked: FEFO; one not: FIFO by `since`),
  one EAN-13 each;
  ~37,000 storage / pick-face locations, one customer's zone each (0.5% inactive);
  ~200,000 balance rows: a tracked SKU has 4-10 lots (about 7% already expired, expiries
  on month ends so lots tie and `since` decides) on 1-3 neighbouring locations each, an
  untracked SKU lies on 6-20 locations; ~3% of the rows sit on docks, quarantine and
  totes, where nothing may be reserved; 8% of the SKUs have no stock.

Orders are created with the real `server.outbound.orders.upsert_order` (all in one setup
transaction), 5 lines each, one customer per order: mostly 1-3 units, some lines big
enough to span several stock rows, 2% more than the site holds (a partial reservation),
10% of the tracked lines asking for one lot (sometimes an expired one: nothing to give).

Timed: `server.outbound.allocation.allocate_order` as shipped, one order per write
transaction (`Database._write`: BEGIN IMMEDIATE ... COMMIT, synchronous=FULL), one after
another on distinct orders, so reservations pile up as they would on the floor. Reported:
p50/p95/p99/max of allocate_order itself and of the whole transaction (incl. the commit's
fsync), per block of orders (does it slow down as allocations pile up?), then:

  - the full command path as the routes run it (`run_command` of `upsert_order`, then of
    `retry_allocation`, the rules behind POST /api/v1/orders/{id}/allocate), each its own
    command with idempotency key, audit and events;
  - the same allocation after the site has a history: past orders' allocations (picked
    and shipped; allocations are never deleted) inserted in bulk, then more orders timed.

Every reservation is checked against a model of the rules worked out here in Python
(same customer, pickable and active locations, no expired stock, the lot asked for, FEFO
then FIFO then pick walk), line by line (an order's lines are distinct SKUs), and at the end `reservations` must equal what the open
allocations hold, per stock key, and never exceed the balance under it. EXPLAIN QUERY
PLAN of every statement allocate_order runs is printed. Target: p99 under 5 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from asgi_servers import filesystem_of, machine_busy_seconds, self_cpu_seconds
from health_ratio import NO_HTTP

from server.commands import SYSTEM, CommandContext, run_command
from server.db import Database
from server.demo import ean13
from server.outbound import orders, waves
from server.outbound.allocation import ALLOCATABLE_TYPES, allocate_order
from server.outbound.schemas import OrderIn, OrderLineIn, Party, Routing

TARGET_P99_MS = 5.0
CUSTOMERS = [("HKBEAUTY", True), ("AUNUTRI", True), ("JPHOME", False)]  # code, tracked
GS1_PREFIXES = ("489", "930", "490")  # one EAN-13 per SKU
SKUS_PER_CUSTOMER = 5_000
UNSTOCKED_SHARE = 0.08
STORAGE_PER_CUSTOMER, PICK_FACES_PER_CUSTOMER = 12_000, 400
INACTIVE_SHARE = 0.005
LOTS_PER_SKU = (4, 10)
LOCATIONS_PER_LOT = (1, 3)
LOCATIONS_PER_UNTRACKED_SKU = (6, 20)
EXPIRED_SHARE = 0.07
ELSEWHERE_SHARE = 0.03  # rows on docks, quarantine, totes: never reserved
WINDOW = 10  # a SKU's locations lie within this many of its home location
LINES_PER_ORDER = 5
BLOCK = 500  # orders per reported block
WARMUP_ORDERS = 10
TODAY = date.today()


# --------------------------------------------------------------------------- the site


@dataclass
class Loc:
    id: int
    code: str
    zone: str
    type: str
    pick_sequence: int
    active: bool
    customer_id: int | None = None  # the zone's customer (storage, pick faces)

    @property
    def allocatable(self) -> bool:
        return self.type in ALLOCATABLE_TYPES and self.active


@dataclass
class Row:
    """One balance row as the model sees it."""

    loc: Loc
    customer_id: int
    sku_id: int
    lot: str
    expiry: str
    quantity: int
    since: str

    @property
    def key(self) -> tuple[int, int, int, str, str]:
        return (self.loc.id, self.customer_id, self.sku_id, self.lot, self.expiry)


@dataclass
class Sku:
    id: int
    customer_id: int
    code: str
    tracked: bool
    lots: list[tuple[str, str]] = field(default_factory=list)  # (lot, expiry)
    rows: list[Row] = field(default_factory=list)


@dataclass
class Site:
    locations: dict[int, Loc]
    skus: dict[int, Sku]
    customers: dict[int, str]
    rows: int = 0

    def stocked(self, customer_id: int) -> list[Sku]:
        return [s for s in self.skus.values() if s.customer_id == customer_id and s.rows]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def month_end(day: date) -> date:
    first_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_next - timedelta(days=1)


def build_site(
    db: Database, rng: random.Random, skus_per_customer: int = SKUS_PER_CUSTOMER
) -> Site:
    """Master data and balances, inserted in bulk in one write transaction."""
    scale = skus_per_customer / SKUS_PER_CUSTOMER
    locs: list[Loc] = []
    zones: dict[int, list[Loc]] = {}
    for ci, _ in enumerate(CUSTOMERS):
        customer_id, zone = ci + 1, "ABC"[ci]
        mine = []
        for n in range(1, max(20, round(PICK_FACES_PER_CUSTOMER * scale)) + 1):
            mine.append(Loc(0, f"P{zone}-{n:04d}", f"P{zone}", "pick_face", 0, True, customer_id))
        for n in range(max(100, round(STORAGE_PER_CUSTOMER * scale))):
            aisle, rest = divmod(n, 300)
            bay, level = divmod(rest, 5)
            code = f"{zone}-{aisle + 1:02d}-{bay + 1:02d}-{level + 1}"
            mine.append(Loc(0, code, zone, "storage", 0, True, customer_id))
        zones[customer_id] = mine
        locs += mine
    elsewhere = [Loc(0, f"DOCK-{i:02d}", "DOCK", "dock", 0, True) for i in range(1, 9)]
    elsewhere += [Loc(0, f"QUAR-{i:02d}", "QUAR", "quarantine", 0, True) for i in range(1, 9)]
    elsewhere += [Loc(0, f"TOTE-{i:04d}", "TOTE", "tote", 0, True) for i in range(1, 201)]
    locs += elsewhere
    for i, loc in enumerate(locs, start=1):
        loc.id, loc.pick_sequence = i, i
        loc.active = loc.type not in ALLOCATABLE_TYPES or rng.random() >= INACTIVE_SHARE
    site = Site({x.id: x for x in locs}, {}, {i + 1: c for i, (c, _) in enumerate(CUSTOMERS)})
    now = datetime.now(UTC)
    sku_rows, barcode_rows, balance_rows = [], [], []
    for ci, (code, tracked) in enumerate(CUSTOMERS):
        customer_id = ci + 1
        mine = zones[customer_id]
        for n in range(1, skus_per_customer + 1):
            sku = Sku(len(site.skus) + 1, customer_id, f"{code[:2]}{n:05d}", tracked)
            site.skus[sku.id] = sku
            sku_rows.append((sku.id, customer_id, sku.code, f"item {n}", int(tracked)))
            barcode_rows.append((customer_id, ean13(GS1_PREFIXES[ci], 100_000 + n), sku.id))
            if rng.random() < UNSTOCKED_SHARE:
                continue
            home = (n - 1) * len(mine) // skus_per_customer
            window = range(max(0, home - WINDOW), min(len(mine), home + WINDOW + 1))
            if tracked:
                for k in range(rng.randint(*LOTS_PER_SKU)):
                    if rng.random() < EXPIRED_SHARE:
                        expiry = month_end(TODAY - timedelta(days=rng.randint(1, 90)))
                    else:
                        expiry = month_end(TODAY + timedelta(days=30 * rng.randint(0, 30)))
                    sku.lots.append((f"L{k:02d}{sku.id:06d}", expiry.isoformat()))
                places = [
                    (lot, expiry, j)
                    for lot, expiry in sku.lots
                    for j in rng.sample(window, rng.randint(*LOCATIONS_PER_LOT))
                ]
            else:
                sku.lots.append(("", ""))
                places = [
                    ("", "", j)
                    for j in rng.sample(
                        window, min(len(window), rng.randint(*LOCATIONS_PER_UNTRACKED_SKU))
                    )
                ]
            for lot, expiry, j in places:
                loc = mine[j]
                if rng.random() < ELSEWHERE_SHARE:
                    loc = rng.choice(elsewhere)
                since = iso(now - timedelta(seconds=rng.randint(3600, 365 * 86400)))
                sku.rows.append(
                    Row(loc, customer_id, sku.id, lot, expiry, rng.randint(1, 60), since)
                )
            # A lot that landed twice on the same dock or tote: one row (the key is unique).
            unique: dict[tuple[int, int, int, str, str], Row] = {}
            for r in sku.rows:
                unique.setdefault(r.key, r)
            sku.rows = list(unique.values())
            balance_rows += [(*r.key, r.quantity, r.since) for r in sku.rows]
    site.rows = len(balance_rows)

    def insert(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO customers (id, code, name) VALUES (?, ?, ?)",
            [(i, c, f"{c} trading") for i, c in site.customers.items()],
        )
        conn.executemany(
            "INSERT INTO skus (id, customer_id, code, name, lot_tracked, expiry_tracked) "
            "VALUES (?, ?, ?, ?, ?5, ?5)",
            sku_rows,
        )
        conn.executemany("INSERT INTO sku_barcodes VALUES (?, ?, ?)", barcode_rows)
        conn.executemany(
            "INSERT INTO locations (id, code, zone, type, pick_sequence, active) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(x.id, x.code, x.zone, x.type, x.pick_sequence, int(x.active)) for x in locs],
        )
        # Through the schema's own backstop trigger (one customer per storage location)
        # and foreign keys: an impossible site would abort here.
        conn.executemany(
            "INSERT INTO balances (location_id, customer_id, sku_id, lot, expiry, quantity, since) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            balance_rows,
        )

    db._write(insert)
    return site


def describe_site(site: Site) -> str:
    rows = [r for s in site.skus.values() for r in s.rows]
    stocked = [s for s in site.skus.values() if s.rows]
    pickable = sum(1 for r in rows if r.loc.allocatable)
    expired = sum(1 for r in rows if r.expiry and r.expiry < TODAY.isoformat())
    return (
        f"  site: {len(site.customers)} customers, {len(site.skus):,} SKUs ({len(stocked):,} "
        f"stocked), {len(site.locations):,} locations, {site.rows:,} balance rows "
        f"({pickable:,} reservable; {expired:,} expired; "
        f"{sum(1 for r in rows if not r.loc.allocatable):,} on docks, quarantine, totes or "
        f"inactive locations); {site.rows / len(stocked):.1f} rows per stocked SKU"
    )


# --------------------------------------------------------------------------- the model


Key = tuple[int, int, int, str, str]
Taken = tuple[int, int, str, str, int]  # line_no, location_id, lot, expiry, quantity


class Model:
    """The reservations the allocation rules give, worked out in Python.

    A line takes, in order, rows of the same customer and SKU at active storage or pick-
    face locations, not expired (expiry empty or >= today), of the lot asked for if any,
    with units not yet reserved: earliest expiry first (empty last) when the SKU tracks
    expiry, then longest in place (`since`), then pick sequence, location id, lot. Lines
    that ask for a lot are served first. (Stock a picker reported missing is skipped by
    the code too; this site has none.)
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self.reserved: dict[Key, int] = defaultdict(int)

    def candidates(self, sku: Sku, lot: str) -> list[Row]:
        today = TODAY.isoformat()
        rows = [
            r
            for r in sku.rows
            if r.loc.allocatable
            and (r.expiry == "" or r.expiry >= today)
            and (not lot or r.lot == lot)
            and r.quantity > self.reserved[r.key]
        ]

        def order(r: Row) -> tuple[Any, ...]:
            fefo = (r.expiry == "", r.expiry) if sku.tracked else ()
            return (*fefo, r.since, r.loc.pick_sequence, r.loc.id, r.lot)

        return sorted(rows, key=order)

    def reserve(self, lines: list[tuple[int, Sku, int, str]]) -> tuple[list[Taken], bool]:
        """Reserve for (line_no, sku, quantity, lot) lines; the rows taken and whether all
        of it was covered. Changes the model."""
        taken: list[Taken] = []
        covered = True
        # Lines that need one lot go first (so a line taking any lot cannot take theirs).
        for line_no, sku, quantity, lot in sorted(lines, key=lambda x: (x[3] == "", x[0])):
            got = 0
            for r in self.candidates(sku, lot):
                take = min(r.quantity - self.reserved[r.key], quantity - got)
                self.reserved[r.key] += take
                taken.append((line_no, r.loc.id, r.lot, r.expiry, take))
                got += take
                if got >= quantity:
                    break
            covered = covered and got >= quantity
        return by_line(taken), covered

    def available(self, sku: Sku, lot: str = "") -> int:
        return sum(r.quantity - self.reserved[r.key] for r in self.candidates(sku, lot))


# --------------------------------------------------------------------------- orders

ROUTING = Routing(sort_code="342-081-00 052", consolidation_point="深圳集包", product_type="标快")
RECIPIENT = Party(
    name="张三丰",
    phone="13812345678",
    province="广东省",
    city="深圳市",
    district="南山区",
    address="科技园南路十八号",
)
SENDER = Party(name="Bonded DC", phone="0755-1234567", address="前海保税区一号仓")


@dataclass
class PlannedOrder:
    order_no: str
    customer_id: int
    lines: list[tuple[int, Sku, int, str]]  # line_no, sku, quantity, lot
    id: int = 0

    def order_in(self, site: Site, courier: str = "SF", priority: int = 0) -> OrderIn:
        return OrderIn(
            customer=site.customers[self.customer_id],
            order_no=self.order_no,
            courier=courier,
            waybill_no=f"{courier}-{self.order_no}",
            routing=ROUTING,
            recipient=RECIPIENT,
            sender=SENDER,
            lines=[OrderLineIn(sku=s.code, quantity=q, lot=lot) for _, s, q, lot in self.lines],
            priority=priority,
        )


def line_quantity(rng: random.Random) -> int:
    x = rng.random()
    if x < 0.70:
        return rng.randint(1, 3)
    if x < 0.90:
        return rng.randint(4, 30)
    if x < 0.98:
        return rng.randint(31, 120)
    return 100_000  # more than the site holds: a partial reservation


def plan_orders(
    site: Site, rng: random.Random, n: int, prefix: str, lines: int = LINES_PER_ORDER
) -> list[PlannedOrder]:
    stocked = {c: site.stocked(c) for c in site.customers}
    planned = []
    for i in range(n):
        customer_id = rng.choice(list(site.customers))
        chosen = rng.sample(stocked[customer_id], lines)
        order_lines = []
        for k, sku in enumerate(chosen, start=1):
            lot = rng.choice(sku.lots)[0] if sku.tracked and rng.random() < 0.10 else ""
            order_lines.append((k, sku, line_quantity(rng), lot))
        planned.append(PlannedOrder(f"{prefix}{i:06d}", customer_id, order_lines))
    return planned


def create_orders(db: Database, site: Site, planned: list[PlannedOrder]) -> None:
    """Through the real upsert_order, all in one setup transaction (not timed)."""

    def setup(conn: sqlite3.Connection) -> None:
        ctx = CommandContext(actor=SYSTEM, key="bench-setup")
        for p in planned:
            p.id = orders.upsert_order(conn, ctx, p.order_in(site)).id

    db._write(setup)


# --------------------------------------------------------------------------- timing


@dataclass
class Timings:
    inner: list[float] = field(default_factory=list)  # allocate_order, ms
    cpu: list[float] = field(default_factory=list)  # its CPU time (this thread), ms
    outer: list[float] = field(default_factory=list)  # the whole write transaction, ms
    covered: int = 0
    wrong: list[str] = field(default_factory=list)
    rows: int = 0


def by_line(taken: list[Taken]) -> list[Taken]:
    """Grouped by line number, each line's rows in the order they were reserved."""
    return sorted(taken, key=lambda t: t[0])


def allocated_rows(db: Database, order_id: int) -> list[Taken]:
    def read(conn: sqlite3.Connection) -> list[Taken]:
        return [
            tuple(r)  # type: ignore[misc]
            for r in conn.execute(
                "SELECT l.line_no, a.location_id, a.lot, a.expiry, a.quantity FROM allocations a "
                "JOIN order_lines l ON l.id = a.line_id WHERE a.order_id = ? ORDER BY a.id",
                (order_id,),
            )
        ]

    return by_line(db.read(read))


def time_allocations(
    db: Database, model: Model, planned: Iterable[PlannedOrder], out: Timings, deadline: float
) -> None:
    at = iso(datetime.now(UTC))
    for p in planned:
        if time.perf_counter() > deadline:
            break
        inner: list[float] = []

        def tx(conn: sqlite3.Connection, p: PlannedOrder = p, inner: list[float] = inner) -> bool:
            t0, c0 = time.perf_counter(), time.thread_time()
            covered = allocate_order(conn, p.id, today=TODAY, at=at)
            inner += [(time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000]
            return covered

        t0 = time.perf_counter()
        covered = db._write(tx)
        out.outer.append((time.perf_counter() - t0) * 1000)
        out.inner.append(inner[0])
        out.cpu.append(inner[1])
        got = allocated_rows(db, p.id)
        expected, expected_covered = model.reserve(p.lines)
        out.covered += covered
        out.rows += len(got)
        if got != expected or covered != expected_covered:
            out.wrong.append(f"{p.order_no}: got {got} ({covered}), expected {expected}")
            resync(model, p, got, expected)


def resync(model: Model, p: PlannedOrder, got: list[Taken], expected: list[Taken]) -> None:
    """After a wrong answer, make the model hold what the database holds."""
    skus = {line_no: sku for line_no, sku, _, _ in p.lines}
    for sign, taken in ((-1, expected), (1, got)):
        for line_no, loc, lot, expiry, q in taken:
            model.reserved[(loc, p.customer_id, skus[line_no].id, lot, expiry)] += sign * q


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def header(what: str) -> str:
    return f"  {what:<38} {'n':>5} {'mean':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  (ms)"


def row(label: str, ms: list[float], target: bool = True) -> str:
    if not ms:
        return f"  {label:<38} {0:>5}"
    mark = (
        "" if not target or pct(ms, 99) < TARGET_P99_MS else f"  <- p99 over {TARGET_P99_MS:g} ms"
    )
    return (
        f"  {label:<38} {len(ms):>5} {sum(ms) / len(ms):>7.2f} {pct(ms, 50):>7.2f} "
        f"{pct(ms, 95):>7.2f} {pct(ms, 99):>7.2f} {max(ms):>7.2f}{mark}"
    )


# --------------------------------------------------------------------------- checks


def reservation_check(db: Database) -> tuple[int, int, int]:
    """(stock keys reserved, keys where reservations != open allocations, keys over stock)."""

    def check(conn: sqlite3.Connection) -> tuple[int, int, int]:
        held = (
            "SELECT location_id, customer_id, sku_id, lot, expiry, SUM(quantity - picked_qty) "
            "FROM allocations WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5 "
            "HAVING SUM(quantity - picked_qty) > 0"
        )
        kept = "SELECT location_id, customer_id, sku_id, lot, expiry, quantity FROM reservations"
        keys = int(conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0])
        differ = sum(
            int(conn.execute(f"SELECT COUNT(*) FROM ({a} EXCEPT {b})").fetchone()[0])
            for a, b in ((held, kept), (kept, held))
        )
        over = int(
            conn.execute(
                "SELECT COUNT(*) FROM reservations r LEFT JOIN balances b USING "
                "(location_id, customer_id, sku_id, lot, expiry) "
                "WHERE r.quantity > COALESCE(b.quantity, 0)"
            ).fetchone()[0]
        )
        return keys, differ, over

    return db.read(check)


def captured_statements(db: Database, order_id: int) -> list[str]:
    """The SQL allocate_order runs (bound values inlined), one of each shape; rolled back."""
    seen: dict[str, str] = {}
    calls: list[str] = []

    class Undo(Exception):
        pass

    def tx(conn: sqlite3.Connection) -> None:
        conn.set_trace_callback(calls.append)
        try:
            allocate_order(conn, order_id, today=TODAY, at=iso(datetime.now(UTC)))
        finally:
            conn.set_trace_callback(None)
        raise Undo

    with contextlib.suppress(Undo):
        db._write(tx)
    for sql in calls:
        flat = " ".join(sql.split())
        if flat.upper().startswith("SELECT"):
            seen.setdefault(re.sub(r"'[^']*'|\b\d+\b", "?", flat), flat)
    return list(seen.values())


def explain(db: Database, statements: list[str], indent: str = "  ") -> list[str]:
    out: list[str] = []

    def plans(conn: sqlite3.Connection) -> None:
        for sql in statements:
            out.append(f"{indent}{sql}")
            rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            parents = {r[0]: r[1] for r in rows}
            for r in rows:
                depth, parent = 0, r[1]
                while parent in parents:
                    depth, parent = depth + 1, parents[parent]
                out.append(f"{indent}  {'   ' * depth}- {r[3]}")

    db.read(plans)
    return out


# --------------------------------------------------------------------------- history


def add_history(db: Database, site: Site, rng: random.Random, allocations: int) -> int:
    """Past orders, picked and shipped, with their allocations (never deleted), in bulk."""
    at = iso(datetime.now(UTC) - timedelta(days=3))
    skus_by_customer = {c: site.stocked(c) for c in site.customers}

    def insert(conn: sqlite3.Connection) -> int:
        order_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM orders").fetchone()[0])
        line_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM order_lines").fetchone()[0])
        order_rows, line_rows, alloc_rows = [], [], []
        while len(alloc_rows) < allocations:
            order_id += 1
            customer_id = rng.choice(list(site.customers))
            order_rows.append(
                (order_id, customer_id, f"OLD{order_id:08d}", f"SFOLD{order_id:08d}", at, at)
            )
            for line_no, sku in enumerate(rng.sample(skus_by_customer[customer_id], 2), 1):
                line_id += 1
                q = rng.randint(1, 3)
                line_rows.append((line_id, order_id, line_no, sku.id, q))
                r = rng.choice(sku.rows)
                alloc_rows.append(
                    (order_id, line_id, r.loc.id, customer_id, sku.id, r.lot, r.expiry, q, q, at)
                )
        conn.executemany(
            "INSERT INTO orders (id, customer_id, order_no, courier, waybill_no, label, state, "
            "customs_status, content_hash, created_at, updated_at) "
            "VALUES (?, ?, ?, 'SF', ?, '{}', 'shipped', 899, '', ?, ?)",
            order_rows,
        )
        conn.executemany(
            "INSERT INTO order_lines (id, order_id, line_no, sku_id, quantity) VALUES (?, ?, ?, ?, ?)",
            line_rows,
        )
        conn.executemany(
            "INSERT INTO allocations (order_id, line_id, location_id, customer_id, sku_id, lot, "
            "expiry, quantity, picked_qty, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'picked', ?)",
            alloc_rows,
        )
        return len(order_rows)

    return db._write(insert)


# --------------------------------------------------------------------------- main


def run_commands(
    db: Database, site: Site, model: Model, planned: list[PlannedOrder], deadline: float
) -> tuple[list[float], list[float], int]:
    """upsert + allocate as two commands each, as POST /orders and POST .../allocate do."""
    upsert_ms, allocate_ms, wrong = [], [], 0
    for p in planned:
        if time.perf_counter() > deadline:
            break
        order = p.order_in(site)
        t0 = time.perf_counter()
        p.id = run_command(
            db,
            SYSTEM,
            "order.upsert",
            f"cmd-upsert-{p.order_no}",
            {"order_no": p.order_no},
            lambda conn, ctx, o=order: orders.upsert_order(conn, ctx, o),
        ).value["id"]
        t1 = time.perf_counter()
        answer = run_command(
            db,
            SYSTEM,
            "order.allocate",
            f"cmd-allocate-{p.order_no}",
            {"order": p.id},
            lambda conn, ctx, i=p.id: waves.retry_allocation(conn, ctx, i, today=TODAY),
        ).value
        t2 = time.perf_counter()
        upsert_ms.append((t1 - t0) * 1000)
        allocate_ms.append((t2 - t1) * 1000)
        expected, covered = model.reserve(p.lines)
        got = allocated_rows(db, p.id)
        if got != expected or answer["state"] != ("allocated" if covered else "backorder"):
            wrong += 1
            resync(model, p, got, expected)
    return upsert_ms, allocate_ms, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2_000, help="orders to time (default 2000)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=30.0,
        help="stop timing the fresh site after this long (default 30)",
    )
    parser.add_argument(
        "--commands", type=int, default=200, help="orders through run_command (default 200)"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=100_000,
        help="past allocations added before the last part, 0 to skip (default 100000)",
    )
    parser.add_argument(
        "--history-orders", type=int, default=500, help="orders timed after the history"
    )
    parser.add_argument(
        "--part-seconds",
        type=float,
        default=12.0,
        help="stop the command-path and history parts after this long each (default 12)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the site")
    args = parser.parse_args()
    print(NO_HTTP)
    rng = random.Random(args.seed)
    t_start = time.perf_counter()
    failures: list[str] = []
    print("bondfloor allocation (allocate_order) on a large site, the shipped code and schema")
    print(
        f"  python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPU cores; connections as the server opens them (WAL, "
        "synchronous=FULL, default page cache, no ANALYZE)"
    )
    with tempfile.TemporaryDirectory(prefix="bondfloor-alloc-") as tmp:
        path = Path(tmp) / "site.db"
        db = Database(path)
        applied = db.migrate()
        site = build_site(db, rng)
        warm = plan_orders(site, rng, WARMUP_ORDERS, "WARM")
        planned = plan_orders(site, rng, args.orders, "BENCH")
        via_commands = plan_orders(site, rng, args.commands, "CMD")
        later = plan_orders(site, rng, args.history_orders, "LATER")
        create_orders(db, site, warm + planned + later)
        db.close()
        with contextlib.closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db = Database(path)  # fresh connections, as after a server restart
        model = Model(site)
        print(
            f"  built in {time.perf_counter() - t_start:.1f} s: {path.stat().st_size / 1e6:.0f} MB "
            f"in {tmp} ({filesystem_of(Path(tmp))}); migrations {applied[0]} .. {applied[-1]}"
        )
        print(describe_site(site))
        lines = [line for p in planned for line in p.lines]
        print(
            f"  orders: {LINES_PER_ORDER} lines each; of the {len(lines):,} lines of the "
            f"{len(planned):,} orders planned, {sum(1 for x in lines if x[3]):,} ask for a lot, "
            f"{sum(1 for x in lines if 30 < x[2] < 100_000)} for 31-120 units, "
            f"{sum(1 for x in lines if x[2] >= 100_000)} for more than the site holds"
        )
        fresh, history = Timings(), Timings()
        try:
            statements = captured_statements(db, warm[0].id)
            time_allocations(db, model, warm, Timings(), math.inf)  # warm-up, not reported
            t_loop, me0, all0 = time.perf_counter(), self_cpu_seconds(), machine_busy_seconds()
            time_allocations(db, model, planned, fresh, t_loop + args.seconds)
            loop_s = time.perf_counter() - t_loop
            other = max(0.0, machine_busy_seconds() - all0 - (self_cpu_seconds() - me0))
            done = len(fresh.inner)
            print(
                f"  {done} orders timed one after another after {len(warm)} warm-up orders, "
                f"{loop_s:.1f} s; other processes used {other / loop_s:.0%} of a core"
            )
            if done < len(planned):
                print(
                    f"  SCALED DOWN: stopped by --seconds {args.seconds:g} after {done} of the "
                    f"{len(planned)} orders planned (--seconds or --orders to change)"
                )
            print()
            failures += report_part("fresh site", fresh, per_block=True)

            print()
            upsert_ms, allocate_ms, wrong = run_commands(
                db, site, model, via_commands, time.perf_counter() + args.part_seconds
            )
            print(
                f"command path (run_command: idempotency key, rules, result, audit, events; "
                f"commit with fsync), {len(upsert_ms)} of {len(via_commands)} new orders "
                f"(--part-seconds {args.part_seconds:g}), {wrong} wrong:"
            )
            print(header("command"))
            print(row("order.upsert", upsert_ms, target=False))
            print(row("order.allocate (retry_allocation)", allocate_ms, target=False))
            print(row("both", [a + b for a, b in zip(upsert_ms, allocate_ms, strict=True)], False))
            if wrong:
                failures.append(f"command path: {wrong} orders reserved wrongly")

            if args.history:
                print()
                t0 = time.perf_counter()
                n_old = add_history(db, site, rng, args.history)
                setup_s = time.perf_counter() - t0
                time_allocations(db, model, later, history, time.perf_counter() + args.part_seconds)
                print(
                    f"with history: {args.history:,} allocations of {n_old:,} past orders added "
                    f"({setup_s:.1f} s), {allocation_count(db):,} allocation rows in all; "
                    f"{len(history.inner)} of {len(later)} more orders timed "
                    f"(--part-seconds {args.part_seconds:g})"
                )
                failures += report_part("with history", history)

            keys, differ, over = reservation_check(db)
            print()
            print(
                f"reservations: {keys:,} stock keys reserved; differ from the open allocations: "
                f"{differ}; over the balance under them: {over}"
            )
            if differ or over:
                failures.append(f"reservations: {differ} keys differ, {over} over stock")
            print()
            print("query plans (EXPLAIN QUERY PLAN of the statements allocate_order runs):")
            for line in explain(db, statements):
                print(line)
        finally:
            db.close()

    print()
    p99, p99_history = pct(fresh.inner, 99), pct(history.inner, 99)
    met = p99 < TARGET_P99_MS and (not history.inner or p99_history < TARGET_P99_MS)
    print(
        f"RESULT: allocate_order p99 {p99:.2f} ms (CPU {pct(fresh.cpu, 99):.2f} ms) on the fresh "
        "site"
        + (
            f", {p99_history:.2f} ms (CPU {pct(history.cpu, 99):.2f} ms) with "
            f"{args.history:,} past allocations"
            if history.inner
            else ""
        )
        + f": {'within' if met else 'OVER'} the {TARGET_P99_MS:g} ms target; "
        + ("every reservation right" if not failures else "FAILED")
    )
    for f in failures:
        print(f"FAIL: {f}")
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    if failures:
        sys.exit(1)


def allocation_count(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM allocations").fetchone()[0]))


def report_part(name: str, t: Timings, per_block: bool = False) -> list[str]:
    done = len(t.inner)
    print(
        f"{name}: {t.covered} of {done} orders fully covered, {t.rows:,} allocation rows; "
        f"checked against the model: {done - len(t.wrong)} right, {len(t.wrong)} wrong"
    )
    for w in t.wrong[:3]:
        print(f"  ! {w}")
    print(header("latency"))
    print(row("allocate_order", t.inner))
    print(row("allocate_order, its CPU time", t.cpu))
    print(row("write transaction (incl. fsync)", t.outer, target=False))
    if per_block and done >= 100:
        block = max(50, -(-done // 5))
        print("  allocate_order per block of orders (do allocations piling up slow it down?):")
        for b in range(0, done, block):
            print(row(f"  orders {b + 1}-{min(done, b + block)}", t.inner[b : b + block]))
    return [f"{name}: {len(t.wrong)} orders reserved wrongly"] if t.wrong else []


if __name__ == "__main__":
    main()
