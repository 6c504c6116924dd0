"""Orders from a file: JSON (an array of orders) or CSV (one row per order line, the
order's own columns repeated on each row; the first row of an order gives them)."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from server.commands import CommandContext
from server.errors import DomainError
from server.imports import (
    RowProblem,
    csv_column,
    extra_cells_problem,
    problem_from,
    read_rows,
    reject,
)
from server.outbound.orders import write_order
from server.outbound.schemas import OrderImportSummary, OrderIn, OrderLineIn

ORDER_COLUMNS = (
    "customer",
    "order_no",
    "courier",
    "waybill_no",
    "cutoff_at",
    "priority",
    "remarks",
)
ROUTING_COLUMNS = ("sort_code", "consolidation_point", "product_type")
PARTY_FIELDS = ("name", "phone", "province", "city", "district", "address")
PARTY_COLUMNS = tuple(f"{who}_{f}" for who in ("recipient", "sender") for f in PARTY_FIELDS)
LINE_COLUMNS = tuple(OrderLineIn.__struct_fields__)
KNOWN_COLUMNS = ORDER_COLUMNS + ROUTING_COLUMNS + PARTY_COLUMNS + LINE_COLUMNS


def _column(path: str) -> str:
    """The CSV column an order field comes from: `recipient.phone` is `recipient_phone`."""
    path = csv_column(path)
    if path.startswith(("recipient.", "sender.")):
        return path.replace(".", "_", 1)
    return path.removeprefix("routing.")


class ParsedOrders(msgspec.Struct):
    orders: list[OrderIn]
    lines: list[int]  # the file line (CSV) or row (JSON) where each order starts


def parse_order_import(body: bytes, fmt: str) -> ParsedOrders:
    """Every order in the file, or ImportRejected listing every bad row."""
    parsed = ParsedOrders([], [])
    problems: list[RowProblem] = []
    if fmt == "json":
        for row, raw in read_rows(body, "json"):
            try:
                parsed.orders.append(msgspec.convert(raw, OrderIn))
                parsed.lines.append(row)
            except msgspec.ValidationError as err:
                problems.append(problem_from(row, err))
        _finish(problems, parsed)
        return parsed
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for line, raw in read_rows(body, fmt, known_columns=KNOWN_COLUMNS, kind="orders"):
        problems += extra_cells_problem(line, raw)
        groups.setdefault(raw.get("order_no", ""), []).append((line, raw))
    header_columns = ORDER_COLUMNS + ROUTING_COLUMNS + PARTY_COLUMNS
    for rows in groups.values():
        first_line, first = rows[0]
        order_lines = []
        for line, raw in rows:
            problems += [  # one order is one parcel: its own columns must agree on every row
                RowProblem(line, column, f"differs from line {first_line} of the same order")
                for column in header_columns
                if raw.get(column) != first.get(column)
            ]
            try:
                order_lines.append(
                    msgspec.convert(_pick(raw, LINE_COLUMNS), OrderLineIn, strict=False)
                )
            except msgspec.ValidationError as err:
                problems.append(problem_from(line, err, _column))
        header: dict[str, Any] = _pick(first, ORDER_COLUMNS)
        header["routing"] = _pick(first, ROUTING_COLUMNS)
        for who in ("recipient", "sender"):
            header[who] = {f: first[f"{who}_{f}"] for f in PARTY_FIELDS if f"{who}_{f}" in first}
        header["lines"] = [{"sku": "X", "quantity": 1}]  # checked above, row by row
        try:
            order = msgspec.convert(header, OrderIn, strict=False)
        except msgspec.ValidationError as err:
            problems.append(problem_from(first_line, err, _column))
            continue
        parsed.orders.append(msgspec.structs.replace(order, lines=order_lines))
        parsed.lines.append(first_line)
    _finish(problems, parsed)
    return parsed


def _finish(problems: list[RowProblem], parsed: ParsedOrders) -> None:
    seen: dict[str, int] = {}
    waybills: dict[str, int] = {}
    for line, order in zip(parsed.lines, parsed.orders, strict=True):
        if order.order_no in seen:
            problems.append(
                RowProblem(
                    line, "order_no", f"{order.order_no} is also on line {seen[order.order_no]}"
                )
            )
        if order.waybill_no in waybills:
            problems.append(
                RowProblem(
                    line,
                    "waybill_no",
                    f"{order.waybill_no} is also on line {waybills[order.waybill_no]}",
                )
            )
        seen.setdefault(order.order_no, line)
        waybills.setdefault(order.waybill_no, line)
    if problems:
        reject("orders", problems)
    if not parsed.orders:
        reject("orders", [RowProblem(0, "", "the file has no orders")])


def write_order_import(
    conn: sqlite3.Connection, ctx: CommandContext, parsed: ParsedOrders
) -> OrderImportSummary:
    """Upsert every order in the caller's transaction; any refusal rejects the whole file."""
    problems = []
    for line, order in zip(parsed.lines, parsed.orders, strict=True):
        try:
            write_order(conn, ctx, order)  # no answer per order: the import answers counts
        except DomainError as err:
            problems.append(RowProblem(line, err.code, err.message))
    if problems:
        reject("orders", problems)
    ctx.audit_target = "import:orders"
    return OrderImportSummary(
        kind="orders",
        orders=len(parsed.orders),
        lines=sum(len(o.lines) for o in parsed.orders),
    )


def _pick(raw: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: raw[c] for c in columns if c in raw}
