"""Stock reconciliation with the OMS: the customs book is kept per customer, and a
difference between the floor and the book is a compliance risk.

A snapshot is the building's stock per customer / SKU (customs record no) / lot / expiry as
it stood right after one event of the journal: today's balances minus what the `stock.*`
events after that point changed. Every movement appends its event in the same transaction
as its balance change, so one read snapshot of both gives an exact answer. Stock leaves the
building only by `ship`; moves inside it change no customer's total.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterable

import msgspec

from server.commands import CommandContext, append_event, utc_now
from server.error_codes import ERR
from server.imports import MAX_REPORTED_PROBLEMS
from server.masterdata.lookups import customer_by_code
from server.reconcile.schemas import (
    CustomerTotal,
    Difference,
    DifferenceKind,
    LineProblem,
    OmsLine,
    ReconciliationFinished,
    ReconciliationIn,
    ReconciliationReport,
    SnapshotLine,
    SnapshotTotals,
    StockSnapshot,
)

CSV_COLUMNS = (
    "customer",
    "sku",
    "customs_record_no",
    "lot",
    "floor_quantity",
    "oms_quantity",
    "difference",
    "kind",
)

# Per stock key: today's quantity over all locations, minus the net effect of each later
# stock event (+quantity into a location, -quantity out of one; a transfer nets to zero).
_QUANTITIES_AS_OF = """
    SELECT c.code AS customer, c.customs_book_no, s.code AS sku, s.name AS sku_name,
           s.customs_record_no, q.customer_id, q.sku_id, q.lot, q.expiry, q.quantity
    FROM (
        SELECT customer_id, sku_id, lot, expiry, SUM(quantity) AS quantity FROM (
            SELECT customer_id, sku_id, lot, expiry, quantity FROM balances
             WHERE :customer_id IS NULL OR customer_id = :customer_id
            UNION ALL
            SELECT customer_id, sku_id, lot, expiry, -quantity * (
                       (to_location_id IS NOT NULL) - (from_location_id IS NOT NULL))
              FROM (
                SELECT json_extract(payload, '$.customer_id') AS customer_id,
                       json_extract(payload, '$.sku_id') AS sku_id,
                       json_extract(payload, '$.lot') AS lot,
                       json_extract(payload, '$.expiry') AS expiry,
                       json_extract(payload, '$.quantity') AS quantity,
                       json_extract(payload, '$.from_location_id') AS from_location_id,
                       json_extract(payload, '$.to_location_id') AS to_location_id
                  FROM events WHERE seq > :as_of_seq AND type GLOB 'stock.*'
              )
             WHERE :customer_id IS NULL OR customer_id = :customer_id
        )
        GROUP BY customer_id, sku_id, lot, expiry
        HAVING SUM(quantity) != 0
    ) q
    JOIN customers c ON c.id = q.customer_id
    JOIN skus s ON s.id = q.sku_id
    ORDER BY c.code, s.code, q.lot, q.expiry
"""


def latest_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])


def checked_as_of(conn: sqlite3.Connection, as_of_seq: int | None) -> int:
    """The journal point asked for, or its end; a point past the end has not happened yet."""
    latest = latest_seq(conn)
    if as_of_seq is None:
        return latest
    if as_of_seq > latest:
        raise ERR.SEQ_BEYOND_JOURNAL({"as_of_seq": as_of_seq, "latest_seq": latest})
    return as_of_seq


def stock_as_of(
    conn: sqlite3.Connection, as_of_seq: int, customer_id: int | None = None
) -> list[sqlite3.Row]:
    """Quantity per customer / SKU / lot / expiry right after event `as_of_seq`."""
    return conn.execute(
        _QUANTITIES_AS_OF, {"as_of_seq": as_of_seq, "customer_id": customer_id}
    ).fetchall()


def stock_snapshot(
    conn: sqlite3.Connection, *, as_of_seq: int | None = None, customer: str | None = None
) -> StockSnapshot:
    """Run inside one read snapshot, so the balances and the journal agree."""
    customer_id = customer_by_code(conn, customer).id if customer is not None else None
    as_of = checked_as_of(conn, as_of_seq)
    rows = stock_as_of(conn, as_of, customer_id)
    lines = [
        SnapshotLine(
            customer=r["customer"],
            sku=r["sku"],
            sku_name=r["sku_name"],
            customs_record_no=r["customs_record_no"],
            lot=r["lot"],
            expiry=r["expiry"],
            quantity=r["quantity"],
        )
        for r in rows
    ]
    by_customer: dict[str, CustomerTotal] = {}
    for r in rows:
        total = by_customer.setdefault(
            r["customer"],
            CustomerTotal(
                customer=r["customer"], customs_book_no=r["customs_book_no"], lines=0, quantity=0
            ),
        )
        total.lines += 1
        total.quantity += r["quantity"]
    return StockSnapshot(
        as_of_seq=as_of,
        as_of_at=_event_time(conn, as_of),
        taken_at=utc_now(),
        customer=customer,
        lines=lines,
        totals=SnapshotTotals(
            lines=len(lines),
            quantity=sum(line.quantity for line in lines),
            by_customer=list(by_customer.values()),
        ),
    )


def reconcile(
    conn: sqlite3.Connection, ctx: CommandContext, request: ReconciliationIn
) -> ReconciliationReport:
    """Compare the OMS's book with the floor's stock at `as_of_seq`; store the report."""
    as_of = checked_as_of(conn, request.as_of_seq)
    scope, oms, skus = _checked_lines(conn, request)

    floor: dict[tuple[int, int, str], int] = {}
    for r in stock_as_of(conn, as_of, scope):
        key = (r["customer_id"], r["sku_id"], r["lot"])
        floor[key] = floor.get(key, 0) + r["quantity"]  # a lot's expiries together
        skus.setdefault(r["sku_id"], (r["customer"], r["sku"], r["customs_record_no"]))

    matched = 0
    differences: list[Difference] = []
    for key in sorted(floor.keys() | oms.keys(), key=lambda k: (*skus[k[1]][:2], k[2])):
        floor_quantity, oms_quantity = floor.get(key, 0), oms.get(key)
        if floor_quantity == oms_quantity:
            matched += 1
            continue
        customer, sku, customs_record_no = skus[key[1]]
        differences.append(
            Difference(
                customer=customer,
                sku=sku,
                customs_record_no=customs_record_no,
                lot=key[2],
                floor_quantity=floor_quantity,
                oms_quantity=oms_quantity or 0,
                difference=floor_quantity - (oms_quantity or 0),
                kind=_difference_kind(floor_quantity, oms_quantity),
            )
        )

    cur = conn.execute(
        "INSERT INTO reconciliations (reference, customer_id, as_of_seq, oms_line_count, "
        "matched, difference_count, created_by, created_at, command_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            request.reference,
            scope,
            as_of,
            len(request.lines),
            matched,
            len(differences),
            ctx.actor.code,
            ctx.at,
            ctx.key,
        ),
    )
    report_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO reconciliation_differences (reconciliation_id, position, customer, sku, "
        "customs_record_no, lot, floor_quantity, oms_quantity, difference, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (report_id, position, *(getattr(d, f) for f in CSV_COLUMNS))
            for position, d in enumerate(differences, start=1)
        ],
    )
    ctx.audit_target = f"reconciliation:{report_id}"
    append_event(
        conn,
        ctx,
        "reconciliation.finished",
        ReconciliationFinished(
            id=report_id,
            reference=request.reference,
            customer=request.customer,
            as_of_seq=as_of,
            matched=matched,
            difference_count=len(differences),
        ),
    )
    return ReconciliationReport(
        id=report_id,
        reference=request.reference,
        customer=request.customer,
        as_of_seq=as_of,
        created_at=ctx.at,
        created_by=ctx.actor.code,
        oms_line_count=len(request.lines),
        matched=matched,
        differences=differences,
    )


def get_reconciliation(conn: sqlite3.Connection, reconciliation_id: int) -> ReconciliationReport:
    row = conn.execute(
        "SELECT r.*, c.code AS customer FROM reconciliations r "
        "LEFT JOIN customers c ON c.id = r.customer_id WHERE r.id = ?",
        (reconciliation_id,),
    ).fetchone()
    if row is None:
        raise ERR.RECONCILIATION_NOT_FOUND({"id": reconciliation_id})
    differences = conn.execute(
        f"SELECT {', '.join(CSV_COLUMNS)} FROM reconciliation_differences "
        "WHERE reconciliation_id = ? ORDER BY position",
        (reconciliation_id,),
    ).fetchall()
    return ReconciliationReport(
        id=row["id"],
        reference=row["reference"],
        customer=row["customer"],
        as_of_seq=row["as_of_seq"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        oms_line_count=row["oms_line_count"],
        matched=row["matched"],
        differences=[msgspec.convert(dict(d), Difference) for d in differences],
    )


def report_csv(report: ReconciliationReport) -> str:
    """The differences as a spreadsheet opens them (UTF-8 with BOM, one row each)."""
    out = io.StringIO()
    out.write("\ufeff")  # Excel in a zh-CN locale reads UTF-8 only with a BOM
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for d in report.differences:
        writer.writerow(
            [
                _cell(d.customer),
                _cell(d.sku),
                _cell(d.customs_record_no),
                _cell(d.lot),
                d.floor_quantity,
                d.oms_quantity,
                d.difference,
                d.kind,
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    # A lot from the OMS is free text: never let a spreadsheet run it as a formula.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _difference_kind(floor_quantity: int, oms_quantity: int | None) -> DifferenceKind:
    if oms_quantity is None:
        return "missing_in_oms"
    if floor_quantity == 0:
        return "missing_on_floor"
    return "floor_more" if floor_quantity > oms_quantity else "oms_more"


def _checked_lines(
    conn: sqlite3.Connection, request: ReconciliationIn
) -> tuple[int | None, dict[tuple[int, int, str], int], dict[int, tuple[str, str, str]]]:
    """The OMS's lines keyed by ids, or every problem with them at once (nothing stored)."""
    problems: list[LineProblem] = []
    customers = {
        r["code"]: r["id"] for r in conn.execute("SELECT id, code FROM customers").fetchall()
    }
    scope: int | None = None
    if request.customer is not None:
        scope = customers.get(request.customer)
        if scope is None:
            problems.append(
                LineProblem(
                    line=0,
                    field="customer",
                    code=ERR.CUSTOMER_NOT_FOUND.code,
                    message=f"no customer {request.customer}",
                )
            )
    named = {customers[x.customer] for x in request.lines if x.customer in customers}
    sku_ids = _sku_ids(conn, named)
    oms: dict[tuple[int, int, str], int] = {}
    first_line: dict[tuple[str, str, str], int] = {}
    skus: dict[int, tuple[str, str, str]] = {}
    for number, line in enumerate(request.lines, start=1):
        problems += _line_problems(number, line, request.customer, customers, sku_ids)
        seen = first_line.setdefault((line.customer, line.sku, line.lot), number)
        if seen != number:
            problems.append(
                LineProblem(
                    line=number,
                    field="",
                    code=ERR.DUPLICATE_LINE.code,
                    message=f"same customer, SKU and lot as line {seen}",
                )
            )
        sku = sku_ids.get((line.customer, line.sku))
        if sku is not None:
            oms[(customers[line.customer], sku[0], line.lot)] = line.quantity
            skus[sku[0]] = (line.customer, line.sku, sku[1])
    if problems:
        raise ERR.RECONCILIATION_REJECTED(
            {
                "problems": [msgspec.to_builtins(p) for p in problems[:MAX_REPORTED_PROBLEMS]],
                "problem_count": len(problems),
            }
        )
    return scope, oms, skus


def _line_problems(
    number: int,
    line: OmsLine,
    scope: str | None,
    customers: dict[str, int],
    sku_ids: dict[tuple[str, str], tuple[int, str]],
) -> Iterable[LineProblem]:
    if line.customer not in customers:
        yield LineProblem(
            line=number,
            field="customer",
            code=ERR.CUSTOMER_NOT_FOUND.code,
            message=f"no customer {line.customer}",
        )
    elif scope is not None and line.customer != scope:
        yield LineProblem(
            line=number,
            field="customer",
            code=ERR.OTHER_CUSTOMER.code,
            message=f"this reconciliation is for {scope} only",
        )
    elif (line.customer, line.sku) not in sku_ids:
        yield LineProblem(
            line=number,
            field="sku",
            code=ERR.SKU_NOT_FOUND.code,
            message=f"no SKU {line.sku} for {line.customer}",
        )
    if line.quantity < 0:
        yield LineProblem(
            line=number,
            field="quantity",
            code=ERR.QUANTITY_NEGATIVE.code,
            message=f"a book cannot hold {line.quantity}",
        )


def _sku_ids(
    conn: sqlite3.Connection, customer_ids: set[int]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(customer code, SKU code) -> (SKU id, customs record no) of the customers named."""
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for customer_id in customer_ids:
        for r in conn.execute(
            "SELECT s.id, s.code, s.customs_record_no, c.code AS customer FROM skus s "
            "JOIN customers c ON c.id = s.customer_id WHERE s.customer_id = ?",
            (customer_id,),
        ):
            found[(r["customer"], r["code"])] = (r["id"], r["customs_record_no"])
    return found


def _event_time(conn: sqlite3.Connection, seq: int) -> str:
    row = conn.execute("SELECT at FROM events WHERE seq = ?", (seq,)).fetchone()
    return str(row["at"]) if row else ""
