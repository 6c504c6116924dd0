"""Orders from the OMS, customs statuses and cancellations, waves, and the supervisor's
order lists."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter, RawBody

from server.commands import Actor, CommandContext
from server.config import Settings, site_today
from server.declare import command, query
from server.outbound import order_import, orders, waves
from server.outbound.order_import import ParsedOrders
from server.outbound.schemas import (
    CancelIn,
    CustomsApplied,
    CustomsBatchApplied,
    CustomsBatchIn,
    CustomsStatusIn,
    OrderCounts,
    OrderImportSummary,
    OrderIn,
    OrderListRow,
    OrderView,
    WaveBuilt,
    WaveIn,
    WaveView,
)
from server.outbound.states import ORDER_STATES
from server.privacy import sees_personal_data
from server.web import MANAGERS, MAX_SQLITE_INT, allow

OMS_WRITERS = allow(MANAGERS, "oms")
ORDER_READERS = allow(MANAGERS, "oms", "picker", "packer", "dock")
TAGS = ["outbound"]
OrderId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
WaveId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
OrderState = Literal[ORDER_STATES]  # type: ignore[valid-type]


@command(
    post,
    "/api/v1/orders",
    name="order.upsert",
    roles=OMS_WRITERS,
    payload=OrderIn,
    answer=OrderView,
    tags=TAGS,
)
def put_order(conn: sqlite3.Connection, ctx: CommandContext, data: OrderIn) -> OrderView:
    """Create an order (one parcel) or take a re-send of it."""
    return orders.upsert_order(conn, ctx, data)


def read_order_file(
    conn: sqlite3.Connection, body: RawBody, format: FromQuery[Literal["csv", "json"]] = "json"
) -> ParsedOrders:
    """Every order parsed and checked before the write begins."""
    return order_import.parse_order_import(body, format)


@command(
    post,
    "/api/v1/order-imports",
    name="import.orders",
    roles=OMS_WRITERS,
    answer=OrderImportSummary,
    tags=TAGS,
    prepare=read_order_file,
)
def import_orders(
    conn: sqlite3.Connection, ctx: CommandContext, prepared: ParsedOrders
) -> OrderImportSummary:
    """Import orders from a file: every order or none."""
    return order_import.write_order_import(conn, ctx, prepared)


@command(
    post,
    "/api/v1/customs-statuses",
    name="order.customs_status",
    roles=OMS_WRITERS,
    payload=CustomsStatusIn,
    answer=CustomsApplied,
    tags=TAGS,
)
def customs_status(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: CustomsStatusIn,
    settings: NamedDependency[Settings],
) -> CustomsApplied:
    """A customs list reply for an order; a late or repeated reply cannot undo a newer one."""
    return orders.apply_customs_status(
        conn,
        ctx,
        data,
        inspection_lane=settings.outbound.inspection_lane,
        max_ahead_seconds=settings.outbound.customs_time_ahead_seconds,
    )


@command(
    post,
    "/api/v1/customs-statuses/batch",
    name="order.customs_status_batch",
    roles=OMS_WRITERS,
    payload=CustomsBatchIn,
    answer=CustomsBatchApplied,
    tags=TAGS,
)
def customs_status_batch(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: CustomsBatchIn,
    settings: NamedDependency[Settings],
) -> CustomsBatchApplied:
    """Up to 10,000 customs list replies in one message: all or none, in order."""
    return orders.apply_customs_batch(
        conn,
        ctx,
        data.statuses,
        inspection_lane=settings.outbound.inspection_lane,
        max_ahead_seconds=settings.outbound.customs_time_ahead_seconds,
    )


@command(
    post,
    "/api/v1/order-cancellations",
    name="order.cancel",
    roles=OMS_WRITERS,
    payload=CancelIn,
    answer=OrderView,
    tags=TAGS,
)
def cancel(conn: sqlite3.Connection, ctx: CommandContext, data: CancelIn) -> OrderView:
    """Intercept an order (CEB623) wherever it is on the floor."""
    return orders.cancel_order(conn, ctx, data)


@query(get, "/api/v1/orders", roles=ORDER_READERS, answer=list[OrderListRow], tags=TAGS)
def list_orders(
    conn: sqlite3.Connection,
    order_state: Annotated[OrderState | None, QueryParameter(name="state")] = None,
    exceptions: FromQuery[bool] = False,
    courier: Annotated[str | None, QueryParameter(max_length=40)] = None,
    wave: Annotated[str | None, QueryParameter(max_length=40)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> list[OrderListRow]:
    """Orders by state; `exceptions=true` lists holds, shorts, back-orders and open tasks."""
    return orders.list_orders(
        conn,
        state=order_state,
        exceptions_only=exceptions,
        courier=courier,
        limit=limit,
        wave=wave,
    )


@query(get, "/api/v1/orders/summary", roles=ORDER_READERS, answer=OrderCounts, tags=TAGS)
def order_summary(conn: sqlite3.Connection) -> OrderCounts:
    """How many orders are at each step, on hold, and with open floor tasks."""
    return orders.order_counts(conn)


@query(get, "/api/v1/orders/lookup", roles=ORDER_READERS, answer=OrderView, tags=TAGS)
def lookup_order(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    actor: NamedDependency[Actor],
    code: Annotated[str, QueryParameter(min_length=1, max_length=200)],
) -> OrderView:
    """An order from its order number, waybill number or tote (recipient masked for the floor)."""
    return orders.order_view(
        conn,
        orders.find_order_by_scan(conn, code, settings.scan.gs_placeholder)["id"],
        personal=sees_personal_data(actor),
    )


@query(get, "/api/v1/orders/{order_id:int}", roles=ORDER_READERS, answer=OrderView, tags=TAGS)
def get_order(
    conn: sqlite3.Connection, order_id: OrderId, actor: NamedDependency[Actor]
) -> OrderView:
    """One order with its lines, reservations, parcel and floor tasks (recipient masked for
    the floor)."""
    return orders.order_view(conn, order_id, personal=sees_personal_data(actor))


@command(
    post,
    "/api/v1/orders/{order_id:int}/allocate",
    name="order.allocate",
    roles=allow(MANAGERS),
    answer=OrderView,
    tags=TAGS,
)
def allocate(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    order_id: OrderId,
    settings: NamedDependency[Settings],
) -> OrderView:
    """Try again to reserve what a back-ordered or short order still misses."""
    return waves.retry_allocation(conn, ctx, order_id, today=site_today(settings))


@command(
    post,
    "/api/v1/waves",
    name="wave.build",
    roles=allow(MANAGERS),
    payload=WaveIn,
    answer=WaveBuilt,
    tags=TAGS,
    chunked=True,
)
def build_wave(data: WaveIn, settings: NamedDependency[Settings]) -> waves.WaveRelease:
    """Build a wave: by courier and cut-off, or from the orders named (in chunks: the
    floor's scans go on while thousands of orders are reserved)."""
    return waves.WaveRelease(settings, data, today=site_today(settings))


@query(get, "/api/v1/waves", roles=allow(MANAGERS, "picker"), answer=list[WaveView], tags=TAGS)
def list_waves(
    conn: sqlite3.Connection,
    status: FromQuery[Literal["open", "done"] | None] = "open",
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> list[WaveView]:
    """Waves, newest first, with their open pick tasks."""
    return waves.list_waves(conn, status=status, limit=limit)


@query(
    get, "/api/v1/waves/{wave_id:int}", roles=allow(MANAGERS, "picker"), answer=WaveView, tags=TAGS
)
def get_wave(conn: sqlite3.Connection, wave_id: WaveId) -> WaveView:
    """One wave: its number, courier, cut-off, state and how many orders it holds."""
    return waves.wave_view(conn, wave_id)


route_handlers = [
    put_order,
    import_orders,
    customs_status,
    customs_status_batch,
    cancel,
    list_orders,
    order_summary,
    lookup_order,
    get_order,
    allocate,
    build_wave,
    list_waves,
    get_wave,
]
