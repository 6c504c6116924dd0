"""In-process seeding for the outbound benches (dock_checkout.py, bulk_vs_floor.py,
picks_wrk.py): through `run_command` and the services the routes run, each step one
command with its own key, as a supervisor or the OMS would send it.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from server.commands import Actor, run_command
from server.config import Settings
from server.db import Database
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from server.outbound import orders
from server.outbound.schemas import CustomsStatusIn

OMS = Actor(kind="oms", code="oms-1", roles=frozenset({"oms"}), device="")
SUPERVISOR = Actor(kind="user", code="sup01", roles=frozenset({"supervisor"}), device="bench")


class Seeder:
    """Commands on one database, keyed `prefix:1`, `prefix:2`, ..."""

    def __init__(self, db: Database, prefix: str) -> None:
        self.db, self.prefix, self.keys = db, prefix, itertools.count(1)

    def run(self, actor: Actor, name: str, payload: Any, rules: Callable[..., Any]) -> Any:
        key = f"{self.prefix}:{next(self.keys)}"
        return run_command(self.db, actor, name, key, payload, rules).value

    def product(self, customer: str, customer_name: str, sku: str, ean: str) -> None:
        """One customer and its one SKU (soap), with its barcode."""
        self.run(
            SUPERVISOR,
            "customer.upsert",
            customer,
            lambda c, x: masterdata.upsert_customer(
                c, x, CustomerIn(code=customer, name=customer_name)
            ),
        )
        self.run(
            SUPERVISOR,
            "sku.upsert",
            sku,
            lambda c, x: masterdata.upsert_sku(
                c, x, SkuIn(customer=customer, code=sku, name="香皂", barcodes=[ean])
            ),
        )

    def locations(self, locations: list[LocationIn]) -> None:
        """All of them in one command."""

        def add(c: sqlite3.Connection, x: Any) -> None:
            for loc in locations:
                masterdata.upsert_location(c, x, loc)

        self.run(SUPERVISOR, "location.upsert", len(locations), add)

    def receive(self, customer: str, sku: str, location: str, quantity: int, document: str) -> None:
        """`quantity` of the customer's SKU received onto `location`."""
        row = self.db.read(
            lambda c: c.execute(
                "SELECT s.id, s.customer_id, (SELECT id FROM locations WHERE code = ?) "
                "FROM skus s JOIN customers k ON k.id = s.customer_id "
                "WHERE s.code = ? AND k.code = ?",
                (location, sku, customer),
            ).fetchone()
        )
        ids = dict(zip(("sku_id", "customer_id", "to_location_id"), row, strict=True))
        movement = MovementIn(kind="receive", quantity=quantity, document=document, **ids)
        self.run(SUPERVISOR, "ledger.receive", location, lambda c, x: post_movement(c, x, movement))


def release(
    c: sqlite3.Connection, x: Any, settings: Settings, order_no: str, at: datetime | None = None
) -> None:
    """Customs' release (800) of one order, as the OMS forwards it; inside a command."""
    orders.apply_customs_status(
        c,
        x,
        CustomsStatusIn(order_no=order_no, code=800, status_at=at or datetime.now(UTC)),
        inspection_lane=settings.outbound.inspection_lane,
        max_ahead_seconds=settings.outbound.customs_time_ahead_seconds,
    )
