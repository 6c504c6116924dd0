"""The printer station: printers and their queues, label previews, reprints, test prints."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter

from server.commands import CommandContext
from server.config import Settings, site_today
from server.declare import command, query
from server.error_codes import by_code
from server.errors import InvalidInput
from server.printing import service
from server.printing.dispatch import PrintDispatcher, render_job
from server.printing.schemas import PrinterView, PrintJob, ReprintQueued, TestPrintQueued
from server.web import MANAGERS, MAX_SQLITE_INT, allow

STATION = allow(MANAGERS, "packer")
TAGS = ["printing"]
JobId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
PrinterName = Annotated[str, PathParameter(min_length=1, max_length=64)]


class ReprintIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    scan: Annotated[
        str,
        msgspec.Meta(min_length=1, max_length=200, description="Waybill, parcel or order number"),
    ]
    reason: Annotated[
        str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")
    ]
    printer: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


def wake_printer(
    conn: sqlite3.Connection, queued: dict[str, Any], printing: NamedDependency[PrintDispatcher]
) -> dict[str, Any]:
    """The printer's sender looks at its queue now rather than at its next poll."""
    printing.notify(queued["printer"])
    return queued


def wake_parcel_printer(
    conn: sqlite3.Connection, packed: dict[str, Any], printing: NamedDependency[PrintDispatcher]
) -> dict[str, Any]:
    """A packed parcel's label leaves now, not at its printer's next poll."""
    wake_printer(conn, packed["print_job"], printing)
    return packed


@query(get, "/api/v1/printers", roles=STATION, answer=list[PrinterView], tags=TAGS)
def printers(conn: sqlite3.Connection, settings: NamedDependency[Settings]) -> list[PrinterView]:
    """Every printer with its state (online, unavailable, paper out…) and its queue."""
    return service.list_printers(conn, settings)


@command(
    post,
    "/api/v1/printers/{name:str}/test",
    name="print.test",
    roles=allow("admin"),  # a printer's setup is the admin's; reprints and retries are floor work
    answer=TestPrintQueued,
    tags=TAGS,
    then=wake_printer,
)
def test_print(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    name: PrinterName,
    settings: NamedDependency[Settings],
) -> TestPrintQueued:
    """Queue a test label on this printer."""
    return service.test_print(conn, ctx, settings, name, site_today(settings).isoformat())


@query(get, "/api/v1/print-jobs", roles=STATION, answer=list[PrintJob], tags=TAGS)
def print_jobs(
    conn: sqlite3.Connection,
    printer: Annotated[str | None, QueryParameter(max_length=64)] = None,
    status: FromQuery[Literal["queued", "sending", "done", "failed", "cancelled"] | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[PrintJob]:
    """Label print jobs, newest first, with what each label carries."""
    return service.list_jobs(conn, printer=printer, status=status, limit=limit)


@query(get, "/api/v1/print-jobs/{job_id:int}", roles=STATION, answer=PrintJob, tags=TAGS)
def print_job(conn: sqlite3.Connection, job_id: JobId) -> PrintJob:
    """One label print job and its state."""
    return service.job(conn, job_id)


@query(
    get,
    "/api/v1/print-jobs/{job_id:int}/preview.png",
    roles=STATION,
    answer=Response[bytes],
    tags=TAGS,
    media_type="image/png",
)
def preview(
    conn: sqlite3.Connection, job_id: JobId, settings: NamedDependency[Settings]
) -> Response[bytes]:
    """The label exactly as the printer gets it, as a PNG."""
    from devices import facesheet

    job = service.job(conn, job_id)
    printer = service.printer_settings(settings, job.printer)
    try:
        image = render_job({"kind": job.kind, "payload": job.payload}, printer, settings)
    except facesheet.LabelError as err:
        refusal = by_code(err.code)
        raise refusal.answered_as(InvalidInput, {"field": err.field}, problem=err.message) from err
    return Response(facesheet.to_png(image), media_type="image/png")


@command(
    post,
    "/api/v1/print-jobs/reprint",
    name="print.reprint",
    roles=STATION,
    payload=ReprintIn,
    answer=ReprintQueued,
    tags=TAGS,
    then=wake_printer,
)
def reprint(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: ReprintIn,
    settings: NamedDependency[Settings],
) -> ReprintQueued:
    """Print a parcel's face sheet again (marked as a copy), with a reason; audited."""
    return service.reprint(
        conn, ctx, settings, scanned=data.scan, reason=data.reason, printer=data.printer
    )


@command(
    post,
    "/api/v1/print-jobs/{job_id:int}/retry",
    name="print.retry",
    roles=allow(MANAGERS),
    answer=PrintJob,
    tags=TAGS,
    then=wake_printer,
)
def retry(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    job_id: JobId,
    settings: NamedDependency[Settings],
) -> PrintJob:
    """Send a failed job again, once its printer is fixed."""
    return service.retry_failed(conn, ctx, settings, job_id)


route_handlers = [printers, test_print, print_jobs, print_job, preview, reprint, retry]
