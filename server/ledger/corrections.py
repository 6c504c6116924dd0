"""A supervisor's manual movements: corrections between ordinary locations, with a reason.

The flows move goods; a person corrects what the flows got wrong. So a manual movement
may only add to, take from or move between storage, pick faces, quarantine, inspection and
staging (never a dock, tote, parcel, pack station or lane), never ships, and names one of
the registered reasons. An adjustment bigger than `[ledger] approval_over_units` waits as a
proposal until a second supervisor approves it, as count differences do.
"""

from __future__ import annotations

import sqlite3

import msgspec

from server.commands import CommandContext
from server.config import LedgerSettings
from server.error_codes import ERR
from server.ledger.schemas import AdjustmentProposal, Movement, MovementIn, MovementRequest
from server.ledger.service import (
    check_shape,
    count_document,
    post_movement,
    refuse_if_system_managed,
    resolve_movement,
)
from server.masterdata.lookups import location_by_id

CORRECTION_TYPES = frozenset({"storage", "pick_face", "quarantine", "inspection", "staging"})
"""Where a supervisor may correct stock by hand."""
MANUAL_KINDS = frozenset({"receive", "adjust", "move"})
ADJUSTMENT_KINDS = frozenset({"receive", "adjust"})
"""Manual kinds that change how much the warehouse holds (a move only relocates)."""
RESERVED_DOCUMENT_PREFIXES = (count_document(0)[:-1],)
"""Documents the ledger trusts (a count's corrections pass its frozen location)."""


def post_correction(
    conn: sqlite3.Connection, ctx: CommandContext, settings: LedgerSettings, r: MovementRequest
) -> Movement | AdjustmentProposal:
    """Post the correction, or keep it as a pending proposal when it is over the limit."""
    if r.kind == "ship":
        raise ERR.SHIP_ONLY_AT_DEPARTURE({"kind": r.kind})
    if r.kind not in MANUAL_KINDS:
        raise ERR.MANUAL_KIND_REFUSED(
            {"kind": r.kind, "allowed": sorted(MANUAL_KINDS)},
            manual_kinds=", ".join(sorted(MANUAL_KINDS)),
        )
    if r.document.upper().startswith(RESERVED_DOCUMENT_PREFIXES):
        raise ERR.DOCUMENT_RESERVED({"document": r.document})
    m = resolve_movement(conn, r)
    check_shape(m)  # a proposal is checked like the movement it becomes
    _check_locations(conn, m)
    ctx.audit_target = f"ledger:{r.kind}"
    if r.kind in ADJUSTMENT_KINDS and r.quantity > settings.approval_over_units:
        return _propose(conn, ctx, m)
    return post_movement(conn, ctx, m)


def _check_locations(conn: sqlite3.Connection, m: MovementIn) -> None:
    for location_id in (m.from_location_id, m.to_location_id):
        if location_id is None:
            continue
        location = location_by_id(conn, location_id, active_only=False)
        refuse_if_system_managed(location)
        if location.type not in CORRECTION_TYPES:
            raise ERR.CORRECTION_LOCATION_TYPE({"location": location.code, "type": location.type})


# -- proposals ----------------------------------------------------------------------------

_PROPOSAL = """
SELECT p.id, p.kind, c.code AS customer, s.code AS sku, p.lot, p.expiry, p.quantity,
       lf.code AS from_location, lt.code AS to_location, p.reason, p.document, p.status,
       p.proposed_by, p.proposed_at, p.decided_by, p.decided_at, p.movement_id
FROM adjustment_proposals p JOIN customers c ON c.id = p.customer_id
JOIN skus s ON s.id = p.sku_id
LEFT JOIN locations lf ON lf.id = p.from_location_id
LEFT JOIN locations lt ON lt.id = p.to_location_id
"""


def _propose(conn: sqlite3.Connection, ctx: CommandContext, m: MovementIn) -> AdjustmentProposal:
    cur = conn.execute(
        "INSERT INTO adjustment_proposals (kind, customer_id, sku_id, lot, expiry, quantity, "
        "from_location_id, to_location_id, reason, document, proposed_by, proposed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            m.kind,
            m.customer_id,
            m.sku_id,
            m.lot,
            m.expiry,
            m.quantity,
            m.from_location_id,
            m.to_location_id,
            m.reason,
            m.document,
            ctx.actor.code,
            ctx.at,
        ),
    )
    ctx.audit_target = f"adjustment-proposal:{cur.lastrowid}"
    return proposal_view(conn, int(cur.lastrowid or 0))


def approve_adjustment(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: int
) -> AdjustmentProposal:
    """A second supervisor applies the adjustment; the rules are checked again now."""
    row = _pending(conn, ctx, proposal_id)
    m = MovementIn(
        kind=row["kind"],
        customer_id=row["customer_id"],
        sku_id=row["sku_id"],
        quantity=row["quantity"],
        lot=row["lot"],
        expiry=row["expiry"],
        from_location_id=row["from_location_id"],
        to_location_id=row["to_location_id"],
        reason=row["reason"],
        document=row["document"],
    )
    _check_locations(conn, m)
    movement = post_movement(conn, ctx, m)
    conn.execute(
        "UPDATE adjustment_proposals SET status = 'approved', decided_by = ?, decided_at = ?, "
        "movement_id = ? WHERE id = ?",
        (ctx.actor.code, ctx.at, movement.id, proposal_id),
    )
    return proposal_view(conn, proposal_id)


def reject_adjustment(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: int
) -> AdjustmentProposal:
    _pending(conn, ctx, proposal_id)
    conn.execute(
        "UPDATE adjustment_proposals SET status = 'rejected', decided_by = ?, decided_at = ? "
        "WHERE id = ?",
        (ctx.actor.code, ctx.at, proposal_id),
    )
    return proposal_view(conn, proposal_id)


def _pending(conn: sqlite3.Connection, ctx: CommandContext, proposal_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM adjustment_proposals WHERE id = ?", (proposal_id,)).fetchone()
    if row is None:
        raise ERR.PROPOSAL_NOT_FOUND(proposal_id=proposal_id)
    ctx.audit_target = f"adjustment-proposal:{proposal_id}"
    if row["status"] != "pending":
        raise ERR.PROPOSAL_DECIDED({"status": row["status"], "decided_by": row["decided_by"]})
    if row["proposed_by"] == ctx.actor.code:
        raise ERR.APPROVER_IS_PROPOSER({"proposed_by": row["proposed_by"]})
    return row


def proposal_view(conn: sqlite3.Connection, proposal_id: int) -> AdjustmentProposal:
    row = conn.execute(f"{_PROPOSAL} WHERE p.id = ?", (proposal_id,)).fetchone()
    if row is None:
        raise ERR.PROPOSAL_NOT_FOUND(proposal_id=proposal_id)
    return msgspec.convert(dict(row), AdjustmentProposal)


def list_proposals(
    conn: sqlite3.Connection, *, status: str, limit: int
) -> list[AdjustmentProposal]:
    rows = conn.execute(
        f"{_PROPOSAL} WHERE ? = '' OR p.status = ? ORDER BY p.id DESC LIMIT ?",
        (status, status, limit),
    ).fetchall()
    return [msgspec.convert(dict(r), AdjustmentProposal) for r in rows]
