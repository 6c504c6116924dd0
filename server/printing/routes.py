"""The printer station: printers and their queues, label previews, reprints, test prints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from server.commands import Actor, run_command
from server.config import Settings, site_today
from server.db import Database
from server.error_codes import by_code
from server.errors import InvalidInput
from server.printing import service
from server.printing.dispatch import PrintDispatcher, render_job
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

STATION = allow(MANAGERS, "packer")
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


@get("/api/v1/printers", opt=STATION, sync_to_thread=True, tags=["printing"])
def printers(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> list[dict[str, Any]]:
    """Every printer with its state (online, unavailable, paper out…) and its queue."""
    return db.read(lambda conn: service.list_printers(conn, settings))


@post(
    "/api/v1/printers/{name:str}/test",
    opt=allow("admin"),  # a printer's setup is the admin's; reprints and retries are floor work
    sync_to_thread=True,
    status_code=200,
    tags=["printing"],
)
def test_print(
    name: PrinterName,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Queue a test label on this printer."""
    result = run_command(
        db,
        actor,
        "print.test",
        idempotency_key,
        {"printer": name},
        lambda conn, ctx: service.test_print(
            conn, ctx, settings, name, site_today(settings).isoformat()
        ),
    ).value
    printing.notify(result["printer"])
    return result


@get("/api/v1/print-jobs", opt=STATION, sync_to_thread=True, tags=["printing"])
def print_jobs(
    db: NamedDependency[Database],
    printer: Annotated[str | None, QueryParameter(max_length=64)] = None,
    status: FromQuery[Literal["queued", "sending", "done", "failed", "cancelled"] | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Label print jobs, newest first, with what each label carries."""
    return db.read(
        lambda conn: service.list_jobs(conn, printer=printer, status=status, limit=limit)
    )


@get("/api/v1/print-jobs/{job_id:int}", opt=STATION, sync_to_thread=True, tags=["printing"])
def print_job(job_id: JobId, db: NamedDependency[Database]) -> dict[str, Any]:
    """One label print job and its state."""
    return db.read(lambda conn: service.job(conn, job_id))


@get(
    "/api/v1/print-jobs/{job_id:int}/preview.png",
    opt=STATION,
    sync_to_thread=True,
    tags=["printing"],
    media_type="image/png",
)
def preview(
    job_id: JobId, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Response[bytes]:
    """The label exactly as the printer gets it, as a PNG."""
    from devices import facesheet

    job = db.read(lambda conn: service.job(conn, job_id))
    printer = service.printer_settings(settings, job["printer"])
    try:
        image = render_job(job, printer, settings)
    except facesheet.LabelError as err:
        refusal = by_code(err.code)
        raise refusal.answered_as(InvalidInput, {"field": err.field}, problem=err.message) from err
    return Response(facesheet.to_png(image), media_type="image/png")


@post(
    "/api/v1/print-jobs/reprint",
    opt=STATION,
    sync_to_thread=True,
    status_code=200,
    tags=["printing"],
)
def reprint(
    data: JSONBody[ReprintIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Print a parcel's face sheet again (marked as a copy), with a reason; audited."""
    result = run_command(
        db,
        actor,
        "print.reprint",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.reprint(
            conn, ctx, settings, scanned=data.scan, reason=data.reason, printer=data.printer
        ),
    ).value
    printing.notify(result["printer"])
    return result


@post(
    "/api/v1/print-jobs/{job_id:int}/retry",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    status_code=200,
    tags=["printing"],
)
def retry(
    job_id: JobId,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Send a failed job again, once its printer is fixed."""
    result = run_command(
        db,
        actor,
        "print.retry",
        idempotency_key,
        {"job": job_id},
        lambda conn, ctx: service.retry_failed(conn, ctx, settings, job_id),
    ).value
    printing.notify(result["printer"])
    return result


route_handlers = [printers, test_print, print_jobs, print_job, preview, reprint, retry]
