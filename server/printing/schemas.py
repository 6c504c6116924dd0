"""Print queue answers: printers with their state and queue, jobs, reprints and test prints."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

JobStatus = Literal["queued", "sending", "done", "failed", "cancelled"]


class PrinterView(Struct, kw_only=True):
    """A configured printer, how it is now and how much waits for it."""

    name: str
    kind: str
    via_station: str
    enabled: bool
    label_mm: list[int]
    dpi: int
    state: str
    detail: str
    since: str
    queued: int
    failed: int


class PrintJob(Struct, kw_only=True):
    """A label print job, its state and what the label carries."""

    id: int
    printer: str
    kind: Literal["face_sheet", "test", "handover", "location_label", "carton_label"]
    status: JobStatus
    attempts: int
    last_error: str
    next_attempt_at: str
    copy_of: int | None
    reason: str
    created_by: str
    created_at: str
    done_at: str | None
    payload: dict[str, Any]
    waybill_no: str | None
    order_no: str | None


class ReprintQueued(Struct, kw_only=True):
    """A copy of a face sheet, queued."""

    id: int
    printer: str
    copy_of: int
    copy: int
    waybill_no: str
    status: JobStatus


class TestPrintQueued(Struct, kw_only=True):
    id: int
    printer: str
    status: JobStatus
