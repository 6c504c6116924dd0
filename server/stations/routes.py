"""Stations on the floor (pack benches, the printer station, dock doors) and their agents."""

from __future__ import annotations

import base64
import sqlite3
import time
from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from server import __version__, system_writes
from server.commands import Actor, CommandContext, utc_now
from server.config import Settings, StationSettings, site_today
from server.declare import bookkeeping, command, query
from server.outbound.schemas import PackedParcel
from server.printing.dispatch import PrintDispatcher, render_job
from server.printing.routes import wake_parcel_printer
from server.stations import agent_link, live_weight, service
from server.stations.schemas import StationScanRecord, StationView, StationWorker
from server.stations.service import StationScan
from server.system_writes import Books
from server.web import MANAGERS, MAX_SQLITE_INT, allow

VIEWERS = allow(MANAGERS, "packer", "dock")
WEIGHT_READERS = allow(MANAGERS, "packer", "station")
SCANNERS = allow(MANAGERS, "packer", "dock", "station")
AGENT = allow("station")
TAGS = ["stations"]
AGENT_TAGS = ["station agent"]
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
    weight_confirmed: Annotated[
        bool,
        msgspec.Meta(description="Pack a weight outside the expected range: the packer confirmed"),
    ] = False


def station_of(
    conn: sqlite3.Connection, name: StationName, settings: NamedDependency[Settings]
) -> StationSettings:
    """The named station, refused (STATION_UNKNOWN) before the command begins."""
    return service.station_settings(settings, name)


@query(get, "/api/v1/stations", roles=VIEWERS, answer=list[StationView], tags=TAGS)
def stations(conn: sqlite3.Connection, settings: NamedDependency[Settings]) -> list[StationView]:
    """Every station: who works there, what is open, its agent and devices."""
    return service.list_stations(conn, settings)


@query(get, "/api/v1/stations/{name:str}", roles=VIEWERS, answer=StationView, tags=TAGS)
def station(
    conn: sqlite3.Connection, name: StationName, settings: NamedDependency[Settings]
) -> StationView:
    """One station: who works there, what is open and its devices."""
    return service.station_view(conn, settings, name)


@query(
    get,
    "/api/v1/stations/{name:str}/scans",
    roles=VIEWERS,
    answer=list[StationScanRecord],
    tags=TAGS,
)
def scans(
    conn: sqlite3.Connection,
    name: StationName,
    settings: NamedDependency[Settings],
    after: Annotated[int, QueryParameter(ge=0, le=MAX_SQLITE_INT)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> list[StationScanRecord]:
    """The station's scans after `after` (the page polls with the last id it has)."""
    return service.scan_feed(conn, settings, name, after=after, limit=limit)


@command(
    post,
    "/api/v1/stations/{name:str}/scans",
    name="station.scan",
    roles=SCANNERS,
    payload=ScanIn,
    answer=StationScanRecord,
    tags=TAGS,
    prepare=station_of,
)
def scan(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: ScanIn,
    settings: NamedDependency[Settings],
    prepared: StationSettings,
) -> StationScanRecord:
    """A scan at the station, routed to what is open there; refused scans are recorded too.

    The answer's `outcome` is `ok` or `refused` (with `error_code`); a replay of the same
    Idempotency-Key returns the first answer and changes nothing.
    """
    request = StationScan(**msgspec.structs.asdict(data))
    return service.record_scan(conn, ctx, settings, prepared, request)


@command(
    post,
    "/api/v1/stations/{name:str}/sign-in",
    name="station.sign_in",
    roles=allow(MANAGERS, "packer", "dock"),
    answer=StationWorker,
    tags=TAGS,
    prepare=station_of,
)
def sign_in(
    conn: sqlite3.Connection, ctx: CommandContext, prepared: StationSettings
) -> StationWorker:
    """Work at this station: its fixed scanners' scans are yours from now on."""
    return service.sign_in(conn, ctx, prepared)


@command(
    post,
    "/api/v1/stations/{name:str}/sign-out",
    name="station.sign_out",
    roles=allow(MANAGERS, "packer", "dock"),
    answer=StationWorker,
    tags=TAGS,
    prepare=station_of,
)
def sign_out(
    conn: sqlite3.Connection, ctx: CommandContext, prepared: StationSettings
) -> StationWorker:
    """Stop working at this station: its scans no longer go to you."""
    return service.sign_out(conn, ctx, prepared)


@command(
    post,
    "/api/v1/stations/{name:str}/pack",
    name="pack.complete",
    roles=allow(MANAGERS, "packer"),
    payload=PackIn,
    answer=PackedParcel,
    tags=TAGS,
    prepare=station_of,
    then=wake_parcel_printer,
)
def pack(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    data: PackIn,
    settings: NamedDependency[Settings],
    prepared: StationSettings,
) -> PackedParcel:
    """Weighed: the parcel of the order open at this bench is made and its label queued."""
    return service.complete_at_bench(
        conn,
        ctx,
        settings,
        prepared,
        weight_g=data.weight_g,
        parcel_count=data.parcel_count,
        day=site_today(settings).isoformat(),
        order_no=data.order_no,
        weight_confirmed=data.weight_confirmed,
    )


# -- the station agent -------------------------------------------------------------------


@query(get, "/api/v1/station/config", roles=AGENT, answer=agent_link.AgentConfig, tags=AGENT_TAGS)
def agent_config(
    conn: sqlite3.Connection,
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> agent_link.AgentConfig:
    """The station behind the token, with the scanners and printers its agent opens."""
    where = service.station_settings(settings, actor.code)
    return agent_link.agent_config(settings, where, __version__)


@bookkeeping(
    post,
    "/api/v1/station/heartbeat",
    roles=AGENT,
    payload=agent_link.Heartbeat,
    answer=agent_link.HeartbeatSeen,
    tags=AGENT_TAGS,
)
def heartbeat(
    books: Books,
    data: agent_link.Heartbeat,
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> agent_link.HeartbeatSeen:
    """The agent is alive; how its scanners and printers are."""
    where = service.station_settings(settings, actor.code)
    books.record(system_writes.record_agent_heartbeat, settings, where, data, utc_now())
    return agent_link.HeartbeatSeen(station=where.name, at=utc_now())


@bookkeeping(
    post,
    "/api/v1/station/printers/{name:str}/next-job",
    roles=AGENT,
    answer=Response[agent_link.ClaimedJob],
    tags=AGENT_TAGS,
)
def next_job(
    books: Books,
    name: StationName,
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
    printing: NamedDependency[PrintDispatcher],
    wait: Annotated[float, QueryParameter(ge=0, le=LONGEST_WAIT_SECONDS)] = 0,
) -> Response[agent_link.ClaimedJob]:
    """Claim the head of this printer's queue, rendered as ESC/POS (204 when there is none).

    With `wait`, the call waits up to that many seconds for a job to be queued. A claimed
    job the agent never reports on is claimed again: a label may print twice, never not.
    """
    where = service.station_settings(settings, actor.code)
    printer = agent_link.agent_printer(settings, where, name)
    deadline = time.monotonic() + wait
    while True:
        job = books.record(system_writes.claim_print_job, name, utc_now())
        if job is not None:
            break
        left = deadline - time.monotonic()
        if left <= 0 or printing.stopping:
            return Response(content=None, status_code=204)  # type: ignore[arg-type]
        printing.wait_for_job(name, min(left, 1.0))
    from devices import facesheet

    try:
        image = render_job(job, printer, settings)
    except facesheet.LabelError as err:
        error = f"{err.code}: {err.message}"
        books.record(system_writes.mark_print_job_failed, job["id"], error, utc_now())
        return Response(content=None, status_code=204)  # type: ignore[arg-type]
    claimed = agent_link.ClaimedJob(
        id=job["id"],
        kind=job["kind"],
        attempts=job["attempts"],
        escpos=base64.b64encode(facesheet.to_escpos(image)).decode(),
        preview_png=(
            base64.b64encode(facesheet.to_png(image)).decode() if printer.kind == "file" else ""
        ),
    )
    return Response(content=claimed, status_code=200)


@bookkeeping(
    post,
    "/api/v1/station/print-jobs/{job_id:int}/result",
    roles=AGENT,
    payload=agent_link.JobResult,
    answer=agent_link.JobSettled,
    tags=AGENT_TAGS,
)
def job_result(
    books: Books,
    job_id: JobId,
    data: agent_link.JobResult,
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> agent_link.JobSettled:
    """How a claimed job went: printed, printer unavailable (tried again later), or failed."""
    where = service.station_settings(settings, actor.code)
    return books.record(
        system_writes.record_agent_job_result, settings, where, job_id, data, utc_now()
    )


@query(
    get,
    "/api/v1/stations/{name:str}/weight",
    roles=WEIGHT_READERS,
    answer=live_weight.WeightView,
    tags=TAGS,
)
def weight(
    conn: sqlite3.Connection,
    name: StationName,
    settings: NamedDependency[Settings],
    actor: NamedDependency[Actor],
) -> live_weight.WeightView:
    """The live weight on the station's scale, as its agent last reported it.

    `state` is `reading`, `no_scale` (none configured), `unplugged` or `no_answer` (the
    agent says the scale is gone) or `stale` (nothing heard for the scale's
    `stale_seconds`); `grams` is null unless it is `reading`.
    """
    where = service.station_settings(settings, name)
    service.check_caller(actor, where)  # a station's token reads its own scale only
    return live_weight.view(
        where.name, bool(where.scales), agent_link.stale_seconds(settings, where)
    )


@bookkeeping(
    post,
    "/api/v1/stations/{name:str}/agent/weight",
    roles=AGENT,
    payload=live_weight.WeightReport,
    answer=live_weight.WeightSeen,
    tags=AGENT_TAGS,
)
def agent_weight(
    books: Books,
    name: StationName,
    data: live_weight.WeightReport,
    actor: NamedDependency[Actor],
    settings: NamedDependency[Settings],
) -> live_weight.WeightSeen:
    """The agent's latest reading of a station scale (or that it is gone), kept in memory.

    Device state, not a floor fact: nothing is written to the database. The agent sends one
    on each change (at most about 5 a second) and about once a second while it holds still.
    """
    where = service.station_settings(settings, name)
    service.check_caller(actor, where)
    agent_link.check_weight_report(where, data)
    live_weight.keep(where.name, data)
    return live_weight.WeightSeen(station=where.name, state=data.state)


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
    weight,
    agent_weight,
]
