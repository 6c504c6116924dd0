"""Master data rules: upsert customers, SKUs (with barcodes) and locations; bulk import.

An import checks every row first and reports every bad row with its line number; only a
clean file is written, in chunks of short transactions (ImportJob) so the floor's scans
go on meanwhile.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import msgspec

from server.barcodes import BarcodeError, check_barcode
from server.commands import CommandContext
from server.error_codes import ERR
from server.errors import InvalidInput
from server.imports import (
    RowProblem,
    csv_column,
    extra_cells_problem,
    problem_from,
    read_rows,
    reject,
)
from server.ledger.service import PARCEL_CODE_PREFIX, SYSTEM_MANAGED_TYPES, holds_stock
from server.masterdata.schemas import (
    Customer,
    CustomerIn,
    ImportSummary,
    Location,
    LocationIn,
    Sku,
    SkuIn,
)

IMPORT_KINDS: dict[str, type[msgspec.Struct]] = {
    "customers": CustomerIn,
    "skus": SkuIn,
    "locations": LocationIn,
}
Progress = Callable[[int], None]


# -- single records -------------------------------------------------------------------


def upsert_customer(conn: sqlite3.Connection, ctx: CommandContext, c: CustomerIn) -> Customer:
    _write_customers(conn, [c])
    ctx.audit_target = f"customer:{c.code}"
    return get_customer(conn, c.code)


def upsert_sku(conn: sqlite3.Connection, ctx: CommandContext, s: SkuIn) -> Sku:
    problems = _sku_problems(s)
    if problems:
        field_name, message, reason = problems[0]
        if field_name == "shelf_life_days":
            raise ERR.SHELF_LIFE_REQUIRED({"field": field_name})
        raise ERR.BARCODE_INVALID({"field": field_name, "reason": reason}, problem=message)
    _write_skus(conn, [s], _customer_ids(conn))
    ctx.audit_target = f"sku:{s.customer}/{s.code}"
    return get_sku(conn, s.customer, s.code)


def upsert_location(conn: sqlite3.Connection, ctx: CommandContext, loc: LocationIn) -> Location:
    _write_locations(conn, [loc], _customer_ids(conn))
    ctx.audit_target = f"location:{loc.code}"
    return get_location(conn, loc.code)


def add_parcel_location(conn: sqlite3.Connection, waybill_no: str) -> int:
    """The location a packed parcel is (`PCL-<waybill>`): packing makes one per parcel, so
    the ledger follows the goods into it and onto the truck. Returns its id."""
    row = conn.execute(
        "INSERT INTO locations (code, zone, type) VALUES (?, 'PARCEL', 'parcel') RETURNING id",
        (f"{PARCEL_CODE_PREFIX}{waybill_no}",),
    ).fetchone()
    return int(row[0])


def sku_code(conn: sqlite3.Connection, sku_id: int) -> str:
    """The code people and the OMS know a SKU by, for its row id."""
    row = conn.execute("SELECT code FROM skus WHERE id = ?", (sku_id,)).fetchone()
    return str(row["code"]) if row else ""


def get_customer(conn: sqlite3.Connection, code: str) -> Customer:
    row = conn.execute("SELECT * FROM customers WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise ERR.CUSTOMER_NOT_FOUND(customer=code)
    return msgspec.convert(dict(row), Customer, strict=False)


def list_customers(conn: sqlite3.Connection) -> list[Customer]:
    rows = conn.execute("SELECT * FROM customers ORDER BY code").fetchall()
    return [msgspec.convert(dict(r), Customer, strict=False) for r in rows]


_SKU_SELECT = (
    "SELECT s.*, c.code AS customer, "
    "(SELECT json_group_array(barcode) FROM sku_barcodes b WHERE b.sku_id = s.id) AS barcodes "
    "FROM skus s JOIN customers c ON c.id = s.customer_id"
)


def _sku_from_row(row: sqlite3.Row) -> Sku:
    data = dict(row)
    data["barcodes"] = sorted(msgspec.json.decode(data["barcodes"]))
    del data["customer_id"]
    return msgspec.convert(data, Sku, strict=False)


def get_sku(conn: sqlite3.Connection, customer: str, code: str) -> Sku:
    row = conn.execute(
        f"{_SKU_SELECT} WHERE c.code = ? AND s.code = ?", (customer, code)
    ).fetchone()
    if row is None:
        raise ERR.SKU_NOT_FOUND(sku=code)
    return _sku_from_row(row)


def list_skus(
    conn: sqlite3.Connection,
    *,
    customer: str | None = None,
    search: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[Sku]:
    where, params = ["1 = 1"], []
    if customer:
        where.append("c.code = ?")
        params.append(customer)
    if search:
        where.append("(s.code LIKE ? ESCAPE '\\' OR s.name LIKE ? ESCAPE '\\')")
        params += [f"{_like_literal(search)}%", f"%{_like_literal(search)}%"]
    rows = conn.execute(
        f"{_SKU_SELECT} WHERE {' AND '.join(where)} ORDER BY c.code, s.code LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [_sku_from_row(r) for r in rows]


def _like_literal(text: str) -> str:
    """Text for a LIKE pattern, its wildcards taken literally ('%' finds a '%')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_LOCATION_SELECT = (
    "SELECT l.id, l.code, l.zone, l.type, l.pick_sequence, l.capacity, l.active, "
    "c.code AS customer FROM locations l LEFT JOIN customers c ON c.id = l.customer_id"
)


def get_location(conn: sqlite3.Connection, code: str) -> Location:
    row = conn.execute(f"{_LOCATION_SELECT} WHERE l.code = ?", (code,)).fetchone()
    if row is None:
        raise ERR.LOCATION_NOT_FOUND(location=code)
    return msgspec.convert(dict(row), Location, strict=False)


def list_locations(
    conn: sqlite3.Connection,
    *,
    zone: str | None = None,
    prefix: str = "",
    limit: int = 100,
    offset: int = 0,
) -> list[Location]:
    where, params = ["1 = 1"], []
    if zone:
        where.append("l.zone = ?")
        params.append(zone)
    if prefix:
        where.append("l.code LIKE ? ESCAPE '\\'")
        params.append(f"{_like_literal(prefix)}%")
    rows = conn.execute(
        f"{_LOCATION_SELECT} WHERE {' AND '.join(where)} ORDER BY l.code LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [msgspec.convert(dict(r), Location, strict=False) for r in rows]


# -- bulk import ----------------------------------------------------------------------


class ParsedImport(msgspec.Struct):
    kind: str
    rows: list[Any]
    lines: list[int]


def parse_import(
    kind: str, body: bytes, fmt: str, known_customers: set[str], progress: Progress | None = None
) -> ParsedImport:
    """Parse and check every row; raise ImportRejected listing every bad one."""
    if kind not in IMPORT_KINDS:
        raise ERR.IMPORT_KIND_UNKNOWN(kind=kind, kinds=", ".join(IMPORT_KINDS))
    struct_type = IMPORT_KINDS[kind]
    rows: list[Any] = []
    lines: list[int] = []
    problems: list[RowProblem] = []
    known = tuple(struct_type.__struct_fields__)
    for line, raw in read_rows(
        body, fmt, list_columns=("barcodes",), known_columns=known, kind=kind
    ):
        if fmt == "csv" and (extra := extra_cells_problem(line, raw)):
            problems += extra
            raw = {k: v for k, v in raw.items() if k != extra[0].field}
        try:
            item = msgspec.convert(raw, struct_type, strict=fmt == "json")
        except msgspec.ValidationError as err:
            problems.append(problem_from(line, err, csv_column if fmt == "csv" else str))
        else:
            rows.append(item)
            lines.append(line)
            problems += _reference_problems(kind, line, item, known_customers)
            if isinstance(item, SkuIn):
                problems += [RowProblem(line, f, m) for f, m, _ in _sku_problems(item)]
        if progress:
            progress(1)
    problems += _duplicate_problems(kind, rows, lines)
    if not rows and not problems:
        raise ERR.IMPORT_EMPTY(kind=kind)
    if problems:
        reject(kind, problems)
    return ParsedImport(kind, rows, lines)


IMPORT_BATCH_ROWS = 100
"""Rows written per statement batch; a chunk writes batches until its time is up."""


def check_import_against_site(conn: sqlite3.Connection, parsed: ParsedImport) -> None:
    """What the site can refuse in a checked file, on a read snapshot before any write:
    every barcode that belongs to a SKU outside the file, by line (nothing is written)."""
    if parsed.kind == "skus":
        in_file = _keys_in_file(parsed)
        problems = _barcodes_taken_problems(conn, parsed.rows, parsed.lines, in_file)
        if problems:
            reject(parsed.kind, problems)


class ImportJob:
    """A checked import written in chunks (server/chunked.py), `IMPORT_BATCH_ROWS` rows at a
    time in file order; every row is a whole upsert (a SKU with all its barcodes).

    Every row was checked before the job began (parse_import, check_import_against_site),
    so a clean file goes in whole. A chunk can still be refused by a change made on the
    floor while the import ran (a location that received stock, a barcode given to another
    SKU): then the chunks before it stay written, the refusal names the row and says how
    many rows are in (`details.job.done`). The caller fixes the site and sends the same
    file with the same key (the job resumes at the refused row), or fixes the file and
    sends it with a new key (the rows already in come back `unchanged`).
    """

    def __init__(self, parsed: ParsedImport) -> None:
        self.parsed = parsed
        self._in_file: set[tuple[str, ...]] | None = None

    def begin(self, conn: sqlite3.Connection, ctx: CommandContext) -> dict[str, Any]:
        return {
            "done": 0,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "audit_target": f"import:{self.parsed.kind}",
        }

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return state["done"], len(self.parsed.rows)

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        total = len(self.parsed.rows)
        while state["done"] < total:
            end = min(state["done"] + IMPORT_BATCH_ROWS, total)
            created, unchanged = self._write_batch(conn, state["done"], end)
            state["created"] += created
            state["unchanged"] += unchanged
            state["updated"] += end - state["done"] - created - unchanged
            state["done"] = end
            if time.perf_counter() >= deadline:
                break
        return state["done"] >= total

    def finish(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any]
    ) -> ImportSummary:
        return ImportSummary(
            kind=self.parsed.kind,
            rows=len(self.parsed.rows),
            created=state["created"],
            updated=state["updated"],
            unchanged=state["unchanged"],
        )

    def _write_batch(self, conn: sqlite3.Connection, start: int, end: int) -> tuple[int, int]:
        """Write rows [start, end); (created, unchanged) among them."""
        kind = self.parsed.kind
        rows, lines = self.parsed.rows[start:end], self.parsed.lines[start:end]
        customers = _customer_ids(conn)
        problems = [
            p
            for line, row in zip(lines, rows, strict=True)
            for p in _reference_problems(kind, line, row, set(customers))
        ]
        if kind == "skus":
            problems += _barcodes_taken_problems(conn, rows, lines, self.in_file)
        if problems:
            reject(kind, problems)
        keys = [_natural_key(kind, r) for r in rows]
        before = _stored_rows(conn, kind, keys)
        if kind == "customers":
            _write_customers(conn, rows)
        elif kind == "skus":
            _write_skus(conn, rows, customers, in_file=self.in_file)
        else:
            _write_locations(conn, rows, customers)
        # Only a row that was stored before can have come back unchanged.
        after = _stored_rows(conn, kind, list(before)) if before else {}
        created = sum(1 for key in keys if key not in before)
        unchanged = sum(1 for key in before if before[key] == after[key])
        return created, unchanged

    @property
    def in_file(self) -> set[tuple[str, ...]]:
        if self._in_file is None:
            self._in_file = _keys_in_file(self.parsed)
        return self._in_file


def write_import(
    conn: sqlite3.Connection, ctx: CommandContext, parsed: ParsedImport
) -> ImportSummary:
    """A checked import in the caller's one transaction (the demo's small files)."""
    check_import_against_site(conn, parsed)
    job = ImportJob(parsed)
    state = job.begin(conn, ctx)
    job.step(conn, ctx, state, deadline=math.inf)
    ctx.audit_target = state["audit_target"]
    return job.finish(conn, ctx, state)


def _keys_in_file(parsed: ParsedImport) -> set[tuple[str, ...]]:
    return {_natural_key(parsed.kind, row) for row in parsed.rows}


def _reference_problems(kind: str, line: int, row: Any, customers: set[str]) -> list[RowProblem]:
    ref = getattr(row, "customer", None) if kind in ("skus", "locations") else None
    if ref is not None and ref not in customers:
        return [RowProblem(line, "customer", f"no customer {ref}")]
    return []


def customer_codes(conn: sqlite3.Connection) -> set[str]:
    return set(_customer_ids(conn))


def _sku_problems(s: SkuIn) -> list[tuple[str, str, str]]:
    """(field, message, reason) of each rule the SKU breaks, the same on every route."""
    problems = []
    for barcode in s.barcodes:
        try:
            check_barcode(barcode)
        except BarcodeError as err:
            problems.append(("barcodes", f"{barcode}: {err}", err.reason))
    if s.expiry_tracked and s.shelf_life_days is None:
        problems.append(("shelf_life_days", "an expiry-tracked SKU needs its shelf life", ""))
    return problems


def _natural_key(kind: str, row: Any) -> tuple[str, ...]:
    return (row.customer, row.code) if kind == "skus" else (row.code,)


def _duplicate_problems(kind: str, rows: list[Any], lines: list[int]) -> list[RowProblem]:
    seen: dict[tuple[str, ...], int] = {}
    barcodes: dict[tuple[str, str], int] = {}
    problems = []
    for line, row in zip(lines, rows, strict=False):
        key = _natural_key(kind, row)
        if key in seen:
            problems.append(
                RowProblem(line, "code", f"{'/'.join(key)} is also on line {seen[key]}")
            )
        seen.setdefault(key, line)
        for barcode in getattr(row, "barcodes", []):
            other = barcodes.setdefault((row.customer, barcode), line)
            if other != line:
                problems.append(RowProblem(line, "barcodes", f"{barcode} is also on line {other}"))
    return problems


def _stored_rows(
    conn: sqlite3.Connection, kind: str, keys: list[tuple[str, ...]]
) -> dict[tuple[str, ...], Any]:
    """The stored rows of these natural keys as they read back: an import compares the rows
    before and after its write, so a row that came back the same is "unchanged"."""
    codes = sorted({key[-1] for key in keys})
    if not codes:
        return {}
    marks = ", ".join("?" * len(codes))
    if kind == "customers":
        found: list[Any] = [
            msgspec.convert(dict(r), Customer, strict=False)
            for r in conn.execute(f"SELECT * FROM customers WHERE code IN ({marks})", codes)
        ]
    elif kind == "skus":
        found = [
            _sku_from_row(r)
            for r in conn.execute(f"{_SKU_SELECT} WHERE s.code IN ({marks})", codes)
        ]
    else:
        found = [
            msgspec.convert(dict(r), Location, strict=False)
            for r in conn.execute(f"{_LOCATION_SELECT} WHERE l.code IN ({marks})", codes)
        ]
    wanted = set(keys)
    return {key: r for r in found if (key := _natural_key(kind, r)) in wanted}


def _customer_ids(conn: sqlite3.Connection) -> dict[str, int]:
    return {r["code"]: r["id"] for r in conn.execute("SELECT id, code FROM customers")}


def _customer_id(customers: dict[str, int], code: str) -> int:
    if code not in customers:
        raise ERR.CUSTOMER_NOT_FOUND(customer=code)
    return customers[code]


def _write_customers(conn: sqlite3.Connection, rows: list[CustomerIn]) -> None:
    conn.executemany(
        "INSERT INTO customers (code, name, customs_book_no, min_shelf_life_days, active) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
        "customs_book_no = excluded.customs_book_no, "
        "min_shelf_life_days = excluded.min_shelf_life_days, active = excluded.active",
        [(c.code, c.name, c.customs_book_no, c.min_shelf_life_days, int(c.active)) for c in rows],
    )


def _barcodes_taken_problems(
    conn: sqlite3.Connection, rows: list[Any], lines: list[int], in_file: set[tuple[str, ...]]
) -> list[RowProblem]:
    """Barcodes the file gives to a SKU that already belong to another SKU not in the file."""
    owners = _barcode_owners(conn, sorted({b for row in rows for b in row.barcodes}))
    problems = []
    for line, row in zip(lines, rows, strict=True):
        for barcode in row.barcodes:
            owner = owners.get((row.customer, barcode))
            if owner is not None and owner != row.code and (row.customer, owner) not in in_file:
                problems.append(RowProblem(line, "barcodes", f"{barcode} belongs to SKU {owner}"))
    return problems


def _barcode_owners(conn: sqlite3.Connection, barcodes: list[str]) -> dict[tuple[str, str], str]:
    """(customer, barcode) -> the code of the SKU holding it, for these barcodes."""
    owners = {}
    for start in range(0, len(barcodes), IMPORT_BATCH_ROWS):
        part = barcodes[start : start + IMPORT_BATCH_ROWS]
        for r in conn.execute(
            "SELECT c.code AS customer, b.barcode, s.code AS sku FROM sku_barcodes b "
            "JOIN skus s ON s.id = b.sku_id JOIN customers c ON c.id = b.customer_id "
            f"WHERE b.barcode IN ({', '.join('?' * len(part))})",
            part,
        ):
            owners[(r["customer"], r["barcode"])] = r["sku"]
    return owners


def _write_skus(
    conn: sqlite3.Connection,
    rows: list[SkuIn],
    customers: dict[str, int],
    *,
    in_file: set[tuple[str, ...]] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Upsert the SKUs, then give each exactly its listed barcodes.

    A barcode held by another SKU of the same file moves: the file lists it on one line
    only, so taking it from the other SKU is the file's end state, whichever line comes
    first (an import writes its rows in chunks).
    """
    placed: list[tuple[SkuIn, int, int]] = []
    for s in rows:
        customer_id = _customer_id(customers, s.customer)
        sku_id = conn.execute(
            "INSERT INTO skus (customer_id, code, name, unit, weight_g, customs_record_no, hs_code, "
            "lot_tracked, expiry_tracked, shelf_life_days, active, length_mm, width_mm, "
            "height_mm, units_per_pallet) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (customer_id, code) DO UPDATE SET "
            "name = excluded.name, unit = excluded.unit, weight_g = excluded.weight_g, "
            "length_mm = excluded.length_mm, width_mm = excluded.width_mm, "
            "height_mm = excluded.height_mm, units_per_pallet = excluded.units_per_pallet, "
            "customs_record_no = excluded.customs_record_no, hs_code = excluded.hs_code, "
            "lot_tracked = excluded.lot_tracked, expiry_tracked = excluded.expiry_tracked, "
            "shelf_life_days = excluded.shelf_life_days, active = excluded.active RETURNING id",
            (
                customer_id,
                s.code,
                s.name,
                s.unit,
                s.weight_g,
                s.customs_record_no,
                s.hs_code,
                int(s.lot_tracked or s.expiry_tracked),
                int(s.expiry_tracked),
                s.shelf_life_days,
                int(s.active),
                s.length_mm,
                s.width_mm,
                s.height_mm,
                s.units_per_pallet,
            ),
        ).fetchone()[0]
        placed.append((s, customer_id, sku_id))
    conn.executemany(
        "DELETE FROM sku_barcodes WHERE sku_id = ?", [(sku_id,) for *_, sku_id in placed]
    )
    for s, customer_id, sku_id in placed:
        for barcode in s.barcodes:
            taken = conn.execute(
                "SELECT s.code FROM sku_barcodes b JOIN skus s ON s.id = b.sku_id "
                "WHERE b.customer_id = ? AND b.barcode = ?",
                (customer_id, barcode),
            ).fetchone()
            if taken is not None and (s.customer, taken[0]) in in_file:
                conn.execute(
                    "DELETE FROM sku_barcodes WHERE customer_id = ? AND barcode = ?",
                    (customer_id, barcode),
                )
            elif taken is not None:
                raise ERR.BARCODE_IN_USE({"barcode": barcode, "sku": taken[0]}, customer=s.customer)
            conn.execute(
                "INSERT INTO sku_barcodes (customer_id, barcode, sku_id) VALUES (?, ?, ?)",
                (customer_id, barcode, sku_id),
            )


def _write_locations(
    conn: sqlite3.Connection, rows: list[LocationIn], customers: dict[str, int]
) -> None:
    existing = _existing_location_codes(conn, [loc.code for loc in rows])
    for loc in rows:
        if loc.code not in existing:
            continue  # a new location holds no goods
        if loc.type in ("storage", "pick_face"):
            owners = conn.execute(
                "SELECT COUNT(DISTINCT b.customer_id) FROM balances b "
                "JOIN locations l ON l.id = b.location_id WHERE l.code = ?",
                (loc.code,),
            ).fetchone()[0]
            if owners > 1:
                raise ERR.LOCATION_OTHER_CUSTOMER.answered_as(InvalidInput, {"location": loc.code})
        if loc.customer is None:
            continue
        other = conn.execute(
            "SELECT c.code FROM balances b JOIN locations l ON l.id = b.location_id "
            "JOIN customers c ON c.id = b.customer_id WHERE l.code = ? AND c.code != ? LIMIT 1",
            (loc.code, loc.customer),
        ).fetchone()
        if other is not None:
            raise ERR.LOCATION_OTHER_CUSTOMER.answered_as(InvalidInput, {"location": loc.code})
    for loc in rows:
        _check_location_change(conn, loc, customers, stored=loc.code in existing)
    conn.executemany(
        "INSERT INTO locations (code, zone, type, pick_sequence, capacity, customer_id, active) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET zone = excluded.zone, "
        "type = excluded.type, pick_sequence = excluded.pick_sequence, capacity = excluded.capacity, "
        "customer_id = excluded.customer_id, active = excluded.active",
        [
            (
                loc.code,
                loc.zone,
                loc.type,
                loc.pick_sequence,
                loc.capacity,
                _customer_id(customers, loc.customer) if loc.customer else None,
                int(loc.active),
            )
            for loc in rows
        ],
    )


def _existing_location_codes(conn: sqlite3.Connection, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), IMPORT_BATCH_ROWS):
        part = codes[start : start + IMPORT_BATCH_ROWS]
        marks = ", ".join("?" * len(part))
        found.update(
            r[0] for r in conn.execute(f"SELECT code FROM locations WHERE code IN ({marks})", part)
        )
    return found


def _check_location_change(
    conn: sqlite3.Connection, loc: LocationIn, customers: dict[str, int], *, stored: bool = True
) -> None:
    """Master data describes places; it never moves goods by renaming what holds them.

    A location's type, customer or zone changes only while it is empty and not
    system-managed; nothing becomes or stops being a tote, pack station or lane once it
    exists; the parcel namespace belongs to packing.
    """
    if loc.code.upper().startswith(PARCEL_CODE_PREFIX):
        raise ERR.LOCATION_CODE_RESERVED({"location": loc.code, "prefix": PARCEL_CODE_PREFIX})
    if not stored:
        return
    old = conn.execute(
        "SELECT id, code, type, zone, customer_id, active FROM locations WHERE code = ?",
        (loc.code,),
    ).fetchone()
    if old is None:
        return
    customer_id = _customer_id(customers, loc.customer) if loc.customer else None
    changed = [
        name
        for name, before, after in (
            ("type", old["type"], loc.type),
            ("zone", old["zone"], loc.zone),
            ("customer", old["customer_id"], customer_id),
        )
        if before != after
    ]
    details = {"location": loc.code, "type": old["type"], "changed": changed}
    if changed and (old["type"] in SYSTEM_MANAGED_TYPES or loc.type in SYSTEM_MANAGED_TYPES):
        raise ERR.LOCATION_SYSTEM_MANAGED(details, location=loc.code)
    holds = holds_stock(conn, old["id"])
    if holds and (changed or (old["active"] and not loc.active)):
        raise ERR.LOCATION_NOT_EMPTY(details, what=", ".join(changed) or "active flag")
