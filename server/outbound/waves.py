"""Waves: released orders grouped by courier and cut-off, reserved, and turned into pick
tasks walked in the locations' pick sequence."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from server.commands import SYSTEM, CommandContext, append_event, run_command, utc_now
from server.config import Settings, site_today
from server.db import Database
from server.error_codes import ERR
from server.errors import Unprocessable
from server.outbound import customs
from server.outbound.allocation import allocate_order
from server.outbound.orders import (
    blocked,
    order_row,
    order_view,
    refuse_if_blocked,
    set_state,
    utc_text,
)
from server.outbound.schemas import WaveIn
from server.sync.contract import WaveBuilt

WAVE_CANDIDATE_STATES = ("new", "backorder", "allocated")


def pickable_sql(settings: Settings) -> str:
    """SQL test (alias `o`) for an order customs lets the floor pick."""
    if not settings.site.bonded:
        return "o.cancelled_at IS NULL"
    codes = set(customs.RELEASED_CODES)
    if settings.outbound.pick_before_release:
        codes |= customs.ACCEPTED_CODES
    return f"o.cancelled_at IS NULL AND o.customs_status IN ({', '.join(map(str, sorted(codes)))})"


def build_wave(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    req: WaveIn,
    *,
    today: date,
    automatic: bool = False,
) -> dict[str, Any]:
    """Reserve stock for the chosen orders; those fully covered make the wave."""
    limit = req.max_orders or settings.outbound.wave_max_orders
    skipped: list[dict[str, Any]] = []
    if req.order_nos:
        candidates, skipped = _named_candidates(conn, settings, req.order_nos)
        # Named orders are all taken unless a limit is asked for; those left out say so.
        limit = req.max_orders or len(candidates)
        skipped += [
            {"order_no": o["order_no"], "code": ERR.WAVE_FULL.code} for o in candidates[limit:]
        ]
    else:
        where = [pickable_sql(settings), "o.wave_id IS NULL"]
        params: list[Any] = []
        if req.courier:
            where.append("o.courier = ?")
            params.append(req.courier)
        if req.cutoff_before:
            where.append("o.cutoff_at != '' AND o.cutoff_at <= ?")
            params.append(utc_text(req.cutoff_before))
        states = ", ".join(f"'{s}'" for s in WAVE_CANDIDATE_STATES)
        candidates = conn.execute(
            f"SELECT o.* FROM orders o WHERE o.state IN ({states}) AND {' AND '.join(where)} "
            "ORDER BY o.priority DESC, CASE WHEN o.cutoff_at = '' THEN 1 ELSE 0 END, "
            "o.cutoff_at, o.id LIMIT ?",
            (*params, limit),
        ).fetchall()
    joined: list[sqlite3.Row] = []
    backordered: list[str] = []
    for order in candidates[:limit]:
        if allocate_order(conn, order["id"], today=today, at=ctx.at):
            joined.append(order)
        else:
            backordered.append(order["order_no"])
            set_state(conn, ctx, order, "backorder")
    if not candidates:
        raise ERR.NOTHING_TO_WAVE({"skipped": skipped})
    if not joined:
        # What could be reserved stays reserved: the back-orders are the news here.
        return {
            "id": None,
            "wave_no": None,
            "orders": 0,
            "backordered": backordered,
            "skipped": skipped,
        }
    couriers = sorted({o["courier"] for o in joined})
    wave_id = conn.execute(
        "INSERT INTO waves (wave_no, courier, cutoff_before, automatic, created_by, created_at) "
        "VALUES ('', ?, ?, ?, ?, ?) RETURNING id",
        (
            couriers[0] if len(couriers) == 1 else "",
            utc_text(req.cutoff_before) if req.cutoff_before else "",
            int(automatic),
            ctx.actor.label,
            ctx.at,
        ),
    ).fetchone()[0]
    wave_no = f"W{wave_id:06d}"
    conn.execute("UPDATE waves SET wave_no = ? WHERE id = ?", (wave_no, wave_id))
    ids = [o["id"] for o in joined]
    conn.executemany(
        "UPDATE allocations SET wave_id = ? WHERE order_id = ? AND status = 'open'",
        [(wave_id, i) for i in ids],
    )
    conn.executemany("UPDATE orders SET wave_id = ? WHERE id = ?", [(wave_id, i) for i in ids])
    for order in joined:
        set_state(conn, ctx, order, "waved")
    append_event(
        conn,
        ctx,
        "wave.built",
        WaveBuilt(wave_no=wave_no, orders=[o["order_no"] for o in joined], automatic=automatic),
    )
    ctx.audit_target = f"wave:{wave_no}"
    return {
        **wave_view(conn, wave_id),
        "backordered": backordered,
        "skipped": skipped,
    }


def _named_candidates(
    conn: sqlite3.Connection, settings: Settings, order_nos: list[str]
) -> tuple[list[sqlite3.Row], list[dict[str, Any]]]:
    candidates, skipped = [], []
    for order_no in dict.fromkeys(order_nos):
        row = conn.execute(
            f"SELECT o.*, {pickable_sql(settings)} AS pickable FROM orders o WHERE o.order_no = ?",
            (order_no,),
        ).fetchone()
        if row is None:
            skipped.append({"order_no": order_no, "code": ERR.ORDER_NOT_FOUND.code})
        elif (reason := blocked(row)) is not None:
            skipped.append({"order_no": order_no, "code": reason.code})
        elif not row["pickable"]:
            skipped.append({"order_no": order_no, "code": ERR.ORDER_NOT_RELEASED.code})
        elif row["state"] not in WAVE_CANDIDATE_STATES or row["wave_id"] is not None:
            skipped.append({"order_no": order_no, "code": ERR.ORDER_ALREADY_WAVED.code})
        else:
            candidates.append(row)
    return candidates, skipped


def build_waves_automatically(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, *, today: date
) -> list[str]:
    """One wave per courier with orders ready to pick, earliest cut-off first."""
    couriers = [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT o.courier FROM orders o WHERE o.state IN ('new', 'allocated') "
            f"AND o.wave_id IS NULL AND {pickable_sql(settings)} ORDER BY o.courier"
        )
    ]
    built = []
    for courier in couriers:
        try:
            wave = build_wave(
                conn, ctx, settings, WaveIn(courier=courier), today=today, automatic=True
            )
        except Unprocessable:
            continue  # everything for this courier is waiting for stock
        if wave["wave_no"]:
            built.append(wave["wave_no"])
    return built


def run_automatic_waves(db: Database, settings: Settings) -> list[str]:
    """The wave worker's step: one command that builds whatever waves are due."""
    result = run_command(
        db,
        SYSTEM,
        "wave.auto",
        f"auto-wave:{utc_now()}",
        {},
        lambda conn, ctx: build_waves_automatically(
            conn, ctx, settings, today=site_today(settings)
        ),
    )
    built: list[str] = result.value
    return built


def finish_wave_if_done(conn: sqlite3.Connection, wave_id: int | None) -> None:
    if wave_id is None:
        return
    still_open = conn.execute(
        "SELECT 1 FROM allocations WHERE wave_id = ? AND status = 'open' LIMIT 1", (wave_id,)
    ).fetchone()
    if still_open is None:
        conn.execute("UPDATE waves SET status = 'done' WHERE id = ?", (wave_id,))


def wave_view(conn: sqlite3.Connection, wave_id: int) -> dict[str, Any]:
    row = conn.execute(
        "SELECT w.id, w.wave_no, w.courier, w.cutoff_before, w.automatic, w.status, w.created_at, "
        "(SELECT COUNT(*) FROM orders o WHERE o.wave_id = w.id) AS orders, "
        "(SELECT COUNT(*) FROM allocations a WHERE a.wave_id = w.id) AS tasks, "
        "(SELECT COUNT(*) FROM allocations a WHERE a.wave_id = w.id AND a.status = 'open') "
        "  AS open_tasks FROM waves w WHERE w.id = ?",
        (wave_id,),
    ).fetchone()
    if row is None:
        raise ERR.WAVE_NOT_FOUND(wave_id=wave_id)
    return {**dict(row), "automatic": bool(row["automatic"])}


def list_waves(conn: sqlite3.Connection, *, status: str | None, limit: int) -> list[dict[str, Any]]:
    ids = conn.execute(
        "SELECT id FROM waves WHERE (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?",
        (status, status, limit),
    ).fetchall()
    return [wave_view(conn, r[0]) for r in ids]


def retry_allocation(
    conn: sqlite3.Connection, ctx: CommandContext, order_id: int, *, today: date
) -> dict[str, Any]:
    """Reserve what a back-ordered or short order still misses (after a restock or a count)."""
    order = order_row(conn, order_id)
    ctx.audit_target = f"order:{order['order_no']}"
    refuse_if_blocked(order)
    if order["state"] not in ("new", "backorder", "allocated", "waved", "picking", "short"):
        raise ERR.ORDER_NOT_ALLOCATABLE({"state": order["state"]}, order_no=order["order_no"])
    covered = allocate_order(conn, order_id, today=today, at=ctx.at, wave_id=order["wave_id"])
    if order["wave_id"] is None:
        set_state(conn, ctx, order, "allocated" if covered else "backorder")
    elif order["state"] == "short" and covered:
        conn.execute("UPDATE waves SET status = 'open' WHERE id = ?", (order["wave_id"],))
        picked = conn.execute(
            "SELECT 1 FROM allocations WHERE order_id = ? AND picked_qty > 0 LIMIT 1", (order_id,)
        ).fetchone()
        set_state(conn, ctx, order, "picking" if picked else "waved")
    return order_view(conn, order_id)
