"""Cycle counts on the handheld and the supervisor's decisions on their differences."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.commands import Actor, run_command
from server.config import Settings
from server.counts import service
from server.counts.schemas import CountCreate, CountLineIn, CountStart, Decision
from server.db import Database
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

COUNTING = allow(MANAGERS, "counter")
DECIDING = allow(MANAGERS)
TaskId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
TaskStatus = Annotated[Literal["open", "counting", "submitted", "cancelled", ""], QueryParameter()]
ProposalStatus = Annotated[Literal["pending", "approved", "rejected", ""], QueryParameter()]


@post("/api/v1/counts", opt=DECIDING, sync_to_thread=True, status_code=200, tags=["counts"])
def create_counts(
    data: JSONBody[CountCreate],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Count tasks for locations, a zone, a SKU's locations or an ABC class (one per location)."""
    return run_command(
        db,
        actor,
        "count.create",
        idempotency_key,
        data,
        lambda conn, ctx: service.create_tasks(conn, ctx, settings.counts, data),
    ).value


@get("/api/v1/counts", opt=COUNTING, sync_to_thread=True, tags=["counts"])
def list_counts(
    db: NamedDependency[Database], status: TaskStatus = "open", limit: Limit = 100
) -> list[dict[str, Any]]:
    """Count tasks, newest first (no quantities: those are in a task's own view)."""
    return db.read(lambda conn: service.list_tasks(conn, status=status, limit=limit))


@get("/api/v1/counts/next", opt=COUNTING, sync_to_thread=True, tags=["counts"])
def next_count(db: NamedDependency[Database], actor: NamedDependency[Actor]) -> Any:
    """The caller's count in progress, else the next open task; null when there is none."""
    return db.read(lambda conn: service.next_task(conn, actor))


@get("/api/v1/counts/{task_id:int}", opt=COUNTING, sync_to_thread=True, tags=["counts"])
def get_count(
    db: NamedDependency[Database], actor: NamedDependency[Actor], task_id: TaskId
) -> dict[str, Any]:
    """A task and its lines; counters see only what they counted, never the expected."""
    return db.read(lambda conn: service.task_view(conn, task_id, blind=service.is_blind(actor)))


@post("/api/v1/counts/start", opt=COUNTING, sync_to_thread=True, status_code=200, tags=["counts"])
def start_count(
    data: JSONBody[CountStart],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The scanned location's count starts: the location is frozen until it is submitted."""
    return run_command(
        db,
        actor,
        "count.start",
        idempotency_key,
        data,
        lambda conn, ctx: service.start_count(conn, ctx, data),
    ).value


@post(
    "/api/v1/counts/{task_id:int}/lines",
    opt=COUNTING,
    sync_to_thread=True,
    status_code=200,
    tags=["counts"],
)
def count_line(
    data: JSONBody[CountLineIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    task_id: TaskId,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Set how many of the scanned item were counted (an item not expected is a find)."""
    return run_command(
        db,
        actor,
        "count.line",
        idempotency_key,
        [task_id, data],
        lambda conn, ctx: service.record_line(
            conn,
            ctx,
            settings.scan.gs_placeholder,
            task_id,
            data,
            max_per_scan=settings.scan.max_quantity_per_scan,
        ),
    ).value


@post(
    "/api/v1/counts/{task_id:int}/submit",
    opt=COUNTING,
    sync_to_thread=True,
    status_code=200,
    tags=["counts"],
)
def submit_count(
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    task_id: TaskId,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The count is in: the freeze ends; a recount or proposals for the differences."""
    return run_command(
        db,
        actor,
        "count.submit",
        idempotency_key,
        task_id,
        lambda conn, ctx: service.submit_count(conn, ctx, settings.counts, task_id),
    ).value


@post(
    "/api/v1/counts/{task_id:int}/cancel",
    opt=DECIDING,
    sync_to_thread=True,
    status_code=200,
    tags=["counts"],
)
def cancel_count(
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    task_id: TaskId,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Call a count off (its location is no longer frozen)."""
    return run_command(
        db,
        actor,
        "count.cancel",
        idempotency_key,
        task_id,
        lambda conn, ctx: service.cancel_count(conn, ctx, task_id),
    ).value


@get("/api/v1/count-proposals", opt=DECIDING, sync_to_thread=True, tags=["counts"])
def list_proposals(
    db: NamedDependency[Database], status: ProposalStatus = "pending", limit: Limit = 200
) -> list[dict[str, Any]]:
    """Differences of finished counts, with expected and counted, newest first."""
    return db.read(lambda conn: service.list_proposals(conn, status=status, limit=limit))


@post(
    "/api/v1/count-proposals/{proposal_id:int}/approve",
    opt=DECIDING,
    sync_to_thread=True,
    status_code=200,
    tags=["counts"],
)
def approve_proposal(
    data: JSONBody[Decision],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    proposal_id: TaskId,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Apply the difference to the ledger (a `count` movement with the reason)."""
    return run_command(
        db,
        actor,
        "count.approve",
        idempotency_key,
        [proposal_id, data],
        lambda conn, ctx: service.approve_proposal(conn, ctx, proposal_id, data),
    ).value


@post(
    "/api/v1/count-proposals/{proposal_id:int}/reject",
    opt=DECIDING,
    sync_to_thread=True,
    status_code=200,
    tags=["counts"],
)
def reject_proposal(
    data: JSONBody[Decision],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    proposal_id: TaskId,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Leave the stock as it is; the difference is closed with the reason."""
    return run_command(
        db,
        actor,
        "count.reject",
        idempotency_key,
        [proposal_id, data],
        lambda conn, ctx: service.reject_proposal(conn, ctx, proposal_id, data),
    ).value


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
