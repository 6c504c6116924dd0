"""Cycle counts on the handheld and the supervisor's decisions on their differences."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from server.commands import Actor, CommandContext
from server.config import Settings
from server.counts import service
from server.counts.schemas import (
    CheckedCountSubmitted,
    CountCreate,
    CountLineIn,
    CountProposal,
    CountsCreated,
    CountStart,
    CountSubmitted,
    CountTask,
    CountView,
    Decision,
)
from server.declare import command, query
from server.web import MANAGERS, MAX_SQLITE_INT, allow

COUNTING = allow(MANAGERS, "counter")
DECIDING = allow(MANAGERS)
TAGS = ["counts"]
TaskId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
TaskStatus = Annotated[Literal["open", "counting", "submitted", "cancelled", ""], QueryParameter()]
ProposalStatus = Annotated[Literal["pending", "approved", "rejected", ""], QueryParameter()]


@command(
    post,
    "/api/v1/counts",
    name="count.create",
    roles=DECIDING,
    payload=CountCreate,
    answer=CountsCreated,
    tags=TAGS,
)
def create_counts(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: CountCreate,
    settings: NamedDependency[Settings],
) -> CountsCreated:
    """Count tasks for locations, a zone, a SKU's locations or an ABC class (one per location)."""
    return service.create_tasks(conn, ctx, settings.counts, data)


@query(get, "/api/v1/counts", roles=COUNTING, answer=list[CountTask], tags=TAGS)
def list_counts(
    conn: sqlite3.Connection, status: TaskStatus = "open", limit: Limit = 100
) -> list[CountTask]:
    """Count tasks, newest first (no quantities: those are in a task's own view)."""
    return service.list_tasks(conn, status=status, limit=limit)


@query(get, "/api/v1/counts/next", roles=COUNTING, answer=CountView | None, tags=TAGS)
def next_count(conn: sqlite3.Connection, actor: NamedDependency[Actor]) -> CountView | None:
    """The caller's count in progress, else the next open task; null when there is none."""
    return service.next_task(conn, actor)


@query(get, "/api/v1/counts/{task_id:int}", roles=COUNTING, answer=CountView, tags=TAGS)
def get_count(
    conn: sqlite3.Connection, actor: NamedDependency[Actor], task_id: TaskId
) -> CountView:
    """A task and its lines; counters see only what they counted, never the expected."""
    return service.task_view(conn, task_id, actor)


@command(
    post,
    "/api/v1/counts/start",
    name="count.start",
    roles=COUNTING,
    payload=CountStart,
    answer=CountView,
    tags=TAGS,
)
def start_count(conn: sqlite3.Connection, ctx: CommandContext, data: CountStart) -> CountView:
    """The scanned location's count starts: the location is frozen until it is submitted."""
    return service.start_count(conn, ctx, data)


@command(
    post,
    "/api/v1/counts/{task_id:int}/lines",
    name="count.line",
    roles=COUNTING,
    payload=CountLineIn,
    answer=CountView,
    tags=TAGS,
)
def count_line(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    task_id: TaskId,
    data: CountLineIn,
    settings: NamedDependency[Settings],
) -> CountView:
    """Set how many of the scanned item were counted (an item not expected is a find)."""
    return service.record_line(
        conn,
        ctx,
        settings.scan.gs_placeholder,
        task_id,
        data,
        max_per_scan=settings.scan.max_quantity_per_scan,
    )


@command(
    post,
    "/api/v1/counts/{task_id:int}/submit",
    name="count.submit",
    roles=COUNTING,
    answer=CountSubmitted | CheckedCountSubmitted,
    tags=TAGS,
)
def submit_count(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    task_id: TaskId,
    settings: NamedDependency[Settings],
) -> CountSubmitted | CheckedCountSubmitted:
    """The count is in: the freeze ends; a recount or proposals for the differences."""
    return service.submit_count(conn, ctx, settings.counts, task_id)


@command(
    post,
    "/api/v1/counts/{task_id:int}/cancel",
    name="count.cancel",
    roles=DECIDING,
    answer=CountTask,
    tags=TAGS,
)
def cancel_count(conn: sqlite3.Connection, ctx: CommandContext, task_id: TaskId) -> CountTask:
    """Call a count off (its location is no longer frozen)."""
    return service.cancel_count(conn, ctx, task_id)


@query(get, "/api/v1/count-proposals", roles=DECIDING, answer=list[CountProposal], tags=TAGS)
def list_proposals(
    conn: sqlite3.Connection, status: ProposalStatus = "pending", limit: Limit = 200
) -> list[CountProposal]:
    """Differences of finished counts, with expected and counted, newest first."""
    return service.list_proposals(conn, status=status, limit=limit)


@command(
    post,
    "/api/v1/count-proposals/{proposal_id:int}/approve",
    name="count.approve",
    roles=DECIDING,
    payload=Decision,
    answer=CountProposal,
    tags=TAGS,
)
def approve_proposal(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: TaskId, data: Decision
) -> CountProposal:
    """Apply the difference to the ledger (a `count` movement with the reason)."""
    return service.approve_proposal(conn, ctx, proposal_id, data)


@command(
    post,
    "/api/v1/count-proposals/{proposal_id:int}/reject",
    name="count.reject",
    roles=DECIDING,
    payload=Decision,
    answer=CountProposal,
    tags=TAGS,
)
def reject_proposal(
    conn: sqlite3.Connection, ctx: CommandContext, proposal_id: TaskId, data: Decision
) -> CountProposal:
    """Leave the stock as it is; the difference is closed with the reason."""
    return service.reject_proposal(conn, ctx, proposal_id, data)


route_handlers = [
    create_counts,
    list_counts,
    next_count,
    get_count,
    start_count,
    count_line,
    submit_count,
    cancel_count,
    list_proposals,
    approve_proposal,
    reject_proposal,
]
