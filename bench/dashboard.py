"""How fast is the supervisor's dashboard on a year of movements, over HTTP?

Run with `.venv/bin/python bench/dashboard.py` (`--movements N` for another size). A temp
folder holds the site's config and SQLite file, seeded with `bondfloor demo`.

Setup, straight into the file BEFORE the server starts (the write path would take hours
at one fsync per movement; the dashboard only reads): --movements ledger rows over the
365 days before today, shaped like a busy site: each unit's life is six movements —
receive onto the dock, put-away, a move between storage locations, pick into a tote,
pack onto a parcel, ship — spread over the demo's SKUs, and stamped in the site's
working hours (07:00–23:00 Asia/Shanghai), so every day has the same ~N/365 rows and
every cycle nets to zero: the demo's balances still equal the sum of the movements. Each
cycle is also a shipped order with its printed label and its parcel loaded on the day's
truck (one loading list a day), so the open-work, holds, printer and loaded queries meet
a year of rows too; `ANALYZE` runs after the fill. The ledger's ship-at-departure trigger
is lifted while the fill writes (its lists never depart) and put back after.

Then over HTTP on `bondfloor serve` (granian) on a free 127.0.0.1 port, as sup01, on ONE
keep-alive connection, --requests each after 20 of warm-up, per request ms from just
before sending to the last byte:
  - GET /api/v1/dashboard?day=<a day in the middle of the year>;
  - GET /api/v1/reports/throughput.csv for the same day;
  - GET /api/v1/dashboard for today (the demo's own day: few movements).
Checks: the dashboard's totals per step equal a plain COUNT over the day's movements,
and the CSV's total row equals the JSON. EXPLAIN QUERY PLAN of the day's aggregate is
printed, and the aggregate timed in process with the (kind, at) index and without it. After the server stops: the alert worker's step (`check_alerts`) timed in
process on the same file, --steps times.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from health_ratio import print_health_ratios
from pick_http import pct
from processes import Proc, TimedClient, bondfloor_exe, free_port, seed_demo_site

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.alerts.dashboard import MOVEMENT_STEPS, day_bounds  # noqa: E402
from server.alerts.service import check_alerts  # noqa: E402
from server.config import load_settings  # noqa: E402
from server.db import Database  # noqa: E402
from server.ledger.service import balances_from_movements, stored_balances  # noqa: E402

BATCH = 100_000
ZONE = ZoneInfo("Asia/Shanghai")
OPEN_HOUR, CLOSE_HOUR = 7, 23


def working_instants(first_day: date, days: int, per_day: int) -> Any:
    """`per_day` increasing UTC instants in each site day's working hours."""
    span = (CLOSE_HOUR - OPEN_HOUR) * 3600
    for n in range(days):
        day = first_day + timedelta(days=n)
        opening = datetime(day.year, day.month, day.day, OPEN_HOUR, tzinfo=ZONE).astimezone(UTC)
        for i in range(per_day):
            yield opening + timedelta(seconds=span * (i + 0.5) / per_day)


DEPARTURE_CHECK = "movements_ship_only_at_departure"
"""The ledger's trigger (migration 0018) that lets a ship movement in only from a parcel on
a departed loading list it names. The fill's ship rows name lists that never departed
(the day's list stays `loading`; its parcels are no `parcels` rows), so it is lifted while
the fill writes and put back as it was."""


@contextlib.contextmanager
def departure_check_lifted(conn: sqlite3.Connection) -> Iterator[None]:
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (DEPARTURE_CHECK,)
    ).fetchone()
    if row is not None:
        conn.execute(f"DROP TRIGGER {DEPARTURE_CHECK}")
    try:
        yield
    finally:
        if row is not None:
            conn.execute(row[0])


def fill_ledger(db_path: Path, movements: int) -> dict[str, Any]:
    """--movements rows written straight into the file (see the module's text), with the
    ship-at-departure check lifted while they are written."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        with departure_check_lifted(conn):
            return _fill(conn, movements)
    finally:
        conn.close()


def _fill(conn: sqlite3.Connection, movements: int) -> dict[str, Any]:
    conn.execute("PRAGMA synchronous = OFF")  # setup only: the server runs with FULL
    skus = conn.execute("SELECT id, customer_id FROM skus ORDER BY id").fetchall()
    storage = [
        r[0] for r in conn.execute("SELECT id FROM locations WHERE type = 'storage' ORDER BY id")
    ]
    dock = conn.execute("SELECT id FROM locations WHERE type = 'dock' LIMIT 1").fetchone()[0]
    users = [r[0] for r in conn.execute("SELECT code FROM users ORDER BY code")]
    base = conn.execute("SELECT COALESCE(MAX(id), 0) FROM locations").fetchone()[0]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO locations (id, code, zone, type) VALUES (?, ?, ?, ?)",
        [(base + 1 + i, f"BT-{i:03d}", "BT", "tote") for i in range(200)]
        + [(base + 201 + i, f"PCL-BENCH{i:05d}", "PCL", "parcel") for i in range(2000)],
    )
    conn.execute("COMMIT")
    totes = list(range(base + 1, base + 201))
    parcels = list(range(base + 201, base + 2201))
    rng = random.Random(9)
    days = 365
    cycles = -(-movements // 6)
    per_day = -(-cycles * 6 // days)
    first_day = datetime.now(ZONE).date() - timedelta(days=days)
    clock = working_instants(first_day, days, per_day)
    rows: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    loads: list[tuple[Any, ...]] = []
    labels: list[tuple[Any, ...]] = []
    lists: dict[str, int] = {}
    written = 0
    t0 = time.perf_counter()
    for cycle in range(cycles):
        sku_id, customer_id = rng.choice(skus)
        putaway_to = rng.choice(storage)
        moved_to = rng.choice(storage)
        if moved_to == putaway_to:
            moved_to = storage[(storage.index(putaway_to) + 1) % len(storage)]
        tote, parcel = rng.choice(totes), rng.choice(parcels)
        qty = rng.randint(1, 12)
        life = [
            ("receive", None, dock, f"ASN-{cycle // 50:06d}"),
            ("putaway", dock, putaway_to, ""),
            ("move", putaway_to, moved_to, ""),
            ("pick", moved_to, tote, f"SO{cycle:08d}"),
            ("pack", tote, parcel, f"SO{cycle:08d}"),
            ("ship", parcel, None, f"LL{cycle // 200:06d}"),
        ]
        for kind, src, dst, document in life:
            at = next(clock, None)
            if at is None:
                break
            stamp = at.isoformat(timespec="milliseconds")
            if kind == "pack":
                # The order shipped in this cycle, and its parcel loaded on the day's truck.
                orders.append(
                    (customer_id, document, "SF", f"SF{cycle:012d}", "{}", stamp, "h", stamp, stamp)
                )
                day = at.astimezone(ZONE).date().isoformat()
                if day not in lists:
                    lists[day] = _loading_list(conn, day, stamp)
                loads.append((lists[day], 10_000_000 + cycle, cycle, stamp, "dock01"))
                labels.append((stamp, stamp))
            rows.append(
                (
                    stamp,
                    kind,
                    customer_id,
                    sku_id,
                    "",
                    "",
                    qty,
                    src,
                    dst,
                    "",
                    document,
                    users[cycle % len(users)],
                    f"HH-{cycle % 40:02d}",
                    f"bench-{cycle}-{kind}",
                )
            )
        if len(rows) >= BATCH:
            written += _insert(conn, rows, orders, loads, labels)
            rows, orders, loads, labels = [], [], [], []
    written += _insert(conn, rows, orders, loads, labels)
    seconds = time.perf_counter() - t0
    conn.execute("ANALYZE")
    shipped = conn.execute("SELECT COUNT(*) FROM orders WHERE state = 'shipped'").fetchone()[0]
    return {
        "shipped_orders": shipped,
        "written": written,
        "seconds": seconds,
        "first_day": first_day,
        "per_day": per_day,
    }


def _loading_list(conn: sqlite3.Connection, day: str, at: str) -> int:
    cur = conn.execute(
        "INSERT INTO loading_lists (list_no, state, plate, driver_name, driver_id, driver_phone, "
        "seal_no, expected_weight_g, created_by, created_at) "
        "VALUES (?, 'loading', '粤B00000', 'bench', '000', '000', 'S', 0, 'bench', ?)",
        (f"LL-BENCH-{day}", at),
    )
    return int(cur.lastrowid or 0)


def _insert(
    conn: sqlite3.Connection,
    rows: list[tuple[Any, ...]],
    orders: list[tuple[Any, ...]] | None = None,
    loads: list[tuple[Any, ...]] | None = None,
    labels: list[tuple[Any, ...]] | None = None,
) -> int:
    # A cycle cut short by the clock's end would leave stock behind: drop its tail.
    while rows and rows[-1][1] != "ship":
        rows.pop()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO orders (customer_id, order_no, courier, waybill_no, label, created_at, "
        "content_hash, updated_at, customs_at, state, customs_status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'shipped', 800)",
        orders or [],
    )
    conn.executemany(
        "INSERT INTO loading_list_parcels (list_id, parcel_id, position, loaded_at, loaded_by) "
        "VALUES (?, ?, ?, ?, ?)",
        loads or [],
    )
    conn.executemany(
        "INSERT INTO print_jobs (printer, kind, payload, status, attempts, created_by, "
        "created_at, done_at) VALUES ('pack-01-label', 'face_sheet', '{}', 'done', 1, "
        "'pack01', ?, ?)",
        labels or [],
    )
    conn.executemany(
        "INSERT INTO movements (at, kind, customer_id, sku_id, lot, expiry, quantity, "
        "from_location_id, to_location_id, reason, document, user_code, device, command_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    return len(rows)


def day_truth(db_path: Path, day: date) -> tuple[dict[str, int], list[str]]:
    """Units per step of the site day by a plain query, and the aggregate's plan."""
    settings = load_settings(None)
    start, end = day_bounds(settings, day)
    bounds = (start.isoformat(timespec="milliseconds"), end.isoformat(timespec="milliseconds"))
    conn = sqlite3.connect(db_path)
    truth = {step: 0 for step in MOVEMENT_STEPS.values()}
    for kind, units in conn.execute(
        "SELECT kind, SUM(quantity) FROM movements WHERE at >= ? AND at < ? GROUP BY kind",
        bounds,
    ):
        if kind in MOVEMENT_STEPS:
            truth[MOVEMENT_STEPS[kind]] = units
    truth["loaded"] = conn.execute(
        "SELECT COUNT(*) FROM loading_list_parcels WHERE loaded_at >= ? AND loaded_at < ? "
        "AND removed_at IS NULL",
        bounds,
    ).fetchone()[0]
    loaded_plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM loading_list_parcels "
        "WHERE loaded_at >= ? AND loaded_at < ?",
        bounds,
    ).fetchall()
    print(f"  plan of the day's loaded parcels: {' | '.join(r[-1] for r in loaded_plan)}")
    kinds = ", ".join(f"'{k}'" for k in MOVEMENT_STEPS)
    aggregate = (
        "SELECT kind, SUM(quantity) FROM movements {hint} WHERE kind IN ({kinds}) "
        "AND at >= ? AND at < ? GROUP BY kind"
    )
    plan = conn.execute(
        "EXPLAIN QUERY PLAN " + aggregate.format(hint="", kinds=kinds), bounds
    ).fetchall()
    # What the index is worth: the same aggregate with and without it, best of 3.
    for hint in ("INDEXED BY movements_kind_at", "NOT INDEXED"):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            conn.execute(aggregate.format(hint=hint, kinds=kinds), bounds).fetchall()
            runs.append((time.perf_counter() - t0) * 1000)
        print(f"  the day's aggregate in process, {hint}: {min(runs):.1f} ms", flush=True)
    conn.close()
    return truth, [r[-1] for r in plan]


def timed(client: TimedClient, path: str, n: int) -> tuple[list[float], bytes]:
    for _ in range(20):
        client.request("GET", path)
    times, last = [], b""
    for _ in range(n):
        status, raw, ms = client.request("GET", path)
        if status != 200:
            sys.exit(f"{path}: {status} {raw[:300]!r}")
        times.append(ms)
        last = raw
    return times, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=3_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bf-dashboard-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        db_path, config = seed_demo_site(workdir, port)
        print(f"filling the ledger: {args.movements:,} movements over a year ...", flush=True)
        site = fill_ledger(db_path, args.movements)
        day = site["first_day"] + timedelta(days=182)
        truth, plan = day_truth(db_path, day)
        print(
            f"  wrote {site['written']:,} movements in {site['seconds']:.1f} s "
            f"(~{site['per_day']:,} a day), {site['shipped_orders']:,} shipped orders with their "
            f"printed labels and loaded parcels; file {db_path.stat().st_size / 2**20:,.0f} MiB"
        )
        print(f"  plan of the day's aggregate: {' | '.join(plan)}")
        server = Proc("serve", workdir / "serve.log")
        try:
            startup = server.start_server(
                [bondfloor_exe(), "--config", str(config), "serve"], workdir, port, timeout=120
            )
            client = TimedClient(port)
            client.login()
            query = urlencode({"day": day.isoformat()})
            cases = [
                (f"dashboard, {day}", f"/api/v1/dashboard?{query}"),
                (f"throughput.csv, {day}", f"/api/v1/reports/throughput.csv?{query}"),
                ("dashboard, today (demo day)", "/api/v1/dashboard"),
            ]
            load = os.getloadavg()[0]
            print(f"\nserver healthy in {startup:.2f} s; {args.requests} requests each, ms:")
            print("| request | p50 | p99 | max | answer bytes |")
            print("|---|---|---|---|---|")
            answers = {}
            medians = []
            for name, path in cases:
                times, raw = timed(client, path, args.requests)
                answers[name] = raw
                medians.append((name, statistics.median(times)))
                print(
                    f"| {name} | {statistics.median(times):.2f} | {pct(times, 99):.2f} | "
                    f"{max(times):.2f} | {len(raw):,} |",
                    flush=True,
                )
            print_health_ratios(port, medians)
            board = json.loads(answers[cases[0][0]])
            totals = {s["step"]: s["total"] for s in board["throughput"]["steps"]}
            assert all(totals[step] == units for step, units in truth.items()), (totals, truth)
            rows = list(csv.reader(io.StringIO(answers[cases[1][0]].decode())))
            assert [int(v) for v in rows[-1][2:]] == [totals[s] for s in rows[0][2:]], rows[-1]
            print(f"\nthe day's totals equal a plain count: {truth}")
            print(
                f"load average (1 min) before / after the requests: {load:.2f} / "
                f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (above ~0.5 the machine was shared)"
            )
        finally:
            server.stop()

        settings = load_settings(config)
        db = Database(str(db_path))
        try:
            steps = []
            for _ in range(args.steps):
                t0 = time.perf_counter()
                check_alerts(db, settings)
                steps.append((time.perf_counter() - t0) * 1000)
            open_alerts = db.read(
                lambda conn: conn.execute(
                    "SELECT kind, COUNT(*) FROM alerts WHERE cleared_at IS NULL GROUP BY kind"
                ).fetchall()
            )
        finally:
            db.close()
        print(
            f"\nalert worker step, {args.steps} runs, ms: first {steps[0]:.1f} (raises), "
            f"p50 {statistics.median(steps):.1f}, max {max(steps):.1f}; open alerts: "
            + ", ".join(f"{k} {n}" for k, n in open_alerts)
        )
        check = sqlite3.connect(db_path)
        check.row_factory = sqlite3.Row
        same = balances_from_movements(check) == stored_balances(check)
        check.close()
        print(f"balances = sum of movements after the run: {same}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
