"""Picking by scan: a pick task is one allocation (order line × location × lot), leased to
one handheld at a time. Location → item → quantity → tote, each checked against the task;
the confirmed units move from the location into the order's tote in the ledger.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

from server.barcodes import gtin_candidates, normalise, read_scan
from server.commands import Actor, CommandContext, append_event
from server.config import Settings, site_day
from server.error_codes import ERR
from server.ledger.schemas import MovementIn
from server.ledger.service import holds_stock, post_movement, refuse_if_frozen
from server.masterdata.service import sku_code
from server.outbound import customs
from server.outbound.allocation import reserve_line
from server.outbound.lots import confirm_lot
from server.outbound.orders import order_row, refuse_if_blocked, set_state
from server.outbound.schemas import (
    ItemChecked,
    NextTask,
    PickCheck,
    PickChecked,
    PickConfirm,
    PickConfirmed,
    PickTask,
    ShortPick,
    ShortPicked,
)
from server.outbound.waves import finish_wave_if_done, pickable_sql
from server.scan_quantity import check_quantity_per_scan
from server.sync.contract import PickShort


def lease_holder(actor: Actor) -> str:
    """A lease belongs to one user on one handheld."""
    return f"{actor.code}@{actor.device}"


def _lease_until(settings: Settings, at: str) -> str:
    moment = datetime.fromisoformat(at) + timedelta(seconds=settings.outbound.pick_lease_seconds)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def lease_next_task(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, wave_id: int
) -> NextTask:
    """The caller's current task in the wave, else the next free one in the pick walk."""
    holder = lease_holder(ctx.actor)
    mine = conn.execute(
        # Forced: the planner prefers the wave's pick-walk index and checks every task.
        "SELECT a.id FROM allocations a INDEXED BY allocations_lease "
        "JOIN orders o ON o.id = a.order_id "
        "WHERE a.wave_id = ? AND a.status = 'open' AND a.lease_holder = ? "
        f"AND a.lease_expires_at > ? AND {pickable_sql(settings)} "
        "ORDER BY a.pick_sequence, a.id LIMIT 1",
        (wave_id, holder, ctx.at),
    ).fetchone()
    row = (
        mine
        or conn.execute(
            "SELECT a.id FROM allocations a JOIN orders o ON o.id = a.order_id "
            "WHERE a.wave_id = ? AND a.status = 'open' "
            "AND (a.lease_holder = '' OR a.lease_expires_at <= ?) "
            f"AND {pickable_sql(settings)} ORDER BY a.pick_sequence, a.id LIMIT 1",
            (wave_id, ctx.at),
        ).fetchone()
    )
    ctx.audit_target = f"wave:{wave_id}"
    if row is None:
        remaining = conn.execute(
            "SELECT COUNT(*) FROM allocations WHERE wave_id = ? AND status = 'open'", (wave_id,)
        ).fetchone()[0]
        return NextTask(task=None, open_tasks=remaining)
    _lease(conn, ctx, settings, row["id"])
    return NextTask(task=task_view(conn, row["id"]))


def lease_task(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, task_id: int
) -> PickTask:
    """Take one task by its id; refused while another handheld holds it."""
    task = _open_task(conn, task_id)
    refuse_if_blocked(order_row(conn, task["order_id"]))
    _check_lease(task, ctx)
    _lease(conn, ctx, settings, task_id)
    return task_view(conn, task_id)


def release_lease(conn: sqlite3.Connection, ctx: CommandContext, task_id: int) -> PickTask:
    task = _task(conn, task_id)
    if task["lease_holder"] == lease_holder(ctx.actor):
        conn.execute(
            "UPDATE allocations SET lease_holder = '', lease_expires_at = '' WHERE id = ?",
            (task_id,),
        )
    ctx.audit_target = f"pick-task:{task_id}"
    return task_view(conn, task_id)


def _lease(conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, task_id: int) -> None:
    conn.execute(
        "UPDATE allocations SET lease_holder = ?, lease_expires_at = ? WHERE id = ?",
        (lease_holder(ctx.actor), _lease_until(settings, ctx.at), task_id),
    )
    ctx.audit_target = f"pick-task:{task_id}"


def _check_lease(task: sqlite3.Row, ctx: CommandContext) -> None:
    holder = task["lease_holder"]
    if holder and holder != lease_holder(ctx.actor) and task["lease_expires_at"] > ctx.at:
        raise ERR.TASK_LEASED({"holder": holder.split("@")[0], "until": task["lease_expires_at"]})


def check_pick(
    conn: sqlite3.Connection, settings: Settings, task_id: int, req: PickCheck, *, today: date
) -> PickChecked:
    """Check one scan of a pick before the units are confirmed; changes nothing."""
    refuse_if_blocked(order_row(conn, _task(conn, task_id)["order_id"]))
    task = _open_task(conn, task_id)
    out = PickChecked(task=task["id"])
    if req.location is not None:
        _check_location(conn, task, req.location, settings)
        refuse_if_frozen(conn, task["location_id"])
        out.location = "ok"
    if req.item is not None:
        sku, lot, count = _check_item(conn, task, req.item, settings)
        refuse_if_expired(task, today)
        out.item = ItemChecked(
            sku=sku,
            lot=lot,
            count=count,
            # Said at the item scan, so the handheld asks for the lot label before the tote.
            lot_needed=_lot_tracked(conn, task) and not lot,
            lot_policy=settings.outbound.lot_confirmation,
        )
    if req.lot is not None:
        out.lot = _confirm_task_lot(conn, settings, task, item_lot="", lot_scan=req.lot)
    if req.tote is not None:
        out.tote = _check_tote(conn, task, req.tote, settings)[1]
    return out


def confirm_pick(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    task_id: int,
    req: PickConfirm,
) -> PickConfirmed:
    """Move the picked units from the location into the order's tote."""
    ctx.audit_target = f"pick-task:{task_id}"
    check_quantity_per_scan(
        req.quantity, settings.scan.max_quantity_per_scan, confirmed=req.confirmed_large
    )
    order = order_row(conn, _task(conn, task_id)["order_id"])
    refuse_if_blocked(order)  # a cancelled order's tasks are closed: say why
    task = _open_task(conn, task_id)
    _check_lease(task, ctx)
    if not customs.may_pick(
        order["customs_status"],
        bonded=settings.site.bonded,
        pick_before_release=settings.outbound.pick_before_release,
    ):
        raise ERR.ORDER_NOT_RELEASED(
            {"order_no": order["order_no"], "customs_status": order["customs_status"]}
        )
    _check_location(conn, task, req.location, settings)
    _, item_lot, _ = _check_item(conn, task, req.item, settings)
    refuse_if_expired(task, site_day(settings, ctx.at))
    _confirm_task_lot(
        conn,
        settings,
        task,
        item_lot=item_lot,
        lot_scan=req.lot,
        lot_choice=req.lot_choice,
    )
    tote_id, tote_code = _check_tote(conn, task, req.tote, settings)
    remaining = task["quantity"] - task["picked_qty"]
    if req.quantity > remaining:
        raise ERR.PICK_OVER({"remaining": remaining, "quantity": req.quantity})
    done = req.quantity == remaining
    # The reservation shrinks first, so the ledger sees these units as free to take.
    conn.execute(
        "UPDATE allocations SET picked_qty = picked_qty + ?, status = ?, lease_holder = ?, "
        "lease_expires_at = ? WHERE id = ?",
        (
            req.quantity,
            "picked" if done else "open",
            "" if done else lease_holder(ctx.actor),
            "" if done else _lease_until(settings, ctx.at),
            task_id,
        ),
    )
    post_movement(
        conn,
        ctx,
        MovementIn(
            kind="pick",
            customer_id=task["customer_id"],
            sku_id=task["sku_id"],
            quantity=req.quantity,
            lot=task["lot"],
            expiry=task["expiry"],
            from_location_id=task["location_id"],
            to_location_id=tote_id,
            document=order["order_no"],
        ),
        flow="pick",
    )
    conn.execute("UPDATE orders SET tote_location_id = ? WHERE id = ?", (tote_id, order["id"]))
    state = refresh_pick_state(conn, ctx, order["id"])
    finish_wave_if_done(conn, task["wave_id"])
    return PickConfirmed(
        task=task_view(conn, task_id), tote=tote_code, order_no=order["order_no"], order_state=state
    )


def short_pick(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    task_id: int,
    req: ShortPick,
    *,
    today: date,
) -> ShortPicked:
    """The rest of the task is not there: try another location of the same customer, or
    mark the order short for the supervisor."""
    task = _open_task(conn, task_id)
    ctx.audit_target = f"pick-task:{task_id}"
    _check_lease(task, ctx)
    missing = task["quantity"] - task["picked_qty"]
    conn.execute(
        "UPDATE allocations SET status = 'short', lease_holder = '', lease_expires_at = '' "
        "WHERE id = ?",
        (task_id,),
    )
    line = conn.execute(
        "SELECT l.id, l.sku_id, l.lot, o.customer_id, s.expiry_tracked FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id JOIN skus s ON s.id = l.sku_id WHERE l.id = ?",
        (task["line_id"],),
    ).fetchone()
    found = reserve_line(
        conn,
        line,
        missing,
        today=today,
        at=ctx.at,
        exclude_location=task["location_id"],
        wave_id=task["wave_id"],
    )
    location = conn.execute(
        "SELECT code FROM locations WHERE id = ?", (task["location_id"],)
    ).fetchone()["code"]
    order = order_row(conn, task["order_id"])
    # The ledger still has these units here; allocation leaves them alone until a count.
    conn.execute(
        "INSERT INTO pick_shortages (location_id, customer_id, sku_id, lot, expiry, missing, "
        "order_id, reason, reported_by, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            task["location_id"],
            task["customer_id"],
            task["sku_id"],
            task["lot"],
            task["expiry"],
            missing,
            order["id"],
            req.reason,
            ctx.actor.code,
            ctx.at,
        ),
    )
    append_event(
        conn,
        ctx,
        "pick.short",
        PickShort(
            order_no=order["order_no"],
            location=location,
            sku_id=task["sku_id"],
            sku=sku_code(conn, task["sku_id"]),
            lot=task["lot"],
            missing=missing,
            reallocated=found,
            reason=req.reason,
        ),
    )
    if found < missing:
        set_state(conn, ctx, order, "short")
    else:
        refresh_pick_state(conn, ctx, order["id"])
    finish_wave_if_done(conn, task["wave_id"])
    return ShortPicked(
        task=task_view(conn, task_id),
        missing=missing,
        reallocated=found,
        order_state=order_row(conn, order["id"])["state"],
    )


def refresh_pick_state(conn: sqlite3.Connection, ctx: CommandContext, order_id: int) -> str:
    """picked when every unit of every line is in the tote, else picking (short stays short)."""
    order = order_row(conn, order_id)
    lines = conn.execute(
        "SELECT l.quantity, (SELECT COALESCE(SUM(a.picked_qty), 0) FROM allocations a "
        "WHERE a.line_id = l.id) AS picked FROM order_lines l WHERE l.order_id = ?",
        (order_id,),
    ).fetchall()
    if all(line["picked"] >= line["quantity"] for line in lines):
        state = "picked"
    elif order["state"] == "short":
        missing_reservation = conn.execute(
            "SELECT 1 FROM order_lines l WHERE l.order_id = ? AND l.quantity > (SELECT "
            "COALESCE(SUM(CASE WHEN a.status IN ('open', 'picked') THEN a.quantity "
            "ELSE a.picked_qty END), 0) FROM allocations a WHERE a.line_id = l.id)",
            (order_id,),
        ).fetchone()
        state = "short" if missing_reservation else "picking"
    else:
        state = "picking" if any(line["picked"] for line in lines) else order["state"]
    set_state(conn, ctx, order, state)
    return state


# -- checks ------------------------------------------------------------------------------


def _check_location(
    conn: sqlite3.Connection, task: sqlite3.Row, scanned: str, settings: Settings
) -> None:
    _, text = normalise(scanned, settings.scan.gs_placeholder)
    expected = conn.execute(
        "SELECT code FROM locations WHERE id = ?", (task["location_id"],)
    ).fetchone()["code"]
    if text.strip().upper() != expected.upper():
        raise ERR.WRONG_LOCATION({"expected": expected, "scanned": text})


def _check_item(
    conn: sqlite3.Connection, task: sqlite3.Row, scanned: str, settings: Settings
) -> tuple[str, str, int | None]:
    """The scanned item must be the task's SKU, and a lot or expiry it carries must match:
    the SKU's code, and the scan's lot and count."""
    scan = read_scan(scanned, settings.scan.gs_placeholder)
    sku = conn.execute("SELECT id, code, name FROM skus WHERE id = ?", (task["sku_id"],)).fetchone()
    codes = gtin_candidates(scan.gtin) if scan.gtin else [scan.text]
    marks = ",".join("?" * len(codes))
    hit = conn.execute(
        f"SELECT sku_id FROM sku_barcodes WHERE customer_id = ? AND barcode IN ({marks}) "
        "AND sku_id = ?",
        (task["customer_id"], *codes, task["sku_id"]),
    ).fetchone()
    if hit is None and scan.text != sku["code"]:
        raise ERR.WRONG_ITEM(
            {"expected": sku["code"], "scanned": scan.gtin or scan.text}, sku=sku["name"]
        )
    if scan.lot and scan.lot != task["lot"]:
        raise ERR.LOT_MISMATCH({"expected": task["lot"], "scanned": scan.lot})
    if scan.expiry and task["expiry"] and scan.expiry != task["expiry"]:
        raise ERR.EXPIRY_MISMATCH({"expected": task["expiry"], "scanned": scan.expiry})
    return sku["code"], scan.lot, scan.count


def _lot_tracked(conn: sqlite3.Connection, task: sqlite3.Row) -> bool:
    """Only a lot-tracked SKU reserved with a lot has one to confirm."""
    row = conn.execute("SELECT lot_tracked FROM skus WHERE id = ?", (task["sku_id"],)).fetchone()
    return bool(row["lot_tracked"]) and bool(task["lot"])


def _confirm_task_lot(
    conn: sqlite3.Connection,
    settings: Settings,
    task: sqlite3.Row,
    *,
    item_lot: str,
    lot_scan: str | None,
    lot_choice: str | None = None,
) -> str:
    """The reserved lot, confirmed by the item scan, a lot label scan or a choice; a SKU
    not tracked by lot has nothing to confirm."""
    if not _lot_tracked(conn, task):
        return str(task["lot"])
    return confirm_lot(
        sku=sku_code(conn, task["sku_id"]),
        item_lot=item_lot,
        lot_scan=lot_scan,
        lot_choice=lot_choice,
        expected=[task["lot"]],
        policy=settings.outbound.lot_confirmation,
        gs_placeholder=settings.scan.gs_placeholder,
    )


def refuse_if_expired(task: sqlite3.Row, today: date) -> None:
    """Stock reserved before its expiry may have expired since: never pick it (the
    picker reports a shortage; allocation offers no expired stock)."""
    if task["expiry"] and task["expiry"] < today.isoformat():
        raise ERR.PICK_LOT_EXPIRED(
            {"lot": task["lot"], "expiry": task["expiry"], "today": today.isoformat()},
            lot=task["lot"] or "(none)",
        )


def _check_tote(
    conn: sqlite3.Connection, task: sqlite3.Row, scanned: str, settings: Settings
) -> tuple[int, str]:
    """A tote holds one order: the order's own tote, or an empty one."""
    _, text = normalise(scanned, settings.scan.gs_placeholder)
    tote = conn.execute(
        "SELECT id, code, type FROM locations WHERE code = ? AND active = 1", (text.strip(),)
    ).fetchone()
    if tote is None:
        raise ERR.TOTE_UNKNOWN({"scanned": text})
    if tote["type"] != "tote":
        raise ERR.NOT_A_TOTE({"scanned": text})
    order = order_row(conn, task["order_id"])
    own = order["tote_location_id"]
    if own is not None and own != tote["id"] and holds_stock(conn, own):
        current = conn.execute("SELECT code FROM locations WHERE id = ?", (own,)).fetchone()
        raise ERR.ORDER_IN_OTHER_TOTE({"tote": current["code"]})
    if holds_stock(conn, tote["id"]):
        other = conn.execute(
            "SELECT order_no FROM orders WHERE tote_location_id = ? AND id != ? "
            "AND state NOT IN ('packed', 'loaded', 'shipped') LIMIT 1",
            (tote["id"], order["id"]),
        ).fetchone()
        if other is not None or own != tote["id"]:
            raise ERR.TOTE_IN_USE(
                {"tote": tote["code"], "order_no": other["order_no"] if other else None}
            )
    return int(tote["id"]), tote["code"]


# -- reads -------------------------------------------------------------------------------


def _task(conn: sqlite3.Connection, task_id: int) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM allocations WHERE id = ? AND wave_id IS NOT NULL", (task_id,)
    ).fetchone()
    if row is None:
        raise ERR.TASK_NOT_FOUND(task_id=task_id)
    return row


def _open_task(conn: sqlite3.Connection, task_id: int) -> sqlite3.Row:
    task = _task(conn, task_id)
    if task["status"] != "open":
        raise ERR.TASK_CLOSED({"status": task["status"]}, task_id=task_id)
    return task


def task_view(conn: sqlite3.Connection, task_id: int) -> PickTask:
    t = conn.execute(
        "SELECT a.id, a.status, a.quantity, a.picked_qty, a.lot, a.expiry, a.lease_holder, "
        "a.lease_expires_at, l.code AS location, l.zone, s.code AS sku, s.name AS sku_name, "
        "(s.lot_tracked = 1 AND a.lot != '') AS lot_to_confirm, "
        "o.order_no, o.id AS order_id, c.code AS customer, w.wave_no, t.code AS tote, "
        "(SELECT GROUP_CONCAT(barcode) FROM sku_barcodes b WHERE b.sku_id = a.sku_id) AS barcodes "
        "FROM allocations a JOIN locations l ON l.id = a.location_id JOIN skus s ON s.id = a.sku_id "
        "JOIN orders o ON o.id = a.order_id JOIN customers c ON c.id = a.customer_id "
        "LEFT JOIN waves w ON w.id = a.wave_id LEFT JOIN locations t ON t.id = o.tote_location_id "
        "WHERE a.id = ?",
        (task_id,),
    ).fetchone()
    if t is None:
        raise ERR.TASK_NOT_FOUND(task_id=task_id)
    return PickTask(
        **{
            **dict(t),
            "lot_to_confirm": bool(t["lot_to_confirm"]),
            "lease_holder": t["lease_holder"].split("@")[0],
            "barcodes": (t["barcodes"] or "").split(",") if t["barcodes"] else [],
        },
        remaining=t["quantity"] - t["picked_qty"],
    )


def list_tasks(
    conn: sqlite3.Connection, *, wave_id: int, status: str | None, limit: int
) -> list[PickTask]:
    ids = conn.execute(
        "SELECT id FROM allocations WHERE wave_id = ? AND (? IS NULL OR status = ?) "
        "ORDER BY pick_sequence, id LIMIT ?",
        (wave_id, status, status, limit),
    ).fetchall()
    return [task_view(conn, r[0]) for r in ids]
