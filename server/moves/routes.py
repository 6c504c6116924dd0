"""Moves on the handheld: what a location holds, and the move."""

from __future__ import annotations

import sqlite3
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.commands import CommandContext
from server.config import Settings
from server.declare import command, query
from server.moves import service
from server.moves.schemas import MoveRequest, MoveResult, MoveSource
from server.web import MANAGERS, allow

MOVERS = allow(MANAGERS, "putaway")
TAGS = ["moves"]


@query(get, "/api/v1/moves/source", roles=MOVERS, answer=MoveSource, tags=TAGS)
def move_source(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    location: Annotated[str, QueryParameter(min_length=1, max_length=40)],
    item: Annotated[str, QueryParameter(max_length=200)] = "",
    lot: Annotated[str, QueryParameter(max_length=40)] = "",
    customer: Annotated[str, QueryParameter(max_length=40)] = "",
) -> MoveSource:
    """What a location holds (with reserved units); with `item`, only that item or carton."""
    return service.move_source(
        conn,
        location,
        settings.scan.gs_placeholder,
        item=item,
        lot=lot,
        customer=customer,
        bare_sscc=settings.scan.bare_sscc,
    )


@command(
    post,
    "/api/v1/moves",
    name="move",
    roles=MOVERS,
    payload=MoveRequest,
    answer=MoveResult,
    tags=TAGS,
)
def move(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: MoveRequest,
    settings: NamedDependency[Settings],
) -> MoveResult:
    """Move an item, an SSCC carton or a whole location to the scanned location."""
    return service.move_stock(
        conn,
        ctx,
        data,
        settings.scan.gs_placeholder,
        bare_sscc=settings.scan.bare_sscc,
        max_per_scan=settings.scan.max_quantity_per_scan,
    )


route_handlers = [move_source, move]
