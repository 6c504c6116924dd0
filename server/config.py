"""Typed settings read from a TOML file in config/ into msgspec Structs.

Every setting is declared once, with its default and a one-line help (the
`description` of its `Meta`); a test fails if one has none. Secrets never live in the
file: they come from the environment (see `Secrets`).
"""

from __future__ import annotations

import copy
import ipaddress
import os
import tomllib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta, Struct, field

from server import clock

ROLES = ("receiver", "putaway", "picker", "packer", "dock", "counter", "supervisor", "admin")
"""Roles a floor user can hold. Station and OMS tokens have the roles `station` / `oms`."""

CONFIG_ENV = "BONDFLOOR_CONFIG"


def _help(text: str, **constraints: Any) -> Meta:
    return Meta(description=text, **constraints)


class Section(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every config section: unknown keys are errors, not silently ignored."""


class SiteSettings(Section):
    code: Annotated[
        str,
        _help("Short site code, sent to the OMS with every event", pattern=r"^[A-Z0-9_-]{2,16}$"),
    ] = "SITE1"
    name: Annotated[str, _help("Site name shown on pages and documents", min_length=1)] = (
        "bondfloor warehouse"
    )
    timezone: Annotated[str, _help("IANA time zone of the site, e.g. Asia/Shanghai")] = (
        "Asia/Shanghai"
    )
    bonded: Annotated[
        bool, _help("Bonded site: receiving and shipping wait for customs release")
    ] = True
    gs1_company_prefix: Annotated[
        str,
        _help(
            "The site's GS1 company prefix (6-12 digits) for the SSCCs of carton and pallet "
            "labels; empty: no carton labels",
            pattern=r"^([0-9]{6,12})?$",
        ),
    ] = ""


class DatabaseSettings(Section):
    path: Annotated[
        str, _help("SQLite database file; relative paths are relative to the working directory")
    ] = "var/bondfloor.db"
    busy_timeout_ms: Annotated[
        int, _help("How long a connection waits for a lock before failing", ge=100, le=60_000)
    ] = 5_000
    wal_autocheckpoint_pages: Annotated[
        int,
        _help(
            "The server checkpoints the WAL (PASSIVE) when it reaches this many pages; 0: "
            "never, leave checkpoints to Litestream (only while Litestream replicates)",
            ge=0,
            le=1_000_000,
        ),
    ] = 1000
    group_commit_max: Annotated[
        int,
        _help("Concurrent writes committed together (one fsync) at most; 1: no grouping", ge=1),
    ] = 64
    group_commit_wait_ms: Annotated[
        float,
        _help(
            "How long a write that finds others queued waits for more to share its commit",
            ge=0,
            le=50,
        ),
    ] = 0.0
    bulk_chunk_ms: Annotated[
        float,
        _help(
            "How long one chunk of a bulk command (a wave, an import) holds the writer "
            "before floor writes get their turn",
            ge=5,
            le=5_000,
        ),
    ] = 50.0


class ServerSettings(Section):
    host: Annotated[str, _help("Address the HTTP server listens on")] = "127.0.0.1"
    port: Annotated[int, _help("TCP port of the HTTP server", ge=1, le=65535)] = 8080
    max_body_bytes: Annotated[
        int, _help("Largest request body accepted; bigger ones get PAYLOAD_TOO_LARGE", ge=1024)
    ] = 20 * 1024 * 1024
    handler_threads: Annotated[
        int,
        _help("Threads running request handlers; writes waiting there share one commit", ge=1),
    ] = 32


class AuthSettings(Section):
    session_hours: Annotated[
        float, _help("A login session expires this many hours after login (about a shift)", gt=0)
    ] = 12.0
    pin_min_length: Annotated[int, _help("Shortest PIN accepted for a user", ge=4, le=12)] = 4
    max_failed_logins: Annotated[
        int, _help("Failed logins in a row that lock a user for lockout_minutes", ge=1)
    ] = 5
    lockout_minutes: Annotated[
        float, _help("How long a lock after max_failed_logins lasts (or until unlocked)", gt=0)
    ] = 15.0
    badge_pin_roles: Annotated[
        list[str], _help("Roles whose badge logs in only together with the user's PIN")
    ] = field(default_factory=lambda: ["supervisor", "admin"])
    session_idle_minutes: Annotated[
        float, _help("A session unused for this many minutes ends (log in again)", gt=0)
    ] = 120.0
    max_sessions_per_user: Annotated[
        int, _help("Open sessions per user; a new login ends the oldest beyond this", ge=1)
    ] = 5
    login_free_failures: Annotated[
        int,
        _help("Failed logins from one address (or for one user) before delays begin", ge=1),
    ] = 3
    login_delay_seconds: Annotated[
        float, _help("First delay after the free failures; each further failure doubles it", gt=0)
    ] = 2.0
    login_max_delay_seconds: Annotated[
        float, _help("Longest delay between two login attempts from one address", gt=0)
    ] = 300.0
    pin_hash_workers: Annotated[
        int,
        _help("PIN checks (scrypt) run at once; the rest of the server keeps its threads", ge=1),
    ] = 1
    login_queue: Annotated[
        int, _help("Logins that may wait for a PIN check; beyond it LOGIN_THROTTLED", ge=0)
    ] = 4


class ScanSettings(Section):
    gs_placeholder: Annotated[
        str,
        _help(
            "Character a handheld's wedge sends for the GS1 separator (0x1D) when it cannot "
            "send 0x1D itself",
            max_length=1,
        ),
    ] = "~"
    max_interkey_ms: Annotated[
        int, _help("Keystrokes closer than this count as a scanner, not a person", ge=5, le=200)
    ] = 35
    suffixes: Annotated[
        list[Literal["Enter", "Tab"]], _help("Keys a wedge scanner sends to end a scan")
    ] = field(default_factory=lambda: ["Enter", "Tab"])
    bare_sscc: Annotated[
        bool,
        _help(
            "Cartons carry their 18-digit SSCC without the AI 00: an 18-digit scan with a "
            "right check digit is a carton"
        ),
    ] = False
    max_quantity_per_scan: Annotated[
        int,
        _help(
            "A typed quantity above this in one scan (receive, move, count, pick) needs the "
            "person's confirmation",
            ge=1,
        ),
    ] = 999


class InboundSettings(Section):
    over_tolerance_percent: Annotated[
        float,
        _help("Receiving more than planned by up to this % needs no confirmation", ge=0, le=100),
    ] = 0.0
    expired_lot_policy: Annotated[
        Literal["refuse", "quarantine"],
        _help(
            "An expired lot, or one under the customer's minimum shelf life: refuse or quarantine"
        ),
    ] = "refuse"
    quarantine_location: Annotated[
        str, _help("Where damaged and quarantined units go when received")
    ] = "QUAR-01"


class OutboundSettings(Section):
    pick_before_release: Annotated[
        bool,
        _help(
            "Pick orders customs has accepted (120) before release; packing and loading still wait for 800"
        ),
    ] = False
    pick_lease_seconds: Annotated[
        int, _help("A pick task returns to the pool when its handheld is silent this long", ge=10)
    ] = 120
    wave_max_orders: Annotated[int, _help("Most orders in one wave", ge=1, le=20000)] = 200
    auto_wave_minutes: Annotated[
        int, _help("Build waves by courier automatically every N minutes (0: by hand only)", ge=0)
    ] = 0
    parcel_lane: Annotated[str, _help("Outbound lane where packed parcels wait for a truck")] = (
        "OUT-01"
    )
    courier_lanes: Annotated[
        dict[str, str], _help("Outbound lane per courier code, when couriers have their own")
    ] = field(default_factory=dict)
    inspection_lane: Annotated[
        str, _help("Where parcels customs selects for inspection (500) are taken")
    ] = "INSP-01"
    max_parcel_weight_g: Annotated[
        int, _help("Heaviest parcel weight accepted at packing, in grams", gt=0)
    ] = 30000
    customs_time_ahead_seconds: Annotated[
        int,
        _help(
            "A customs reply time more than N seconds ahead of the server clock is refused "
            "(CUSTOMS_TIME_IN_FUTURE)",
            ge=0,
        ),
    ] = 300
    lot_confirmation: Annotated[
        Literal["scan", "choose"],
        _help(
            "A lot-tracked SKU scanned by its plain EAN needs its lot: scan the lot label "
            "(scan), or scan or choose it from the reserved lots on the handheld (choose)"
        ),
    ] = "scan"
    weight_check: Annotated[
        bool,
        _help(
            "Warn at packing when the weight is outside the order's expected weight (its SKUs' "
            "weights plus the packaging allowance) ± the tolerance; the packer confirms to pack"
        ),
    ] = False
    weight_tolerance_percent: Annotated[
        float, _help("Tolerance around the expected parcel weight, in %", ge=0, le=100)
    ] = 10.0
    weight_tolerance_min_g: Annotated[
        int, _help("Least tolerance around the expected parcel weight, in grams", ge=0, le=100_000)
    ] = 50
    packaging_allowance_g: Annotated[
        int, _help("Grams of box and filling added to the SKUs' weights", ge=0, le=100_000)
    ] = 0
    scale_take: Annotated[
        Literal["tap", "auto"],
        _help(
            "At a bench with a scale: the packer taps to take the stable weight (tap), or the "
            "parcel is packed by itself once every item is scanned and the weight is stable (auto)"
        ),
    ] = "tap"


class AlertSettings(Section):
    check_seconds: Annotated[
        float,
        _help(
            "How often the alert worker checks, in seconds (0: never); the first check "
            "waits one interval so stations and printers can report after a restart",
            ge=0,
        ),
    ] = 30.0
    default_safety_level: Annotated[
        int,
        _help("Safety stock of a SKU with no level of its own, in units (0: no alert)", ge=0),
    ] = 0
    slow_moving_days: Annotated[
        int, _help("Stock of a SKU with no movement for N days is slow-moving (0: off)", ge=0)
    ] = 90
    expiring_days: Annotated[
        int, _help("A lot in stock that expires within N days is an alert (0: off)", ge=0)
    ] = 30
    pack_before_cutoff_minutes: Annotated[
        int, _help("A released order not packed N minutes before its cut-off is at risk", ge=0)
    ] = 60
    load_before_cutoff_minutes: Annotated[
        int, _help("A packed order not loaded N minutes before its cut-off is at risk", ge=0)
    ] = 30
    print_attempts: Annotated[
        int, _help("A print job still not printed after N tries is an alert", ge=1)
    ] = 3
    sync_lag_seconds: Annotated[
        float, _help("The oldest event not yet at the OMS this old is an alert", gt=0)
    ] = 300.0
    device_grace_seconds: Annotated[
        float, _help("A printer or scanner away this long is an alert (not a blip)", ge=0)
    ] = 60.0
    activity_window_minutes: Annotated[
        int, _help("Window in which one user's refusals and adjustments are counted", ge=1)
    ] = 15
    refusals_threshold: Annotated[
        int, _help("This many refused or denied attempts by one user in the window", ge=1)
    ] = 20
    adjustments_threshold: Annotated[
        int, _help("This many stock adjustments by one user in the window", ge=1)
    ] = 10


class DockSettings(Section):
    weight_tolerance_percent: Annotated[
        float,
        _help(
            "Loaded weight this far (in %) from a list's expected weight is a warning at the dock",
            ge=0,
            le=100,
        ),
    ] = 5.0


#: Which layout family (devices/layouts/) draws each courier's face sheet.
DEFAULT_COURIER_LAYOUTS = {
    "SF": "sf",
    "YTO": "cainiao",
    "ZTO": "cainiao",
    "STO": "cainiao",
    "JD": "jd",
    "EMS": "ems",
}


class PrintingSettings(Section):
    font: Annotated[
        str, _help("CJK font file for labels; empty: found on the system (fonts-noto-cjk)")
    ] = ""
    retry_min_seconds: Annotated[
        float, _help("First wait before a job is tried again on an unavailable printer", gt=0)
    ] = 1.0
    retry_max_seconds: Annotated[
        float, _help("Longest wait between tries while a printer stays unavailable", gt=0)
    ] = 10.0
    poll_seconds: Annotated[
        float, _help("How often an idle printer looks for jobs it was not told about", gt=0)
    ] = 2.0
    layouts_dir: Annotated[
        str,
        _help("Folder of the site's own face-sheet layouts (add or override shipped ones)"),
    ] = ""
    courier_layouts: Annotated[
        dict[str, str],
        _help("Face-sheet layout family per courier code; any other courier: standard"),
    ] = field(default_factory=lambda: dict(DEFAULT_COURIER_LAYOUTS))

    fault_check_seconds: Annotated[
        float,
        _help("How often a printer in a fault is checked again; back, its jobs go at once", gt=0),
    ] = 1.0


class LabelSettings(Section):
    batch_max: Annotated[
        int, _help("Most location or carton labels one request may print", ge=1, le=5000)
    ] = 200
    sscc_extension_digit: Annotated[
        int, _help("Extension digit in front of every SSCC the site allocates", ge=0, le=9)
    ] = 0
    sscc_restore_gap: Annotated[
        int,
        _help(
            "`bondfloor restore` moves the SSCC counter forward by at least this many serials "
            "(more when the backup's own rate of labels says so)",
            ge=0,
        ),
    ] = 10000


class CountSettings(Section):
    recount_threshold_units: Annotated[
        int, _help("A count line off by more than this many units is counted again", ge=0)
    ] = 5
    recount_threshold_percent: Annotated[
        float,
        _help("A count line off by more than this % of the expected is counted again", ge=0),
    ] = 10.0
    abc_window_days: Annotated[
        int, _help("ABC classes rank SKUs by their picks over this many days", ge=1, le=3660)
    ] = 30
    schedule_class_a_days: Annotated[
        int,
        _help("Count every location of class-A SKUs again after N days (0: by hand only)", ge=0),
    ] = 0


class LedgerSettings(Section):
    approval_over_units: Annotated[
        int,
        _help(
            "A supervisor's manual adjustment of more than this many units waits for a second "
            "supervisor's approval",
            ge=0,
        ),
    ] = 1000


class RoleSettings(Section):
    label_zh: Annotated[str, _help("Role name shown in Chinese")] = ""
    label_en: Annotated[str, _help("Role name shown in English")] = ""


class PrinterSettings(Section):
    name: Annotated[str, _help("Printer name, unique on the site", min_length=1)]
    kind: Annotated[
        Literal["network", "serial", "usb", "file"], _help("How the printer is reached")
    ] = "file"
    host: Annotated[str, _help("Network printer address (kind = network)")] = ""
    port: Annotated[int, _help("Network printer TCP port (kind = network)", ge=1, le=65535)] = 9100
    device: Annotated[str, _help("Serial device path (kind = serial)")] = ""
    baud: Annotated[int, _help("Serial baud rate (kind = serial)", gt=0)] = 9600
    vendor_id: Annotated[int, _help("USB vendor id (kind = usb)", ge=0)] = 0
    product_id: Annotated[int, _help("USB product id (kind = usb)", ge=0)] = 0
    folder: Annotated[str, _help("Folder that receives the bytes and a preview (kind = file)")] = (
        "var/printouts"
    )
    label_width_mm: Annotated[int, _help("Label width in millimetres", gt=0)] = 76
    label_height_mm: Annotated[int, _help("Label height in millimetres", gt=0)] = 130
    dpi: Annotated[int, _help("Print head resolution in dots per inch", gt=0)] = 203
    head_width_dots: Annotated[
        int,
        _help(
            "Print head width in dots (the printer's spec sheet); 0: a 4-inch head, 104 mm "
            "at the dpi (832 dots at 203 dpi, 1248 at 300)",
            ge=0,
        ),
    ] = 0
    align: Annotated[
        Literal["center", "left"],
        _help("Where a label narrower than the head lies on it: centred or at its left edge"),
    ] = "center"
    offset_mm: Annotated[
        float,
        _help(
            "Moves the label across the head, in mm (+ right, - left), for a printer "
            "that prints a little off"
        ),
    ] = 0.0
    small_label_mm: Annotated[
        list[Annotated[int, Meta(gt=0, le=300)]],
        _help(
            "[width, height] of the stock location labels print on, e.g. [100, 50] or "
            "[60, 40]; leave out for the label size",
            min_length=2,
            max_length=2,
        ),
    ] = field(default_factory=list)
    enabled: Annotated[bool, _help("A disabled printer takes no jobs")] = True
    answers_status: Annotated[
        bool,
        _help(
            "Network printer answers ESC/POS status (DLE EOT): a job counts as printed only "
            "once it answers after the job"
        ),
    ] = True
    timeout_seconds: Annotated[
        float, _help("Time allowed to reach the printer and write one job", gt=0, le=120)
    ] = 5.0
    via_station: Annotated[
        str,
        _help(
            "Station whose agent (bondfloor station) drives this printer on its own PC; "
            "empty: the server drives it"
        ),
    ] = ""


class ScannerSettings(Section):
    name: Annotated[str, _help("Scanner name, unique on the site", min_length=1)]
    kind: Annotated[Literal["serial", "hid"], _help("Serial/USB-CDC or HID keyboard scanner")] = (
        "serial"
    )
    device: Annotated[str, _help("Device path, e.g. /dev/ttyACM0 or /dev/input/event3")] = ""
    baud: Annotated[int, _help("Serial baud rate", gt=0)] = 9600
    suffix: Annotated[
        Literal["CR", "LF", "CRLF"], _help("End-of-scan suffix the scanner sends")
    ] = "CR"
    parity: Annotated[Literal["N", "E", "O"], _help("Serial parity: none, even or odd")] = "N"
    prefix: Annotated[str, _help("Prefix the scanner puts before each code, removed")] = ""
    layout: Annotated[Literal["us"], _help("Keyboard layout a HID scanner types in")] = "us"


class ScaleSettings(Section):
    name: Annotated[str, _help("Scale name, unique on the site", min_length=1)]
    kind: Annotated[
        Literal["toledo8217", "continuous", "xk3190"],
        _help(
            "Protocol: toledo8217 (asked with W), continuous (sends ST,GS,+  1.234kg lines) "
            "or xk3190 (sends = frames with the digits reversed)"
        ),
    ] = "continuous"
    device: Annotated[str, _help("Serial device path, e.g. /dev/ttyUSB1")] = ""
    baud: Annotated[int, _help("Serial baud rate", gt=0)] = 9600
    parity: Annotated[Literal["N", "E", "O"], _help("Serial parity: none, even or odd")] = "N"
    bytesize: Annotated[Literal[7, 8], _help("Serial data bits (a toledo8217 is often 7, E)")] = 8
    unit: Annotated[
        Literal["kg", "g", "lb"],
        _help("Unit of a scale whose frames do not name it (toledo8217, xk3190)"),
    ] = "kg"
    poll_seconds: Annotated[
        float, _help("How often a toledo8217 scale is asked for its weight", gt=0, le=10)
    ] = 0.2
    stale_seconds: Annotated[
        float,
        _help("A station's weight older than this is shown stale, not as a reading", gt=0, le=60),
    ] = 3.0


class StationSettings(Section):
    name: Annotated[str, _help("Station name, unique on the site", min_length=1)]
    kind: Annotated[
        Literal["pack_bench", "printer_station", "dock_door"], _help("What the station is for")
    ]
    printers: Annotated[list[str], _help("Names of the printers at this station")] = field(
        default_factory=list
    )
    scanners: Annotated[list[str], _help("Names of the fixed scanners at this station")] = field(
        default_factory=list
    )
    scales: Annotated[list[str], _help("Names of the scales at this station")] = field(
        default_factory=list
    )


class OmsSettings(Section):
    enabled: Annotated[bool, _help("Send the events journal to the OMS")] = False
    url: Annotated[str, _help("OMS webhook URL that receives events")] = ""
    dialect: Annotated[
        Literal["webhook", "qimen"],
        _help(
            "How events are said: `webhook` (JSON batches, docs/events.md) or `qimen` "
            "(entryorder.confirm / deliveryorder.confirm / inventory.report)"
        ),
    ] = "webhook"
    qimen_app_key: Annotated[str, _help("Qimen dialect: the app_key of every call")] = ""
    qimen_customer_id: Annotated[
        str, _help("Qimen dialect: customerId, the OMS's routing of this warehouse's calls")
    ] = ""
    warehouse_code: Annotated[
        str, _help("Qimen dialect: warehouseCode of this site in the OMS (default: site.code)")
    ] = ""
    timeout_seconds: Annotated[float, _help("Time allowed for one OMS call", gt=0)] = 10.0
    batch_size: Annotated[int, _help("Events sent in one OMS call", ge=1, le=1000)] = 100
    retry_min_seconds: Annotated[
        float, _help("First wait before a failed OMS call is tried again", gt=0)
    ] = 1.0
    retry_max_seconds: Annotated[
        float, _help("Longest wait between tries while the OMS fails or is away", gt=0)
    ] = 300.0
    poll_seconds: Annotated[
        float, _help("How often the sync worker looks for new events when idle", gt=0)
    ] = 1.0
    max_clock_skew_seconds: Annotated[
        float,
        _help(
            "With BONDFLOOR_OMS_HMAC_SECRET set: a signed OMS request this far from the "
            "server's clock is refused",
            gt=0,
        ),
    ] = 300.0


class DiscoverySettings(Section):
    advertise: Annotated[bool, _help("Advertise this server by mDNS so stations find it")] = False
    interfaces: Annotated[
        list[str],
        _help(
            "IPv4 addresses of the interfaces mDNS runs on (advertising and `bondfloor "
            "discover`); loopback keeps it on this machine, a site lists its LAN addresses",
            min_length=1,
        ),
    ] = field(default_factory=lambda: ["127.0.0.1"])


class BackupSettings(Section):
    enabled: Annotated[
        bool, _help("Make scheduled online backups of the database (a worker in the server)")
    ] = False
    folder: Annotated[
        str,
        _help(
            "Folder of the backup files, named SITE-YYYYmmddTHHMMSSZ.db; relative paths are "
            "relative to the working directory",
            min_length=1,
        ),
    ] = "var/backups"
    every_hours: Annotated[
        float, _help("Hours between two backups (when daily_at is empty)", gt=0, le=8760)
    ] = 24.0
    daily_at: Annotated[
        str,
        _help(
            "HH:MM on the site's clock (site.timezone): one backup a day at that time instead "
            "of every_hours; empty: use every_hours",
            pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9])?\Z",
        ),
    ] = ""
    keep: Annotated[int, _help("Newest backup files always kept", ge=1, le=10_000)] = 14
    keep_days: Annotated[
        float,
        _help(
            "Also keep every backup younger than this many days; 0: keep by count only",
            ge=0,
            le=3650,
        ),
    ] = 0.0


class LoggingSettings(Section):
    format: Annotated[
        Literal["text", "json"],
        _help("Log line format: text for people, json (one object a line) for journald"),
    ] = "text"
    level: Annotated[
        Literal["debug", "info", "warning", "error"], _help("Lowest level that is logged")
    ] = "info"
    access_log: Annotated[
        bool,
        _help(
            "Log every request: method, route, status, duration, device and user (never "
            "tokens, PINs or badges)"
        ),
    ] = True


class MonitoringSettings(Section):
    metrics_allow_from: Annotated[
        list[str],
        _help(
            "Addresses or networks (CIDR) that may read /metrics without a token; others "
            "send the bearer token in $BONDFLOOR_METRICS_TOKEN"
        ),
    ] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    oms_down_seconds: Annotated[
        float,
        _help("/health/ready fails when the OMS link has failed for longer than this", gt=0),
    ] = 900.0
    disk_min_free_mb: Annotated[
        int,
        _help("/health/ready fails when the database's disk has less free space than this", ge=0),
    ] = 500


class TlsSettings(Section):
    enabled: Annotated[
        bool,
        _help(
            "Serve HTTPS (plain HTTP then only redirects and gives out the site CA); a "
            "loopback server without certificate files stays on plain HTTP"
        ),
    ] = True
    cert: Annotated[
        str,
        _help("Server certificate (PEM, with its chain) that `tls init` writes or the site brings"),
    ] = "var/tls/server.crt"
    key: Annotated[str, _help("Private key of the server certificate (PEM, unencrypted)")] = (
        "var/tls/server.key"
    )
    ca_cert: Annotated[str, _help("Site CA certificate that handhelds install (PEM)")] = (
        "var/tls/ca.crt"
    )
    ca_key: Annotated[str, _help("Site CA private key that signs the server certificate")] = (
        "var/tls/ca.key"
    )
    names: Annotated[
        list[str], _help("DNS names of this server on the LAN, put in the certificate")
    ] = field(default_factory=lambda: ["localhost"])
    addresses: Annotated[
        list[str], _help("IP addresses of this server on the LAN, put in the certificate")
    ] = field(default_factory=lambda: ["127.0.0.1"])
    redirect_port: Annotated[
        int,
        _help(
            "Plain HTTP port that redirects to HTTPS and serves the CA; 0 = none", ge=0, le=65535
        ),
    ] = 8081
    cert_days: Annotated[
        int, _help("Days a server certificate made by `tls init` is valid", ge=1, le=825)
    ] = 825
    ca_days: Annotated[int, _help("Days the site CA made by `tls init` is valid", ge=1)] = 3650
    expiry_alert_days: Annotated[
        int, _help("Raise an alert this many days before the certificate expires", ge=1)
    ] = 30


def _default_roles() -> dict[str, RoleSettings]:
    labels = {
        "receiver": ("收货员", "Receiver"),
        "putaway": ("上架员", "Put-away"),
        "picker": ("拣货员", "Picker"),
        "packer": ("打包员", "Packer"),
        "dock": ("装车员", "Dock"),
        "counter": ("盘点员", "Counter"),
        "supervisor": ("主管", "Supervisor"),
        "admin": ("管理员", "Administrator"),
    }
    return {role: RoleSettings(label_zh=zh, label_en=en) for role, (zh, en) in labels.items()}


class Settings(Section):
    site: Annotated[SiteSettings, _help("The warehouse site")] = field(default_factory=SiteSettings)
    database: Annotated[DatabaseSettings, _help("Where the state is kept")] = field(
        default_factory=DatabaseSettings
    )
    server: Annotated[ServerSettings, _help("The HTTP server")] = field(
        default_factory=ServerSettings
    )
    auth: Annotated[AuthSettings, _help("Logins and sessions")] = field(
        default_factory=AuthSettings
    )
    scan: Annotated[ScanSettings, _help("How handheld scans are read")] = field(
        default_factory=ScanSettings
    )
    inbound: Annotated[InboundSettings, _help("Receiving against delivery plans")] = field(
        default_factory=InboundSettings
    )
    outbound: Annotated[OutboundSettings, _help("Orders, waves, picking and packing")] = field(
        default_factory=OutboundSettings
    )
    dock: Annotated[DockSettings, _help("Dock check-out of loading lists")] = field(
        default_factory=DockSettings
    )
    printing: Annotated[PrintingSettings, _help("The label print queue")] = field(
        default_factory=PrintingSettings
    )
    labels: Annotated[LabelSettings, _help("Location and carton labels from the handheld")] = field(
        default_factory=LabelSettings
    )
    counts: Annotated[CountSettings, _help("Cycle counts, recounts and their schedule")] = field(
        default_factory=CountSettings
    )
    ledger: Annotated[LedgerSettings, _help("Manual stock corrections")] = field(
        default_factory=LedgerSettings
    )
    roles: Annotated[dict[str, RoleSettings], _help("Labels of the floor roles, by role name")] = (
        field(default_factory=_default_roles)
    )
    printers: Annotated[list[PrinterSettings], _help("Label printers")] = field(
        default_factory=list
    )
    scanners: Annotated[list[ScannerSettings], _help("Fixed barcode scanners")] = field(
        default_factory=list
    )
    scales: Annotated[list[ScaleSettings], _help("Scales the station agents read")] = field(
        default_factory=list
    )
    stations: Annotated[list[StationSettings], _help("Pack benches, printer stations, docks")] = (
        field(default_factory=list)
    )
    oms: Annotated[OmsSettings, _help("Link to the OMS upstream")] = field(
        default_factory=OmsSettings
    )
    alerts: Annotated[AlertSettings, _help("Alerts: thresholds and the checking worker")] = field(
        default_factory=AlertSettings
    )
    discovery: Annotated[DiscoverySettings, _help("mDNS discovery on the LAN")] = field(
        default_factory=DiscoverySettings
    )
    backup: Annotated[BackupSettings, _help("Scheduled online backups and their retention")] = (
        field(default_factory=BackupSettings)
    )
    logging: Annotated[LoggingSettings, _help("Log format, level and the access log")] = field(
        default_factory=LoggingSettings
    )
    monitoring: Annotated[
        MonitoringSettings, _help("Who reads /metrics; when /health/ready fails")
    ] = field(default_factory=MonitoringSettings)
    tls: Annotated[TlsSettings, _help("HTTPS: the site CA and the server certificate")] = field(
        default_factory=TlsSettings
    )


@dataclass(frozen=True)
class Secrets:
    """Secrets from the environment, never from a file in config/."""

    oms_token: str
    oms_hmac_secret: str
    oms_app_secret: str = ""
    metrics_token: str = ""

    @classmethod
    def from_env(cls) -> Secrets:
        return cls(
            oms_token=os.environ.get("BONDFLOOR_OMS_TOKEN", ""),
            oms_hmac_secret=os.environ.get("BONDFLOOR_OMS_HMAC_SECRET", ""),
            oms_app_secret=os.environ.get("BONDFLOOR_OMS_APP_SECRET", ""),
            metrics_token=os.environ.get("BONDFLOOR_METRICS_TOKEN", ""),
        )


class ConfigError(Exception):
    """The configuration file has errors; `errors` lists every one."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def site_today(settings: Settings) -> date:
    """Today on the site's calendar: shelf life is counted in the warehouse's days."""
    return clock.today(settings.site.timezone)


def site_day(settings: Settings, at: str) -> date:
    """The site's calendar day of a command's time (ISO 8601 with offset, e.g. ctx.at)."""
    return datetime.fromisoformat(at).astimezone(zoneinfo.ZoneInfo(settings.site.timezone)).date()


def load_settings(path: str | Path | None = None) -> Settings:
    """Read settings from `path` (or $BONDFLOOR_CONFIG); defaults when neither is given."""
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    if path is None:
        return Settings()
    errors = check_config_file(path)
    if errors:
        raise ConfigError(errors)
    with open(path, "rb") as f:
        return msgspec.convert(tomllib.load(f), Settings)


def check_config_file(path: str | Path) -> list[str]:
    """Every error in the file as `file: key.path: reason` (an empty list when it is good)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return [f"{path}: file not found"]
    except tomllib.TOMLDecodeError as err:
        return [f"{path}: not valid TOML: {err}"]
    problems = _problems_in(Settings, data, "")
    # One pass: the cross-references are checked too, on the settings without the broken
    # values (a type error must not hide a printer that names no station).
    settings = _settings_without(data, problems)
    if settings is not None:
        reported = {key for key, _ in problems}
        problems += [p for p in _cross_reference_problems(settings) if p[0] not in reported]
    return [f"{path}: {key or '(top)'}: {reason}" for key, reason in problems]


def _settings_without(data: dict[str, Any], problems: list[tuple[str, str]]) -> Settings | None:
    """The settings with every broken value taken out (its default stands in); a broken
    entry of a list of tables takes its whole list out. None when even that fails."""
    reduced = copy.deepcopy(data)
    for _ in range(3):
        if not problems:
            try:
                return msgspec.convert(reduced, Settings)
            except msgspec.ValidationError:
                return None
        for key, _ in problems:
            _remove(reduced, key)
        problems = _problems_in(Settings, reduced, "")
    return None


def _remove(data: dict[str, Any], key_path: str) -> None:
    parts = key_path.split(".") if key_path else []
    if not parts:
        return
    if "[" in key_path:  # inside a list of tables: take the list out
        data.pop(parts[0].split("[")[0], None)
        return
    table: Any = data
    for part in parts[:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    if isinstance(table, dict):
        table.pop(parts[-1], None)


def _problems_in(struct_type: type[Struct], data: Any, path: str) -> list[tuple[str, str]]:
    """Walk the TOML data against a Struct type, collecting every problem, not just the first."""
    if not isinstance(data, dict):
        return [(path, f"expected a table, got {type(data).__name__}")]
    hints = get_type_hints(struct_type, include_extras=True)
    known = set(struct_type.__struct_fields__)
    problems = [(_join(path, key), "unknown setting") for key in data if key not in known]
    for name in struct_type.__struct_fields__:
        key_path = _join(path, name)
        if name not in data:
            if name in _required_fields(struct_type):
                problems.append((key_path, "required setting is missing"))
            continue
        value_problems = _problems_in_value(hints[name], data[name], key_path)
        check = _VALUE_CHECKS.get((struct_type.__name__, name))
        if not value_problems and check is not None and (reason := check(data[name])):
            value_problems.append((key_path, reason))
        problems += value_problems
    if not problems:
        try:
            msgspec.convert(data, struct_type)
        except msgspec.ValidationError as err:
            problems.append((path, _reason(err)))
    return problems


def _problems_in_value(hint: Any, value: Any, path: str) -> list[tuple[str, str]]:
    inner = _unannotated(hint)
    origin = get_origin(inner)
    if isinstance(inner, type) and issubclass(inner, Struct):
        return _problems_in(inner, value, path)
    if origin is list and _is_struct(get_args(inner)[0]):
        if not isinstance(value, list):
            return [(path, f"expected an array, got {type(value).__name__}")]
        item_type = get_args(inner)[0]
        return [
            p for i, item in enumerate(value) for p in _problems_in(item_type, item, f"{path}[{i}]")
        ]
    if origin is dict and _is_struct(get_args(inner)[1]):
        if not isinstance(value, dict):
            return [(path, f"expected a table, got {type(value).__name__}")]
        item_type = get_args(inner)[1]
        return [
            p for k, item in value.items() for p in _problems_in(item_type, item, _join(path, k))
        ]
    try:
        msgspec.convert(value, hint)
    except msgspec.ValidationError as err:
        allowed = _allowed_values(inner)
        reason = _reason(err) + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return [(path, reason)]
    return []


def _allowed_values(hint: Any) -> list[str]:
    """The values a setting may take, when it is a choice (or a list of choices)."""
    if get_origin(hint) is Literal:
        return [str(value) for value in get_args(hint)]
    if get_origin(hint) is list:
        return _allowed_values(_unannotated(get_args(hint)[0]))
    return []


def _url_problem(url: str) -> str | None:
    if not url:
        return None  # no OMS link (oms.enabled needs one: a cross-reference check)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// URL (e.g. https://oms.example.com/events)"
    return None


def _timezone_problem(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}"
    return None


def _interfaces_problem(addresses: list[str]) -> str | None:
    for address in addresses:
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            return f"{address!r} is not an IPv4 address of this machine's interface"
    return None


def _networks_problem(networks: list[str]) -> str | None:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            return f"{network!r} is not an address or a network like 192.0.2.0/24"
    return None


def _ip_addresses_problem(addresses: list[str]) -> str | None:
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return f"{address!r} is not an IP address (names go in tls.names)"
    return None


def _head_problem(printer: PrinterSettings) -> tuple[str, str] | None:
    """(setting, reason) when the label is wider than the head or moved (partly) off it:
    it would be cut."""
    from devices.print_head import placement_problem  # PIL: only when printers are checked

    err = placement_problem(
        printer.label_width_mm,
        printer.dpi,
        printer.head_width_dots,
        printer.align,
        printer.offset_mm,
    )
    if err is None:
        return None
    return ("offset_mm" if err.field == "offset_mm" else "head_width_dots", err.message)


_VALUE_CHECKS: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("SiteSettings", "timezone"): _timezone_problem,
    ("DiscoverySettings", "interfaces"): _interfaces_problem,
    ("OmsSettings", "url"): _url_problem,
    ("MonitoringSettings", "metrics_allow_from"): _networks_problem,
    ("TlsSettings", "addresses"): _ip_addresses_problem,
}
"""Checks a type cannot express, by (section, setting)."""


def _cross_reference_problems(settings: Settings) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for role in settings.roles:
        if role not in ROLES:
            problems.append((f"roles.{role}", f"unknown role; roles are {', '.join(ROLES)}"))
    for role in settings.auth.badge_pin_roles:
        if role not in ROLES:
            problems.append(
                ("auth.badge_pin_roles", f"unknown role {role!r}; roles are {', '.join(ROLES)}")
            )
    named = (
        ("printers", [p.name for p in settings.printers]),
        ("scanners", [s.name for s in settings.scanners]),
        ("scales", [s.name for s in settings.scales]),
    )
    for kind, names in named:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                problems.append((f"{kind}[{i}].name", f"duplicate name {name!r}"))
            seen.add(name)
    for i, printer in enumerate(settings.printers):
        if printer.kind == "network" and not printer.host:
            problems.append((f"printers[{i}].host", "a network printer needs a host"))
        if printer.kind == "serial" and not printer.device:
            problems.append((f"printers[{i}].device", "a serial printer needs a device"))
        if off_head := _head_problem(printer):
            problems.append((f"printers[{i}].{off_head[0]}", off_head[1]))
    printer_names = {p.name for p in settings.printers}
    scanner_names = {s.name for s in settings.scanners}
    station_names = {s.name for s in settings.stations}
    for i, printer in enumerate(settings.printers):
        if printer.via_station and printer.via_station not in station_names:
            problems.append((f"printers[{i}].via_station", f"no station {printer.via_station!r}"))
    seen_stations: set[str] = set()
    for i, station in enumerate(settings.stations):
        if station.name in seen_stations:
            problems.append((f"stations[{i}].name", f"duplicate name {station.name!r}"))
        seen_stations.add(station.name)
        for name in station.printers:
            if name not in printer_names:
                problems.append((f"stations[{i}].printers", f"no printer named {name!r}"))
        for name in station.scanners:
            if name not in scanner_names:
                problems.append((f"stations[{i}].scanners", f"no scanner named {name!r}"))
        problems.extend(_station_scale_problems(settings, i, station))
    if settings.oms.enabled and not settings.oms.url:
        problems.append(("oms.url", "the OMS link is enabled but has no url"))
    problems += _layout_problems(settings)
    return problems


def _layout_problems(settings: Settings) -> list[tuple[str, str]]:
    """Bad face-sheet layout files, and couriers mapped to a layout that does not exist."""
    from devices import label_layouts

    printing = settings.printing
    dpis = {p.dpi for p in settings.printers} or {203}
    bad = label_layouts.layout_problems(printing.layouts_dir, dpis)
    problems = [("printing.layouts_dir", reason) for reason in bad]
    if bad:
        return problems
    layouts = label_layouts.current_layouts(printing.layouts_dir)
    known = {family for family, _, _ in layouts}
    for courier, family in printing.courier_layouts.items():
        if family not in known:
            problems.append(
                (
                    f"printing.courier_layouts.{courier}",
                    f"no layout {family!r}; the layouts are {', '.join(sorted(known))}",
                )
            )
    # A printer whose size has no file of a family gets the family's layout stretched:
    # its barcodes must still scan there.
    used = {f for f in printing.courier_layouts.values() if f in known} | {"standard"}
    for i, printer in enumerate(settings.printers):
        for family in sorted(used):
            layout = label_layouts.pick_layout(
                family, printer.label_width_mm, printer.label_height_mm, layouts=layouts
            )
            try:
                label_layouts.check_at_dpi(layout, printer.dpi)
            except label_layouts.LayoutError as err:
                problems.append(
                    (
                        f"printers[{i}]",
                        f"{family} layout stretched to {printer.label_width_mm}×"
                        f"{printer.label_height_mm} mm: {err.element}: {err.problem}",
                    )
                )
    return problems


def _station_scale_problems(
    settings: Settings, i: int, station: StationSettings
) -> list[tuple[str, str]]:
    """A station's scales exist and have a device (its agent opens them)."""
    scales = {s.name: s for s in settings.scales}
    problems = []
    for name in station.scales:
        scale = scales.get(name)
        if scale is None:
            problems.append((f"stations[{i}].scales", f"no scale named {name!r}"))
        elif not scale.device:
            problems.append((f"stations[{i}].scales", f"scale {name!r} has no device"))
    return problems


def _required_fields(struct_type: type[Struct]) -> set[str]:
    n_required = len(struct_type.__struct_fields__) - len(struct_type.__struct_defaults__)
    return set(struct_type.__struct_fields__[:n_required])


def _unannotated(hint: Any) -> Any:
    return get_args(hint)[0] if get_origin(hint) is Annotated else hint


def _is_struct(tp: Any) -> bool:
    tp = _unannotated(tp)
    return isinstance(tp, type) and issubclass(tp, Struct)


def _reason(err: msgspec.ValidationError) -> str:
    return str(err).split(" - at `")[0]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def setting_help(struct_type: type[Struct] = Settings) -> dict[str, str | None]:
    """Every setting's key path and its help text (None where a setting has none)."""
    found: dict[str, str | None] = {}
    hints = get_type_hints(struct_type, include_extras=True)
    for name in struct_type.__struct_fields__:
        hint = hints[name]
        found[name] = _description(hint)
        inner = _unannotated(hint)
        for candidate in (inner, *get_args(inner)):
            if _is_struct(candidate):
                for sub, text in setting_help(_unannotated(candidate)).items():
                    found[f"{name}.{sub}"] = text
    return found


def _description(hint: Any) -> str | None:
    if get_origin(hint) is not Annotated:
        return None
    for meta in get_args(hint)[1:]:
        if isinstance(meta, Meta) and meta.description:
            return meta.description
    return None


__all__ = [
    "ROLES",
    "ConfigError",
    "Secrets",
    "Settings",
    "TlsSettings",
    "check_config_file",
    "load_settings",
    "setting_help",
    "site_today",
]
