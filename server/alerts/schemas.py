"""Alerts, safety stock levels and the supervisor dashboard: requests, answers, events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from server.fields import Code
from server.sync.schemas import SyncStatus

Severity = Literal["info", "warning", "critical"]
MAX_SAFETY_LEVEL = 1_000_000_000

ALERT_KINDS: dict[str, tuple[Severity, str]] = {
    "STOCK_BELOW_SAFETY": ("warning", "stock of a customer's SKU below its safety level"),
    "STOCK_SLOW_MOVING": ("info", "stock of a SKU that has not moved for days"),
    "LOT_EXPIRING": ("warning", "a lot in stock expires soon"),
    "EXPIRED_IN_PICKABLE": ("critical", "expired stock lies in a storage or pick location"),
    "ORDER_NOT_PACKED_BY_CUTOFF": (
        "warning",
        "a released order is not packed and its cut-off is near or past",
    ),
    "ORDER_NOT_LOADED_BY_CUTOFF": (
        "warning",
        "a packed order is not loaded and its cut-off is near or past",
    ),
    "ORDER_CUSTOMS_HOLD": ("warning", "customs holds an order on the floor"),
    "CUSTOMS_TIME_IN_FUTURE": (
        "critical",
        "customs replies dated ahead of the server clock were refused: the sender's clock "
        "or time zone is wrong, and a refused hold is not applied until sent again",
    ),
    "PRINT_JOB_FAILING": ("warning", "a printer's jobs fail or keep being retried"),
    "SYNC_STOPPED": ("critical", "delivery to the OMS stopped at an event it refused"),
    "SYNC_LAG": ("warning", "events wait too long to reach the OMS"),
    "PRINTER_UNAVAILABLE": ("warning", "a printer is away (offline, paper out, cover open)"),
    "STATION_AGENT_OFFLINE": ("warning", "a station agent is not heard from"),
    "SCANNER_UNAVAILABLE": ("warning", "a fixed scanner is unavailable"),
    "UNUSUAL_REFUSALS": ("warning", "many refused or denied attempts by one user"),
    "UNUSUAL_ADJUSTMENTS": ("warning", "many stock adjustments by one user"),
    "PARCEL_WEIGHT_UNWARNED": (
        "warning",
        "parcels packed outside their expected weight, confirmed without the packer being "
        "warned first (a client that always confirms)",
    ),
    "CERTIFICATE_EXPIRING": (
        "critical",
        "the server's HTTPS certificate expires soon: handhelds will refuse the site",
    ),
}
"""Every alert kind: its stable code, its severity and what it means."""

ALERT_MESSAGES: dict[str, str] = {
    "STOCK_BELOW_SAFETY": "{on_hand} in stock, safety level {level}",
    "STOCK_SLOW_MOVING": "{on_hand} in stock, no movement since {last_moved_at}",
    "LOT_EXPIRING": "{quantity} expire {expiry}",
    "EXPIRED_IN_PICKABLE": "{quantity} expired {expiry} at {location}",
    "ORDER_NOT_PACKED_NEAR_CUTOFF": "{state}, not packed; cut-off {cutoff_at}",
    "ORDER_NOT_PACKED_PAST_CUTOFF": "{state}, not packed; cut-off {cutoff_at} has passed",
    "ORDER_NOT_LOADED_NEAR_CUTOFF": "packed, not loaded; cut-off {cutoff_at}",
    "ORDER_NOT_LOADED_PAST_CUTOFF": "packed, not loaded; cut-off {cutoff_at} has passed",
    "ORDER_CUSTOMS_HOLD": "customs status {customs_status}, order {state}",
    "CUSTOMS_TIME_IN_FUTURE": "customs messages refused in {window_minutes} min for a time "
    "ahead of the server clock: {count} (last: {target} at {last_at})",
    "CUSTOMS_TIME_IN_FUTURE_BATCH": "customs messages refused in {window_minutes} min for a "
    "time ahead of the server clock: {count} (last: a batch at {last_at})",
    "PRINT_JOB_FAILING": "{failed} failed, {retrying} retrying: {last_error}",
    "SYNC_STOPPED": "stopped at event {seq}: {error}",
    "SYNC_LAG": "event {seq} waits {lag_seconds} s",
    "PRINTER_UNAVAILABLE": "{state} since {since}: {detail}",
    "STATION_AGENT_OFFLINE": "agent last seen {seen_at}",
    "STATION_AGENT_NEVER_SEEN": "agent never seen",
    "SCANNER_UNAVAILABLE": "unavailable: {detail}",
    "UNUSUAL_REFUSALS": "refused or denied in {window_minutes} min: {count} (last: {action} "
    "{error_code})",
    "UNUSUAL_ADJUSTMENTS": "adjustments in {window_minutes} min: {count} ({units} units)",
    "PARCEL_WEIGHT_UNWARNED": "packed outside the expected weight without a warning in "
    "{window_minutes} min: {count} (last: {last_order})",
    "CERTIFICATE_EXPIRING": "expires {expires_at}, in {days_left} days: renew with "
    "`bondfloor tls init`",
    "CERTIFICATE_EXPIRED": "expired {expires_at}: renew with `bondfloor tls init`",
}
"""Every alert message code and its English text. An alert carries the code and its
parameters (times as ISO 8601 UTC, `*_at` and `since`), so the handheld says it in the
reader's language and the site's time zone; the English text is the stored `message` for
the API, the CSV and the OMS."""


def alert_message(code: str, params: dict[str, object]) -> str:
    """The English text of an alert message code (device text in it cut to 300 characters)."""
    return ALERT_MESSAGES[code].format(**params)[:300]


AlertKind = Annotated[str, Meta(description="The alert's stable kind code, e.g. LOT_EXPIRING")]
AlertSubject = Annotated[
    str, Meta(description="What it is about, e.g. `HKBEAUTY/HK0006/L2611006` or an order number")
]


class SafetyLevel(Struct, forbid_unknown_fields=True, kw_only=True):
    customer: Code
    sku: Code
    quantity: Annotated[int, Meta(ge=0, le=MAX_SAFETY_LEVEL)]


class SafetyLevels(Struct, forbid_unknown_fields=True, kw_only=True):
    """Safety stock per customer and SKU; 0 turns the SKU's alert off."""

    levels: Annotated[list[SafetyLevel], Meta(min_length=1, max_length=10_000)]


class AckRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    note: Annotated[str, Meta(min_length=1, max_length=500)]


class AlertRaised(Struct, kw_only=True):
    """A condition the floor watches started to hold (the OMS may page someone)."""

    id: Annotated[int, Meta(description="The alert's id on the floor")]
    kind: AlertKind
    severity: Annotated[Severity, Meta(description="info, warning or critical")]
    subject: AlertSubject
    message: Annotated[str, Meta(description="What holds, in English")]
    first_seen_at: Annotated[str, Meta(description="UTC time the worker first saw it")]
    code: Annotated[
        str,
        Meta(
            description="What holds as a stable message code (e.g. ORDER_NOT_PACKED_PAST_CUTOFF), "
            "to say it in another language; absent on alerts raised before codes"
        ),
    ] = ""
    params: Annotated[
        dict[str, Any],
        Meta(description="The message code's parameters; times are UTC (ISO 8601)"),
    ] = {}


class AlertCleared(Struct, kw_only=True):
    """A raised alert's condition no longer holds."""

    id: Annotated[int, Meta(description="The alert's id on the floor")]
    kind: AlertKind
    subject: AlertSubject
    first_seen_at: Annotated[str, Meta(description="UTC time the worker first saw it")]
    cleared_at: Annotated[str, Meta(description="UTC time the worker saw it gone")]


# -- answers -------------------------------------------------------------------------------


class AlertView(Struct, kw_only=True):
    """An alert as supervisors see it: what holds, since when, who acknowledged it."""

    id: int
    kind: AlertKind
    severity: Severity
    subject: AlertSubject
    message: str
    code: str
    params: dict[str, Any]
    details: dict[str, Any]
    first_seen_at: str
    last_seen_at: str
    cleared_at: str | None
    acked_by: str | None
    acked_at: str | None
    ack_note: str


class AlertsChecked(Struct, kw_only=True):
    """The ids of the alerts a check raised and cleared."""

    raised: list[int]
    cleared: list[int]


class SafetyLevelView(Struct, kw_only=True):
    customer: str
    sku: str
    quantity: int
    set_by: str
    set_at: str


class DashboardSite(Struct, kw_only=True):
    code: str
    name: str
    timezone: str


class StepThroughput(Struct, kw_only=True):
    step: str
    unit: str
    per_hour: list[int]
    total: int


class Throughput(Struct, kw_only=True):
    """Units (parcels for loading) per step and site hour of a day."""

    day: str
    timezone: str
    hours: list[str]
    steps: list[StepThroughput]


class OpenWork(Struct, kw_only=True):
    """What waits for each step now."""

    plans_to_receive: int
    units_to_put_away: int
    orders_waiting: int
    orders_to_pick: int
    orders_short: int
    orders_to_pack: int
    orders_to_load: int
    orders_loaded: int
    open_floor_tasks: int
    adjustments_to_approve: int


class HeldOrder(Struct, kw_only=True):
    order_no: str
    waybill_no: str
    state: str
    customs_status: int | None
    customs_at: str


class Holds(Struct, kw_only=True):
    customs_holds: int
    held_orders: list[HeldOrder]
    open_pick_shortages: int
    failed_print_jobs: int


class PrinterState(Struct, kw_only=True):
    name: str
    state: str
    detail: str
    since: str
    queued: int
    failed: int


class StationAgent(Struct, kw_only=True):
    agent: str
    seen_at: str | None
    buffered_scans: int
    scanners: dict[str, str]


class Devices(Struct, kw_only=True):
    printers: list[PrinterState]
    stations: dict[str, StationAgent]


class Dashboard(Struct, kw_only=True):
    """Everything the supervisor page shows, in one answer."""

    site: DashboardSite
    generated_at: str
    throughput: Throughput
    open_work: OpenWork
    holds: Holds
    alerts: list[AlertView]
    devices: Devices
    sync: SyncStatus
