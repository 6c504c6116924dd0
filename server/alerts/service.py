"""Alerts: conditions on the floor a supervisor should see before they cost money.

The worker's step (`check_alerts`) reads every condition at one `now`, then raises what
newly holds and clears what no longer does in one command, writing `alert.raised` and
`alert.cleared` for the OMS. An alert is one row per (kind, subject) while it is open;
when its condition comes back after a clear, it is a new alert.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from server import clock, system_writes
from server.alerts.schemas import (
    ALERT_KINDS,
    ALERT_MESSAGES,
    AlertCleared,
    AlertRaised,
    AlertsChecked,
    AlertView,
    SafetyLevels,
    SafetyLevelView,
    alert_message,
)
from server.commands import SYSTEM, CommandContext, append_event, run_command
from server.config import Settings
from server.db import Database
from server.error_codes import ERR
from server.errors import Unprocessable
from server.outbound.customs import HOLD_CODES, RELEASED_CODES
from server.outbound.states import ORDER_STATES
from server.stations.agent_link import AGENT_SILENT_SECONDS, agent_printers
from server.tls.service import served_certificate_status

PICKABLE = ("storage", "pick_face")
# Orders still on the floor, spelled out so the query reads orders (state, ...) for the
# open states only, not a year of shipped ones.
OPEN_STATES = ", ".join(f"'{s}'" for s in ORDER_STATES if s not in ("shipped", "cancelled"))
BEFORE_LOADING = ", ".join(
    f"'{s}'" for s in ORDER_STATES if s not in ("loaded", "shipped", "cancelled")
)


@dataclass(frozen=True)
class Finding:
    """One condition that holds now: its kind, what it is about, and what to say about it
    as a message code (ALERT_MESSAGES) with parameters, which the handheld translates."""

    kind: str
    subject: str
    code: str
    params: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in ALERT_MESSAGES:
            raise ValueError(f"alert message code {self.code} is not in ALERT_MESSAGES")

    @property
    def message(self) -> str:
        return alert_message(self.code, self.params)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _leading_code(text: str) -> str:
    """`PRINTER_DISABLED` of `PRINTER_DISABLED: the printer ...`, else ''."""
    head, sep, _ = text.partition(":")
    return head if sep and head.isupper() and head.replace("_", "").isalnum() else ""


def _site_today(settings: Settings, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(settings.site.timezone)).date()


# -- the conditions ----------------------------------------------------------------------


def find_conditions(conn: sqlite3.Connection, settings: Settings, now: datetime) -> list[Finding]:
    """Every alert condition that holds at `now`."""
    return [
        *stock_below_safety(conn, settings),
        *slow_moving_stock(conn, settings, now),
        *expiring_and_expired(conn, settings, now),
        *orders_at_risk(conn, settings, now),
        *customs_holds(conn),
        *customs_times_in_future(conn, settings, now),
        *failing_print_jobs(conn, settings, now),
        *sync_trouble(conn, settings, now),
        *devices_away(conn, settings, now),
        *unusual_activity(conn, settings, now),
        *certificate_expiring(settings, now),
    ]


def stock_below_safety(conn: sqlite3.Connection, settings: Settings) -> list[Finding]:
    """Stock in storage and pick faces under the SKU's level (its own, else the default)."""
    rows = conn.execute(
        "SELECT c.code AS customer, s.code AS sku, "
        "COALESCE(l.quantity, ?) AS level, "
        "COALESCE((SELECT SUM(b.quantity) FROM balances b JOIN locations loc "
        "  ON loc.id = b.location_id WHERE b.sku_id = s.id AND loc.type IN ('storage', "
        "  'pick_face')), 0) AS on_hand "
        "FROM skus s JOIN customers c ON c.id = s.customer_id "
        "LEFT JOIN safety_levels l ON l.sku_id = s.id AND l.customer_id = s.customer_id "
        "WHERE s.active = 1 AND COALESCE(l.quantity, ?) > 0",
        (settings.alerts.default_safety_level, settings.alerts.default_safety_level),
    ).fetchall()
    return [
        Finding(
            "STOCK_BELOW_SAFETY",
            f"{r['customer']}/{r['sku']}",
            "STOCK_BELOW_SAFETY",
            {"on_hand": r["on_hand"], "level": r["level"]},
            {"on_hand": r["on_hand"], "level": r["level"]},
        )
        for r in rows
        if r["on_hand"] < r["level"]
    ]


def slow_moving_stock(conn: sqlite3.Connection, settings: Settings, now: datetime) -> list[Finding]:
    days = settings.alerts.slow_moving_days
    if not days:
        return []
    since = iso(now - timedelta(days=days))
    # The newest movement per SKU is one look into movements (sku_id, at).
    rows = conn.execute(
        "SELECT c.code AS customer, s.code AS sku, t.on_hand, "
        "(SELECT MAX(m.at) FROM movements m WHERE m.sku_id = s.id) AS last_moved "
        "FROM (SELECT b.sku_id, SUM(b.quantity) AS on_hand FROM balances b JOIN locations l "
        "  ON l.id = b.location_id WHERE l.type IN ('storage', 'pick_face') GROUP BY b.sku_id) t "
        "JOIN skus s ON s.id = t.sku_id JOIN customers c ON c.id = s.customer_id"
    ).fetchall()
    return [
        Finding(
            "STOCK_SLOW_MOVING",
            f"{r['customer']}/{r['sku']}",
            "STOCK_SLOW_MOVING",
            {"on_hand": r["on_hand"], "last_moved_at": r["last_moved"]},
            {"on_hand": r["on_hand"], "last_moved_at": r["last_moved"]},
        )
        for r in rows
        if r["last_moved"] and r["last_moved"] < since
    ]


def expiring_and_expired(
    conn: sqlite3.Connection, settings: Settings, now: datetime
) -> list[Finding]:
    """Lots expiring within N days (anywhere in stock), and expired stock still pickable."""
    today = _site_today(settings, now)
    found: list[Finding] = []
    horizon = today + timedelta(days=settings.alerts.expiring_days)
    rows = conn.execute(
        "SELECT c.code AS customer, s.code AS sku, b.lot, b.expiry, l.code AS location, "
        "l.type, b.quantity FROM balances b JOIN skus s ON s.id = b.sku_id "
        "JOIN customers c ON c.id = b.customer_id JOIN locations l ON l.id = b.location_id "
        "WHERE b.expiry != '' AND b.expiry <= ? ORDER BY c.code, s.code, b.lot, b.expiry",
        (horizon.isoformat(),),
    ).fetchall()
    expiring: dict[str, int] = {}
    for r in rows:
        lot_subject = f"{r['customer']}/{r['sku']}/{r['lot']}/{r['expiry']}"
        if r["expiry"] < today.isoformat():
            if r["type"] in PICKABLE:
                found.append(
                    Finding(
                        "EXPIRED_IN_PICKABLE",
                        f"{r['location']}/{r['customer']}/{r['sku']}/{r['lot']}",
                        "EXPIRED_IN_PICKABLE",
                        {
                            "quantity": r["quantity"],
                            "expiry": r["expiry"],
                            "location": r["location"],
                        },
                        {"quantity": r["quantity"], "expiry": r["expiry"]},
                    )
                )
        elif settings.alerts.expiring_days:
            expiring[lot_subject] = expiring.get(lot_subject, 0) + r["quantity"]
    for subject, quantity in expiring.items():
        expiry = subject.rsplit("/", 1)[1]
        found.append(
            Finding(
                "LOT_EXPIRING",
                subject,
                "LOT_EXPIRING",
                {"quantity": quantity, "expiry": expiry},
                {"quantity": quantity, "expiry": expiry},
            )
        )
    return found


def orders_at_risk(conn: sqlite3.Connection, settings: Settings, now: datetime) -> list[Finding]:
    """Released orders not packed by cut-off − X, packed ones not loaded by cut-off − Y."""
    released = ", ".join(str(c) for c in RELEASED_CODES)
    rows = conn.execute(
        f"SELECT order_no, state, cutoff_at FROM orders INDEXED BY orders_state WHERE state IN ({BEFORE_LOADING}) "
        f"AND cutoff_at != '' AND customs_status IN ({released})"
    ).fetchall()
    found = []
    pack_by = timedelta(minutes=settings.alerts.pack_before_cutoff_minutes)
    load_by = timedelta(minutes=settings.alerts.load_before_cutoff_minutes)
    for r in rows:
        cutoff = datetime.fromisoformat(r["cutoff_at"])
        # Near while the cut-off is ahead; once it has gone by, the order is past it.
        when = "PAST" if now >= cutoff else "NEAR"
        if r["state"] == "packed":
            if now >= cutoff - load_by:
                found.append(
                    Finding(
                        "ORDER_NOT_LOADED_BY_CUTOFF",
                        r["order_no"],
                        f"ORDER_NOT_LOADED_{when}_CUTOFF",
                        {"cutoff_at": r["cutoff_at"]},
                        {"cutoff_at": r["cutoff_at"]},
                    )
                )
        elif now >= cutoff - pack_by:
            found.append(
                Finding(
                    "ORDER_NOT_PACKED_BY_CUTOFF",
                    r["order_no"],
                    f"ORDER_NOT_PACKED_{when}_CUTOFF",
                    {"cutoff_at": r["cutoff_at"], "state": r["state"]},
                    {"cutoff_at": r["cutoff_at"], "state": r["state"]},
                )
            )
    return found


def customs_holds(conn: sqlite3.Connection) -> list[Finding]:
    holds = ", ".join(str(c) for c in HOLD_CODES)
    rows = conn.execute(
        f"SELECT order_no, state, customs_status FROM orders INDEXED BY orders_state WHERE state IN ({OPEN_STATES}) "
        f"AND (customs_status IN ({holds}) OR customs_status < 0)"
    ).fetchall()
    return [
        Finding(
            "ORDER_CUSTOMS_HOLD",
            r["order_no"],
            "ORDER_CUSTOMS_HOLD",
            {"customs_status": r["customs_status"], "state": r["state"]},
            {"customs_status": r["customs_status"], "state": r["state"]},
        )
        for r in rows
    ]


def customs_times_in_future(
    conn: sqlite3.Connection, settings: Settings, now: datetime
) -> list[Finding]:
    """Customs replies refused in the activity window for a time ahead of our clock, per
    sender: a single reply refused on its own, or a batch that listed one."""
    window = settings.alerts.activity_window_minutes
    rows = conn.execute(
        "SELECT a.actor, COUNT(*) AS n, MAX(a.at) AS last_at, a.target "
        # a.target is the newest refusal's: SQLite takes bare columns from the MAX(at) row.
        "FROM audit a WHERE a.at >= ? AND a.at <= ? AND a.outcome = 'refused' "
        "AND (a.code = 'CUSTOMS_TIME_IN_FUTURE' OR (a.code = 'BATCH_REJECTED' AND EXISTS ("
        "  SELECT 1 FROM json_each(a.details, '$.refusal.problems') p "
        "  WHERE json_extract(p.value, '$.code') = 'CUSTOMS_TIME_IN_FUTURE'))) "
        "GROUP BY a.actor",
        (iso(now - timedelta(minutes=window)), iso(now)),
    ).fetchall()
    return [
        Finding(
            "CUSTOMS_TIME_IN_FUTURE",
            r["actor"],
            "CUSTOMS_TIME_IN_FUTURE" if r["target"] else "CUSTOMS_TIME_IN_FUTURE_BATCH",
            {
                "count": r["n"],
                "window_minutes": window,
                "target": r["target"] or "",
                "last_at": r["last_at"],
            },
            {"count": r["n"], "last_at": r["last_at"], "window_minutes": window},
        )
        for r in rows
    ]


def failing_print_jobs(
    conn: sqlite3.Connection, settings: Settings, now: datetime
) -> list[Finding]:
    """Per printer: jobs failed for good in the last day and never reprinted, or jobs
    still waiting after N tries."""
    # Two searches of print_jobs (status, created_at): never a year of printed labels.
    rows = conn.execute(
        "SELECT printer, SUM(failed) AS failed, SUM(retrying) AS retrying, "
        "MAX(last_error) AS last_error FROM ("
        "  SELECT printer, 1 AS failed, 0 AS retrying, last_error FROM print_jobs j "
        "  INDEXED BY print_jobs_status WHERE status = 'failed' AND created_at >= ? "
        "  AND NOT EXISTS (SELECT 1 FROM print_jobs c WHERE c.copy_of = j.id) "
        "  UNION ALL "
        "  SELECT printer, 0, 1, last_error FROM print_jobs INDEXED BY print_jobs_status "
        "  WHERE status IN ('queued', 'sending') AND attempts >= ?"
        ") GROUP BY printer",
        (iso(now - timedelta(days=1)), settings.alerts.print_attempts),
    ).fetchall()
    return [
        Finding(
            "PRINT_JOB_FAILING",
            r["printer"],
            "PRINT_JOB_FAILING",
            {
                "failed": r["failed"],
                "retrying": r["retrying"],
                # The driver's or the printer's own words; a job refused by us starts
                # with our error code (`PRINTER_DISABLED: ...`), which the page translates.
                "last_error": (r["last_error"] or "")[:200],
                "error_code": _leading_code(r["last_error"] or ""),
            },
            {"failed": r["failed"], "retrying": r["retrying"]},
        )
        for r in rows
    ]


def sync_trouble(conn: sqlite3.Connection, settings: Settings, now: datetime) -> list[Finding]:
    if not settings.oms.enabled:
        return []
    cursor = conn.execute(
        "SELECT delivered_seq, stopped_seq, stopped_error FROM sync_cursor LIMIT 1"
    ).fetchone()
    delivered = cursor["delivered_seq"] if cursor else 0
    if cursor is not None and cursor["stopped_seq"] is not None:
        return [
            Finding(
                "SYNC_STOPPED",
                "oms",
                "SYNC_STOPPED",
                {"seq": cursor["stopped_seq"], "error": (cursor["stopped_error"] or "")[:200]},
                {"seq": cursor["stopped_seq"]},
            )
        ]
    oldest = conn.execute(
        "SELECT seq, at FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (delivered,)
    ).fetchone()
    if oldest is None:
        return []
    lag = (now - datetime.fromisoformat(oldest["at"])).total_seconds()
    if lag < settings.alerts.sync_lag_seconds:
        return []
    return [
        Finding(
            "SYNC_LAG",
            "oms",
            "SYNC_LAG",
            {"seq": oldest["seq"], "lag_seconds": int(lag), "oldest_at": oldest["at"]},
            {"seq": oldest["seq"], "lag_seconds": int(lag)},
        )
    ]


def certificate_expiring(settings: Settings, now: datetime) -> list[Finding]:
    """The served HTTPS certificate within tls.expiry_alert_days of its end (or past it):
    once it ends, every handheld refuses the site."""
    status = served_certificate_status(settings, now)
    if status is None or status.days_left >= settings.tls.expiry_alert_days:
        return []
    expired = status.not_after <= now
    params = {"expires_at": iso(status.not_after), "days_left": max(status.days_left, 0)}
    return [
        Finding(
            "CERTIFICATE_EXPIRING",
            "tls",
            "CERTIFICATE_EXPIRED" if expired else "CERTIFICATE_EXPIRING",
            params,
            {"not_after": iso(status.not_after)},
        )
    ]


def devices_away(conn: sqlite3.Connection, settings: Settings, now: datetime) -> list[Finding]:
    """Printers not online for longer than the grace, silent station agents, and fixed
    scanners their agent reports unavailable."""
    grace = iso(now - timedelta(seconds=settings.alerts.device_grace_seconds))
    found = [
        Finding(
            "PRINTER_UNAVAILABLE",
            r["printer"],
            "PRINTER_UNAVAILABLE",
            {"state": r["state"], "since": r["since"], "detail": (r["detail"] or "")[:200]},
            {"state": r["state"], "since": r["since"]},
        )
        for r in conn.execute(
            "SELECT printer, state, detail, since FROM printer_status "
            "WHERE state NOT IN ('online', 'unknown') AND since <= ? ORDER BY printer",
            (grace,),
        )
    ]
    seen = {r["station"]: r for r in conn.execute("SELECT * FROM station_state")}
    silent_since = iso(now - timedelta(seconds=AGENT_SILENT_SECONDS))
    for station in settings.stations:
        if not station.scanners and not agent_printers(settings, station):
            continue  # no agent needed
        row = seen.get(station.name)
        at = row["agent_seen_at"] if row else None
        if row is None or at is None or at < silent_since:
            found.append(
                Finding(
                    "STATION_AGENT_OFFLINE",
                    station.name,
                    "STATION_AGENT_OFFLINE" if at else "STATION_AGENT_NEVER_SEEN",
                    {"seen_at": at} if at else {},
                    {"seen_at": at},
                )
            )
            continue
        devices = msgspec.json.decode(row["devices"] or "{}")
        for name, report in sorted(devices.get("scanners", {}).items()):
            if report.get("state") == "unavailable":
                found.append(
                    Finding(
                        "SCANNER_UNAVAILABLE",
                        f"{station.name}/{name}",
                        "SCANNER_UNAVAILABLE",
                        {"station": station.name, "detail": str(report.get("detail", ""))[:200]},
                        {"station": station.name},
                    )
                )
    return found


def unusual_activity(conn: sqlite3.Connection, settings: Settings, now: datetime) -> list[Finding]:
    window = settings.alerts.activity_window_minutes
    since = iso(now - timedelta(minutes=window))
    found = [
        Finding(
            "UNUSUAL_REFUSALS",
            r["actor"],
            "UNUSUAL_REFUSALS",
            {
                "count": r["n"],
                "window_minutes": window,
                "action": r["action"],
                "error_code": r["code"] or "",
            },
            {"count": r["n"], "window_minutes": window},
        )
        for r in conn.execute(
            "SELECT actor, COUNT(*) AS n, MAX(action) AS action, MAX(code) AS code FROM audit "
            "WHERE at >= ? AND at <= ? AND outcome IN ('refused', 'denied') "
            "AND actor LIKE 'user:%' GROUP BY actor HAVING COUNT(*) >= ?",
            (since, iso(now), settings.alerts.refusals_threshold),
        )
    ]
    found += [
        Finding(
            "UNUSUAL_ADJUSTMENTS",
            f"user:{r['user_code']}",
            "UNUSUAL_ADJUSTMENTS",
            {"count": r["n"], "units": r["units"], "window_minutes": window},
            {"count": r["n"], "units": r["units"], "window_minutes": window},
        )
        for r in conn.execute(
            "SELECT user_code, COUNT(*) AS n, SUM(quantity) AS units FROM movements "
            "WHERE kind = 'adjust' AND at >= ? AND at <= ? GROUP BY user_code "
            "HAVING COUNT(*) >= ?",
            (since, iso(now), settings.alerts.adjustments_threshold),
        )
    ]
    found += [
        Finding(
            "PARCEL_WEIGHT_UNWARNED",
            r["actor"],
            "PARCEL_WEIGHT_UNWARNED",
            {"count": r["n"], "window_minutes": window, "last_order": r["target"][6:]},
            {"count": r["n"], "window_minutes": window, "last_order": r["target"][6:]},
        )
        for r in conn.execute(
            "SELECT actor, COUNT(*) AS n, MAX(target) AS target FROM audit "
            "WHERE at >= ? AND at <= ? AND action = 'pack.weight_confirmed' "
            "AND json_extract(details, '$.warned') = 0 GROUP BY actor",
            (since, iso(now)),
        )
    ]
    return found


# -- raising and clearing ----------------------------------------------------------------


def apply_findings(
    conn: sqlite3.Connection, ctx: CommandContext, findings: list[Finding]
) -> AlertsChecked:
    """Raise what is new, clear what is gone, note the rest as seen again."""
    wanted = {(f.kind, f.subject): f for f in findings}
    open_rows = {
        (r["kind"], r["subject"]): r
        for r in conn.execute(
            "SELECT id, kind, subject, first_seen_at FROM alerts WHERE cleared_at IS NULL"
        )
    }
    raised, cleared = [], []
    for key, row in open_rows.items():
        if key in wanted:
            _seen_again(conn, row["id"], wanted[key], ctx.at)
            continue
        conn.execute("UPDATE alerts SET cleared_at = ? WHERE id = ?", (ctx.at, row["id"]))
        append_event(
            conn,
            ctx,
            "alert.cleared",
            AlertCleared(
                id=row["id"],
                kind=row["kind"],
                subject=row["subject"],
                first_seen_at=row["first_seen_at"],
                cleared_at=ctx.at,
            ),
        )
        cleared.append(row["id"])
    for key, f in wanted.items():
        if key in open_rows:
            continue
        severity = ALERT_KINDS[f.kind][0]
        cur = conn.execute(
            "INSERT INTO alerts (kind, subject, severity, message, details, code, params, "
            "first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f.kind,
                f.subject,
                severity,
                f.message,
                msgspec.json.encode(f.details).decode(),
                f.code,
                msgspec.json.encode(f.params).decode(),
                ctx.at,
                ctx.at,
            ),
        )
        alert_id = int(cur.lastrowid or 0)
        append_event(
            conn,
            ctx,
            "alert.raised",
            AlertRaised(
                id=alert_id,
                kind=f.kind,
                severity=severity,
                subject=f.subject,
                message=f.message,
                first_seen_at=ctx.at,
                code=f.code,
                params=f.params,
            ),
        )
        raised.append(alert_id)
    return AlertsChecked(raised=raised, cleared=cleared)


def note_seen_again(conn: sqlite3.Connection, seen: list[tuple[int, Finding]], at: str) -> None:
    """Open alerts seen again say what holds now: a cut-off that was near is now past,
    the stock count moved. Their kinds and subjects, and so their events, stay the same."""
    for alert_id, f in seen:
        _seen_again(conn, alert_id, f, at)


def _seen_again(conn: sqlite3.Connection, alert_id: int, f: Finding, at: str) -> None:
    conn.execute(
        "UPDATE alerts SET last_seen_at = ?, message = ?, details = ?, code = ?, params = ? "
        "WHERE id = ?",
        (
            at,
            f.message,
            msgspec.json.encode(f.details).decode(),
            f.code,
            msgspec.json.encode(f.params).decode(),
            alert_id,
        ),
    )


def check_alerts(
    db: Database,
    settings: Settings,
    now: datetime | None = None,
) -> dict[str, list[int]]:
    """The alert worker's step: read every condition, then raise and clear in one command.
    Nothing changed: no command, audit line or event, only `last_seen_at` moves. (A
    supervisor's "check now" is a declared command: see `conditions_now`.)"""
    now = now or clock.now()
    findings = db.read(lambda conn: find_conditions(conn, settings, now))
    wanted = {(f.kind, f.subject): f for f in findings}
    open_now = db.read(
        lambda conn: {
            (r[0], r[1]): r[2]
            for r in conn.execute("SELECT kind, subject, id FROM alerts WHERE cleared_at IS NULL")
        }
    )
    at = iso(now)
    if wanted.keys() == open_now.keys():
        seen = [(alert_id, wanted[key]) for key, alert_id in open_now.items()]
        system_writes.note_alerts_seen_again(db, seen, at)
        return {"raised": [], "cleared": []}

    def rules(conn: sqlite3.Connection, ctx: CommandContext) -> AlertsChecked:
        ctx.at = at
        return apply_findings(conn, ctx, findings)

    result = run_command(db, SYSTEM, "alerts.check", f"alerts:{at}", {"at": at}, rules)
    value: dict[str, list[int]] = result.value
    return value


@dataclass(frozen=True)
class ConditionsNow:
    """Every alert condition as read at `at`, before the check's write transaction."""

    at: str
    findings: list[Finding]


def conditions_now(conn: sqlite3.Connection, settings: Settings) -> ConditionsNow:
    """Read every condition on a read-only connection: the reads never hold the writer."""
    now = clock.now()
    return ConditionsNow(at=iso(now), findings=find_conditions(conn, settings, now))


def apply_conditions(
    conn: sqlite3.Connection, ctx: CommandContext, read: ConditionsNow
) -> AlertsChecked:
    """A supervisor's "check now": raise and clear what `conditions_now` found, at its time."""
    ctx.at = read.at
    return apply_findings(conn, ctx, read.findings)


# -- what supervisors ask for ------------------------------------------------------------


def _alert_view(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "kind": r["kind"],
        "severity": r["severity"],
        "subject": r["subject"],
        "message": r["message"],
        # What the handheld says instead of `message`, in the reader's language; '' for an
        # alert stored before alerts had codes (shown by its message).
        "code": r["code"],
        "params": msgspec.json.decode(r["params"]),
        "details": msgspec.json.decode(r["details"]),
        "first_seen_at": r["first_seen_at"],
        "last_seen_at": r["last_seen_at"],
        "cleared_at": r["cleared_at"],
        "acked_by": r["acked_by"],
        "acked_at": r["acked_at"],
        "ack_note": r["ack_note"],
    }


SEVERITY_ORDER = "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END"


def list_alerts(
    conn: sqlite3.Connection, *, state: str = "open", limit: int = 500
) -> list[dict[str, Any]]:
    """Open alerts gravest first (state `open`), or every alert newest first (`all`)."""
    if state == "open":
        sql = (
            f"SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY {SEVERITY_ORDER}, id DESC "
            "LIMIT ?"
        )
    else:
        sql = "SELECT * FROM alerts ORDER BY id DESC LIMIT ?"
    return [_alert_view(r) for r in conn.execute(sql, (limit,))]


def acknowledge(
    conn: sqlite3.Connection, ctx: CommandContext, alert_id: int, note: str
) -> AlertView:
    ctx.audit_target = f"alert:{alert_id}"
    row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    if row is None:
        raise ERR.ALERT_NOT_FOUND(alert_id=alert_id)
    if row["acked_at"] is not None:
        raise ERR.ALERT_ALREADY_ACKED(
            {"acked_by": row["acked_by"], "acked_at": row["acked_at"]}, alert_id=alert_id
        )
    conn.execute(
        "UPDATE alerts SET acked_by = ?, acked_at = ?, ack_note = ? WHERE id = ?",
        (ctx.actor.code, ctx.at, note.strip(), alert_id),
    )
    row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    return msgspec.convert(_alert_view(row), AlertView)


def set_safety_levels(
    conn: sqlite3.Connection, ctx: CommandContext, body: SafetyLevels
) -> list[SafetyLevelView]:
    """Set every level or none: an unknown customer or SKU is listed with the others."""
    problems, resolved = [], []
    for n, level in enumerate(body.levels):
        row = conn.execute(
            "SELECT s.id, s.customer_id FROM skus s JOIN customers c ON c.id = s.customer_id "
            "WHERE c.code = ? AND s.code = ?",
            (level.customer, level.sku),
        ).fetchone()
        if row is None:
            problems.append(
                {"field": f"levels[{n}]", "message": f"no SKU {level.sku} of {level.customer}"}
            )
        else:
            resolved.append((row["customer_id"], row["id"], level.quantity))
    if problems:
        raise ERR.SKU_NOT_FOUND.answered_as(
            Unprocessable,
            {"problems": problems},
            sku=", ".join(p["message"].removeprefix("no SKU ") for p in problems),
        )
    ctx.audit_target = f"safety_levels:{len(resolved)}"
    conn.executemany(
        "INSERT INTO safety_levels (customer_id, sku_id, quantity, set_by, set_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, sku_id) DO UPDATE SET "
        "quantity = excluded.quantity, set_by = excluded.set_by, set_at = excluded.set_at",
        [(c, s, q, ctx.actor.code, ctx.at) for c, s, q in resolved],
    )
    return list_safety_levels(conn)


def list_safety_levels(conn: sqlite3.Connection) -> list[SafetyLevelView]:
    return [
        SafetyLevelView(**dict(r))
        for r in conn.execute(
            "SELECT c.code AS customer, s.code AS sku, l.quantity, l.set_by, l.set_at "
            "FROM safety_levels l JOIN customers c ON c.id = l.customer_id "
            "JOIN skus s ON s.id = l.sku_id ORDER BY c.code, s.code"
        )
    ]
