"""What a station agent (`bondfloor station`) asks of the server.

The agent runs on the PC its scanners and printers hang on. It reads its devices from
here (one configuration for the site, in config/), reports how they are, and prints the
jobs of its printers. An agent printer's queue is the same durable queue as a network
printer's: the agent claims the head job (status `sending`), prints it and says how it
went; a job it never answers for is sent again at its next claim, never lost.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, Literal

import msgspec

from server import clock
from server.config import (
    PrinterSettings,
    ScaleSettings,
    ScannerSettings,
    Settings,
    StationSettings,
)
from server.error_codes import ERR
from server.printing import service as printing
from server.stations.live_weight import WeightReport


class DeviceReport(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    state: str
    detail: str = ""


class Heartbeat(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    version: str = ""
    scanners: dict[str, DeviceReport] = msgspec.field(default_factory=dict)
    printers: dict[str, DeviceReport] = msgspec.field(default_factory=dict)
    buffered_scans: int = 0
    scales: dict[str, DeviceReport] = msgspec.field(default_factory=dict)


class JobResult(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    outcome: Literal["printed", "unavailable", "failed"]
    state: str = ""
    detail: str = ""


class AgentConfig(msgspec.Struct, kw_only=True):
    """The station behind an agent's token and the devices the agent opens."""

    station: str
    kind: str
    site: str
    server_version: str
    scanners: list[ScannerSettings]
    printers: list[PrinterSettings]
    scales: list[ScaleSettings] = msgspec.field(default_factory=list)


class HeartbeatSeen(msgspec.Struct, kw_only=True):
    station: str
    at: str


class ClaimedJob(msgspec.Struct, kw_only=True):
    """A print job claimed for the agent's printer, rendered for it."""

    id: int
    kind: str
    attempts: int
    escpos: str
    preview_png: str


class JobSettled(msgspec.Struct, kw_only=True):
    """Where a job stands once the agent's report is recorded."""

    id: int
    status: str


def agent_printers(settings: Settings, station: StationSettings) -> list[PrinterSettings]:
    return [p for p in settings.printers if p.via_station == station.name]


def agent_config(settings: Settings, station: StationSettings, version: str) -> AgentConfig:
    """The devices the agent opens, as configured for its station."""
    return AgentConfig(
        station=station.name,
        kind=station.kind,
        site=settings.site.code,
        server_version=version,
        scanners=[s for s in settings.scanners if s.name in station.scanners],
        printers=agent_printers(settings, station),
        scales=station_scales(settings, station),
    )


def station_scales(settings: Settings, station: StationSettings) -> list[ScaleSettings]:
    return [s for s in settings.scales if s.name in station.scales]


def stale_seconds(settings: Settings, station: StationSettings) -> float:
    """A station's weight goes stale after the longest `stale_seconds` of its scales."""
    return max((s.stale_seconds for s in station_scales(settings, station)), default=3.0)


def check_weight_report(station: StationSettings, report: WeightReport) -> None:
    """A report names one of the station's scales; a reading carries its grams."""
    if report.scale not in station.scales:
        raise ERR.SCALE_NOT_AT_STATION({"scale": report.scale, "station": station.name})
    if report.state == "reading" and report.grams is None:
        raise ERR.WEIGHT_READING_INCOMPLETE()


def record_heartbeat(
    conn: sqlite3.Connection, settings: Settings, station: StationSettings, beat: Heartbeat, at: str
) -> list[str]:
    """Note the agent alive and its devices' states; returns the printers whose state changed."""
    devices = {
        "scanners": {n: msgspec.to_builtins(r) for n, r in beat.scanners.items()},
        "printers": {n: msgspec.to_builtins(r) for n, r in beat.printers.items()},
        "buffered_scans": beat.buffered_scans,
        "scales": {n: msgspec.to_builtins(r) for n, r in beat.scales.items()},
    }
    conn.execute(
        "INSERT INTO station_state (station, agent_seen_at, agent_version, devices, updated_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (station) DO UPDATE SET "
        "agent_seen_at = excluded.agent_seen_at, agent_version = excluded.agent_version, "
        "devices = excluded.devices",
        (station.name, at, beat.version[:40], msgspec.json.encode(devices).decode(), at),
    )
    mine = {p.name for p in agent_printers(settings, station)}
    return [
        name
        for name, report in beat.printers.items()
        if name in mine
        and printing.set_printer_state(conn, name, report.state[:32], report.detail[:300], at)
    ]


def agent_printer(settings: Settings, station: StationSettings, name: str) -> PrinterSettings:
    printer = printing.printer_settings(settings, name)
    if printer.via_station != station.name:
        raise ERR.PRINTER_NOT_AT_STATION({"printer": name, "station": station.name})
    return printer


def job_of_station(
    conn: sqlite3.Connection, settings: Settings, station: StationSettings, job_id: int
) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, printer, status, attempts FROM print_jobs WHERE id = ?", (job_id,)
    ).fetchone()
    if row is None:
        raise ERR.PRINT_JOB_NOT_FOUND(job_id=job_id)
    agent_printer(settings, station, row["printer"])
    return row


def record_job_result(
    conn: sqlite3.Connection,
    settings: Settings,
    station: StationSettings,
    job_id: int,
    result: JobResult,
    at: str,
) -> JobSettled:
    """Settle a claimed job as the agent reports it; a late or repeated answer changes nothing."""
    row = job_of_station(conn, settings, station, job_id)
    detail = result.detail[:300]
    if row["status"] == "sending":
        if result.outcome == "printed":
            printing.mark_done(conn, job_id, at)
        elif result.outcome == "unavailable":
            printing.mark_retry(conn, job_id, detail, row["attempts"], settings)
        else:
            printing.mark_failed(conn, job_id, detail, at)
        state = result.state or ("unavailable" if result.outcome == "unavailable" else "online")
        printing.set_printer_state(conn, row["printer"], state[:32], detail, at)
    status = conn.execute("SELECT status FROM print_jobs WHERE id = ?", (job_id,)).fetchone()[0]
    return JobSettled(id=job_id, status=status)


AGENT_SILENT_SECONDS = 30
"""An agent not heard from for this long (three heartbeats) is shown offline."""


def agent_state(seen_at: str | None) -> str:
    """online, offline (silent too long) or never seen, by the server's clock."""
    if seen_at is None:
        return "never seen"
    silent = (clock.now() - datetime.fromisoformat(seen_at)).total_seconds()
    return "offline" if silent > AGENT_SILENT_SECONDS else "online"


def agents_health(conn: sqlite3.Connection, settings: Settings) -> dict[str, Any]:
    """Each station that needs an agent (fixed scanners or agent printers): is it there."""
    seen = {
        r["station"]: r
        for r in conn.execute("SELECT station, agent_seen_at, devices FROM station_state")
    }
    out: dict[str, Any] = {}
    for station in settings.stations:
        if not station.scanners and not station.scales and not agent_printers(settings, station):
            continue
        row = seen.get(station.name)
        at = row["agent_seen_at"] if row else None
        devices = msgspec.json.decode(row["devices"]) if row else {}
        out[station.name] = {
            "agent": agent_state(at),
            "seen_at": at,
            "buffered_scans": devices.get("buffered_scans", 0),
            "scanners": {n: d["state"] for n, d in devices.get("scanners", {}).items()},
        }
    return out
