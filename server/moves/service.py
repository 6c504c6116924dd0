"""Moves by scan: an item (lot, quantity), an SSCC carton or a whole location, to another.

The ledger does the stock rules (segregation by customer, a location assigned to another
customer, capacity, reserved stock, a frozen location): a move only picks what to move
and checks what the ledger does not know — which location types stock may rest in, and
that quarantine and inspection are a supervisor's business.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from server.barcodes import normalise, read_scan
from server.commands import CommandContext
from server.error_codes import ERR
from server.ledger.schemas import MovementIn
from server.ledger.service import move_contents, post_movement
from server.masterdata.lookups import LocationRow, location_by_code
from server.moves.schemas import MovedLine, MoveRequest, MoveResult, MoveSource, SourceLine
from server.putaway.service import stock_for_item
from server.scan_quantity import check_quantity_per_scan

MOVABLE_TYPES = frozenset({"dock", "staging", "storage", "pick_face", "quarantine", "inspection"})
"""Where stock rests between flows. Totes, parcels, pack stations and lanes belong to the
outbound flow: their stock moves by picking, packing and loading only."""
RESTRICTED_TYPES = frozenset({"quarantine", "inspection"})
"""Goods held for damage or for customs inspection: only a supervisor takes them in or out."""
RESTRICTED_ROLES = frozenset({"supervisor", "admin"})

_SOURCE_SQL = """
SELECT b.customer_id, b.sku_id, c.code AS customer, s.code AS sku, s.name AS sku_name,
       b.lot, b.expiry, b.quantity, COALESCE(r.quantity, 0) AS reserved
FROM balances b JOIN skus s ON s.id = b.sku_id JOIN customers c ON c.id = b.customer_id
LEFT JOIN reservations r ON r.location_id = b.location_id AND r.customer_id = b.customer_id
     AND r.sku_id = b.sku_id AND r.lot = b.lot AND r.expiry = b.expiry
WHERE b.location_id = ?
"""


def move_source(
    conn: sqlite3.Connection,
    location: str,
    gs_placeholder: str,
    *,
    item: str = "",
    lot: str = "",
    customer: str = "",
    bare_sscc: bool = False,
) -> MoveSource:
    """What a location holds for the move page; with `item`, only that item or carton."""
    source = _location(conn, location, gs_placeholder)
    sscc = ""
    rows: list[Any]
    if item:
        sscc = _sscc_of(item, gs_placeholder, bare_sscc)
        if sscc:
            rows = _carton_on_location(conn, source, sscc)
        else:
            rows = _item_rows(conn, source, item, gs_placeholder, lot, customer)
    else:
        rows = conn.execute(
            f"{_SOURCE_SQL} ORDER BY c.code, s.code, b.expiry, b.lot LIMIT 1000", (source.id,)
        ).fetchall()
    return MoveSource(
        location=source.code,
        type=source.type,
        restricted=source.type in RESTRICTED_TYPES,
        sscc=sscc,
        stock=[_source_line(r) for r in rows],
    )


def move_stock(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    req: MoveRequest,
    gs_placeholder: str,
    *,
    bare_sscc: bool = False,
    max_per_scan: int | None = None,
) -> MoveResult:
    """Move what the request names from one location to another, as `move` movements."""
    check_quantity_per_scan(req.quantity, max_per_scan, confirmed=req.confirmed_large)
    source = _location(conn, req.from_location, gs_placeholder)
    target = _location(conn, req.to_location, gs_placeholder)
    if source.id == target.id:
        raise ERR.MOVE_SAME_LOCATION({"location": source.code})
    for loc in (source, target):
        _check_type(loc, ctx)
    sscc = req.sscc or (_sscc_of(req.item, gs_placeholder, bare_sscc) if req.item else "")
    chosen = [bool(sscc), bool(req.item) and not sscc, req.whole_location]
    if sum(chosen) != 1 or (chosen[1] and req.quantity is None):
        raise ERR.MOVE_INCOMPLETE()
    move_no = _next_move_no(conn)
    if req.whole_location:
        rows = conn.execute(
            f"{_SOURCE_SQL} ORDER BY c.code, s.code, b.expiry, b.lot", (source.id,)
        ).fetchall()
        if not rows:
            raise ERR.LOCATION_EMPTY({"location": source.code})
        move_contents(
            conn,
            ctx,
            kind="move",
            from_location_id=source.id,
            to_location_id=target.id,
            document=move_no,
        )
        moved = [_moved(r, r["quantity"]) for r in rows]
    else:
        lines: list[tuple[Any, int]]
        if sscc:
            lines = [(r, r["quantity"]) for r in _carton_on_location(conn, source, sscc)]
        else:
            rows = _item_rows(conn, source, req.item, gs_placeholder, req.lot, req.customer)
            if len(rows) > 1:
                raise ERR.LOT_AMBIGUOUS(
                    {
                        "lots": [
                            {"customer": r["customer"], "lot": r["lot"], "quantity": r["quantity"]}
                            for r in rows
                        ]
                    }
                )
            lines = [(rows[0], int(req.quantity or 0))]
        for row, quantity in lines:
            post_movement(
                conn,
                ctx,
                MovementIn(
                    kind="move",
                    customer_id=row["customer_id"],
                    sku_id=row["sku_id"],
                    quantity=quantity,
                    lot=row["lot"],
                    expiry=row["expiry"],
                    from_location_id=source.id,
                    to_location_id=target.id,
                    document=move_no,
                ),
            )
        moved = [_moved(row, quantity) for row, quantity in lines]
    ctx.audit_target = f"move:{move_no}"
    return MoveResult(
        move_no=move_no,
        from_location=source.code,
        to_location=target.code,
        sscc=sscc,
        whole_location=req.whole_location,
        moved=moved,
    )


def _location(conn: sqlite3.Connection, scanned: str, gs_placeholder: str) -> LocationRow:
    # A location typed on a handheld may be in lower case.
    return location_by_code(conn, normalise(scanned, gs_placeholder)[1].strip(), any_case=True)


def _check_type(location: LocationRow, ctx: CommandContext) -> None:
    if location.type not in MOVABLE_TYPES:
        raise ERR.MOVE_LOCATION_TYPE({"location": location.code, "type": location.type})
    if location.type in RESTRICTED_TYPES and not ctx.actor.roles & RESTRICTED_ROLES:
        raise ERR.LOCATION_RESTRICTED({"location": location.code, "type": location.type})


def _sscc_of(item: str, gs_placeholder: str, bare_sscc: bool) -> str:
    return read_scan(item, gs_placeholder, bare_sscc=bare_sscc).sscc


def _item_rows(
    conn: sqlite3.Connection,
    source: LocationRow,
    item: str,
    gs_placeholder: str,
    lot: str,
    customer: str,
) -> list[sqlite3.Row]:
    found = stock_for_item(conn, source.id, item, gs_placeholder, lot=lot, customer=customer)
    if not found:
        raise ERR.ITEM_NOT_ON_LOCATION({"item": item, "location": source.code})
    keys = [(r["customer_id"], r["sku_id"], r["lot"], r["expiry"]) for r in found]
    rows = conn.execute(f"{_SOURCE_SQL} ORDER BY b.expiry, b.lot", (source.id,)).fetchall()
    return [r for r in rows if (r["customer_id"], r["sku_id"], r["lot"], r["expiry"]) in keys]


def _carton_on_location(
    conn: sqlite3.Connection, source: LocationRow, sscc: str
) -> list[dict[str, Any]]:
    """A carton's contents as received, each found on this location in full."""
    contents = conn.execute(
        "SELECT r.sku_id, s.customer_id, r.lot, r.expiry, SUM(r.quantity) AS quantity "
        "FROM receipt_scans r JOIN skus s ON s.id = r.sku_id WHERE r.sscc = ? "
        "GROUP BY r.sku_id, r.lot, r.expiry",
        (sscc,),
    ).fetchall()
    if not contents:
        raise ERR.SSCC_NOT_FOUND({"sscc": sscc, "location": source.code})
    here = {
        (r["customer_id"], r["sku_id"], r["lot"], r["expiry"]): r
        for r in conn.execute(_SOURCE_SQL, (source.id,)).fetchall()
    }
    lines = []
    for c in contents:
        row = here.get((c["customer_id"], c["sku_id"], c["lot"], c["expiry"]))
        if row is None or row["quantity"] < c["quantity"]:
            raise ERR.ITEM_NOT_ON_LOCATION({"item": sscc, "sscc": sscc, "location": source.code})
        lines.append({**dict(row), "quantity": c["quantity"]})
    return lines


def _source_line(row: Any) -> SourceLine:
    quantity, reserved = int(row["quantity"]), int(row["reserved"])
    return SourceLine(
        customer=row["customer"],
        sku=row["sku"],
        sku_name=row["sku_name"],
        lot=row["lot"],
        expiry=row["expiry"],
        quantity=quantity,
        reserved=reserved,
        available=max(quantity - reserved, 0),
    )


def _moved(row: Any, quantity: int) -> MovedLine:
    return MovedLine(
        customer=row["customer"],
        sku=row["sku"],
        lot=row["lot"],
        expiry=row["expiry"],
        quantity=quantity,
    )


def _next_move_no(conn: sqlite3.Connection) -> str:
    """MV + the id the move's first movement will get: unique, and no counter to keep
    (movements are append-only and the one writer runs one command at a time)."""
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM movements").fetchone()[0]
    return f"MV{last + 1:08d}"
