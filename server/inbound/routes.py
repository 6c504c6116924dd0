"""Delivery plans from the OMS, check-in at the dock, receiving scans, tally and close."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter, RawBody

from server.commands import Actor, run_command
from server.config import Settings, site_today
from server.db import Database
from server.imports import body_digest
from server.inbound import plan_import, service
from server.inbound.schemas import CheckIn, CloseReceipt, PlanIn, ReceiveScan
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

PLAN_WRITERS = allow(MANAGERS, "oms")
RECEIVERS = allow(MANAGERS, "receiver")
PlanId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


class Release(msgspec.Struct, forbid_unknown_fields=True):
    released: bool


@post("/api/v1/plans", opt=PLAN_WRITERS, sync_to_thread=True, status_code=200, tags=["inbound"])
def put_plan(
    data: JSONBody[PlanIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create a delivery plan (ASN) or take a re-send of it."""
    return run_command(
        db,
        actor,
        "plan.upsert",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.upsert_plan(conn, ctx, data),
    ).value


@post(
    "/api/v1/plan-imports", opt=PLAN_WRITERS, sync_to_thread=True, status_code=200, tags=["inbound"]
)
def import_plans(
    body: RawBody,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    format: FromQuery[Literal["csv", "json"]] = "json",
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Import delivery plans from a file: every plan or none."""
    parsed = plan_import.parse_plan_import(body, format)
    return run_command(
        db,
        actor,
        "import.plans",
        idempotency_key,
        {"body": body_digest(body), "format": format},
        lambda conn, ctx: plan_import.write_plan_import(conn, ctx, parsed),
    ).value


@post(
    "/api/v1/plans/{plan_id:int}/release",
    opt=PLAN_WRITERS,
    sync_to_thread=True,
    status_code=200,
    tags=["inbound"],
)
def release_plan(
    plan_id: PlanId,
    data: JSONBody[Release],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Mark a plan released (or not) by customs: bonded receiving waits for it."""
    return run_command(
        db,
        actor,
        "plan.release",
        idempotency_key,
        {"plan": plan_id, "released": data.released},
        lambda conn, ctx: service.set_customs_released(conn, ctx, plan_id, data.released),
    ).value


@get("/api/v1/plans", opt=allow(MANAGERS, "receiver", "oms"), sync_to_thread=True, tags=["inbound"])
def list_plans(
    db: NamedDependency[Database],
    day: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")] = None,
    open_only: FromQuery[bool] = True,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Today's arrivals: plans expected that day and every plan already at the door."""
    return db.read(lambda conn: service.list_plans(conn, day=day, open_only=open_only, limit=limit))


@get("/api/v1/plans/lookup", opt=allow(MANAGERS, "receiver"), sync_to_thread=True, tags=["inbound"])
def lookup_plan(
    db: NamedDependency[Database], code: Annotated[str, QueryParameter(min_length=1, max_length=64)]
) -> list[dict[str, Any]]:
    """Plans with a scanned plan number (unique per customer, so maybe several)."""
    return db.read(lambda conn: service.find_plans(conn, code))


@get(
    "/api/v1/plans/{plan_id:int}",
    opt=allow(MANAGERS, "receiver", "oms"),
    sync_to_thread=True,
    tags=["inbound"],
)
def get_plan(plan_id: PlanId, db: NamedDependency[Database]) -> dict[str, Any]:
    """A plan with its live tally: expected vs counted per line."""
    return db.read(
        lambda conn: {
            **service.plan_summary(conn, plan_id),
            "tally": [msgspec.to_builtins(t) for t in service.tally(conn, plan_id)],
        }
    )


@post(
    "/api/v1/plans/{plan_id:int}/check-in",
    opt=RECEIVERS,
    sync_to_thread=True,
    status_code=200,
    tags=["inbound"],
)
def check_in(
    plan_id: PlanId,
    data: JSONBody[CheckIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The truck or container at the door: its reference must match the plan."""
    return run_command(
        db,
        actor,
        "plan.check_in",
        idempotency_key,
        {"plan": plan_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: service.check_in(conn, ctx, plan_id, data),
    ).value


@post(
    "/api/v1/plans/{plan_id:int}/receive",
    opt=RECEIVERS,
    sync_to_thread=True,
    status_code=200,
    tags=["inbound"],
)
def receive(
    plan_id: PlanId,
    data: JSONBody[ReceiveScan],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """One receiving scan (EAN, GS1 with lot/expiry/count, or an SSCC carton)."""
    return run_command(
        db,
        actor,
        "plan.receive",
        idempotency_key,
        {"plan": plan_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: service.receive_scan(
            conn,
            ctx,
            settings.inbound,
            bonded=settings.site.bonded,
            gs_placeholder=settings.scan.gs_placeholder,
            plan_id=plan_id,
            req=data,
            today=site_today(settings),
            bare_sscc=settings.scan.bare_sscc,
            max_per_scan=settings.scan.max_quantity_per_scan,
        ),
    ).value


@post(
    "/api/v1/plans/{plan_id:int}/close",
    opt=RECEIVERS,
    sync_to_thread=True,
    status_code=200,
    tags=["inbound"],
)
def close(
    plan_id: PlanId,
    data: JSONBody[CloseReceipt],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Close the receipt: every difference needs its reason; answers the receipt document."""
    return run_command(
        db,
        actor,
        "plan.close",
        idempotency_key,
        {"plan": plan_id, **msgspec.to_builtins(data)},
        lambda conn, ctx: service.close_receipt(conn, ctx, plan_id, data),
    ).value


@get(
    "/api/v1/plans/{plan_id:int}/receipt",
    opt=allow(MANAGERS, "receiver", "oms"),
    sync_to_thread=True,
    tags=["inbound"],
)
def receipt(plan_id: PlanId, db: NamedDependency[Database]) -> dict[str, Any]:
    """What the tally record and the warehouse receipt (进仓单) print."""
    return db.read(lambda conn: service.receipt_document(conn, plan_id))


route_handlers = [
    put_plan,
    import_plans,
    release_plan,
    list_plans,
    lookup_plan,
    get_plan,
    check_in,
    receive,
    close,
    receipt,
]
