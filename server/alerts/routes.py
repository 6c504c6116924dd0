"""Alerts, safety stock levels, the supervisor dashboard and its CSV reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.alerts import dashboard as board
from server.alerts import service
from server.alerts.schemas import AckRequest, SafetyLevels
from server.commands import Actor, check_idempotency_key, run_command
from server.config import Settings, site_today
from server.db import Database
from server.error_codes import ERR
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

SUPERVISORS = allow(MANAGERS)
AlertId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]
Day = Annotated[date | None, QueryParameter(description="Site day YYYY-MM-DD (default: today)")]
CSV = "text/csv; charset=utf-8"


def _day(settings: Settings, day: date | None) -> date:
    chosen = day or site_today(settings)
    if not 2000 <= chosen.year <= 2999:
        raise ERR.DAY_OUT_OF_RANGE({"day": str(chosen)})
    return chosen


@get("/api/v1/alerts", opt=SUPERVISORS, sync_to_thread=True, tags=["alerts"])
def alerts(
    db: NamedDependency[Database],
    which: Annotated[Literal["open", "all"], QueryParameter(name="state")] = "open",
    limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """Open alerts, gravest first (`state=all`: every alert, newest first)."""
    return db.read(lambda conn: service.list_alerts(conn, state=which, limit=limit))


@post(
    "/api/v1/alerts/{alert_id:int}/ack",
    opt=SUPERVISORS,
    sync_to_thread=True,
    status_code=200,
    tags=["alerts"],
)
def acknowledge(
    alert_id: AlertId,
    data: JSONBody[AckRequest],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Acknowledge an alert with a note (once; it still clears when its condition ends)."""
    return run_command(
        db,
        actor,
        "alert.ack",
        idempotency_key,
        {"alert_id": alert_id, "note": data.note},
        lambda conn, ctx: service.acknowledge(conn, ctx, alert_id, data.note),
    ).value


@post(
    "/api/v1/alerts/check",
    opt=SUPERVISORS,
    sync_to_thread=True,
    status_code=200,
    tags=["alerts"],
)
def check_now(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> dict[str, list[int]]:
    """Check every alert condition now (as the worker does): the ids raised and cleared."""
    key = check_idempotency_key(idempotency_key)
    return service.check_alerts(db, settings, actor=actor, key=key)


@get("/api/v1/alerts/safety-levels", opt=SUPERVISORS, sync_to_thread=True, tags=["alerts"])
def safety_levels(db: NamedDependency[Database]) -> list[dict[str, Any]]:
    """Safety stock per customer and SKU set by supervisors."""
    return db.read(service.list_safety_levels)


@put("/api/v1/alerts/safety-levels", opt=SUPERVISORS, sync_to_thread=True, tags=["alerts"])
def set_safety_levels(
    data: JSONBody[SafetyLevels],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Set safety stock levels (all or none); the next check raises or clears alerts."""
    return run_command(
        db,
        actor,
        "alert.safety_levels",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: service.set_safety_levels(conn, ctx, data),
    ).value


@get("/api/v1/dashboard", opt=SUPERVISORS, sync_to_thread=True, tags=["dashboard"])
def dashboard(
    db: NamedDependency[Database], settings: NamedDependency[Settings], day: Day = None
) -> dict[str, Any]:
    """The day's throughput per site hour and step, open work, holds, alerts, devices and
    the OMS link: everything the supervisor page shows, in one call."""
    chosen = _day(settings, day)
    return db.read(lambda conn: board.dashboard(conn, settings, chosen))


@get(
    "/api/v1/reports/throughput.csv",
    opt=SUPERVISORS,
    sync_to_thread=True,
    media_type="text/csv",
    tags=["dashboard"],
)
def throughput_csv(
    db: NamedDependency[Database], settings: NamedDependency[Settings], day: Day = None
) -> Response[bytes]:
    """The day's throughput, one row per site hour and a column per step."""
    chosen = _day(settings, day)
    report = db.read(lambda conn: board.throughput(conn, settings, chosen))
    return Response(
        board.throughput_csv(report).encode(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="throughput-{chosen}.csv"'},
    )


@get(
    "/api/v1/reports/alerts.csv",
    opt=SUPERVISORS,
    sync_to_thread=True,
    media_type="text/csv",
    tags=["dashboard"],
)
def alerts_csv(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    which: Annotated[Literal["open", "all"], QueryParameter(name="state")] = "all",
    limit: Annotated[int, QueryParameter(ge=1, le=100_000)] = 10_000,
) -> Response[bytes]:
    """The alerts as CSV (default: every alert, newest first), times on the site's clock."""
    rows = db.read(lambda conn: service.list_alerts(conn, state=which, limit=limit))
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
