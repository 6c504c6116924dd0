"""The OMS link: delivery backlog, lag and errors for supervisors (retry or skip), and the
contract of the events sent, for the OMS."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server.commands import Actor, run_command
from server.config import Settings
from server.db import Database
from server.sync import contract, outbox
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow


class SkipIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    seq: Annotated[int, msgspec.Meta(ge=1, le=MAX_SQLITE_INT)]
    reason: Annotated[
        str, msgspec.Meta(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")
    ]


@get("/api/v1/sync", opt=allow(MANAGERS), sync_to_thread=True, tags=["sync"])
def status(db: NamedDependency[Database], settings: NamedDependency[Settings]) -> dict[str, Any]:
    """Delivery of the events journal to the OMS: backlog, lag, last error, a stop."""
    return db.read(lambda conn: outbox.sync_status(conn, settings))


@post(
    "/api/v1/sync/retry", opt=allow(MANAGERS), sync_to_thread=True, status_code=200, tags=["sync"]
)
def retry(
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Send the event the OMS refused again."""
    return run_command(db, actor, "sync.retry", idempotency_key, {}, outbox.retry_stopped).value


@post("/api/v1/sync/skip", opt=allow(MANAGERS), sync_to_thread=True, status_code=200, tags=["sync"])
def skip(
    data: JSONBody[SkipIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Pass over the event the OMS refused, with a reason (kept and audited)."""
    return run_command(
        db,
        actor,
        "sync.skip",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: outbox.skip_stopped(conn, ctx, data.seq, data.reason),
    ).value


@get("/api/v1/events/schema", opt=allow(MANAGERS, "oms"), sync_to_thread=False, tags=["sync"])
def event_schema(settings: NamedDependency[Settings]) -> contract.EventContract:
    """The contract of the events sent to the OMS: versioning, the batch's JSON schema,
    and every event type's version, description, JSON schema and example."""
    return contract.published_contract(settings.site.code)


route_handlers = [status, retry, skip, event_schema]
