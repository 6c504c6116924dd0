"""Put-away: suggest a location for received stock, and move it there by scan.

The suggestion never offers a location holding another customer's goods or assigned to
another customer, nor one frozen for a count. It prefers a location already holding the same customer and SKU (and
lot) with room, then an empty location in the customer's own zone, then any empty one;
nearest in pick sequence to where that SKU already lies. The confirming scan may name a
different location: it goes through the ledger's own segregation and capacity rules.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from server.barcodes import gtin_candidates, normalise, read_scan
from server.commands import CommandContext
from server.error_codes import ERR
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from server.masterdata.lookups import LocationRow, location_by_code
from server.putaway.schemas import (
    MovedStock,
    PutAway,
    PutawayRequest,
    ScanSuggestion,
    StockToPutAway,
    Suggestion,
)

PUTAWAY_TYPES = ("storage", "pick_face")
SOURCE_TYPES = ("dock", "staging")


def suggest_putaway_location(
    conn: sqlite3.Connection, *, customer_id: int, sku_id: int, lot: str, quantity: int
) -> Suggestion | None:
    """The best location for `quantity` units, or None when nothing fits."""
    # 1. Where this customer's SKU (same lot first) already lies, with room.
    # (`+b.customer_id` keeps the planner on balances_sku: a few rows, not the customer's all.)
    same = conn.execute(
        """
        SELECT l.id, l.code, l.zone, l.pick_sequence, l.capacity,
               (SELECT COALESCE(SUM(b2.quantity), 0) FROM balances b2 WHERE b2.location_id = l.id) AS held,
               MAX(b.lot = ?) AS same_lot
        FROM balances b JOIN locations l ON l.id = b.location_id
        WHERE b.sku_id = ? AND +b.customer_id = ? AND l.active = 1 AND l.type IN ('storage', 'pick_face')
          AND (l.customer_id IS NULL OR l.customer_id = ?)
          AND NOT EXISTS (SELECT 1 FROM count_tasks ct
                          WHERE ct.location_id = l.id AND ct.status = 'counting')
        GROUP BY l.id
        ORDER BY same_lot DESC, l.pick_sequence
        """,
        (lot, sku_id, customer_id, customer_id),
    ).fetchall()
    for row in same:
        if row["capacity"] is None or row["held"] + quantity <= row["capacity"]:
            reason = "same_sku_lot" if row["same_lot"] else "same_sku"
            return Suggestion(
                location=row["code"], zone=row["zone"], reason=reason, held=row["held"]
            )
    anchor = same[0]["pick_sequence"] if same else None
    # 2. An empty location in the customer's own zone (locations assigned to it).
    empty = _nearest_empty(conn, customer_id, quantity, anchor, assigned_only=True)
    if empty is not None:
        return Suggestion(
            location=empty["code"], zone=empty["zone"], reason="empty_customer_zone", held=0
        )
    # 3. Any empty location free for every customer.
    empty = _nearest_empty(conn, customer_id, quantity, anchor, assigned_only=False)
    if empty is not None:
        return Suggestion(location=empty["code"], zone=empty["zone"], reason="empty", held=0)
    return None


def _nearest_empty(
    conn: sqlite3.Connection,
    customer_id: int,
    quantity: int,
    anchor: int | None,
    *,
    assigned_only: bool,
) -> sqlite3.Row | None:
    """The empty location nearest the anchor in pick sequence (the first without one).

    Two short walks of locations(customer_id, pick_sequence), up and down from the
    anchor, each stopping at the first empty location that fits: the nearer one wins.
    """
    owner = "l.customer_id = ?" if assigned_only else "l.customer_id IS NULL"
    params: list[Any] = [customer_id] if assigned_only else []
    where = f"""{owner} AND l.active = 1 AND l.type IN ('storage', 'pick_face')
          AND (l.capacity IS NULL OR l.capacity >= ?)
          AND NOT EXISTS (SELECT 1 FROM balances b WHERE b.location_id = l.id)
          AND NOT EXISTS (SELECT 1 FROM count_tasks ct
                          WHERE ct.location_id = l.id AND ct.status = 'counting')"""
    if anchor is None:
        return conn.execute(
            f"SELECT l.id, l.code, l.zone FROM locations l WHERE {where} "
            "ORDER BY l.pick_sequence LIMIT 1",
            (*params, quantity),
        ).fetchone()
    return conn.execute(
        f"""
        SELECT id, code, zone FROM (
            SELECT * FROM (SELECT l.id, l.code, l.zone, l.pick_sequence FROM locations l
                           WHERE {where} AND l.pick_sequence >= ?
                           ORDER BY l.pick_sequence LIMIT 1)
            UNION ALL
            SELECT * FROM (SELECT l.id, l.code, l.zone, l.pick_sequence FROM locations l
                           WHERE {where} AND l.pick_sequence < ?
                           ORDER BY l.pick_sequence DESC LIMIT 1)
        ) ORDER BY ABS(pick_sequence - ?), pick_sequence LIMIT 1
        """,
        (*params, quantity, anchor, *params, quantity, anchor, anchor),
    ).fetchone()


def putaway(
    conn: sqlite3.Connection, ctx: CommandContext, req: PutawayRequest, gs_placeholder: str
) -> PutAway:
    """Move stock from a dock/staging location to the scanned storage location."""
    source = _location(conn, req.from_location)
    if source.type not in SOURCE_TYPES:
        raise ERR.PUTAWAY_SOURCE_TYPE({"location": source.code, "type": source.type})
    target = _location(conn, normalise(req.to_location, gs_placeholder)[1])
    if target.type not in PUTAWAY_TYPES:
        raise ERR.PUTAWAY_LOCATION_TYPE({"location": target.code, "type": target.type})
    items = _items_to_move(conn, source, req, gs_placeholder)
    moved = []
    for item in items:
        movement = post_movement(
            conn,
            ctx,
            MovementIn(
                kind="putaway",
                customer_id=item["customer_id"],
                sku_id=item["sku_id"],
                quantity=item["quantity"],
                lot=item["lot"],
                expiry=item["expiry"],
                from_location_id=source.id,
                to_location_id=target.id,
                document=req.sscc or "",
            ),
        )
        moved.append(
            MovedStock(
                sku=item["sku"],
                lot=movement.lot,
                expiry=movement.expiry,
                quantity=movement.quantity,
                movement_id=movement.id,
            )
        )
    ctx.audit_target = f"location:{target.code}"
    return PutAway(from_location=source.code, to_location=target.code, moved=moved)


def _items_to_move(
    conn: sqlite3.Connection, source: LocationRow, req: PutawayRequest, gs_placeholder: str
) -> list[dict[str, Any]]:
    if req.sscc:
        done = conn.execute(
            "SELECT 1 FROM movements WHERE kind = 'putaway' AND document = ? AND from_location_id = ?",
            (req.sscc, source.id),
        ).fetchone()
        if done is not None:
            raise ERR.SSCC_ALREADY_PUT_AWAY({"sscc": req.sscc})
        rows = _carton_contents(conn, source, req.sscc)
        if not rows:
            raise ERR.SSCC_NOT_FOUND({"sscc": req.sscc, "location": source.code})
        return rows
    if not req.item or req.quantity is None:
        raise ERR.PUTAWAY_INCOMPLETE()
    stock = stock_for_item(
        conn, source.id, req.item, gs_placeholder, lot=req.lot, customer=req.customer
    )
    if not stock:
        raise ERR.ITEM_NOT_ON_LOCATION({"item": req.item, "location": source.code})
    if len(stock) > 1:
        raise ERR.LOT_AMBIGUOUS(
            {
                "lots": [
                    {"customer": s["customer"], "lot": s["lot"], "quantity": s["quantity"]}
                    for s in stock
                ]
            }
        )
    return [{**stock[0], "quantity": req.quantity}]


def _carton_contents(
    conn: sqlite3.Connection, source: LocationRow, sscc: str
) -> list[dict[str, Any]]:
    """What a carton brought onto this location, as received."""
    rows = conn.execute(
        "SELECT r.sku_id, s.code AS sku, s.name AS sku_name, s.customer_id, c.code AS customer, "
        "r.lot, r.expiry, SUM(r.quantity) AS quantity FROM receipt_scans r "
        "JOIN skus s ON s.id = r.sku_id JOIN customers c ON c.id = s.customer_id "
        "WHERE r.sscc = ? AND r.location_id = ? GROUP BY r.sku_id, r.lot, r.expiry",
        (sscc, source.id),
    ).fetchall()
    return [dict(r) for r in rows]


def stock_for_item(
    conn: sqlite3.Connection,
    location_id: int,
    item: str,
    gs_placeholder: str,
    *,
    lot: str = "",
    customer: str = "",
) -> list[dict[str, Any]]:
    """Balances on a location of the item a scan names (barcode, GS1 or SKU code); two
    customers may sell the same GTIN, so `customer` narrows it when the dock holds both."""
    scan = read_scan(item, gs_placeholder)
    codes = gtin_candidates(scan.gtin) if scan.gtin else [scan.text]
    marks = ",".join("?" * len(codes))
    lot = scan.lot or lot
    rows = conn.execute(
        f"""
        SELECT b.sku_id, s.code AS sku, s.name AS sku_name, b.customer_id, c.code AS customer,
               b.lot, b.expiry, b.quantity
        FROM balances b JOIN skus s ON s.id = b.sku_id JOIN customers c ON c.id = b.customer_id
        WHERE b.location_id = ? AND (? = '' OR b.lot = ?) AND (? = '' OR c.code = ?)
          AND (b.sku_id IN (SELECT sku_id FROM sku_barcodes WHERE barcode IN ({marks})) OR s.code = ?)
        ORDER BY b.expiry, b.lot
        """,
        (location_id, lot, lot, customer, customer, *codes, scan.text),
    ).fetchall()
    return [dict(r) for r in rows]


def pending_putaway(conn: sqlite3.Connection, location: str) -> list[StockToPutAway]:
    """What waits on a dock or staging location, each with its suggested location."""
    source = _location(conn, location)
    rows = conn.execute(
        "SELECT b.sku_id, s.code AS sku, s.name AS sku_name, b.customer_id, c.code AS customer, "
        "b.lot, b.expiry, b.quantity FROM balances b JOIN skus s ON s.id = b.sku_id "
        "JOIN customers c ON c.id = b.customer_id WHERE b.location_id = ? ORDER BY c.code, s.code, b.lot",
        (source.id,),
    ).fetchall()
    return [_with_suggestion(conn, dict(r)) for r in rows]


def _with_suggestion(conn: sqlite3.Connection, stock: dict[str, Any]) -> StockToPutAway:
    return StockToPutAway(
        sku=stock["sku"],
        sku_name=stock["sku_name"],
        customer=stock["customer"],
        lot=stock["lot"],
        expiry=stock["expiry"],
        quantity=stock["quantity"],
        suggestion=suggest_putaway_location(
            conn,
            customer_id=stock["customer_id"],
            sku_id=stock["sku_id"],
            lot=stock["lot"],
            quantity=stock["quantity"],
        ),
    )


def _location(conn: sqlite3.Connection, code: str) -> LocationRow:
    # A location typed on a handheld may be in lower case.
    return location_by_code(conn, code, any_case=True)


def suggest_for_scan(
    conn: sqlite3.Connection,
    location: str,
    item: str,
    gs_placeholder: str,
    lot: str = "",
    customer: str = "",
    *,
    bare_sscc: bool = False,
) -> ScanSuggestion:
    """The handheld's first put-away step: the scanned item (or SSCC carton) on this
    location, and where it should go."""
    source = _location(conn, location)
    sscc = read_scan(item, gs_placeholder, bare_sscc=bare_sscc).sscc
    if sscc:
        stock = _carton_contents(conn, source, sscc)
    else:
        stock = stock_for_item(conn, source.id, item, gs_placeholder, lot=lot, customer=customer)
    if not stock:
        raise ERR.ITEM_NOT_ON_LOCATION({"item": item, "location": source.code})
    return ScanSuggestion(
        location=source.code, sscc=sscc, stock=[_with_suggestion(conn, s) for s in stock]
    )
