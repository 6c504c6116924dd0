"""The stock ledger: append-only movements, and balances changed in the same transaction.

Invariants (checked here and by hypothesis state machines in tests/ledger):
- every balance equals the sum of the movements into its key minus those out of it;
- no balance is ever negative (rows at zero are deleted);
- a storage or pick-face location holds one customer's goods at a time, and a location
  assigned to a customer holds only that customer's goods;
- system-managed locations (totes, parcels, pack stations, outbound lanes) take and give
  goods only in a flow that names itself (`flow=`), and only the departure ships. This is
  the one choke point: a route that forgets to pass a flow is refused, not let through.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

import msgspec

from server.commands import CommandContext, append_event
from server.error_codes import ERR
from server.ledger.schemas import (
    JournalEvent,
    LedgerMovement,
    Movement,
    MovementIn,
    MovementRequest,
)
from server.masterdata.lookups import (
    LocationRow,
    customer_by_code,
    location_by_code,
    location_by_id,
    sku_by_id,
    sku_of_customer,
)
from server.sync.contract import StockMoved

SEGREGATED_TYPES = frozenset({"storage", "pick_face"})
"""Location types where goods rest: one customer at a time (bonded segregation)."""

INBOUND_KINDS = frozenset({"receive"})
OUTBOUND_KINDS = frozenset({"ship"})
TRANSFER_KINDS = frozenset({"putaway", "move", "pick", "pack", "load"})
CORRECTION_KINDS = frozenset({"adjust", "count"})

SYSTEM_MANAGED_TYPES = frozenset({"tote", "parcel", "pack_station", "outbound_lane"})
"""Location types the outbound flows own: what they hold is an order's goods on its way
out, so nothing but those flows may put goods in or take them out."""

PARCEL_CODE_PREFIX = "PCL-"
"""Parcel locations are `PCL-<waybill>`, made by packing: a namespace master data keeps out of."""

Flow = Literal["pick", "pack", "return_to_stock", "departure"]
"""The flows allowed to touch system-managed locations; `departure` alone may ship.
Pulling a parcel off a truck or taking it to the inspection lane moves no goods in the
ledger: the parcel stays its own location."""

SHIP_TRIGGER_CODE = "SHIP_WITHOUT_DEPARTURE"
"""The message of the database trigger (migration 0018) under the departure rule."""


def post_movement(
    conn: sqlite3.Connection, ctx: CommandContext, m: MovementIn, *, flow: Flow | None = None
) -> Movement:
    """Validate one movement, change both balances and append it (plus its event).

    `flow` is the permission of the outbound flows: without it, a movement may not touch a
    system-managed location, and only `departure` may ship.
    """
    check_shape(m)
    if m.kind in OUTBOUND_KINDS and flow != "departure":
        raise ERR.SHIP_ONLY_AT_DEPARTURE({"kind": m.kind})
    sku = sku_by_id(conn, m.sku_id, active_only=True)
    if sku.customer_id != m.customer_id:
        raise ERR.SKU_OTHER_CUSTOMER({"sku_id": m.sku_id, "customer_id": m.customer_id})
    source = location_by_id(conn, m.from_location_id) if m.from_location_id is not None else None
    target = location_by_id(conn, m.to_location_id) if m.to_location_id is not None else None
    for location in (source, target):
        if location is not None:
            if flow is None:
                refuse_if_system_managed(location)
            refuse_if_frozen(conn, location.id, document=m.document)
    if source is not None:
        _take(conn, source.id, m)
    if target is not None:
        _put(conn, target, m, ctx.at)
    try:
        cur = _insert_movement(conn, ctx, m)
    except sqlite3.IntegrityError as err:
        if SHIP_TRIGGER_CODE not in str(err):
            raise
        raise ERR.SHIP_ONLY_AT_DEPARTURE({"kind": m.kind, "document": m.document}) from err
    movement = Movement(
        id=int(cur.lastrowid or 0),
        at=ctx.at,
        user_code=ctx.actor.code,
        device=ctx.actor.device,
        **{f: getattr(m, f) for f in MovementIn.__struct_fields__},
    )
    # The OMS knows codes, not our row ids: the event carries both.
    event = StockMoved(
        id=movement.id,
        at=movement.at,
        kind=m.kind,
        customer=sku.customer,
        customer_id=m.customer_id,
        sku=sku.code,
        sku_id=m.sku_id,
        quantity=m.quantity,
        lot=m.lot,
        expiry=m.expiry,
        from_location=source.code if source else None,
        from_location_id=m.from_location_id,
        to_location=target.code if target else None,
        to_location_id=m.to_location_id,
        reason=m.reason,
        document=m.document,
        user_code=movement.user_code,
        device=movement.device,
    )
    append_event(conn, ctx, f"stock.{m.kind}", event)
    return movement


def _insert_movement(
    conn: sqlite3.Connection, ctx: CommandContext, m: MovementIn
) -> sqlite3.Cursor:
    return conn.execute(
        "INSERT INTO movements (at, kind, customer_id, sku_id, lot, expiry, quantity, "
        "from_location_id, to_location_id, reason, document, user_code, device, command_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ctx.at,
            m.kind,
            m.customer_id,
            m.sku_id,
            m.lot,
            m.expiry,
            m.quantity,
            m.from_location_id,
            m.to_location_id,
            m.reason,
            m.document,
            ctx.actor.code,
            ctx.actor.device,
            ctx.key,
        ),
    )


def move_contents(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    *,
    kind: str,
    from_location_id: int,
    to_location_id: int | None,
    document: str,
    reason: str = "",
    flow: Flow | None = None,
) -> list[sqlite3.Row]:
    """Move everything a location holds (a tote, a parcel) to another, key by key."""
    contents = conn.execute(
        "SELECT customer_id, sku_id, lot, expiry, quantity FROM balances WHERE location_id = ?",
        (from_location_id,),
    ).fetchall()
    for row in contents:
        post_movement(
            conn,
            ctx,
            MovementIn(
                kind=kind,  # type: ignore[arg-type]
                customer_id=row["customer_id"],
                sku_id=row["sku_id"],
                quantity=row["quantity"],
                lot=row["lot"],
                expiry=row["expiry"],
                from_location_id=from_location_id,
                to_location_id=to_location_id,
                reason=reason,
                document=document,
            ),
            flow=flow,
        )
    return list(contents)


def refuse_if_system_managed(location: LocationRow) -> None:
    """Outside its flows, a tote, parcel, pack station or lane is not a place for goods."""
    if location.type in SYSTEM_MANAGED_TYPES:
        raise ERR.LOCATION_SYSTEM_MANAGED({"location": location.code, "type": location.type})


def refuse_if_frozen(conn: sqlite3.Connection, location_id: int, *, document: str = "") -> None:
    """A location being counted is frozen: only that count's own corrections may touch it."""
    row = conn.execute(
        "SELECT t.id, l.code FROM count_tasks t JOIN locations l ON l.id = t.location_id "
        "WHERE t.location_id = ? AND t.status = 'counting'",
        (location_id,),
    ).fetchone()
    if row is not None and document != count_document(row["id"]):
        raise ERR.LOCATION_FROZEN({"location": row["code"], "count_task": row["id"]})


def count_document(task_id: int) -> str:
    """The document a count's corrections carry in the ledger."""
    return f"COUNT-{task_id}"


def holds_stock(conn: sqlite3.Connection, location_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM balances WHERE location_id = ? LIMIT 1", (location_id,)
        ).fetchone()
        is not None
    )


def check_shape(m: MovementIn) -> None:
    has_from, has_to = m.from_location_id is not None, m.to_location_id is not None
    if m.kind in INBOUND_KINDS:
        ok = has_to and not has_from
    elif m.kind in OUTBOUND_KINDS:
        ok = has_from and not has_to
    elif m.kind in TRANSFER_KINDS:
        ok = has_from and has_to and m.from_location_id != m.to_location_id
    else:
        ok = has_from != has_to  # a correction adds to one place or takes from one place
    if not ok:
        raise ERR.MOVEMENT_SHAPE({"kind": m.kind})
    if m.kind in CORRECTION_KINDS and not m.reason:
        raise ERR.REASON_REQUIRED()


def _key(location_id: int, m: MovementIn) -> tuple[Any, ...]:
    return (location_id, m.customer_id, m.sku_id, m.lot, m.expiry)


_KEY_WHERE = "location_id = ? AND customer_id = ? AND sku_id = ? AND lot = ? AND expiry = ?"


def _take(conn: sqlite3.Connection, location_id: int, m: MovementIn) -> None:
    row = conn.execute(
        f"SELECT quantity FROM balances WHERE {_KEY_WHERE}", _key(location_id, m)
    ).fetchone()
    on_hand = row["quantity"] if row else 0
    reserved = _reserved(conn, location_id, m)
    if on_hand - reserved < m.quantity and on_hand >= m.quantity:
        raise ERR.STOCK_RESERVED(
            {"location_id": location_id, "on_hand": on_hand, "reserved": reserved}
        )
    if on_hand < m.quantity:
        raise ERR.INSUFFICIENT_STOCK(
            {"location_id": location_id, "on_hand": on_hand, "requested": m.quantity}
        )
    if on_hand == m.quantity:
        conn.execute(f"DELETE FROM balances WHERE {_KEY_WHERE}", _key(location_id, m))
    else:
        conn.execute(
            f"UPDATE balances SET quantity = quantity - ? WHERE {_KEY_WHERE}",
            (m.quantity, *_key(location_id, m)),
        )


def _reserved(conn: sqlite3.Connection, location_id: int, m: MovementIn) -> int:
    row = conn.execute(
        f"SELECT quantity FROM reservations WHERE {_KEY_WHERE}", _key(location_id, m)
    ).fetchone()
    return int(row["quantity"]) if row else 0


def _put(conn: sqlite3.Connection, location: LocationRow, m: MovementIn, at: str) -> None:
    if location.customer_id is not None and location.customer_id != m.customer_id:
        raise ERR.LOCATION_OTHER_CUSTOMER({"location": location.code})
    if location.type in SEGREGATED_TYPES:
        other = conn.execute(
            "SELECT 1 FROM balances WHERE location_id = ? AND customer_id != ? LIMIT 1",
            (location.id, m.customer_id),
        ).fetchone()
        if other is not None:
            raise ERR.LOCATION_OTHER_CUSTOMER({"location": location.code})
    if location.capacity is not None:
        held = conn.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM balances WHERE location_id = ?",
            (location.id,),
        ).fetchone()[0]
        if held + m.quantity > location.capacity:
            raise ERR.LOCATION_FULL(
                {"location": location.code, "capacity": location.capacity, "held": held},
                room=location.capacity - held,
            )
    conn.execute(
        "INSERT INTO balances (location_id, customer_id, sku_id, lot, expiry, quantity, since) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (location_id, customer_id, sku_id, lot, expiry) "
        "DO UPDATE SET quantity = quantity + excluded.quantity",
        (*_key(location.id, m), m.quantity, at),
    )


def balances_from_movements(conn: sqlite3.Connection) -> dict[tuple[Any, ...], int]:
    """Recompute every balance from the movements alone (for checks and reconciliation)."""
    rows = conn.execute(
        """
        SELECT location_id, customer_id, sku_id, lot, expiry, SUM(q) AS quantity FROM (
            SELECT to_location_id AS location_id, customer_id, sku_id, lot, expiry, quantity AS q
              FROM movements WHERE to_location_id IS NOT NULL
            UNION ALL
            SELECT from_location_id, customer_id, sku_id, lot, expiry, -quantity
              FROM movements WHERE from_location_id IS NOT NULL
        ) GROUP BY location_id, customer_id, sku_id, lot, expiry HAVING SUM(q) != 0
        """
    ).fetchall()
    return {tuple(r)[:5]: r["quantity"] for r in rows}


def stored_balances(conn: sqlite3.Connection) -> dict[tuple[Any, ...], int]:
    rows = conn.execute(
        "SELECT location_id, customer_id, sku_id, lot, expiry, quantity FROM balances"
    ).fetchall()
    return {tuple(r)[:5]: r["quantity"] for r in rows}


def resolve_movement(conn: sqlite3.Connection, r: MovementRequest) -> MovementIn:
    """Turn floor codes (customer, SKU, locations) into a ledger movement."""
    customer = customer_by_code(conn, r.customer)
    sku = sku_of_customer(conn, r.customer, r.sku)
    return MovementIn(
        kind=r.kind,
        customer_id=customer.id,
        sku_id=sku.id,
        quantity=r.quantity,
        lot=r.lot,
        expiry=r.expiry,
        from_location_id=_location_id(conn, r.from_location),
        to_location_id=_location_id(conn, r.to_location),
        reason=r.reason,
        document=r.document,
    )


def _location_id(conn: sqlite3.Connection, code: str | None) -> int | None:
    if code is None:
        return None
    return location_by_code(conn, code, active_only=False).id


def list_movements(
    conn: sqlite3.Connection, *, location: str | None, sku: str | None, limit: int
) -> list[LedgerMovement]:
    where, params = ["1 = 1"], []
    if location:
        where.append("(lf.code = ? OR lt.code = ?)")
        params += [location, location]
    if sku:
        where.append("s.code = ?")
        params.append(sku)
    rows = conn.execute(
        "SELECT m.id, m.at, m.kind, c.code AS customer, s.code AS sku, m.lot, m.expiry, m.quantity, "
        "lf.code AS from_location, lt.code AS to_location, m.reason, m.document, m.user_code, m.device "
        "FROM movements m JOIN customers c ON c.id = m.customer_id JOIN skus s ON s.id = m.sku_id "
        "LEFT JOIN locations lf ON lf.id = m.from_location_id "
        "LEFT JOIN locations lt ON lt.id = m.to_location_id "
        f"WHERE {' AND '.join(where)} ORDER BY m.id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [msgspec.convert(dict(r), LedgerMovement) for r in rows]


def list_events(conn: sqlite3.Connection, *, after: int, limit: int) -> list[JournalEvent]:
    rows = conn.execute(
        "SELECT seq, epoch, at, type, version, payload FROM events WHERE seq > ? "
        "ORDER BY seq LIMIT ?",
        (after, limit),
    ).fetchall()
    return [
        JournalEvent(
            seq=r["seq"],
            epoch=r["epoch"],
            at=r["at"],
            type=r["type"],
            version=r["version"],
            payload=msgspec.json.decode(r["payload"]),
        )
        for r in rows
    ]
