"""The master data every slice looks up: a customer, SKU or location by the code people
scan or the id a document holds, as a typed row, or the registry's refusal.

Slices call these instead of writing their own `SELECT ... FROM skus` and raise: the
refusal's code, message and details are then the same wherever a scan names the record.
The options keep the differences the floor relies on: a scanned location may be typed in
lower case on a handheld; history (trace, the ledger's codes) still finds an inactive
location; orders take only active customers and SKUs.
"""

from __future__ import annotations

import sqlite3

from msgspec import Struct

from server.error_codes import ERR


class CustomerRow(Struct, frozen=True, kw_only=True):
    id: int
    code: str
    active: bool


class SkuRow(Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name: str
    customer_id: int
    customer: str  # the owner's code
    lot_tracked: bool
    expiry_tracked: bool
    active: bool


class LocationRow(Struct, frozen=True, kw_only=True):
    id: int
    code: str
    zone: str
    type: str
    capacity: int | None
    customer_id: int | None  # the customer a dedicated location is kept for
    customer: str  # that customer's code, empty when the location is shared
    active: bool


# -- customers ----------------------------------------------------------------------------


def customer_by_code(
    conn: sqlite3.Connection, code: str, *, active_only: bool = False
) -> CustomerRow:
    row = conn.execute(
        "SELECT id, code, active FROM customers WHERE code = ?"
        + (" AND active = 1" if active_only else ""),
        (code,),
    ).fetchone()
    if row is None:
        raise ERR.CUSTOMER_NOT_FOUND({"customer": code})
    return CustomerRow(id=row[0], code=row[1], active=bool(row[2]))


# -- SKUs ---------------------------------------------------------------------------------

_SKU_SELECT = (
    "SELECT s.id, s.code, s.name, s.customer_id, c.code, s.lot_tracked, s.expiry_tracked, "
    "s.active FROM skus s JOIN customers c ON c.id = s.customer_id"
)


def _sku_row(row: sqlite3.Row) -> SkuRow:
    return SkuRow(
        id=row[0],
        code=row[1],
        name=row[2],
        customer_id=row[3],
        customer=row[4],
        lot_tracked=bool(row[5]),
        expiry_tracked=bool(row[6]),
        active=bool(row[7]),
    )


def sku_by_id(conn: sqlite3.Connection, sku_id: int, *, active_only: bool = False) -> SkuRow:
    row = conn.execute(
        f"{_SKU_SELECT} WHERE s.id = ?" + (" AND s.active = 1" if active_only else ""), (sku_id,)
    ).fetchone()
    if row is None:
        raise ERR.SKU_NOT_FOUND({"sku": sku_id})
    return _sku_row(row)


def sku_of_customer(conn: sqlite3.Connection, customer: str, code: str) -> SkuRow:
    """The SKU `code` of the customer coded `customer`; an unknown customer has no SKU."""
    row = conn.execute(
        f"{_SKU_SELECT} WHERE c.code = ? AND s.code = ?", (customer, code)
    ).fetchone()
    if row is None:
        raise ERR.SKU_NOT_FOUND({"sku": code, "customer": customer})
    return _sku_row(row)


def sku_by_code(conn: sqlite3.Connection, code: str, customer: str | None = None) -> SkuRow:
    """The SKU coded `code`, of `customer` when given, else of whichever customer has one:
    two customers with that code need the customer named (SKU_AMBIGUOUS), and a customer
    that does not exist is named as such rather than as a missing SKU."""
    sql = f"{_SKU_SELECT} WHERE s.code = ?"
    rows = conn.execute(
        sql + (" AND c.code = ?" if customer else ""), (code, customer) if customer else (code,)
    ).fetchall()
    if not rows:
        if customer:
            customer_by_code(conn, customer)
        raise ERR.SKU_NOT_FOUND({"sku": code, "customer": customer or ""})
    if len(rows) > 1:
        raise ERR.SKU_AMBIGUOUS({"sku": code, "customers": sorted(r[4] for r in rows)})
    return _sku_row(rows[0])


# -- locations ----------------------------------------------------------------------------

_LOCATION_SELECT = (
    "SELECT l.id, l.code, l.zone, l.type, l.capacity, l.customer_id, COALESCE(c.code, ''), "
    "l.active FROM locations l LEFT JOIN customers c ON c.id = l.customer_id"
)


def _location_row(row: sqlite3.Row) -> LocationRow:
    return LocationRow(
        id=row[0],
        code=row[1],
        zone=row[2],
        type=row[3],
        capacity=row[4],
        customer_id=row[5],
        customer=row[6],
        active=bool(row[7]),
    )


def location_by_code(
    conn: sqlite3.Connection, code: str, *, active_only: bool = True, any_case: bool = False
) -> LocationRow:
    """The location coded `code`. `any_case`: a code typed in lower case on a handheld
    finds its location too (codes are stored upper case). `active_only=False` is for
    history, where a location closed since still names the goods that passed it."""
    where = "(l.code = ? OR l.code = ?)" if any_case else "l.code = ?"
    params = (code, code.upper()) if any_case else (code,)
    row = conn.execute(
        f"{_LOCATION_SELECT} WHERE {where}" + (" AND l.active = 1" if active_only else ""),
        params,
    ).fetchone()
    if row is None:
        raise ERR.LOCATION_NOT_FOUND({"location": code})
    return _location_row(row)


def location_by_id(
    conn: sqlite3.Connection, location_id: int, *, active_only: bool = True
) -> LocationRow:
    row = conn.execute(
        f"{_LOCATION_SELECT} WHERE l.id = ?" + (" AND l.active = 1" if active_only else ""),
        (location_id,),
    ).fetchone()
    if row is None:
        raise ERR.LOCATION_NOT_FOUND({"location": location_id})
    return _location_row(row)


def locations_in_zone(conn: sqlite3.Connection, zone: str) -> list[LocationRow]:
    """Every location of a zone, in use or not, in pick order then code."""
    rows = conn.execute(
        f"{_LOCATION_SELECT} WHERE l.zone = ? ORDER BY l.pick_sequence, l.code", (zone,)
    ).fetchall()
    return [_location_row(r) for r in rows]


def locations_between(conn: sqlite3.Connection, first: str, last: str) -> list[LocationRow]:
    """Every location whose code sorts from `first` to `last` (both included), by code."""
    rows = conn.execute(
        f"{_LOCATION_SELECT} WHERE l.code BETWEEN ? AND ? ORDER BY l.code",
        (first.upper(), last.upper()),
    ).fetchall()
    return [_location_row(r) for r in rows]
