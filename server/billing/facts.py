"""Charges derived from the floor's facts: a pure function of the database's facts and a
period, with no counters kept as things happen.

Every fact has a stable id (a movement, a print job, a task, a closed plan, an SSCC's first
scan, a recorded service), and a fact belongs to the one site day it happened on, so a
replayed command (which writes nothing new), a restart or a re-import changes no line,
and no fact is counted in two periods.

Storage is a snapshot per site day: the stock each (customer, location, SKU) held at the
day's start, walked forward through the day's movements; a location that held a
customer's goods at any moment of the day counts for that day (part of a day is a day),
and pallets and volume count at the day's peak. The stock at the period's start is the
ledger's balances now less the movements since (balances always equal the sum of the
movements, and the recent movements are the few).
"""

from __future__ import annotations

import sqlite3
import zoneinfo
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from server import clock
from server.billing.charges import BILLED_LOCATION_TYPES

Source = tuple[str, str]  # (kind, ref): ("movement", "123"), ("order_task", "7"), ("plan", ...)


@dataclass
class Fact:
    """Units of one charge on one site day, and the facts that make them."""

    quantity: int = 0
    sources: set[Source] = field(default_factory=set)


# customer_id -> (day, charge_code) -> Fact
Facts = dict[int, dict[tuple[str, str], Fact]]


@dataclass(frozen=True)
class Period:
    """A calendar month of the site, YYYY-MM, with its days' starts as stored times."""

    name: str
    days: tuple[date, ...]
    starts: tuple[str, ...]  # UTC stamp of each day's start, then the day after the last
    timezone: str

    @property
    def start(self) -> str:
        return self.starts[0]

    @property
    def end(self) -> str:
        return self.starts[-1]

    def day_of(self, at: str) -> str:
        """The site day of a stored time inside the period."""
        return self.days[bisect_right(self.starts, at) - 1].isoformat()


def month_period(name: str, timezone: str) -> Period:
    year, month = int(name[:4]), int(name[5:7])
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    days = tuple(first + timedelta(days=n) for n in range((after - first).days))
    zone = zoneinfo.ZoneInfo(timezone)
    starts = tuple(clock.stamp(datetime.combine(d, time(), tzinfo=zone)) for d in (*days, after))
    return Period(name, days, starts, timezone)


def derive_facts(conn: sqlite3.Connection, period: Period, customers: Iterable[int]) -> Facts:
    """Every charge fact of the period for the given customers."""
    wanted = sorted(set(customers))
    facts: Facts = {c: defaultdict(Fact) for c in wanted}
    if wanted:
        _ledger_facts(conn, period, facts)
        _document_facts(conn, period, facts)
    return {c: dict(f) for c, f in facts.items()}


def _add(facts: Facts, customer: int, day: str, code: str, qty: int, src: Source) -> None:
    per_customer = facts.get(customer)
    if per_customer is None:
        return
    fact = per_customer[(day, code)]
    fact.quantity += qty
    fact.sources.add(src)


DOCUMENT_FACTS = (
    # (charge code, source kind, SQL giving customer, at, ref over the period's bounds).
    # An order task is work done only when its goods were moved ('moved'): one closed as no
    # longer needed (customs released the order first, it was cancelled) is not. A recount
    # is the floor's second look at a count beyond its threshold: the owner pays one count.
    # A count line of nothing (expected 0, counted 0: goods scanned at the wrong place and
    # not there) held none of that customer's goods.
    (
        "inbound.plan",
        "plan",
        "SELECT customer_id, closed_at, plan_no FROM delivery_plans "
        "WHERE status = 'closed' AND closed_at >= ? AND closed_at < ?",
    ),
    (
        "inbound.carton",
        "sscc",
        "SELECT p.customer_id, MIN(s.at) AS first_at, s.sscc FROM receipt_scans s "
        "JOIN delivery_plans p ON p.id = s.plan_id WHERE s.sscc != '' "
        "GROUP BY s.plan_id, s.sscc HAVING first_at >= ? AND first_at < ?",
    ),
    (
        "outbound.face_sheet",
        "print_job",
        "SELECT o.customer_id, j.created_at, j.id FROM print_jobs j "
        "JOIN parcels p ON p.id = j.parcel_id JOIN orders o ON o.id = p.order_id "
        "WHERE j.kind = 'face_sheet' AND j.copy_of IS NULL "
        "AND j.created_at >= ? AND j.created_at < ?",
    ),
    (
        "exception.reprint",
        "print_job",
        "SELECT o.customer_id, j.created_at, j.id FROM print_jobs j "
        "JOIN parcels p ON p.id = j.parcel_id JOIN orders o ON o.id = p.order_id "
        "WHERE j.kind = 'face_sheet' AND j.copy_of IS NOT NULL "
        "AND j.created_at >= ? AND j.created_at < ?",
    ),
    (
        "exception.return_to_stock",
        "order_task",
        "SELECT o.customer_id, t.done_at, t.id FROM order_tasks t "
        "JOIN orders o ON o.id = t.order_id WHERE t.kind = 'return_to_stock' "
        "AND t.status = 'done' AND t.outcome = 'moved' AND t.done_at >= ? AND t.done_at < ?",
    ),
    (
        "exception.inspection",
        "order_task",
        "SELECT o.customer_id, t.done_at, t.id FROM order_tasks t "
        "JOIN orders o ON o.id = t.order_id WHERE t.kind = 'to_inspection' "
        "AND t.status = 'done' AND t.outcome = 'moved' AND t.done_at >= ? AND t.done_at < ?",
    ),
    (
        "exception.cycle_count",
        "count_task",
        "SELECT DISTINCT l.customer_id, t.submitted_at, t.id FROM count_tasks t "
        "JOIN count_lines l ON l.task_id = t.id AND (l.expected > 0 OR l.counted > 0) "
        "WHERE t.status = 'submitted' AND t.origin != 'recount' "
        "AND t.submitted_at >= ? AND t.submitted_at < ?",
    ),
)


def _document_facts(conn: sqlite3.Connection, period: Period, facts: Facts) -> None:
    """One unit per document, print job or floor task; recorded services by quantity."""
    bounds = (period.start, period.end)
    for code, kind, sql in DOCUMENT_FACTS:
        for customer, at, ref in conn.execute(sql, bounds):
            _add(facts, customer, period.day_of(at), code, 1, (kind, str(ref)))
    for sid, customer, code, qty, at in conn.execute(
        "SELECT id, customer_id, charge_code, quantity, done_at FROM billing_services "
        "WHERE done_at >= ? AND done_at < ?",
        bounds,
    ):
        _add(facts, customer, period.day_of(at), code, qty, ("service", str(sid)))


@dataclass(frozen=True)
class _Sku:
    volume_mm3: int
    units_per_pallet: int


ACTIVITY_CODES = {"receive": "inbound.unit", "putaway": "putaway.unit", "pack": "outbound.unit"}


def _ledger_facts(conn: sqlite3.Connection, period: Period, facts: Facts) -> None:
    """One walk over the customers' movements since the period's start: the activity
    charges by movement kind, and the storage snapshot of each day."""
    customers = list(facts)
    marks = ",".join("?" * len(customers))
    types = ",".join(f"'{t}'" for t in BILLED_LOCATION_TYPES)
    locations = {
        r[0]: (r[1], r[2])
        for r in conn.execute(f"SELECT id, code, type FROM locations WHERE type IN ({types})")
    }
    skus = {
        r[0]: _Sku(r[1] or 0, r[2] or 0)
        for r in conn.execute(
            "SELECT id, length_mm * width_mm * height_mm, units_per_pallet FROM skus"
        )
    }
    held: dict[tuple[int, int, int], int] = defaultdict(int)  # (customer, location, sku)
    for loc, customer, sku, qty in conn.execute(
        f"SELECT location_id, customer_id, sku_id, SUM(quantity) FROM balances "
        f"WHERE customer_id IN ({marks}) GROUP BY location_id, customer_id, sku_id",
        customers,
    ):
        if loc in locations:
            held[(customer, loc, sku)] += qty
    moves = conn.execute(
        f"SELECT id, at, kind, customer_id, sku_id, quantity, from_location_id, "
        f"to_location_id, document, reason FROM movements "
        f"WHERE customer_id IN ({marks}) AND at >= ? ORDER BY at, id",
        (*customers, period.start),
    ).fetchall()
    # Back from now to the period's start: undo every movement since.
    for _id, _at, _kind, customer, sku, qty, src, dst, _doc, _reason in moves:
        if src in locations:
            held[(customer, src, sku)] += qty
        if dst in locations:
            held[(customer, dst, sku)] -= qty
    moves = [m for m in moves if m[1] < period.end]
    packed_before = _packed_before(conn, period, marks, customers)
    cursor = 0
    for day, day_end in zip(period.days, period.starts[1:], strict=True):
        today = day.isoformat()
        peak = {k: q for k, q in held.items() if q > 0}
        while cursor < len(moves) and moves[cursor][1] < day_end:
            mid, _at, kind, customer, sku, qty, src, dst, document, reason = moves[cursor]
            cursor += 1
            code = ACTIVITY_CODES.get(kind)
            # A supervisor's correction (a receive with a reason: the site's opening
            # balance, stock found) is no work the owner pays for; its stock is stored.
            if code is not None and not reason:
                _add(facts, customer, today, code, qty, ("movement", str(mid)))
                if kind == "pack":
                    _packed(facts, packed_before, today, mid, customer, document, sku)
            if src in locations:
                held[(customer, src, sku)] -= qty
            if dst in locations:
                key = (customer, dst, sku)
                held[key] += qty
                if held[key] > peak.get(key, 0):
                    peak[key] = held[key]
        _storage_day(facts, today, peak, locations, skus)


def _packed_before(
    conn: sqlite3.Connection, period: Period, marks: str, customers: list[int]
) -> set[Any]:
    """(customer, order, SKU) packed before the period of the orders packed in it."""
    lines = set(
        (customer, document, sku)
        for customer, document, sku in conn.execute(
            # The period's orders first, then each one's earlier pack movements by the
            # document index: not a walk over every pack movement before the period.
            f"SELECT DISTINCT e.customer_id, e.document, e.sku_id FROM ("
            f"  SELECT DISTINCT document FROM movements "
            f"  WHERE kind = 'pack' AND at >= ? AND at < ? AND document != '') AS p "
            f"CROSS JOIN movements e ON e.document = p.document "
            f"WHERE e.document != '' AND e.kind = 'pack' AND e.at < ? "
            f"AND e.customer_id IN ({marks})",
            (period.start, period.end, period.start, *customers),
        )
    )
    return lines | {(customer, document) for customer, document, _sku in lines}


def _packed(
    facts: Facts,
    seen: set[Any],
    day: str,
    movement_id: int,
    customer: int,
    document: str,
    sku: int,
) -> None:
    """Orders and lines on the day of their first pack movement (an order packed over two
    days or two periods is one order). `seen` holds what was packed before."""
    line = (customer, document, sku)
    if line not in seen:
        seen.add(line)
        _add(facts, customer, day, "outbound.line", 1, ("movement", str(movement_id)))
        order = (customer, document)
        if order not in seen:
            seen.add(order)
            _add(facts, customer, day, "outbound.order", 1, ("order", document))


def _storage_day(
    facts: Facts,
    day: str,
    peak: dict[tuple[int, int, int], int],
    locations: dict[int, tuple[str, str]],
    skus: dict[int, _Sku],
) -> None:
    used: set[tuple[int, int]] = set()
    for (customer, loc, sku), qty in peak.items():
        code, type_ = locations[loc]
        src = ("location", code)
        if (customer, loc) not in used:
            used.add((customer, loc))
            _add(facts, customer, day, f"storage.location_day.{type_}", 1, src)
        info = skus.get(sku)
        if info and info.units_per_pallet:
            pallets = -(-qty // info.units_per_pallet)
            _add(facts, customer, day, "storage.pallet_day", pallets, src)
        if info and info.volume_mm3:
            _add(facts, customer, day, "storage.m3_day", qty * info.volume_mm3, src)
