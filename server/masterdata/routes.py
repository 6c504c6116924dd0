"""Master data: read by every floor role, written by supervisors, admins and the OMS."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, RawBody

from server.commands import Actor, run_command
from server.db import Database
from server.imports import body_digest
from server.masterdata import service
from server.masterdata.schemas import Customer, CustomerIn, Location, LocationIn, Sku, SkuIn
from server.web import FLOOR_ROLES, MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

WRITERS = allow(MANAGERS, "oms")
READERS = allow(FLOOR_ROLES, "oms", "station")
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_SQLITE_INT)]
Search = Annotated[str, QueryParameter(max_length=64)]


@get("/api/v1/customers", opt=READERS, sync_to_thread=True, tags=["master data"])
def list_customers(db: NamedDependency[Database]) -> list[Customer]:
    """Every customer (cargo owner) with its customs book number."""
    return db.read(service.list_customers)


@get("/api/v1/customers/{code:str}", opt=READERS, sync_to_thread=True, tags=["master data"])
def get_customer(code: FromPath[str], db: NamedDependency[Database]) -> Customer:
    """One customer by its code."""
    return db.read(lambda conn: service.get_customer(conn, code))


@post("/api/v1/customers", opt=WRITERS, sync_to_thread=True, status_code=200, tags=["master data"])
def put_customer(
    data: JSONBody[CustomerIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create or update a customer (cargo owner)."""
    return run_command(
        db,
        actor,
        "customer.upsert",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.upsert_customer(conn, ctx, data),
    ).value


@get("/api/v1/skus", opt=READERS, sync_to_thread=True, tags=["master data"])
def list_skus(
    db: NamedDependency[Database],
    customer: Annotated[str | None, QueryParameter(max_length=64)] = None,
    q: Search = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Sku]:
    """SKUs, filtered by customer and a search text (`q`); one page at a time."""
    return db.read(
        lambda conn: service.list_skus(
            conn, customer=customer, search=q, limit=limit, offset=offset
        )
    )


@get(
    "/api/v1/skus/{customer:str}/{code:str}", opt=READERS, sync_to_thread=True, tags=["master data"]
)
def get_sku(customer: FromPath[str], code: FromPath[str], db: NamedDependency[Database]) -> Sku:
    """One SKU of a customer by its code, with its barcodes."""
    return db.read(lambda conn: service.get_sku(conn, customer, code))


@post("/api/v1/skus", opt=WRITERS, sync_to_thread=True, status_code=200, tags=["master data"])
def put_sku(
    data: JSONBody[SkuIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create or update a SKU of a customer, with all its barcodes."""
    return run_command(
        db,
        actor,
        "sku.upsert",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.upsert_sku(conn, ctx, data),
    ).value


@get("/api/v1/locations", opt=READERS, sync_to_thread=True, tags=["master data"])
def list_locations(
    db: NamedDependency[Database],
    zone: Annotated[str | None, QueryParameter(max_length=64)] = None,
    prefix: Search = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Location]:
    """Locations, filtered by zone and a code prefix; one page at a time."""
    return db.read(
        lambda conn: service.list_locations(
            conn, zone=zone, prefix=prefix, limit=limit, offset=offset
        )
    )


@get("/api/v1/locations/{code:str}", opt=READERS, sync_to_thread=True, tags=["master data"])
def get_location(code: FromPath[str], db: NamedDependency[Database]) -> Location:
    """One location by its code."""
    return db.read(lambda conn: service.get_location(conn, code))


@post("/api/v1/locations", opt=WRITERS, sync_to_thread=True, status_code=200, tags=["master data"])
def put_location(
    data: JSONBody[LocationIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create or update a location: zone, type, pick sequence, capacity."""
    return run_command(
        db,
        actor,
        "location.upsert",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.upsert_location(conn, ctx, data),
    ).value


@post(
    "/api/v1/import/{kind:str}",
    opt=WRITERS,
    sync_to_thread=True,
    status_code=200,
    tags=["master data"],
)
def import_rows(
    kind: FromPath[str],
    request: Request[Any, Any, Any],
    body: RawBody,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
    format: FromQuery[Literal["csv", "json"] | None] = None,
) -> Any:
    """Import customers, SKUs or locations from CSV or JSON: all rows or none."""
    fmt = format or ("json" if "json" in request.headers.get("content-type", "") else "csv")
    parsed = service.parse_import(kind, body, fmt, db.read(service.customer_codes))
    return run_command(
        db,
        actor,
        f"import.{kind}",
        idempotency_key,
        {"kind": kind, "format": fmt, "body": body_digest(body)},
        lambda conn, ctx: service.write_import(conn, ctx, parsed),
    ).value


route_handlers = [
    list_customers,
    get_customer,
    put_customer,
    list_skus,
    get_sku,
    put_sku,
    list_locations,
    get_location,
    put_location,
    import_rows,
]
