"""Delivery plans from a file: JSON (an array of plans) or CSV (one row per plan line,
the plan's own columns repeated on each row; the first row of a plan gives them)."""

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
from server.inbound.schemas import PlanImportSummary, PlanIn, PlanLineIn, Transport
from server.inbound.service import upsert_plan

PLAN_COLUMNS = ("customer", "plan_no", "transport_mode", "expected_arrival", "customs_released")
LINE_COLUMNS = tuple(PlanLineIn.__struct_fields__)
TRANSPORT_COLUMNS = (
    "contract_no",
    "container_no",
    "vessel",
    "voyage",
    "bill_of_lading",
    "port_of_loading",
    "port_of_discharge",
    "carrier",
    "truck_plate",
    "second_plate",
    "driver",
    "air_waybill",
    "flight",
    "forwarder",
)
KNOWN_COLUMNS = PLAN_COLUMNS + TRANSPORT_COLUMNS + LINE_COLUMNS
TRANSPORT_MODES = tuple(t.__struct_config__.tag for t in Transport.__args__)


def _column(path: str) -> str:
    """The CSV column a plan field comes from: `transport.type` is `transport_mode`."""
    path = csv_column(path)
    if path == "transport.type":
        return "transport_mode"
    return path.removeprefix("transport.")


def _csv_problem(line: int, err: msgspec.ValidationError) -> RowProblem:
    problem = problem_from(line, err, _column)
    if problem.field == "transport_mode" and problem.message.startswith("Invalid value"):
        problem.message += f"; transport_mode is one of {', '.join(TRANSPORT_MODES)}"
    return problem


class ParsedPlans(msgspec.Struct):
    plans: list[PlanIn]
    lines: list[int]  # the file line (CSV) or row (JSON) where each plan starts


def parse_plan_import(body: bytes, fmt: str) -> ParsedPlans:
    """Every plan in the file, or ImportRejected listing every bad row."""
    if fmt == "json":
        return _parse_json(body)
    groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    problems: list[RowProblem] = []
    for line, raw in read_rows(body, fmt, known_columns=KNOWN_COLUMNS, kind="plans"):
        problems += extra_cells_problem(line, raw)
        groups.setdefault((raw.get("customer", ""), raw.get("plan_no", "")), []).append((line, raw))
    parsed = ParsedPlans([], [])
    for rows in groups.values():
        first_line, first = rows[0]
        plan_lines = []
        for line, raw in rows:
            try:
                plan_lines.append(
                    msgspec.convert(_pick(raw, LINE_COLUMNS), PlanLineIn, strict=False)
                )
            except msgspec.ValidationError as err:
                problems.append(_csv_problem(line, err))
        header = _pick(first, PLAN_COLUMNS[:2] + PLAN_COLUMNS[3:])
        header["transport"] = _pick(first, TRANSPORT_COLUMNS)
        if "transport_mode" in first:
            header["transport"]["type"] = first["transport_mode"]
        header["lines"] = [{"sku": "X", "expected_qty": 1}]  # checked above, row by row
        try:
            plan = msgspec.convert(header, PlanIn, strict=False)
        except msgspec.ValidationError as err:
            problems.append(_csv_problem(first_line, err))
            continue
        parsed.plans.append(msgspec.structs.replace(plan, lines=plan_lines))
        parsed.lines.append(first_line)
    _finish(problems, parsed)
    return parsed


def _parse_json(body: bytes) -> ParsedPlans:
    parsed = ParsedPlans([], [])
    problems = []
    for row, raw in read_rows(body, "json"):
        try:
            parsed.plans.append(msgspec.convert(raw, PlanIn))
            parsed.lines.append(row)
        except msgspec.ValidationError as err:
            problems.append(problem_from(row, err))
    _finish(problems, parsed)
    return parsed


def _finish(problems: list[RowProblem], parsed: ParsedPlans) -> None:
    seen: dict[tuple[str, str], int] = {}
    for line, plan in zip(parsed.lines, parsed.plans, strict=True):
        key = (plan.customer, plan.plan_no)
        if key in seen:
            problems.append(
                RowProblem(line, "plan_no", f"{plan.plan_no} is also on line {seen[key]}")
            )
        seen.setdefault(key, line)
    if problems:
        reject("plans", problems)
    if not parsed.plans:
        reject("plans", [RowProblem(0, "", "the file has no plans")])


def write_plan_import(
    conn: sqlite3.Connection, ctx: CommandContext, parsed: ParsedPlans
) -> PlanImportSummary:
    """Upsert every plan in the caller's transaction; any refusal rejects the whole file."""
    problems = []
    for line, plan in zip(parsed.lines, parsed.plans, strict=True):
        try:
            upsert_plan(conn, ctx, plan)
        except DomainError as err:
            problems.append(RowProblem(line, err.code, err.message))
    if problems:
        reject("plans", problems)
    ctx.audit_target = "import:plans"
    return PlanImportSummary(
        kind="plans",
        plans=len(parsed.plans),
        lines=sum(len(p.lines) for p in parsed.plans),
    )


def _pick(raw: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: raw[c] for c in columns if c in raw}
