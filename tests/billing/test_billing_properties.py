"""Properties of billing from the ledger, on random months of movements:

- storage location-days equal a plain replay of every movement from the start: a location
  counts on each day it held the customer's goods at any moment;
- recomputing a closed period from the ledger gives the stored statement, line for line,
  also from a restarted server (a new Database on the same file), and replaying every
  command changes nothing.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.billing import service
from server.billing.facts import month_period
from server.db import Database
from tests.billing.site import TZ, at, close, move, seed, set_tariff

DOCK, STORAGE = 1, (2, 3, 4, 5)
RATES = [
    {"charge_code": "storage.location_day.storage", "rate_fen": 50},
    {"charge_code": "storage.location_day.pick_face", "rate_fen": 70},
    {"charge_code": "storage.m3_day", "rate_fen": 9999},
    {"charge_code": "storage.pallet_day", "rate_fen": 300},
    {"charge_code": "inbound.unit", "rate_fen": 10},
    {"charge_code": "putaway.unit", "rate_fen": 5},
]

step = st.tuples(
    st.integers(0, 45),  # day offset from 2026-10-20 (before, in and after November)
    st.integers(7, 23),  # hour
    st.sampled_from(["receive", "putaway", "move"]),
    st.sampled_from([1, 2]),  # sku (and customer)
    st.integers(1, 60),
    st.sampled_from(STORAGE),
    st.sampled_from(STORAGE),
)


def _plan(steps: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The steps the ledger accepts, in time order: nothing below zero, one customer per
    location (bonded segregation)."""
    held: dict[tuple[int, int], int] = defaultdict(int)  # (location, sku)
    owner: dict[int, int] = {}
    done = []
    for offset, hour, kind, sku, qty, a, b in sorted(steps, key=lambda s: (s[0], s[1])):
        day = date(2026, 10, 20) + timedelta(days=offset)
        src, dst = {"receive": (None, DOCK), "putaway": (DOCK, a), "move": (a, b)}[kind]
        if src == dst or (src is not None and held[(src, sku)] < qty):
            continue
        if dst != DOCK and owner.get(dst, sku) != sku:
            continue
        if src is not None:
            held[(src, sku)] -= qty
            if src != DOCK and not any(held[(src, s)] for s in (1, 2)):
                owner.pop(src, None)
        held[(dst, sku)] += qty
        if dst != DOCK:
            owner[dst] = sku
        done.append((day.isoformat(), f"{hour:02d}:00", kind, sku, qty, src, dst))
    return done


def _oracle_location_days(plan: list[tuple[Any, ...]], customer: int) -> dict[str, int]:
    """Storage location-days of November by replaying every movement from the first."""
    days = {}
    for d in range(1, 31):
        day = f"2026-11-{d:02d}"
        held: dict[int, int] = defaultdict(int)
        for when, _h, _k, sku, qty, src, dst in plan:
            if sku == customer and when < day:
                if src is not None:
                    held[src] -= qty
                held[dst] += qty
        used = {loc for loc, q in held.items() if q > 0}
        used |= {m[6] for m in plan if m[3] == customer and m[0] == day}
        used = {loc for loc in used if loc in (2, 3, 4)}  # storage-type (5 is a pick face)
        if used:
            days[day] = len(used)
    return days


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_recomputing_a_closed_period_from_the_ledger_gives_its_statement(
    steps: list[tuple[Any, ...]],
) -> None:
    plan = _plan(steps)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(str(Path(folder) / "site.db"))
        db.migrate()
        try:
            seed(db)
            set_tariff(db, at("2026-01-01"), effective_from="2026-01-01", rates=RATES)
            for n, (day, hhmm, kind, sku, qty, src, dst) in enumerate(plan):
                move(db, at(day, hhmm), kind, sku, qty, src, dst, key=f"step-{n}")
            closed = close(db, at("2026-12-10"), "2026-11")
            for n, (day, hhmm, kind, sku, qty, src, dst) in enumerate(plan):  # replayed
                move(db, at(day, hhmm), kind, sku, qty, src, dst, key=f"step-{n}")
        finally:
            db.close()

        restarted = Database(str(Path(folder) / "site.db"))
        try:
            period = month_period("2026-11", TZ)
            recomputed = restarted.read(lambda c: service.compute_statements(c, period, [1, 2]))
            for summary in closed["statements"]:
                stored = restarted.read(
                    lambda c, i=summary["id"]: service.stored_statement(c, i, with_sources=True)
                )
                customer = 1 if stored.customer == "C1" else 2
                again = recomputed[customer]
                assert [msgspec.structs.replace(x, id=None) for x in stored.lines] == again.lines
                assert (stored.total_fen, stored.subtotals) == (again.total_fen, again.subtotals)
            for customer in (1, 2):
                lines = recomputed[customer].lines
                storage = {
                    x.day: x.quantity
                    for x in lines
                    if x.charge_code == "storage.location_day.storage"
                }
                assert storage == _oracle_location_days(plan, customer)
        finally:
            restarted.close()
