"""Orders from the OMS: upsert, customs statuses, cancellation (intercept), and the views
the floor and the supervisor read.

An order's `state` is how far the floor has taken it; its customs status is kept beside
it, so a hold stops the order wherever it is and a release lets it go on from there.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import cast

import msgspec

from server.barcodes import normalise
from server.commands import CommandContext, append_event
from server.error_codes import ERR, ErrorCode
from server.ledger.service import holds_stock
from server.masterdata.lookups import customer_by_code
from server.outbound import customs
from server.outbound.allocation import release_open_allocations
from server.outbound.label import masked_label
from server.outbound.schemas import (
    CancelIn,
    CustomsApplied,
    CustomsBatchApplied,
    CustomsStatusIn,
    OrderCounts,
    OrderIn,
    OrderLabel,
    OrderLineView,
    OrderListRow,
    OrderTaskBrief,
    OrderView,
    ParcelView,
)
from server.printing.jobs import cancel_order_labels
from server.sync.contract import GateName, OrderCustomsStatus, OrderState, OrderStateChanged

HOLD_SQL = "(o.customs_status < 0 OR o.customs_status IN ({}))".format(
    ", ".join(str(c) for c in sorted(customs.HOLD_CODES))
)
"""SQL test for an order on customs hold (alias `o`)."""

GOODS_IN_TOTE_STATES = frozenset({"picking", "picked", "short"})
GOODS_ON_PARCEL_STATES = frozenset({"packed", "loaded"})


def utc_text(moment: datetime) -> str:
    try:
        return moment.astimezone(UTC).isoformat(timespec="milliseconds")
    except OverflowError as err:  # an offset pushes year 1 or 9999 off the calendar
        raise ERR.TIME_OUT_OF_RANGE(moment=moment.isoformat()) from err


# -- upsert -----------------------------------------------------------------------------


def upsert_order(conn: sqlite3.Connection, ctx: CommandContext, order: OrderIn) -> OrderView:
    """Create an order, or take a re-send of it, and answer the order as it now is."""
    return order_view(conn, write_order(conn, ctx, order))


def write_order(conn: sqlite3.Connection, ctx: CommandContext, order: OrderIn) -> int:
    """Create an order, or take a re-send of it: the same content changes nothing; a
    change is applied only while no stock is reserved for it yet. Returns its id."""
    customer = customer_by_code(conn, order.customer, active_only=True)
    lines = _resolve_lines(conn, customer.id, order)
    label = {
        "routing": msgspec.to_builtins(order.routing),
        "recipient": msgspec.to_builtins(order.recipient),
        "sender": msgspec.to_builtins(order.sender),
        "remarks": order.remarks,
    }
    cutoff = utc_text(order.cutoff_at) if order.cutoff_at else ""
    content_hash = hashlib.sha256(
        msgspec.json.encode(
            [order.courier, order.waybill_no, label, cutoff, order.priority, lines],
            order="sorted",
        )
    ).hexdigest()
    ctx.audit_target = f"order:{order.order_no}"
    existing = conn.execute(
        "SELECT id, customer_id, state, content_hash FROM orders WHERE order_no = ?",
        (order.order_no,),
    ).fetchone()
    if existing is not None and existing["customer_id"] != customer.id:
        raise ERR.ORDER_NO_TAKEN({"order_no": order.order_no})
    if existing is not None and existing["content_hash"] == content_hash:
        return int(existing["id"])
    waybill_owner = conn.execute(
        "SELECT order_no FROM orders WHERE waybill_no = ? AND order_no != ?",
        (order.waybill_no, order.order_no),
    ).fetchone()
    if waybill_owner is not None:
        raise ERR.WAYBILL_TAKEN(
            {"waybill_no": order.waybill_no, "order_no": waybill_owner["order_no"]}
        )
    fields = (
        order.courier,
        order.waybill_no,
        msgspec.json.encode(label).decode(),
        cutoff,
        order.priority,
        content_hash,
        ctx.at,
    )
    if existing is None:
        order_id = conn.execute(
            "INSERT INTO orders (courier, waybill_no, label, cutoff_at, priority, content_hash, "
            "updated_at, customer_id, order_no, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (*fields, customer.id, order.order_no, ctx.at),
        ).fetchone()[0]
    else:
        order_id = existing["id"]
        reserved = conn.execute(
            "SELECT 1 FROM allocations WHERE order_id = ? LIMIT 1", (order_id,)
        ).fetchone()
        if existing["state"] not in ("new", "backorder") or reserved is not None:
            raise ERR.ORDER_IN_PROGRESS({"order_no": order.order_no, "state": existing["state"]})
        conn.execute("DELETE FROM order_lines WHERE order_id = ?", (order_id,))
        conn.execute(
            "UPDATE orders SET courier = ?, waybill_no = ?, label = ?, cutoff_at = ?, "
            "priority = ?, content_hash = ?, updated_at = ?, state = 'new' WHERE id = ?",
            (*fields, order_id),
        )
    conn.executemany(
        "INSERT INTO order_lines (order_id, line_no, sku_id, quantity, lot) VALUES (?, ?, ?, ?, ?)",
        [(order_id, i, *line) for i, line in enumerate(lines, start=1)],
    )
    return int(order_id)


def _resolve_lines(
    conn: sqlite3.Connection, customer_id: int, order: OrderIn
) -> list[tuple[int, int, str]]:
    lines, missing = [], []
    for i, line in enumerate(order.lines, start=1):
        sku = conn.execute(
            "SELECT id FROM skus WHERE customer_id = ? AND code = ? AND active = 1",
            (customer_id, line.sku),
        ).fetchone()
        if sku is None:
            missing.append({"line": i, "sku": line.sku})
        else:
            lines.append((sku["id"], line.quantity, line.lot))
    if missing:  # every line named at once, the first also on its own as before
        first = missing[0]
        raise ERR.SKU_NOT_FOUND({**first, "lines": missing})
    return lines


# -- customs statuses and cancellation ------------------------------------------------------


def customs_time_ahead(status: CustomsStatusIn, now: str, max_ahead_seconds: int) -> float:
    """How many seconds past the allowed limit a reply's customs time lies (0: acceptable).

    A reply from the future would win over every real reply until that time comes (the
    later customs time wins), so a clock that runs ahead, or local time sent as UTC,
    could hide a hold: such a reply is refused, not stored."""
    limit = datetime.fromisoformat(now) + timedelta(seconds=max_ahead_seconds)
    try:
        ahead = (status.status_at - limit).total_seconds()
    except OverflowError:  # a time at the end of the calendar is far ahead
        return float("inf")
    return max(ahead, 0.0)


def refuse_future_customs_time(status: CustomsStatusIn, now: str, max_ahead_seconds: int) -> None:
    if customs_time_ahead(status, now, max_ahead_seconds) > 0:
        raise ERR.CUSTOMS_TIME_IN_FUTURE(
            {
                "order_no": status.order_no,
                "status_at": status.status_at.isoformat(),
                "server_time": now,
                "max_ahead_seconds": max_ahead_seconds,
            }
        )


def apply_customs_status(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    status: CustomsStatusIn,
    *,
    inspection_lane: str,
    max_ahead_seconds: int,
) -> CustomsApplied:
    """Record a customs list reply; it takes effect if it wins by precedence."""
    if not customs.is_known(status.code):
        raise ERR.CUSTOMS_STATUS_UNKNOWN({"code": status.code})
    ctx.audit_target = f"order:{status.order_no}"
    refuse_future_customs_time(status, ctx.at, max_ahead_seconds)
    order = order_by_number(conn, status.order_no)
    status_at = utc_text(status.status_at)
    current = (
        customs.precedence(order["customs_status"], order["customs_at"])
        if order["customs_status"] is not None
        else None
    )
    # A status in force dated ahead of the clock was taken before such times were refused:
    # it cannot be trusted to outrank a real reply.
    limit = utc_text(datetime.fromisoformat(ctx.at) + timedelta(seconds=max_ahead_seconds))
    untrusted = current is not None and order["customs_at"] > limit
    wins = current is None or untrusted or customs.precedence(status.code, status_at) > current
    conn.execute(
        "INSERT INTO customs_statuses (order_id, code, status_at, note, received_at, applied) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (order["id"], status.code, status_at, status.note, ctx.at, int(wins)),
    )
    ctx.audit_target = f"order:{status.order_no}"
    if wins:
        conn.execute(
            "UPDATE orders SET customs_status = ?, customs_at = ?, updated_at = ? WHERE id = ?",
            (status.code, status_at, ctx.at, order["id"]),
        )
        follow_inspection_status(conn, ctx, order, status.code, inspection_lane)
        append_event(
            conn,
            ctx,
            "order.customs_status",
            OrderCustomsStatus(
                order_no=status.order_no,
                code=status.code,
                status_at=status_at,
                gate=cast(GateName, customs.gate(status.code).name.lower()),
                state=order["state"],
            ),
        )
    return CustomsApplied(**msgspec.structs.asdict(order_view(conn, order["id"])), applied=wins)


def apply_customs_batch(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    statuses: list[CustomsStatusIn],
    *,
    inspection_lane: str,
    max_ahead_seconds: int,
) -> CustomsBatchApplied:
    """Many customs replies in one message: every reply is checked first and a bad one
    refuses the whole batch with every problem listed; then each applies in order."""
    ctx.audit_target = f"customs-batch:{len(statuses)}"  # a refusal's audit line says so too
    problems = []
    for i, status in enumerate(statuses):
        if not customs.is_known(status.code):
            problems.append(
                {"line": i + 1, "field": "code", "message": f"{status.code} is unknown"}
            )
        if (
            conn.execute("SELECT 1 FROM orders WHERE order_no = ?", (status.order_no,)).fetchone()
            is None
        ):
            problems.append(
                {"line": i + 1, "field": "order_no", "message": f"no order {status.order_no}"}
            )
        if customs_time_ahead(status, ctx.at, max_ahead_seconds) > 0:
            problems.append(
                {
                    "line": i + 1,
                    "field": "status_at",
                    "code": ERR.CUSTOMS_TIME_IN_FUTURE.code,
                    "message": f"{status.status_at.isoformat()} is more than "
                    f"{max_ahead_seconds} s ahead of the server clock ({ctx.at})",
                }
            )
    if problems:
        raise ERR.BATCH_REJECTED(
            {"problems": problems[:500], "problem_count": len(problems)}, count=len(statuses)
        )
    applied = [
        apply_customs_status(
            conn, ctx, status, inspection_lane=inspection_lane, max_ahead_seconds=max_ahead_seconds
        ).applied
        for status in statuses
    ]
    ctx.audit_target = f"customs-batch:{len(statuses)}"
    return CustomsBatchApplied(
        received=len(statuses), applied=sum(applied), superseded=applied.count(False)
    )


def follow_inspection_status(
    conn: sqlite3.Connection, ctx: CommandContext, order: sqlite3.Row, code: int, lane: str
) -> None:
    """Make the open "to inspection" task match the status now in force, so that it
    depends only on the final status, never on the order the replies arrived in: open
    while the status is inspection (500), closed under any other status (released, or
    another hold that keeps the goods where they are). A task already done stays done."""
    if code == customs.INSPECTION_CODE and order["state"] != "cancelled":
        _send_to_inspection(conn, ctx, order, lane)
        return
    outcome = (
        f"superseded by customs status {code}" if customs.is_hold(code) else "released by customs"
    )
    close_open_tasks(conn, ctx, order["id"], "to_inspection", outcome)


def _send_to_inspection(
    conn: sqlite3.Connection, ctx: CommandContext, order: sqlite3.Row, lane: str
) -> None:
    """Goods already in a tote or on a parcel go to the inspection lane (a floor task),
    unless they are there already: the last such task moved them and they have not been
    loaded since."""
    source = goods_location(conn, order)
    if source is None or order["state"] == "shipped":
        return  # nothing picked yet (the hold alone stops it), or gone with its truck
    open_task = conn.execute(
        "SELECT 1 FROM order_tasks WHERE order_id = ? AND kind = 'to_inspection' AND status = 'open'",
        (order["id"],),
    ).fetchone()
    last = conn.execute(
        "SELECT outcome FROM order_tasks WHERE order_id = ? AND kind = 'to_inspection' "
        "AND source_location_id = ? ORDER BY id DESC LIMIT 1",
        (order["id"], source),
    ).fetchone()
    at_lane = last is not None and last["outcome"] == "moved" and order["state"] != "loaded"
    if open_task is None and not at_lane:
        target = conn.execute(
            "SELECT id FROM locations WHERE code = ? AND type = 'inspection' AND active = 1",
            (lane,),
        ).fetchone()
        conn.execute(
            "INSERT INTO order_tasks (order_id, kind, source_location_id, target_location_id, "
            "created_at) VALUES (?, 'to_inspection', ?, ?, ?)",
            (order["id"], source, target["id"] if target else None, ctx.at),
        )


def cancel_order(conn: sqlite3.Connection, ctx: CommandContext, cancel: CancelIn) -> OrderView:
    """Intercept an order wherever it is: unreserve, or leave a return-to-stock task."""
    order = order_by_number(conn, cancel.order_no)
    ctx.audit_target = f"order:{cancel.order_no}"
    if order["state"] == "cancelled":
        return order_view(conn, order["id"])
    if order["state"] == "shipped":
        raise ERR.CANCEL_TOO_LATE({"order_no": cancel.order_no})
    release_open_allocations(conn, order["id"])
    if order["wave_id"] is not None:
        still_open = conn.execute(
            "SELECT 1 FROM allocations WHERE wave_id = ? AND status = 'open' LIMIT 1",
            (order["wave_id"],),
        ).fetchone()
        if still_open is None:
            conn.execute("UPDATE waves SET status = 'done' WHERE id = ?", (order["wave_id"],))
    close_open_tasks(conn, ctx, order["id"], "to_inspection", "order cancelled")
    source = goods_location(conn, order)
    if source is not None:
        conn.execute(
            "INSERT INTO order_tasks (order_id, kind, source_location_id, created_at) "
            "VALUES (?, 'return_to_stock', ?, ?)",
            (order["id"], source, ctx.at),
        )
    cancel_order_labels(conn, order["id"])
    conn.execute(
        "UPDATE orders SET cancelled_at = ?, cancel_reason = ? WHERE id = ?",
        (ctx.at, cancel.reason, order["id"]),
    )
    set_state(conn, ctx, order, "cancelled")
    return order_view(conn, order["id"])


def close_open_tasks(
    conn: sqlite3.Connection, ctx: CommandContext, order_id: int, kind: str, outcome: str
) -> None:
    """Close floor tasks that are no longer needed, saying why."""
    conn.execute(
        "UPDATE order_tasks SET status = 'done', outcome = ?, done_by = ?, done_at = ? "
        "WHERE order_id = ? AND kind = ? AND status = 'open'",
        (outcome, ctx.actor.label, ctx.at, order_id, kind),
    )


def goods_location(conn: sqlite3.Connection, order: sqlite3.Row) -> int | None:
    """Where the order's picked goods are: its parcel once packed, else its tote."""
    parcel = conn.execute(
        "SELECT location_id FROM parcels WHERE order_id = ?", (order["id"],)
    ).fetchone()
    if parcel is not None:
        return int(parcel["location_id"])
    tote = order["tote_location_id"]
    if tote is not None and holds_stock(conn, tote):
        return int(tote)
    return None


# -- state ------------------------------------------------------------------------------


def set_state(
    conn: sqlite3.Connection, ctx: CommandContext, order: sqlite3.Row, state: str
) -> None:
    if order["state"] == state:
        return
    conn.execute(
        "UPDATE orders SET state = ?, updated_at = ? WHERE id = ?", (state, ctx.at, order["id"])
    )
    append_event(
        conn,
        ctx,
        "order.state_changed",
        # orders.state's CHECK holds every state to ORDER_STATES, the contract's OrderState.
        OrderStateChanged(
            order_no=order["order_no"], from_=order["state"], to=cast(OrderState, state)
        ),
    )


def blocked(order: sqlite3.Row) -> ErrorCode | None:
    """Why the floor must not go on with this order, or None."""
    if order["state"] == "cancelled" or order["cancelled_at"]:
        return ERR.ORDER_CANCELLED
    if customs.is_hold(order["customs_status"]):
        if order["customs_status"] == customs.INSPECTION_CODE:
            return ERR.ORDER_INSPECTION
        return ERR.ORDER_ON_HOLD
    return None


def refuse_if_blocked(order: sqlite3.Row) -> None:
    reason = blocked(order)
    if reason is not None:
        raise reason({"order_no": order["order_no"], "customs_status": order["customs_status"]})


def order_by_number(conn: sqlite3.Connection, order_no: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM orders WHERE order_no = ?", (order_no,)).fetchone()
    if row is None:
        raise ERR.ORDER_NOT_FOUND({"order_no": order_no}, order=order_no)
    return row


def order_row(conn: sqlite3.Connection, order_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise ERR.ORDER_NOT_FOUND({"id": order_id}, order=order_id)
    return row


def find_order_by_scan(conn: sqlite3.Connection, scanned: str, gs_placeholder: str) -> sqlite3.Row:
    """An order from its order number, its waybill number or the tote holding it."""
    _, text = normalise(scanned, gs_placeholder)
    row = conn.execute(
        "SELECT * FROM orders WHERE order_no = ? OR waybill_no = ? LIMIT 1", (text, text)
    ).fetchone()
    if row is not None:
        return row
    tote = conn.execute(
        "SELECT id FROM locations WHERE code = ? AND type = 'tote'", (text,)
    ).fetchone()
    if tote is not None:
        row = conn.execute(
            "SELECT * FROM orders WHERE tote_location_id = ? ORDER BY updated_at DESC LIMIT 1",
            (tote["id"],),
        ).fetchone()
        if row is not None and holds_stock(conn, tote["id"]):
            return row
        raise ERR.TOTE_EMPTY({"tote": text})
    raise ERR.ORDER_NOT_FOUND({"scanned": text}, order=text)


# -- views ------------------------------------------------------------------------------


def order_view(conn: sqlite3.Connection, order_id: int, *, personal: bool = False) -> OrderView:
    """An order as the floor and the supervisor see it; the recipient masked as on the face
    sheet unless `personal` (see server/privacy.py: who may see it whole)."""
    o = conn.execute(
        "SELECT o.*, c.code AS customer, t.code AS tote, w.wave_no FROM orders o "
        "JOIN customers c ON c.id = o.customer_id LEFT JOIN locations t ON t.id = o.tote_location_id "
        "LEFT JOIN waves w ON w.id = o.wave_id WHERE o.id = ?",
        (order_id,),
    ).fetchone()
    if o is None:
        raise ERR.ORDER_NOT_FOUND(order=order_id)
    lines = conn.execute(
        "SELECT l.line_no, s.code AS sku, s.name AS sku_name, l.quantity, l.lot, "
        "(SELECT COALESCE(SUM(CASE WHEN a.status IN ('open', 'picked') THEN a.quantity "
        "  ELSE a.picked_qty END), 0) FROM allocations a WHERE a.line_id = l.id) AS allocated, "
        "(SELECT COALESCE(SUM(a.picked_qty), 0) FROM allocations a WHERE a.line_id = l.id) AS picked "
        "FROM order_lines l JOIN skus s ON s.id = l.sku_id WHERE l.order_id = ? ORDER BY l.line_no",
        (order_id,),
    ).fetchall()
    packed = dict(
        conn.execute(
            "SELECT sku_id, SUM(quantity) FROM pack_scans WHERE order_id = ? GROUP BY sku_id",
            (order_id,),
        ).fetchall()
    )
    sku_ids = dict(
        conn.execute(
            "SELECT l.line_no, l.sku_id FROM order_lines l WHERE l.order_id = ?", (order_id,)
        ).fetchall()
    )
    parcel = conn.execute(
        "SELECT p.waybill_no, p.weight_g, p.parcel_count, p.status, p.packed_at, p.station, "
        "l.code AS lane FROM parcels p LEFT JOIN locations l ON l.id = p.lane_location_id "
        "WHERE p.order_id = ?",
        (order_id,),
    ).fetchone()
    tasks = conn.execute(
        "SELECT t.id, t.kind, t.status, t.outcome, s.code AS source, d.code AS target "
        "FROM order_tasks t "
        "LEFT JOIN locations s ON s.id = t.source_location_id "
        "LEFT JOIN locations d ON d.id = t.target_location_id WHERE t.order_id = ? ORDER BY t.id",
        (order_id,),
    ).fetchall()
    reason = blocked(o)
    label = msgspec.json.decode(o["label"], type=OrderLabel)
    return OrderView(
        id=o["id"],
        order_no=o["order_no"],
        customer=o["customer"],
        courier=o["courier"],
        waybill_no=o["waybill_no"],
        state=o["state"],
        customs_status=o["customs_status"],
        customs_at=o["customs_at"],
        customs_gate=customs.gate(o["customs_status"]).name.lower(),
        blocked=reason.code if reason else None,
        cutoff_at=o["cutoff_at"],
        priority=o["priority"],
        wave=o["wave_no"],
        tote=o["tote"],
        label=label if personal else masked_label(label),
        lines=[
            OrderLineView(**dict(line), packed=packed.get(sku_ids[line["line_no"]], 0))
            for line in lines
        ],
        parcel=ParcelView(**dict(parcel)) if parcel else None,
        tasks=[OrderTaskBrief(**dict(t)) for t in tasks],
        cancelled_at=o["cancelled_at"],
    )


def list_orders(
    conn: sqlite3.Connection,
    *,
    state: str | None,
    exceptions_only: bool,
    courier: str | None,
    limit: int,
    wave: str | None = None,
) -> list[OrderListRow]:
    """Orders for the supervisor: by state, wave, courier, or only those needing attention."""
    where, params = ["1 = 1"], []
    if wave:
        where.append("w.wave_no = ?")
        params.append(wave)
    if state:
        where.append("o.state = ?")
        params.append(state)
    if courier:
        where.append("o.courier = ?")
        params.append(courier)
    if exceptions_only:
        where.append(
            f"({HOLD_SQL} OR o.state IN ('short', 'backorder') OR EXISTS (SELECT 1 FROM "
            "order_tasks t WHERE t.order_id = o.id AND t.status = 'open'))"
        )
    rows = conn.execute(
        "SELECT o.id, o.order_no, c.code AS customer, o.courier, o.waybill_no, o.state, "
        "o.customs_status, o.cutoff_at, o.priority, o.cancelled_at, w.wave_no AS wave, "
        "t.code AS tote, (SELECT COUNT(*) FROM order_tasks k WHERE k.order_id = o.id "
        " AND k.status = 'open') AS open_tasks "
        "FROM orders o JOIN customers c ON c.id = o.customer_id "
        "LEFT JOIN waves w ON w.id = o.wave_id LEFT JOIN locations t ON t.id = o.tote_location_id "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY o.priority DESC, CASE WHEN o.cutoff_at = '' THEN 1 ELSE 0 END, o.cutoff_at, o.id "
        "LIMIT ?",
        (*params, limit),
    ).fetchall()
    out = []
    for r in rows:
        reason = blocked(r)
        out.append(
            OrderListRow(
                **dict(r),
                customs_gate=customs.gate(r["customs_status"]).name.lower(),
                blocked=reason.code if reason else None,
            )
        )
    return out


def order_counts(conn: sqlite3.Connection) -> OrderCounts:
    """How many orders are at each step, on hold, short, and with open floor tasks."""
    by_state = dict(conn.execute("SELECT state, COUNT(*) FROM orders GROUP BY state").fetchall())
    holds = conn.execute(
        f"SELECT COUNT(*) FROM orders o WHERE {HOLD_SQL} AND o.state NOT IN ('cancelled', 'shipped')"
    ).fetchone()[0]
    tasks = dict(
        conn.execute(
            "SELECT kind, COUNT(*) FROM order_tasks WHERE status = 'open' GROUP BY kind"
        ).fetchall()
    )
    shortages = conn.execute(
        "SELECT COUNT(*) FROM pick_shortages WHERE resolved_at IS NULL"
    ).fetchone()[0]
    return OrderCounts(by_state=by_state, on_hold=holds, open_tasks=tasks, open_shortages=shortages)
