"""Ledger routes: a supervisor's manual correction and its approval, the movement list,
the events journal."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from server.commands import Actor, run_command
from server.config import Settings
from server.db import Database
from server.ledger import corrections, service
from server.ledger.schemas import MovementRequest
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow


@post(
    "/api/v1/ledger/movements",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["ledger"],
)
def post_movement(
    data: JSONBody[MovementRequest],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Correct stock by hand, with a reason code: the movement, or (over
    `[ledger] approval_over_units`) a pending proposal with `status` for a second supervisor."""
    return run_command(
        db,
        actor,
        "ledger.movement",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: corrections.post_correction(conn, ctx, settings.ledger, data),
    ).value


ProposalState = Annotated[Literal["pending", "approved", "rejected", ""], QueryParameter()]


@get("/api/v1/ledger/adjustments", opt=allow(MANAGERS), sync_to_thread=True, tags=["ledger"])
def list_adjustments(
    db: NamedDependency[Database],
    status: ProposalState = "pending",
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Manual adjustments waiting for (or given) a second supervisor's decision."""
    return db.read(lambda conn: corrections.list_proposals(conn, status=status, limit=limit))


ProposalId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@post(
    "/api/v1/ledger/adjustments/{proposal_id:int}/approve",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["ledger"],
)
def approve_adjustment(
    proposal_id: ProposalId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A second supervisor applies a pending manual adjustment to the ledger."""
    return run_command(
        db,
        actor,
        "ledger.adjustment.approve",
        idempotency_key,
        [proposal_id],
        lambda conn, ctx: corrections.approve_adjustment(conn, ctx, proposal_id),
    ).value


@post(
    "/api/v1/ledger/adjustments/{proposal_id:int}/reject",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["ledger"],
)
def reject_adjustment(
    proposal_id: ProposalId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A second supervisor turns down a pending manual adjustment."""
    return run_command(
        db,
        actor,
        "ledger.adjustment.reject",
        idempotency_key,
        [proposal_id],
        lambda conn, ctx: corrections.reject_adjustment(conn, ctx, proposal_id),
    ).value


@get("/api/v1/ledger/movements", opt=allow(MANAGERS), sync_to_thread=True, tags=["ledger"])
def list_movements(
    db: NamedDependency[Database],
    location: FromQuery[str | None] = None,
    sku: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Stock movements, newest first, filtered by location and SKU."""
    return db.read(
        lambda conn: service.list_movements(conn, location=location, sku=sku, limit=limit)
    )


@get("/api/v1/events", opt=allow(MANAGERS, "oms"), sync_to_thread=True, tags=["ledger"])
def list_events(
    db: NamedDependency[Database],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_SQLITE_INT)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The events journal in sequence order, after a given sequence number."""
    return db.read(lambda conn: service.list_events(conn, after=after, limit=limit))


route_handlers = [
    post_movement,
    list_adjustments,
    approve_adjustment,
    reject_adjustment,
    list_movements,
    list_events,
]
