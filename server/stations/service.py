"""Fixed stations: a scan from a station's scanner goes to what is open at that station.

At a pack bench a scan opens the order behind a tote, order or waybill number, and then
each item scan is a pack scan of that order; the packer weighs on the bench's page. At the
printer station a scan looks up a parcel's labels for a reprint. At a dock door a plate opens
the truck's loading list, then the driver's ID number, the seal and every parcel are
checked against it. A badge scan at any station signs its holder in there: the work done
at the station is theirs. A badge is a credential: the feed keeps only its masked end.

Every scan is recorded once per station key, refused or not: a refusal (item not on the
order, order on hold) is a result shown on the station's page, not an error of the call.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from server.auth.service import hash_badge, mask_badge
from server.barcodes import BarcodeError, normalise, parse_scan
from server.commands import Actor, CommandContext, write_audit
from server.config import Settings, StationSettings
from server.dock import service as dock
from server.dock.identity import masked_tail
from server.error_codes import ERR
from server.errors import DomainError, Forbidden, NotFound
from server.outbound import packing
from server.outbound.orders import find_order_by_scan, order_view
from server.outbound.schemas import PackComplete, PackedParcel, PackScan
from server.outbound.weighing import expected_weight
from server.stations.agent_link import agent_state
from server.stations.schemas import (
    AgentState,
    LastParcel,
    StationScanRecord,
    StationUser,
    StationView,
    StationWorker,
)

STATION_ROLES = {
    "pack_bench": frozenset({"packer", "supervisor", "admin"}),
    "printer_station": frozenset({"packer", "supervisor", "admin"}),
    "dock_door": frozenset({"dock", "supervisor", "admin"}),
}
"""Who may work at each kind of station."""


class StationScan(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: str
    scanner: str = ""
    symbology: str = ""
    scanned_at: str = ""


def station_settings(settings: Settings, name: str) -> StationSettings:
    for station in settings.stations:
        if station.name == name:
            return station
    raise ERR.STATION_UNKNOWN({"station": name, "known": [s.name for s in settings.stations]})


def check_caller(actor: Actor, station: StationSettings) -> None:
    """A station token acts for its own station only; users by their roles."""
    if actor.kind == "station" and actor.code != station.name:
        raise ERR.STATION_MISMATCH({"token_station": actor.code, "station": station.name})


# -- scans -------------------------------------------------------------------------------


def record_scan(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    station: StationSettings,
    scan: StationScan,
) -> StationScanRecord:
    """Route one scan to what is open at the station and record it with its outcome."""
    check_caller(ctx.actor, station)
    ctx.audit_target = f"station:{station.name}"
    state = _state(conn, station.name, ctx.at)
    worker = _worker(conn, ctx, station, state)
    conn.execute("SAVEPOINT station_scan")
    attempt = _Attempt(_action_for(station))
    try:
        action, effect = _route(conn, ctx, settings, station, scan, worker, state, attempt)
    except DomainError as err:
        conn.execute("ROLLBACK TO station_scan")
        conn.execute("RELEASE station_scan")
        if err.code == ERR.LOT_CONFIRMATION_REQUIRED.code:  # the item is right: its lot label next
            _set_state(conn, station.name, ctx.at, lot_wanted_for=scan.code)
        action = attempt.action
        outcome, code, message = "refused", err.code, err.message
        effect = {"details": err.details}
        write_audit(
            conn,
            worker or ctx.actor,
            f"station.{action}",
            target=f"station:{station.name}",
            outcome="refused",
            code=err.code,
            details={"scanned": _as_recorded(action, scan.code)[:200], "key": ctx.key},
        )
    else:
        conn.execute("RELEASE station_scan")
        outcome, code, message = "ok", "", effect.pop("message", "")
    user = _state(conn, station.name, ctx.at)["user_code"]
    scan_id = conn.execute(
        "INSERT INTO station_scans (station, scan_key, scanner, code, symbology, scanned_at, "
        "received_at, user_code, action, outcome, error_code, message, effect) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            station.name,
            ctx.key,
            scan.scanner,
            _as_recorded(action, scan.code),
            scan.symbology,
            scan.scanned_at or ctx.at,
            ctx.at,
            user,
            action,
            outcome,
            code,
            message,
            msgspec.json.encode(effect).decode(),
        ),
    ).fetchone()[0]
    return _scan_view(
        conn.execute("SELECT * FROM station_scans WHERE id = ?", (scan_id,)).fetchone()
    )


def _as_recorded(action: str, code: str) -> str:
    """A scan as the feed, the stored answer and the audit log keep it: anyone at the
    station can read the feed, so a badge (a credential) and a driver's ID number only
    by their ending."""
    if action == "sign_in":
        return mask_badge(code)
    return masked_tail(code) if action == "driver_id" else code


def _action_for(station: StationSettings) -> str:
    return {"pack_bench": "pack_scan", "printer_station": "lookup", "dock_door": "load"}[
        station.kind
    ]


@dataclass
class _Attempt:
    """What a scan was taken for, so that a refused one says what it tried."""

    action: str


def _route(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    station: StationSettings,
    scan: StationScan,
    worker: Actor | None,
    state: sqlite3.Row,
    attempt: _Attempt,
) -> tuple[str, dict[str, Any]]:
    _, text = normalise(scan.code, settings.scan.gs_placeholder)
    badge = conn.execute(
        "SELECT code, name, roles, active FROM users WHERE badge_hash = ?", (hash_badge(text),)
    ).fetchone()
    if badge is not None:
        attempt.action = "sign_in"
        return "sign_in", _sign_in(conn, ctx, settings, station, badge)
    if station.kind == "printer_station":
        return "lookup", parcel_labels(conn, text)
    if worker is None:
        raise ERR.STATION_NO_USER({"station": station.name})
    work = CommandContext(actor=worker, key=ctx.key, at=ctx.at)
    if station.kind == "dock_door":
        return _at_the_door(conn, work, settings, station, text, attempt)
    try:
        order = find_order_by_scan(conn, scan.code, settings.scan.gs_placeholder)
    except NotFound:
        order = None
    if order is not None:
        attempt.action = "open"
        view = packing.open_for_packing(conn, settings, order["order_no"])
        _set_state(conn, station.name, ctx.at, order_id=order["id"])
        return "open", {"message": f"order {view.order_no} is open", "order": view}
    if state["order_id"] is None:
        raise ERR.NO_ORDER_OPEN({"scanned": text})
    item, lot = scan.code, None
    if state["lot_wanted_for"] and not _is_item(scan.code, settings):
        item, lot = state["lot_wanted_for"], scan.code  # the lot label of the waiting item
    packed = packing.pack_scan(
        conn, work, settings, state["order_id"], PackScan(scan=item, station=station.name, lot=lot)
    )
    _set_state(conn, station.name, ctx.at, lot_wanted_for="")
    message = f"{packed.sku} {packed.packed}/{packed.ordered}"
    if packed.complete:
        message += ": every item is scanned, weigh the parcel"
    return "pack_scan", {"message": message, **msgspec.structs.asdict(packed)}


def _is_item(code: str, settings: Settings) -> bool:
    """A scan naming an item by GTIN (EAN, UPC, GS1 with AI 01), not a lot label."""
    try:
        return bool(parse_scan(code, settings.scan.gs_placeholder).gtin)
    except BarcodeError:
        return True  # let the pack scan say what is wrong with it


def _at_the_door(
    conn: sqlite3.Connection,
    work: CommandContext,
    settings: Settings,
    station: StationSettings,
    text: str,
    attempt: _Attempt,
) -> tuple[str, dict[str, Any]]:
    """At a dock door: a plate (or list number) opens the truck's list; then the driver's
    ID number verifies the driver, the seal number confirms the seal, and every other scan
    is a parcel's face sheet."""
    list_id = dock.list_at_door(conn, station.name)
    if list_id is None:
        attempt.action = "open_list"
        opened = dock.open_at_door(conn, work, settings, text, station.name)
        return "open_list", {
            "message": f"list {opened.list_no} ({opened.plate}) is open",
            "list": opened,
        }
    loading = dock.list_row(conn, list_id)
    is_parcel = conn.execute(
        "SELECT 1 FROM parcels WHERE waybill_no = ?", (text.removeprefix("PCL-"),)
    ).fetchone()
    if not is_parcel and _ID_NUMBER.match(text.upper()):
        attempt.action = "driver_id"
        view = dock.verify_driver_id(conn, work, settings, list_id, text)
        return "driver_id", {"message": "the driver's ID number matches", "list": view}
    if not is_parcel and text.strip() and text.upper() == loading["seal_no"].upper():
        attempt.action = "seal"
        view = dock.confirm_seal(conn, work, settings, list_id, text)
        return "seal", {"message": f"seal {text} confirmed", "list": view}
    attempt.action = "load"
    loaded = dock.load_scan(conn, work, settings, list_id, text)
    return "load", msgspec.to_builtins(loaded)


_ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")


def _sign_in(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    station: StationSettings,
    user: sqlite3.Row,
) -> dict[str, Any]:
    roles = frozenset(user["roles"].split(","))
    if not user["active"]:
        raise ERR.USER_DISABLED()
    if roles & set(settings.auth.badge_pin_roles):
        # A fixed scanner has no PIN pad: a manager takes a station from its page, logged in.
        raise ERR.BADGE_NEEDS_PIN.answered_as(Forbidden, {"station": station.name})
    if not roles & STATION_ROLES[station.kind]:
        raise ERR.ROLE_NOT_ALLOWED(
            {"needs": sorted(STATION_ROLES[station.kind]), "have": sorted(roles)}
        )
    _set_state(conn, station.name, ctx.at, user_code=user["code"])
    return {"message": f"{user['name']} is signed in", "user": user["code"], "name": user["name"]}


def _worker(
    conn: sqlite3.Connection, ctx: CommandContext, station: StationSettings, state: sqlite3.Row
) -> Actor | None:
    """Whose work a scan is: the user at the browser, or the one signed in at the station."""
    device = f"station:{station.name}"
    if ctx.actor.kind == "user":
        if not ctx.actor.roles & STATION_ROLES[station.kind]:
            raise ERR.ROLE_NOT_ALLOWED({"needs": sorted(STATION_ROLES[station.kind])})
        if state["user_code"] != ctx.actor.code:
            _set_state(conn, station.name, ctx.at, user_code=ctx.actor.code)
        return Actor(kind="user", code=ctx.actor.code, roles=ctx.actor.roles, device=device)
    if state["user_code"] is None:
        return None
    row = conn.execute(
        "SELECT roles, active FROM users WHERE code = ?", (state["user_code"],)
    ).fetchone()
    if row is None or not row["active"]:
        return None
    return Actor(
        kind="user",
        code=state["user_code"],
        roles=frozenset(row["roles"].split(",")),
        device=device,
    )


def parcel_labels(conn: sqlite3.Connection, text: str) -> dict[str, Any]:
    """The printer station's lookup: a parcel's face sheets, the original and its copies."""
    parcel = conn.execute(
        "SELECT p.id, p.waybill_no, o.order_no, o.state FROM parcels p "
        "JOIN orders o ON o.id = p.order_id WHERE p.waybill_no = ? OR o.order_no = ? "
        "OR ? = 'PCL-' || p.waybill_no ORDER BY p.id LIMIT 1",
        (text, text, text),
    ).fetchone()
    if parcel is None:
        raise ERR.PARCEL_NOT_FOUND({"scanned": text})
    jobs = conn.execute(
        "SELECT id, printer, status, copy_of, reason, created_by, created_at, done_at, "
        "last_error FROM print_jobs WHERE parcel_id = ? ORDER BY id",
        (parcel["id"],),
    ).fetchall()
    return {
        "message": f"{parcel['waybill_no']}: {len(jobs)} label(s)",
        "waybill_no": parcel["waybill_no"],
        "order_no": parcel["order_no"],
        "order_state": parcel["state"],
        "jobs": [dict(j) for j in jobs],
    }


# -- the station's own state -------------------------------------------------------------


def _state(conn: sqlite3.Connection, station: str, at: str) -> sqlite3.Row:
    conn.execute(
        "INSERT INTO station_state (station, updated_at) VALUES (?, ?) "
        "ON CONFLICT (station) DO NOTHING",
        (station, at),
    )
    row: sqlite3.Row = conn.execute(
        "SELECT * FROM station_state WHERE station = ?", (station,)
    ).fetchone()
    return row


_UNSET: Any = object()


def _set_state(
    conn: sqlite3.Connection,
    station: str,
    at: str,
    *,
    user_code: str | None = _UNSET,
    order_id: int | None = _UNSET,
    lot_wanted_for: str = _UNSET,
) -> None:
    _state(conn, station, at)
    if user_code is not _UNSET:
        conn.execute(
            "UPDATE station_state SET user_code = ?, updated_at = ? WHERE station = ?",
            (user_code, at, station),
        )
    if order_id is not _UNSET:  # another order (or none): no item waits for its lot
        conn.execute(
            "UPDATE station_state SET order_id = ?, lot_wanted_for = '', updated_at = ? "
            "WHERE station = ?",
            (order_id, at, station),
        )
    if lot_wanted_for is not _UNSET:
        conn.execute(
            "UPDATE station_state SET lot_wanted_for = ?, updated_at = ? WHERE station = ?",
            (lot_wanted_for, at, station),
        )


def sign_in(
    conn: sqlite3.Connection, ctx: CommandContext, station: StationSettings
) -> StationWorker:
    """The user at the station's page takes the station."""
    state = _state(conn, station.name, ctx.at)
    _worker(conn, ctx, station, state)
    ctx.audit_target = f"station:{station.name}"
    return StationWorker(station=station.name, user=ctx.actor.code)


def sign_out(
    conn: sqlite3.Connection, ctx: CommandContext, station: StationSettings
) -> StationWorker:
    _set_state(conn, station.name, ctx.at, user_code=None, order_id=None)
    ctx.audit_target = f"station:{station.name}"
    return StationWorker(station=station.name, user=None)


def complete_at_bench(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    station: StationSettings,
    *,
    weight_g: int,
    parcel_count: int,
    day: str,
    order_no: str | None = None,
    weight_confirmed: bool = False,
) -> PackedParcel:
    """Weigh and make the parcel of the order open at the bench (the one named, when the
    caller names it: a late retry never packs whatever happens to be open by then)."""
    if station.kind != "pack_bench":
        raise ERR.STATION_NOT_PACK_BENCH(station=station.name)
    state = _state(conn, station.name, ctx.at)
    worker = _worker(conn, ctx, station, state)
    if state["order_id"] is None or worker is None:
        raise ERR.NO_ORDER_OPEN({"station": station.name})
    open_no = conn.execute(
        "SELECT order_no FROM orders WHERE id = ?", (state["order_id"],)
    ).fetchone()[0]
    if order_no is not None and open_no != order_no:
        raise ERR.ORDER_NOT_OPEN_HERE(
            {"order_no": order_no, "open": open_no, "station": station.name}
        )
    work = CommandContext(actor=worker, key=ctx.key, at=ctx.at)
    # A refusal is audited against the order too: a weight warning here counts as given
    # when the packer confirms next.
    ctx.audit_target = f"order:{open_no}"
    parcel = packing.complete_pack(
        conn,
        work,
        settings,
        state["order_id"],
        PackComplete(
            weight_g=weight_g,
            station=station.name,
            parcel_count=parcel_count,
            weight_confirmed=weight_confirmed,
        ),
        day=day,
    )
    ctx.audit_target = work.audit_target
    _set_state(conn, station.name, ctx.at, order_id=None)
    return parcel


# -- what the station's page shows ------------------------------------------------------


def station_view(conn: sqlite3.Connection, settings: Settings, name: str) -> StationView:
    station = station_settings(settings, name)
    row = conn.execute("SELECT * FROM station_state WHERE station = ?", (name,)).fetchone()
    state = dict(row) if row else {}
    user = None
    if state.get("user_code"):
        found = conn.execute(
            "SELECT code, name FROM users WHERE code = ?", (state["user_code"],)
        ).fetchone()
        user = StationUser(code=state["user_code"], name=found["name"] if found else "")
    order = order_view(conn, state["order_id"]) if state.get("order_id") else None
    last_parcel = conn.execute(
        "SELECT p.waybill_no, o.order_no, p.weight_g, p.packed_at, p.packed_by FROM parcels p "
        "JOIN orders o ON o.id = p.order_id WHERE p.station = ? ORDER BY p.id DESC LIMIT 1",
        (name,),
    ).fetchone()
    last = conn.execute("SELECT MAX(id) FROM station_scans WHERE station = ?", (name,)).fetchone()[
        0
    ]
    return StationView(
        name=station.name,
        kind=station.kind,
        printers=station.printers,
        scanners=station.scanners,
        scales=station.scales,
        user=user,
        order=order,
        expected_weight=expected_weight(conn, settings.outbound, order.id) if order else None,
        last_parcel=LastParcel(**dict(last_parcel)) if last_parcel else None,
        last_scan_id=last or 0,
        agent=AgentState(
            state=agent_state(state.get("agent_seen_at")),
            seen_at=state.get("agent_seen_at"),
            version=state.get("agent_version", ""),
            devices=msgspec.json.decode(state.get("devices") or "{}"),
        ),
    )


def list_stations(conn: sqlite3.Connection, settings: Settings) -> list[StationView]:
    return [station_view(conn, settings, s.name) for s in settings.stations]


def scan_feed(
    conn: sqlite3.Connection, settings: Settings, name: str, *, after: int, limit: int
) -> list[StationScanRecord]:
    """The station's scans after `after`, oldest first; with `after` 0, the newest `limit`."""
    station_settings(settings, name)
    if after:
        rows = conn.execute(
            "SELECT * FROM station_scans WHERE station = ? AND id > ? ORDER BY id LIMIT ?",
            (name, after, limit),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT * FROM (SELECT * FROM station_scans WHERE station = ? ORDER BY id DESC "
            "LIMIT ?) ORDER BY id",
            (name, limit),
        ).fetchall()
    return [_scan_view(r) for r in rows]


def _scan_view(row: sqlite3.Row) -> StationScanRecord:
    return msgspec.convert(
        {**dict(row), "effect": msgspec.json.decode(row["effect"])}, StationScanRecord
    )
