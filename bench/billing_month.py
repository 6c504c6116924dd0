"""How long does billing one month of a busy site take?

Run with `.venv/bin/python bench/billing_month.py` (`--movements N` for another size). A
temp folder holds the site's SQLite file, seeded with `bondfloor demo` and then the
dashboard bench's year of movements (bench/dashboard.py `fill_ledger`: --movements rows
over the 365 days before today, six per unit's life, in the site's working hours; the
demo's three customers).

Setup, straight into the file: the demo SKUs get dimensions and units per pallet; then
tariffs pricing every charge code (the site's and each customer's, starting after the
demo's own) are set by their command.

Then in process, on the last full month before today (site calendar):
  - `compute_statements` for every customer (the read side: facts + pricing), --runs times;
  - the `billing.close_period` command (compute, store lines and their sources, the
    events), once — the figure against the issue's target of 10 s;
  - one stored statement read and rendered as CSV, --reads times (p50, p99);
  - checks: the stored statements equal a recomputation; the month's inbound units equal a
    plain SUM over its receive movements.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from dashboard import fill_ledger
from processes import free_port, loadavg, seed_demo_site, serve_logged_in
from wrk_load import ensure_wrk, wrk

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import clock  # noqa: E402
from server.billing import service  # noqa: E402
from server.billing.charges import CHARGE_TYPES  # noqa: E402
from server.billing.closing import (  # noqa: E402
    ClosePeriodJob,
    close_in_one_transaction,
    prepare_close,
)
from server.billing.facts import month_period  # noqa: E402
from server.billing.schemas import RateIn, ServiceRecord, TariffSet  # noqa: E402
from server.chunked import floor_first, run_chunked_command  # noqa: E402
from server.commands import SYSTEM, run_command  # noqa: E402
from server.db import Database  # noqa: E402

TZ = "Asia/Shanghai"
FLOOR_CUSTOMER = "HKBEAUTY"  # the demo customer the floor writes record a service for


def last_full_month() -> str:
    first_of_this = clock.today(TZ).replace(day=1)
    return (first_of_this - timedelta(days=1)).strftime("%Y-%m")


def give_skus_dimensions(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(
        "UPDATE skus SET length_mm = 80 + id % 7 * 20, width_mm = 60 + id % 5 * 15, "
        "height_mm = 40 + id % 3 * 25, units_per_pallet = 24 * (1 + id % 4)"
    )
    conn.close()


def set_bench_tariffs(db: Database) -> None:
    """Every charge code priced, for the site and each customer: a version that starts
    after the demo's own tariffs (2020), so it is the one in force."""
    rates = [RateIn(charge_code=code, rate_fen=7 + n * 13) for n, code in enumerate(CHARGE_TYPES)]
    customers = db.read(lambda c: [r[0] for r in c.execute("SELECT code FROM customers")])
    for customer in ["", *customers]:
        req = TariffSet(
            customer=customer,
            effective_from="2021-01-01",
            minimum_fen=100_000,
            rates=rates,
            reason="bench",
        )
        run_command(
            db,
            SYSTEM,
            "billing.set_tariff",
            f"bench-tariff-{customer}",
            [customer],
            lambda conn, ctx, req=req: service.set_tariff(conn, ctx, TZ, req),
        )


@dataclass
class CloseRun:
    result: Any
    seconds: float
    floor_ms: list[float]

    def floor_line(self) -> str:
        waits = sorted(self.floor_ms)
        if not waits:
            return "no floor write"
        return (
            f"{len(waits)} floor writes, p50 {waits[len(waits) // 2]:.1f} ms, "
            f"p99 {waits[int(len(waits) * 0.99)]:.1f} ms, longest {waits[-1]:.1f} ms"
        )


def close_beside_floor_writes(db: Database, close: Callable[[], Any]) -> CloseRun:
    """Run `close` while another thread sends a small command (a recorded photo service)
    every 5 ms, as a scan would: the longest of them is how long the floor waited."""
    stop = threading.Event()
    waits: list[float] = []
    req = ServiceRecord(customer=FLOOR_CUSTOMER, charge_code="service.photo", quantity=1)

    def floor() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            t0 = time.perf_counter()
            run_command(
                db,
                SYSTEM,
                "billing.record_service",
                f"bench-floor-{time.time_ns()}-{n}",
                [n],
                lambda conn, ctx: service.record_service(conn, ctx, req),
            )
            waits.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.005)

    thread = threading.Thread(target=floor, daemon=True)
    thread.start()
    time.sleep(0.2)
    before = len(waits)
    t0 = time.perf_counter()
    try:
        result = close()
    finally:
        seconds = time.perf_counter() - t0
        stop.set()
        thread.join()
    return CloseRun(result, seconds, waits[before:])


def close_as_the_route_does(db: Database, month: str) -> Any:
    """POST /api/v1/billing/periods/{month}/close's work, in process: the statements
    computed on a read-only connection, then stored by the chunked job."""
    t0 = time.perf_counter()
    with floor_first():  # as the route's handler does around a chunked command's read
        prepared = db.read(lambda c: prepare_close(c, TZ, month))
    computed = time.perf_counter() - t0
    job = ClosePeriodJob(prepared, TZ)
    answer = run_chunked_command(
        db, SYSTEM, "billing.close_period", "bench-close", {"period": month}, job
    ).value
    chunks = db.read(
        lambda c: c.execute(
            "SELECT details FROM audit WHERE action = 'billing.close_period' "
            "AND details LIKE '%bench-close\"%' ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    )
    print(
        f"    (the route's close: computed on a read-only connection in {computed:.2f} s, "
        f"then stored in {json.loads(chunks)['chunks']} chunks in "
        f"{time.perf_counter() - t0 - computed:.2f} s)"
    )
    return answer


def statement_over_http(workdir: Path, config: Path, statement_id: int, seconds: float) -> None:
    """The statement page's reads over HTTP: `bondfloor serve` on the bench's file, Debian's
    wrk (one thread) on the stored statement (JSON, what the A4 page fetches) and its CSV
    at 1 and 16 keep-alive connections, beside the same server's /health in the same run."""
    ensure_wrk()
    port = int(re.search(r"port = (\d+)", config.read_text()).group(1))  # type: ignore[union-attr]
    proc, client = serve_logged_in("billing", workdir, config, port, None)
    try:
        root = f"http://127.0.0.1:{port}"
        base = f"{root}/api/v1/billing/statements/{statement_id}"
        print(f"\nover HTTP (bondfloor serve on this file, wrk -t1, {seconds:.0f} s each):")
        print("| route | connections | req/s | p50 ms | p99 ms | / health | load |")
        print("|---|---|---|---|---|---|---|")
        worst = 0.0
        for connections in (1, 16):
            health, h50, h99, _n = wrk(client.token, seconds, connections, [f"{root}/health"])
            print(
                f"| /health | {connections} | {health:,.0f} | {h50:.1f} | {h99:.1f} | 1.00 | "
                f"{loadavg()} |"
            )
            for label, url in (("statement", base), ("statement csv", f"{base}/csv")):
                rate, p50, p99, _n = wrk(client.token, seconds, connections, [url])
                worst = max(worst, p99)
                print(
                    f"| {label} | {connections} | {rate:,.0f} | {p50:.1f} | {p99:.1f} | "
                    f"{rate / health:.2f} | {loadavg()} |"
                )
        print(
            f"  statement p99, worst row: {worst:.1f} ms [target <= 100 ms] -> "
            f"{'OK' if worst <= 100 else 'OVER'}"
        )
    finally:
        proc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=float, default=8.0)
    parser.add_argument("--no-http", action="store_true", help="skip the wrk part")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bf-billing-") as tmp:
        workdir = Path(tmp)
        db_path, _config = seed_demo_site(workdir, free_port())
        print(f"filling the ledger: {args.movements:,} movements over a year ...", flush=True)
        site = fill_ledger(db_path, args.movements)
        give_skus_dimensions(db_path)
        print(
            f"  wrote {site['written']:,} movements in {site['seconds']:.1f} s; "
            f"file {db_path.stat().st_size / 2**20:,.0f} MiB"
        )
        db = Database(str(db_path))
        db.migrate()
        try:
            set_bench_tariffs(db)
            month = last_full_month()
            period = month_period(month, TZ)
            customers = db.read(
                lambda c: [r[0] for r in c.execute("SELECT id FROM customers ORDER BY id")]
            )
            in_month = db.read(
                lambda c: c.execute(
                    "SELECT COUNT(*) FROM movements WHERE at >= ? AND at < ?",
                    (period.start, period.end),
                ).fetchone()[0]
            )
            print(
                f"\nbilling {month}: {in_month:,} movements in the month, "
                f"{len(customers)} customers"
            )
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                computed = db.read(lambda c: service.compute_statements(c, period, customers))
                times.append(time.perf_counter() - t0)
            print(
                f"  compute_statements: median {statistics.median(times):.2f} s "
                f"(runs: {', '.join(f'{t:.2f}' for t in times)})"
            )
            # Before: the whole close in one write transaction (compute + store), as the
            # route did; then re-opened, and closed again as the route does now.
            one_tx = close_beside_floor_writes(
                db,
                lambda: (
                    run_command(
                        db,
                        SYSTEM,
                        "billing.close_period",
                        "bench-close-one-transaction",
                        [month],
                        lambda conn, ctx: close_in_one_transaction(conn, ctx, TZ, month),
                    ).value
                ),
            )
            run_command(
                db,
                SYSTEM,
                "billing.reopen_period",
                "bench-reopen",
                [month],
                lambda conn, ctx: service.reopen_period(conn, ctx, month, "bench: close again"),
            )
            chunked = close_beside_floor_writes(db, lambda: close_as_the_route_does(db, month))
            closed = chunked.result
            close_s = chunked.seconds
            db._write(
                lambda c: c.execute(
                    "DELETE FROM billing_line_sources WHERE line_id IN (SELECT l.id FROM "
                    "billing_statement_lines l JOIN billing_statements s "
                    "ON s.id = l.statement_id WHERE s.state = 'superseded')"
                )
            )  # the counts below are of the statements the route closed
            sources = db.read(
                lambda c: c.execute("SELECT COUNT(*) FROM billing_line_sources").fetchone()[0]
            )
            print("  floor writes (a small command every 5 ms) during each close:")
            for label, run in (
                ("one transaction (before)", one_tx),
                ("read, then chunks (the route now)", chunked),
            ):
                print(f"    {label}: close {run.seconds:.2f} s; {run.floor_line()}")
            print(
                f"  close_period as the route runs it (read-only compute, chunked store, "
                f"events): {close_s:.2f} s [target <= 10 s] -> {'OK' if close_s <= 10 else 'OVER'}"
            )
            print("| customer | lines | total yuan |")
            print("|---|---|---|")
            for summary in closed["statements"]:
                stored = db.read(lambda c, i=summary["id"]: service.stored_statement(c, i))
                print(
                    f"| {summary['customer']} | {len(stored.lines)} | "
                    f"{summary['total_fen'] / 100:,.2f} |"
                )
            print(f"  {sources:,} line sources stored")
            for summary in closed["statements"]:
                stored = db.read(
                    lambda c, i=summary["id"]: service.stored_statement(c, i, with_sources=True)
                )
                again = next(s for s in computed.values() if s.customer == stored.customer)
                assert stored.total_fen == again.total_fen
                assert [x.amount_fen for x in stored.lines] == [x.amount_fen for x in again.lines]
            first = closed["statements"][0]["id"]
            reads = []
            for _ in range(args.reads):
                t0 = time.perf_counter()
                db.read(lambda c: service.statement_csv(service.stored_statement(c, first)))
                reads.append((time.perf_counter() - t0) * 1000)
            reads.sort()
            print(
                f"  a stored statement read and rendered as CSV, in process, {args.reads} times: "
                f"p50 {reads[len(reads) // 2]:.1f} ms, p99 {reads[int(len(reads) * 0.99)]:.1f} ms"
            )
            truth = db.read(
                lambda c: c.execute(
                    "SELECT COALESCE(SUM(quantity), 0) FROM movements "
                    "WHERE kind = 'receive' AND at >= ? AND at < ?",
                    (period.start, period.end),
                ).fetchone()[0]
            )
            billed = sum(
                x.quantity
                for s in computed.values()
                for x in s.lines
                if x.charge_code == "inbound.unit"
            )
            print(
                f"  check: inbound units billed {billed:,} = receive movements {truth:,}: "
                f"{'OK' if billed == truth else 'MISMATCH'}"
            )
        finally:
            db.close()
        if not args.no_http:
            statement_over_http(workdir, _config, first, args.wrk_seconds)


if __name__ == "__main__":
    main()
