"""Master data: read by every floor role, written by supervisors, admins and the OMS."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any, Literal

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, RawBody

from server.commands import CommandContext
from server.declare import command, query
from server.masterdata import service
from server.masterdata.schemas import (
    Customer,
    CustomerIn,
    ImportSummary,
    Location,
    LocationIn,
    Sku,
    SkuIn,
)
from server.web import FLOOR_ROLES, MANAGERS, MAX_SQLITE_INT, allow

WRITERS = allow(MANAGERS, "oms")
READERS = allow(FLOOR_ROLES, "oms", "station")
TAGS = ["master data"]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_SQLITE_INT)]
Search = Annotated[str, QueryParameter(max_length=64)]


@query(get, "/api/v1/customers", roles=READERS, answer=list[Customer], tags=TAGS)
def list_customers(conn: sqlite3.Connection) -> list[Customer]:
    """Every customer (cargo owner) with its customs book number."""
    return service.list_customers(conn)


@query(get, "/api/v1/customers/{code:str}", roles=READERS, answer=Customer, tags=TAGS)
def get_customer(conn: sqlite3.Connection, code: FromPath[str]) -> Customer:
    """One customer by its code."""
    return service.get_customer(conn, code)


@command(
    post,
    "/api/v1/customers",
    name="customer.upsert",
    roles=WRITERS,
    payload=CustomerIn,
    answer=Customer,
    tags=TAGS,
)
def put_customer(conn: sqlite3.Connection, ctx: CommandContext, data: CustomerIn) -> Customer:
    """Create or update a customer (cargo owner)."""
    return service.upsert_customer(conn, ctx, data)


@query(get, "/api/v1/skus", roles=READERS, answer=list[Sku], tags=TAGS)
def list_skus(
    conn: sqlite3.Connection,
    customer: Annotated[str | None, QueryParameter(max_length=64)] = None,
    q: Search = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Sku]:
    """SKUs, filtered by customer and a search text (`q`); one page at a time."""
    return service.list_skus(conn, customer=customer, search=q, limit=limit, offset=offset)


@query(get, "/api/v1/skus/{customer:str}/{code:str}", roles=READERS, answer=Sku, tags=TAGS)
def get_sku(conn: sqlite3.Connection, customer: FromPath[str], code: FromPath[str]) -> Sku:
    """One SKU of a customer by its code, with its barcodes."""
    return service.get_sku(conn, customer, code)


@command(
    post, "/api/v1/skus", name="sku.upsert", roles=WRITERS, payload=SkuIn, answer=Sku, tags=TAGS
)
def put_sku(conn: sqlite3.Connection, ctx: CommandContext, data: SkuIn) -> Sku:
    """Create or update a SKU of a customer, with all its barcodes."""
    return service.upsert_sku(conn, ctx, data)


@query(get, "/api/v1/locations", roles=READERS, answer=list[Location], tags=TAGS)
def list_locations(
    conn: sqlite3.Connection,
    zone: Annotated[str | None, QueryParameter(max_length=64)] = None,
    prefix: Search = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Location]:
    """Locations, filtered by zone and a code prefix; one page at a time."""
    return service.list_locations(conn, zone=zone, prefix=prefix, limit=limit, offset=offset)


@query(get, "/api/v1/locations/{code:str}", roles=READERS, answer=Location, tags=TAGS)
def get_location(conn: sqlite3.Connection, code: FromPath[str]) -> Location:
    """One location by its code."""
    return service.get_location(conn, code)


@command(
    post,
    "/api/v1/locations",
    name="location.upsert",
    roles=WRITERS,
    payload=LocationIn,
    answer=Location,
    tags=TAGS,
)
def put_location(conn: sqlite3.Connection, ctx: CommandContext, data: LocationIn) -> Location:
    """Create or update a location: zone, type, pick sequence, capacity."""
    return service.upsert_location(conn, ctx, data)


def import_format(request: Request[Any, Any, Any], format: str | None) -> str:
    """The file's format: the query's, else the content type's (CSV unless it says JSON)."""
    return format or ("json" if "json" in request.headers.get("content-type", "") else "csv")


def read_import_file(
    conn: sqlite3.Connection,
    kind: FromPath[str],
    request: Request[Any, Any, Any],
    body: RawBody,
    format: FromQuery[Literal["csv", "json"] | None] = None,
) -> service.ParsedImport:
    """Every row parsed and checked before the write begins."""
    parsed = service.parse_import(
        kind, body, import_format(request, format), service.customer_codes(conn)
    )
    service.check_import_against_site(conn, parsed)
    return parsed


def import_fingerprint(
    kind: str, request: Request[Any, Any, Any], body: bytes, format: str | None
) -> dict[str, Any]:
    """The format as read, not as asked: a key an older release stored for a file sent
    without `?format=` replays after an upgrade instead of being refused as reused."""
    return {"kind": kind, "format": import_format(request, format), "body": body}


@command(
    post,
    "/api/v1/import/{kind:str}",
    name="import.{kind}",
    roles=WRITERS,
    answer=ImportSummary,
    tags=TAGS,
    prepare=read_import_file,
    chunked=True,
    fingerprint=import_fingerprint,
)
def import_rows(prepared: service.ParsedImport) -> service.ImportJob:
    """Import customers, SKUs or locations from CSV or JSON. Every row is checked first
    and a file with a bad row changes nothing; a clean file is written in chunks, so the
    floor's scans go on meanwhile (see `ImportJob` for a chunk refused mid-way)."""
    return service.ImportJob(prepared)


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
