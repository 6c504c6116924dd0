"""How many pick confirmations per second does bondfloor take over HTTP, and are they exact?

Run with `.venv/bin/python bench/pick_http.py`. It seeds a demo database with the real
CLI (`bondfloor demo`), starts `bondfloor serve` (granian) on a free loopback port, logs
in as sup01 and, all over HTTP:

  - creates totes (locations of type `tote`; one JSON import, POST /api/v1/import/locations)
    besides any empty ones the demo has: a tote holds one order until it is packed;
  - creates orders (POST /api/v1/orders, 1-3 lines of 1-2 units of SKUs the demo has in
    stock, planned so the stock covers every one) and releases each (POST
    /api/v1/customs-statuses, code 800), at concurrency 8; the rate is printed;
  - per concurrency level, builds a wave of that level's orders (POST /api/v1/waves with
    their order numbers) and logs in that many pickers (pick01, one session and one
    X-Device header per handheld).

Each picker then loops, over its own keep-alive HTTP/1.1 connection, each change with its
own Idempotency-Key:

  POST /api/v1/waves/{id}/next-task        lease the next task in the pick walk
  POST /api/v1/pick-tasks/{id}/confirm     {"location", "item": its first barcode,
                                            "quantity": what remains, "tote"}

The tote is the order's own once it has one, else a free tote from the pool (the pickers
share one asyncio loop, so two handhelds picking one order agree on its tote). A level
ends when its wave has no task left, after --seconds, or after --picks confirmations.
Reported per level: confirms/s, p50/p95/p99/max of the confirm and of next-task, server
CPU per confirm; then next-task latency by how many tasks the wave still had open.

Checks, all exact, on the database after the server stopped: pick movements = confirms
answered 200, and their units = the units confirmed = SUM(picked_qty) of the allocations
= the units in totes; every confirmed task is `picked`; no balance is negative, no
reservation exceeds its balance, reservations = what open allocations hold; every
balance equals the sum of the ledger's movements; every order of a drained wave is
`picked`.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import math
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from asgi_servers import (
    HOST,
    REQUEST_TIMEOUT,
    HttpConnection,
    filesystem_of,
    machine_busy_seconds,
    self_cpu_seconds,
    tree_cpu_seconds,
    version,
)
from health_ratio import ratio_line, wrk_health_rate
from receiving_http import ReceivingServer, fsync_ms

from server.ledger.service import balances_from_movements, stored_balances

CONCURRENCY = (1, 4, 16)
PICKER, PIN = "pick01", "1234"
SETUP_CONCURRENCY = 8
WARMUP_TASKS = 20
LINES = (1, 3)
UNITS = (1, 2)
ALLOCATABLE = ("storage", "pick_face")
MAX_TRIES = 3  # a task refused this often ends its picker (a bug, not load)


# --------------------------------------------------------------------------- HTTP


def raw_request(
    port: int, method: str, path: str, token: str, payload: object, key: str, device: str = ""
) -> bytes:
    body = json.dumps(payload).encode() if payload is not None else b""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Accept: application/json",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if key:
        lines.append(f"Idempotency-Key: {key}")
    if device:
        lines.append(f"X-Device: {device}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def send(conn: HttpConnection, raw: bytes) -> tuple[int, bytes, float]:
    t0 = time.perf_counter()
    try:
        status, body = await asyncio.wait_for(conn.request(raw), REQUEST_TIMEOUT)
    except (OSError, EOFError, ValueError, asyncio.IncompleteReadError, TimeoutError) as e:
        await conn.close()  # reconnects on the next request
        status, body = 0, f"{type(e).__name__}: {e}".encode()
    return status, body, time.perf_counter() - t0


async def send_settled(conn: HttpConnection, raw: bytes) -> tuple[int, bytes, float]:
    """Send; a transport failure (outcome unknown) is resent with the same key, as a
    handheld does, until the server answers."""
    for _ in range(5):
        status, body, elapsed = await send(conn, raw)
        if status != 0:
            return status, body, elapsed
        await asyncio.sleep(0.2)
    return status, body, elapsed


class PickServer(ReceivingServer):
    """The demo on `bondfloor serve`, plus logins for handhelds."""

    def seed(self) -> None:
        super().seed()
        # Every simulated picker logs in as the one demo picker from its own handheld; beyond
        # `auth.max_sessions_per_user` a login would end another picker's session.
        with self.config.open("a", encoding="utf-8") as config:
            config.write("[auth]\nmax_sessions_per_user = 64\n")

    def login(self, user: str, pin: str, device: str) -> str:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(
                "POST",
                "/api/v1/auth/login",
                body=json.dumps({"user_code": user, "pin": pin}).encode(),
                headers={"Content-Type": "application/json", "X-Device": device},
            )
            resp = conn.getresponse()
            raw = resp.read()
            if resp.status not in (200, 201):
                raise RuntimeError(f"login of {user}@{device} refused: {resp.status} {raw[:200]!r}")
            return str(json.loads(raw)["token"])
        finally:
            conn.close()


# --------------------------------------------------------------------------- the demo


@dataclass
class Stock:
    """What the demo holds, read from its file before the server starts."""

    skus: dict[str, list[tuple[str, int]]]  # customer -> [(sku code, reservable units)]
    free_totes: list[str]


def demo_stock(db_path: Path) -> Stock:
    today = date.today().isoformat()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT c.code, s.code, SUM(b.quantity - COALESCE(r.quantity, 0)) FROM balances b "
            "JOIN locations l ON l.id = b.location_id JOIN skus s ON s.id = b.sku_id "
            "JOIN customers c ON c.id = b.customer_id "
            "LEFT JOIN reservations r ON r.location_id = b.location_id "
            " AND r.customer_id = b.customer_id AND r.sku_id = b.sku_id AND r.lot = b.lot "
            " AND r.expiry = b.expiry "
            f"WHERE l.type IN {ALLOCATABLE} AND l.active = 1 AND s.active = 1 "
            "AND (b.expiry = '' OR b.expiry >= ?) "
            "AND EXISTS (SELECT 1 FROM sku_barcodes x WHERE x.sku_id = s.id) "
            "GROUP BY c.code, s.code HAVING SUM(b.quantity - COALESCE(r.quantity, 0)) > 0",
            (today,),
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
    skus: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for customer, sku, units in rows:
        skus[customer].append((sku, int(units)))
    if not skus:
        sys.exit(f"no stock to pick in {db_path}")
    return Stock(dict(skus), totes)


def plan_orders(
    stock: Stock, rng: random.Random, left: dict[tuple[str, str], int], tasks: int, prefix: str
) -> list[dict[str, Any]]:
    """Orders with about `tasks` lines, each covered by the stock still `left`."""
    planned: list[dict[str, Any]] = []
    lines_n = 0
    while lines_n < tasks:
        customer = rng.choice(sorted(stock.skus))
        lines: list[dict[str, Any]] = []
        wanted = min(rng.randint(*LINES), tasks - lines_n)
        for sku, _ in rng.sample(stock.skus[customer], len(stock.skus[customer])):
            if len(lines) == wanted:
                break
            q = rng.randint(*UNITS)
            if left[customer, sku] >= q:
                left[customer, sku] -= q
                lines.append({"sku": sku, "quantity": q})
        if not lines:
            if not any(left[customer, s] for s, _ in stock.skus[customer]):
                del stock.skus[customer]  # this customer is picked clean
                if not stock.skus:
                    break
            continue
        n = len(planned)
        planned.append(
            {
                "customer": customer,
                "order_no": f"{prefix}{n:05d}",
                "courier": "SF",
                "waybill_no": f"SF{prefix}{n:05d}",
                "routing": {"sort_code": "342-081-00 052", "consolidation_point": "深圳集包"},
                "recipient": {
                    "name": "张三丰",
                    "phone": "13812345678",
                    "province": "广东省",
                    "city": "深圳市",
                    "address": "科技园南路十八号",
                },
                "sender": {"name": "Bonded DC", "phone": "0755-1234567", "address": "前海保税区"},
                "lines": lines,
            }
        )
        lines_n += len(lines)
    return planned


async def create_orders(server: PickServer, planned: list[dict[str, Any]], run_id: str) -> float:
    """POST every order and its customs release (800); returns the seconds it took."""
    queue = list(planned)
    released_at = datetime.now(UTC).isoformat()
    failures: list[str] = []

    async def client() -> None:
        conn = HttpConnection(server.port)
        try:
            while queue:
                order = queue.pop()
                for path, payload, key in (
                    ("/api/v1/orders", order, f"order-{run_id}-{order['order_no']}"),
                    (
                        "/api/v1/customs-statuses",
                        {"order_no": order["order_no"], "code": 800, "status_at": released_at},
                        f"customs-{run_id}-{order['order_no']}",
                    ),
                ):
                    raw = raw_request(server.port, "POST", path, server.token, payload, key)
                    status, body, _ = await send_settled(conn, raw)
                    if status != 200:
                        failures.append(f"{path} {order['order_no']}: {status} {body[:200]!r}")
        finally:
            await conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(SETUP_CONCURRENCY)))
    if failures:
        raise RuntimeError(f"{len(failures)} orders not created, e.g. {failures[0]}")
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- picking


@dataclass
class Level:
    name: str
    concurrency: int
    wave_id: int = 0
    wave_tasks: int = 0
    confirms: int = 0  # answered 200
    units: int = 0  # units those confirms moved
    confirm_ms: list[float] = field(default_factory=list)
    next_ms: list[tuple[int, float]] = field(default_factory=list)  # (open tasks left, ms)
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    other_cpu_s: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    drained: bool = False
    confirmed_tasks: list[int] = field(default_factory=list)


@dataclass
class Floor:
    """What every picker shares: the pool of free totes, each order's tote."""

    totes: list[str]
    tote_of: dict[str, str] = field(default_factory=dict)
    keys: int = 0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def key(self, what: str) -> str:
        self.keys += 1
        return f"pick-{self.run_id}-{what}-{self.keys}"

    def tote_for(self, order_no: str) -> str:
        if order_no not in self.tote_of:
            if not self.totes:
                raise RuntimeError("out of totes")
            self.tote_of[order_no] = self.totes.pop()
        return self.tote_of[order_no]


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


async def picker(
    server: PickServer,
    floor: Floor,
    level: Level,
    token: str,
    device: str,
    deadline: float,
    budget: list[int],
    open_left: list[int],
) -> None:
    conn = HttpConnection(server.port)
    tries: Counter[int] = Counter()
    next_path = f"/api/v1/waves/{level.wave_id}/next-task"
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            raw = raw_request(
                server.port, "POST", next_path, token, None, floor.key("next"), device
            )
            status, body, elapsed = await send_settled(conn, raw)
            if status != 200:
                level.errors[f"next-task {status} {body[:120].decode(errors='replace')}"] += 1
                return
            level.next_ms.append((open_left[0], elapsed * 1000))
            task = json.loads(body)["task"]
            if task is None:
                level.drained = True
                return
            tries[task["id"]] += 1
            if tries[task["id"]] > MAX_TRIES:
                level.errors[f"task {task['id']} refused {MAX_TRIES} times: picker stops"] += 1
                return
            budget[0] -= 1
            confirm = {
                "location": task["location"],
                "item": task["barcodes"][0],
                "quantity": task["remaining"],
                "tote": floor.tote_for(task["order_no"]),
            }
            if task["lot_to_confirm"]:  # a plain EAN: the picker scans the lot label too
                confirm["lot"] = task["lot"]
            raw = raw_request(
                server.port,
                "POST",
                f"/api/v1/pick-tasks/{task['id']}/confirm",
                token,
                confirm,
                floor.key("confirm"),
                device,
            )
            status, body, elapsed = await send_settled(conn, raw)
            if status == 200:
                level.confirm_ms.append(elapsed * 1000)
                level.confirms += 1
                level.units += task["remaining"]
                level.confirmed_tasks.append(task["id"])
                open_left[0] -= 1
            else:
                level.errors[f"confirm {status} {body[:160].decode(errors='replace')}"] += 1
    finally:
        await conn.close()


async def run_level(
    server: PickServer, floor: Floor, level: Level, tokens: list[str], seconds: float, picks: int
) -> None:
    budget, open_left = [picks], [level.wave_tasks]
    cpu0, me0, all0 = tree_cpu_seconds(server.pid), self_cpu_seconds(), machine_busy_seconds()
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            picker(
                server,
                floor,
                level,
                token,
                f"HH-{level.concurrency:02d}-{i:02d}",
                t0 + seconds,
                budget,
                open_left,
            )
            for i, token in enumerate(tokens, start=1)
        )
    )
    level.seconds = time.perf_counter() - t0
    level.server_cpu_s = tree_cpu_seconds(server.pid) - cpu0
    level.other_cpu_s = max(
        0.0,
        machine_busy_seconds() - all0 - level.server_cpu_s - (self_cpu_seconds() - me0),
    )


def build_wave(
    server: PickServer, orders: list[dict[str, Any]], key: str
) -> tuple[int, int, float]:
    """POST /api/v1/waves naming the orders. max_orders is given too: without it a named
    wave silently stops at [outbound] wave_max_orders (200) orders."""
    body = {"order_nos": [o["order_no"] for o in orders], "max_orders": len(orders)}
    t0 = time.perf_counter()
    status, answer = server.api("POST", "/api/v1/waves", body, key=key)
    seconds = time.perf_counter() - t0
    if (
        status != 200
        or answer.get("backordered")
        or answer.get("skipped")
        or answer["orders"] != len(orders)
    ):
        raise RuntimeError(f"wave not built as planned: {status} {str(answer)[:300]}")
    return int(answer["id"]), int(answer["tasks"]), seconds


# --------------------------------------------------------------------------- checks


def database_checks(db_path: Path, levels: list[Level]) -> list[str]:
    """Read the server's file after it stopped; every figure must agree."""
    failures: list[str] = []
    confirms = sum(lv.confirms for lv in levels)
    units = sum(lv.units for lv in levels)
    confirmed = [t for lv in levels for t in lv.confirmed_tasks]
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:

        def one(sql: str, *params: Any) -> int:
            return int(conn.execute(sql, params).fetchone()[0] or 0)

        picks = one("SELECT COUNT(*) FROM movements WHERE kind = 'pick'")
        pick_units = one("SELECT SUM(quantity) FROM movements WHERE kind = 'pick'")
        picked_qty = one("SELECT SUM(picked_qty) FROM allocations")
        in_totes = one(
            "SELECT SUM(b.quantity) FROM balances b JOIN locations l ON l.id = b.location_id "
            "WHERE l.type = 'tote'"
        )
        not_picked = one(
            "SELECT COUNT(*) FROM allocations WHERE status != 'picked' AND id IN "
            "(SELECT value FROM json_each(?))",
            json.dumps(confirmed),
        )
        negative = one("SELECT COUNT(*) FROM balances WHERE quantity <= 0")
        over = one(
            "SELECT COUNT(*) FROM reservations r LEFT JOIN balances b USING "
            "(location_id, customer_id, sku_id, lot, expiry) WHERE r.quantity > COALESCE(b.quantity, 0)"
        )
        held = (
            "SELECT location_id, customer_id, sku_id, lot, expiry, SUM(quantity - picked_qty) "
            "FROM allocations WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5 "
            "HAVING SUM(quantity - picked_qty) > 0"
        )
        kept = "SELECT location_id, customer_id, sku_id, lot, expiry, quantity FROM reservations"
        differ = sum(
            one(f"SELECT COUNT(*) FROM ({a} EXCEPT {b})") for a, b in ((held, kept), (kept, held))
        )
        ledger_ok = balances_from_movements(conn) == stored_balances(conn)
        unpicked_orders = 0
        for lv in levels:
            if lv.drained:
                unpicked_orders += one(
                    "SELECT COUNT(*) FROM orders WHERE wave_id = ? AND state != 'picked'",
                    lv.wave_id,
                )
    finally:
        conn.close()
    print(
        f"database after stop: pick movements {picks} (confirms answered 200: {confirms}); units "
        f"picked {pick_units} = confirmed {units} = SUM(picked_qty) {picked_qty} = in totes "
        f"{in_totes}"
    )
    print(
        f"  confirmed tasks not 'picked': {not_picked}; balances <= 0: {negative}; reservations "
        f"over their balance: {over}; reservations differing from open allocations: {differ}; "
        f"balances = sum of movements: {'yes' if ledger_ok else 'NO'}; orders of drained waves "
        f"not 'picked': {unpicked_orders}"
    )
    if picks != confirms:
        failures.append(f"{picks} pick movements for {confirms} confirms")
    if not pick_units == units == picked_qty == in_totes:
        failures.append(
            f"units differ: movements {pick_units}, confirmed {units}, picked_qty {picked_qty}, "
            f"totes {in_totes}"
        )
    for what, n in (
        ("confirmed tasks not picked", not_picked),
        ("balances <= 0", negative),
        ("reservations over stock", over),
        ("reservations differing from open allocations", differ),
        ("orders of drained waves not picked", unpicked_orders),
    ):
        if n:
            failures.append(f"{n} {what}")
    if not ledger_ok:
        failures.append("balances differ from the sum of movements")
    return failures


# --------------------------------------------------------------------------- report

HEADER = (
    f"  {'level':<9} {'conc':>4} {'wave':>5} {'confirms':>8} {'errors':>6} {'seconds':>7} "
    f"{'conf/s':>6} {'conf p50':>8} {'p95':>6} {'p99':>6} {'max':>6} {'next p50':>8} "
    f"{'p99':>6} {'srv cpu':>7} {'cpu/pick':>8} {'other':>5}"
)


def row(lv: Level) -> str:
    nxt = [ms for _, ms in lv.next_ms]
    rate = lv.confirms / lv.seconds if lv.seconds else math.nan
    return (
        f"  {lv.name:<9} {lv.concurrency:>4} {lv.wave_tasks:>5} {lv.confirms:>8} "
        f"{sum(lv.errors.values()):>6} {lv.seconds:>7.2f} {rate:>6.0f} "
        f"{pct(lv.confirm_ms, 50):>8.2f} {pct(lv.confirm_ms, 95):>6.2f} "
        f"{pct(lv.confirm_ms, 99):>6.2f} {pct(lv.confirm_ms, 100):>6.2f} {pct(nxt, 50):>8.2f} "
        f"{pct(nxt, 99):>6.2f} {lv.server_cpu_s / lv.seconds if lv.seconds else math.nan:>7.0%} "
        f"{lv.server_cpu_s * 1000 / lv.confirms if lv.confirms else math.nan:>5.2f} ms "
        f"{lv.other_cpu_s / lv.seconds if lv.seconds else math.nan:>5.0%}"
    )


def next_task_by_open(levels: list[Level]) -> list[str]:
    """next-task at concurrency 1, by how many tasks the wave still had open."""
    lv = next((x for x in levels if x.concurrency == 1 and x.name != "warm-up"), None)
    if lv is None or not lv.next_ms:
        return []
    out = [
        f"next-task latency at c=1 by open tasks left in its wave of {lv.wave_tasks} "
        "(ms; it looks for this handheld's own lease among the open tasks first):"
    ]
    buckets: dict[int, list[float]] = defaultdict(list)
    width = max(1, lv.wave_tasks // 4)
    for left, ms in lv.next_ms:
        buckets[min(3, (lv.wave_tasks - left) // width)].append(ms)
    for b in sorted(buckets):
        hi, lo = lv.wave_tasks - b * width, max(0, lv.wave_tasks - (b + 1) * width)
        ms = buckets[b]
        out.append(
            f"  {f'{hi}-{lo + 1} open':<14} n {len(ms):>5}  p50 {pct(ms, 50):>6.2f}  "
            f"p99 {pct(ms, 99):>6.2f}"
        )
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="max time per concurrency level (default 8)"
    )
    parser.add_argument(
        "--picks",
        type=int,
        default=1_500,
        help="pick tasks in each level's wave, the most it confirms (default 1500)",
    )
    parser.add_argument("--seed", type=int, default=800, help="random seed of the orders")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops the server
    rng = random.Random(args.seed)
    t_start = time.perf_counter()
    failures: list[str] = []
    levels: list[Level] = []
    with tempfile.TemporaryDirectory(prefix="bondfloor-pick-") as tmp:
        workdir = Path(tmp) / "granian"
        workdir.mkdir()
        server = PickServer("granian", workdir)
        probe = sorted(fsync_ms(workdir))
        print("bondfloor pick confirmations over HTTP (POST /api/v1/pick-tasks/{id}/confirm)")
        print(
            f"  python {sys.version.split()[0]}, litestar {version('litestar')}, granian "
            f"{version('granian')}, sqlite {sqlite3.sqlite_version}; {os.cpu_count()} CPU cores "
            "shared by the server and this load generator (asyncio, 1 process)"
        )
        print(
            f"  database in {tmp} ({filesystem_of(Path(tmp))}); fsync of 4 KiB there: p50 "
            f"{probe[len(probe) // 2]:.2f} ms, p99 {probe[int(len(probe) * 0.99) - 1]:.2f} ms; "
            "each pick is two commits (next-task leases, confirm moves), each fsynced"
        )
        try:
            server.seed()
            stock = demo_stock(server.db_path)
            left = {(c, s): n for c, skus in stock.skus.items() for s, n in skus}
            stock_units, stock_skus = sum(left.values()), len(left)
            plans = [("warm-up", 1, plan_orders(stock, rng, left, WARMUP_TASKS, "PKW"))]
            for c in CONCURRENCY:
                plans.append(
                    (f"pick c={c}", c, plan_orders(stock, rng, left, args.picks, f"PK{c}-"))
                )
            all_orders = [o for _, _, orders in plans for o in orders]
            server.start()
            print(
                f"  server pid {server.pid}, port {server.port}, healthy after "
                f"{server.startup_s:.2f} s; demo stock: {stock_skus} SKUs, {stock_units:,} "
                f"reservable units; {len(stock.free_totes)} empty demo totes"
            )
            run_id = uuid.uuid4().hex[:8]
            need = len(all_orders) - len(stock.free_totes)
            totes = list(stock.free_totes)
            if need > 0:
                new = [f"BT-{run_id}-{i:05d}" for i in range(need)]
                status, answer = server.api(
                    "POST",
                    "/api/v1/import/locations?format=json",
                    [{"code": t, "zone": "TOTE", "type": "tote"} for t in new],
                    key=f"totes-{run_id}",
                )
                if status != 200:
                    raise RuntimeError(f"totes not created: {status} {str(answer)[:300]}")
                totes += new
            setup_s = asyncio.run(create_orders(server, all_orders, run_id))
            print(
                f"  {len(totes):,} totes ready ({max(0, need):,} imported); {len(all_orders):,} "
                f"orders ({sum(len(o['lines']) for o in all_orders):,} lines) created and "
                f"released over HTTP in {setup_s:.1f} s at concurrency {SETUP_CONCURRENCY}: "
                f"{2 * len(all_orders) / setup_s:.0f} commands/s (order + customs status)"
            )
            floor = Floor(totes[::-1])
            print(
                f"  per level: a wave of about {args.picks} tasks, its own pickers ({PICKER}, "
                f"one session and X-Device each), max {args.seconds:g} s; {WARMUP_TASKS} "
                "warm-up tasks first"
            )
            print()
            print(HEADER)
            for name, c, orders in plans:
                level = Level(name, c)
                level.wave_id, level.wave_tasks, wave_s = build_wave(
                    server, orders, f"wave-{run_id}-{name}"
                )
                tokens = [server.login(PICKER, PIN, f"HH-{c:02d}-{i:02d}") for i in range(1, c + 1)]
                asyncio.run(run_level(server, floor, level, tokens, args.seconds, args.picks))
                levels.append(level)
                print(
                    row(level) + f"   (wave of {len(orders)} orders built in {wave_s:.2f} s)",
                    flush=True,
                )
                if level.seconds and name != "warm-up":
                    rate = level.confirms / level.seconds
                    health = wrk_health_rate(server.port, c)
                    print(f"    {ratio_line('picks', rate, health)} (wrk -c{c} /health)")
            print()
            for lv in levels:
                for err, n in lv.errors.items():
                    print(f"  ! {lv.name}: {n} x {err}")
                    failures.append(f"{lv.name}: {n} x {err[:100]}")
            for line in next_task_by_open(levels):
                print(line)
            print()
        finally:
            server.stop()
        if server.proc is not None and server.proc.returncode not in (0, -15, None):
            print(f"  server exit code {server.proc.returncode}; log:\n{server.log()}")
        if levels:
            failures += database_checks(server.db_path, levels)

    print()
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
    else:
        print(
            "CHECKS: all passed (one pick movement per confirm, units agree across movements, "
            "allocations and totes, nothing negative or over-reserved, ledger = balances)"
        )
    print(
        "notes: 'conf/s' counts confirms answered 200 over the level's time; each takes a\n"
        "  next-task (lease) and a confirm, two commands and two fsyncs on the one writer.\n"
        "  'conf' and 'next' are the latencies of those two requests; 'srv cpu' is the\n"
        "  server's CPU in % of one core, 'cpu/pick' its CPU per confirmed pick (both\n"
        "  requests); 'other' is every other process on the machine (% of one core): high\n"
        "  values mean noisy figures. The load generator shares the 2 cores with the server."
    )
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
