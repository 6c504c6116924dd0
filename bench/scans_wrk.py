"""Durable receiving scans under a C load generator: scans/s, p99, server CPU per scan,
and the ratio to the same server's /health in the same run.

Run with `.venv/bin/python bench/scans_wrk.py` (`--seconds`, `--connections 16,64`). It
seeds the demo warehouse with the real CLI, starts `bondfloor serve` (granian) on a free
loopback port, logs in as sup01, creates a customs-released plan of one lot-tracked SKU
(HKBEAUTY, lot and expiry on every scan) with 10,000,000 expected, checks the truck in,
then drives Debian's `wrk` (one thread, keep-alive connections; installed with apt-get when
missing and this runs as root) at each connection count:

  health  GET /health                                  (the server's floor: no command)
  scans   POST /api/v1/plans/{id}/receive               (each with its own Idempotency-Key,
                                                        made by a Lua script: a durable
                                                        command, fsync'd with synchronous=FULL)

Server CPU per scan is the server's process tree's user+system time (/proc) over the run
divided by the scans answered. The load average is printed beside each row: the machine
may be shared. Checks: every scan answered 200 (wrk counts no non-2xx), and after the
server stops the file holds at least as many receipt scans as wrk saw answered (wrk stops
with some in flight), each key once, and the plan's running count equals their sum.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

from processes import HOST, TimedClient, metrics_text, serve_logged_in
from wrk_load import (
    Run,
    WrkSite,
    alternating,
    connection_counts,
    copy_demo,
    measured,
    medians_beside_health,
    print_rows,
    read_only,
    seeded_demo,
    stopped_after,
    wrk,
)

CUSTOMER = "HKBEAUTY"  # lot- and expiry-tracked in the demo
LOT, EXPIRY = "BENCH-LOT", "2031-12-31"
PLATE = "粤B12345"

# One thread of wrk runs this: a counter makes every request's key new. init() gets the
# run's prefix after `--`, so keys never repeat across runs on the same database.
SCAN_LUA = """
local n = 0
local prefix = "k"
function init(args) prefix = args[1] end
function request()
  n = n + 1
  return wrk.format("POST", wrk.path, {
    ["Host"] = wrk.headers["Host"],
    ["Authorization"] = wrk.headers["Authorization"],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. "-" .. n,
  }, wrk.body)
end
"""


@dataclass
class ScanRun(Run):
    writes_per_commit: float = float("nan")


def lot_tracked_item(db_path: Path) -> tuple[str, str]:
    with read_only(db_path) as conn:
        row = conn.execute(
            "SELECT s.code, b.barcode FROM skus s JOIN customers c ON c.id = s.customer_id "
            "JOIN sku_barcodes b ON b.sku_id = s.id WHERE c.code = ? AND s.lot_tracked = 1 "
            "ORDER BY s.code, b.barcode LIMIT 1",
            (CUSTOMER,),
        ).fetchone()
    if row is None:
        sys.exit(f"no lot-tracked {CUSTOMER} SKU in the demo")
    return str(row[0]), str(row[1])


@dataclass
class Site(WrkSite):
    plan_id: int = 0


def start_site(
    name: str, seeded: Path, tmp: Path, settings: list[str], pythonpath: str | None
) -> Site:
    """Copy the seeded demo, point its config at the copy and a free port, serve it (with
    `pythonpath` first on the path: an older checkout's server), log in, open the plan."""
    folder = tmp / name
    config, port = copy_demo(seeded, folder, settings)
    proc, client = serve_logged_in(name, folder, config, port, pythonpath)
    site = Site(name, folder, port, proc, client.token)
    site.plan_id = open_plan(client, lot_tracked_item(site.db_path)[0])
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of one wrk run")
    parser.add_argument("--connections", default="16,64", help="comma-separated counts")
    parser.add_argument(
        "--profile",
        type=Path,
        help="also sample the server's worker with py-spy (pip install py-spy) during a last "
        "scans run at the highest connection count: collapsed stacks to this file, and a "
        "summary of where the time goes",
    )
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="a [database] setting for the server, e.g. group_commit_wait_ms=1 (repeatable)",
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also serve the same demo from an older checkout (DIR: its top folder, with "
        "server/ and handheld_web/, e.g. made by `git worktree add`), in alternating rounds "
        "with this one: before and after measured in the same minutes of a shared machine",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds per server")
    args = parser.parse_args()
    levels = connection_counts(args.connections)
    with tempfile.TemporaryDirectory(prefix="bf-scans-wrk-") as tmp:
        seeded = seeded_demo(tmp, args.baseline)
        _, barcode = lot_tracked_item(seeded / "site.db")
        sites: list[Site] = []
        runs: list[ScanRun] = []
        with stopped_after(sites):
            sites.append(start_site("this", seeded, Path(tmp), args.database, None))
            if args.baseline:
                sites.append(start_site("baseline", seeded, Path(tmp), [], args.baseline))
            for site in alternating(sites, args.rounds):
                runs += drive(site, barcode, levels, args.seconds)
            if args.profile:
                runs.append(profile(sites[0], barcode, max(levels), args))
        report(runs, levels, [s.name for s in sites])
        for site in sites:
            mine = [r for r in runs if r.site == site.name and r.route != "health"]
            check(site, sum(r.answered for r in mine))
        if args.profile:
            summarise_profile(args.profile)


def open_plan(client: TimedClient, sku: str) -> int:
    """A released plan of one lot-tracked SKU, the truck checked in at a dock."""
    plan = {
        "customer": CUSTOMER,
        "plan_no": f"WRK-{os.getpid()}",
        "transport": {"type": "land", "truck_plate": PLATE},
        "customs_released": True,
        "lines": [{"sku": sku, "expected_qty": 10_000_000, "lot": LOT, "expiry": EXPIRY}],
    }
    status, raw = keyed(client, "/api/v1/plans", plan, "wrk-plan")
    if status != 200:
        sys.exit(f"plan not created: {status} {raw[:300]!r}")
    plan_id = int(json.loads(raw)["id"])
    status, raw = keyed(
        client, f"/api/v1/plans/{plan_id}/check-in", {"reference": PLATE}, "wrk-checkin"
    )
    if status != 200:
        sys.exit(f"check-in refused: {status} {raw[:300]!r}")
    return plan_id


def keyed(client: TimedClient, path: str, body: object, key: str) -> tuple[int, bytes]:
    """One POST with an Idempotency-Key on the client's keep-alive connection (setup)."""
    headers = {
        "Authorization": f"Bearer {client.token}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    client.conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
    resp = client.conn.getresponse()
    return resp.status, resp.read()


def drive(
    site: Site,
    barcode: str,
    levels: list[int],
    seconds: float,
    routes: tuple[str, ...] = ("health", "scans"),
) -> list[ScanRun]:
    """At each connection count: /health, then scans; CPU of the server tree per run."""
    base = f"http://{HOST}:{site.port}"
    body = json.dumps({"scan": barcode, "lot": LOT, "expiry": EXPIRY})
    runs: list[ScanRun] = []
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        # json.dumps of the body is a valid Lua string literal (no non-ASCII in it).
        script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n{SCAN_LUA}')
        script.flush()
        scans_url = f"{base}/api/v1/plans/{site.plan_id}/receive"
        for connections in levels:
            for route in routes:
                if route == "health":
                    extra = [f"{base}/health"]
                else:
                    prefix = f"wrk-{connections}-{time.monotonic_ns()}"
                    extra = ["-s", script.name, scans_url, "--", prefix]
                batches0 = write_batches(site.port)
                run = measured(
                    ScanRun,
                    site.name,
                    route,
                    connections,
                    site.proc.pid,
                    partial(wrk, site.token, seconds, connections, extra),
                )
                batches1 = write_batches(site.port)
                batches, writes = batches1[0] - batches0[0], batches1[1] - batches0[1]
                run.writes_per_commit = writes / batches if batches else float("nan")
                runs.append(run)
    return runs


def profile(site: Site, barcode: str, connections: int, args: Any) -> ScanRun:
    """One more scans run with py-spy sampling the granian worker (not counted as a figure:
    sampling slows the server)."""
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    pid = site.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    worker = children[0] if children else str(pid)
    spy = subprocess.Popen(
        [
            str(py_spy),
            "record",
            "-p",
            worker,
            "-r",
            "200",
            "--gil",
            "--format",
            "raw",
            "--threads",
            "-d",
            str(round(args.seconds)),
            "-o",
            str(args.profile),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # py-spy attaches
    (run,) = drive(site, barcode, [connections], args.seconds, ("scans",))
    spy.wait(timeout=60)
    run.route = "scans, profiled"
    return run


# Where a scan's time goes: the server is bound by Python's GIL (one core of Python for
# every request), so py-spy samples only the thread holding the GIL (--gil), and each
# bucket is the share of those samples whose stack holds the frame. C work without the
# GIL (SQLite's fsync, granian's Rust threads) does not show.
PROFILE_BUCKETS: dict[str, str | tuple[str, ...]] = {
    "event loop thread (granian glue, litestar, middleware, encoding)": "MainThread",
    "  a request inside litestar (middleware, routing, guard, answer)": "Litestar.__call__",
    "  dependency resolution (resolve_dependencies)": "resolve_dependencies",
    "  the route guard (authorize_connection / guard_request)": (
        "authorize_connection",
        "guard_request",
    ),
    "  access log line and metrics (RequestObserver._record)": "RequestObserver._record",
    "handler threads (the handler pool: handler_N, before asyncio_N)": "_WorkItem.run",
    "  token check (actor_for_token)": "actor_for_token",
    "  writer: whole batches, BEGIN .. COMMIT (_commit_batch)": "_commit_batch",
    "    run_command's transaction (key, rules, result, audit)": "transaction (server/commands.py",
    "      receive_scan (the rules)": "receive_scan (server/inbound/service.py",
    "  Database._write, all of it (queue and batches)": "Database._write (server/db/database.py",
    "logging (any thread)": "logging/__init__.py",
    "other threads (workers)": "worker-",
}


def summarise_profile(path: Path) -> None:
    """Share of GIL-holding samples per bucket, from py-spy's collapsed stacks."""
    total, hits = 0, dict.fromkeys(PROFILE_BUCKETS, 0)
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for name, needles in PROFILE_BUCKETS.items():
            if any(n in stack for n in ((needles,) if isinstance(needles, str) else needles)):
                hits[name] += int(count)
    print(f"py-spy --gil: {total} samples of the thread holding the GIL, {path}")
    for name, n in hits.items():
        print(f"  {name:62} {n / max(total, 1):6.1%}")


def write_batches(port: int) -> tuple[float, float]:
    """(transactions, writes) the server's writer has committed so far, from /metrics
    (read from loopback): writes / transactions is the group commit's batch size."""
    text = metrics_text(port, timeout=10)
    found = dict(re.findall(r"^bondfloor_db_write_batch_size_(count|sum) ([\d.e+]+)$", text, re.M))
    return float(found.get("count", "nan")), float(found.get("sum", "nan"))


def report(runs: list[ScanRun], levels: list[int], sites: list[str]) -> None:
    print("wrk -t1, one run per row, in the order run")
    print_rows(
        runs,
        16,
        "req/s",
        ("CPU ms/req", 10),
        ("writes/commit", 13, lambda r: f"{r.writes_per_commit:.1f}"),
    )
    print("medians per server and connection count (scans / health: of the medians)")
    for site, c, scans, rate, health_rate in medians_beside_health(runs, sites, levels, "scans"):
        print(
            f"  {site:8} c={c:<3} scans/s {rate:5.0f}, p99 {median(r.p99 for r in scans):5.1f}"
            f" ms, CPU per scan {median(r.cpu_ms for r in scans):.2f} ms, "
            f"writes per commit {median(r.writes_per_commit for r in scans):.1f}; "
            f"health {health_rate:5.0f} req/s; scans / health {rate / health_rate:.2f}"
        )


def check(site: Site, answered: int) -> None:
    with read_only(site.db_path) as conn:
        one = lambda sql, *a: int(conn.execute(sql, a).fetchone()[0])  # noqa: E731
        scans = one("SELECT COUNT(*) FROM receipt_scans WHERE plan_id = ?", site.plan_id)
        keys = one("SELECT COUNT(*) FROM commands WHERE key LIKE 'wrk-%-%-%'")
        counted = one(
            "SELECT COALESCE(SUM(quantity), 0) FROM receipt_counts WHERE plan_id = ?",
            site.plan_id,
        )
    ok = scans >= answered and keys == scans and counted == scans
    print(
        f"check {site.name}: {answered} scans answered 200, {scans} in the file, {keys} keyed "
        f"commands, running count {counted}: {'ok' if ok else 'FAILED'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
