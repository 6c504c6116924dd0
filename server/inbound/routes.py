"""Delivery plans from the OMS, check-in at the dock, receiving scans, tally and close."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter, RawBody

from server.commands import CommandContext
from server.config import Settings, site_today
from server.declare import command, query
from server.fields import Code
from server.inbound import documents, plan_import, service
from server.inbound.schemas import (
    CheckIn,
    CloseReceipt,
    PlanImportSummary,
    PlanIn,
    PlanSummary,
    PlanWithTally,
    ReceiptDocument,
    ReceiveAnswer,
    ReceiveScan,
)
from server.web import MANAGERS, MAX_SQLITE_INT, allow

PLAN_WRITERS = allow(MANAGERS, "oms")
PLAN_READERS = allow(MANAGERS, "receiver", "oms")
RECEIVERS = allow(MANAGERS, "receiver")
TAGS = ["inbound"]
PlanId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


class Release(msgspec.Struct, forbid_unknown_fields=True):
    released: bool


class PlanRelease(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A customs release as the OMS knows the plan: by customer and plan number."""

    customer: Code
    plan_no: Code
    released: bool


@command(
    post,
    "/api/v1/plans",
    name="plan.upsert",
    roles=PLAN_WRITERS,
    payload=PlanIn,
    answer=PlanSummary,
    tags=TAGS,
)
def put_plan(conn: sqlite3.Connection, ctx: CommandContext, data: PlanIn) -> PlanSummary:
    """Create a delivery plan (ASN) or take a re-send of it."""
    return service.upsert_plan(conn, ctx, data)


def read_plan_file(
    conn: sqlite3.Connection, body: RawBody, format: FromQuery[Literal["csv", "json"]] = "json"
) -> plan_import.ParsedPlans:
    """Every plan of the file parsed and checked before the write begins."""
    return plan_import.parse_plan_import(body, format)


@command(
    post,
    "/api/v1/plan-imports",
    name="import.plans",
    roles=PLAN_WRITERS,
    answer=PlanImportSummary,
    tags=TAGS,
    prepare=read_plan_file,
)
def import_plans(
    conn: sqlite3.Connection, ctx: CommandContext, prepared: plan_import.ParsedPlans
) -> PlanImportSummary:
    """Import delivery plans from a file: every plan or none."""
    return plan_import.write_plan_import(conn, ctx, prepared)


@command(
    post,
    "/api/v1/plans/{plan_id:int}/release",
    name="plan.release",
    roles=PLAN_WRITERS,
    payload=Release,
    answer=PlanSummary,
    tags=TAGS,
)
def release_plan(
    conn: sqlite3.Connection, ctx: CommandContext, plan_id: PlanId, data: Release
) -> PlanSummary:
    """Mark a plan released (or not) by customs: bonded receiving waits for it. By the
    floor's plan id; an OMS names the plan by number with `POST /api/v1/plan-releases`."""
    return service.set_customs_released(conn, ctx, plan_id, data.released)


@command(
    post,
    "/api/v1/plan-releases",
    name="plan.release",
    roles=PLAN_WRITERS,
    payload=PlanRelease,
    answer=PlanSummary,
    tags=TAGS,
    summary="Release plan by number",
)
def release_plan_by_number(
    conn: sqlite3.Connection, ctx: CommandContext, data: PlanRelease
) -> PlanSummary:
    """Mark a plan released (or not) by customs, named as the OMS knows it: customer and
    plan number. The same as `POST /api/v1/plans/{plan_id}/release` by the floor's id."""
    plan_id = service.plan_id_by_number(conn, data.customer, data.plan_no)
    return service.set_customs_released(conn, ctx, plan_id, data.released)


@query(
    get,
    "/api/v1/plans/by-number",
    roles=PLAN_READERS,
    answer=PlanWithTally,
    tags=TAGS,
    summary="Get plan by number",
)
def get_plan_by_number(
    conn: sqlite3.Connection,
    customer: Annotated[str, QueryParameter(min_length=1, max_length=40)],
    plan_no: Annotated[str, QueryParameter(min_length=1, max_length=40)],
) -> PlanWithTally:
    """A plan with its live tally, named as the OMS knows it: customer and plan number.
    The same answer as `GET /api/v1/plans/{plan_id}`."""
    return service.plan_with_tally(conn, service.plan_id_by_number(conn, customer, plan_no))


@query(get, "/api/v1/plans", roles=PLAN_READERS, answer=list[PlanSummary], tags=TAGS)
def list_plans(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    day: Annotated[
        date | None, QueryParameter(description="A day of the site's calendar, YYYY-MM-DD")
    ] = None,
    open_only: FromQuery[bool] = True,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[PlanSummary]:
    """Today's arrivals: plans expected that day and every plan already at the door."""
    return service.list_plans(
        conn, day=day, open_only=open_only, limit=limit, timezone=settings.site.timezone
    )


@query(
    get,
    "/api/v1/plans/lookup",
    roles=allow(MANAGERS, "receiver"),
    answer=list[PlanSummary],
    tags=TAGS,
)
def lookup_plan(
    conn: sqlite3.Connection,
    code: Annotated[str, QueryParameter(min_length=1, max_length=64)],
) -> list[PlanSummary]:
    """Plans with a scanned plan number (unique per customer, so maybe several)."""
    return service.find_plans(conn, code)


@query(get, "/api/v1/plans/{plan_id:int}", roles=PLAN_READERS, answer=PlanWithTally, tags=TAGS)
def get_plan(conn: sqlite3.Connection, plan_id: PlanId) -> PlanWithTally:
    """A plan with its live tally: expected vs counted per line."""
    return service.plan_with_tally(conn, plan_id)


@command(
    post,
    "/api/v1/plans/{plan_id:int}/check-in",
    name="plan.check_in",
    roles=RECEIVERS,
    payload=CheckIn,
    answer=PlanSummary,
    tags=TAGS,
)
def check_in(
    conn: sqlite3.Connection, ctx: CommandContext, plan_id: PlanId, data: CheckIn
) -> PlanSummary:
    """The truck or container at the door: its reference must match the plan."""
    return service.check_in(conn, ctx, plan_id, data)


@command(
    post,
    "/api/v1/plans/{plan_id:int}/receive",
    name="plan.receive",
    roles=RECEIVERS,
    payload=ReceiveScan,
    answer=ReceiveAnswer,
    tags=TAGS,
)
def receive(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    plan_id: PlanId,
    data: ReceiveScan,
    settings: NamedDependency[Settings],
) -> ReceiveAnswer:
    """One receiving scan (EAN, GS1 with lot/expiry/count, or an SSCC carton)."""
    return service.receive_scan(
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
    )


@command(
    post,
    "/api/v1/plans/{plan_id:int}/close",
    name="plan.close",
    roles=RECEIVERS,
    payload=CloseReceipt,
    answer=ReceiptDocument,
    tags=TAGS,
)
def close(
    conn: sqlite3.Connection, ctx: CommandContext, plan_id: PlanId, data: CloseReceipt
) -> ReceiptDocument:
    """Close the receipt: every difference needs its reason; answers the receipt document."""
    return service.close_receipt(conn, ctx, plan_id, data)


@query(
    get,
    "/api/v1/plans/{plan_id:int}/receipt",
    roles=PLAN_READERS,
    answer=ReceiptDocument,
    tags=TAGS,
)
def receipt(conn: sqlite3.Connection, plan_id: PlanId) -> ReceiptDocument:
    """What the tally record and the warehouse receipt (进仓单) print."""
    return service.receipt_document(conn, plan_id)


PDF = "application/pdf"


@query(
    get,
    "/api/v1/plans/{plan_id:int}/receipt.pdf",
    roles=PLAN_READERS,
    answer=Response[bytes],
    tags=TAGS,
    media_type=PDF,
    opt={"errors": {409}},  # PLAN_NOT_CLOSED
)
def receipt_pdf(
    conn: sqlite3.Connection, plan_id: PlanId, settings: NamedDependency[Settings]
) -> Response[bytes]:
    """The warehouse receipt (进仓单) of a closed plan as an A4 PDF; PLAN_NOT_CLOSED before."""
    pdf, disposition = documents.plan_pdf(conn, settings, plan_id, "receipt")
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": disposition})


@query(
    get,
    "/api/v1/plans/{plan_id:int}/tally.pdf",
    roles=PLAN_READERS,
    answer=Response[bytes],
    tags=TAGS,
    media_type=PDF,
)
def tally_pdf(
    conn: sqlite3.Connection, plan_id: PlanId, settings: NamedDependency[Settings]
) -> Response[bytes]:
    """The tally record (理货单) of a plan as an A4 PDF; a draft until the plan is closed."""
    pdf, disposition = documents.plan_pdf(conn, settings, plan_id, "tally")
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": disposition})


route_handlers = [
    put_plan,
    import_plans,
    release_plan,
    release_plan_by_number,
    get_plan_by_number,
    list_plans,
    lookup_plan,
    get_plan,
    check_in,
    receive,
    close,
    receipt,
    receipt_pdf,
    tally_pdf,
]
