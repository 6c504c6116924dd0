"""How fast is the trace of a SKU with 1,000,000 movements in the ledger, over HTTP?

Run with `.venv/bin/python bench/trace.py` (`--movements N` for another size). A temp
folder holds the site's config and SQLite file, seeded with `bondfloor demo`.

Setup, straight into the file BEFORE the server starts (the write path would take hours
at one fsync per movement; the trace only reads): --movements ledger rows for one demo SKU
and a fifth as many for the demo's other SKUs, interleaved, over a year, in transactions
of 100,000 rows. Each unit's life is six movements — receive onto the dock, put-away,
a move between storage locations, pick into a tote, pack onto a parcel, ship — so every
cycle nets to zero and the demo's balances still equal the sum of the movements. One
storage location takes half of the SKU's put-aways (the hot location), one lot gets
--lot-rows of its movements (the lot the CSV exports), the other lots about 600 each.
Users and devices rotate among the demo's.

Then over HTTP on `bondfloor serve` (granian) on a free 127.0.0.1 port, as sup01, on ONE
keep-alive connection, --requests each after 20 of warm-up, per request ms from just
before sending to the last byte:
  - the first page (50) of the SKU's trace, of the big lot's, of the hot location's;
  - a deep page: 50 rows from the middle of the SKU's history (a `before` cursor);
  - GET /api/v1/trace/export of the big lot: the whole history as CSV, 3 times, with
    rows and bytes.
Checks: every page has 50 rows, newest first, of the asked SKU/lot/location; the CSV has
exactly the lot's movements and a BOM. EXPLAIN QUERY PLAN of the SKU's page is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from health_ratio import print_health_ratios
from pick_http import pct
from processes import Proc, TimedClient, bondfloor_exe, free_port, seed_demo_site

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.ledger.service import balances_from_movements, stored_balances  # noqa: E402

BATCH = 100_000
PAGE = 50


def fill_ledger(db_path: Path, movements: int, lot_rows: int) -> dict[str, Any]:
    """Write the year of movements; returns what was traced and how many rows each has."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # setup only: the server runs with FULL
    skus = conn.execute(
        "SELECT s.id, s.code, s.customer_id, c.code FROM skus s "
        "JOIN customers c ON c.id = s.customer_id ORDER BY s.id"
    ).fetchall()
    storage = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM locations WHERE type IN ('storage', 'pick_face') ORDER BY id"
        )
    ]
    dock = conn.execute("SELECT id FROM locations WHERE type = 'dock' LIMIT 1").fetchone()[0]
    users = [r[0] for r in conn.execute("SELECT code FROM users ORDER BY code")]
    # Totes and parcels as the floor makes them: the ledger only needs their ids.
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
    target, others = skus[0], skus[1:]
    hot = storage[0]
    rng = random.Random(7)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    step = timedelta(days=365) / (movements * 1.2 / 6)
    big_lot = "LOT-BIG"
    big_cycles = -(-lot_rows // 6)
    target_cycles = -(-movements // 6)  # at least --movements
    other_cycles = target_cycles // 5
    # Which cycles belong to the big lot: spread over the year.
    big = set(rng.sample(range(target_cycles), min(big_cycles, target_cycles)))
    schedule = [0] * target_cycles + [1] * other_cycles
    rng.shuffle(schedule)
    rows: list[tuple[Any, ...]] = []
    written = 0
    n_target = 0
    t0 = time.perf_counter()
    at = start
    for cycle, which in enumerate(schedule):
        if which == 0:
            sku_id, _, customer_id, _ = target
            lot = big_lot if n_target in big else f"LOT-{n_target // 100:05d}"
            putaway_to = hot if rng.random() < 0.5 else rng.choice(storage[1:])
            n_target += 1
        else:
            sku_id, _, customer_id, _ = rng.choice(others)
            lot = f"N-{cycle // 100:05d}"
            putaway_to = rng.choice(storage[1:])
        moved_to = rng.choice([s for s in storage[1:8] if s != putaway_to])
        tote, parcel = rng.choice(totes), rng.choice(parcels)
        qty = rng.randint(1, 24)
        doc = f"ASN-{cycle // 50:06d}"
        order = f"SO{cycle:08d}"
        user = users[cycle % len(users)]
        device = f"HH-{cycle % 40:02d}"
        life = [
            ("receive", None, dock, doc),
            ("putaway", dock, putaway_to, doc),
            ("move", putaway_to, moved_to, ""),
            ("pick", moved_to, tote, order),
            ("pack", tote, parcel, order),
            ("ship", parcel, None, f"LL{cycle // 200:06d}"),
        ]
        for kind, src, dst, document in life:
            at += step
            stamp = at.isoformat(timespec="milliseconds")
            rows.append(
                (
                    stamp,
                    kind,
                    customer_id,
                    sku_id,
                    lot,
                    "2027-12-31",
                    qty,
                    src,
                    dst,
                    "",
                    document,
                    user,
                    device,
                    f"bench-{cycle}-{kind}",
                )
            )
        if len(rows) >= BATCH:
            written += _insert(conn, rows)
            rows = []
    written += _insert(conn, rows)
    seconds = time.perf_counter() - t0
    conn.execute("ANALYZE")
    counts = {
        "sku": conn.execute(
            "SELECT COUNT(*) FROM movements WHERE sku_id = ?", (target[0],)
        ).fetchone()[0],
        "lot": conn.execute("SELECT COUNT(*) FROM movements WHERE lot = ?", (big_lot,)).fetchone()[
            0
        ],
        "location": conn.execute(
            "SELECT COUNT(*) FROM movements WHERE from_location_id = ? OR to_location_id = ?",
            (hot, hot),
        ).fetchone()[0],
        "all": conn.execute("SELECT COUNT(*) FROM movements").fetchone()[0],
    }
    hot_code = conn.execute("SELECT code FROM locations WHERE id = ?", (hot,)).fetchone()[0]
    ids = [
        r[0]
        for r in conn.execute("SELECT id FROM movements WHERE sku_id = ? ORDER BY id", (target[0],))
    ]
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM movements m WHERE m.sku_id = ? AND m.id < ? "
        "ORDER BY m.id DESC LIMIT 51",
        (target[0], 2**63 - 1),
    ).fetchall()
    conn.close()
    return {
        "sku": target[1],
        "customer": target[3],
        "lot": big_lot,
        "location": hot_code,
        "counts": counts,
        "middle_id": ids[len(ids) // 2],
        "written": written,
        "seconds": seconds,
        "plan": [r[-1] for r in plan],
    }


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> int:
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO movements (at, kind, customer_id, sku_id, lot, expiry, quantity, "
        "from_location_id, to_location_id, reason, document, user_code, device, command_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    return len(rows)


def time_pages(
    client: TimedClient, params: dict[str, Any], n: int, check: Any
) -> tuple[list[float], int]:
    path = "/api/v1/trace?" + urlencode({**params, "limit": PAGE})
    size = 0
    for _ in range(20):
        client.request("GET", path)
    times = []
    for i in range(n):
        status, raw, ms = client.request("GET", path)
        if status != 200:
            sys.exit(f"{path}: {status} {raw[:300]!r}")
        if i == 0:
            page = json.loads(raw)
            entries = page["entries"]
            assert len(entries) == PAGE, len(entries)
            assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
            assert all(check(e) for e in entries), entries[0]
            assert page["next_cursor"], page
            size = len(raw)
        times.append(ms)
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--lot-rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bf-trace-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        db_path, config = seed_demo_site(workdir, port)
        print(f"filling the ledger: {args.movements:,} movements of one SKU ...", flush=True)
        site = fill_ledger(db_path, args.movements, args.lot_rows)
        counts = site["counts"]
        print(
            f"  wrote {site['written']:,} movements in {site['seconds']:.1f} s; "
            f"SKU {site['customer']}/{site['sku']}: {counts['sku']:,}, lot {site['lot']}: "
            f"{counts['lot']:,}, location {site['location']}: {counts['location']:,}; "
            f"file {db_path.stat().st_size / 2**20:,.0f} MiB"
        )
        print("  plan of the SKU's page: " + " | ".join(site["plan"]))
        server = Proc("serve", workdir / "serve.log")
        try:
            startup = server.start_server(
                [bondfloor_exe(), "--config", str(config), "serve"], workdir, port, timeout=120
            )
            client = TimedClient(port)
            client.login()
            sku = {"kind": "sku", "value": site["sku"], "customer": site["customer"]}
            cases = [
                ("SKU, first page", sku, lambda e: e["sku"] == site["sku"], counts["sku"]),
                (
                    "lot, first page",
                    {"kind": "lot", "value": site["lot"]},
                    lambda e: e["lot"] == site["lot"],
                    counts["lot"],
                ),
                (
                    "location, first page",
                    {"kind": "location", "value": site["location"]},
                    lambda e: site["location"] in (e["from_location"], e["to_location"]),
                    counts["location"],
                ),
                (
                    "SKU, deep page (middle)",
                    {**sku, "before": str(site["middle_id"])},
                    lambda e: e["sku"] == site["sku"] and e["id"] < site["middle_id"],
                    counts["sku"],
                ),
            ]
            load = os.getloadavg()[0]
            print(f"\nserver healthy in {startup:.2f} s; {args.requests} requests each, ms:")
            print("| trace | rows in history | p50 | p99 | max | answer bytes |")
            print("|---|---|---|---|---|---|")
            medians = []
            for name, params, check, rows in cases:
                times, size = time_pages(client, params, args.requests, check)
                medians.append((name, statistics.median(times)))
                print(
                    f"| {name} | {rows:,} | {statistics.median(times):.2f} | "
                    f"{pct(times, 99):.2f} | {max(times):.2f} | {size:,} |",
                    flush=True,
                )
            print_health_ratios(port, medians)
            print("\nCSV export of the lot's whole history:")
            path = "/api/v1/trace/export?" + urlencode({"kind": "lot", "value": site["lot"]})
            for _ in range(3):
                status, raw, ms = client.request("GET", path)
                assert status == 200, raw[:300]
                assert raw.startswith("\ufeff".encode())
                lines = raw.decode("utf-8-sig").count("\r\n") - 1
                assert lines == counts["lot"], (lines, counts["lot"])
                print(
                    f"  {lines:,} rows, {len(raw) / 2**20:.1f} MiB in {ms / 1000:.2f} s "
                    f"({lines / (ms / 1000):,.0f} rows/s)",
                    flush=True,
                )
            print(
                f"\nload average (1 min) before / after the requests: {load:.2f} / "
                f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (above ~0.5 the machine was shared)"
            )
        finally:
            server.stop()
        check = sqlite3.connect(db_path)
        check.row_factory = sqlite3.Row
        same = balances_from_movements(check) == stored_balances(check)
        check.close()
        print(f"\nbalances = sum of movements after the run: {same}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
