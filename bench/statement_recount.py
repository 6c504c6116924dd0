"""Recount a stored statement from the ledger, line by line, independently of the billing code.

    python bench/statement_recount.py DB_FILE STATEMENT_ID [--tz Asia/Shanghai] [--sources N]

A second count for the accountant: it reads the stored statement (billing_statements and
billing_statement_lines) and recounts every line's quantity straight from the raw tables,
with its own SQL, following docs/billing.md and nothing else. It imports nothing from
server/: a check that reused server/billing would prove nothing.

  inbound.unit, putaway.unit, outbound.unit  receive / putaway / pack movements, units
  outbound.order, outbound.line              an order (document) / an order's SKU on the
                                             day of its first pack movement, ever
  outbound.face_sheet, exception.reprint     face sheet print jobs, originals / copies
  inbound.plan                               delivery plans whose receipt closed
  inbound.carton                             each SSCC's first receiving scan of a plan
  exception.return_to_stock, .inspection     order tasks done by moving the goods
  exception.cycle_count                      count tasks submitted with a line of the
                                             customer's goods (expected or counted),
                                             not a recount
  service.*                                  recorded services, by quantity
  storage.*                                  every movement of the customer summed up to
                                             each day's start (not the balances), walked
                                             through the day: a location-day per billed
                                             location holding goods at any moment;
                                             ceil(peak / units per pallet) and
                                             peak × l×w×h mm³ per location and SKU, in
                                             those same four location types (the doc
                                             names them for location-days only)

A day is the site's calendar day (--tz; the database keeps no time zone, so the default is
the demo site's). Each amount is recomputed as quantity × rate ÷ scale, rounded half up
once per line, with the rate of the tariff version in force that day (the customer's own,
else the site default's); then the charges, the minimum top-up (the version in force on
the period's last day), the credits applied to the period and the total.

Prints one row per line (stored and recounted quantity, rate, stored and recomputed
amount, ✓ or ✗), a row per charge and day the statement misses, the totals; with
--sources N, the facts each of the first N lines was recounted from, against the line's
stored sources. Exits 1 on any ✗ or source difference. The database is opened read-only.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"
BILLED_TYPES = ("storage", "pick_face", "quarantine", "inspection")  # docs/billing.md table
SCALES = {"storage.m3_day": 10**9}  # m³-days are counted in mm³-days
MOVEMENT_CODES = {"receive": "inbound.unit", "putaway": "putaway.unit", "pack": "outbound.unit"}
TASK_CODES = {
    "return_to_stock": "exception.return_to_stock",
    "to_inspection": "exception.inspection",
}
TOPUP, CREDIT = "minimum.topup", "credit.disputed"


@dataclass
class Count:
    quantity: int = 0
    sources: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Month:
    """A month of the site's calendar: its days, and a generous UTC window to select rows by
    (the exact day of each row is decided by converting its time, not by comparing text)."""

    name: str
    zone: ZoneInfo
    days: list[date]

    @classmethod
    def of(cls, name: str, tz: str) -> Month:
        first = date(int(name[:4]), int(name[5:7]), 1)
        days = []
        d = first
        while d.month == first.month:
            days.append(d)
            d += timedelta(days=1)
        return cls(name, ZoneInfo(tz), days)

    def day_of(self, stored_time: str) -> date:
        return datetime.fromisoformat(stored_time).astimezone(self.zone).date()

    def window(self) -> tuple[str, str]:
        """UTC text bounds a day wider than the month on each side."""
        start = datetime.combine(self.days[0] - timedelta(days=1), datetime.min.time(), UTC)
        end = datetime.combine(self.days[-1] + timedelta(days=2), datetime.min.time(), UTC)
        return start.isoformat(timespec="milliseconds"), end.isoformat(timespec="milliseconds")

    def holds(self, day: date) -> bool:
        return self.days[0] <= day <= self.days[-1]


Counts = dict[tuple[str, str], Count]  # (day, charge code) -> count


def open_read_only(path: str) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(str(Path(path).resolve())) + "?mode=ro"
    return sqlite3.connect(uri, uri=True)


def add(counts: Counts, day: date, code: str, qty: int, kind: str, ref: object) -> None:
    c = counts.setdefault((day.isoformat(), code), Count())
    c.quantity += qty
    c.sources.add((kind, str(ref)))


# -- the recount, one plain query per kind of fact ----------------------------------------


def count_movements(conn: sqlite3.Connection, month: Month, customer: int, counts: Counts) -> None:
    lo, hi = month.window()
    for mid, at, kind, qty in conn.execute(
        "SELECT id, at, kind, quantity FROM movements WHERE customer_id = ? "
        "AND kind IN ('receive', 'putaway', 'pack') AND reason = '' AND at >= ? AND at < ?",
        (customer, lo, hi),
    ):
        day = month.day_of(at)
        if month.holds(day):
            add(counts, day, MOVEMENT_CODES[kind], qty, "movement", mid)


def count_orders_and_lines(
    conn: sqlite3.Connection, month: Month, customer: int, counts: Counts
) -> None:
    """An order counts on the day of its first pack movement ever, a line (order, SKU) on the
    day of its own first one: so only the documents packed in the window are looked at."""
    lo, hi = month.window()
    first_order: set[str] = set()
    first_line: set[tuple[str, int]] = set()
    for mid, at, document, sku in conn.execute(
        "SELECT id, at, document, sku_id FROM movements WHERE customer_id = ? AND kind = 'pack' "
        "AND document IN (SELECT document FROM movements WHERE customer_id = ? "
        "AND kind = 'pack' AND document != '' AND at >= ? AND at < ?) ORDER BY at, id",
        (customer, customer, lo, hi),
    ):
        day = month.day_of(at)
        if (document, sku) not in first_line:
            first_line.add((document, sku))
            if month.holds(day):
                add(counts, day, "outbound.line", 1, "movement", mid)
        if document not in first_order:
            first_order.add(document)
            if month.holds(day):
                add(counts, day, "outbound.order", 1, "order", document)


def count_documents(conn: sqlite3.Connection, month: Month, customer: int, counts: Counts) -> None:
    lo, hi = month.window()
    queries = [
        (
            "SELECT j.id, j.created_at, CASE WHEN j.copy_of IS NULL THEN 'outbound.face_sheet' "
            "ELSE 'exception.reprint' END, 'print_job' FROM print_jobs j "
            "JOIN parcels p ON p.id = j.parcel_id JOIN orders o ON o.id = p.order_id "
            "WHERE o.customer_id = :c AND j.kind = 'face_sheet' "
            "AND j.created_at >= :lo AND j.created_at < :hi"
        ),
        (
            "SELECT plan_no, closed_at, 'inbound.plan', 'plan' FROM delivery_plans "
            "WHERE customer_id = :c AND status = 'closed' AND closed_at >= :lo AND closed_at < :hi"
        ),
        (
            "SELECT s.sscc, MIN(s.at), 'inbound.carton', 'sscc' FROM receipt_scans s "
            "JOIN delivery_plans p ON p.id = s.plan_id "
            "WHERE p.customer_id = :c AND s.sscc != '' GROUP BY s.plan_id, s.sscc"
        ),
        (
            "SELECT t.id, t.done_at, t.kind, 'order_task' FROM order_tasks t "
            "JOIN orders o ON o.id = t.order_id WHERE o.customer_id = :c AND t.status = 'done' "
            "AND t.outcome = 'moved' AND t.done_at >= :lo AND t.done_at < :hi"
        ),
        (
            "SELECT t.id, t.submitted_at, 'exception.cycle_count', 'count_task' "
            "FROM count_tasks t WHERE t.status = 'submitted' AND t.origin != 'recount' "
            "AND t.submitted_at >= :lo AND t.submitted_at < :hi AND EXISTS ("
            "  SELECT 1 FROM count_lines l WHERE l.task_id = t.id AND l.customer_id = :c"
            "  AND (l.expected > 0 OR l.counted > 0))"
        ),
        (
            "SELECT id, done_at, charge_code, 'service', quantity FROM billing_services "
            "WHERE customer_id = :c AND done_at >= :lo AND done_at < :hi"
        ),
    ]
    for sql in queries:
        for ref, at, code, kind, *qty in conn.execute(sql, {"c": customer, "lo": lo, "hi": hi}):
            day = month.day_of(at)
            if month.holds(day):
                add(counts, day, TASK_CODES.get(code, code), qty[0] if qty else 1, kind, ref)


def count_storage(conn: sqlite3.Connection, month: Month, customer: int, counts: Counts) -> None:
    """The stock at a day's start is the sum of all the customer's movements before it (not
    the balances); then the day's movements in time order: a day's peak per (location, SKU)
    is its highest level at any moment of the day."""
    billed = {
        lid: (code, type_)
        for lid, code, type_ in conn.execute("SELECT id, code, type FROM locations")
        if type_ in BILLED_TYPES
    }
    sizes = {
        sid: (length * width * height if length and width and height else 0, per_pallet or 0)
        for sid, length, width, height, per_pallet in conn.execute(
            "SELECT id, length_mm, width_mm, height_mm, units_per_pallet FROM skus"
        )
    }
    held: dict[tuple[int, int], int] = defaultdict(int)  # (location, sku) -> units
    lo, hi = month.window()
    # Well before the month (a day before its first day in UTC): summed in SQL, in and out.
    for loc, sku, units in conn.execute(
        "SELECT loc, sku_id, SUM(q) FROM ("
        "  SELECT to_location_id AS loc, sku_id, quantity AS q FROM movements"
        "  WHERE customer_id = :c AND at < :lo AND to_location_id IS NOT NULL"
        "  UNION ALL SELECT from_location_id, sku_id, -quantity FROM movements"
        "  WHERE customer_id = :c AND at < :lo AND from_location_id IS NOT NULL"
        ") GROUP BY loc, sku_id",
        {"c": customer, "lo": lo},
    ):
        held[(loc, sku)] = units
    rows = conn.execute(
        "SELECT at, sku_id, quantity, from_location_id, to_location_id FROM movements "
        "WHERE customer_id = ? AND at >= ? AND at < ? ORDER BY at, id",
        (customer, lo, hi),
    )

    def next_row() -> tuple[date, int, int, int | None, int | None] | None:
        row = next(rows, None)
        return None if row is None else (month.day_of(row[0]), *row[1:])

    pending = next_row()
    while pending is not None and pending[0] < month.days[0]:  # the stock before the month
        _day, sku, qty, src, dst = pending
        if src is not None:
            held[(src, sku)] -= qty
        if dst is not None:
            held[(dst, sku)] += qty
        pending = next_row()
    for today in month.days:
        peak = {key: units for key, units in held.items() if units > 0}
        while pending is not None and pending[0] == today:
            _day, sku, qty, src, dst = pending
            if src is not None:
                held[(src, sku)] -= qty
            if dst is not None:
                held[(dst, sku)] += qty
                peak[(dst, sku)] = max(peak.get((dst, sku), 0), held[(dst, sku)])
            pending = next_row()
        used: set[int] = set()
        for (loc, sku), units in sorted(peak.items()):
            if loc not in billed or units <= 0:
                continue
            code, type_ = billed[loc]
            if loc not in used:
                used.add(loc)
                add(counts, today, f"storage.location_day.{type_}", 1, "location", code)
            volume, per_pallet = sizes.get(sku, (0, 0))
            if per_pallet:
                add(counts, today, "storage.pallet_day", -(-units // per_pallet), "location", code)
            if volume:
                add(counts, today, "storage.m3_day", units * volume, "location", code)


def recount(conn: sqlite3.Connection, month: Month, customer: int) -> Counts:
    counts: Counts = {}
    for step in (count_movements, count_orders_and_lines, count_documents, count_storage):
        step(conn, month, customer, counts)
    return counts


def balances_equal_movements(conn: sqlite3.Connection, customer: int) -> bool:
    """The doc's premise for the storage snapshot: balances are the sum of the movements."""
    summed = dict(
        ((loc, sku), qty)
        for loc, sku, qty in conn.execute(
            "SELECT loc, sku_id, SUM(q) FROM ("
            "  SELECT to_location_id AS loc, sku_id, quantity AS q FROM movements "
            "  WHERE customer_id = :c AND to_location_id IS NOT NULL"
            "  UNION ALL SELECT from_location_id, sku_id, -quantity FROM movements "
            "  WHERE customer_id = :c AND from_location_id IS NOT NULL"
            ") GROUP BY loc, sku_id HAVING SUM(q) != 0",
            {"c": customer},
        )
    )
    balances = dict(
        ((loc, sku), qty)
        for loc, sku, qty in conn.execute(
            "SELECT location_id, sku_id, SUM(quantity) FROM balances WHERE customer_id = ? "
            "GROUP BY location_id, sku_id",
            (customer,),
        )
    )
    return summed == balances


# -- pricing ------------------------------------------------------------------------------


class Tariffs:
    """The customer's own versions, else the site default's; the latest started by a day."""

    def __init__(self, conn: sqlite3.Connection, customer: int) -> None:
        self.versions: dict[bool, list[tuple[str, int, int]]] = {True: [], False: []}
        for tid, owner, start, minimum in conn.execute(
            "SELECT id, customer_id, effective_from, minimum_fen FROM billing_tariffs "
            "WHERE customer_id = ? OR customer_id IS NULL ORDER BY effective_from",
            (customer,),
        ):
            self.versions[owner is not None].append((start, tid, minimum))
        self.rates: dict[int, dict[str, int]] = defaultdict(dict)
        for tid, code, rate in conn.execute(
            "SELECT tariff_id, charge_code, rate_fen FROM billing_tariff_rates"
        ):
            self.rates[tid][code] = rate

    def version(self, day: str) -> tuple[str, int, int] | None:
        for own in (True, False):
            started = [v for v in self.versions[own] if v[0] <= day]
            if started:
                return started[-1]
        return None

    def rate(self, day: str, code: str) -> int | None:
        v = self.version(day)
        return None if v is None else self.rates[v[1]].get(code)

    def minimum(self, day: str) -> int:
        v = self.version(day)
        return 0 if v is None else v[2]


def amount(quantity: int, rate: int, code: str) -> int:
    """quantity × rate ÷ scale, half up, once for the line."""
    exact = Decimal(quantity) * Decimal(rate) / Decimal(SCALES.get(code, 1))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- the statement and the report -----------------------------------------------------------


@dataclass
class Row:
    line_no: str
    code: str
    day: str
    stored_qty: str
    recount_qty: str
    rate: str
    stored_amount: str
    recount_amount: str
    ok: bool
    note: str = ""


def check_statement(
    conn: sqlite3.Connection, statement_id: int, tz: str, show_sources: int = 0
) -> tuple[bool, list[str]]:
    head = conn.execute(
        "SELECT s.period, s.customer_id, c.code, s.version, s.state, s.charges_fen, "
        "s.minimum_fen, s.credits_fen, s.total_fen FROM billing_statements s "
        "JOIN customers c ON c.id = s.customer_id WHERE s.id = ?",
        (statement_id,),
    ).fetchone()
    if head is None:
        return False, [f"statement {statement_id}: not found"]
    period, customer, customer_code, version, state, charges, minimum, credits, total = head
    month = Month.of(period, tz)
    last_day = month.days[-1].isoformat()
    stored = conn.execute(
        "SELECT id, line_no, day, charge_code, quantity, rate_fen, amount_fen "
        "FROM billing_statement_lines WHERE statement_id = ? ORDER BY line_no",
        (statement_id,),
    ).fetchall()
    counts = recount(conn, month, customer)
    tariffs = Tariffs(conn, customer)
    expected = {key: c for key, c in counts.items() if tariffs.rate(*key) is not None}

    rows: list[Row] = []
    seen: set[tuple[str, str]] = set()
    sum_charges = 0
    extra = []  # the top-up and credit lines, checked once the charges are summed
    for _lid, line_no, day, code, qty, rate, amt in stored:
        if code in (TOPUP, CREDIT):
            extra.append((line_no, day, code, qty, rate, amt))
            continue
        key = (day, code)
        twice = key in seen
        seen.add(key)
        found = None if twice else expected.get(key)
        recounted = found.quantity if found else 0
        tariff_rate = tariffs.rate(day, code)
        recomputed = amount(recounted, tariff_rate or 0, code)
        sum_charges += recomputed
        notes = []
        if twice:
            notes.append("twice on the statement")
        elif found is None:
            notes.append("no such fact" if key not in counts else "no rate in force")
        if tariff_rate != rate:
            notes.append(f"tariff rate {tariff_rate}")
        ok = recounted == qty and tariff_rate == rate and recomputed == amt
        rows.append(
            Row(
                str(line_no),
                code,
                day,
                str(qty),
                str(recounted),
                str(rate),
                str(amt),
                str(recomputed),
                ok,
                "; ".join(notes),
            )
        )
    for key in sorted(set(expected) - seen):
        day, code = key
        rate = tariffs.rate(day, code) or 0
        recomputed = amount(expected[key].quantity, rate, code)
        sum_charges += recomputed
        rows.append(
            Row(
                "-",
                code,
                day,
                "-",
                str(expected[key].quantity),
                str(rate),
                "-",
                str(recomputed),
                False,
                "not on the statement",
            )
        )

    topup = max(0, tariffs.minimum(last_day) - sum_charges)
    due = [
        amount_fen
        for (amount_fen,) in conn.execute(
            "SELECT amount_fen FROM billing_credits WHERE customer_id = ? AND apply_period = ? "
            "ORDER BY id",
            (customer, period),
        )
    ]
    expected_extra = ([(TOPUP, topup)] if topup else []) + [(CREDIT, -x) for x in due]
    rows.extend(extra_rows(extra, expected_extra, last_day))
    credit_sum = sum(due)
    recount_total = sum_charges + topup - credit_sum
    stored_line_sum = sum(r[6] for r in stored)
    totals = [
        ("charges", charges, sum_charges),
        ("minimum top-up", minimum, topup),
        ("credits", credits, credit_sum),
        ("total", total, recount_total),
        ("sum of the lines", stored_line_sum, recount_total),
    ]
    all_ok = all(r.ok for r in rows) and all(a == b for _n, a, b in totals)

    out = [
        f"statement {statement_id}: {customer_code} {period} version {version} ({state}), "
        f"days on the {tz} calendar",
        f"{'line':>5} {'code':<30} {'day':<10} {'stored qty':>14} {'recounted':>14} "
        f"{'rate':>6} {'stored fen':>11} {'recomputed':>11}",
    ]
    for r in rows:
        out.append(
            f"{r.line_no:>5} {r.code:<30} {r.day:<10} {r.stored_qty:>14} {r.recount_qty:>14} "
            f"{r.rate:>6} {r.stored_amount:>11} {r.recount_amount:>11} {'✓' if r.ok else '✗'}"
            + (f"  {r.note}" if r.note else "")
        )
    for name, stored_value, recounted_value in totals:
        mark = "✓" if stored_value == recounted_value else "✗"
        out.append(f"{name:>44}: stored {stored_value:>11}  recounted {recounted_value:>11} {mark}")
    if not balances_equal_movements(conn, customer):
        out.append(
            "note: the balances differ from the sum of the movements (docs/billing.md "
            "takes them equal); this recount sums the movements"
        )
    sources_ok = True
    if show_sources:
        listing = source_listing(conn, stored, counts, show_sources)
        out.extend(listing)
        sources_ok = not any("stored sources differ" in x for x in listing)
    all_ok = all_ok and sources_ok
    out.append(
        f"{'all lines agree' if all_ok else 'DIFFERENCES FOUND'}: "
        f"{sum(r.ok for r in rows)} of {len(rows)} lines ✓"
        + ("" if sources_ok else "; the stored sources of some lines differ")
    )
    return all_ok, out


def extra_rows(
    stored: list[tuple[int, str, str, int, int, int]],
    due: list[tuple[str, int]],
    last_day: str,
) -> list[Row]:
    """The stored top-up and credit lines, in order, against those due: each a line of
    quantity 1 on the period's last day whose rate is its amount."""
    rows = []
    for n in range(max(len(stored), len(due))):
        want = due[n] if n < len(due) else None
        if n >= len(stored):
            assert want is not None
            code, fen = want
            rows.append(
                Row(
                    "-",
                    code,
                    last_day,
                    "-",
                    "1",
                    str(fen),
                    "-",
                    str(fen),
                    False,
                    "not on the statement",
                )
            )
            continue
        line_no, day, code, qty, rate, amt = stored[n]
        recomputed = want[1] if want and want[0] == code else 0
        ok = want is not None and want[0] == code and amt == recomputed
        ok = ok and day == last_day and qty == 1 and rate == amt
        rows.append(
            Row(
                str(line_no),
                code,
                day,
                str(qty),
                "1" if want else "0",
                str(rate),
                str(amt),
                str(recomputed),
                ok,
                "" if ok else "not due as stored",
            )
        )
    return rows


def source_listing(
    conn: sqlite3.Connection, stored: list[tuple], counts: Counts, limit: int
) -> list[str]:
    """The facts each of the first lines was recounted from, against the stored sources."""
    out = []
    for lid, line_no, day, code, *_rest in stored[:limit]:
        found = counts.get((day, code), Count()).sources
        kept = set(
            conn.execute("SELECT kind, ref FROM billing_line_sources WHERE line_id = ?", (lid,))
        )
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, ref in sorted(
            found, key=lambda s: (s[0], int(s[1]) if s[1].isdigit() else 0, s[1])
        ):
            by_kind[kind].append(ref)
        listed = "; ".join(f"{kind}s {', '.join(refs)}" for kind, refs in by_kind.items())
        same = "stored sources agree"
        if kept != found:
            same = (
                f"stored sources differ: only stored {_some(kept - found)}; "
                f"only recounted {_some(found - kept)}"
            )
        out.append(f"line {line_no} ({code} {day}) = {listed or 'nothing'} [{same}]")
    return out


def _some(sources: set[tuple[str, str]], shown: int = 10) -> str:
    listed = ", ".join(f"{kind} {ref}" for kind, ref in sorted(sources)[:shown])
    more = len(sources) - shown
    return (listed or "none") + (f" and {more} more" if more > 0 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db_file")
    parser.add_argument("statement_id", type=int)
    parser.add_argument("--tz", default=DEFAULT_TZ, help="the site's IANA time zone")
    parser.add_argument(
        "--sources",
        type=int,
        default=0,
        metavar="N",
        help="list the facts counted for the first N lines",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    conn = open_read_only(args.db_file)
    try:
        ok, report = check_statement(conn, args.statement_id, args.tz, args.sources)
    finally:
        conn.close()
    print("\n".join(report))
    print(f"recounted in {time.perf_counter() - started:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
