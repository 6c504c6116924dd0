"""Ledger routes: a supervisor's manual correction and its approval, the movement list,
the events journal."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter

from server.commands import CommandContext
from server.config import Settings
from server.declare import command, query
from server.ledger import corrections, service
from server.ledger.schemas import (
    AdjustmentProposal,
    JournalEvent,
    LedgerMovement,
    Movement,
    MovementRequest,
)
from server.web import MANAGERS, MAX_SQLITE_INT, allow

TAGS = ["ledger"]
ProposalState = Annotated[Literal["pending", "approved", "rejected", ""], QueryParameter()]
ProposalId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@command(
    post,
    "/api/v1/ledger/movements",
    name="ledger.movement",
    roles=allow(MANAGERS),
    payload=MovementRequest,
    answer=Movement | AdjustmentProposal,
    tags=TAGS,
)
def post_movement(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: MovementRequest,
    settings: NamedDependency[Settings],
) -> Movement | AdjustmentProposal:
    """Correct stock by hand, with a reason code: the movement, or (over
    `[ledger] approval_over_units`) a pending proposal with `status` for a second supervisor."""
    return corrections.post_correction(conn, ctx, settings.ledger, data)


@query(
    get,
    "/api/v1/ledger/adjustments",
    roles=allow(MANAGERS),
    answer=list[AdjustmentProposal],
    tags=TAGS,
)
def list_adjustments(
    conn: sqlite3.Connection,
    status: ProposalState = "pending",
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[AdjustmentProposal]:
    """Manual adjustments waiting for (or given) a second supervisor's decision."""
    return corrections.list_proposals(conn, status=status, limit=limit)


@command(
    post,
    "/api/v1/ledger/adjustments/{proposal_id:int}/approve",
    name="ledger.adjustment.approve",
    roles=allow(MANAGERS),
    answer=AdjustmentProposal,
    tags=TAGS,
)
def approve_adjustment(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: ProposalId
) -> AdjustmentProposal:
    """A second supervisor applies a pending manual adjustment to the ledger."""
    return corrections.approve_adjustment(conn, ctx, proposal_id)


@command(
    post,
    "/api/v1/ledger/adjustments/{proposal_id:int}/reject",
    name="ledger.adjustment.reject",
    roles=allow(MANAGERS),
    answer=AdjustmentProposal,
    tags=TAGS,
)
def reject_adjustment(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: ProposalId
) -> AdjustmentProposal:
    """A second supervisor turns down a pending manual adjustment."""
    return corrections.reject_adjustment(conn, ctx, proposal_id)


@query(
    get, "/api/v1/ledger/movements", roles=allow(MANAGERS), answer=list[LedgerMovement], tags=TAGS
)
def list_movements(
    conn: sqlite3.Connection,
    location: FromQuery[str | None] = None,
    sku: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[LedgerMovement]:
    """Stock movements, newest first, filtered by location and SKU."""
    return service.list_movements(conn, location=location, sku=sku, limit=limit)


@query(get, "/api/v1/events", roles=allow(MANAGERS, "oms"), answer=list[JournalEvent], tags=TAGS)
def list_events(
    conn: sqlite3.Connection,
    after: Annotated[int, QueryParameter(ge=0, le=MAX_SQLITE_INT)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[JournalEvent]:
    """The events journal in sequence order, after a given sequence number."""
    return service.list_events(conn, after=after, limit=limit)


route_handlers = [
    post_movement,
    list_adjustments,
    approve_adjustment,
    reject_adjustment,
    list_movements,
    list_events,
]
