"""How long does building a wave of 5,000 released orders take, and is it exact?

Run with `.venv/bin/python bench/outbound_waves.py`. It builds the big site of
`outbound_allocation.py` in a temp SQLite file (same builder and seed: 3 customers x 5,000
SKUs, ~37,000 locations, ~190,000 balance rows, FEFO lots with expired ones, stock on docks
and inactive locations that must not be reserved), then creates orders with the real
`upsert_order` and releases each with a customs status 800 (`apply_customs_status`), all in
one setup transaction. Orders have 1-3 lines of 1-3 units; every line is planned against a
model of the stock, so the site holds enough for every order: the wave must take them all.

Timed: one `wave.build` command through `run_command` (as POST /api/v1/waves runs it),
rules `server.outbound.waves.build_wave` with `max_orders` = the orders created: it
reserves stock for every order (`allocate_order`, FEFO/FIFO) and turns the reservations
into pick tasks, in ONE write transaction. Reported: seconds, orders/s, lines/s, pick
tasks created. Every other write on the site (every scan on the floor) waits for that
transaction: its length is also the floor's pause.

A wave of 5,000 must fit the benchmark's time: a probe wave of 50 named orders is built
first and, when 5,000 would take longer than --budget seconds at the probe's pace, the
wave is scaled down (printed as SCALED DOWN, with the projected time for 5,000); --full
builds the 5,000 whatever it takes.

Checks, all exact: every order of the wave is waved (state `waved`, the wave's id) and
none back-ordered; the pick tasks are exactly the reservations a model of the rules gives
(same customer, pickable active locations, no expired stock, FEFO then FIFO then pick walk,
orders in the wave's order: priority, cut-off, id), and their units add up to the lines';
`reservations` equals what the open allocations hold per stock key and never exceeds the
balance under it.

Then what picking that wave costs at the start: next-task's rules (`lease_next_task`, as
POST /api/v1/waves/{id}/next-task runs them, minus HTTP; rolled back) and the wave's task
list (`list_tasks`, as GET /api/v1/waves/{id}/tasks?limit=500).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asgi_servers import filesystem_of, machine_busy_seconds, self_cpu_seconds
from health_ratio import NO_HTTP
from outbound_allocation import (
    TODAY,
    Model,
    PlannedOrder,
    Site,
    Sku,
    allocation_count,
    build_site,
    by_line,
    describe_site,
    pct,
    reservation_check,
)

from server.commands import Actor, CommandContext, run_command
from server.config import Settings
from server.db import Database
from server.outbound import orders, picking
from server.outbound.schemas import CustomsStatusIn, WaveIn
from server.outbound.waves import build_wave

SETTINGS = Settings()
SUPERVISOR = Actor(kind="user", code="sup01", roles=frozenset({"supervisor"}), device="bench")
PROBE_ORDERS = 50
LEASES = 50  # next-task calls timed on the built wave
LIST_LIMIT = 500
LINES = (1, 3)
UNITS = (1, 3)


# --------------------------------------------------------------------------- orders


def plan_orders(
    site: Site, rng: random.Random, planner: Model, n: int, prefix: str
) -> list[PlannedOrder]:
    """Orders the stock covers: each line is reserved in `planner` as it is planned."""
    stocked = {c: site.stocked(c) for c in site.customers}
    planned = []
    for i in range(n):
        customer_id = rng.choice(list(site.customers))
        lines: list[tuple[int, Sku, int, str]] = []
        wanted = rng.randint(*LINES)
        while len(lines) < wanted:
            sku = rng.choice(stocked[customer_id])
            quantity = rng.randint(*UNITS)
            if any(s is sku for _, s, _, _ in lines) or planner.available(sku) < quantity:
                continue
            lines.append((len(lines) + 1, sku, quantity, ""))
        _, covered = planner.reserve(lines)
        assert covered
        planned.append(PlannedOrder(f"{prefix}{i:06d}", customer_id, lines))
    return planned


def create_released(db: Database, site: Site, planned: list[PlannedOrder]) -> None:
    """Through the real upsert_order and apply_customs_status (800), in one transaction."""
    released_at = datetime.now(UTC)

    def setup(conn: sqlite3.Connection) -> None:
        ctx = CommandContext(actor=SUPERVISOR, key="bench-setup")
        for p in planned:
            p.id = orders.upsert_order(conn, ctx, p.order_in(site)).id
            status = CustomsStatusIn(order_no=p.order_no, code=800, status_at=released_at)
            orders.apply_customs_status(
                conn,
                ctx,
                status,
                inspection_lane=SETTINGS.outbound.inspection_lane,
                max_ahead_seconds=SETTINGS.outbound.customs_time_ahead_seconds,
            )

    db._write(setup)


def wave_command(db: Database, key: str, req: WaveIn) -> tuple[dict[str, Any], float, float]:
    """One wave.build command as the route runs it; (answer, wall s, CPU s)."""
    w0, c0 = time.perf_counter(), time.process_time()
    answer = run_command(
        db,
        SUPERVISOR,
        "wave.build",
        key,
        {"max_orders": req.max_orders, "order_nos": len(req.order_nos)},
        lambda conn, ctx: build_wave(conn, ctx, SETTINGS, req, today=TODAY),
    ).value
    return answer, time.perf_counter() - w0, time.process_time() - c0


# --------------------------------------------------------------------------- checks


def check_wave(
    db: Database, model: Model, wave_id: int, planned: list[PlannedOrder]
) -> tuple[list[str], dict[str, int]]:
    """Every order waved, the tasks = the model's reservations (orders in wave order)."""
    failures: list[str] = []

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        waved = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                "SELECT id, state, wave_id FROM orders WHERE id IN (SELECT value FROM json_each(?))",
                (f"[{','.join(str(p.id) for p in planned)}]",),
            )
        }
        tasks: dict[int, list[tuple[Any, ...]]] = {}
        for r in conn.execute(
            "SELECT a.order_id, l.line_no, a.location_id, a.lot, a.expiry, a.quantity, a.status "
            "FROM allocations a JOIN order_lines l ON l.id = a.line_id WHERE a.wave_id = ? "
            "ORDER BY a.id",
            (wave_id,),
        ):
            tasks.setdefault(r[0], []).append(tuple(r)[1:])
        sequence = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM orders WHERE wave_id = ? ORDER BY priority DESC, "
                "CASE WHEN cutoff_at = '' THEN 1 ELSE 0 END, cutoff_at, id",
                (wave_id,),
            )
        ]
        return {"waved": waved, "tasks": tasks, "sequence": sequence}

    seen = db.read(read)
    by_id = {p.id: p for p in planned}
    not_waved = [p.order_no for p in planned if seen["waved"].get(p.id) != ("waved", wave_id)]
    extra = [i for i in seen["sequence"] if i not in by_id]
    if not_waved:
        failures.append(f"{len(not_waved)} orders not waved, e.g. {not_waved[:3]}")
    if extra:
        failures.append(f"{len(extra)} orders in the wave that were not asked for")
    wrong = 0
    units_lines = units_tasks = tasks_n = 0
    for order_id in seen["sequence"]:
        p = by_id.get(order_id)
        if p is None:
            continue
        expected, covered = model.reserve(p.lines)
        got = by_line([t[:5] for t in seen["tasks"].get(order_id, [])])
        if got != expected or not covered or any(t[5] != "open" for t in seen["tasks"][order_id]):
            wrong += 1
        units_lines += sum(q for _, _, q, _ in p.lines)
        units_tasks += sum(t[4] for t in got)
        tasks_n += len(got)
    if wrong:
        failures.append(f"{wrong} orders' pick tasks differ from the model")
    if units_tasks != units_lines:
        failures.append(f"pick tasks hold {units_tasks} units, the lines {units_lines}")
    return failures, {
        "orders": len(seen["sequence"]),
        "tasks": tasks_n,
        "units": units_tasks,
        "wrong": wrong,
    }


def picking_on_the_wave(db: Database, wave_id: int) -> tuple[list[float], list[float]]:
    """What the first picks of the wave cost: next-task's rules for a fresh handheld (in a
    write transaction, rolled back so every call sees the same wave), and the task list."""
    actor = Actor(kind="user", code="pick01", roles=frozenset({"picker"}), device="HH-BENCH")
    lease_ms: list[float] = []

    class Undo(Exception):
        pass

    def lease(conn: sqlite3.Connection) -> None:
        ctx = CommandContext(actor=actor, key="bench-lease")
        t0 = time.perf_counter()
        picking.lease_next_task(conn, ctx, SETTINGS, wave_id)
        lease_ms.append((time.perf_counter() - t0) * 1000)
        raise Undo

    for _ in range(LEASES):
        with contextlib.suppress(Undo):
            db._write(lease)
    list_ms = []
    for _ in range(3):
        t0 = time.perf_counter()
        db.read(
            lambda conn: picking.list_tasks(conn, wave_id=wave_id, status=None, limit=LIST_LIMIT)
        )
        list_ms.append((time.perf_counter() - t0) * 1000)
    return lease_ms, list_ms


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5_000, help="orders in the wave (5000)")
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="scale the wave down when the probe says it would take longer (default 60 s)",
    )
    parser.add_argument("--full", action="store_true", help="never scale the wave down")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the site")
    args = parser.parse_args()
    print(NO_HTTP)
    rng = random.Random(args.seed)
    t_start = time.perf_counter()
    failures: list[str] = []
    print("bondfloor wave build (build_wave through run_command) on a large site")
    print(
        f"  python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPU cores; connections as the server opens them (WAL, "
        "synchronous=FULL, no ANALYZE)"
    )
    with tempfile.TemporaryDirectory(prefix="bondfloor-waves-") as tmp:
        path = Path(tmp) / "site.db"
        db = Database(path)
        db.migrate()
        site = build_site(db, rng)
        planner = Model(site)  # stock as the planned orders will leave it
        probe = plan_orders(site, rng, planner, PROBE_ORDERS, "PROBE")
        create_released(db, site, probe)
        db.close()
        with contextlib.closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db = Database(path)
        model = Model(site)  # what the waves must reserve, checked as they are built
        print(
            f"  built in {time.perf_counter() - t_start:.1f} s in {tmp} "
            f"({filesystem_of(Path(tmp))})"
        )
        print(describe_site(site))
        try:
            answer, probe_s, _ = wave_command(
                db, "probe-wave", WaveIn(order_nos=[p.order_no for p in probe])
            )
            probe_failures, _ = check_wave(db, model, answer["id"], probe)
            failures += [f"probe wave: {f}" for f in probe_failures]
            per_order = probe_s / PROBE_ORDERS
            projected = per_order * args.orders
            n = args.orders
            if not args.full and projected > args.budget:
                n = max(PROBE_ORDERS, int(args.budget / per_order / 1.2))  # cost grows a little
            print(
                f"  probe wave of {PROBE_ORDERS} named orders: {probe_s:.2f} s, "
                f"{per_order * 1000:.1f} ms per order: {args.orders:,} would take about "
                f"{projected:.0f} s"
            )
            if n < args.orders:
                print(
                    f"  SCALED DOWN to {n:,} orders to stay within --budget {args.budget:g} s "
                    f"(--full builds all {args.orders:,})"
                )
            t0 = time.perf_counter()
            planned = plan_orders(site, rng, planner, n, "WAVE")
            create_released(db, site, planned)
            lines = sum(len(p.lines) for p in planned)
            print(
                f"  {n:,} orders, {lines:,} lines, {sum(q for p in planned for _, _, q, _ in p.lines):,} "
                f"units created and released (800) in {time.perf_counter() - t0:.1f} s; "
                f"{allocation_count(db):,} allocations on the site before the wave"
            )
            print()
            me0, all0 = self_cpu_seconds(), machine_busy_seconds()
            answer, wall, cpu = wave_command(db, "bench-wave", WaveIn(max_orders=n))
            other = max(0.0, machine_busy_seconds() - all0 - (self_cpu_seconds() - me0))
            wave_failures, seen = check_wave(db, model, answer["id"], planned)
            failures += wave_failures
            if answer["backordered"]:
                failures.append(f"{len(answer['backordered'])} orders back-ordered")
            if answer["orders"] != n or answer["tasks"] != seen["tasks"]:
                failures.append(
                    f"the wave answered {answer['orders']} orders, {answer['tasks']} tasks"
                )
            print(
                f"wave {answer['wave_no']}: {answer['orders']:,} orders, "
                f"{len(answer['backordered'])} back-ordered, {answer['tasks']:,} pick tasks "
                f"({seen['units']:,} units)"
            )
            print(
                f"  build_wave in one command: {wall:.2f} s wall ({cpu:.2f} s CPU), "
                f"{n / wall:,.0f} orders/s, {lines / wall:,.0f} lines/s, "
                f"{wall * 1000 / n:.1f} ms per order; the writer (every other write on the "
                f"site) waited {wall:.1f} s; other processes used {other / wall:.0%} of a core"
            )
            if n < args.orders:
                print(
                    f"  at this pace {args.orders:,} orders would hold the writer for about "
                    f"{wall / n * args.orders:.0f} s"
                )
            print(
                f"  tasks checked against the model: {seen['orders'] - seen['wrong']:,} orders "
                f"right, {seen['wrong']} wrong"
            )
            lease_ms, list_ms = picking_on_the_wave(db, answer["id"])
            print(
                f"  picking it: next-task's rules (lease_next_task, {answer['tasks']:,} open "
                f"tasks, a handheld holding none; rolled back) p50 {pct(lease_ms, 50):.2f} ms, "
                f"p99 {pct(lease_ms, 99):.2f} ms (inside the writer); the wave's task list "
                f"(list_tasks, limit {LIST_LIMIT}, as GET /api/v1/waves/{{id}}/tasks) "
                f"p50 {pct(list_ms, 50):.0f} ms"
            )

            keys, differ, over = reservation_check(db)
            print(
                f"reservations: {keys:,} stock keys reserved; differ from the open "
                f"allocations: {differ}; over the balance under them: {over}"
            )
            if differ or over:
                failures.append(f"reservations: {differ} keys differ, {over} over stock")
        finally:
            db.close()

    print()
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
    else:
        print(
            "CHECKS: all passed (every order waved, tasks = the model's reservations, units = "
            "the lines', reservations = open allocations, none over stock)"
        )
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
