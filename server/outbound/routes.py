"""Orders from the OMS, customs statuses and cancellations, waves, and the supervisor's
order lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter, RawBody

from server.chunked import run_chunked_command
from server.commands import Actor, run_command
from server.config import Settings, site_today
from server.db import Database
from server.imports import body_digest
from server.outbound import order_import, orders, waves
from server.outbound.schemas import CancelIn, CustomsBatchIn, CustomsStatusIn, OrderIn, WaveIn
from server.outbound.states import ORDER_STATES
from server.privacy import sees_personal_data
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

OMS_WRITERS = allow(MANAGERS, "oms")
ORDER_READERS = allow(MANAGERS, "oms", "picker", "packer", "dock")
OrderId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
WaveId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
OrderState = Literal[ORDER_STATES]  # type: ignore[valid-type]


@post("/api/v1/orders", opt=OMS_WRITERS, sync_to_thread=True, status_code=200, tags=["outbound"])
def put_order(
    data: JSONBody[OrderIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create an order (one parcel) or take a re-send of it."""
    return run_command(
        db,
        actor,
        "order.upsert",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: orders.upsert_order(conn, ctx, data),
    ).value


@post(
    "/api/v1/order-imports",
    opt=OMS_WRITERS,
    sync_to_thread=True,
    status_code=200,
    tags=["outbound"],
)
def import_orders(
    body: RawBody,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    format: FromQuery[Literal["csv", "json"]] = "json",
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Import orders from a file: every order or none."""
    parsed = order_import.parse_order_import(body, format)
    return run_command(
        db,
        actor,
        "import.orders",
        idempotency_key,
        {"body": body_digest(body), "format": format},
        lambda conn, ctx: order_import.write_order_import(conn, ctx, parsed),
    ).value


@post(
    "/api/v1/customs-statuses",
    opt=OMS_WRITERS,
    sync_to_thread=True,
    status_code=200,
    tags=["outbound"],
)
def customs_status(
    data: JSONBody[CustomsStatusIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A customs list reply for an order; a late or repeated reply cannot undo a newer one."""
    return run_command(
        db,
        actor,
        "order.customs_status",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: orders.apply_customs_status(
            conn,
            ctx,
            data,
            inspection_lane=settings.outbound.inspection_lane,
            max_ahead_seconds=settings.outbound.customs_time_ahead_seconds,
        ),
    ).value


@post(
    "/api/v1/customs-statuses/batch",
    opt=OMS_WRITERS,
    sync_to_thread=True,
    status_code=200,
    tags=["outbound"],
)
def customs_status_batch(
    data: JSONBody[CustomsBatchIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Up to 10,000 customs list replies in one message: all or none, in order."""
    return run_command(
        db,
        actor,
        "order.customs_status_batch",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: orders.apply_customs_batch(
            conn,
            ctx,
            data.statuses,
            inspection_lane=settings.outbound.inspection_lane,
            max_ahead_seconds=settings.outbound.customs_time_ahead_seconds,
        ),
    ).value


@post(
    "/api/v1/order-cancellations",
    opt=OMS_WRITERS,
    sync_to_thread=True,
    status_code=200,
    tags=["outbound"],
)
def cancel(
    data: JSONBody[CancelIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Intercept an order (CEB623) wherever it is on the floor."""
    return run_command(
        db,
        actor,
        "order.cancel",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: orders.cancel_order(conn, ctx, data),
    ).value


@get("/api/v1/orders", opt=ORDER_READERS, sync_to_thread=True, tags=["outbound"])
def list_orders(
    db: NamedDependency[Database],
    order_state: Annotated[OrderState | None, QueryParameter(name="state")] = None,
    exceptions: FromQuery[bool] = False,
    courier: Annotated[str | None, QueryParameter(max_length=40)] = None,
    wave: Annotated[str | None, QueryParameter(max_length=40)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Orders by state; `exceptions=true` lists holds, shorts, back-orders and open tasks."""
    return db.read(
        lambda conn: orders.list_orders(
            conn,
            state=order_state,
            exceptions_only=exceptions,
            courier=courier,
            limit=limit,
            wave=wave,
        )
    )


@get("/api/v1/orders/summary", opt=ORDER_READERS, sync_to_thread=True, tags=["outbound"])
def order_summary(db: NamedDependency[Database]) -> dict[str, Any]:
    """How many orders are at each step, on hold, and with open floor tasks."""
    return db.read(orders.order_counts)


@get("/api/v1/orders/lookup", opt=ORDER_READERS, sync_to_thread=True, tags=["outbound"])
def lookup_order(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    actor: NamedDependency[Actor],
    code: Annotated[str, QueryParameter(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """An order from its order number, waybill number or tote (recipient masked for the floor)."""
    return db.read(
        lambda conn: orders.order_view(
            conn,
            orders.find_order_by_scan(conn, code, settings.scan.gs_placeholder)["id"],
            personal=sees_personal_data(actor),
        )
    )


@get("/api/v1/orders/{order_id:int}", opt=ORDER_READERS, sync_to_thread=True, tags=["outbound"])
def get_order(
    order_id: OrderId, db: NamedDependency[Database], actor: NamedDependency[Actor]
) -> dict[str, Any]:
    """One order with its lines, reservations, parcel and floor tasks (recipient masked for
    the floor)."""
    return db.read(
        lambda conn: orders.order_view(conn, order_id, personal=sees_personal_data(actor))
    )


@post(
    "/api/v1/orders/{order_id:int}/allocate",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["outbound"],
)
def allocate(
    order_id: OrderId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Try again to reserve what a back-ordered or short order still misses."""
    return run_command(
        db,
        actor,
        "order.allocate",
        idempotency_key,
        {"order": order_id},
        lambda conn, ctx: waves.retry_allocation(conn, ctx, order_id, today=site_today(settings)),
    ).value


@post("/api/v1/waves", opt=allow(MANAGERS), sync_to_thread=True, status_code=200, tags=["outbound"])
def build_wave(
    data: JSONBody[WaveIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Build a wave: by courier and cut-off, or from the orders named (in chunks: the
    floor's scans go on while thousands of orders are reserved)."""
    job = waves.WaveRelease(settings, data, today=site_today(settings))
    return run_chunked_command(
        db, actor, "wave.build", idempotency_key, msgspec.to_builtins(data), job
    ).value


@get("/api/v1/waves", opt=allow(MANAGERS, "picker"), sync_to_thread=True, tags=["outbound"])
def list_waves(
    db: NamedDependency[Database],
    status: FromQuery[Literal["open", "done"] | None] = "open",
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Waves, newest first, with their open pick tasks."""
    return db.read(lambda conn: waves.list_waves(conn, status=status, limit=limit))


@get(
    "/api/v1/waves/{wave_id:int}",
    opt=allow(MANAGERS, "picker"),
    sync_to_thread=True,
    tags=["outbound"],
)
def get_wave(wave_id: WaveId, db: NamedDependency[Database]) -> dict[str, Any]:
    """One wave: its number, courier, cut-off, state and how many orders it holds."""
    return db.read(lambda conn: waves.wave_view(conn, wave_id))


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
