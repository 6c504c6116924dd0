"""Waves: released orders grouped by courier and cut-off, reserved, and turned into pick
tasks walked in the locations' pick sequence."""

from __future__ import annotations

import math
import sqlite3
import time
from datetime import date
from typing import Any

import msgspec

from server.chunked import run_chunked_command
from server.commands import SYSTEM, CommandContext, append_event, utc_now
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
from server.outbound.schemas import OrderView, WaveIn, WaveView
from server.sync.contract import WaveBuilt as WaveBuiltEvent

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
    """Reserve stock for the chosen orders; those fully covered make the wave. All in the
    caller's one transaction (the wave worker's); POST /api/v1/waves runs `WaveRelease`."""
    job = WaveRelease(settings, req, today=today, automatic=automatic)
    state = job.begin(conn, ctx)
    job.step(conn, ctx, state, deadline=math.inf)
    answer = job.finish(conn, ctx, state)
    ctx.audit_target = state["audit_target"]
    return answer


class WaveRelease:
    """A wave built in chunks (server/chunked.py): the orders are chosen in the first
    chunk and stored with the job; each chunk then reserves stock for the next orders, in
    that order, and those fully covered join the wave at once (their `order.state_changed`
    events go out with their chunk). The last chunk sends `wave.built` with every order
    of the wave, once.

    A wave releases whole unless the job stops: an order changed by someone else while
    the wave was being built (waved by another wave, cancelled, put on hold) is skipped
    with its reason, as a named order is. If the server stops mid-way, the orders of the
    committed chunks are in the wave (it is open, its tasks can be picked) and the rest
    wait as they were; the same request with the same key goes on from there and answers
    the whole wave; `GET /api/v1/waves/{id}` says how many orders it holds meanwhile.
    """

    def __init__(
        self, settings: Settings, req: WaveIn, *, today: date, automatic: bool = False
    ) -> None:
        self.settings, self.req, self.today, self.automatic = settings, req, today, automatic

    def begin(self, conn: sqlite3.Connection, ctx: CommandContext) -> dict[str, Any]:
        candidates, skipped = self._candidates(conn)
        if not candidates:
            raise ERR.NOTHING_TO_WAVE({"skipped": skipped})
        return {
            "orders": [o["id"] for o in candidates],
            "done": 0,
            "wave_id": None,
            "joined": [],
            "backordered": [],
            "skipped": skipped,
            "audit_target": "",
            "request": msgspec.to_builtins(self.req),
        }

    def progress(self, state: dict[str, Any]) -> tuple[int, int]:
        return state["done"], len(state["orders"])

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        orders: list[int] = state["orders"]
        while state["done"] < len(orders):
            order = conn.execute(
                f"SELECT o.*, {pickable_sql(self.settings)} AS pickable FROM orders o "
                "WHERE o.id = ?",
                (orders[state["done"]],),
            ).fetchone()
            refusal = _no_longer_a_candidate(order)
            if refusal is not None:
                state["skipped"].append({"order_no": order["order_no"], "code": refusal.code})
            elif allocate_order(conn, order["id"], today=self.today, at=ctx.at):
                self._join(conn, ctx, state, order)
            else:
                state["backordered"].append(order["order_no"])
                set_state(conn, ctx, order, "backorder")
            state["done"] += 1
            if time.perf_counter() >= deadline:
                break
        return state["done"] >= len(orders)

    def finish(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any]
    ) -> dict[str, Any]:
        wave_id = state["wave_id"]
        if wave_id is None:
            # What could be reserved stays reserved: the back-orders are the news here.
            return {
                "id": None,
                "wave_no": None,
                "orders": 0,
                "backordered": state["backordered"],
                "skipped": state["skipped"],
            }
        joined = [
            conn.execute("SELECT order_no, courier FROM orders WHERE id = ?", (i,)).fetchone()
            for i in state["joined"]
        ]
        couriers = sorted({o["courier"] for o in joined})
        conn.execute(
            "UPDATE waves SET courier = ? WHERE id = ?",
            (couriers[0] if len(couriers) == 1 else "", wave_id),
        )
        wave = msgspec.to_builtins(wave_view(conn, wave_id))
        append_event(
            conn,
            ctx,
            "wave.built",
            WaveBuiltEvent(
                wave_no=wave["wave_no"],
                orders=[o["order_no"] for o in joined],
                automatic=self.automatic,
            ),
        )
        return {**wave, "backordered": state["backordered"], "skipped": state["skipped"]}

    def _candidates(self, conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], list[Any]]:
        req, settings = self.req, self.settings
        limit = req.max_orders or settings.outbound.wave_max_orders
        skipped: list[dict[str, Any]] = []
        if req.order_nos:
            candidates, skipped = _named_candidates(conn, settings, req.order_nos)
            # Named orders are all taken unless a limit is asked for; those left out say so.
            limit = req.max_orders or len(candidates)
            skipped += [
                {"order_no": o["order_no"], "code": ERR.WAVE_FULL.code} for o in candidates[limit:]
            ]
            return candidates[:limit], skipped
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
        return candidates, skipped

    def _join(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], order: Any
    ) -> None:
        """The covered order joins the wave; the wave is made with its first order."""
        if state["wave_id"] is None:
            wave_id = conn.execute(
                "INSERT INTO waves (wave_no, courier, cutoff_before, automatic, created_by, "
                "created_at) VALUES ('', ?, ?, ?, ?, ?) RETURNING id",
                (
                    order["courier"],
                    utc_text(self.req.cutoff_before) if self.req.cutoff_before else "",
                    int(self.automatic),
                    ctx.actor.label,
                    ctx.at,
                ),
            ).fetchone()[0]
            wave_no = f"W{wave_id:06d}"
            conn.execute("UPDATE waves SET wave_no = ? WHERE id = ?", (wave_no, wave_id))
            state["wave_id"], state["audit_target"] = wave_id, f"wave:{wave_no}"
        wave_id = state["wave_id"]
        conn.execute(
            "UPDATE allocations SET wave_id = ? WHERE order_id = ? AND status = 'open'",
            (wave_id, order["id"]),
        )
        conn.execute("UPDATE orders SET wave_id = ? WHERE id = ?", (wave_id, order["id"]))
        # Pickers may drain the orders joined so far between two chunks: a wave still
        # gaining orders is open again.
        conn.execute("UPDATE waves SET status = 'open' WHERE id = ?", (wave_id,))
        set_state(conn, ctx, order, "waved")
        state["joined"].append(order["id"])


def _no_longer_a_candidate(order: sqlite3.Row) -> Any:
    """Why an order chosen for a wave can no longer join it (someone changed it between two
    chunks), or None."""
    if (reason := blocked(order)) is not None:
        return reason
    if not order["pickable"]:
        return ERR.ORDER_NOT_RELEASED
    if order["state"] not in WAVE_CANDIDATE_STATES or order["wave_id"] is not None:
        return ERR.ORDER_ALREADY_WAVED
    return None


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


def run_automatic_waves(db: Database, settings: Settings) -> list[str]:
    """The wave worker's step: one wave per courier with orders ready to pick, each a
    chunked command. A wave the worker left unfinished (the server stopped mid-way) is
    finished first, under its own key."""
    today = site_today(settings)
    unfinished = db.read(
        lambda conn: [
            (r["key"], msgspec.json.decode(r["state"])["request"]["courier"])
            for r in conn.execute(
                "SELECT key, state FROM command_jobs WHERE name = 'wave.auto' ORDER BY started_at"
            )
        ]
    )
    stamp = utc_now()
    due = db.read(
        lambda conn: [
            (f"auto-wave:{stamp}:{r[0]}", r[0])
            for r in conn.execute(
                f"SELECT DISTINCT o.courier FROM orders o WHERE o.state IN ('new', 'allocated') "
                f"AND o.wave_id IS NULL AND {pickable_sql(settings)} ORDER BY o.courier"
            )
        ]
    )
    built = []
    for key, courier in unfinished + due:
        job = WaveRelease(settings, WaveIn(courier=courier), today=today, automatic=True)
        try:
            wave = run_chunked_command(db, SYSTEM, "wave.auto", key, {"courier": courier}, job)
        except Unprocessable:
            continue  # everything for this courier is waiting for stock
        if wave.value["wave_no"] and not wave.replayed:
            built.append(wave.value["wave_no"])
    return built


def finish_wave_if_done(conn: sqlite3.Connection, wave_id: int | None) -> None:
    if wave_id is None:
        return
    still_open = conn.execute(
        "SELECT 1 FROM allocations WHERE wave_id = ? AND status = 'open' LIMIT 1", (wave_id,)
    ).fetchone()
    if still_open is None:
        conn.execute("UPDATE waves SET status = 'done' WHERE id = ?", (wave_id,))


def wave_view(conn: sqlite3.Connection, wave_id: int) -> WaveView:
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
    return WaveView(**{**dict(row), "automatic": bool(row["automatic"])})


def list_waves(conn: sqlite3.Connection, *, status: str | None, limit: int) -> list[WaveView]:
    ids = conn.execute(
        "SELECT id FROM waves WHERE (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?",
        (status, status, limit),
    ).fetchall()
    return [wave_view(conn, r[0]) for r in ids]


def retry_allocation(
    conn: sqlite3.Connection, ctx: CommandContext, order_id: int, *, today: date
) -> OrderView:
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
