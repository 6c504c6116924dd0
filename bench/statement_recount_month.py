"""Recount every customer's closed statement of a billed month, independently of the billing code.

    .venv/bin/python bench/statement_recount_month.py [--movements 200000] [--keep DIR]

Two sites, each in a temp folder (kept in --keep DIR when given):
  - the demo warehouse (`bondfloor demo`: its tariffs and today's receipts), its current
    month closed with the clock set to the next month's first morning: a small month;
  - the demo filled as bench/billing_month.py fills it (the dashboard bench's year of
    --movements movements, SKU dimensions, every charge code priced), its last full month
    closed as the route closes it: a busy month.
Then bench/statement_recount.py's check on every statement closed: lines, how many agree,
and how long the recount took.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zoneinfo
from datetime import date, datetime, timedelta
from pathlib import Path

from billing_month import (
    TZ,
    close_as_the_route_does,
    give_skus_dimensions,
    last_full_month,
    set_bench_tariffs,
)
from dashboard import fill_ledger
from processes import free_port, seed_demo_site
from statement_recount import check_statement, open_read_only

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import clock  # noqa: E402
from server.billing.closing import close_in_one_transaction  # noqa: E402
from server.commands import SYSTEM, run_command  # noqa: E402
from server.db import Database  # noqa: E402


def recount_all(db_path: Path, statements: list[dict]) -> bool:
    conn = open_read_only(str(db_path))
    all_ok, lines, agreed = True, 0, 0
    t0 = time.perf_counter()
    try:
        for summary in statements:
            s0 = time.perf_counter()
            ok, report = check_statement(conn, summary["id"], TZ)
            counted = [r for r in report if r.endswith(("✓", "✗")) and r[:5].strip()[:1].isdigit()]
            lines += len(counted)
            agreed += sum(r.endswith("✓") for r in counted)
            all_ok &= ok
            print(f"  {report[-1]}  ({summary['customer']}, {time.perf_counter() - s0:.2f} s)")
            if not ok:
                print("\n".join(f"    {r}" for r in report if "✗" in r))
    finally:
        conn.close()
    print(
        f"  recount: {len(statements)} statements, {lines} lines, {agreed} agree, "
        f"{'ALL AGREE' if all_ok else 'DIFFERENCES'}, {time.perf_counter() - t0:.2f} s"
    )
    return all_ok


def demo_month(workdir: Path) -> bool:
    db_path, _config = seed_demo_site(workdir, free_port())
    today = clock.today(TZ)
    month = today.strftime("%Y-%m")
    first_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    when = datetime.combine(first_next, datetime.min.time(), zoneinfo.ZoneInfo(TZ)) + timedelta(
        hours=8
    )
    db = Database(str(db_path))
    db.migrate()
    try:
        with clock.use(clock.ManualClock(when)):
            closed = run_command(
                db,
                SYSTEM,
                "billing.close_period",
                "recount-demo-close",
                [month],
                lambda conn, ctx: close_in_one_transaction(conn, ctx, TZ, month),
            ).value
    finally:
        db.close()
    print(f"\nthe demo, {month} closed as of {when.isoformat()}:")
    return recount_all(db_path, closed["statements"])


def busy_month(workdir: Path, movements: int) -> bool:
    db_path, _config = seed_demo_site(workdir, free_port())
    print(f"\nfilling the ledger: {movements:,} movements over a year ...", flush=True)
    fill_ledger(db_path, movements)
    give_skus_dimensions(db_path)
    db = Database(str(db_path))
    db.migrate()
    try:
        set_bench_tariffs(db)
        month = last_full_month()
        t0 = time.perf_counter()
        closed = close_as_the_route_does(db, month)
        print(f"  {month} closed in {time.perf_counter() - t0:.2f} s")
    finally:
        db.close()
    print(f"the filled demo, {month}:")
    return recount_all(db_path, closed["statements"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="keep the two sites' folders here")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bf-recount-") as tmp:
        for name, run in (
            ("demo", demo_month),
            ("busy", lambda w: busy_month(w, args.movements)),
        ):
            workdir = Path(tmp) / name
            workdir.mkdir()
            ok &= run(workdir)
            if args.keep:
                shutil.copytree(workdir, args.keep / name, dirs_exist_ok=True)
    print(f"\n{date.today()}: {'every statement agrees' if ok else 'DIFFERENCES FOUND'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
