"""The OMS link: delivery backlog, lag and errors for supervisors (retry or skip), and the
contract of the events sent, for the OMS."""

from __future__ import annotations

import sqlite3
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.di import NamedDependency

from server.commands import CommandContext
from server.config import Settings
from server.declare import command, query
from server.sync import contract, outbox
from server.sync.schemas import Retrying, Skipped, SyncStatus
from server.web import MANAGERS, MAX_SQLITE_INT, allow

SUPERVISORS = allow(MANAGERS)
TAGS = ["sync"]


class SkipIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    seq: Annotated[int, msgspec.Meta(ge=1, le=MAX_SQLITE_INT)]
    reason: Annotated[
        str, msgspec.Meta(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")
    ]


@query(get, "/api/v1/sync", roles=SUPERVISORS, answer=SyncStatus, tags=TAGS)
def status(conn: sqlite3.Connection, settings: NamedDependency[Settings]) -> SyncStatus:
    """Delivery of the events journal to the OMS: backlog, lag, last error, a stop."""
    # The same status feeds /health and the metrics as a dict: typed here, at the answer.
    return msgspec.convert(outbox.sync_status(conn, settings), SyncStatus)


@command(
    post, "/api/v1/sync/retry", name="sync.retry", roles=SUPERVISORS, answer=Retrying, tags=TAGS
)
def retry(conn: sqlite3.Connection, ctx: CommandContext) -> Retrying:
    """Send the event the OMS refused again."""
    return outbox.retry_stopped(conn, ctx)


@command(
    post,
    "/api/v1/sync/skip",
    name="sync.skip",
    roles=SUPERVISORS,
    payload=SkipIn,
    answer=Skipped,
    tags=TAGS,
)
def skip(conn: sqlite3.Connection, ctx: CommandContext, data: SkipIn) -> Skipped:
    """Pass over the event the OMS refused, with a reason (kept and audited)."""
    return outbox.skip_stopped(conn, ctx, data.seq, data.reason)


@get("/api/v1/events/schema", opt=allow(MANAGERS, "oms"), sync_to_thread=False, tags=["sync"])
def event_schema(settings: NamedDependency[Settings]) -> contract.EventContract:
    """The contract of the events sent to the OMS: versioning, the batch's JSON schema,
    and every event type's version, description, JSON schema and example."""
    return contract.published_contract(settings.site.code)


route_handlers = [status, retry, skip, event_schema]
