"""Inbound rules: delivery plans, arrival check-in, receiving scans, tally and close.

Each accepted receiving scan is a `receive` movement onto the plan's dock (or onto the
quarantine location for damaged or short-dated goods) in the same transaction as its
scan record, so the ledger shows received stock at once and two receivers on one plan
never lose a count: their scans are serialised by the one writer.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from server import clock
from server.barcodes import Scan, gtin_candidates, read_scan
from server.commands import CommandContext, append_event
from server.config import InboundSettings
from server.documents.receipt import receipt_pdf_path
from server.error_codes import ERR, ErrorCode
from server.inbound.schemas import (
    AirTransport,
    CheckIn,
    CloseReceipt,
    LandTransport,
    PlanIn,
    PlanSummary,
    PlanWithTally,
    ReceiptDocument,
    ReceiveAnswer,
    ReceivedCondition,
    ReceiveScan,
    SeaTransport,
    TallyLine,
    Transport,
)
from server.labels.service import printed_carton
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from server.masterdata.lookups import SkuRow, customer_by_code, sku_by_id
from server.scan_quantity import check_quantity_per_scan
from server.sync.contract import InboundArrived, ReceiptClosed, ReceiptLine, ReceivedLot

# -- delivery plans ---------------------------------------------------------------------


def upsert_plan(conn: sqlite3.Connection, ctx: CommandContext, plan: PlanIn) -> PlanSummary:
    """Create a plan, or take a re-send: the same content changes nothing, a change is
    applied only while nothing has been received against the plan."""
    customer = customer_by_code(conn, plan.customer)
    lines = _resolve_lines(conn, customer.id, plan)
    content = msgspec.json.encode(
        [plan.transport, plan.expected_arrival, [list(line) for line in lines]], order="sorted"
    )
    content_hash = hashlib.sha256(content).hexdigest()
    existing = conn.execute(
        "SELECT id, status, content_hash FROM delivery_plans WHERE customer_id = ? AND plan_no = ?",
        (customer.id, plan.plan_no),
    ).fetchone()
    ctx.audit_target = f"plan:{plan.customer}/{plan.plan_no}"
    if existing is not None:
        if existing["content_hash"] != content_hash:
            if existing["status"] in ("receiving", "closed"):
                raise ERR.PLAN_BEING_RECEIVED(
                    {"plan_no": plan.plan_no, "status": existing["status"]}
                )
            _write_plan_content(conn, existing["id"], plan, lines, content_hash)
        if plan.customs_released:
            conn.execute(
                "UPDATE delivery_plans SET customs_released = 1 WHERE id = ?", (existing["id"],)
            )
        return plan_summary(conn, existing["id"])
    plan_id = conn.execute(
        "INSERT INTO delivery_plans (customer_id, plan_no, transport_mode, transport, "
        "expected_arrival, customs_released, content_hash, created_at) "
        "VALUES (?, ?, ?, '{}', '', ?, ?, ?) RETURNING id",
        (
            customer.id,
            plan.plan_no,
            _mode(plan),
            int(plan.customs_released),
            content_hash,
            ctx.at,
        ),
    ).fetchone()[0]
    _write_plan_content(conn, plan_id, plan, lines, content_hash)
    return plan_summary(conn, plan_id)


def _mode(plan: PlanIn) -> str:
    return str(type(plan.transport).__struct_config__.tag)


def _resolve_lines(
    conn: sqlite3.Connection, customer_id: int, plan: PlanIn
) -> list[tuple[int, int, int, str, str, str]]:
    codes = {line.sku for line in plan.lines}
    marks = ",".join("?" * len(codes))
    skus = {
        r["code"]: r["id"]
        for r in conn.execute(
            f"SELECT id, code FROM skus WHERE customer_id = ? AND code IN ({marks})",
            (customer_id, *codes),
        )
    }
    missing = [
        {"line": i, "sku": line.sku}
        for i, line in enumerate(plan.lines, start=1)
        if line.sku not in skus
    ]
    if missing:
        raise ERR.SKU_NOT_FOUND(
            {"lines": missing},
            sku=f"{', '.join(str(m['sku']) for m in missing)} of {plan.customer}",
        )
    return [
        (i, skus[line.sku], line.expected_qty, line.lot, line.expiry, line.sscc)
        for i, line in enumerate(plan.lines, start=1)
    ]


def _write_plan_content(
    conn: sqlite3.Connection,
    plan_id: int,
    plan: PlanIn,
    lines: list[tuple[int, int, int, str, str, str]],
    content_hash: str,
) -> None:
    conn.execute(
        "UPDATE delivery_plans SET transport_mode = ?, transport = ?, expected_arrival = ?, "
        "content_hash = ? WHERE id = ?",
        (
            _mode(plan),
            msgspec.json.encode(plan.transport).decode(),
            plan.expected_arrival,
            content_hash,
            plan_id,
        ),
    )
    conn.execute("DELETE FROM plan_lines WHERE plan_id = ?", (plan_id,))
    conn.executemany(
        "INSERT INTO plan_lines (plan_id, line_no, sku_id, expected_qty, lot, expiry, sscc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(plan_id, *line) for line in lines],
    )


def set_customs_released(
    conn: sqlite3.Connection, ctx: CommandContext, plan_id: int, released: bool
) -> PlanSummary:
    plan = _plan(conn, plan_id)
    if plan["status"] == "closed":
        raise ERR.PLAN_CLOSED()
    conn.execute(
        "UPDATE delivery_plans SET customs_released = ? WHERE id = ?", (int(released), plan_id)
    )
    ctx.audit_target = f"plan:{plan['plan_no']}"
    return plan_summary(conn, plan_id)


def plan_summary(conn: sqlite3.Connection, plan_id: int) -> PlanSummary:
    row = conn.execute(
        "SELECT p.*, c.code AS customer, c.name AS customer_name, l.code AS dock, "
        "(SELECT COALESCE(SUM(expected_qty), 0) FROM plan_lines WHERE plan_id = p.id) AS expected, "
        "(SELECT COALESCE(SUM(quantity), 0) FROM receipt_counts WHERE plan_id = p.id) AS counted "
        "FROM delivery_plans p JOIN customers c ON c.id = p.customer_id "
        "LEFT JOIN locations l ON l.id = p.dock_location_id WHERE p.id = ?",
        (plan_id,),
    ).fetchone()
    if row is None:
        raise ERR.PLAN_NOT_FOUND(plan=plan_id)
    return PlanSummary(
        id=row["id"],
        plan_no=row["plan_no"],
        customer=row["customer"],
        customer_name=row["customer_name"],
        transport_mode=row["transport_mode"],
        transport=msgspec.json.decode(row["transport"], type=Transport),
        expected_arrival=row["expected_arrival"],
        customs_released=bool(row["customs_released"]),
        status=row["status"],
        arrival_ref=row["arrival_ref"],
        seal_no=row["seal_no"],
        arrival_override=row["arrival_override"],
        dock=row["dock"],
        arrived_at=row["arrived_at"],
        closed_at=row["closed_at"],
        expected=row["expected"],
        counted=row["counted"],
    )


def plan_with_tally(conn: sqlite3.Connection, plan_id: int) -> PlanWithTally:
    summary = plan_summary(conn, plan_id)
    return PlanWithTally(**msgspec.structs.asdict(summary), tally=tally(conn, plan_id))


def list_plans(
    conn: sqlite3.Connection,
    *,
    day: date | None,
    open_only: bool,
    limit: int,
    timezone: str = "UTC",
) -> list[PlanSummary]:
    """Today's arrivals: plans expected that day, plus every plan already at the door.

    `day` is a day of the site's calendar (`timezone`). An arrival is a date, a local time
    (no offset: the site's clock) or an instant with an offset or Z, which counts on the
    site day it falls in, not on its UTC date.
    """
    where, params = ["1 = 1"], []
    if day:
        start, end = _utc_bounds(day, timezone)
        where.append(
            "(CASE WHEN substr(p.expected_arrival, 11) GLOB '*[Z+-]*' "
            "THEN datetime(p.expected_arrival) >= ? AND datetime(p.expected_arrival) < ? "
            "ELSE substr(p.expected_arrival, 1, 10) = ? END "
            "OR p.status IN ('arrived', 'receiving'))"
        )
        params += [start, end, day.isoformat()]
    if open_only:
        where.append("p.status != 'closed'")
    ids = conn.execute(
        f"SELECT p.id FROM delivery_plans p WHERE {' AND '.join(where)} "
        "ORDER BY p.expected_arrival, p.plan_no LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [plan_summary(conn, r[0]) for r in ids]


def _utc_bounds(day: date, timezone: str) -> tuple[str, str]:
    """The site day `day` as a half-open UTC range in SQLite's datetime() text form."""
    zone = ZoneInfo(timezone)
    try:
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    except OverflowError:  # the calendar's first or last day: no offset fits; its UTC day
        return f"{day} 00:00:00", f"{day} 24:00:00"
    return start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")


def find_plans(conn: sqlite3.Connection, plan_no: str) -> list[PlanSummary]:
    """A scanned plan number: plan numbers are unique per customer, so maybe several."""
    ids = conn.execute(
        "SELECT id FROM delivery_plans WHERE plan_no = ? OR plan_no = ? ORDER BY id",
        (plan_no.strip(), plan_no.strip().upper()),
    ).fetchall()
    if not ids:
        raise ERR.PLAN_NOT_FOUND(plan=plan_no)
    return [plan_summary(conn, r[0]) for r in ids]


def plan_id_by_number(conn: sqlite3.Connection, customer: str, plan_no: str) -> int:
    """The plan the OMS knows by customer and plan number (unique together)."""
    row = conn.execute(
        "SELECT p.id FROM delivery_plans p JOIN customers c ON c.id = p.customer_id "
        "WHERE c.code = ? AND p.plan_no = ?",
        (customer, plan_no),
    ).fetchone()
    if row is None:
        raise ERR.PLAN_NOT_FOUND(plan=plan_no)
    return int(row[0])


# -- check-in ----------------------------------------------------------------------------


def _normalise_ref(text: str) -> str:
    return re.sub(r"[\s\-_.·]", "", text).upper()


def expected_refs(transport: SeaTransport | LandTransport | AirTransport) -> list[str]:
    if isinstance(transport, SeaTransport):
        refs = [transport.container_no]
    elif isinstance(transport, LandTransport):
        refs = [transport.truck_plate, transport.second_plate, transport.container_no]
    else:
        refs = [transport.air_waybill]
    return [r for r in refs if _normalise_ref(r)]


def check_in(
    conn: sqlite3.Connection, ctx: CommandContext, plan_id: int, arrival: CheckIn
) -> PlanSummary:
    plan = _plan(conn, plan_id)
    if plan["status"] == "closed":
        raise ERR.PLAN_CLOSED()
    transport = msgspec.json.decode(
        plan["transport"], type=SeaTransport | LandTransport | AirTransport
    )
    if plan["status"] == "receiving":
        raise ERR.PLAN_BEING_RECEIVED(
            {"dock_location_id": plan["dock_location_id"]}, plan_no=plan["plan_no"]
        )
    expected = expected_refs(transport)
    override = ""
    scanned = _normalise_ref(arrival.reference)
    if not scanned or scanned not in {_normalise_ref(r) for r in expected}:
        if not arrival.override_reason:
            raise ERR.ARRIVAL_MISMATCH(
                {"scanned": arrival.reference, "expected": expected}, plan_no=plan["plan_no"]
            )
        if not ctx.actor.roles & {"supervisor", "admin"}:
            raise ERR.OVERRIDE_NEEDS_SUPERVISOR()
        override = f"{arrival.reference}: {arrival.override_reason}"
    dock = conn.execute(
        "SELECT id, type FROM locations WHERE code = ? AND active = 1", (arrival.dock,)
    ).fetchone()
    if dock is None or dock["type"] not in ("dock", "staging"):
        raise ERR.DOCK_NOT_FOUND({"dock": arrival.dock})
    conn.execute(
        "UPDATE delivery_plans SET status = CASE status WHEN 'planned' THEN 'arrived' ELSE status END, "
        "arrival_ref = ?, seal_no = ?, arrival_override = ?, dock_location_id = ?, "
        "arrived_at = COALESCE(arrived_at, ?) WHERE id = ?",
        (arrival.reference, arrival.seal_no, override, dock["id"], ctx.at, plan_id),
    )
    ctx.audit_target = f"plan:{plan['plan_no']}"
    summary = plan_summary(conn, plan_id)
    append_event(
        conn,
        ctx,
        "inbound.arrived",
        InboundArrived(
            plan_no=plan["plan_no"],
            customer=summary.customer,
            reference=arrival.reference,
            seal_no=arrival.seal_no,
            override=override,
        ),
    )
    return summary


# -- receiving ---------------------------------------------------------------------------


def _lot_question(conn: sqlite3.Connection, plan_id: int, sku: SkuRow) -> dict[str, Any]:
    """What the page needs to ask for a lot/expiry: the SKU, what it tracks, and the lot and
    expiry of its last scan on this plan (a plain-EAN carton is usually the same lot)."""
    last = conn.execute(
        "SELECT lot, expiry FROM receipt_scans WHERE plan_id = ? AND sku_id = ? AND lot != ''"
        " ORDER BY id DESC LIMIT 1",
        (plan_id, sku.id),
    ).fetchone()
    return {
        "sku": sku.code,
        "lot_tracked": sku.lot_tracked,
        "expiry_tracked": sku.expiry_tracked,
        "last_lot": last[0] if last else "",
        "last_expiry": last[1] if last else "",
    }


def receive_scan(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: InboundSettings,
    *,
    bonded: bool,
    gs_placeholder: str,
    plan_id: int,
    req: ReceiveScan,
    today: date | None = None,
    bare_sscc: bool = False,
    max_per_scan: int | None = None,
) -> ReceiveAnswer:
    check_quantity_per_scan(req.quantity, max_per_scan, confirmed=req.confirmed_large)
    plan = _plan(conn, plan_id)
    if plan["status"] == "closed":
        raise ERR.PLAN_CLOSED()
    if bonded and not plan["customs_released"]:
        raise ERR.PLAN_NOT_RELEASED(plan_no=plan["plan_no"])
    if plan["dock_location_id"] is None:
        raise ERR.PLAN_NOT_ARRIVED()
    scan = read_scan(req.scan, gs_placeholder, bare_sscc=bare_sscc)

    sku, lot, expiry, quantity, sscc = _what_was_scanned(conn, plan, scan, req)
    if sku.lot_tracked and not lot:
        raise ERR.LOT_REQUIRED(_lot_question(conn, plan_id, sku))
    if sku.expiry_tracked and not expiry:
        raise ERR.EXPIRY_REQUIRED(_lot_question(conn, plan_id, sku), sku=sku.code)
    condition: ReceivedCondition = "damaged" if req.damaged else "good"
    shelf_problem = _shelf_life_problem(
        conn, plan["customer_id"], expiry, today or clock.now().date()
    )
    if shelf_problem is not None:
        if settings.expired_lot_policy == "refuse":
            raise shelf_problem[0]({"expiry": expiry}, **shelf_problem[1])
        condition = "quarantine" if condition == "good" else condition

    expected, counted, line = _planned_and_counted(conn, plan_id, sku.id, lot)
    over = expected == 0 or counted + quantity > expected * (
        1 + settings.over_tolerance_percent / 100
    )
    if over and not req.confirm_over:
        refusal = {"unplanned_sku": ERR.SKU_NOT_ON_PLAN, "unplanned_lot": ERR.LOT_NOT_ON_PLAN}.get(
            line, ERR.RECEIPT_OVER
        )
        raise refusal(
            {"sku": sku.code, "expected": expected, "counted": counted, "quantity": quantity},
            total=counted + quantity,
        )

    location_id = plan["dock_location_id"]
    if condition != "good":
        location_id = _quarantine_location(conn, settings)
    post_movement(
        conn,
        ctx,
        MovementIn(
            kind="receive",
            customer_id=plan["customer_id"],
            sku_id=sku.id,
            quantity=quantity,
            lot=lot,
            expiry=expiry,
            to_location_id=location_id,
            document=plan["plan_no"],
        ),
    )
    conn.execute(
        "INSERT INTO receipt_scans (plan_id, sku_id, lot, expiry, quantity, condition, "
        "over_confirmed, sscc, serial, location_id, user_code, device, at, command_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            plan_id,
            sku.id,
            lot,
            expiry,
            quantity,
            condition,
            int(over),
            sscc,
            scan.serial,
            location_id,
            ctx.actor.code,
            ctx.actor.device,
            ctx.at,
            ctx.key,
        ),
    )
    conn.execute("UPDATE delivery_plans SET status = 'receiving' WHERE id = ?", (plan_id,))
    ctx.audit_target = f"plan:{plan['plan_no']}"
    return ReceiveAnswer(
        sku=sku.code,
        sku_name=sku.name,
        lot=lot,
        expiry=expiry,
        quantity=quantity,
        condition=condition,
        over=over,
        sscc=sscc,
        serial=scan.serial,
        warnings=scan.warnings,
        location=conn.execute("SELECT code FROM locations WHERE id = ?", (location_id,)).fetchone()[
            0
        ],
        expected=expected,
        counted=counted + quantity,
    )


def _what_was_scanned(
    conn: sqlite3.Connection, plan: sqlite3.Row, scan: Scan, req: ReceiveScan
) -> tuple[SkuRow, str, str, int, str]:
    """The SKU, lot, expiry, quantity and carton a scan stands for on this plan."""
    if scan.sscc:
        line = conn.execute(
            "SELECT sku_id, expected_qty, lot, expiry FROM plan_lines WHERE plan_id = ? AND sscc = ?",
            (plan["id"], scan.sscc),
        ).fetchone()
        if line is None:
            line = _carton_labelled_here(conn, plan["id"], scan.sscc)
        if line is None:
            raise ERR.SSCC_NOT_ON_PLAN({"sscc": scan.sscc}, plan_no=plan["plan_no"])
        done = conn.execute(
            "SELECT 1 FROM receipt_scans WHERE plan_id = ? AND sscc = ?", (plan["id"], scan.sscc)
        ).fetchone()
        if done is not None:
            raise ERR.SSCC_ALREADY_RECEIVED({"sscc": scan.sscc})
        return (
            sku_by_id(conn, line["sku_id"]),
            line["lot"],
            line["expiry"],
            line["expected_qty"],
            scan.sscc,
        )
    codes = gtin_candidates(scan.gtin) if scan.gtin else [scan.text]
    marks = ",".join("?" * len(codes))
    row = conn.execute(
        f"SELECT sku_id FROM sku_barcodes WHERE customer_id = ? AND barcode IN ({marks})",
        (plan["customer_id"], *codes),
    ).fetchone()
    if row is None:
        raise ERR.BARCODE_UNKNOWN({"scanned": scan.gtin or scan.text}, plan_no=plan["plan_no"])
    quantity = req.quantity or scan.count or 1
    return (
        sku_by_id(conn, row["sku_id"]),
        scan.lot or req.lot,
        scan.expiry or req.expiry,
        quantity,
        "",
    )


def _carton_labelled_here(
    conn: sqlite3.Connection, plan_id: int, sscc: str
) -> dict[str, Any] | None:
    """A carton label printed here for this plan: its line's SKU with the label's lot,
    expiry and count (a label without a count is one unit until the receiver says more)."""
    carton = printed_carton(conn, plan_id, sscc)
    if carton is None:
        return None
    return {
        "sku_id": carton.sku_id,
        "expected_qty": carton.count or 1,
        "lot": carton.lot,
        "expiry": carton.expiry,
    }


def _shelf_life_problem(
    conn: sqlite3.Connection, customer_id: int, expiry: str, today: date
) -> tuple[ErrorCode, dict[str, int]] | None:
    """What refuses a receipt of this expiry, with its message's parameters, or None."""
    if not expiry:
        return None
    days_left = (date.fromisoformat(expiry) - today).days
    if days_left < 0:
        return ERR.LOT_EXPIRED, {}
    minimum = conn.execute(
        "SELECT min_shelf_life_days FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()[0]
    if days_left < minimum:
        return ERR.SHELF_LIFE_TOO_SHORT, {"days_left": days_left, "minimum": minimum}
    return None


def _planned_and_counted(
    conn: sqlite3.Connection, plan_id: int, sku_id: int, lot: str
) -> tuple[int, int, str]:
    """(expected, counted so far, which line) for a scan of this SKU and lot.

    A plan line naming the lot is its own line; a line without a lot takes every lot no
    other line names; a lot no line takes is unplanned (expected 0).
    """
    planned = {
        r["lot"]: r["qty"]
        for r in conn.execute(
            "SELECT lot, SUM(expected_qty) AS qty FROM plan_lines WHERE plan_id = ? AND sku_id = ? "
            "GROUP BY lot",
            (plan_id, sku_id),
        )
    }
    counted = {
        r["lot"]: r["qty"]
        for r in conn.execute(
            "SELECT lot, SUM(quantity) AS qty FROM receipt_counts WHERE plan_id = ? AND sku_id = ? "
            "GROUP BY lot",
            (plan_id, sku_id),
        )
    }
    if lot and lot in planned:
        return int(planned[lot]), int(counted.get(lot, 0)), "lot"
    if "" in planned:
        others = sum(q for k, q in counted.items() if k == "" or k not in planned)
        return int(planned[""]), int(others), "sku"
    if planned:
        return 0, int(counted.get(lot, 0)), "unplanned_lot"
    return 0, int(sum(counted.values())), "unplanned_sku"


def _quarantine_location(conn: sqlite3.Connection, settings: InboundSettings) -> int:
    row = conn.execute(
        "SELECT id FROM locations WHERE code = ? AND type = 'quarantine' AND active = 1",
        (settings.quarantine_location,),
    ).fetchone()
    if row is None:
        raise ERR.QUARANTINE_LOCATION_MISSING(quarantine_location=settings.quarantine_location)
    return int(row["id"])


# -- tally and close ---------------------------------------------------------------------


def tally(conn: sqlite3.Connection, plan_id: int) -> list[TallyLine]:
    """Expected vs counted per plan line (SKU and planned lot), plus unplanned SKUs/lots.

    A plan line without a lot collects every lot received of its SKU; the actual lots are
    reported separately (`received_lots`).
    """
    lines: dict[tuple[int, str], dict[str, Any]] = {}
    for r in conn.execute(
        "SELECT pl.sku_id, pl.lot, MAX(pl.expiry) AS expiry, SUM(pl.expected_qty) AS qty "
        "FROM plan_lines pl WHERE pl.plan_id = ? GROUP BY pl.sku_id, pl.lot",
        (plan_id,),
    ):
        lines[(r["sku_id"], r["lot"])] = {
            "expected": r["qty"],
            "expiry": r["expiry"],
            "good": 0,
            "damaged": 0,
            "quarantine": 0,
        }
    for r in conn.execute(
        "SELECT sku_id, lot, MAX(expiry) AS expiry, condition, SUM(quantity) AS qty FROM receipt_scans "
        "WHERE plan_id = ? GROUP BY sku_id, lot, condition",
        (plan_id,),
    ):
        key = (r["sku_id"], r["lot"])
        if key not in lines and (r["sku_id"], "") in lines:
            key = (r["sku_id"], "")
        line = lines.setdefault(
            key, {"expected": 0, "expiry": r["expiry"], "good": 0, "damaged": 0, "quarantine": 0}
        )
        line[r["condition"]] += r["qty"]
    reasons = {
        (r["sku_id"], r["lot"]): (r["reason"], r["note"])
        for r in conn.execute(
            "SELECT sku_id, lot, reason, note FROM receipt_differences WHERE plan_id = ?",
            (plan_id,),
        )
    }
    skus = {
        r["id"]: r
        for r in conn.execute(
            "SELECT s.id, s.code, s.name FROM skus s JOIN delivery_plans p ON p.customer_id = s.customer_id WHERE p.id = ?",
            (plan_id,),
        )
    }
    result = []
    for (sku_id, lot), line in sorted(
        lines.items(), key=lambda kv: (skus[kv[0][0]]["code"], kv[0][1])
    ):
        counted = line["good"] + line["damaged"] + line["quarantine"]
        reason, note = reasons.get((sku_id, lot), ("", ""))
        result.append(
            TallyLine(
                sku=skus[sku_id]["code"],
                sku_name=skus[sku_id]["name"],
                lot=lot,
                expiry=line["expiry"] or "",
                expected=line["expected"],
                counted=counted,
                damaged=line["damaged"],
                quarantined=line["quarantine"],
                difference=counted - line["expected"],
                reason=reason,
                note=note,
            )
        )
    return result


def needs_reason(line: TallyLine) -> bool:
    return line.difference != 0 or line.damaged > 0


def reason_fits(reason: str, line: TallyLine) -> bool:
    """Short for fewer, over for more, damaged where units were damaged; wrong item either way."""
    if reason == "short":
        return line.difference < 0
    if reason == "over":
        return line.difference > 0
    if reason == "damaged":
        return line.damaged > 0
    return line.difference != 0


def close_receipt(
    conn: sqlite3.Connection, ctx: CommandContext, plan_id: int, req: CloseReceipt
) -> ReceiptDocument:
    plan = _plan(conn, plan_id)
    if plan["status"] == "closed":
        raise ERR.PLAN_CLOSED()
    if plan["status"] == "planned":
        raise ERR.PLAN_NOT_ARRIVED()
    lines = tally(conn, plan_id)
    given = {(d.sku, d.lot): d for d in req.differences}
    missing = [
        {"sku": line.sku, "lot": line.lot, "difference": line.difference, "damaged": line.damaged}
        for line in lines
        if needs_reason(line) and (line.sku, line.lot) not in given
    ]
    if missing:
        raise ERR.DIFFERENCE_REASON_REQUIRED({"lines": missing}, count=len(missing))
    contradicting = [
        {"sku": line.sku, "lot": line.lot, "reason": given[(line.sku, line.lot)].reason}
        for line in lines
        if (line.sku, line.lot) in given
        and needs_reason(line)
        and not reason_fits(given[(line.sku, line.lot)].reason, line)
    ]
    if contradicting:
        raise ERR.DIFFERENCE_REASON_MISMATCH({"lines": contradicting})
    sku_ids = {
        r["code"]: r["id"]
        for r in conn.execute(
            "SELECT id, code FROM skus WHERE customer_id = ?", (plan["customer_id"],)
        )
    }
    for line in lines:
        note = given.get((line.sku, line.lot))
        if note is None or not needs_reason(line):
            continue
        conn.execute(
            "INSERT INTO receipt_differences (plan_id, sku_id, lot, expected_qty, counted_qty, "
            "damaged_qty, reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                plan_id,
                sku_ids[line.sku],
                line.lot,
                line.expected,
                line.counted,
                line.damaged,
                note.reason,
                note.note,
            ),
        )
    conn.execute(
        "UPDATE delivery_plans SET status = 'closed', closed_at = ? WHERE id = ?", (ctx.at, plan_id)
    )
    ctx.audit_target = f"plan:{plan['plan_no']}"
    document = receipt_document(conn, plan_id)
    append_event(
        conn,
        ctx,
        "receipt.closed",
        ReceiptClosed(
            plan_no=plan["plan_no"],
            customer=document.plan.customer,
            closed_at=ctx.at,
            # Converted, not copied: a line the contract would not accept fails here.
            lines=msgspec.convert(msgspec.to_builtins(document.tally), list[ReceiptLine]),
            received_lots=document.received_lots,
            pdf_path=receipt_pdf_path(plan_id),
        ),
    )
    return document


def receipt_document(conn: sqlite3.Connection, plan_id: int) -> ReceiptDocument:
    """Everything the tally record and the warehouse receipt (进仓单) print."""
    summary = plan_summary(conn, plan_id)
    lots = conn.execute(
        "SELECT s.code AS sku, s.name AS sku_name, s.customs_record_no, r.lot, r.expiry, r.condition, "
        "l.code AS location, SUM(r.quantity) AS quantity FROM receipt_scans r "
        "JOIN skus s ON s.id = r.sku_id JOIN locations l ON l.id = r.location_id "
        "WHERE r.plan_id = ? GROUP BY r.sku_id, r.lot, r.expiry, r.condition, r.location_id "
        "ORDER BY s.code, r.lot",
        (plan_id,),
    ).fetchall()
    receivers = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT user_code FROM receipt_scans WHERE plan_id = ? ORDER BY user_code",
            (plan_id,),
        )
    ]
    return ReceiptDocument(
        plan=summary,
        tally=tally(conn, plan_id),
        received_lots=[ReceivedLot(**dict(r)) for r in lots],
        received_by=receivers,
    )


# -- small lookups -----------------------------------------------------------------------


def _plan(conn: sqlite3.Connection, plan_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM delivery_plans WHERE id = ?", (plan_id,)).fetchone()
    if row is None:
        raise ERR.PLAN_NOT_FOUND(plan=plan_id)
    return row
