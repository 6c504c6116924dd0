"""Stations on the floor (pack benches, the printer station, dock doors) and their agents."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from server import __version__, system_writes
from server.commands import Actor, run_command, utc_now
from server.config import Settings, site_today
from server.db import Database
from server.printing.dispatch import PrintDispatcher, render_job
from server.stations import agent_link, service
from server.stations.service import StationScan
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

VIEWERS = allow(MANAGERS, "packer", "dock")
SCANNERS = allow(MANAGERS, "packer", "dock", "station")
AGENT = allow("station")
StationName = Annotated[str, PathParameter(min_length=1, max_length=64)]
JobId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
LONGEST_WAIT_SECONDS = 25.0


class ScanIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[
        str, msgspec.Meta(min_length=1, max_length=512, description="What the scanner read")
    ]
    scanner: Annotated[str, msgspec.Meta(max_length=64, description="Scanner name")] = ""
    symbology: Annotated[
        str, msgspec.Meta(max_length=3, description="AIM symbology identifier, e.g. ]C1")
    ] = ""
    scanned_at: Annotated[
        str, msgspec.Meta(max_length=40, description="When the scanner read it (ISO 8601)")
    ] = ""


class PackIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    weight_g: Annotated[int, msgspec.Meta(gt=0, le=1_000_000, description="Parcel weight, g")]
    parcel_count: Annotated[int, msgspec.Meta(ge=1, le=99)] = 1
    order_no: (
        Annotated[
            str,
            msgspec.Meta(min_length=1, max_length=40, description="The order the packer sees open"),
        ]
        | None
    ) = None


@get("/api/v1/stations", opt=VIEWERS, sync_to_thread=True, tags=["stations"])
def stations(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> list[dict[str, Any]]:
    """Every station: who works there, what is open, its agent and devices."""
    return db.read(lambda conn: service.list_stations(conn, settings))


@get("/api/v1/stations/{name:str}", opt=VIEWERS, sync_to_thread=True, tags=["stations"])
def station(
    name: StationName, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> dict[str, Any]:
    """One station: who works there, what is open and its devices."""
    return db.read(lambda conn: service.station_view(conn, settings, name))


@get("/api/v1/stations/{name:str}/scans", opt=VIEWERS, sync_to_thread=True, tags=["stations"])
def scans(
    name: StationName,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_SQLITE_INT)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The station's scans after `after` (the page polls with the last id it has)."""
    return db.read(lambda conn: service.scan_feed(conn, settings, name, after=after, limit=limit))


@post(
    "/api/v1/stations/{name:str}/scans",
    opt=SCANNERS,
    sync_to_thread=True,
    status_code=200,
    tags=["stations"],
)
def scan(
    name: StationName,
    data: JSONBody[ScanIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A scan at the station, routed to what is open there; refused scans are recorded too.

    The answer's `outcome` is `ok` or `refused` (with `error_code`); a replay of the same
    Idempotency-Key returns the first answer and changes nothing.
    """
    where = service.station_settings(settings, name)
    request = StationScan(**msgspec.structs.asdict(data))
    return run_command(
        db,
        actor,
        "station.scan",
        idempotency_key,
        {"station": name, **msgspec.to_builtins(data)},
        lambda conn, ctx: service.record_scan(conn, ctx, settings, where, request),
    ).value


@post(
    "/api/v1/stations/{name:str}/sign-in",
    opt=allow(MANAGERS, "packer", "dock"),
    sync_to_thread=True,
    status_code=200,
    tags=["stations"],
)
def sign_in(
    name: StationName,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Work at this station: its fixed scanners' scans are yours from now on."""
    where = service.station_settings(settings, name)
    return run_command(
        db,
        actor,
        "station.sign_in",
        idempotency_key,
        {"station": name},
        lambda conn, ctx: service.sign_in(conn, ctx, where),
    ).value


@post(
    "/api/v1/stations/{name:str}/sign-out",
    opt=allow(MANAGERS, "packer", "dock"),
    sync_to_thread=True,
    status_code=200,
    tags=["stations"],
)
def sign_out(
    name: StationName,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Stop working at this station: its scans no longer go to you."""
    where = service.station_settings(settings, name)
    return run_command(
        db,
        actor,
        "station.sign_out",
        idempotency_key,
        {"station": name},
        lambda conn, ctx: service.sign_out(conn, ctx, where),
    ).value


@post(
    "/api/v1/stations/{name:str}/pack",
    opt=allow(MANAGERS, "packer"),
    sync_to_thread=True,
    status_code=200,
    tags=["stations"],
)
def pack(
    name: StationName,
    data: JSONBody[PackIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Weighed: the parcel of the order open at this bench is made and its label queued."""
    where = service.station_settings(settings, name)
    result = run_command(
        db,
        actor,
        "pack.complete",
        idempotency_key,
        {"station": name, **msgspec.to_builtins(data)},
        lambda conn, ctx: service.complete_at_bench(
            conn,
            ctx,
            settings,
            where,
            weight_g=data.weight_g,
            parcel_count=data.parcel_count,
            day=site_today(settings).isoformat(),
            order_no=data.order_no,
        ),
    ).value
    printing.notify(result["print_job"]["printer"])
    return result


# -- the station agent -------------------------------------------------------------------


@get("/api/v1/station/config", opt=AGENT, sync_to_thread=True, tags=["station agent"])
def agent_config(
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    """The station behind the token, with the scanners and printers its agent opens."""
    where = service.station_settings(settings, actor.code)
    return agent_link.agent_config(settings, where, __version__)


@post(
    "/api/v1/station/heartbeat",
    opt=AGENT,
    sync_to_thread=True,
    status_code=200,
    tags=["station agent"],
)
def heartbeat(
    data: JSONBody[agent_link.Heartbeat],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    """The agent is alive; how its scanners and printers are."""
    where = service.station_settings(settings, actor.code)
    system_writes.record_agent_heartbeat(db, settings, where, data, utc_now())
    return {"station": where.name, "at": utc_now()}


@post(
    "/api/v1/station/printers/{name:str}/next-job",
    opt=AGENT,
    sync_to_thread=True,
    status_code=200,
    tags=["station agent"],
)
def next_job(
    name: StationName,
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    wait: Annotated[float, QueryParameter(ge=0, le=LONGEST_WAIT_SECONDS)] = 0,
) -> Response[Any]:
    """Claim the head of this printer's queue, rendered as ESC/POS (204 when there is none).

    With `wait`, the call waits up to that many seconds for a job to be queued. A claimed
    job the agent never reports on is claimed again: a label may print twice, never not.
    """
    where = service.station_settings(settings, actor.code)
    printer = agent_link.agent_printer(settings, where, name)
    deadline = time.monotonic() + wait
    while True:
        job = system_writes.claim_print_job(db, name, utc_now())
        if job is not None:
            break
        left = deadline - time.monotonic()
        if left <= 0 or printing.stopping:
            return Response(content=None, status_code=204)
        printing.wait_for_job(name, min(left, 1.0))
    from devices import facesheet

    try:
        image = render_job(job, printer, settings)
    except facesheet.LabelError as err:
        error = f"{err.code}: {err.message}"
        system_writes.mark_print_job_failed(db, job["id"], error, utc_now())
        return Response(content=None, status_code=204)
    return Response(
        content={
            "id": job["id"],
            "kind": job["kind"],
            "attempts": job["attempts"],
            "escpos": base64.b64encode(facesheet.to_escpos(image)).decode(),
            "preview_png": (
                base64.b64encode(facesheet.to_png(image)).decode() if printer.kind == "file" else ""
            ),
        },
        status_code=200,
    )


@post(
    "/api/v1/station/print-jobs/{job_id:int}/result",
    opt=AGENT,
    sync_to_thread=True,
    status_code=200,
    tags=["station agent"],
)
def job_result(
    job_id: JobId,
    data: JSONBody[agent_link.JobResult],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> dict[str, Any]:
    """How a claimed job went: printed, printer unavailable (tried again later), or failed."""
    where = service.station_settings(settings, actor.code)
    return system_writes.record_agent_job_result(db, settings, where, job_id, data, utc_now())


route_handlers = [
    stations,
    station,
    scans,
    scan,
    sign_in,
    sign_out,
    pack,
    agent_config,
    heartbeat,
    next_job,
    job_result,
]
