"""Station answers: a scan as the station's feed keeps it, and who works at a station."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct


class StationScanRecord(Struct, kw_only=True):
    """A scan at a station with its outcome; a refusal is a result here, not an error."""

    id: int
    station: str
    scan_key: str
    scanner: str
    code: str
    symbology: str
    scanned_at: str
    received_at: str
    user_code: str | None
    action: str
    outcome: Literal["ok", "refused"]
    error_code: str
    message: str
    effect: dict[str, Any]


class StationWorker(Struct, kw_only=True):
    """Who works at the station now (null: nobody)."""

    station: str
    user: str | None
