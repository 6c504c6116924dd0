"""Cycle counts: tasks, the freeze, blind counting, recounts and adjustment proposals.

- One task per location. Scanning the location starts the count: the location is
  frozen (the ledger refuses every movement from or to it but the count's own, and
  allocation skips it) and the expected quantities are snapshotted line by line.
- The counter never sees the expected quantities: views for roles outside
  `SEES_EXPECTED` carry only what the counter entered.
- On submit each line's difference = counted - expected at the start. A difference
  beyond the threshold (`[counts]` units or percent) makes a new blind count (a
  recount) and nothing else; otherwise (and always after a recount) the differences
  become pending proposals.
- Only a supervisor's approval changes stock: a `count` movement of the delta, with the
  reason, under the count's document. A delta is against the snapshot: if that stock
  key moved at the location since the count started, the approval is refused
  (STOCK_MOVED_SINCE_COUNT), so a count never silently overwrites stock moved meanwhile.

ABC classes rank SKUs by their pick movements over `[counts] abc_window_days`: the SKUs
making the first 80 % of the picks are A, the next 15 % B, the rest (and SKUs not
picked at all) C.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec

from server.barcodes import gtin_candidates, normalise, read_scan
from server.commands import SYSTEM, Actor, CommandContext, append_event, run_command, utc_now
from server.config import CountSettings, Settings
from server.counts.schemas import (
    BlindCount,
    BlindLine,
    CheckedCount,
    CheckedCountSubmitted,
    CheckedLine,
    CountCreate,
    CountedLine,
    CountFinished,
    CountLineIn,
    CountProposal,
    CountsCreated,
    CountStart,
    CountSubmitted,
    CountTask,
    CountView,
    Decision,
)
from server.db import Database
from server.error_codes import ERR
from server.ledger.schemas import MovementIn
from server.ledger.service import count_document, post_movement, refuse_if_system_managed
from server.masterdata.lookups import LocationRow, location_by_code, sku_of_customer
from server.scan_quantity import check_quantity_per_scan

S = TypeVar("S", bound=msgspec.Struct)

SEES_EXPECTED = frozenset({"supervisor", "admin"})
"""Roles that see expected quantities and differences (counters count blind)."""

COUNTABLE_TYPES = ("storage", "pick_face")
CLASS_A_SHARE, CLASS_B_SHARE = 0.80, 0.95
LIVE = ("open", "counting")


def is_blind(actor: Actor) -> bool:
    return not (actor.roles & SEES_EXPECTED)


# -- creating tasks -----------------------------------------------------------------------


def create_tasks(
    conn: sqlite3.Connection, ctx: CommandContext, settings: CountSettings, req: CountCreate
) -> CountsCreated:
    """Tasks for the named locations, a zone, a SKU's locations or an ABC class."""
    scopes = [bool(req.locations), bool(req.zone), req.sku is not None, bool(req.abc_class)]
    if sum(scopes) != 1:
        raise ERR.COUNT_SCOPE()
    types = ",".join(f"'{t}'" for t in COUNTABLE_TYPES)
    if req.locations:
        origin = "location"
        ids = [_location(conn, code).id for code in dict.fromkeys(req.locations)]
    elif req.zone:
        origin = "zone"
        ids = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM locations WHERE zone = ? AND active = 1 AND type IN ({types}) "
                "ORDER BY pick_sequence, code",
                (req.zone,),
            )
        ]
    elif req.sku is not None:
        origin = "sku"
        ids = _locations_holding(conn, [sku_of_customer(conn, req.sku.customer, req.sku.sku).id])
    else:
        origin = "abc"
        classes = abc_classes(conn, settings.abc_window_days, now=ctx.at)
        ids = _locations_holding(conn, [s for s, c in classes.items() if c == req.abc_class])
    if not ids:
        raise ERR.NOTHING_TO_COUNT()
    created: list[CountTask] = []
    skipped: list[str] = []
    for location_id in ids:
        task_id = _new_task(conn, ctx, location_id, origin)
        if task_id is None:
            skipped.append(_location_code(conn, location_id))
        else:
            created.append(task_summary(conn, task_id))
    ctx.audit_target = f"count:{origin}"
    return CountsCreated(created=created, already_planned=skipped)


def _new_task(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    location_id: int,
    origin: str,
    *,
    recount_of: int | None = None,
    avoid_counter: str = "",
) -> int | None:
    """A new open task for the location, or None when one is already open or counting."""
    live = conn.execute(
        "SELECT 1 FROM count_tasks WHERE location_id = ? AND status IN ('open', 'counting')",
        (location_id,),
    ).fetchone()
    if live is not None:
        return None
    cur = conn.execute(
        "INSERT INTO count_tasks (location_id, origin, recount_of, avoid_counter, created_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (location_id, origin, recount_of, avoid_counter, ctx.actor.code, ctx.at),
    )
    return int(cur.lastrowid or 0)


def _locations_holding(conn: sqlite3.Connection, sku_ids: list[int]) -> list[int]:
    if not sku_ids:
        return []
    types = ",".join(f"'{t}'" for t in COUNTABLE_TYPES)
    marks = ",".join("?" * len(sku_ids))
    return [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT l.id, l.pick_sequence, l.code FROM balances b "
            f"JOIN locations l ON l.id = b.location_id WHERE b.sku_id IN ({marks}) "
            f"AND l.active = 1 AND l.type IN ({types}) ORDER BY l.pick_sequence, l.code",
            sku_ids,
        )
    ]


def abc_classes(conn: sqlite3.Connection, window_days: int, *, now: str) -> dict[int, str]:
    """Class A/B/C of every SKU in stock, by its share of the pick movements in the window."""
    since = (datetime.fromisoformat(now) - timedelta(days=window_days)).isoformat(
        timespec="milliseconds"
    )
    picks = conn.execute(
        "SELECT sku_id, COUNT(*) AS n FROM movements WHERE kind = 'pick' AND at >= ? "
        "GROUP BY sku_id ORDER BY n DESC, sku_id",
        (since,),
    ).fetchall()
    total = sum(r["n"] for r in picks)
    classes: dict[int, str] = {
        r[0]: "C" for r in conn.execute("SELECT DISTINCT sku_id FROM balances")
    }
    before = 0
    for r in picks:
        share = before / total
        classes[r["sku_id"]] = (
            "A" if share < CLASS_A_SHARE else "B" if share < CLASS_B_SHARE else "C"
        )
        before += r["n"]
    return classes


def create_due_tasks(
    conn: sqlite3.Connection, ctx: CommandContext, settings: CountSettings
) -> list[int]:
    """Tasks for class-A locations not counted within `schedule_class_a_days`."""
    if not settings.schedule_class_a_days:
        return []
    classes = abc_classes(conn, settings.abc_window_days, now=ctx.at)
    since = (
        datetime.fromisoformat(ctx.at) - timedelta(days=settings.schedule_class_a_days)
    ).isoformat(timespec="milliseconds")
    created = []
    for location_id in _locations_holding(conn, [s for s, c in classes.items() if c == "A"]):
        recent = conn.execute(
            "SELECT 1 FROM count_tasks WHERE location_id = ? AND status = 'submitted' "
            "AND submitted_at >= ?",
            (location_id, since),
        ).fetchone()
        if recent is None:
            task_id = _new_task(conn, ctx, location_id, "schedule")
            if task_id is not None:
                created.append(task_id)
    return created


def run_scheduled_counts(db: Database, settings: Settings) -> list[int]:
    """The count worker's step: one command that plans the counts that are due."""
    created: list[int] = run_command(
        db,
        SYSTEM,
        "count.schedule",
        f"count-schedule:{utc_now()}",
        {},
        lambda conn, ctx: create_due_tasks(conn, ctx, settings.counts),
    ).value
    return created


# -- counting -----------------------------------------------------------------------------


def next_task(conn: sqlite3.Connection, actor: Actor) -> CountView | None:
    """The counter's own count in progress, else the oldest open task (a recount is
    offered to someone other than the first counter before it is offered to them)."""
    row = conn.execute(
        "SELECT id FROM count_tasks WHERE status = 'counting' AND counter = ? ORDER BY id LIMIT 1",
        (actor.code,),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM count_tasks WHERE status = 'open' "
            "ORDER BY avoid_counter = ?, id LIMIT 1",
            (actor.code,),
        ).fetchone()
    return task_view(conn, row["id"], actor) if row else None


def start_count(conn: sqlite3.Connection, ctx: CommandContext, req: CountStart) -> CountView:
    """The location is scanned: freeze it and snapshot what the ledger expects there."""
    location = _location(conn, normalise(req.location)[1].strip().upper())
    ctx.audit_target = f"location:{location.code}"
    counting = conn.execute(
        "SELECT id, counter FROM count_tasks WHERE location_id = ? AND status = 'counting'",
        (location.id,),
    ).fetchone()
    if counting is not None:
        if counting["counter"] != ctx.actor.code:
            raise ERR.LOCATION_BEING_COUNTED(
                {"location": location.code, "counter": counting["counter"]}
            )
        return task_view(conn, counting["id"], ctx.actor)  # resumed
    mine = conn.execute(
        "SELECT l.code FROM count_tasks t JOIN locations l ON l.id = t.location_id "
        "WHERE t.status = 'counting' AND t.counter = ?",
        (ctx.actor.code,),
    ).fetchone()
    if mine is not None:
        raise ERR.COUNT_IN_PROGRESS({"location": mine["code"]})
    open_task = conn.execute(
        "SELECT id FROM count_tasks WHERE location_id = ? AND status = 'open' ORDER BY id LIMIT 1",
        (location.id,),
    ).fetchone()
    task_id = open_task["id"] if open_task else _new_task(conn, ctx, location.id, "scan")
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM movements").fetchone()[0]
    conn.execute(
        "UPDATE count_tasks SET status = 'counting', counter = ?, started_at = ?, "
        "snapshot_movement_id = ? WHERE id = ?",
        (ctx.actor.code, ctx.at, last, task_id),
    )
    conn.execute(
        "INSERT INTO count_lines (task_id, customer_id, sku_id, lot, expiry, expected) "
        "SELECT ?, customer_id, sku_id, lot, expiry, quantity FROM balances WHERE location_id = ?",
        (task_id, location.id),
    )
    return task_view(conn, int(task_id or 0), ctx.actor)


def record_line(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    gs_placeholder: str,
    task_id: int,
    req: CountLineIn,
    *,
    max_per_scan: int | None = None,
) -> CountView:
    """Set the counted quantity of one item (a second entry of the same item replaces it)."""
    check_quantity_per_scan(req.quantity, max_per_scan, confirmed=req.confirmed_large)
    task = _counting_task(conn, ctx, task_id)
    ctx.audit_target = f"count:{task_id}"
    scan = read_scan(req.item, gs_placeholder)
    sku = _resolve_sku(conn, task, scan.gtin, scan.text, req.customer)
    lot, expiry = scan.lot or req.lot, scan.expiry or req.expiry
    expected = conn.execute(
        "SELECT lot, expiry FROM count_lines WHERE task_id = ? AND sku_id = ? AND customer_id = ?",
        (task_id, sku["id"], sku["customer_id"]),
    ).fetchall()
    if not lot:
        lots = sorted({r["lot"] for r in expected})
        if len(lots) > 1:
            raise ERR.LOT_REQUIRED({"lots": lots})
        if lots:
            lot = lots[0]
    if sku["lot_tracked"] and not lot:
        raise ERR.LOT_REQUIRED()
    if not expiry:
        same = [r["expiry"] for r in expected if r["lot"] == lot]
        expiry = same[0] if len(same) == 1 else ""
    key = (task_id, sku["customer_id"], sku["id"], lot, expiry)
    conn.execute(
        "INSERT INTO count_lines (task_id, customer_id, sku_id, lot, expiry, expected, counted, "
        "counted_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?) "
        "ON CONFLICT (task_id, customer_id, sku_id, lot, expiry) "
        "DO UPDATE SET counted = excluded.counted, counted_at = excluded.counted_at",
        (*key, req.quantity, ctx.at),
    )
    return task_view(conn, task["id"], ctx.actor)


def submit_count(
    conn: sqlite3.Connection, ctx: CommandContext, settings: CountSettings, task_id: int
) -> CountSubmitted | CheckedCountSubmitted:
    """End the count (and the freeze): a recount, or proposals for the differences."""
    task = _counting_task(conn, ctx, task_id)
    ctx.audit_target = f"count:{task_id}"
    lines = _lines(conn, task_id)
    beyond = any(beyond_threshold(r["expected"], r["counted"] or 0, settings) for r in lines)
    recount = beyond and task["origin"] != "recount"
    recount_task = None
    # An older count's undecided differences are stale now: this count (or its recount)
    # says what is there.
    conn.execute(
        "UPDATE count_proposals SET status = 'rejected', reason = 'miscount', "
        "decided_by = ?, decided_at = ? WHERE location_id = ? AND status = 'pending'",
        (ctx.actor.code, ctx.at, task["location_id"]),
    )
    if recount:
        outcome = "recount"
        conn.execute(
            "UPDATE count_tasks SET status = 'submitted', outcome = ?, submitted_at = ? "
            "WHERE id = ?",
            (outcome, ctx.at, task_id),
        )
        recount_task = _new_task(
            conn,
            ctx,
            task["location_id"],
            "recount",
            recount_of=task_id,
            avoid_counter=task["counter"],
        )
    else:
        differences = [r for r in lines if (r["counted"] or 0) != r["expected"]]
        outcome = "proposals" if differences else "no_difference"
        conn.execute(
            "UPDATE count_tasks SET status = 'submitted', outcome = ?, submitted_at = ? "
            "WHERE id = ?",
            (outcome, ctx.at, task_id),
        )
        for r in differences:
            conn.execute(
                "INSERT INTO count_proposals (task_id, location_id, customer_id, sku_id, lot, "
                "expiry, expected, counted, delta, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task_id,
                    task["location_id"],
                    r["customer_id"],
                    r["sku_id"],
                    r["lot"],
                    r["expiry"],
                    r["expected"],
                    r["counted"] or 0,
                    (r["counted"] or 0) - r["expected"],
                    ctx.at,
                ),
            )
    conn.execute(
        "UPDATE count_lines SET counted = 0 WHERE task_id = ? AND counted IS NULL", (task_id,)
    )
    event = CountFinished(
        task=task_id,
        location=task["location"],
        counter=task["counter"],
        recount_of=task["recount_of"],
        lines=[
            CountedLine(
                customer=r["customer"],
                sku=r["sku"],
                lot=r["lot"],
                expiry=r["expiry"],
                expected=r["expected"],
                counted=r["counted"] or 0,
                difference=(r["counted"] or 0) - r["expected"],
            )
            for r in lines
        ],
        recount=recount,
        recount_task=recount_task,
    )
    append_event(conn, ctx, "count.finished", event)
    if is_blind(ctx.actor):
        return CountSubmitted(
            task=task_id, location=task["location"], outcome=outcome, recount_task=recount_task
        )
    return CheckedCountSubmitted(
        task=task_id,
        location=task["location"],
        outcome=outcome,
        recount_task=recount_task,
        view=checked_view(conn, task_id),
    )


def beyond_threshold(expected: int, counted: int, settings: CountSettings) -> bool:
    """Off by more than the units threshold, or by more than the percent of the expected
    (anything found where nothing was expected is beyond the percent)."""
    off = abs(counted - expected)
    return off > settings.recount_threshold_units or (
        off > 0 and off * 100 > settings.recount_threshold_percent * expected
    )


def cancel_count(conn: sqlite3.Connection, ctx: CommandContext, task_id: int) -> CountTask:
    """A supervisor calls a count off: the freeze ends, nothing is proposed."""
    task = _task(conn, task_id)
    ctx.audit_target = f"count:{task_id}"
    if task["status"] not in LIVE:
        raise ERR.COUNT_NOT_OPEN({"status": task["status"]}, task_id=task_id)
    conn.execute(
        "UPDATE count_tasks SET status = 'cancelled', outcome = 'cancelled', submitted_at = ? "
        "WHERE id = ?",
        (ctx.at, task_id),
    )
    return task_summary(conn, task_id)


# -- proposals ----------------------------------------------------------------------------


def approve_proposal(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: int, decision: Decision
) -> CountProposal:
    """Apply one difference to the ledger, unless the stock moved since it was counted."""
    p = _pending_proposal(conn, ctx, proposal_id)
    moved = conn.execute(
        "SELECT m.id FROM movements m WHERE m.id > ? "
        "AND (m.from_location_id = ? OR m.to_location_id = ?) AND m.customer_id = ? "
        "AND m.sku_id = ? AND m.lot = ? AND m.expiry = ? LIMIT 1",
        (
            p["snapshot_movement_id"],
            p["location_id"],
            p["location_id"],
            p["customer_id"],
            p["sku_id"],
            p["lot"],
            p["expiry"],
        ),
    ).fetchone()
    if moved is not None:
        raise ERR.STOCK_MOVED_SINCE_COUNT(
            {
                "location": p["location"],
                "sku": p["sku"],
                "movement": moved["id"],
                "recount": True,
            }
        )
    where = "to_location_id" if p["delta"] > 0 else "from_location_id"
    movement = post_movement(
        conn,
        ctx,
        MovementIn(
            kind="count",
            customer_id=p["customer_id"],
            sku_id=p["sku_id"],
            quantity=abs(p["delta"]),
            lot=p["lot"],
            expiry=p["expiry"],
            reason=decision.reason,
            document=count_document(p["task_id"]),
            **{where: p["location_id"]},
        ),
    )
    conn.execute(
        "UPDATE count_proposals SET status = 'approved', reason = ?, decided_by = ?, "
        "decided_at = ?, movement_id = ? WHERE id = ?",
        (decision.reason, ctx.actor.code, ctx.at, movement.id, proposal_id),
    )
    return proposal_view(conn, proposal_id)


def reject_proposal(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: int, decision: Decision
) -> CountProposal:
    _pending_proposal(conn, ctx, proposal_id)
    conn.execute(
        "UPDATE count_proposals SET status = 'rejected', reason = ?, decided_by = ?, "
        "decided_at = ? WHERE id = ?",
        (decision.reason, ctx.actor.code, ctx.at, proposal_id),
    )
    return proposal_view(conn, proposal_id)


_PROPOSAL = """
SELECT p.*, t.snapshot_movement_id, l.code AS location, c.code AS customer, s.code AS sku,
       s.name AS sku_name
FROM count_proposals p JOIN count_tasks t ON t.id = p.task_id
JOIN locations l ON l.id = p.location_id JOIN customers c ON c.id = p.customer_id
JOIN skus s ON s.id = p.sku_id
"""


def _pending_proposal(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: int
) -> sqlite3.Row:
    p = conn.execute(f"{_PROPOSAL} WHERE p.id = ?", (proposal_id,)).fetchone()
    if p is None:
        raise ERR.PROPOSAL_NOT_FOUND(proposal_id=proposal_id)
    ctx.audit_target = f"count-proposal:{proposal_id}"
    if p["status"] != "pending":
        raise ERR.PROPOSAL_DECIDED({"status": p["status"], "decided_by": p["decided_by"]})
    return p


def proposal_view(conn: sqlite3.Connection, proposal_id: int) -> CountProposal:
    row = conn.execute(f"{_PROPOSAL} WHERE p.id = ?", (proposal_id,)).fetchone()
    if row is None:
        raise ERR.PROPOSAL_NOT_FOUND(proposal_id=proposal_id)
    return _struct_of(row, CountProposal)


def list_proposals(conn: sqlite3.Connection, *, status: str, limit: int) -> list[CountProposal]:
    where, params = ("p.status = ?", [status]) if status else ("1 = 1", [])
    rows = conn.execute(
        f"{_PROPOSAL} WHERE {where} ORDER BY p.id DESC LIMIT ?", (*params, limit)
    ).fetchall()
    return [_struct_of(r, CountProposal) for r in rows]


# -- views --------------------------------------------------------------------------------

_TASK = """
SELECT t.*, l.code AS location, l.zone FROM count_tasks t
JOIN locations l ON l.id = t.location_id
"""


def task_summary(conn: sqlite3.Connection, task_id: int) -> CountTask:
    return _struct_of(_task(conn, task_id), CountTask)


def task_view(conn: sqlite3.Connection, task_id: int, actor: Actor) -> CountView:
    """A task with its lines as `actor` may see it: blind for a counter."""
    return blind_view(conn, task_id) if is_blind(actor) else checked_view(conn, task_id)


def blind_view(conn: sqlite3.Connection, task_id: int) -> BlindCount:
    """Only what was counted: the answer's type has no place for the expected."""
    return BlindCount(
        **_task_fields(_task(conn, task_id)),
        lines=[
            BlindLine(
                customer=r["customer"],
                sku=r["sku"],
                sku_name=r["sku_name"],
                lot=r["lot"],
                expiry=r["expiry"],
                counted=r["counted"],
            )
            for r in _lines(conn, task_id)
            if r["counted"] is not None
        ],
    )


def checked_view(conn: sqlite3.Connection, task_id: int) -> CheckedCount:
    """Every expected line with what was counted and the difference (a supervisor's view)."""
    return CheckedCount(
        **_task_fields(_task(conn, task_id)),
        lines=[
            CheckedLine(
                customer=r["customer"],
                sku=r["sku"],
                sku_name=r["sku_name"],
                lot=r["lot"],
                expiry=r["expiry"],
                expected=r["expected"],
                counted=r["counted"],
                difference=None if r["counted"] is None else r["counted"] - r["expected"],
            )
            for r in _lines(conn, task_id)
        ],
    )


def list_tasks(conn: sqlite3.Connection, *, status: str, limit: int) -> list[CountTask]:
    where, params = ("t.status = ?", [status]) if status else ("1 = 1", [])
    rows = conn.execute(
        f"{_TASK} WHERE {where} ORDER BY t.id DESC LIMIT ?", (*params, limit)
    ).fetchall()
    return [_struct_of(r, CountTask) for r in rows]


def _task_fields(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in CountTask.__struct_fields__}


def _struct_of(row: sqlite3.Row, kind: type[S]) -> S:
    """The row's columns of the struct's fields, in the struct's field order."""
    return kind(**{name: row[name] for name in kind.__struct_fields__})


# -- helpers ------------------------------------------------------------------------------


def _task(conn: sqlite3.Connection, task_id: int) -> sqlite3.Row:
    row = conn.execute(f"{_TASK} WHERE t.id = ?", (task_id,)).fetchone()
    if row is None:
        raise ERR.COUNT_NOT_FOUND(task_id=task_id)
    return row


def _counting_task(conn: sqlite3.Connection, ctx: CommandContext, task_id: int) -> sqlite3.Row:
    task = _task(conn, task_id)
    if task["status"] != "counting":
        refusal = ERR.COUNT_NOT_STARTED if task["status"] == "open" else ERR.COUNT_NOT_OPEN
        raise refusal({"status": task["status"], "location": task["location"]}, task_id=task_id)
    if task["counter"] != ctx.actor.code and is_blind(ctx.actor):
        raise ERR.LOCATION_BEING_COUNTED({"location": task["location"], "counter": task["counter"]})
    return task


def _lines(conn: sqlite3.Connection, task_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT cl.*, c.code AS customer, s.code AS sku, s.name AS sku_name FROM count_lines cl "
        "JOIN customers c ON c.id = cl.customer_id JOIN skus s ON s.id = cl.sku_id "
        "WHERE cl.task_id = ? ORDER BY s.code, cl.lot, cl.expiry",
        (task_id,),
    ).fetchall()


def _location(conn: sqlite3.Connection, code: str) -> LocationRow:
    location = location_by_code(conn, code)
    # A count freezes its location: a frozen parcel or tote would stop its order's flow.
    refuse_if_system_managed(location)
    return location


def _location_code(conn: sqlite3.Connection, location_id: int) -> str:
    return str(
        conn.execute("SELECT code FROM locations WHERE id = ?", (location_id,)).fetchone()[0]
    )


def _resolve_sku(
    conn: sqlite3.Connection, task: sqlite3.Row, gtin: str, text: str, customer: str
) -> sqlite3.Row:
    """The SKU a counted scan names: by barcode, else by SKU code; of the location's owner
    when two customers share the barcode."""
    base = (
        "SELECT s.id, s.customer_id, s.lot_tracked, c.code AS customer FROM skus s "
        "JOIN customers c ON c.id = s.customer_id "
    )
    if gtin:
        forms = gtin_candidates(gtin)
        rows = conn.execute(
            f"{base} JOIN sku_barcodes b ON b.sku_id = s.id "
            f"WHERE b.barcode IN ({','.join('?' * len(forms))}) AND s.active = 1",
            forms,
        ).fetchall()
    else:
        rows = conn.execute(
            f"{base} WHERE s.code = ? AND s.active = 1", (text.strip().upper(),)
        ).fetchall()
    if customer:
        rows = [r for r in rows if r["customer"] == customer]
    if len(rows) > 1:
        here = {
            r[0]
            for r in conn.execute(
                "SELECT customer_id FROM count_lines WHERE task_id = ? UNION "
                "SELECT customer_id FROM locations WHERE id = ? AND customer_id IS NOT NULL",
                (task["id"], task["location_id"]),
            )
        }
        rows = [r for r in rows if r["customer_id"] in here] or rows
    if not rows:
        raise ERR.ITEM_UNKNOWN({"scanned": text})
    if len(rows) > 1:
        raise ERR.ITEM_AMBIGUOUS({"customers": sorted(r["customer"] for r in rows)})
    return rows[0]
