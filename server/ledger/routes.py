"""Ledger routes: a supervisor's manual movement, the movement list, the events journal."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from server.commands import Actor, run_command
from server.db import Database
from server.ledger import service
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
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record one movement by hand (e.g. an opening balance or a correction with a reason)."""
    return run_command(
        db,
        actor,
        "ledger.movement",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.post_movement(conn, ctx, service.resolve_movement(conn, data)),
    ).value


@get("/api/v1/ledger/movements", opt=allow(MANAGERS), sync_to_thread=True, tags=["ledger"])
def list_movements(
    db: NamedDependency[Database],
    location: FromQuery[str | None] = None,
    sku: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
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


route_handlers = [post_movement, list_movements, list_events]
