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
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asgi_servers import tree_cpu_seconds
from processes import HOST, Proc, TimedClient, bondfloor_exe, free_port, seed_demo_site

CUSTOMER = "HKBEAUTY"  # lot- and expiry-tracked in the demo
LOT, EXPIRY = "BENCH-LOT", "2031-12-31"
PLATE = "粤B12345"
LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}

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
class Run:
    route: str
    connections: int
    rate: float
    p50: float
    p99: float
    answered: int
    cpu_ms_per_request: float
    loadavg: str


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("needs Debian's wrk: apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)


def wrk(
    token: str, seconds: float, connections: int, extra: list[str]
) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, requests answered) of one wrk run; exits on any error."""
    done = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Authorization: Bearer {token}",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    if bad:
        sys.exit(f"{extra}: errors\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    answered = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = {p: float(v) * UNIT_MS[u] for p, v, u in LATENCY.findall(out)}
    return rate, lat["50"], lat["99"], answered


def lot_tracked_item(db_path: Path) -> tuple[str, str]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT s.code, b.barcode FROM skus s JOIN customers c ON c.id = s.customer_id "
            "JOIN sku_barcodes b ON b.sku_id = s.id WHERE c.code = ? AND s.lot_tracked = 1 "
            "ORDER BY s.code, b.barcode LIMIT 1",
            (CUSTOMER,),
        ).fetchone()
    if row is None:
        sys.exit(f"no lot-tracked {CUSTOMER} SKU in the demo")
    return str(row[0]), str(row[1])


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
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bf-scans-wrk-") as tmp:
        folder = Path(tmp)
        port = free_port()
        db_path, config = seed_demo_site(folder, port)
        sku, barcode = lot_tracked_item(db_path)
        extra = "".join(f"{setting}\n" for setting in args.database)
        config.write_text(config.read_text().replace("[database]\n", f"[database]\n{extra}"))
        proc = Proc("serve", folder / "serve.log")
        proc.start_server(
            [bondfloor_exe(), "--config", str(config), "serve", "--port", str(port)],
            folder,
            port,
            timeout=60,
        )
        try:
            client = TimedClient(port)
            client.login()
            plan_id = open_plan(client, sku)
            runs = drive(proc, port, client.token, plan_id, barcode, levels, args.seconds)
            if args.profile:
                profiled = profile(proc, port, client.token, plan_id, barcode, max(levels), args)
                runs.append(profiled)
        finally:
            proc.stop()
        report(runs, levels)
        check(db_path, plan_id, sum(r.answered for r in runs if r.route != "health"))
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
    proc: Proc,
    port: int,
    token: str,
    plan_id: int,
    barcode: str,
    levels: list[int],
    seconds: float,
    routes: tuple[str, ...] = ("health", "scans"),
) -> list[Run]:
    """At each connection count: /health, then scans; CPU of the server tree per run."""
    base = f"http://{HOST}:{port}"
    body = json.dumps({"scan": barcode, "lot": LOT, "expiry": EXPIRY})
    runs: list[Run] = []
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        # json.dumps of the body is a valid Lua string literal (no non-ASCII in it).
        script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n{SCAN_LUA}')
        script.flush()
        scans_url = f"{base}/api/v1/plans/{plan_id}/receive"
        for connections in levels:
            for route in routes:
                if route == "health":
                    extra = [f"{base}/health"]
                else:
                    prefix = f"wrk-{connections}-{time.monotonic_ns()}"
                    extra = ["-s", script.name, scans_url, "--", prefix]
                cpu0 = tree_cpu_seconds(proc.pid)
                rate, p50, p99, answered = wrk(token, seconds, connections, extra)
                cpu = tree_cpu_seconds(proc.pid) - cpu0
                loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
                per = cpu * 1000 / answered
                runs.append(Run(route, connections, rate, p50, p99, answered, per, loadavg))
    return runs


def profile(
    proc: Proc, port: int, token: str, plan_id: int, barcode: str, connections: int, args: Any
) -> Run:
    """One more scans run with py-spy sampling the granian worker (not counted as a figure:
    sampling slows the server)."""
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    worker = children[0] if children else str(proc.pid)
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
    (run,) = drive(proc, port, token, plan_id, barcode, [connections], args.seconds, ("scans",))
    spy.wait(timeout=60)
    run.route = "scans (profiled)"
    return run


# Where a scan's time goes: the server is bound by Python's GIL (one core of Python for
# every request), so py-spy samples only the thread holding the GIL (--gil), and each
# bucket is the share of those samples whose stack holds the frame. C work without the
# GIL (SQLite's fsync, granian's Rust threads) does not show.
PROFILE_BUCKETS = {
    "event loop thread (granian glue, litestar, middleware, encoding)": "MainThread",
    "  access log and metrics middleware (server/observe/)": "server/observe/",
    "handler threads (sync_to_thread)": ": asyncio_",
    "  token check (actor_for_token)": "actor_for_token",
    "  writer: whole batches, BEGIN .. COMMIT (_commit_batch)": "_commit_batch",
    "    run_command's transaction (key, rules, result, audit)": "transaction (server/commands.py",
    "      receive_scan (the rules)": "receive_scan (server/inbound/service.py",
    "  group-commit queue (waiting, handing over)": "Database.write (server/db/database.py",
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
        for name, needle in PROFILE_BUCKETS.items():
            if needle in stack:
                hits[name] += int(count)
    print(f"py-spy --gil: {total} samples of the thread holding the GIL, {path}")
    for name, n in hits.items():
        print(f"  {name:62} {n / max(total, 1):6.1%}")


def report(runs: list[Run], levels: list[int]) -> None:
    print("wrk -t1, one run per row (route order: health then scans, per connection count)")
    print(
        f"{'route':7} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'answered':>8} "
        f"{'srv CPU ms/req':>14}  loadavg after"
    )
    for r in runs:
        print(
            f"{r.route:7} {r.connections:>5} {r.rate:>8.0f} {r.p50:>7.2f} {r.p99:>7.2f} "
            f"{r.answered:>8} {r.cpu_ms_per_request:>14.2f}  {r.loadavg}"
        )
    for c in levels:
        health = next(r for r in runs if r.route == "health" and r.connections == c)
        scans = next(r for r in runs if r.route == "scans" and r.connections == c)
        print(f"scans / health at {c} connections: {scans.rate / health.rate:.2f}")


def check(db_path: Path, plan_id: int, answered: int) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        one = lambda sql, *a: int(conn.execute(sql, a).fetchone()[0])  # noqa: E731
        scans = one("SELECT COUNT(*) FROM receipt_scans WHERE plan_id = ?", plan_id)
        keys = one("SELECT COUNT(*) FROM commands WHERE key LIKE 'wrk-%-%-%'")
        counted = one(
            "SELECT COALESCE(SUM(quantity), 0) FROM receipt_counts WHERE plan_id = ?", plan_id
        )
    ok = scans >= answered and keys == scans and counted == scans
    print(
        f"check: {answered} scans answered 200, {scans} in the file, {keys} keyed commands, "
        f"running count {counted}: {'ok' if ok else 'FAILED'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
