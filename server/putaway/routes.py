"""Put-away on the handheld: what waits on the dock, where it should go, the move."""

from __future__ import annotations

import sqlite3
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.commands import CommandContext
from server.config import Settings
from server.declare import command, query
from server.putaway import service
from server.putaway.schemas import PutAway, PutawayRequest, ScanSuggestion, StockToPutAway
from server.web import MANAGERS, allow

PUTAWAY = allow(MANAGERS, "putaway", "receiver")
TAGS = ["put-away"]
LocationCode = Annotated[str, QueryParameter(min_length=1, max_length=40)]


@query(get, "/api/v1/putaway/pending", roles=PUTAWAY, answer=list[StockToPutAway], tags=TAGS)
def pending(conn: sqlite3.Connection, location: LocationCode) -> list[StockToPutAway]:
    """Stock waiting on a dock or staging location, each with its suggested location."""
    return service.pending_putaway(conn, location)


@query(get, "/api/v1/putaway/suggest", roles=PUTAWAY, answer=ScanSuggestion, tags=TAGS)
def suggest(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    location: LocationCode,
    item: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    lot: Annotated[str, QueryParameter(max_length=40)] = "",
    customer: Annotated[str, QueryParameter(max_length=40)] = "",
) -> ScanSuggestion:
    """For an item scanned on a dock/staging location: what it is and where it should go."""
    return service.suggest_for_scan(
        conn,
        location,
        item,
        settings.scan.gs_placeholder,
        lot,
        customer,
        bare_sscc=settings.scan.bare_sscc,
    )


@command(
    post,
    "/api/v1/putaway",
    name="putaway",
    roles=PUTAWAY,
    payload=PutawayRequest,
    answer=PutAway,
    tags=TAGS,
)
def put_away(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: PutawayRequest,
    settings: NamedDependency[Settings],
) -> PutAway:
    """Move the item (or SSCC carton) to the scanned location, under the ledger's rules."""
    return service.putaway(conn, ctx, data, settings.scan.gs_placeholder)


route_handlers = [pending, suggest, put_away]
