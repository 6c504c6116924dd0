"""The floor side of outbound: pick tasks on handhelds, packing at the bench, and the
return-to-stock and inspection tasks."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from server.commands import CommandContext
from server.config import Settings, site_today
from server.declare import command, query
from server.outbound import packing, picking, tasks
from server.outbound.schemas import (
    NextTask,
    OrderTask,
    PackComplete,
    PackedParcel,
    PackingOrder,
    PackScan,
    PackScanned,
    PickCheck,
    PickChecked,
    PickConfirm,
    PickConfirmed,
    PickShortage,
    PickTask,
    ShortPick,
    ShortPicked,
    TaskDone,
)
from server.printing.routes import wake_parcel_printer
from server.web import MANAGERS, MAX_SQLITE_INT, allow

PICKERS = allow(MANAGERS, "picker")
PACKERS = allow(MANAGERS, "packer")
PICKING = ["picking"]
PACKING = ["packing"]
OUTBOUND = ["outbound"]
TaskId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
OrderId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
WaveId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@command(
    post,
    "/api/v1/waves/{wave_id:int}/next-task",
    name="pick.next_task",
    roles=PICKERS,
    answer=NextTask,
    tags=PICKING,
)
def next_task(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    wave_id: WaveId,
    settings: NamedDependency[Settings],
) -> NextTask:
    """Lease the next pick task of the wave to this handheld (or give back its current one)."""
    return picking.lease_next_task(conn, ctx, settings, wave_id)


@query(get, "/api/v1/waves/{wave_id:int}/tasks", roles=PICKERS, answer=list[PickTask], tags=PICKING)
def wave_tasks(
    conn: sqlite3.Connection,
    wave_id: WaveId,
    status: FromQuery[Literal["open", "picked", "short", "released"] | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 500,
) -> list[PickTask]:
    """The wave's pick tasks in pick-walk order."""
    return picking.list_tasks(conn, wave_id=wave_id, status=status, limit=limit)


@query(get, "/api/v1/pick-tasks/{task_id:int}", roles=PICKERS, answer=PickTask, tags=PICKING)
def get_task(conn: sqlite3.Connection, task_id: TaskId) -> PickTask:
    """One pick task and its state."""
    return picking.task_view(conn, task_id)


@command(
    post,
    "/api/v1/pick-tasks/{task_id:int}/lease",
    name="pick.lease",
    roles=PICKERS,
    answer=PickTask,
    tags=PICKING,
)
def lease_task(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    task_id: TaskId,
    settings: NamedDependency[Settings],
) -> PickTask:
    """Take one pick task; refused while another handheld holds it."""
    return picking.lease_task(conn, ctx, settings, task_id)


@command(
    post,
    "/api/v1/pick-tasks/{task_id:int}/release",
    name="pick.release",
    roles=PICKERS,
    answer=PickTask,
    tags=PICKING,
)
def release_task(conn: sqlite3.Connection, ctx: CommandContext, task_id: TaskId) -> PickTask:
    """Give the task back to the pool."""
    return picking.release_lease(conn, ctx, task_id)


@query(
    post, "/api/v1/pick-tasks/{task_id:int}/check", roles=PICKERS, answer=PickChecked, tags=PICKING
)
def check_pick(
    conn: sqlite3.Connection,
    task_id: TaskId,
    data: JSONBody[PickCheck],
    settings: NamedDependency[Settings],
) -> PickChecked:
    """Check a location, item or tote scan against the task; changes nothing."""
    return picking.check_pick(conn, settings, task_id, data, today=site_today(settings))


@command(
    post,
    "/api/v1/pick-tasks/{task_id:int}/confirm",
    name="pick.confirm",
    roles=PICKERS,
    payload=PickConfirm,
    answer=PickConfirmed,
    tags=PICKING,
)
def confirm_pick(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    task_id: TaskId,
    data: PickConfirm,
    settings: NamedDependency[Settings],
) -> PickConfirmed:
    """Picked: the units move from the location into the order's tote."""
    return picking.confirm_pick(conn, ctx, settings, task_id, data)


@command(
    post,
    "/api/v1/pick-tasks/{task_id:int}/short",
    name="pick.short",
    roles=PICKERS,
    payload=ShortPick,
    answer=ShortPicked,
    tags=PICKING,
)
def short_pick(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    task_id: TaskId,
    data: ShortPick,
    settings: NamedDependency[Settings],
) -> ShortPicked:
    """The rest is not at the location: another location is tried, or the order goes short."""
    return picking.short_pick(conn, ctx, settings, task_id, data, today=site_today(settings))


# A cancelled order scanned at the pack station is a conflict to resolve (409).
@query(
    get,
    "/api/v1/packing/open",
    roles=PACKERS,
    opt={"errors": {409}},
    answer=PackingOrder,
    tags=PACKING,
)
def open_for_packing(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    scan: Annotated[str, QueryParameter(min_length=1, max_length=200)],
) -> PackingOrder:
    """The order behind a scanned tote, order or waybill number, if it may be packed, with
    the weight its parcel should have and the range the site allows."""
    return packing.open_for_packing(conn, settings, scan)


@command(
    post,
    "/api/v1/orders/{order_id:int}/pack-scans",
    name="pack.scan",
    roles=PACKERS,
    payload=PackScan,
    answer=PackScanned,
    tags=PACKING,
)
def pack_scan(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    order_id: OrderId,
    data: PackScan,
    settings: NamedDependency[Settings],
) -> PackScanned:
    """One item into the parcel, checked against the order lines."""
    return packing.pack_scan(conn, ctx, settings, order_id, data)


@command(
    post,
    "/api/v1/orders/{order_id:int}/pack",
    name="pack.complete",
    roles=PACKERS,
    payload=PackComplete,
    answer=PackedParcel,
    tags=PACKING,
    then=wake_parcel_printer,
)
def complete_pack(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    order_id: OrderId,
    data: PackComplete,
    settings: NamedDependency[Settings],
) -> PackedParcel:
    """Weighed: the parcel is made with the order's waybill and its face sheet is queued."""
    return packing.complete_pack(
        conn, ctx, settings, order_id, data, day=site_today(settings).isoformat()
    )


@query(
    get,
    "/api/v1/order-tasks",
    roles=allow(MANAGERS, "picker", "packer", "putaway", "dock"),
    answer=list[OrderTask],
    tags=OUTBOUND,
)
def open_tasks(
    conn: sqlite3.Connection, limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200
) -> list[OrderTask]:
    """Open return-to-stock and to-inspection tasks."""
    return tasks.list_open_tasks(conn, limit=limit)


@command(
    post,
    "/api/v1/order-tasks/{task_id:int}/complete",
    name="order_task.complete",
    roles=allow(MANAGERS, "picker", "packer", "putaway"),
    payload=TaskDone,
    answer=OrderTask,
    tags=OUTBOUND,
)
def complete_task(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    task_id: TaskId,
    data: TaskDone,
    settings: NamedDependency[Settings],
) -> OrderTask:
    """Done: the goods are where the scanned location says."""
    return tasks.complete_task(conn, ctx, settings, task_id, data)


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


@query(
    get,
    "/api/v1/pick-shortages",
    roles=allow(MANAGERS),
    answer=list[PickShortage],
    tags=PICKING,
)
def pick_shortages(
    conn: sqlite3.Connection,
    open_only: FromQuery[bool] = True,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> list[PickShortage]:
    """Stock pickers did not find; allocation avoids it until it is settled."""
    return tasks.list_shortages(conn, open_only=open_only, limit=limit)


@command(
    post,
    "/api/v1/pick-shortages/{shortage_id:int}/resolve",
    name="pick_shortage.resolve",
    roles=allow(MANAGERS),
    payload=Resolution,
    answer=PickShortage,
    tags=PICKING,
)
def resolve_shortage(
    conn: sqlite3.Connection, ctx: CommandContext, shortage_id: TaskId, data: Resolution
) -> PickShortage:
    """Settled (counted or adjusted): the location's stock may be reserved again."""
    return tasks.resolve_shortage(conn, ctx, shortage_id, data.resolution)


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
