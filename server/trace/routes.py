"""Trace routes: a history page by page, the whole history as CSV, "where did it go".

Supervisors and admins only: a history names who did what on which device, which is
more than a receiver or a picker needs (they have the stock lookup).
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Stream

from server.config import Settings
from server.declare import query
from server.trace import service
from server.trace.schemas import Explanation, TraceKind, TracePage
from server.web import MANAGERS, allow

TRACERS = allow(MANAGERS)
TAGS = ["trace"]
Kind = Annotated[TraceKind, QueryParameter(description="What the value names")]
Value = Annotated[str, QueryParameter(min_length=1, max_length=80, description="What to trace")]
Customer = Annotated[str | None, QueryParameter(max_length=40, description="Customer code")]
Sku = Annotated[str | None, QueryParameter(max_length=40, description="SKU code (for a lot)")]


@query(get, "/api/v1/trace", roles=TRACERS, answer=TracePage, tags=TAGS)
def trace(
    conn: sqlite3.Connection,
    kind: Kind,
    value: Value,
    customer: Customer = None,
    sku: Sku = None,
    before: Annotated[
        str | None, QueryParameter(max_length=64, description="next_cursor of the page before")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = 50,
) -> TracePage:
    """The history of a SKU, lot, location, order, parcel (waybill) or user, newest first."""
    return service.trace_page(
        conn, kind, value, customer=customer, sku=sku, before=before, limit=limit
    )


@query(
    get,
    "/api/v1/trace/export",
    roles=TRACERS,
    answer=Stream,
    tags=TAGS,
    media_type="text/csv",
    paged=True,
)
def trace_csv(
    read: service.Reader[Any],
    kind: Kind,
    value: Value,
    customer: Customer = None,
    sku: Sku = None,
) -> Stream:
    """The whole history as a CSV file (UTF-8 with BOM), streamed newest first."""
    chunks = service.csv_chunks(read, kind, value, customer=customer, sku=sku)
    return Stream(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{service.csv_filename(kind, value)}"'
        },
    )


@query(get, "/api/v1/trace/explain", roles=TRACERS, answer=Explanation, tags=TAGS)
def explain(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    sku: Annotated[str, QueryParameter(min_length=1, max_length=40)],
    counted: Annotated[int, QueryParameter(ge=0, le=10_000_000)],
    customer: Customer = None,
    lot: Annotated[
        str | None, QueryParameter(max_length=40, description="Absent: every lot")
    ] = None,
    location: Annotated[
        str | None, QueryParameter(max_length=40, description="Absent: the whole building")
    ] = None,
) -> Explanation:
    """Where did it go: a counted quantity against the ledger, and what explains the gap."""
    return service.explain_difference(
        conn,
        sku=sku,
        counted=counted,
        customer=customer,
        lot=lot,
        location=location or None,
        timezone=settings.site.timezone,
    )


route_handlers = [trace, trace_csv, explain]
