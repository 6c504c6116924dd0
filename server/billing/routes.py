"""Billing: tariffs, value-added services, periods, statements and their CSV."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from server import clock
from server.billing import service, statement_cache
from server.billing.closing import ClosePeriodJob, PreparedClose, prepare_close
from server.billing.schemas import (
    ChargeTypeOut,
    CitingLine,
    CreditLine,
    CreditOut,
    LineSources,
    PeriodClosed,
    PeriodReopen,
    PeriodState,
    ServiceRecord,
    ServiceRecorded,
    Statement,
    StatementSummary,
    TariffSet,
    TariffVersion,
)
from server.commands import CommandContext
from server.config import Settings
from server.declare import command, query
from server.documents import statement as statement_document
from server.web import MANAGERS, MAX_SQLITE_INT, allow

BILLING = allow(MANAGERS)
TAGS = ["billing"]
CSV = "text/csv; charset=utf-8"
JSON = "application/json"
PDF = "application/pdf"
PERIOD_PATTERN = r"^20\d\d-(0[1-9]|1[0-2])$"
Period = Annotated[str, PathParameter(pattern=PERIOD_PATTERN, description="YYYY-MM")]
PeriodQuery = Annotated[str, QueryParameter(pattern=PERIOD_PATTERN, description="YYYY-MM")]
AnyPeriod = Annotated[
    str | None, QueryParameter(pattern=PERIOD_PATTERN, description="YYYY-MM; none: every period")
]
StatementId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
WithSources = Annotated[bool, QueryParameter(description="Add each line's sources")]
CustomerQuery = Annotated[str, QueryParameter(max_length=40, description="A customer's code")]


@query(get, "/api/v1/billing/charge-codes", roles=BILLING, answer=list[ChargeTypeOut], tags=TAGS)
def charge_codes(conn: sqlite3.Connection) -> list[ChargeTypeOut]:
    """Every charge a statement line can be (`priced`: those a tariff can price), with its
    unit, scale and names in Chinese and English: the pages keep none of their own (a table
    of the code, so it never changes while the server runs)."""
    return service.charge_types()


@query(get, "/api/v1/billing/tariffs", roles=BILLING, answer=list[TariffVersion], tags=TAGS)
def tariffs(conn: sqlite3.Connection, customer: CustomerQuery = "") -> list[TariffVersion]:
    """A customer's tariff versions (no customer: the site default's), newest first."""
    return service.tariff_versions(conn, customer)


@command(
    post,
    "/api/v1/billing/tariffs",
    name="billing.set_tariff",
    roles=BILLING,
    payload=TariffSet,
    answer=TariffVersion,
    tags=TAGS,
)
def set_tariff(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: TariffSet,
    settings: NamedDependency[Settings],
) -> TariffVersion:
    """A new tariff version from a day on; closed periods keep the prices they had."""
    return service.set_tariff(conn, ctx, settings.site.timezone, data)


@command(
    post,
    "/api/v1/billing/services",
    name="billing.record_service",
    roles=BILLING,
    payload=ServiceRecord,
    answer=ServiceRecorded,
    tags=TAGS,
)
def record_service(
    conn: sqlite3.Connection, ctx: CommandContext, data: ServiceRecord
) -> ServiceRecorded:
    """A value-added service done for a customer (labelling, kitting, photos)."""
    return service.record_service(conn, ctx, data)


@query(get, "/api/v1/billing/periods", roles=BILLING, answer=list[PeriodState], tags=TAGS)
def periods(conn: sqlite3.Connection) -> list[PeriodState]:
    """Periods closed or re-opened, newest first (a period never closed is open)."""
    return service.list_periods(conn)


def compute_close(
    conn: sqlite3.Connection, period: Period, settings: NamedDependency[Settings]
) -> PreparedClose:
    """The statements and their facts' watermark, read before the writer is asked for."""
    return prepare_close(conn, settings.site.timezone, period)


@command(
    post,
    "/api/v1/billing/periods/{period:str}/close",
    name="billing.close_period",
    roles=BILLING,
    answer=PeriodClosed,
    tags=TAGS,
    prepare=compute_close,
    chunked=True,
)
def close_period(prepared: PreparedClose, settings: NamedDependency[Settings]) -> ClosePeriodJob:
    """Freeze every customer's statement of a month that has ended. Computed first on a
    read-only connection, then stored in short chunks, so the floor's scans go on."""
    return ClosePeriodJob(prepared, settings.site.timezone)


@command(
    post,
    "/api/v1/billing/periods/{period:str}/reopen",
    name="billing.reopen_period",
    roles=BILLING,
    payload=PeriodReopen,
    answer=PeriodState,
    tags=TAGS,
)
def reopen_period(
    conn: sqlite3.Connection, ctx: CommandContext, period: Period, data: PeriodReopen
) -> PeriodState:
    """Re-open a closed period, with the reason: its statements are superseded, not edited."""
    return service.reopen_period(conn, ctx, period, data.reason)


@command(
    post,
    "/api/v1/billing/credits",
    name="billing.credit_line",
    roles=BILLING,
    payload=CreditLine,
    answer=CreditOut,
    tags=TAGS,
)
def credit_line(conn: sqlite3.Connection, ctx: CommandContext, data: CreditLine) -> CreditOut:
    """Credit a disputed line on the customer's next open period's statement."""
    return service.credit_line(conn, ctx, data)


@query(get, "/api/v1/billing/preview", roles=BILLING, answer=Statement, tags=TAGS)
def preview(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    period: PeriodQuery,
    customer: CustomerQuery,
) -> Statement:
    """A customer's statement of a period as closing it now would store it."""
    return service.preview_statement(conn, settings.site.timezone, period, customer)


@query(get, "/api/v1/billing/statements", roles=BILLING, answer=list[StatementSummary], tags=TAGS)
def statements(
    conn: sqlite3.Connection, period: AnyPeriod = None, customer: CustomerQuery = ""
) -> list[StatementSummary]:
    """Closed and superseded statements, newest period first (no period: every one)."""
    return service.list_statements(conn, period or "", customer)


@query(
    get,
    "/api/v1/billing/statements/{statement_id:int}",
    roles=BILLING,
    answer=Statement,
    tags=TAGS,
)
def statement(
    conn: sqlite3.Connection, statement_id: StatementId, sources: WithSources = False
) -> Statement | Response[bytes]:
    """A stored statement; `sources=true` adds each line's movements, tasks or documents."""
    if sources:
        return service.stored_statement(conn, statement_id, with_sources=True)
    # a closed statement never changes: its JSON is rendered once (statement_cache.py)
    return Response(statement_cache.statement_json(conn, statement_id), media_type=JSON)


@query(
    get,
    "/api/v1/billing/statements/{statement_id:int}/csv",
    roles=BILLING,
    answer=Response[bytes],
    media_type="text/csv",
    tags=TAGS,
)
def statement_csv(conn: sqlite3.Connection, statement_id: StatementId) -> Response[bytes]:
    """A stored statement as CSV: its lines, the subtotals by category and the total (fen)."""
    name, body = statement_cache.statement_csv(conn, statement_id)
    return Response(
        body,
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@query(
    get,
    "/api/v1/billing/statements/{statement_id:int}/pdf",
    roles=BILLING,
    answer=Response[bytes],
    media_type=PDF,
    tags=TAGS,
)
def statement_pdf(
    conn: sqlite3.Connection, statement_id: StatementId, settings: NamedDependency[Settings]
) -> Response[bytes]:
    """A stored statement as an A4 PDF: the statement page's lines, subtotals and totals."""
    st = service.stored_statement(conn, statement_id)
    pdf = statement_document.statement_pdf(
        st,
        site=settings.site.name,
        printed_at=clock.stamp(),
        timezone=settings.site.timezone,
        font=settings.printing.font,
    )
    disposition = statement_document.download_header(st)
    return Response(pdf, media_type=PDF, headers={"Content-Disposition": disposition})


SourceKind = Annotated[
    Literal[
        "movement",
        "order",
        "plan",
        "sscc",
        "print_job",
        "order_task",
        "count_task",
        "service",
        "location",
        "statement_line",
    ],
    QueryParameter(description="What kind of fact"),
]
SourceRef = Annotated[
    str,
    QueryParameter(
        min_length=1,
        max_length=2000,
        description="Its id, number or code; ids (movements, tasks, print jobs, services, "
        "lines) may be several separated by commas, up to 100 (a page of the trace)",
    ),
]
NUMBERED_KINDS = {"movement", "print_job", "order_task", "count_task", "service", "statement_line"}
"""Kinds whose refs are row ids: a comma never belongs to one, so it may separate them."""


@query(get, "/api/v1/billing/lines", roles=BILLING, answer=list[CitingLine], tags=TAGS)
def lines_citing(conn: sqlite3.Connection, kind: SourceKind, ref: SourceRef) -> list[CitingLine]:
    """The stored statement lines movements, tasks or documents are a source of."""
    refs = [r.strip() for r in ref.split(",")][:100] if kind in NUMBERED_KINDS else [ref]
    return service.lines_citing(conn, kind, [r[:80] for r in refs if r])


LineNo = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@query(
    get,
    "/api/v1/billing/statements/{statement_id:int}/lines/{line_no:int}/sources",
    roles=BILLING,
    answer=LineSources,
    tags=TAGS,
)
def line_sources(
    conn: sqlite3.Connection, statement_id: StatementId, line_no: LineNo
) -> LineSources:
    """A stored line's facts (the first 200), each with where the trace page shows it."""
    return service.line_sources(conn, statement_id, line_no)


route_handlers = [
    lines_citing,
    line_sources,
    charge_codes,
    tariffs,
    set_tariff,
    record_service,
    periods,
    close_period,
    reopen_period,
    credit_line,
    preview,
    statements,
    statement,
    statement_csv,
    statement_pdf,
]
