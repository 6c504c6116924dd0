"""Stock lookup: a scanned location or item, answered with what is where, by customer."""

from __future__ import annotations

import sqlite3

import msgspec

from server.barcodes import gtin_candidates, read_scan
from server.error_codes import ERR
from server.ledger.schemas import StockRow

MAX_ROWS = 500

_STOCK_SELECT = """
SELECT l.code AS location, l.type AS location_type, l.zone, c.code AS customer,
       c.name AS customer_name, s.code AS sku, s.name AS sku_name, b.lot, b.expiry, b.quantity
FROM balances b
JOIN locations l ON l.id = b.location_id
JOIN customers c ON c.id = b.customer_id
JOIN skus s ON s.id = b.sku_id
"""


class StockLookup(msgspec.Struct):
    """What a scan resolved to, and the stock behind it."""

    scanned: str
    kind: str  # location | sku
    title: str
    rows: list[StockRow]
    total: int
    truncated: bool = False


def lookup_stock(conn: sqlite3.Connection, raw: str, gs_placeholder: str = "~") -> StockLookup:
    scan = read_scan(raw, gs_placeholder)
    location = _find_location(conn, scan.text)
    if location is not None:
        rows = conn.execute(
            f"{_STOCK_SELECT} WHERE b.location_id = ? ORDER BY c.code, s.code, b.expiry, b.lot LIMIT ?",
            (location["id"], MAX_ROWS + 1),
        ).fetchall()
        return _answer(scan.text, "location", f"{location['code']} ({location['zone']})", rows)
    sku_ids = _skus_for(conn, scan.gtin, scan.text)
    if not sku_ids:
        raise ERR.CODE_NOT_FOUND({"scanned": scan.text})
    marks = ",".join("?" * len(sku_ids))
    rows = conn.execute(
        f"{_STOCK_SELECT} WHERE b.sku_id IN ({marks}) "
        f"ORDER BY c.code, s.code, l.pick_sequence, l.code LIMIT ?",
        (*sku_ids, MAX_ROWS + 1),
    ).fetchall()
    names = conn.execute(
        f"SELECT s.code, s.name, c.code AS customer FROM skus s JOIN customers c ON c.id = s.customer_id "
        f"WHERE s.id IN ({marks}) ORDER BY c.code",
        sku_ids,
    ).fetchall()
    title = "; ".join(f"{n['customer']} {n['code']} {n['name']}" for n in names)
    return _answer(scan.gtin or scan.text, "sku", title, rows)


def _find_location(conn: sqlite3.Connection, code: str) -> sqlite3.Row | None:
    """A scanned label matches exactly; someone typing may not hold shift."""
    query = "SELECT id, code, zone, type FROM locations WHERE code = ?"
    found = conn.execute(query, (code,)).fetchone()
    if found is None and code != code.upper():
        found = conn.execute(query, (code.upper(),)).fetchone()
    return found


def _skus_for(conn: sqlite3.Connection, gtin: str, text: str) -> list[int]:
    codes = gtin_candidates(gtin) if gtin else [text]
    marks = ",".join("?" * len(codes))
    rows = conn.execute(
        f"SELECT DISTINCT sku_id FROM sku_barcodes WHERE barcode IN ({marks})", codes
    ).fetchall()
    if not rows:
        rows = conn.execute(
            "SELECT id FROM skus WHERE code IN (?, ?)", (text, text.upper())
        ).fetchall()
    return [r[0] for r in rows]


def _answer(scanned: str, kind: str, title: str, rows: list[sqlite3.Row]) -> StockLookup:
    stock = [msgspec.convert(dict(r), StockRow) for r in rows[:MAX_ROWS]]
    return StockLookup(
        scanned=scanned,
        kind=kind,
        title=title,
        rows=stock,
        total=sum(r.quantity for r in stock),
        truncated=len(rows) > MAX_ROWS,
    )
