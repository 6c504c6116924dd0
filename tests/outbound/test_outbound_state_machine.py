"""Random interleavings of receipts, orders, waves, picks, shorts, cancels, moves and
returns keep the ledger and the reservations true (hypothesis state machine, in-process).

After every step:
- balances equal the sum of movements (and are never negative: a CHECK constraint);
- `reservations` equals what open allocations still have to pick, key by key;
- no reservation exceeds the stock it stands on;
- every unit picked for a live order is in that order's tote or on its parcel.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.commands import Actor, run_command
from server.config import DatabaseSettings, PrinterSettings, Settings, StationSettings
from server.db import Database
from server.errors import DomainError
from server.ledger.schemas import MovementRequest
from server.ledger.service import (
    balances_from_movements,
    post_movement,
    resolve_movement,
    stored_balances,
)
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from server.outbound import orders, picking, tasks, waves
from server.outbound.schemas import (
    CancelIn,
    CustomsStatusIn,
    OrderIn,
    OrderLineIn,
    Party,
    PickConfirm,
    Routing,
    ShortPick,
    TaskDone,
    WaveIn,
)

STORAGE = ["A-1", "A-2", "A-3"]
TOTES = [f"T-{i}" for i in range(1, 7)]
SOAP = "6901234567892"
TODAY = date(2026, 11, 23)
PICKER = Actor(kind="user", code="pick01", roles=frozenset({"picker"}), device="hh-1")
OMS = Actor(kind="oms", code="oms", roles=frozenset({"oms"}))


class OutboundMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.settings = Settings(
            database=DatabaseSettings(path=str(self.folder / "site.db")),
            printers=[PrinterSettings(name="p1", kind="file", folder=str(self.folder))],
            stations=[StationSettings(name="pack-01", kind="pack_bench", printers=["p1"])],
        )
        self.db = Database(self.settings.database.path)
        self.db.migrate()
        self.keys = itertools.count()
        self.orders: list[str] = []
        self.do(lambda c, x: masterdata.upsert_customer(c, x, CustomerIn(code="C1", name="C1")))
        self.do(
            lambda c, x: masterdata.upsert_sku(
                c, x, SkuIn(customer="C1", code="S1", name="Soap", barcodes=[SOAP])
            )
        )
        places = [("DOCK-1", "dock"), ("STG-1", "staging")]
        places += [(code, "storage") for code in STORAGE] + [(t, "tote") for t in TOTES]
        for seq, (code, kind) in enumerate(places):
            loc = LocationIn(code=code, zone=code[0], type=kind, pick_sequence=seq)  # type: ignore[arg-type]
            self.do(lambda c, x, loc=loc: masterdata.upsert_location(c, x, loc))

    def teardown(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def do(self, rules: Any, actor: Actor = OMS) -> Any:
        """Run one command; a refusal is a fine outcome, it must just change nothing."""
        try:
            return run_command(self.db, actor, "step", f"k{next(self.keys)}", None, rules).value
        except DomainError:
            return None

    def read(self, sql: str, *args: Any) -> list[Any]:
        return self.db.read(lambda c: c.execute(sql, args).fetchall())

    # -- rules ---------------------------------------------------------------------------

    @rule(where=st.sampled_from(STORAGE), qty=st.integers(1, 6), lot=st.sampled_from(["", "L1"]))
    def receive(self, where: str, qty: int, lot: str) -> None:
        request = MovementRequest(
            kind="receive",
            customer="C1",
            sku="S1",
            quantity=qty,
            reason="opening_balance",
            lot=lot,
            to_location=where,
        )
        self.do(lambda c, x: post_movement(c, x, resolve_movement(c, request)))

    @rule(qty=st.integers(1, 5), status=st.sampled_from([800, 800, 120, 500]))
    def order(self, qty: int, status: int) -> None:
        n = len(self.orders) + 1
        order = OrderIn(
            customer="C1",
            order_no=f"SO{n}",
            courier="SF",
            waybill_no=f"SF{100000 + n}",
            routing=Routing(sort_code="1-2-3"),
            recipient=Party(name="张三", phone="13812345678", address="某路1号"),
            sender=Party(name="DC", phone="075512345", address="仓库"),
            lines=[OrderLineIn(sku="S1", quantity=qty)],
        )
        self.do(lambda c, x: orders.upsert_order(c, x, order))
        reply = CustomsStatusIn(order_no=order.order_no, code=status, status_at=datetime.now(UTC))
        self.do(
            lambda c, x: orders.apply_customs_status(
                c, x, reply, inspection_lane="INSP-1", max_ahead_seconds=300
            )
        )
        self.orders.append(order.order_no)

    @rule()
    def build_wave(self) -> None:
        self.do(lambda c, x: waves.build_wave(c, x, self.settings, WaveIn(), today=TODAY))

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order_no = data.draw(st.sampled_from(self.orders))
        self.do(lambda c, x: orders.cancel_order(c, x, CancelIn(order_no=order_no)))

    @rule(partial=st.booleans(), tote=st.sampled_from(TOTES))
    def pick_next(self, partial: bool, tote: str) -> None:
        for (wave_id,) in self.read("SELECT id FROM waves WHERE status = 'open'"):
            leased = self.do(
                lambda c, x, w=wave_id: picking.lease_next_task(c, x, self.settings, w), PICKER
            )
            if leased and leased["task"]:
                task = leased["task"]
                confirm = PickConfirm(
                    location=task["location"],
                    item=SOAP,
                    quantity=1 if partial else task["remaining"],
                    tote=task["tote"] or tote,
                )
                self.do(
                    lambda c, x, t=task["id"], p=confirm: picking.confirm_pick(
                        c, x, self.settings, t, p
                    ),
                    PICKER,
                )
                return

    @rule()
    def short_next(self) -> None:
        for (task_id,) in self.read(
            "SELECT id FROM allocations WHERE status = 'open' AND wave_id IS NOT NULL LIMIT 1"
        ):
            self.do(
                lambda c, x, t=task_id: picking.short_pick(
                    c, x, self.settings, t, ShortPick(), today=TODAY
                ),
                PICKER,
            )

    @rule(src=st.sampled_from(STORAGE), dst=st.sampled_from(STORAGE), qty=st.integers(1, 4))
    def move(self, src: str, dst: str, qty: int) -> None:
        request = MovementRequest(
            kind="move",
            customer="C1",
            sku="S1",
            quantity=qty,
            reason="relocation",
            from_location=src,
            to_location=dst,
        )
        self.do(lambda c, x: post_movement(c, x, resolve_movement(c, request)))

    @rule(where=st.sampled_from([*STORAGE, "STG-1"]))
    def return_to_stock(self, where: str) -> None:
        for (task_id,) in self.read(
            "SELECT id FROM order_tasks WHERE status = 'open' AND kind = 'return_to_stock'"
        ):
            self.do(
                lambda c, x, t=task_id: tasks.complete_task(
                    c, x, self.settings, t, TaskDone(location=where)
                )
            )

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def balances_equal_movements(self) -> None:
        assert self.db.read(lambda c: balances_from_movements(c) == stored_balances(c))

    @invariant()
    def reservations_equal_open_allocations(self) -> None:
        expected = Counter(
            {
                tuple(r[:5]): r[5]
                for r in self.read(
                    "SELECT location_id, customer_id, sku_id, lot, expiry, SUM(quantity - picked_qty) "
                    "FROM allocations WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5 "
                    "HAVING SUM(quantity - picked_qty) > 0"
                )
            }
        )
        stored = Counter(
            {
                tuple(r[:5]): r[5]
                for r in self.read(
                    "SELECT location_id, customer_id, sku_id, lot, expiry, quantity FROM reservations"
                )
            }
        )
        assert stored == expected

    @invariant()
    def nothing_reserved_beyond_stock(self) -> None:
        over = self.read(
            "SELECT r.quantity, COALESCE(b.quantity, 0) FROM reservations r LEFT JOIN balances b "
            "USING (location_id, customer_id, sku_id, lot, expiry) WHERE r.quantity > COALESCE(b.quantity, 0)"
        )
        assert over == []

    @invariant()
    def picked_units_are_in_the_tote_or_on_the_parcel(self) -> None:
        rows = self.read(
            "SELECT o.order_no, (SELECT SUM(picked_qty) FROM allocations a WHERE a.order_id = o.id), "
            "COALESCE((SELECT SUM(quantity) FROM balances b WHERE b.location_id = o.tote_location_id), 0) "
            "FROM orders o WHERE o.state IN ('picking', 'picked', 'short')"
        )
        for order_no, picked, in_tote in rows:
            assert (picked or 0) == in_tote, order_no


OutboundMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_outbound_state_machine = OutboundMachine.TestCase
