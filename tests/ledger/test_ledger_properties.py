"""The ledger's invariants under random sequences of commands (hypothesis state machine).

- every stored balance equals the sum of the movements (and the model);
- no balance is negative;
- a storage location never holds two customers' goods;
- replaying a command's key returns its first result and changes nothing.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.commands import Actor, run_command
from server.db import Database
from server.errors import DomainError
from server.ledger.schemas import MovementIn
from server.ledger.service import (
    SEGREGATED_TYPES,
    SYSTEM_MANAGED_TYPES,
    balances_from_movements,
    post_movement,
    stored_balances,
)

ACTOR = Actor(kind="user", code="prop", roles=frozenset({"supervisor"}))
CUSTOMERS = (1, 2)
SKUS = {1: 1, 2: 1, 3: 2}  # sku -> customer
LOCATIONS = {
    1: "dock",
    2: "staging",
    3: "storage",
    4: "storage",
    5: "pick_face",
    6: "outbound_lane",
}
LOTS = ("", "L1", "L2")

locations = st.sampled_from(sorted(LOCATIONS))


def of(sku: int) -> dict[str, int]:
    return {"customer_id": SKUS[sku], "sku_id": sku}


skus = st.sampled_from(sorted(SKUS))
lots = st.sampled_from(LOTS)
quantities = st.integers(min_value=1, max_value=30)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory()
        self.db = Database(Path(self._dir.name) / "ledger.db")
        self.db.migrate()
        self.db._write(self._seed)
        self.model: Counter[tuple[int, int, int, str]] = Counter()  # (loc, cust, sku, lot) -> qty
        self.done: list[tuple[str, dict[str, Any], Any]] = []
        self.n = 0

    @staticmethod
    def _seed(conn: sqlite3.Connection) -> None:
        for c in CUSTOMERS:
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
        self._dir.cleanup()

    def _apply(self, **fields: Any) -> None:
        self.n += 1
        key = f"k{self.n}"
        m = msgspec.convert(fields, MovementIn)
        expected_ok = self._model_allows(m)
        try:
            result = run_command(
                self.db,
                ACTOR,
                "ledger.movement",
                key,
                fields,
                lambda conn, ctx: post_movement(conn, ctx, m),
            ).value
        except DomainError:
            assert not expected_ok, f"refused a movement the model allows: {fields}"
            return
        assert expected_ok, f"accepted a movement the model refuses: {fields}"
        if m.from_location_id is not None:
            self.model[(m.from_location_id, m.customer_id, m.sku_id, m.lot)] -= m.quantity
        if m.to_location_id is not None:
            self.model[(m.to_location_id, m.customer_id, m.sku_id, m.lot)] += m.quantity
        self.done.append((key, fields, result))

    def _model_allows(self, m: MovementIn) -> bool:
        if m.kind == "ship":
            return False  # only a departure ships, and no flow runs here
        touched = [loc for loc in (m.from_location_id, m.to_location_id) if loc is not None]
        if any(LOCATIONS[loc] in SYSTEM_MANAGED_TYPES for loc in touched):
            return False  # totes, parcels and lanes belong to their flows
        taken_from = (m.from_location_id, m.customer_id, m.sku_id, m.lot)
        if m.from_location_id is not None and self.model[taken_from] < m.quantity:
            return False
        if m.to_location_id is not None and LOCATIONS[m.to_location_id] in SEGREGATED_TYPES:
            for (loc, cust, _, _), qty in self.model.items():
                if loc == m.to_location_id and cust != m.customer_id and qty > 0:
                    # a location being emptied by this very movement is still occupied now
                    return False
        return True

    @rule(sku=skus, loc=locations, lot=lots, qty=quantities)
    def receive(self, sku: int, loc: int, lot: str, qty: int) -> None:
        self._apply(kind="receive", **of(sku), quantity=qty, lot=lot, to_location_id=loc)

    @rule(sku=skus, src=locations, dst=locations, lot=lots, qty=quantities)
    def transfer(self, sku: int, src: int, dst: int, lot: str, qty: int) -> None:
        if src == dst:
            return
        self._apply(
            kind="move", **of(sku), quantity=qty, lot=lot, from_location_id=src, to_location_id=dst
        )

    @rule(sku=skus, loc=locations, lot=lots, qty=quantities)
    def ship(self, sku: int, loc: int, lot: str, qty: int) -> None:
        self._apply(kind="ship", **of(sku), quantity=qty, lot=lot, from_location_id=loc)

    @rule(sku=skus, loc=locations, lot=lots, qty=quantities, add=st.booleans())
    def adjust(self, sku: int, loc: int, lot: str, qty: int, add: bool) -> None:
        where = {"to_location_id": loc} if add else {"from_location_id": loc}
        self._apply(kind="adjust", **of(sku), quantity=qty, lot=lot, reason="count", **where)

    @precondition(lambda self: bool(self.done))
    @rule(pick=st.integers(min_value=0))
    def replay(self, pick: int) -> None:
        key, fields, first = self.done[pick % len(self.done)]
        before = self.db.read(stored_balances)
        m = msgspec.convert(fields, MovementIn)
        again = run_command(
            self.db,
            ACTOR,
            "ledger.movement",
            key,
            fields,
            lambda conn, ctx: post_movement(conn, ctx, m),
        )
        assert again.replayed and again.value == first
        assert self.db.read(stored_balances) == before

    @invariant()
    def balances_equal_movements_and_model(self) -> None:
        stored = self.db.read(stored_balances)
        assert stored == self.db.read(balances_from_movements)
        model = {(loc, c, s, lot, ""): q for (loc, c, s, lot), q in self.model.items() if q}
        assert stored == model

    @invariant()
    def never_negative(self) -> None:
        assert all(q > 0 for q in self.db.read(stored_balances).values())

    @invariant()
    def storage_holds_one_customer(self) -> None:
        owners: dict[int, set[int]] = {}
        for loc, cust, *_ in self.db.read(stored_balances):
            owners.setdefault(loc, set()).add(cust)
        for loc, custs in owners.items():
            if LOCATIONS[loc] in SEGREGATED_TYPES:
                assert len(custs) == 1, f"location {loc} holds customers {custs}"


LedgerMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerInvariants = LedgerMachine.TestCase
