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
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from dashboard import fill_ledger
from processes import free_port, seed_demo_site

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import clock  # noqa: E402
from server.billing import service  # noqa: E402
from server.billing.charges import CHARGE_TYPES  # noqa: E402
from server.billing.facts import month_period  # noqa: E402
from server.billing.schemas import RateIn, TariffSet  # noqa: E402
from server.commands import SYSTEM, run_command  # noqa: E402
from server.db import Database  # noqa: E402

TZ = "Asia/Shanghai"


def last_full_month() -> str:
    first_of_this = clock.today(TZ).replace(day=1)
    return (first_of_this - timedelta(days=1)).strftime("%Y-%m")


def fill_ledger_past_the_departure_check(db_path: Path, movements: int) -> dict[str, Any]:
    """The dashboard bench's fill, with the ledger's ship-at-departure trigger (migration
    0018) lifted while it runs: its ship rows name loading lists that never departed, so
    the trigger refuses them. Put back as it was afterwards."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    name, sql = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND name = 'movements_ship_only_at_departure'"
    ).fetchone()
    conn.execute(f"DROP TRIGGER {name}")
    try:
        return fill_ledger(db_path, movements)
    finally:
        conn.execute(sql)
        conn.close()


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bf-billing-") as tmp:
        workdir = Path(tmp)
        db_path, _config = seed_demo_site(workdir, free_port())
        print(f"filling the ledger: {args.movements:,} movements over a year ...", flush=True)
        site = fill_ledger_past_the_departure_check(db_path, args.movements)
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
            t0 = time.perf_counter()
            closed = run_command(
                db,
                SYSTEM,
                "billing.close_period",
                "bench-close",
                [month],
                lambda conn, ctx: service.close_period(conn, ctx, TZ, month),
            ).value
            close_s = time.perf_counter() - t0
            sources = db.read(
                lambda c: c.execute("SELECT COUNT(*) FROM billing_line_sources").fetchone()[0]
            )
            print(
                f"  close_period command (compute + store + events): {close_s:.2f} s "
                f"[target <= 10 s] -> {'OK' if close_s <= 10 else 'OVER'}"
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


if __name__ == "__main__":
    main()
