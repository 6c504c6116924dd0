"""Moves keep the ledger true under any sequence (hypothesis state machine, no HTTP):
receipts, moves of an item's lot, of a whole location, by a put-away worker or a
supervisor, between dock, staging, storage (one assigned to a customer), a pick face and
quarantine. A model of the rules says which moves must pass and which must be refused.

- every stored balance equals the sum of the movements, and the model;
- no balance is negative;
- a storage or pick-face location never holds two customers' goods, and a location
  assigned to a customer only that customer's;
- a refused move changes nothing.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from server.commands import Actor, run_command
from server.db import Database
from server.errors import DomainError
from server.ledger.schemas import MovementIn
from server.ledger.service import (
    SEGREGATED_TYPES,
    balances_from_movements,
    post_movement,
    stored_balances,
)
from server.moves.schemas import MoveRequest
from server.moves.service import move_stock

ACTORS = {
    "putaway": Actor(kind="user", code="put", roles=frozenset({"putaway"})),
    "supervisor": Actor(kind="user", code="sup", roles=frozenset({"supervisor"})),
}
SKUS = {1: 1, 2: 1, 3: 2}  # sku -> customer
LOCATIONS = {1: "dock", 2: "staging", 3: "storage", 4: "storage", 5: "pick_face", 6: "quarantine"}
ASSIGNED = {4: 1}  # location -> the customer it is assigned to
LOTS = ("", "L1", "L2")

locations = st.sampled_from(sorted(LOCATIONS))
skus = st.sampled_from(sorted(SKUS))
lots = st.sampled_from(LOTS)
actors = st.sampled_from(sorted(ACTORS))
quantities = st.integers(min_value=1, max_value=30)

Key = tuple[int, int, int, str]  # (location, customer, sku, lot)


class MoveMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory()
        self.db = Database(Path(self._dir.name) / "moves.db")
        self.db.migrate()
        self.db._write(self._seed)
        self.model: Counter[Key] = Counter()
        self.n = 0

    @staticmethod
    def _seed(conn: sqlite3.Connection) -> None:
        for c in set(SKUS.values()):
            conn.execute("INSERT INTO customers (id, code, name) VALUES (?, ?, 'c')", (c, f"C{c}"))
        for s, c in SKUS.items():
            conn.execute(
                "INSERT INTO skus (id, customer_id, code, name) VALUES (?, ?, ?, 's')",
                (s, c, f"S{s}"),
            )
        for loc, kind in LOCATIONS.items():
            conn.execute(
                "INSERT INTO locations (id, code, zone, type, customer_id) VALUES (?, ?, 'Z', ?, ?)",
                (loc, f"L-{loc}", kind, ASSIGNED.get(loc)),
            )

    def teardown(self) -> None:
        self.db.close()
        self._dir.cleanup()

    # -- the model of the rules ---------------------------------------------------------

    def _held(self, loc: int) -> dict[Key, int]:
        return {k: q for k, q in self.model.items() if k[0] == loc and q > 0}

    def _may_put(self, dst: int, customers: list[int]) -> bool:
        """Goods of these customers, in this order, may all go onto dst."""
        if any(ASSIGNED.get(dst, c) != c for c in customers):
            return False
        if LOCATIONS[dst] in SEGREGATED_TYPES:
            present = {k[1] for k in self._held(dst)}
            return len(present | set(customers)) <= 1
        return True

    def _may_move(self, actor: str, src: int, dst: int) -> bool:
        if src == dst:
            return False
        restricted = {LOCATIONS[src], LOCATIONS[dst]} & {"quarantine", "inspection"}
        return not (restricted and actor != "supervisor")

    # -- what happens on the floor --------------------------------------------------------

    def _run(self, actor: str, name: str, rules: object) -> bool:
        self.n += 1
        before = self.db.read(stored_balances)
        try:
            run_command(self.db, ACTORS[actor], name, f"k{self.n}", {"n": self.n}, rules)  # type: ignore[arg-type]
        except DomainError:
            assert self.db.read(stored_balances) == before, "a refused move changed stock"
            return False
        return True

    @rule(sku=skus, loc=locations, lot=lots, qty=quantities)
    def receive(self, sku: int, loc: int, lot: str, qty: int) -> None:
        m = MovementIn(
            kind="receive",
            customer_id=SKUS[sku],
            sku_id=sku,
            quantity=qty,
            lot=lot,
            to_location_id=loc,
        )
        ok = self._run("supervisor", "receive", lambda conn, ctx: post_movement(conn, ctx, m))
        assert ok == self._may_put(loc, [SKUS[sku]])
        if ok:
            self.model[(loc, SKUS[sku], sku, lot)] += qty

    @rule(actor=actors, sku=skus, src=locations, dst=locations, lot=lots, qty=quantities)
    def move_item(self, actor: str, sku: int, src: int, dst: int, lot: str, qty: int) -> None:
        customer = SKUS[sku]
        here = [k for k in self._held(src) if k[2] == sku and (not lot or k[3] == lot)]
        expected = (
            self._may_move(actor, src, dst)
            and len(here) == 1
            and self.model[here[0]] >= qty
            and self._may_put(dst, [customer])
        )
        req = MoveRequest(
            from_location=f"L-{src}", to_location=f"L-{dst}", item=f"S{sku}", lot=lot, quantity=qty
        )
        ok = self._run(actor, "move", lambda conn, ctx: move_stock(conn, ctx, req, "~"))
        assert ok == expected, f"{actor} moving {qty} of S{sku}/{lot!r} L-{src} -> L-{dst}"
        if ok:
            key = here[0]
            self.model[key] -= qty
            self.model[(dst, customer, sku, key[3])] += qty

    @rule(actor=actors, src=locations, dst=locations)
    def move_whole_location(self, actor: str, src: int, dst: int) -> None:
        held = self._held(src)
        expected = (
            self._may_move(actor, src, dst)
            and bool(held)
            and self._may_put(dst, [k[1] for k in held])
        )
        req = MoveRequest(from_location=f"L-{src}", to_location=f"L-{dst}", whole_location=True)
        ok = self._run(actor, "move", lambda conn, ctx: move_stock(conn, ctx, req, "~"))
        assert ok == expected, f"{actor} moving all of L-{src} -> L-{dst}: {held}"
        if ok:
            for (_, customer, sku, lot), qty in held.items():
                self.model[(src, customer, sku, lot)] -= qty
                self.model[(dst, customer, sku, lot)] += qty

    # -- what must always hold ----------------------------------------------------------

    @invariant()
    def balances_equal_movements_and_model(self) -> None:
        stored = self.db.read(stored_balances)
        assert stored == self.db.read(balances_from_movements)
        assert stored == {
            (loc, c, s, lot, ""): q for (loc, c, s, lot), q in self.model.items() if q
        }

    @invariant()
    def segregation_holds(self) -> None:
        owners: dict[int, set[int]] = {}
        for loc, customer, *_ in self.db.read(stored_balances):
            owners.setdefault(loc, set()).add(customer)
        for loc, customers in owners.items():
            if LOCATIONS[loc] in SEGREGATED_TYPES:
                assert len(customers) == 1, f"L-{loc} holds customers {customers}"
            if loc in ASSIGNED:
                assert customers == {ASSIGNED[loc]}, f"L-{loc} holds customers {customers}"


MoveMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMoveInvariants = MoveMachine.TestCase
