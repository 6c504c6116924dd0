"""Moves on the handheld: what a location holds, and the move."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from server.commands import Actor, run_command
from server.config import Settings
from server.db import Database
from server.moves import service
from server.moves.schemas import MoveRequest, MoveSource
from server.web import MANAGERS, IdempotencyKey, allow

MOVERS = allow(MANAGERS, "putaway")


@get("/api/v1/moves/source", opt=MOVERS, sync_to_thread=True, tags=["moves"])
def move_source(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    location: Annotated[str, QueryParameter(min_length=1, max_length=40)],
    item: Annotated[str, QueryParameter(max_length=200)] = "",
    lot: Annotated[str, QueryParameter(max_length=40)] = "",
    customer: Annotated[str, QueryParameter(max_length=40)] = "",
) -> MoveSource:
    """What a location holds (with reserved units); with `item`, only that item or carton."""
    return db.read(
        lambda conn: service.move_source(
            conn,
            location,
            settings.scan.gs_placeholder,
            item=item,
            lot=lot,
            customer=customer,
            bare_sscc=settings.scan.bare_sscc,
        )
    )


@post("/api/v1/moves", opt=MOVERS, sync_to_thread=True, status_code=200, tags=["moves"])
def move(
    data: JSONBody[MoveRequest],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Move an item, an SSCC carton or a whole location to the scanned location."""
    return run_command(
        db,
        actor,
        "move",
        idempotency_key,
        data,
        lambda conn, ctx: service.move_stock(
            conn,
            ctx,
            data,
            settings.scan.gs_placeholder,
            bare_sscc=settings.scan.bare_sscc,
            max_per_scan=settings.scan.max_quantity_per_scan,
        ),
    ).value


route_handlers = [move_source, move]
