"""Counts interleaved with receipts, moves, picks and unrecorded losses (hypothesis).

The model keeps the physical truth: what really lies on each location. Receipts, moves
and picks change it when the ledger accepts them; a loss (breakage, theft) changes it
without the ledger knowing. Counters count the truth. After every step:
- balances equal the sum of movements, are never negative, one customer per location;
- nothing but a count's own corrections touched a location while it was frozen;
and a movement on a frozen location is refused with LOCATION_FROZEN, and once every
difference of a count is approved with nothing moved since, the ledger equals the truth
at that location (or the approval was refused with STOCK_MOVED_SINCE_COUNT because
something did move).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.commands import Actor, run_command
from server.config import CountSettings
from server.counts import service as counts
from server.counts.schemas import CountLineIn, CountStart, Decision
from server.db import Database
from server.errors import DomainError
from server.ledger.schemas import MovementIn
from server.ledger.service import (
    SEGREGATED_TYPES,
    balances_from_movements,
    post_movement,
    stored_balances,
)

CLERK = Actor(kind="user", code="sup01", roles=frozenset({"supervisor"}))
COUNTER = Actor(kind="user", code="count01", roles=frozenset({"counter"}))
SKUS = {1: 1, 2: 1, 3: 2}  # sku -> customer
LOCATIONS = {1: "dock", 2: "storage", 3: "storage", 4: "storage", 5: "tote"}
STORAGE = [2, 3, 4]
LOTS = ("L1", "L2")  # never "": a counter names the lot of every lot it counts
COUNT_SETTINGS = CountSettings(recount_threshold_units=3, recount_threshold_percent=50)

skus = st.sampled_from(sorted(SKUS))
lots = st.sampled_from(LOTS)
quantities = st.integers(min_value=1, max_value=12)
storage = st.sampled_from(STORAGE)


class CountMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.db = Database(self.folder / "counts.db")
        self.db.migrate()
        self.db._write(self._seed)
        self.keys = itertools.count()
        self.truth: Counter[tuple[int, int, str]] = Counter()  # (loc, sku, lot) -> units
        self.version: Counter[int] = Counter()  # changes per location (ledger or physical)
        self.submitted_at_version: dict[int, tuple[int, int]] = {}  # task -> (loc, version)

    @staticmethod
    def _seed(conn: Any) -> None:
        for c in (1, 2):
            conn.execute("INSERT INTO customers (id, code, name) VALUES (?, ?, 'c')", (c, f"C{c}"))
        for s, c in SKUS.items():
            conn.execute(
                "INSERT INTO skus (id, customer_id, code, name) VALUES (?, ?, ?, 's')",
                (s, c, f"S{s}"),
            )
        for loc, kind in LOCATIONS.items():
            conn.execute(
                "INSERT INTO locations (id, code, zone, type) VALUES (?, ?, 'Z', ?)",
                (loc, f"L{loc}", kind),
            )

    def teardown(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, rules: Any, actor: Actor = CLERK) -> Any:
        return run_command(self.db, actor, "step", f"k{next(self.keys)}", None, rules).value

    def read(self, sql: str, *args: Any) -> list[Any]:
        return self.db.read(lambda c: c.execute(sql, args).fetchall())

    def frozen(self, loc: int) -> bool:
        return bool(
            self.read(
                "SELECT 1 FROM count_tasks WHERE location_id = ? AND status = 'counting'", loc
            )
        )

    def ledger_at(self, loc: int) -> Counter[tuple[int, int, str]]:
        return Counter(
            {
                (loc, r[0], r[1]): r[2]
                for r in self.read(
                    "SELECT sku_id, lot, quantity FROM balances WHERE location_id = ?", loc
                )
            }
        )

    def truth_at(self, loc: int) -> Counter[tuple[int, int, str]]:
        return Counter({k: q for k, q in self.truth.items() if k[0] == loc and q > 0})

    def move(
        self, kind: str, sku: int, lot: str, qty: int, src: int | None, dst: int | None
    ) -> None:
        m = MovementIn(
            kind=kind,  # type: ignore[arg-type]
            customer_id=SKUS[sku],
            sku_id=sku,
            quantity=qty,
            lot=lot,
            from_location_id=src,
            to_location_id=dst,
            reason="x" if kind in ("adjust", "count") else "",
        )
        if src is not None and self.truth[(src, sku, lot)] < qty:
            return  # nobody moves units that are not really there (a picker reports a short)
        touched_frozen = any(loc is not None and self.frozen(loc) for loc in (src, dst))
        before = self.db.read(stored_balances)
        try:
            self.run(lambda c, x: post_movement(c, x, m))
        except DomainError as err:
            assert self.db.read(stored_balances) == before
            if touched_frozen:
                assert err.code == "LOCATION_FROZEN", err.code
            return
        assert not touched_frozen, f"a {kind} touched a frozen location"
        for loc, sign in ((src, -1), (dst, 1)):
            if loc is not None:
                self.truth[(loc, sku, lot)] += sign * qty
                self.version[loc] += 1

    # -- the floor ------------------------------------------------------------------------

    @rule(sku=skus, lot=lots, qty=quantities, dst=storage)
    def receive(self, sku: int, lot: str, qty: int, dst: int) -> None:
        self.move("receive", sku, lot, qty, None, dst)

    @rule(sku=skus, lot=lots, qty=quantities, src=storage, dst=storage)
    def relocate(self, sku: int, lot: str, qty: int, src: int, dst: int) -> None:
        if src != dst:
            self.move("move", sku, lot, qty, src, dst)

    @rule(sku=skus, lot=lots, qty=quantities, src=storage)
    def pick(self, sku: int, lot: str, qty: int, src: int) -> None:
        self.move("pick", sku, lot, qty, src, 5)

    @rule(sku=skus, lot=lots, qty=quantities, loc=storage)
    def lose(self, sku: int, lot: str, qty: int, loc: int) -> None:
        """Units break or vanish: the truth changes, the ledger does not know."""
        gone = min(qty, self.truth[(loc, sku, lot)])
        if gone:
            self.truth[(loc, sku, lot)] -= gone
            self.version[loc] += 1

    # -- counting -------------------------------------------------------------------------

    @rule(loc=storage)
    def start_count(self, loc: int) -> None:
        try:
            self.run(lambda c, x: counts.start_count(c, x, CountStart(location=f"L{loc}")), COUNTER)
        except DomainError as err:
            assert err.code == "COUNT_IN_PROGRESS", err.code
            return
        assert self.frozen(loc)

    @precondition(
        lambda self: bool(self.read("SELECT 1 FROM count_tasks WHERE status = 'counting'"))
    )
    @rule()
    def submit_count(self) -> None:
        [(task_id, loc)] = self.read(
            "SELECT id, location_id FROM count_tasks WHERE status = 'counting'"
        )
        for (_, sku, lot), qty in self.truth_at(loc).items():
            line = CountLineIn(item=f"S{sku}", lot=lot, quantity=qty)
            self.run(lambda c, x, ln=line: counts.record_line(c, x, "~", task_id, ln), COUNTER)
        answer = self.run(lambda c, x: counts.submit_count(c, x, COUNT_SETTINGS, task_id), COUNTER)
        assert not self.frozen(loc)
        assert set(answer) == {"task", "location", "outcome", "recount_task"}  # blind
        self.submitted_at_version[task_id] = (loc, self.version[loc])
        if answer["outcome"] == "no_difference":
            assert self.ledger_at(loc) == self.truth_at(loc)

    @precondition(
        lambda self: bool(self.read("SELECT 1 FROM count_proposals WHERE status = 'pending'"))
    )
    @rule(data=st.data())
    def decide(self, data: st.DataObject) -> None:
        pending = self.read("SELECT id, task_id FROM count_proposals WHERE status = 'pending'")
        proposal_id, task_id = data.draw(st.sampled_from(pending))
        loc, at_submit = self.submitted_at_version[task_id]
        before = self.db.read(stored_balances)
        try:
            self.run(
                lambda c, x: counts.approve_proposal(
                    c, x, proposal_id, Decision(reason="count_gain")
                )
            )
        except DomainError as err:
            assert self.db.read(stored_balances) == before
            if err.code == "STOCK_MOVED_SINCE_COUNT":
                assert self.version[loc] != at_submit, "refused though nothing moved"
            return
        undecided = self.read(
            "SELECT 1 FROM count_proposals WHERE task_id = ? AND status != 'approved'", task_id
        )
        if not undecided and self.version[loc] == at_submit:
            # the count's every difference is in, nothing happened since: ledger = truth
            assert self.ledger_at(loc) == self.truth_at(loc)

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def balances_equal_movements(self) -> None:
        stored = self.db.read(stored_balances)
        assert stored == self.db.read(balances_from_movements)
        assert all(q > 0 for q in stored.values())

    @invariant()
    def one_customer_per_storage_location(self) -> None:
        owners: dict[int, set[int]] = {}
        for loc, cust, *_ in self.db.read(stored_balances):
            owners.setdefault(loc, set()).add(cust)
        for loc, custs in owners.items():
            if LOCATIONS[loc] in SEGREGATED_TYPES:
                assert len(custs) == 1

    @invariant()
    def nothing_moved_on_a_frozen_location(self) -> None:
        touched = self.read(
            "SELECT t.id FROM count_tasks t JOIN movements m ON m.id > t.snapshot_movement_id "
            "AND (m.from_location_id = t.location_id OR m.to_location_id = t.location_id) "
            "WHERE t.status = 'counting'"
        )
        assert touched == []

    @invariant()
    def ledger_never_below_the_units_that_were_really_there_minus_losses(self) -> None:
        # Every ledger change but a count's is mirrored in the truth: the totals differ
        # only by unrecorded losses and approved corrections.
        corrections = self.read(
            "SELECT COALESCE(SUM(CASE WHEN to_location_id IS NOT NULL THEN quantity "
            "ELSE -quantity END), 0) FROM movements WHERE kind = 'count'"
        )[0][0]
        ledger_total = sum(self.db.read(stored_balances).values())
        truth_total = sum(q for q in self.truth.values())
        assert ledger_total - corrections >= truth_total


CountMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCountsKeepTheLedgerTrue = CountMachine.TestCase
