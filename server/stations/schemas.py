"""Station answers: a scan as the station's feed keeps it, and who works at a station."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct, field

from server.outbound.schemas import ExpectedWeight, OrderView


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


class StationUser(Struct, kw_only=True):
    code: str
    name: str


class LastParcel(Struct, kw_only=True):
    """The last parcel packed at the station."""

    waybill_no: str
    order_no: str
    weight_g: int
    packed_at: str
    packed_by: str


class AgentState(Struct, kw_only=True):
    """The station agent on the station's PC: online, offline or never seen."""

    state: str
    seen_at: str | None
    version: str
    devices: dict[str, Any]


class StationView(Struct, kw_only=True):
    """A station: who works there, what is open, its last parcel and scan, its agent."""

    name: str
    kind: Literal["pack_bench", "printer_station", "dock_door"]
    printers: list[str]
    scanners: list[str]
    user: StationUser | None
    order: OrderView | None
    last_parcel: LastParcel | None
    last_scan_id: int
    agent: AgentState
    scales: list[str] = field(default_factory=list)
    # What the open order's parcel should weigh, as the packing page shows it (null: none open)
    expected_weight: ExpectedWeight | None = None
