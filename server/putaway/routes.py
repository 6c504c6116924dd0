"""Put-away on the handheld: what waits on the dock, where it should go, the move."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from server.commands import Actor, run_command
from server.config import Settings
from server.db import Database
from server.putaway import service
from server.putaway.schemas import PutawayRequest
from server.web import MANAGERS, IdempotencyKey, allow

PUTAWAY = allow(MANAGERS, "putaway", "receiver")
LocationCode = Annotated[str, QueryParameter(min_length=1, max_length=40)]


@get("/api/v1/putaway/pending", opt=PUTAWAY, sync_to_thread=True, tags=["put-away"])
def pending(db: NamedDependency[Database], location: LocationCode) -> list[dict[str, Any]]:
    """Stock waiting on a dock or staging location, each with its suggested location."""
    return db.read(lambda conn: service.pending_putaway(conn, location))


@get("/api/v1/putaway/suggest", opt=PUTAWAY, sync_to_thread=True, tags=["put-away"])
def suggest(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    location: LocationCode,
    item: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    lot: Annotated[str, QueryParameter(max_length=40)] = "",
    customer: Annotated[str, QueryParameter(max_length=40)] = "",
) -> dict[str, Any]:
    """For an item scanned on a dock/staging location: what it is and where it should go."""
    return db.read(
        lambda conn: service.suggest_for_scan(
            conn,
            location,
            item,
            settings.scan.gs_placeholder,
            lot,
            customer,
            bare_sscc=settings.scan.bare_sscc,
        )
    )


@post("/api/v1/putaway", opt=PUTAWAY, sync_to_thread=True, status_code=200, tags=["put-away"])
def put_away(
    data: JSONBody[PutawayRequest],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Move the item (or SSCC carton) to the scanned location, under the ledger's rules."""
    return run_command(
        db,
        actor,
        "putaway",
        idempotency_key,
        data,
        lambda conn, ctx: service.putaway(conn, ctx, data, settings.scan.gs_placeholder),
    ).value


route_handlers = [pending, suggest, put_away]
