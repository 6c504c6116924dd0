"""Alerts, safety stock levels, the supervisor dashboard and its CSV reports."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from server.alerts import dashboard as board
from server.alerts import service
from server.alerts.schemas import (
    AckRequest,
    AlertsChecked,
    AlertView,
    Dashboard,
    SafetyLevels,
    SafetyLevelView,
)
from server.commands import CommandContext
from server.config import Settings, site_today
from server.declare import command, query
from server.error_codes import ERR
from server.web import MANAGERS, MAX_SQLITE_INT, allow

SUPERVISORS = allow(MANAGERS)
AlertId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
Day = Annotated[date | None, QueryParameter(description="Site day YYYY-MM-DD (default: today)")]
CSV = "text/csv; charset=utf-8"


def _day(settings: Settings, day: date | None) -> date:
    chosen = day or site_today(settings)
    if not 2000 <= chosen.year <= 2999:
        raise ERR.DAY_OUT_OF_RANGE({"day": str(chosen)})
    return chosen


@query(get, "/api/v1/alerts", roles=SUPERVISORS, answer=list[AlertView], tags=["alerts"])
def alerts(
    conn: sqlite3.Connection,
    which: Annotated[Literal["open", "all"], QueryParameter(name="state")] = "open",
    limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 500,
) -> list[AlertView]:
    """Open alerts, gravest first (`state=all`: every alert, newest first)."""
    return msgspec.convert(service.list_alerts(conn, state=which, limit=limit), list[AlertView])


@command(
    post,
    "/api/v1/alerts/{alert_id:int}/ack",
    name="alert.ack",
    roles=SUPERVISORS,
    payload=AckRequest,
    answer=AlertView,
    tags=["alerts"],
)
def acknowledge(
    conn: sqlite3.Connection, ctx: CommandContext, alert_id: AlertId, data: AckRequest
) -> AlertView:
    """Acknowledge an alert with a note (once; it still clears when its condition ends)."""
    return service.acknowledge(conn, ctx, alert_id, data.note)


def conditions_now(
    conn: sqlite3.Connection, settings: NamedDependency[Settings]
) -> service.ConditionsNow:
    return service.conditions_now(conn, settings)


@command(
    post,
    "/api/v1/alerts/check",
    name="alerts.check",
    roles=SUPERVISORS,
    answer=AlertsChecked,
    tags=["alerts"],
    # The conditions are read before the write transaction: they never hold the writer.
    prepare=conditions_now,
)
def check_now(
    conn: sqlite3.Connection, ctx: CommandContext, prepared: service.ConditionsNow
) -> AlertsChecked:
    """Check every alert condition now (as the worker does): the ids raised and cleared."""
    return service.apply_conditions(conn, ctx, prepared)


@query(
    get,
    "/api/v1/alerts/safety-levels",
    roles=SUPERVISORS,
    answer=list[SafetyLevelView],
    tags=["alerts"],
)
def safety_levels(conn: sqlite3.Connection) -> list[SafetyLevelView]:
    """Safety stock per customer and SKU set by supervisors."""
    return service.list_safety_levels(conn)


@command(
    put,
    "/api/v1/alerts/safety-levels",
    name="alert.safety_levels",
    roles=SUPERVISORS,
    payload=SafetyLevels,
    answer=list[SafetyLevelView],
    tags=["alerts"],
)
def set_safety_levels(
    conn: sqlite3.Connection, ctx: CommandContext, data: SafetyLevels
) -> list[SafetyLevelView]:
    """Set safety stock levels (all or none); the next check raises or clears alerts."""
    return service.set_safety_levels(conn, ctx, data)


@query(get, "/api/v1/dashboard", roles=SUPERVISORS, answer=Dashboard, tags=["dashboard"])
def dashboard(
    conn: sqlite3.Connection, settings: NamedDependency[Settings], day: Day = None
) -> Dashboard:
    """The day's throughput per site hour and step, open work, holds, alerts, devices and
    the OMS link: everything the supervisor page shows, in one call."""
    chosen = _day(settings, day)
    return msgspec.convert(board.dashboard(conn, settings, chosen), Dashboard)


@query(
    get,
    "/api/v1/reports/throughput.csv",
    roles=SUPERVISORS,
    answer=Response[bytes],
    media_type="text/csv",
    tags=["dashboard"],
)
def throughput_csv(
    conn: sqlite3.Connection, settings: NamedDependency[Settings], day: Day = None
) -> Response[bytes]:
    """The day's throughput, one row per site hour and a column per step."""
    chosen = _day(settings, day)
    report = board.throughput(conn, settings, chosen)
    return Response(
        board.throughput_csv(report).encode(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="throughput-{chosen}.csv"'},
    )


@query(
    get,
    "/api/v1/reports/alerts.csv",
    roles=SUPERVISORS,
    answer=Response[bytes],
    media_type="text/csv",
    tags=["dashboard"],
)
def alerts_csv(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    which: Annotated[Literal["open", "all"], QueryParameter(name="state")] = "all",
    limit: Annotated[int, QueryParameter(ge=1, le=100_000)] = 10_000,
) -> Response[bytes]:
    """The alerts as CSV (default: every alert, newest first), times on the site's clock."""
    rows = service.list_alerts(conn, state=which, limit=limit)
    return Response(
        board.alerts_csv(rows, settings.site.timezone).encode(),
        media_type=CSV,
        headers={"Content-Disposition": 'attachment; filename="alerts.csv"'},
    )


route_handlers = [
    alerts,
    acknowledge,
    check_now,
    safety_levels,
    set_safety_levels,
    dashboard,
    throughput_csv,
    alerts_csv,
]
