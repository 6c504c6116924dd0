"""A small site for billing tests: two customers, their SKUs (with dimensions), a dock,
storage locations, a tote and a parcel; movements posted through the ledger's own service
at chosen site times, and commands run as the routes run them."""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import datetime
from typing import Any

from server import clock
from server.billing import service
from server.billing.closing import close_in_one_transaction
from server.billing.schemas import TariffSet
from server.commands import SYSTEM, run_command
from server.db import Database
from server.ledger.schemas import MovementIn
from server.ledger.service import Flow, post_movement

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"
_keys = itertools.count(1)

LOCATIONS = {
    1: ("DOCK-1", "dock"),
    2: ("A-1", "storage"),
    3: ("A-2", "storage"),
    4: ("A-3", "storage"),
    5: ("P-1", "pick_face"),
    6: ("T-1", "tote"),
    7: ("PCL-1", "parcel"),
}


def seed(db: Database) -> None:
    def write(conn: Any) -> None:
        conn.executemany(
            "INSERT INTO customers (id, code, name) VALUES (?, ?, ?)",
            [(1, "C1", "Customer one"), (2, "C2", "Customer two")],
        )
        # S1: 100 x 50 x 20 mm (100,000 mm³), 40 a pallet; S2: no dimensions.
        conn.executemany(
            "INSERT INTO skus (id, customer_id, code, name, length_mm, width_mm, height_mm, "
            "units_per_pallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(1, 1, "S1", "Soap", 100, 50, 20, 40), (2, 2, "S2", "Gel", None, None, None, None)],
        )
        conn.executemany(
            "INSERT INTO locations (id, code, zone, type) VALUES (?, ?, ?, ?)",
            [(i, code, code[0], type_) for i, (code, type_) in LOCATIONS.items()],
        )

    db._write(write)


def at(day: str, hhmm: str = "10:00") -> datetime:
    """A moment of the site's day."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZONE)


def move(
    db: Database,
    when: datetime,
    kind: str,
    sku: int,
    qty: int,
    src: int | None,
    dst: int | None,
    *,
    document: str = "",
    reason: str = "",
    flow: Flow | None = None,
    key: str | None = None,
) -> None:
    """One movement at `when` (site time), under a command key (given: a replay)."""
    customer = sku  # S1 is C1's, S2 is C2's
    m = MovementIn(
        kind=kind,  # type: ignore[arg-type]
        customer_id=customer,
        sku_id=sku,
        quantity=qty,
        from_location_id=src,
        to_location_id=dst,
        document=document,
        reason=reason,
    )
    with clock.use(clock.ManualClock(when)):
        run_command(
            db,
            SYSTEM,
            f"test.{kind}",
            key or f"mv-{next(_keys)}",
            [kind, sku, qty, src, dst, document],
            lambda conn, ctx: post_movement(conn, ctx, m, flow=flow),
        )


def command(db: Database, when: datetime, name: str, rules: Any, key: str | None = None) -> Any:
    """A billing command at `when`, as its route runs it."""
    with clock.use(clock.ManualClock(when)):
        return run_command(db, SYSTEM, name, key or f"cmd-{next(_keys)}", [name], rules).value


def set_tariff(db: Database, when: datetime, **fields: Any) -> Any:
    import msgspec

    req = msgspec.convert({"reason": "contract", **fields}, TariffSet)
    return command(
        db, when, "billing.set_tariff", lambda conn, ctx: service.set_tariff(conn, ctx, TZ, req)
    )


def close(db: Database, when: datetime, period: str, key: str | None = None) -> Any:
    return command(
        db,
        when,
        "billing.close_period",
        lambda conn, ctx: close_in_one_transaction(conn, ctx, TZ, period),
        key=key,
    )


def preview(db: Database, period: str, customer: str = "C1") -> Any:
    return db.read(lambda conn: service.preview_statement(conn, TZ, period, customer))
