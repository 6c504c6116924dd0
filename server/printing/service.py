"""The durable print queue: jobs in SQLite, sent in order per printer, done only once the
printer took the bytes, retried with backoff while it is away; reprints and test prints.

A job's life: queued → sending → done, or back to queued (with a later try) while the
printer is unavailable, or failed when it can never print (unknown or disabled printer,
a label that cannot be drawn). A server stopped mid-send finds the job `sending` at the
next start and sends it again: a crash at that moment may print a label twice, never
lose one.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from server import clock
from server.barcodes import normalise
from server.commands import CommandContext
from server.config import PrinterSettings, Settings
from server.error_codes import ERR
from server.printing.jobs import queue_label
from server.printing.schemas import PrinterView, PrintJob, ReprintQueued, TestPrintQueued

SAMPLE_LABEL: dict[str, Any] = {
    "courier": "TEST",
    "product_type": "测试打印",
    "date": "",
    "waybill_no": "TEST-0000000001",
    "sort_code": "000-000-00 000",
    "consolidation_point": "测试集包地",
    "qr": "TEST|TEST-0000000001",
    "recipient": {
        "name": "测*人",
        "phone": "138****0000",
        "region": "测试省",
        "address": "测试**地址",
    },
    "sender": {"name": "bondfloor", "phone": "0000", "region": "", "address": "测试仓"},
    "order_no": "TEST",
    "weight_g": 1000,
    "parcel_count": 1,
    "remarks": "测试打印 test print",
    "checked_mark": "已验视",
}


def backoff_seconds(attempts: int, settings: Settings) -> float:
    """1, 2, 4, ... seconds up to the configured longest wait."""
    low, high = settings.printing.retry_min_seconds, settings.printing.retry_max_seconds
    return float(min(high, low * 2 ** max(0, attempts - 1)))


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


# -- the queue, as the dispatcher drives it --------------------------------------------


def requeue_interrupted(conn: sqlite3.Connection) -> int:
    """At start: jobs caught mid-send go again (the printer may not have them)."""
    return conn.execute(
        "UPDATE print_jobs SET status = 'queued', next_attempt_at = '' WHERE status = 'sending'"
    ).rowcount


def fail_unprintable(conn: sqlite3.Connection, settings: Settings, at: str) -> int:
    """Jobs for a printer that is not configured or is disabled fail where people see it."""
    enabled = [p.name for p in settings.printers if p.enabled]
    disabled = [p.name for p in settings.printers if not p.enabled]
    failed = 0
    if disabled:
        marks = ",".join("?" * len(disabled))
        failed += conn.execute(
            "UPDATE print_jobs SET status = 'failed', last_error = 'PRINTER_DISABLED: the printer "
            f"is disabled in the configuration', done_at = ? WHERE status = 'queued' AND printer IN ({marks})",
            (at, *disabled),
        ).rowcount
    marks = ",".join("?" * len(enabled + disabled)) or "''"
    failed += conn.execute(
        "UPDATE print_jobs SET status = 'failed', last_error = 'PRINTER_UNKNOWN: no such printer "
        f"in the configuration', done_at = ? WHERE status = 'queued' AND printer NOT IN ({marks})",
        (at, *enabled, *disabled),
    ).rowcount
    return failed


def claim_next_job(conn: sqlite3.Connection, printer: str, now: str) -> dict[str, Any] | None:
    """The printer's oldest queued job, if its time has come; jobs print in order."""
    row = conn.execute(
        "SELECT id, kind, payload, attempts, next_attempt_at, copy_of FROM print_jobs "
        "WHERE printer = ? AND status IN ('queued', 'sending') ORDER BY id LIMIT 1",
        (printer,),
    ).fetchone()
    if row is None or row["next_attempt_at"] > now:
        return None  # the head of the line waits: later labels never overtake it
    conn.execute(
        "UPDATE print_jobs SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
        (row["id"],),
    )
    return {
        **dict(row),
        "payload": msgspec.json.decode(row["payload"]),
        "attempts": row["attempts"] + 1,
    }


def mark_done(conn: sqlite3.Connection, job_id: int, at: str) -> None:
    conn.execute(
        "UPDATE print_jobs SET status = 'done', done_at = ?, last_error = '' WHERE id = ? "
        "AND status = 'sending'",
        (at, job_id),
    )


def mark_retry(
    conn: sqlite3.Connection, job_id: int, error: str, attempts: int, settings: Settings
) -> str:
    wait = backoff_seconds(attempts, settings)
    next_at = utc(clock.now() + timedelta(seconds=wait))
    conn.execute(
        "UPDATE print_jobs SET status = 'queued', last_error = ?, next_attempt_at = ? "
        "WHERE id = ? AND status = 'sending'",
        (error, next_at, job_id),
    )
    return next_at


def release_retries(conn: sqlite3.Connection, printer: str) -> int:
    """The printer is back: its queued jobs go now, not when their backoff ends."""
    return conn.execute(
        "UPDATE print_jobs SET next_attempt_at = '' WHERE printer = ? AND status = 'queued' "
        "AND next_attempt_at != ''",
        (printer,),
    ).rowcount


def mark_failed(conn: sqlite3.Connection, job_id: int, error: str, at: str) -> None:
    conn.execute(
        "UPDATE print_jobs SET status = 'failed', last_error = ?, done_at = ? WHERE id = ?",
        (error, at, job_id),
    )


def set_printer_state(
    conn: sqlite3.Connection, printer: str, state: str, detail: str, at: str
) -> bool:
    """Record what the printer said; True when its state changed (log it once)."""
    row = conn.execute("SELECT state FROM printer_status WHERE printer = ?", (printer,)).fetchone()
    changed = row is None or row["state"] != state
    conn.execute(
        "INSERT INTO printer_status (printer, state, detail, since, checked_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (printer) DO UPDATE SET state = excluded.state, "
        "detail = excluded.detail, checked_at = excluded.checked_at, "
        "since = CASE WHEN printer_status.state = excluded.state THEN printer_status.since "
        "ELSE excluded.since END",
        (printer, state, detail, at, at),
    )
    return changed


# -- what people ask for -----------------------------------------------------------------


def printer_settings(settings: Settings, name: str) -> PrinterSettings:
    for printer in settings.printers:
        if printer.name == name:
            return printer
    raise ERR.PRINTER_UNKNOWN({"printer": name, "known": [p.name for p in settings.printers]})


def list_printers(conn: sqlite3.Connection, settings: Settings) -> list[PrinterView]:
    """Every configured printer with its state and its queue."""
    states = {r["printer"]: dict(r) for r in conn.execute("SELECT * FROM printer_status")}
    counts: dict[tuple[str, str], int] = {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            "SELECT printer, status, COUNT(*) FROM print_jobs "
            "WHERE status IN ('queued', 'sending', 'failed') GROUP BY printer, status"
        )
    }
    out = []
    for p in settings.printers:
        state = states.get(p.name, {})
        out.append(
            PrinterView(
                name=p.name,
                kind=p.kind,
                via_station=p.via_station,
                enabled=p.enabled,
                label_mm=[p.label_width_mm, p.label_height_mm],
                dpi=p.dpi,
                state=state.get("state", "unknown" if p.enabled else "disabled"),
                detail=state.get("detail", ""),
                since=state.get("since", ""),
                queued=counts.get((p.name, "queued"), 0) + counts.get((p.name, "sending"), 0),
                failed=counts.get((p.name, "failed"), 0),
            )
        )
    return out


def list_jobs(
    conn: sqlite3.Connection,
    *,
    printer: str | None,
    status: str | None,
    limit: int,
    job_id: int | None = None,
) -> list[PrintJob]:
    rows = conn.execute(
        "SELECT j.id, j.printer, j.kind, j.status, j.attempts, j.last_error, j.next_attempt_at, "
        "j.copy_of, j.reason, j.created_by, j.created_at, j.done_at, j.payload, p.waybill_no, "
        "o.order_no FROM print_jobs j LEFT JOIN parcels p ON p.id = j.parcel_id "
        "LEFT JOIN orders o ON o.id = p.order_id "
        "WHERE (? IS NULL OR j.printer = ?) AND (? IS NULL OR j.status = ?) "
        "AND (? IS NULL OR j.id = ?) ORDER BY j.id DESC LIMIT ?",
        (printer, printer, status, status, job_id, job_id, limit),
    ).fetchall()
    return [
        msgspec.convert({**dict(r), "payload": msgspec.json.decode(r["payload"])}, PrintJob)
        for r in rows
    ]


def job(conn: sqlite3.Connection, job_id: int) -> PrintJob:
    found = list_jobs(conn, printer=None, status=None, limit=1, job_id=job_id)
    if not found:
        raise ERR.PRINT_JOB_NOT_FOUND(job_id=job_id)
    return found[0]


def reprint(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    *,
    scanned: str,
    reason: str,
    printer: str | None,
) -> ReprintQueued:
    """A copy of a parcel's face sheet, found by its waybill, parcel or order number."""
    _, text = normalise(scanned, settings.scan.gs_placeholder)
    original = conn.execute(
        "SELECT j.* FROM print_jobs j JOIN parcels p ON p.id = j.parcel_id "
        "JOIN orders o ON o.id = p.order_id WHERE j.kind = 'face_sheet' AND j.copy_of IS NULL "
        "AND (p.waybill_no = ? OR o.order_no = ? OR ? = 'PCL-' || p.waybill_no) "
        "ORDER BY j.id LIMIT 1",
        (text, text, text),
    ).fetchone()
    if original is None:
        raise ERR.PARCEL_NOT_FOUND({"scanned": text})
    status = conn.execute(
        "SELECT o.state, o.order_no FROM parcels p JOIN orders o ON o.id = p.order_id "
        "WHERE p.id = ?",
        (original["parcel_id"],),
    ).fetchone()
    if status["state"] == "cancelled":
        raise ERR.ORDER_CANCELLED({"scanned": text, "order_no": status["order_no"]})
    target = printer_settings(settings, printer or original["printer"])
    if not target.enabled:
        raise ERR.PRINTER_DISABLED({"printer": target.name})
    copies = conn.execute(
        "SELECT COUNT(*) FROM print_jobs WHERE copy_of = ?", (original["id"],)
    ).fetchone()[0]
    payload = msgspec.json.decode(original["payload"])
    # A copy says so on the label itself, where anyone handling the parcel sees it.
    mark = f"【副本 COPY {copies + 1}】"
    payload = {
        **payload,
        "copy": copies + 1,
        "remarks": f"{mark} {payload.get('remarks', '')}".strip(),
    }
    job_id = queue_label(
        conn,
        ctx,
        printer=target.name,
        kind="face_sheet",
        payload=payload,
        parcel_id=original["parcel_id"],
        copy_of=original["id"],
        reason=reason,
    )
    ctx.audit_target = f"parcel:{payload['waybill_no']}"
    return ReprintQueued(
        id=job_id,
        printer=target.name,
        copy_of=original["id"],
        copy=copies + 1,
        waybill_no=payload["waybill_no"],
        status="queued",
    )


def test_print(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, printer: str, day: str
) -> TestPrintQueued:
    target = printer_settings(settings, printer)
    if not target.enabled:
        raise ERR.PRINTER_DISABLED({"printer": target.name})
    payload = {**SAMPLE_LABEL, "date": day}
    job_id = queue_label(conn, ctx, printer=target.name, kind="test", payload=payload)
    ctx.audit_target = f"printer:{target.name}"
    return TestPrintQueued(id=job_id, printer=target.name, status="queued")


def retry_failed(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, job_id: int
) -> PrintJob:
    """A supervisor sends a failed job again (after fixing the printer's configuration)."""
    row = conn.execute("SELECT status, printer FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise ERR.PRINT_JOB_NOT_FOUND(job_id=job_id)
    printer = printer_settings(settings, row["printer"])  # no queue without its printer
    if not printer.enabled:
        raise ERR.PRINTER_DISABLED({"printer": printer.name})
    if row["status"] != "failed":
        raise ERR.PRINT_JOB_NOT_FAILED(job_id=job_id, status=row["status"])
    conn.execute(
        "UPDATE print_jobs SET status = 'queued', next_attempt_at = '', done_at = NULL "
        "WHERE id = ?",
        (job_id,),
    )
    ctx.audit_target = f"print-job:{job_id}"
    return job(conn, job_id)
