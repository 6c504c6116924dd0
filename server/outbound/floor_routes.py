"""The floor side of outbound: pick tasks on handhelds, packing at the bench, and the
return-to-stock and inspection tasks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from server.commands import Actor, run_command
from server.config import Settings, site_today
from server.db import Database
from server.outbound import packing, picking, tasks
from server.outbound.schemas import (
    PackComplete,
    PackScan,
    PickCheck,
    PickConfirm,
    ShortPick,
    TaskDone,
)
from server.printing.dispatch import PrintDispatcher
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

PICKERS = allow(MANAGERS, "picker")
PACKERS = allow(MANAGERS, "packer")
TaskId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
OrderId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
WaveId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@post(
    "/api/v1/waves/{wave_id:int}/next-task",
    opt=PICKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def next_task(
    wave_id: WaveId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Lease the next pick task of the wave to this handheld (or give back its current one)."""
    return run_command(
        db,
        actor,
        "pick.next_task",
        idempotency_key,
        {"wave": wave_id},
        lambda conn, ctx: picking.lease_next_task(conn, ctx, settings, wave_id),
    ).value


@get("/api/v1/waves/{wave_id:int}/tasks", opt=PICKERS, sync_to_thread=True, tags=["picking"])
def wave_tasks(
    wave_id: WaveId,
    db: NamedDependency[Database],
    status: FromQuery[Literal["open", "picked", "short", "released"] | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """The wave's pick tasks in pick-walk order."""
    return db.read(
        lambda conn: picking.list_tasks(conn, wave_id=wave_id, status=status, limit=limit)
    )


@get("/api/v1/pick-tasks/{task_id:int}", opt=PICKERS, sync_to_thread=True, tags=["picking"])
def get_task(task_id: TaskId, db: NamedDependency[Database]) -> dict[str, Any]:
    """One pick task and its state."""
    return db.read(lambda conn: picking.task_view(conn, task_id))


@post(
    "/api/v1/pick-tasks/{task_id:int}/lease",
    opt=PICKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def lease_task(
    task_id: TaskId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Take one pick task; refused while another handheld holds it."""
    return run_command(
        db,
        actor,
        "pick.lease",
        idempotency_key,
        {"task": task_id},
        lambda conn, ctx: picking.lease_task(conn, ctx, settings, task_id),
    ).value


@post(
    "/api/v1/pick-tasks/{task_id:int}/release",
    opt=PICKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def release_task(
    task_id: TaskId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Give the task back to the pool."""
    return run_command(
        db,
        actor,
        "pick.release",
        idempotency_key,
        {"task": task_id},
        lambda conn, ctx: picking.release_lease(conn, ctx, task_id),
    ).value


@post(
    "/api/v1/pick-tasks/{task_id:int}/check",
    opt=PICKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def check_pick(
    task_id: TaskId,
    data: JSONBody[PickCheck],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    """Check a location, item or tote scan against the task; changes nothing."""
    return db.read(
        lambda conn: picking.check_pick(conn, settings, task_id, data, today=site_today(settings))
    )


@post(
    "/api/v1/pick-tasks/{task_id:int}/confirm",
    opt=PICKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def confirm_pick(
    task_id: TaskId,
    data: JSONBody[PickConfirm],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Picked: the units move from the location into the order's tote."""
    return run_command(
        db,
        actor,
        "pick.confirm",
        idempotency_key,
        {"task": task_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: picking.confirm_pick(conn, ctx, settings, task_id, data),
    ).value


@post(
    "/api/v1/pick-tasks/{task_id:int}/short",
    opt=PICKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def short_pick(
    task_id: TaskId,
    data: JSONBody[ShortPick],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The rest is not at the location: another location is tried, or the order goes short."""
    return run_command(
        db,
        actor,
        "pick.short",
        idempotency_key,
        {"task": task_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: picking.short_pick(
            conn, ctx, settings, task_id, data, today=site_today(settings)
        ),
    ).value


# A cancelled order scanned at the pack station is a conflict to resolve (409).
@get(
    "/api/v1/packing/open", opt={**PACKERS, "errors": {409}}, sync_to_thread=True, tags=["packing"]
)
def open_for_packing(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    scan: Annotated[str, QueryParameter(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """The order behind a scanned tote, order or waybill number, if it may be packed."""
    return db.read(lambda conn: packing.open_for_packing(conn, settings, scan))


@post(
    "/api/v1/orders/{order_id:int}/pack-scans",
    opt=PACKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["packing"],
)
def pack_scan(
    order_id: OrderId,
    data: JSONBody[PackScan],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """One item into the parcel, checked against the order lines."""
    return run_command(
        db,
        actor,
        "pack.scan",
        idempotency_key,
        {"order": order_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: packing.pack_scan(conn, ctx, settings, order_id, data),
    ).value


@post(
    "/api/v1/orders/{order_id:int}/pack",
    opt=PACKERS,
    sync_to_thread=True,
    status_code=200,
    tags=["packing"],
)
def complete_pack(
    order_id: OrderId,
    data: JSONBody[PackComplete],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Weighed: the parcel is made with the order's waybill and its face sheet is queued."""
    result = run_command(
        db,
        actor,
        "pack.complete",
        idempotency_key,
        {"order": order_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: packing.complete_pack(
            conn, ctx, settings, order_id, data, day=site_today(settings).isoformat()
        ),
    ).value
    printing.notify(result["print_job"]["printer"])  # the label leaves now, not at the next poll
    return result


@get(
    "/api/v1/order-tasks",
    opt=allow(MANAGERS, "picker", "packer", "putaway", "dock"),
    sync_to_thread=True,
    tags=["outbound"],
)
def open_tasks(
    db: NamedDependency[Database], limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    """Open return-to-stock and to-inspection tasks."""
    return db.read(lambda conn: tasks.list_open_tasks(conn, limit=limit))


@post(
    "/api/v1/order-tasks/{task_id:int}/complete",
    opt=allow(MANAGERS, "picker", "packer", "putaway"),
    sync_to_thread=True,
    status_code=200,
    tags=["outbound"],
)
def complete_task(
    task_id: TaskId,
    data: JSONBody[TaskDone],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Done: the goods are where the scanned location says."""
    return run_command(
        db,
        actor,
        "order_task.complete",
        idempotency_key,
        {"task": task_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: tasks.complete_task(conn, ctx, settings, task_id, data),
    ).value


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


@get("/api/v1/pick-shortages", opt=allow(MANAGERS), sync_to_thread=True, tags=["picking"])
def pick_shortages(
    db: NamedDependency[Database],
    open_only: FromQuery[bool] = True,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Stock pickers did not find; allocation avoids it until it is settled."""
    return db.read(lambda conn: tasks.list_shortages(conn, open_only=open_only, limit=limit))


@post(
    "/api/v1/pick-shortages/{shortage_id:int}/resolve",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["picking"],
)
def resolve_shortage(
    shortage_id: TaskId,
    data: JSONBody[Resolution],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Settled (counted or adjusted): the location's stock may be reserved again."""
    return run_command(
        db,
        actor,
        "pick_shortage.resolve",
        idempotency_key,
        {"shortage": shortage_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: tasks.resolve_shortage(conn, ctx, shortage_id, data.resolution),
    ).value


route_handlers = [
    next_task,
    wave_tasks,
    get_task,
    lease_task,
    release_task,
    check_pick,
    confirm_pick,
    short_pick,
    open_for_packing,
    pack_scan,
    complete_pack,
    open_tasks,
    complete_task,
    pick_shortages,
    resolve_shortage,
]
