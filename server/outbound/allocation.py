"""Reserving stock for orders: same customer only, FEFO for expiry-tracked SKUs, then FIFO.

A reservation is an `allocations` row; triggers keep `reservations` (units reserved per
stock key) in step, and the ledger will not take reserved units for anything else.
Every function runs inside the caller's write transaction.
"""

from __future__ import annotations

import sqlite3
from datetime import date

ALLOCATABLE_TYPES = ("storage", "pick_face")
"""Only stock at rest in the pickable zones is reserved: not the dock, quarantine, totes."""


def allocate_order(
    conn: sqlite3.Connection, order_id: int, *, today: date, at: str, wave_id: int | None = None
) -> bool:
    """Reserve what is still missing for every line; True when the order is fully covered."""
    covered = True
    lines = conn.execute(
        "SELECT l.id, l.sku_id, l.quantity, l.lot, o.customer_id, s.expiry_tracked, "
        "(SELECT COALESCE(SUM(CASE WHEN a.status IN ('open', 'picked') THEN a.quantity "
        "  ELSE a.picked_qty END), 0) FROM allocations a WHERE a.line_id = l.id) AS reserved "
        "FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN skus s ON s.id = l.sku_id "
        # Lines that need one lot go first, so a line that takes any lot cannot take theirs.
        "WHERE l.order_id = ? ORDER BY l.lot = '', l.line_no",
        (order_id,),
    ).fetchall()
    for line in lines:
        missing = line["quantity"] - line["reserved"]
        if missing > 0:
            missing -= reserve_line(conn, line, missing, today=today, at=at, wave_id=wave_id)
        covered = covered and missing <= 0
    return covered


def reserve_line(
    conn: sqlite3.Connection,
    line: sqlite3.Row,
    wanted: int,
    *,
    today: date,
    at: str,
    exclude_location: int | None = None,
    wave_id: int | None = None,
) -> int:
    """Reserve up to `wanted` units for one order line; returns how many were reserved."""
    got = 0
    for stock in candidate_stock(
        conn,
        customer_id=line["customer_id"],
        sku_id=line["sku_id"],
        lot=line["lot"],
        fefo=bool(line["expiry_tracked"]),
        today=today,
        exclude_location=exclude_location,
    ):
        take = min(stock["available"], wanted - got)
        conn.execute(
            "INSERT INTO allocations (order_id, line_id, location_id, customer_id, sku_id, lot, "
            "expiry, quantity, wave_id, pick_sequence, created_at) "
            "SELECT order_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM order_lines WHERE id = ?",
            (
                line["id"],
                stock["location_id"],
                line["customer_id"],
                line["sku_id"],
                stock["lot"],
                stock["expiry"],
                take,
                wave_id,
                stock["pick_sequence"],
                at,
                line["id"],
            ),
        )
        got += take
        if got >= wanted:
            break
    return got


def candidate_stock(
    conn: sqlite3.Connection,
    *,
    customer_id: int,
    sku_id: int,
    lot: str,
    fefo: bool,
    today: date,
    exclude_location: int | None = None,
) -> list[sqlite3.Row]:
    """Unreserved units of one customer's SKU in pickable locations, best first.

    FEFO (earliest expiry) when the SKU tracks expiry, then FIFO (longest in place), then
    the pick walk. Expired stock is never offered.
    """
    types = ",".join(f"'{t}'" for t in ALLOCATABLE_TYPES)
    where = [
        "+b.customer_id = ?",  # unary +: plan by the SKU's few rows, not all the customer's
        "b.sku_id = ?",
        f"l.type IN ({types})",
        "l.active = 1",
        "(b.expiry = '' OR b.expiry >= ?)",
        "NOT EXISTS (SELECT 1 FROM pick_shortages p WHERE p.location_id = b.location_id "
        "AND p.sku_id = b.sku_id AND p.resolved_at IS NULL)",
        # A location being counted is frozen for picking (its stock is not known right now).
        "NOT EXISTS (SELECT 1 FROM count_tasks ct WHERE ct.location_id = b.location_id "
        "AND ct.status = 'counting')",
    ]
    params: list[object] = [customer_id, sku_id, today.isoformat()]
    if lot:
        where.append("b.lot = ?")
        params.append(lot)
    if exclude_location is not None:
        where.append("b.location_id != ?")
        params.append(exclude_location)
    expiry_order = "CASE WHEN b.expiry = '' THEN 1 ELSE 0 END, b.expiry, " if fefo else ""
    return conn.execute(
        "SELECT b.location_id, b.lot, b.expiry, l.pick_sequence, "
        "b.quantity - COALESCE(r.quantity, 0) AS available "
        "FROM balances b JOIN locations l ON l.id = b.location_id "
        "LEFT JOIN reservations r ON r.location_id = b.location_id "
        " AND r.customer_id = b.customer_id AND r.sku_id = b.sku_id "
        " AND r.lot = b.lot AND r.expiry = b.expiry "
        f"WHERE {' AND '.join(where)} AND b.quantity > COALESCE(r.quantity, 0) "
        f"ORDER BY {expiry_order}b.since, l.pick_sequence, b.location_id, b.lot",
        params,
    ).fetchall()


def release_open_allocations(conn: sqlite3.Connection, order_id: int) -> int:
    """Give back every unit still reserved for the order (cancel, or a supervisor's call)."""
    return conn.execute(
        "UPDATE allocations SET status = 'released', lease_holder = '', lease_expires_at = '' "
        "WHERE order_id = ? AND status = 'open'",
        (order_id,),
    ).rowcount
