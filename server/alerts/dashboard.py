"""The supervisor's dashboard: the day's flow per hour, open work, holds, alerts, devices
and the OMS link, in one answer computed with SQL aggregates.

Hours are the site's: a day is the site calendar's day (`site.timezone`), and each hour
bucket is counted from the day's first instant in UTC, so a 23- or 25-hour day keeps
its real hours.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server import clock
from server.alerts.service import list_alerts
from server.config import Settings
from server.outbound.customs import HOLD_CODES
from server.outbound.states import ORDER_STATES
from server.stations.agent_link import agents_health
from server.sync.outbox import sync_status

STEPS = ("received", "put_away", "picked", "packed", "loaded", "shipped")
UNITS = {
    "received": "units",
    "put_away": "units",
    "picked": "units",
    "packed": "units",
    "loaded": "parcels",
    "shipped": "units",
}
MOVEMENT_STEPS = {
    "receive": "received",
    "putaway": "put_away",
    "pick": "picked",
    "pack": "packed",
    "ship": "shipped",
}
MS_PER_HOUR = 3_600_000
# Orders still on the floor, spelled out: `state IN (...)` reads the open states' part of
# orders (state, ...), where `NOT IN ('shipped', 'cancelled')` would read a year of them.
# The queries name the index: after ANALYZE on a site where nearly every order shipped,
# `state` looks unselective and the planner would read the whole table.
OPEN_STATES = ", ".join(f"'{s}'" for s in ORDER_STATES if s not in ("shipped", "cancelled"))


def day_bounds(settings: Settings, day: date) -> tuple[datetime, datetime]:
    """The site day's first instant and the next day's, in UTC."""
    zone = ZoneInfo(settings.site.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _bucket_sql(column: str) -> str:
    # Whole milliseconds since the day's start, so 10:00:00.000 is hour 10, never 9.
    return f"CAST((julianday({column}) - julianday(:start)) * 86400000 + 0.5 AS INTEGER) / {MS_PER_HOUR}"


def throughput(conn: sqlite3.Connection, settings: Settings, day: date) -> dict[str, Any]:
    """Units (parcels for loading) per step and site hour of `day`."""
    start, end = day_bounds(settings, day)
    hours = int((end - start).total_seconds() // 3600)
    zone = ZoneInfo(settings.site.timezone)
    labels = [(start + timedelta(hours=h)).astimezone(zone).strftime("%H:00") for h in range(hours)]
    counts = {step: [0] * hours for step in STEPS}
    bounds = {"start": _iso(start), "end": _iso(end)}
    kinds = ", ".join(f"'{k}'" for k in MOVEMENT_STEPS)
    for row in conn.execute(
        f"SELECT kind, {_bucket_sql('at')} AS hour, SUM(quantity) AS n FROM movements "
        f"WHERE kind IN ({kinds}) AND at >= :start AND at < :end GROUP BY kind, hour",
        bounds,
    ):
        if 0 <= row["hour"] < hours:
            counts[MOVEMENT_STEPS[row["kind"]]][row["hour"]] += row["n"]
    for row in conn.execute(
        f"SELECT {_bucket_sql('loaded_at')} AS hour, COUNT(*) AS n FROM loading_list_parcels "
        "WHERE loaded_at >= :start AND loaded_at < :end AND removed_at IS NULL GROUP BY hour",
        bounds,
    ):
        if 0 <= row["hour"] < hours:
            counts["loaded"][row["hour"]] += row["n"]
    return {
        "day": day.isoformat(),
        "timezone": settings.site.timezone,
        "hours": labels,
        "steps": [
            {"step": s, "unit": UNITS[s], "per_hour": counts[s], "total": sum(counts[s])}
            for s in STEPS
        ],
    }


def throughput_csv(report: dict[str, Any]) -> str:
    """One row per site hour, one column per step: the same figures as the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["day", "hour", *STEPS])
    steps = {s["step"]: s["per_hour"] for s in report["steps"]}
    for n, label in enumerate(report["hours"]):
        writer.writerow([report["day"], label, *(steps[s][n] for s in STEPS)])
    writer.writerow([report["day"], "total", *(sum(steps[s]) for s in STEPS)])
    return out.getvalue()


ALERT_COLUMNS = (
    "id",
    "kind",
    "severity",
    "subject",
    "message",
    "first_seen_at",
    "last_seen_at",
    "cleared_at",
    "acked_by",
    "acked_at",
    "ack_note",
    "code",  # the message code, last: columns read by position keep their place
)


ALERT_TIMES = frozenset({"first_seen_at", "last_seen_at", "cleared_at", "acked_at"})


def alerts_csv(alerts: list[dict[str, Any]], timezone: str = "UTC") -> str:
    """The alerts as CSV, a column per field; text that a spreadsheet would run as a
    formula (a note, a SKU code from the OMS) is quoted with a leading apostrophe. Times
    are on the site's clock (`timezone`), with their offset: the same instants as stored."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ALERT_COLUMNS)
    for alert in alerts:
        writer.writerow(
            [
                _site_time(alert[c], zone) if c in ALERT_TIMES else _cell(alert[c])
                for c in ALERT_COLUMNS
            ]
        )
    return out.getvalue()


def _site_time(value: str | None, zone: ZoneInfo) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).astimezone(zone).isoformat(timespec="seconds")
    except ValueError:
        return str(_cell(value))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


def open_work(conn: sqlite3.Connection) -> dict[str, int]:
    """What waits for each step now."""
    plans = conn.execute("SELECT COUNT(*) FROM delivery_plans WHERE status != 'closed'").fetchone()[
        0
    ]
    to_put_away = conn.execute(
        "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b JOIN locations l "
        "ON l.id = b.location_id WHERE l.type IN ('dock', 'staging')"
    ).fetchone()[0]
    by_state = dict(
        conn.execute(
            f"SELECT state, COUNT(*) FROM orders INDEXED BY orders_state WHERE state IN ({OPEN_STATES}) GROUP BY state"
        ).fetchall()
    )
    tasks = conn.execute("SELECT COUNT(*) FROM order_tasks WHERE status = 'open'").fetchone()[0]
    adjustments = conn.execute(
        "SELECT COUNT(*) FROM adjustment_proposals WHERE status = 'pending'"
    ).fetchone()[0]
    return {
        "plans_to_receive": plans,
        "units_to_put_away": to_put_away,
        "orders_waiting": by_state.get("new", 0) + by_state.get("backorder", 0),
        "orders_to_pick": sum(by_state.get(s, 0) for s in ("allocated", "waved", "picking")),
        "orders_short": by_state.get("short", 0),
        "orders_to_pack": by_state.get("picked", 0),
        "orders_to_load": by_state.get("packed", 0),
        "orders_loaded": by_state.get("loaded", 0),
        "open_floor_tasks": tasks,
        "adjustments_to_approve": adjustments,
    }


def holds_and_exceptions(conn: sqlite3.Connection) -> dict[str, Any]:
    holds = ", ".join(str(c) for c in HOLD_CODES)
    held = [
        dict(r)
        for r in conn.execute(
            "SELECT order_no, waybill_no, state, customs_status, customs_at FROM orders "
            "INDEXED BY orders_state "
            f"WHERE state IN ({OPEN_STATES}) AND (customs_status IN ({holds}) "
            "OR customs_status < 0) ORDER BY customs_at DESC LIMIT 50"
        )
    ]
    held_count = conn.execute(
        f"SELECT COUNT(*) FROM orders INDEXED BY orders_state WHERE state IN ({OPEN_STATES}) "
        f"AND (customs_status IN ({holds}) OR customs_status < 0)"
    ).fetchone()[0]
    shortages = conn.execute(
        "SELECT COUNT(*) FROM pick_shortages WHERE resolved_at IS NULL"
    ).fetchone()[0]
    failed_prints = conn.execute(
        "SELECT COUNT(*) FROM print_jobs INDEXED BY print_jobs_status WHERE status = 'failed'"
    ).fetchone()[0]
    return {
        "customs_holds": held_count,
        "held_orders": held,
        "open_pick_shortages": shortages,
        "failed_print_jobs": failed_prints,
    }


def printers(conn: sqlite3.Connection, settings: Settings) -> list[dict[str, Any]]:
    """Each configured printer's state and its waiting and failed jobs, read through
    print_jobs (status, ...) so a year of printed labels is not counted over."""
    states = {r["printer"]: r for r in conn.execute("SELECT * FROM printer_status")}
    counts: dict[tuple[str, str], int] = {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            "SELECT printer, status, COUNT(*) FROM print_jobs INDEXED BY print_jobs_status "
            "WHERE status IN ('queued', 'sending', 'failed') GROUP BY printer, status"
        )
    }
    out = []
    for p in settings.printers:
        row = states.get(p.name)
        out.append(
            {
                "name": p.name,
                "state": row["state"] if row else ("unknown" if p.enabled else "disabled"),
                "detail": row["detail"] if row else "",
                "since": row["since"] if row else "",
                "queued": counts.get((p.name, "queued"), 0) + counts.get((p.name, "sending"), 0),
                "failed": counts.get((p.name, "failed"), 0),
            }
        )
    return out


def dashboard(conn: sqlite3.Connection, settings: Settings, day: date) -> dict[str, Any]:
    """Everything the supervisor page shows, in one read."""
    return {
        # The page shows times in the site's zone, wherever the browser thinks it is.
        "site": {
            "code": settings.site.code,
            "name": settings.site.name,
            "timezone": settings.site.timezone,
        },
        "generated_at": clock.stamp(),
        "throughput": throughput(conn, settings, day),
        "open_work": open_work(conn),
        "holds": holds_and_exceptions(conn),
        "alerts": list_alerts(conn, state="open", limit=200),
        "devices": {
            "printers": printers(conn, settings),
            "stations": agents_health(conn, settings),
        },
        "sync": sync_status(conn, settings),
    }
