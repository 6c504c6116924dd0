"""Picks under a C load generator: next-task then confirm per picker, picks/s, p99, server
CPU per pick, and the ratio to the same server's /health in the same run.

Run with `.venv/bin/python bench/picks_wrk.py` (`--seconds`, `--connections 16,64`,
`--baseline DIR --rounds N` as in scans_wrk.py). It seeds the demo warehouse with the real
CLI, then adds in-process, through `run_command` and the services the routes run: one
customer and SKU (not lot-tracked) with stock on 40 storage locations, one tote location
per order, and released one-line orders (customs 800) in waves of 5,000 (the most one wave
takes), one wave per wrk run, so no run drains its wave. Then `bondfloor serve` (granian)
on a free loopback port, and at each connection count:

  health  GET /health                                  (wrk -t1: the server's floor)
  picks   each wrk connection is one picker            (wrk -tN -cN: a thread per picker,
          POST /api/v1/waves/{id}/next-task             so its Lua state is the picker's:
          POST /api/v1/pick-tasks/{id}/confirm          the task it leased, its X-Device)

A picker's Lua script reads the leased task from next-task's answer and confirms it
(location, the SKU's barcode, the quantity left, the order's own tote), each request with
its own Idempotency-Key; one session of the demo picker pick01, a handheld per connection
(X-Device): a lease belongs to a user on one handheld. A pick is both requests; picks/s
counts the pick movements committed in the file during the run (read-only, beside the
server), p50/p99 are wrk's over both requests. Server CPU per pick is the server's process
tree's user+system time (/proc) over the run divided by the picks. Checks: no request
answered other than 2xx, and after the server stops every confirm is one pick movement of
one unit into its order's tote (at least as many as the runs counted: wrk stops with some
in flight), balances = sum of movements.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

import wrk_load
from health_ratio import ratio_line
from processes import HOST, serve_logged_in
from seed_floor import OMS, SUPERVISOR, Seeder, release

from server.config import load_settings, site_today
from server.db import Database
from server.ledger.service import balances_from_movements, stored_balances
from server.masterdata.schemas import LocationIn
from server.outbound import orders
from server.outbound.schemas import OrderIn, OrderLineIn, Party, Routing, WaveIn
from server.outbound.waves import build_wave

CUSTOMER, SKU = "WRKPICK", "WRK-PICK-1"


def ean13(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


EAN = ean13("690987654321")
STORAGE = [f"WP-{i:02d}-01" for i in range(1, 41)]
WAVE_ORDERS = 5_000  # WaveIn.order_nos holds at most 5,000
CHUNK = 500  # orders per seeding command

# Each wrk thread runs this with one connection: its Lua state is one picker. setup() runs
# in wrk's main state once per thread and numbers them; request() and response() then
# alternate on the thread's one connection (wrk does not pipeline).
PICK_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("picker", threads)
end

local n, prefix, next_path, token, device = 0, "k", "", "", ""
local pending, asked = nil, "next"
function init(args)
  prefix, next_path, token = args[1], args[2], args[3]
  device = "WRK-HH-" .. picker
end

function request()
  n = n + 1
  local headers = {
    ["Host"] = wrk.headers["Host"],
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["X-Device"] = device,
    ["Idempotency-Key"] = prefix .. "-" .. picker .. "-" .. n,
  }
  if pending then
    local path, body = pending[1], pending[2]
    pending, asked = nil, "confirm"
    return wrk.format("POST", path, headers, body)
  end
  asked = "next"
  return wrk.format("POST", next_path, headers, "")
end

function response(status, headers, body)
  if asked ~= "next" or status ~= 200 then return end
  local task = body:match('"task":(%b{})')
  if not task then return end -- no task left: ask again
  local id = task:match('"id":(%d+)')
  local order_no = task:match('"order_no":"([^"]*)"')
  pending = {
    "/api/v1/pick-tasks/" .. id .. "/confirm",
    '{"location":"' .. task:match('"location":"([^"]*)"') ..
    '","item":"' .. task:match('"barcodes":%["([^"]*)"') ..
    '","quantity":' .. task:match('"remaining":(%d+)') ..
    ',"tote":"T-' .. order_no .. '"}',
  }
end
"""


@dataclass
class PickRun(wrk_load.Run):
    """rate: picks/s for picks (requests/s for health); answered: picks (requests)."""

    wave_left: int = -1


@dataclass
class Site(wrk_load.WrkSite):
    waves_used: int = 0
    picks_before: tuple[int, int] = (0, 0)  # the demo's own pick movements and units


def seed_picks(folder: Path, waves: int) -> list[int]:
    """The picking site in the demo's file, in-process; returns the waves' ids."""
    settings = load_settings(folder / "bondfloor.toml")
    db = Database(folder / "site.db")
    seeder = Seeder(db, "wrk-seed")
    n = waves * WAVE_ORDERS
    nos = [f"WP{i:06d}" for i in range(1, n + 1)]
    try:
        seeder.product(CUSTOMER, "Wrk", SKU, EAN)
        seeder.locations(
            [
                LocationIn(code=code, zone="WP", type="storage", pick_sequence=i)
                for i, code in enumerate(STORAGE, start=1)
            ]
            + [LocationIn(code=f"T-{no}", zone="TOTE", type="tote") for no in nos]
        )
        per_location = -(-n // len(STORAGE))
        for code in STORAGE:
            seeder.receive(CUSTOMER, SKU, code, per_location, "WRK-ASN")
        party = Party(name="张三丰", phone="13812345678", address="科技园南路十八号")
        for start in range(0, n, CHUNK):
            part = nos[start : start + CHUNK]

            def upsert(c: sqlite3.Connection, x: Any, part: list[str] = part) -> None:
                at = datetime.now(UTC)
                for no in part:
                    order = OrderIn(
                        customer=CUSTOMER,
                        order_no=no,
                        courier="SF",
                        waybill_no=f"SF{no}",
                        routing=Routing(sort_code="342-081-00 052"),
                        recipient=party,
                        sender=party,
                        lines=[OrderLineIn(sku=SKU, quantity=1)],
                    )
                    orders.upsert_order(c, x, order)
                    release(c, x, settings, no, at)

            seeder.run(OMS, "order.upsert", len(part), upsert)
        ids = []
        for w in range(waves):
            part = nos[w * WAVE_ORDERS : (w + 1) * WAVE_ORDERS]
            wave = seeder.run(
                SUPERVISOR,
                "wave.build",
                {"order_nos": len(part)},
                lambda c, x, part=part: build_wave(
                    c,
                    x,
                    settings,
                    WaveIn(order_nos=part, max_orders=len(part)),
                    today=site_today(settings),
                ),
            )
            if wave["orders"] != len(part) or wave["backordered"] or wave["skipped"]:
                sys.exit(f"wave took {wave['orders']} of {len(part)} orders: {str(wave)[:300]}")
            ids.append(int(wave["id"]))
    finally:
        db.close()
    return ids


def start_site(name: str, seeded: Path, tmp: Path, pythonpath: str | None) -> Site:
    """Serve a copy of the seeded file (`pythonpath` first on the path: an older checkout)."""
    folder = tmp / name
    config, port = wrk_load.copy_demo(seeded, folder)
    proc, client = serve_logged_in(name, folder, config, port, pythonpath, user="pick01")
    site = Site(name, folder, port, proc, client.token)
    site.picks_before = (
        picks_in(site.db_path),
        count(site.db_path, "SELECT SUM(quantity) FROM movements WHERE kind = 'pick'"),
    )
    return site


def count(db_path: Path, sql: str, *args: Any) -> int:
    with wrk_load.read_only(db_path) as conn:
        return int(conn.execute(sql, args).fetchone()[0] or 0)


def picks_in(db_path: Path) -> int:
    return count(db_path, "SELECT COUNT(*) FROM movements WHERE kind = 'pick'")


def drive(site: Site, waves: list[int], levels: list[int], seconds: float) -> list[PickRun]:
    base = f"http://{HOST}:{site.port}"
    runs: list[PickRun] = []
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(PICK_LUA)
        script.flush()

        def picks(wave: int, connections: int) -> tuple[float, float, float, int]:
            """One wrk run of pickers: picks/s and picks counted in the file, wrk's p50/p99."""
            picks0 = picks_in(site.db_path)
            prefix = f"wrk-{site.name}-{connections}-{time.monotonic_ns()}"
            _, p50, p99, _ = wrk_load.wrk(
                site.token,
                seconds,
                connections,
                [
                    "-s",
                    script.name,
                    f"{base}/health",
                    "--",
                    prefix,
                    f"/api/v1/waves/{wave}/next-task",
                    site.token,
                ],
                threads=connections,
            )
            answered = picks_in(site.db_path) - picks0
            return answered / seconds, p50, p99, answered

        for connections in levels:
            run = wrk_load.measured(
                PickRun,
                site.name,
                "health",
                connections,
                site.proc.pid,
                partial(wrk_load.wrk, site.token, seconds, connections, [f"{base}/health"]),
                cpu_unit="ms",
            )
            wave = waves[site.waves_used]
            site.waves_used += 1
            run2 = wrk_load.measured(
                PickRun,
                site.name,
                "picks",
                connections,
                site.proc.pid,
                partial(picks, wave, connections),
                cpu_unit="ms",
            )
            run2.wave_left = count(
                site.db_path,
                "SELECT COUNT(*) FROM allocations WHERE wave_id = ? AND status = 'open'",
                wave,
            )
            runs += [run, run2]
    return runs


def report(runs: list[PickRun], levels: list[int], sites: list[str]) -> None:
    print("one row per wrk run, in the order run (picks: wrk -tN -cN, a picker per connection)")
    wrk_load.print_rows(
        runs,
        7,
        "rate/s",
        ("CPU ms", 7),
        ("tasks left", 10, lambda r: "" if r.wave_left < 0 else str(r.wave_left)),
    )
    print("rate: picks/s (a pick = next-task + confirm, both committed) or /health req/s;")
    print("p50/p99: wrk's, over both requests of a pick; CPU ms: server CPU per pick or request")
    print("medians per server and connection count")
    for site, c, picks, rate, health_rate in wrk_load.medians_beside_health(
        runs, sites, levels, "picks"
    ):
        print(
            f"  {site:8} c={c:<3} picks/s {rate:5.0f}, p99 {median(r.p99 for r in picks):6.1f}"
            f" ms, CPU per pick {median(r.cpu_ms for r in picks):.2f} ms; "
            + ratio_line("picks", rate, health_rate)
        )


def check(site: Site, picks: int) -> None:
    with wrk_load.read_only(site.db_path) as conn:
        conn.row_factory = sqlite3.Row
        one = lambda sql, *a: int(conn.execute(sql, a).fetchone()[0] or 0)  # noqa: E731
        movements = one("SELECT COUNT(*) FROM movements WHERE kind = 'pick'")
        movements -= site.picks_before[0]
        units = one("SELECT SUM(quantity) FROM movements WHERE kind = 'pick'")
        units -= site.picks_before[1]
        confirms = one(
            "SELECT COUNT(*) FROM commands WHERE name = 'pick.confirm' AND key LIKE 'wrk-%'"
        )
        wrong_tote = one(
            "SELECT COUNT(*) FROM movements m JOIN locations t ON t.id = m.to_location_id "
            "JOIN orders o ON o.tote_location_id = t.id "
            "WHERE m.kind = 'pick' AND o.order_no LIKE 'WP%' AND t.code != 'T-' || o.order_no"
        )
        ledger_ok = balances_from_movements(conn) == stored_balances(conn)
    # wrk stops with some picks in flight: they commit after the run's count was taken.
    ok = movements >= picks and movements == confirms == units and not wrong_tote and ledger_ok
    print(
        f"check {site.name}: {picks} picks counted, {movements} pick movements of {units} units, "
        f"{confirms} confirm commands, {wrong_tote} in another order's tote, balances = "
        f"movements: {'yes' if ledger_ok else 'NO'}: {'ok' if ok else 'FAILED'}"
    )
    if not ok:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6, help="length of one wrk run")
    parser.add_argument("--connections", default="16,64", help="comma-separated counts")
    parser.add_argument("--baseline", metavar="DIR", help="an older checkout, as scans_wrk.py")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per server")
    args = parser.parse_args()
    levels = wrk_load.connection_counts(args.connections)
    with tempfile.TemporaryDirectory(prefix="bf-picks-wrk-") as tmp:
        seeded = wrk_load.seeded_demo(tmp, args.baseline)
        t0 = time.perf_counter()
        waves = seed_picks(seeded, args.rounds * len(levels))
        print(
            f"seeded {len(waves)} waves of {WAVE_ORDERS:,} one-line orders in-process in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        with contextlib.closing(sqlite3.connect(seeded / "site.db")) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sites: list[Site] = []
        runs: list[PickRun] = []
        with wrk_load.stopped_after(sites):
            sites.append(start_site("this", seeded, Path(tmp), None))
            if args.baseline:
                sites.append(start_site("baseline", seeded, Path(tmp), args.baseline))
            for site in wrk_load.alternating(sites, args.rounds):
                runs += drive(site, waves, levels, args.seconds)
        report(runs, levels, [s.name for s in sites])
        if any(r.wave_left == 0 for r in runs):
            print("note: a wave ran out of tasks during a run: that run's rate is too low")
        for site in sites:
            check(site, sum(r.answered for r in runs if r.site == site.name and r.route == "picks"))


if __name__ == "__main__":
    main()
