"""Floor tasks an intercept or an inspection leaves behind: take a cancelled order's goods
back to stock, take an inspected parcel (or tote) to the inspection lane."""

from __future__ import annotations

import sqlite3

from server.barcodes import normalise
from server.commands import CommandContext, append_event
from server.config import Settings
from server.error_codes import ERR
from server.ledger.service import move_contents
from server.masterdata.lookups import location_by_code
from server.outbound import customs
from server.outbound.schemas import OrderTask, PickShortage, TaskDone
from server.sync.contract import OrderTaskDone

RETURN_TARGET_TYPES = frozenset({"storage", "pick_face", "staging"})


def complete_task(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, task_id: int, req: TaskDone
) -> OrderTask:
    task = conn.execute("SELECT * FROM order_tasks WHERE id = ?", (task_id,)).fetchone()
    if task is None:
        raise ERR.TASK_NOT_FOUND(task_id=task_id)
    if task["status"] != "open":
        raise ERR.TASK_CLOSED(task_id=task_id, status="done")
    _, code = normalise(req.location, settings.scan.gs_placeholder)
    target = location_by_code(conn, code.strip())
    order = conn.execute("SELECT order_no FROM orders WHERE id = ?", (task["order_id"],)).fetchone()
    ctx.audit_target = f"order:{order['order_no']}"
    if task["kind"] == "to_inspection":
        if target.type != "inspection":
            raise ERR.NOT_AN_INSPECTION_LANE({"location": target.code})
        # The goods stay in their tote or parcel; the container is now at the lane.
        conn.execute(
            "UPDATE parcels SET lane_location_id = ? WHERE location_id = ?",
            (target.id, task["source_location_id"]),
        )
    else:
        _refuse_while_held(conn, task["order_id"])
        if target.type not in RETURN_TARGET_TYPES:
            raise ERR.RETURN_LOCATION_INVALID({"location": target.code, "type": target.type})
        move_contents(
            conn,
            ctx,
            kind="move",
            from_location_id=task["source_location_id"],
            to_location_id=target.id,
            document=order["order_no"],
            reason="return_to_stock",
            flow="return_to_stock",
        )
        conn.execute(
            "UPDATE parcels SET status = 'returned' WHERE location_id = ?",
            (task["source_location_id"],),
        )
        conn.execute(  # an emptied tote is free for the next order
            "UPDATE orders SET tote_location_id = NULL WHERE id = ? AND tote_location_id = ?",
            (task["order_id"], task["source_location_id"]),
        )
    conn.execute(
        "UPDATE order_tasks SET status = 'done', outcome = 'moved', target_location_id = ?, "
        "done_by = ?, done_at = ? WHERE id = ?",
        (target.id, ctx.actor.code, ctx.at, task_id),
    )
    append_event(
        conn,
        ctx,
        f"order.{task['kind']}",
        OrderTaskDone(order_no=order["order_no"], location=target.code),
    )
    return task_view(conn, task_id)


def _refuse_while_held(conn: sqlite3.Connection, order_id: int) -> None:
    """Goods customs holds (under inspection, detained) stay where customs can find them,
    even when the order is cancelled: they go back to stock once the hold is over."""
    order = conn.execute(
        "SELECT order_no, customs_status FROM orders WHERE id = ?", (order_id,)
    ).fetchone()
    if customs.is_hold(order["customs_status"]):
        raise ERR.ORDER_HELD_BY_CUSTOMS(
            {"order_no": order["order_no"], "customs_status": order["customs_status"]}
        )


def task_view(conn: sqlite3.Connection, task_id: int) -> OrderTask:
    row = conn.execute(
        "SELECT t.id, t.kind, t.status, t.outcome, t.created_at, t.done_at, t.done_by, o.order_no, "
        "s.code AS source, d.code AS target FROM order_tasks t JOIN orders o ON o.id = t.order_id "
        "LEFT JOIN locations s ON s.id = t.source_location_id "
        "LEFT JOIN locations d ON d.id = t.target_location_id WHERE t.id = ?",
        (task_id,),
    ).fetchone()
    if row is None:
        raise ERR.TASK_NOT_FOUND(task_id=task_id)
    return OrderTask(**dict(row))


def list_open_tasks(conn: sqlite3.Connection, *, limit: int) -> list[OrderTask]:
    ids = conn.execute(
        "SELECT id FROM order_tasks WHERE status = 'open' ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return [task_view(conn, r[0]) for r in ids]


def list_shortages(
    conn: sqlite3.Connection, *, open_only: bool, limit: int, shortage_id: int | None = None
) -> list[PickShortage]:
    """Stock pickers did not find where the ledger has it (to be settled by a count)."""
    rows = conn.execute(
        "SELECT p.id, l.code AS location, c.code AS customer, s.code AS sku, p.lot, p.expiry, "
        "p.missing, o.order_no, p.reason, p.reported_by, p.reported_at, p.resolved_by, "
        "p.resolved_at, p.resolution FROM pick_shortages p JOIN locations l ON l.id = p.location_id "
        "JOIN customers c ON c.id = p.customer_id JOIN skus s ON s.id = p.sku_id "
        "JOIN orders o ON o.id = p.order_id WHERE (? = 0 OR p.resolved_at IS NULL) "
        "AND (? IS NULL OR p.id = ?) ORDER BY p.id DESC LIMIT ?",
        (int(open_only), shortage_id, shortage_id, limit),
    ).fetchall()
    return [PickShortage(**dict(r)) for r in rows]


def resolve_shortage(
    conn: sqlite3.Connection, ctx: CommandContext, shortage_id: int, resolution: str
) -> PickShortage:
    """A supervisor settles a shortage (after a count or an adjustment): the location's
    stock may be reserved again."""
    row = conn.execute(
        "SELECT resolved_at FROM pick_shortages WHERE id = ?", (shortage_id,)
    ).fetchone()
    if row is None:
        raise ERR.SHORTAGE_NOT_FOUND(shortage_id=shortage_id)
    if row["resolved_at"] is not None:
        raise ERR.SHORTAGE_RESOLVED(shortage_id=shortage_id)
    conn.execute(
        "UPDATE pick_shortages SET resolved_by = ?, resolved_at = ?, resolution = ? WHERE id = ?",
        (ctx.actor.code, ctx.at, resolution, shortage_id),
    )
    ctx.audit_target = f"shortage:{shortage_id}"
    return list_shortages(conn, open_only=False, limit=1, shortage_id=shortage_id)[0]
