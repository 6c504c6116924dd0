"""Dock check-out: loading lists (装载清单) verified against the truck, the driver and every
parcel before goods leave the bonded zone.

A list names a truck (plate, and an HK/Macau plate on a cross-border truck), its driver
(name, ID number, phone), the seal, the carrier and the parcels planned on it. At the
door the list is opened by its plate, the driver is verified (ID number and name), the
seal confirmed, and every parcel's face sheet scanned. A parcel loads only if it is on
this list, released (800), not cancelled or held, and not loaded already (a second scan
is a notice, never a second count). The truck departs only when the loaded set equals
the list and plate, driver and seal are confirmed; departure ships the parcels' stock out
of the ledger, writes the handover record (交接单) and the events for the OMS, and freezes
the list (database triggers refuse any later change, and an incomplete departure).
"""

from __future__ import annotations

import sqlite3
import zoneinfo
from datetime import datetime
from typing import Any

import msgspec

from devices.handover_slip import mask_id, mask_phone
from server import clock
from server.barcodes import normalise
from server.commands import CommandContext, append_event
from server.config import Settings
from server.dock import identity
from server.dock.schemas import (
    Departed,
    DepartureBlocker,
    HandedOverParcel,
    HandoverRecord,
    ListCounts,
    ListProgress,
    LoadAnswer,
    LoadingListIn,
    LoadWeight,
    MissingParcel,
    ParcelToPullOff,
    QueuedSlip,
    RemovedParcel,
    Site,
)
from server.documents.handover import handover_pdf_path
from server.error_codes import ERR, ErrorCode
from server.errors import InvalidInput, NotFound
from server.ledger.service import move_contents
from server.outbound import customs
from server.outbound.orders import set_state
from server.outbound.parcels import set_parcel_status
from server.printing.jobs import queue_label
from server.sync.contract import (
    DoorReleased,
    LoadingListCreated,
    LoadingListDeparted,
    OrderLoaded,
    OrderShipped,
    ParcelRemoved,
)

HOLDS_SQL = ", ".join(str(c) for c in sorted(customs.HOLD_CODES))
INTERCEPTED_SQL = (
    "(lp.loaded_at IS NOT NULL AND ((o.cancelled_at IS NOT NULL AND o.cancelled_at > lp.loaded_at)"
    " OR EXISTS (SELECT 1 FROM customs_statuses cs WHERE cs.order_id = o.id"
    f" AND cs.received_at > lp.loaded_at AND (cs.code < 0 OR cs.code IN ({HOLDS_SQL})))))"
)
"""A loaded parcel whose order was held or cancelled after it was loaded: it was to come
off the truck (customs may have inspected it meanwhile), so it counts as loaded again only
when scanned again, once released. (SQL over `lp` loading_list_parcels and `o` orders.)"""

LISTED = 200
"""Missing parcels listed by name in a view (all are counted): a big truck's list stays light."""


# -- lists -------------------------------------------------------------------------------


def create_list(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, req: LoadingListIn
) -> ListProgress:
    """A loading list from named waybills or from a courier's packed parcels; every
    problem is reported at once and nothing is made unless there are none."""
    problems: list[dict[str, Any]] = []

    def check(field: str, fn: Any, value: str) -> str:
        try:
            return str(fn(value))
        except InvalidInput as err:
            problems.append(
                {"field": field, "code": err.code, "message": err.message, **err.details}
            )
            return value

    plate = check("plate", identity.check_plate, req.plate)
    second_plate = check("second_plate", identity.check_second_plate, req.second_plate)
    driver_id = check("driver_id", identity.check_driver_id, req.driver_id)
    phone = check("driver_phone", identity.check_phone, req.driver_phone)
    for field, value in (("driver_name", req.driver_name), ("seal_no", req.seal_no)):
        if not value.strip():
            problems.append({"field": field, "code": "REQUIRED", "message": f"{field} is empty"})
    if not req.waybills and not req.courier and not req.lane:
        problems.append(
            {
                "field": "waybills",
                "code": ERR.LIST_EMPTY.code,
                "message": "name waybills, a courier or an outbound lane",
            }
        )
    parcels = _planned_parcels(conn, req, problems, settings.site.bonded)
    list_no = req.list_no or _next_list_no(conn, settings)
    if conn.execute("SELECT 1 FROM loading_lists WHERE list_no = ?", (list_no,)).fetchone():
        problems.append(
            {"field": "list_no", "code": ERR.LIST_EXISTS.code, "message": f"list {list_no} exists"}
        )
    if problems:
        raise ERR.LOADING_LIST_INVALID({"problems": problems}, count=len(problems))
    planned_weight = sum(p["weight_g"] for p in parcels)
    list_id = conn.execute(
        "INSERT INTO loading_lists (list_no, plate, second_plate, driver_name, driver_id, "
        "driver_phone, seal_no, carrier, expected_weight_g, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            list_no,
            plate,
            second_plate,
            req.driver_name.strip(),
            driver_id,
            phone,
            req.seal_no.strip(),
            req.carrier,
            req.expected_weight_g if req.expected_weight_g is not None else planned_weight,
            ctx.actor.label,
            ctx.at,
        ),
    ).fetchone()[0]
    conn.executemany(
        "INSERT INTO loading_list_parcels (list_id, parcel_id, position) VALUES (?, ?, ?)",
        [(list_id, p["id"], n) for n, p in enumerate(parcels, 1)],
    )
    ctx.audit_target = f"loading-list:{list_no}"
    append_event(
        conn,
        ctx,
        "loading_list.created",
        LoadingListCreated(
            list_no=list_no, plate=plate, waybills=[p["waybill_no"] for p in parcels]
        ),
    )
    return progress(conn, settings, list_id)


def _planned_parcels(
    conn: sqlite3.Connection, req: LoadingListIn, problems: list[dict[str, Any]], bonded: bool
) -> list[sqlite3.Row]:
    base = (
        "SELECT p.id, p.waybill_no, p.weight_g, o.order_no, o.state, o.customs_status, "
        "o.cancelled_at, (SELECT l.list_no FROM loading_list_parcels lp "
        "JOIN loading_lists l ON l.id = lp.list_id WHERE lp.parcel_id = p.id "
        "AND lp.removed_at IS NULL) AS other_list "
        "FROM parcels p JOIN orders o ON o.id = p.order_id "
    )
    if req.waybills:
        rows = []
        for waybill in dict.fromkeys(w.strip() for w in req.waybills):
            row = conn.execute(base + "WHERE p.waybill_no = ?", (waybill,)).fetchone()
            if row is None:
                problems.append(
                    {
                        "field": "waybills",
                        "code": ERR.WAYBILL_UNKNOWN.code,
                        "waybill": waybill,
                        "message": f"no parcel with waybill {waybill}",
                    }
                )
            else:
                rows.append(row)
    elif req.courier or req.lane:
        rows = conn.execute(
            base + "LEFT JOIN locations lane ON lane.id = p.lane_location_id "
            "WHERE o.state = 'packed' AND (? IS NULL OR o.courier = ?) "
            "AND (? IS NULL OR lane.code = ?) ORDER BY p.id",
            (req.courier, req.courier, req.lane, req.lane),
        ).fetchall()
        rows = [r for r in rows if r["other_list"] is None and _release_problem(r, bonded) is None]
        if not rows:
            what = " in ".join(x for x in (req.courier, req.lane) if x)
            problems.append(
                {
                    "field": "courier" if req.courier else "lane",
                    "code": ERR.LIST_EMPTY.code,
                    "message": f"no packed parcels {what} wait for a truck",
                }
            )
    else:
        rows = []
    for row in rows:
        reason = _parcel_problem(row, bonded)
        if reason is not None:
            problems.append(
                {
                    "field": "waybills",
                    "code": reason.code,
                    "waybill": row["waybill_no"],
                    "message": reason.message(
                        {
                            "waybill_no": row["waybill_no"],
                            "other_list_no": row["other_list"],
                            "customs_status": row["customs_status"],
                        }
                    ),
                }
            )
    return rows


def _parcel_problem(row: sqlite3.Row, bonded: bool) -> ErrorCode | None:
    if row["other_list"] is not None:
        return ERR.PARCEL_OTHER_LIST
    problem = _release_problem(row, bonded)
    if problem is None and row["state"] != "packed":
        return ERR.PARCEL_NOT_PACKED
    return problem


def _release_problem(row: sqlite3.Row, bonded: bool) -> ErrorCode | None:
    """Why a parcel must not leave: cancelled, held or under inspection, not released, or
    intercepted after loading and not scanned back on since."""
    if row["state"] == "cancelled" or row["cancelled_at"]:
        return ERR.PARCEL_CANCELLED
    if customs.is_hold(row["customs_status"]) or not customs.may_ship(
        row["customs_status"], bonded=bonded
    ):
        return ERR.PARCEL_ON_HOLD
    if "intercepted" in row.keys() and row["intercepted"]:  # noqa: SIM118 (a Row: keys)
        return ERR.PARCEL_INTERCEPTED
    return None


def _next_list_no(conn: sqlite3.Connection, settings: Settings) -> str:
    """LL<site date>-NNNN, the first number of the day still free."""
    day = clock.today(settings.site.timezone).strftime("%Y%m%d")
    n = conn.execute(
        "SELECT COUNT(*) FROM loading_lists WHERE list_no LIKE ?", (f"LL{day}-%",)
    ).fetchone()[0]
    while True:
        n += 1
        candidate = f"LL{day}-{n:04d}"
        if not conn.execute(
            "SELECT 1 FROM loading_lists WHERE list_no = ?", (candidate,)
        ).fetchone():
            return candidate


def list_row(conn: sqlite3.Connection, list_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM loading_lists WHERE id = ?", (list_id,)
    ).fetchone()
    if row is None:
        raise ERR.LIST_NOT_FOUND(list=list_id)
    return row


def _not_departed(row: sqlite3.Row) -> None:
    if row["state"] == "departed":
        raise ERR.LIST_DEPARTED({"list_no": row["list_no"]})


def _loading(row: sqlite3.Row) -> None:
    _not_departed(row)
    if row["state"] != "loading":
        raise ERR.LIST_NOT_OPEN({"list_no": row["list_no"]})


# -- at the door ---------------------------------------------------------------------------


def open_at_door(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    scanned: str,
    door: str,
    *,
    list_no: str = "",
) -> ListProgress:
    """The truck is at the door: its plate (or the list number) opens its list here; with
    `list_no`, the plate chosen on that list's card (a truck may have two lists)."""
    if not any(s.name == door and s.kind == "dock_door" for s in settings.stations):
        raise ERR.DOOR_UNKNOWN(
            {
                "door": door,
                "known": [s.name for s in settings.stations if s.kind == "dock_door"],
            }
        )
    _, text = normalise(scanned, settings.scan.gs_placeholder)
    text = text.strip()
    plate = identity.normalise_plate(text)
    if not plate:
        raise ERR.PLATE_INVALID(
            {"field": "scan", "value": scanned, "rule": "empty"},
            problem="scan or type the truck's plate or the list number",
        )
    by_plate = "(plate = ? OR (second_plate != '' AND second_plate = ?)) AS by_plate"
    if list_no:
        rows = conn.execute(
            f"SELECT *, {by_plate} FROM loading_lists WHERE list_no = ?", (plate, plate, list_no)
        ).fetchall()
    else:
        rows = conn.execute(
            f"SELECT *, {by_plate} FROM loading_lists WHERE list_no = ? OR plate = ? OR "
            "(second_plate != '' AND second_plate = ?) ORDER BY state = 'departed', id DESC",
            (plate, plate, text, plate, plate),
        ).fetchall()
    if not rows:
        raise ERR.LIST_NOT_FOUND({"scanned": text}, list=text)
    row = rows[0]
    _not_departed(row)
    busy = conn.execute(
        "SELECT list_no FROM loading_lists WHERE door = ? AND state = 'loading' AND id != ?",
        (door, row["id"]),
    ).fetchone()
    if busy is not None:
        raise ERR.DOOR_BUSY({"door": door, "list_no": busy["list_no"]})
    if row["state"] == "loading" and row["door"] not in (None, door):
        raise ERR.LIST_AT_OTHER_DOOR({"door": row["door"], "list_no": row["list_no"]})
    # Opened by its number, the list still waits for the truck's plate to be checked.
    conn.execute(
        "UPDATE loading_lists SET state = 'loading', door = ?, "
        "plate_confirmed_at = COALESCE(plate_confirmed_at, ?) WHERE id = ?",
        (door, ctx.at if row["by_plate"] else None, row["id"]),
    )
    ctx.audit_target = f"loading-list:{row['list_no']}"
    return progress(conn, settings, row["id"])


def verify_driver_id(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, list_id: int, number: str
) -> ListProgress:
    row = list_row(conn, list_id)
    _loading(row)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    given = identity.check_driver_id(number)
    if given != row["driver_id"]:
        raise ERR.DRIVER_MISMATCH({"list_no": row["list_no"], "scanned_ends": given[-4:]})
    conn.execute(
        "UPDATE loading_lists SET driver_id_verified_at = ?, driver_verified_by = ? WHERE id = ?",
        (ctx.at, ctx.actor.code, list_id),
    )
    return progress(conn, settings, list_id)


def confirm_driver_name(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, list_id: int, name: str
) -> ListProgress:
    """The dock worker confirms the driver in front of them is the one named on the list."""
    row = list_row(conn, list_id)
    _loading(row)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    if not name.strip() or name.strip() != row["driver_name"]:
        raise ERR.DRIVER_NAME_MISMATCH({"list_no": row["list_no"]})
    conn.execute(
        "UPDATE loading_lists SET driver_name_confirmed_at = ? WHERE id = ?", (ctx.at, list_id)
    )
    return progress(conn, settings, list_id)


def confirm_seal(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, list_id: int, seal: str
) -> ListProgress:
    row = list_row(conn, list_id)
    _loading(row)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    if not seal.strip() or seal.strip().upper() != row["seal_no"].upper():
        raise ERR.SEAL_MISMATCH({"list_no": row["list_no"], "scanned": seal})
    conn.execute("UPDATE loading_lists SET seal_confirmed_at = ? WHERE id = ?", (ctx.at, list_id))
    return progress(conn, settings, list_id)


def load_scan(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, list_id: int, scanned: str
) -> LoadAnswer:
    """A parcel's face sheet scanned onto the truck."""
    row = list_row(conn, list_id)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    _loading(row)
    if row["driver_id_verified_at"] is None or row["driver_name_confirmed_at"] is None:
        raise ERR.DRIVER_NOT_VERIFIED({"list_no": row["list_no"]})
    waybill = _waybill(scanned, settings)
    parcel = conn.execute(
        "SELECT p.id, p.waybill_no, p.weight_g, o.id AS order_id, o.order_no, o.state, "
        "o.customs_status, o.cancelled_at FROM parcels p JOIN orders o ON o.id = p.order_id "
        "WHERE p.waybill_no = ?",
        (waybill,),
    ).fetchone()
    if parcel is None:
        raise ERR.WAYBILL_UNKNOWN({"scanned": waybill})
    entry = conn.execute(
        f"SELECT lp.*, {INTERCEPTED_SQL} AS intercepted FROM loading_list_parcels lp "
        "JOIN parcels p ON p.id = lp.parcel_id JOIN orders o ON o.id = p.order_id "
        "WHERE lp.list_id = ? AND lp.parcel_id = ?",
        (list_id, parcel["id"]),
    ).fetchone()
    if entry is None or entry["removed_at"] is not None:
        other = conn.execute(
            "SELECT l.list_no, l.plate FROM loading_list_parcels lp JOIN loading_lists l "
            "ON l.id = lp.list_id WHERE lp.parcel_id = ? AND lp.removed_at IS NULL",
            (parcel["id"],),
        ).fetchone()
        details = {"waybill_no": waybill, "list_no": row["list_no"]}
        if other is not None:
            raise ERR.PARCEL_OTHER_LIST(
                {
                    **details,
                    "other_list_no": other["list_no"],
                    "other_plate": other["plate"],
                },
            )
        if entry is not None:
            raise ERR.PARCEL_REMOVED(details, removed_reason=entry["removed_reason"])
        raise ERR.PARCEL_NOT_ON_LIST(details)
    problem = _release_problem(parcel, settings.site.bonded)
    if problem is not None:
        raise problem(
            {
                "waybill_no": waybill,
                "order_no": parcel["order_no"],
                "customs_status": parcel["customs_status"],
            }
        )
    if entry["loaded_at"] is not None and not entry["intercepted"]:
        return LoadAnswer(
            outcome="duplicate",
            notice=ERR.ALREADY_LOADED.code,
            message=f"{waybill} is loaded already (not counted again)",
            waybill_no=waybill,
            summary=summary(conn, settings, list_id),
        )
    conn.execute(
        "UPDATE loading_list_parcels SET loaded_at = ?, loaded_by = ?, loaded_device = ? "
        "WHERE list_id = ? AND parcel_id = ?",
        (ctx.at, ctx.actor.code, ctx.actor.device, list_id, parcel["id"]),
    )
    set_parcel_status(conn, parcel["id"], "loaded")
    order = conn.execute("SELECT * FROM orders WHERE id = ?", (parcel["order_id"],)).fetchone()
    set_state(conn, ctx, order, "loaded")
    append_event(
        conn,
        ctx,
        "order.loaded",
        OrderLoaded(
            order_no=parcel["order_no"],
            waybill_no=waybill,
            list_no=row["list_no"],
            plate=row["plate"],
        ),
    )
    return LoadAnswer(
        outcome="loaded",
        message=f"{waybill} loaded",
        waybill_no=waybill,
        summary=summary(conn, settings, list_id),
    )


def _waybill(scanned: str, settings: Settings) -> str:
    _, text = normalise(scanned, settings.scan.gs_placeholder)
    return text.removeprefix("PCL-")


def _stated(reason: str) -> None:
    """A supervisor's reason is read later in the audit: blanks say nothing."""
    if not reason.strip():
        raise ERR.REASON_REQUIRED()


def remove_parcel(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    list_id: int,
    waybill: str,
    reason: str,
) -> ListProgress:
    """A supervisor takes a parcel off the list (it goes back to the outbound lane)."""
    _stated(reason)
    row = list_row(conn, list_id)
    _not_departed(row)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    entry = conn.execute(
        "SELECT lp.*, p.order_id, p.waybill_no FROM loading_list_parcels lp "
        "JOIN parcels p ON p.id = lp.parcel_id WHERE lp.list_id = ? AND p.waybill_no = ? "
        "AND lp.removed_at IS NULL",
        (list_id, waybill),
    ).fetchone()
    if entry is None:
        raise ERR.PARCEL_NOT_ON_LIST.answered_as(
            NotFound, {"waybill_no": waybill, "list_no": row["list_no"]}
        )
    conn.execute(
        "UPDATE loading_list_parcels SET removed_at = ?, removed_by = ?, removed_reason = ? "
        "WHERE list_id = ? AND parcel_id = ?",
        (ctx.at, ctx.actor.code, reason, list_id, entry["parcel_id"]),
    )
    # The truck leaves lighter by that parcel: the weight check must not warn about it.
    conn.execute(
        "UPDATE loading_lists SET expected_weight_g = MAX(0, expected_weight_g - "
        "(SELECT weight_g FROM parcels WHERE id = ?)) WHERE id = ?",
        (entry["parcel_id"], list_id),
    )
    order = conn.execute("SELECT * FROM orders WHERE id = ?", (entry["order_id"],)).fetchone()
    if entry["loaded_at"] is not None:
        set_parcel_status(conn, entry["parcel_id"], "packed", only_from="loaded")
        if order["state"] == "loaded":
            set_state(conn, ctx, order, "packed")
    append_event(
        conn,
        ctx,
        "loading_list.parcel_removed",
        ParcelRemoved(
            list_no=row["list_no"],
            waybill_no=waybill,
            order_no=order["order_no"],
            reason=reason,
            was_loaded=entry["loaded_at"] is not None,
        ),
    )
    return progress(conn, settings, list_id)


def release_door(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, list_id: int, reason: str
) -> ListProgress:
    """A supervisor frees the door of a list that is not leaving from it (the truck moved
    away, the list was emptied): the list waits again, with what is loaded on it, and its
    plate and driver are checked again wherever it is opened next."""
    _stated(reason)
    row = list_row(conn, list_id)
    _loading(row)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    conn.execute(
        "UPDATE loading_lists SET state = 'open', door = NULL, plate_confirmed_at = NULL, "
        "driver_id_verified_at = NULL, driver_name_confirmed_at = NULL, seal_confirmed_at = NULL "
        "WHERE id = ?",
        (list_id,),
    )
    append_event(
        conn,
        ctx,
        "loading_list.door_released",
        DoorReleased(list_no=row["list_no"], door=row["door"], reason=reason),
    )
    return progress(conn, settings, list_id)


# -- departure -------------------------------------------------------------------------


def departure_blockers(
    conn: sqlite3.Connection,
    row: sqlite3.Row,
    bonded: bool,
    parcels: list[sqlite3.Row] | None = None,
) -> list[dict[str, Any]]:
    """Everything that stops the truck leaving; empty when it may go."""
    reasons: list[dict[str, Any]] = []
    if row["state"] != "loading":
        reasons.append({"code": ERR.LIST_NOT_OPEN.code})
    if row["plate_confirmed_at"] is None:
        reasons.append({"code": ERR.PLATE_NOT_CONFIRMED.code})
    if row["driver_id_verified_at"] is None or row["driver_name_confirmed_at"] is None:
        reasons.append({"code": ERR.DRIVER_NOT_VERIFIED.code})
    if row["seal_confirmed_at"] is None:
        reasons.append({"code": ERR.SEAL_NOT_CONFIRMED.code})
    parcels = _list_parcels(conn, row["id"]) if parcels is None else parcels
    if not parcels:
        reasons.append({"code": ERR.LIST_EMPTY.code})
    missing = [p["waybill_no"] for p in parcels if p["loaded_at"] is None]
    if missing:
        reasons.append(
            {"code": ERR.PARCELS_MISSING.code, "count": len(missing), "waybills": missing[:LISTED]}
        )
    pull_off = [p["waybill_no"] for p in parcels if p["loaded_at"] and _release_problem(p, bonded)]
    if pull_off:
        reasons.append({"code": ERR.PARCELS_TO_PULL_OFF.code, "waybills": pull_off})
    return reasons


def depart(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, list_id: int
) -> Departed:
    row = list_row(conn, list_id)
    _not_departed(row)
    ctx.audit_target = f"loading-list:{row['list_no']}"
    reasons = departure_blockers(conn, row, settings.site.bonded)
    if reasons:
        raise ERR.DEPARTURE_BLOCKED({"list_no": row["list_no"], "reasons": reasons})
    parcels = _list_parcels(conn, list_id)
    handover_no = f"HO{row['id']:08d}"
    # The list departs first: the database lets a ship movement in only under a departed
    # list (migration 0018), so the goods leave the ledger with their truck and no other way.
    conn.execute(
        "UPDATE loading_lists SET state = 'departed', departed_at = ?, departed_by = ?, "
        "handover_no = ? WHERE id = ?",
        (ctx.at, ctx.actor.code, handover_no, list_id),
    )
    for parcel in parcels:
        move_contents(
            conn,
            ctx,
            kind="ship",
            from_location_id=parcel["location_id"],
            to_location_id=None,
            document=row["list_no"],
            flow="departure",
        )
        set_parcel_status(conn, parcel["parcel_id"], "shipped")
        order = conn.execute("SELECT * FROM orders WHERE id = ?", (parcel["order_id"],)).fetchone()
        set_state(conn, ctx, order, "shipped")
        append_event(
            conn,
            ctx,
            "order.shipped",
            OrderShipped(
                order_no=parcel["order_no"],
                waybill_no=parcel["waybill_no"],
                list_no=row["list_no"],
            ),
        )
    handed_over = handover(conn, settings, list_id)
    record = msgspec.to_builtins(handed_over)
    slip = _queue_handover_slip(conn, ctx, settings, row["door"], record)
    # The handover record less what only the floor's copy shows (site, door, who departed),
    # and where its PDF is.
    event = {**record, "pdf_path": handover_pdf_path(list_id)}
    append_event(conn, ctx, "loading_list.departed", msgspec.convert(event, LoadingListDeparted))
    return Departed(**msgspec.structs.asdict(handed_over), print_job=slip)


def _queue_handover_slip(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    door: str | None,
    record: dict[str, Any],
) -> QueuedSlip | None:
    """The driver's copy, on the door's printer when the door has one. The slip prints the
    driver's ID and phone masked; the job keeps them so, as the print queue is floor work."""
    station = next((s for s in settings.stations if s.name == door), None)
    if station is None or not station.printers:
        return None
    printer = station.printers[0]
    job_id = queue_label(conn, ctx, printer=printer, kind="handover", payload=masked_driver(record))
    return QueuedSlip(id=job_id, printer=printer, status="queued")


def masked_driver(record: dict[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "driver_id": mask_id(record["driver_id"]),
        "driver_phone": mask_phone(record["driver_phone"]),
    }


def _list_parcels(conn: sqlite3.Connection, list_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT lp.parcel_id, lp.loaded_at, lp.loaded_by, lp.loaded_device, lp.position, "
        "p.waybill_no, p.weight_g, p.parcel_count, p.location_id, o.id AS order_id, o.order_no, "
        f"o.state, o.customs_status, o.cancelled_at, o.courier, {INTERCEPTED_SQL} AS intercepted "
        "FROM loading_list_parcels lp "
        "JOIN parcels p ON p.id = lp.parcel_id JOIN orders o ON o.id = p.order_id "
        "WHERE lp.list_id = ? AND lp.removed_at IS NULL ORDER BY lp.position",
        (list_id,),
    ).fetchall()


# -- views -------------------------------------------------------------------------------


def progress(conn: sqlite3.Connection, settings: Settings, list_id: int) -> ListProgress:
    """The list as the door and its screen see it: what is loaded, missing, to pull off."""
    row = list_row(conn, list_id)
    parcels = _list_parcels(conn, list_id)
    loaded = [p for p in parcels if p["loaded_at"]]
    loaded_weight = sum(p["weight_g"] for p in loaded)
    expected = row["expected_weight_g"]
    tolerance = settings.dock.weight_tolerance_percent
    off_by = (loaded_weight - expected) * 100 / expected if expected else 0.0
    removed = conn.execute(
        "SELECT p.waybill_no, lp.removed_reason, lp.removed_by, lp.removed_at "
        "FROM loading_list_parcels lp JOIN parcels p ON p.id = lp.parcel_id "
        "WHERE lp.list_id = ? AND lp.removed_at IS NOT NULL ORDER BY lp.removed_at",
        (list_id,),
    ).fetchall()
    reasons = (
        departure_blockers(conn, row, settings.site.bonded, parcels)
        if row["state"] != "departed"
        else []
    )
    missing = [p for p in parcels if not p["loaded_at"]]
    return ListProgress(
        id=row["id"],
        list_no=row["list_no"],
        state=row["state"],
        door=row["door"],
        plate=row["plate"],
        second_plate=row["second_plate"],
        driver_name=row["driver_name"],
        driver_id=mask_id(row["driver_id"]),
        driver_phone=mask_phone(row["driver_phone"]),
        seal_no=row["seal_no"],
        carrier=row["carrier"],
        plate_confirmed=row["plate_confirmed_at"] is not None,
        driver_id_verified=row["driver_id_verified_at"] is not None,
        driver_name_confirmed=row["driver_name_confirmed_at"] is not None,
        seal_confirmed=row["seal_confirmed_at"] is not None,
        planned=len(parcels),
        loaded=len(loaded),
        missing_count=len(missing),
        missing=[
            MissingParcel(
                waybill_no=p["waybill_no"], order_no=p["order_no"], weight_g=p["weight_g"]
            )
            for p in missing[:LISTED]
        ],
        to_pull_off=[
            ParcelToPullOff(waybill_no=p["waybill_no"], order_no=p["order_no"], code=problem.code)
            for p in loaded
            if (problem := _release_problem(p, settings.site.bonded)) is not None
        ],
        removed=[RemovedParcel(**dict(r)) for r in removed],
        weight=LoadWeight(
            expected_g=expected,
            loaded_g=loaded_weight,
            planned_g=sum(p["weight_g"] for p in parcels),
            off_by_percent=round(off_by, 1),
            tolerance_percent=tolerance,
            warning=len(loaded) == len(parcels) and abs(off_by) > tolerance,
        ),
        can_depart=not reasons and row["state"] == "loading",
        blockers=[DepartureBlocker(**reason) for reason in reasons],
        departed_at=row["departed_at"],
        handover_no=row["handover_no"],
    )


def _site_time(settings: Settings, at: str) -> str:
    """A UTC time as the site's clock shows it, e.g. 2026-11-23 18:05 (Asia/Shanghai)."""
    local = datetime.fromisoformat(at).astimezone(zoneinfo.ZoneInfo(settings.site.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({settings.site.timezone})"


def summary(conn: sqlite3.Connection, settings: Settings, list_id: int) -> ListCounts:
    """What a scan's answer carries: the counts that change, from aggregates (a scan must
    not rebuild a 2,000-parcel view while it holds the site's one writer)."""
    row = list_row(conn, list_id)
    released = ",".join(str(c) for c in sorted(customs.RELEASED_CODES))
    held = (
        f"o.customs_status IS NULL OR o.customs_status NOT IN ({released})"
        if settings.site.bonded
        else f"o.customs_status < 0 OR o.customs_status IN ({HOLDS_SQL})"
    )
    counts = conn.execute(
        "SELECT COUNT(*), COUNT(lp.loaded_at), "
        "COALESCE(SUM(CASE WHEN lp.loaded_at IS NOT NULL THEN p.weight_g END), 0), "
        "COALESCE(SUM(lp.loaded_at IS NOT NULL AND (o.state = 'cancelled' "
        f"OR o.cancelled_at IS NOT NULL OR {held} OR {INTERCEPTED_SQL})), 0) "
        "FROM loading_list_parcels lp JOIN parcels p ON p.id = lp.parcel_id "
        "JOIN orders o ON o.id = p.order_id WHERE lp.list_id = ? AND lp.removed_at IS NULL",
        (list_id,),
    ).fetchone()
    planned, loaded, loaded_g, to_pull_off = counts
    confirmed = all(
        row[k] is not None
        for k in (
            "plate_confirmed_at",
            "driver_id_verified_at",
            "driver_name_confirmed_at",
            "seal_confirmed_at",
        )
    )
    return ListCounts(
        id=row["id"],
        list_no=row["list_no"],
        state=row["state"],
        planned=planned,
        loaded=loaded,
        missing_count=planned - loaded,
        to_pull_off_count=to_pull_off,
        loaded_g=loaded_g,
        expected_g=row["expected_weight_g"],
        can_depart=row["state"] == "loading"
        and confirmed
        and planned > 0
        and loaded == planned
        and to_pull_off == 0,
    )


def handover(conn: sqlite3.Connection, settings: Settings, list_id: int) -> HandoverRecord:
    """The handover record (交接单) of a departed truck: exactly the parcels loaded."""
    row = list_row(conn, list_id)
    if row["state"] != "departed":
        raise ERR.LIST_NOT_DEPARTED({"list_no": row["list_no"]})
    parcels = _list_parcels(conn, list_id)
    return HandoverRecord(
        site=Site(code=settings.site.code, name=settings.site.name),
        handover_no=row["handover_no"],
        list_no=row["list_no"],
        plate=row["plate"],
        second_plate=row["second_plate"],
        driver_name=row["driver_name"],
        driver_id=row["driver_id"],
        driver_phone=row["driver_phone"],
        seal_no=row["seal_no"],
        carrier=row["carrier"],
        door=row["door"],
        departed_at=row["departed_at"],
        departed_local=_site_time(settings, row["departed_at"]),
        departed_by=row["departed_by"],
        parcels=[
            HandedOverParcel(
                waybill_no=p["waybill_no"],
                order_no=p["order_no"],
                courier=p["courier"],
                weight_g=p["weight_g"],
                parcel_count=p["parcel_count"],
                loaded_at=p["loaded_at"],
                loaded_by=p["loaded_by"],
            )
            for p in parcels
        ],
        parcel_count=sum(p["parcel_count"] for p in parcels),
        loaded_weight_g=sum(p["weight_g"] for p in parcels),
        expected_weight_g=row["expected_weight_g"],
    )


def list_lists(
    conn: sqlite3.Connection, settings: Settings, *, state: str | None, limit: int
) -> list[ListProgress]:
    ids = conn.execute(
        "SELECT id FROM loading_lists WHERE (? IS NULL OR state = ?) ORDER BY id DESC LIMIT ?",
        (state, state, limit),
    ).fetchall()
    return [progress(conn, settings, r[0]) for r in ids]


def list_at_door(conn: sqlite3.Connection, door: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM loading_lists WHERE door = ? AND state = 'loading' ORDER BY id DESC",
        (door,),
    ).fetchone()
    return None if row is None else int(row[0])
