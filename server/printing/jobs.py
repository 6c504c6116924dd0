"""Putting jobs on the print queue and taking them off: the printing slice owns
`print_jobs`, and other slices' commands (packing a parcel, a truck's departure, a cancelled
order) call these inside their own transaction, so a label is queued exactly when the
change it belongs to commits.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

import msgspec

from server.commands import CommandContext

JobKind = Literal["face_sheet", "handover", "test", "location_label", "carton_label"]


def queue_label(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    *,
    printer: str,
    kind: JobKind,
    payload: Any,
    parcel_id: int | None = None,
    copy_of: int | None = None,
    reason: str = "",
) -> int:
    """Queue one job for `printer`; the dispatcher sends it. Returns the job's id."""
    row = conn.execute(
        "INSERT INTO print_jobs (printer, kind, parcel_id, payload, copy_of, reason, created_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            printer,
            kind,
            parcel_id,
            msgspec.json.encode(payload).decode(),
            copy_of,
            reason,
            ctx.actor.label,
            ctx.at,
        ),
    ).fetchone()
    return int(row[0])


def cancel_order_labels(conn: sqlite3.Connection, order_id: int) -> None:
    """A cancelled order's labels not printed yet are never sent. A label being sent right
    now may still come out; it is never tried again."""
    conn.execute(
        "UPDATE print_jobs SET status = 'cancelled' WHERE status IN ('queued', 'sending') "
        "AND parcel_id IN (SELECT id FROM parcels WHERE order_id = ?)",
        (order_id,),
    )
