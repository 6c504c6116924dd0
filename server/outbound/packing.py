"""Packing at a pack bench: open the order by its tote (or order or waybill number), scan
every item against the order lines, then weigh. The parcel carries the order's waybill
number, the picked stock moves from the tote onto it, and the face sheet is queued for
the bench's printer in the same transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from devices import facesheet
from server.barcodes import gtin_candidates, read_scan
from server.commands import CommandContext, append_event
from server.config import Settings, StationSettings
from server.error_codes import ERR, by_code
from server.errors import Unprocessable
from server.ledger.service import move_contents
from server.masterdata.service import add_parcel_location, sku_code
from server.outbound import customs
from server.outbound.label import face_sheet
from server.outbound.lots import confirm_lot
from server.outbound.orders import (
    find_order_by_scan,
    order_row,
    order_view,
    refuse_if_blocked,
    set_state,
)
from server.outbound.schemas import (
    FaceSheet,
    OrderLineView,
    PackComplete,
    PackedParcel,
    PackingOrder,
    PackScan,
    PackScanned,
    PrintJobQueued,
)
from server.outbound.weighing import (
    check_parcel_weight,
    expected_weight,
    record_confirmed_weight,
)
from server.printing.jobs import queue_label
from server.printing.layouts import face_sheet_layout
from server.sync.contract import OrderPacked, PackedItem


def open_for_packing(conn: sqlite3.Connection, settings: Settings, scanned: str) -> PackingOrder:
    """The order behind a scanned tote, order or waybill number, if it may be packed, with
    the weight its parcel should have."""
    order = find_order_by_scan(conn, scanned, settings.scan.gs_placeholder)
    _check_packable(order)
    view = order_view(conn, order["id"])
    return PackingOrder(
        **msgspec.structs.asdict(view), weight=expected_weight(conn, settings.outbound, view.id)
    )


def _check_packable(order: sqlite3.Row) -> None:
    refuse_if_blocked(order)
    if order["state"] in ("packed", "loaded", "shipped"):
        raise ERR.ORDER_ALREADY_PACKED({"order_no": order["order_no"]})
    if order["state"] != "picked":
        raise ERR.ORDER_NOT_PICKED({"order_no": order["order_no"], "state": order["state"]})


def pack_scan(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    order_id: int,
    req: PackScan,
) -> PackScanned:
    """One item into the parcel: it must be on the order and not one too many."""
    order = order_row(conn, order_id)
    ctx.audit_target = f"order:{order['order_no']}"
    _check_packable(order)
    pack_station(settings, req.station)
    scan = read_scan(req.scan, settings.scan.gs_placeholder)
    codes = gtin_candidates(scan.gtin) if scan.gtin else [scan.text]
    marks = ",".join("?" * len(codes))
    line = conn.execute(
        "SELECT s.id AS sku_id, s.code AS sku, s.lot_tracked, SUM(l.quantity) AS ordered "
        "FROM order_lines l "
        "JOIN skus s ON s.id = l.sku_id WHERE l.order_id = ? AND (s.code = ? OR s.id IN "
        f"(SELECT sku_id FROM sku_barcodes WHERE customer_id = ? AND barcode IN ({marks}))) "
        "GROUP BY s.id",
        (order_id, scan.text, order["customer_id"], *codes),
    ).fetchone()
    if line is None:
        raise ERR.ITEM_NOT_ON_ORDER(
            {"scanned": scan.gtin or scan.text, "order_no": order["order_no"]}
        )
    packed = _packed(conn, order_id, line["sku_id"])
    if packed + 1 > line["ordered"]:
        raise ERR.ITEM_OVER_PACKED(
            {"sku": line["sku"], "ordered": line["ordered"], "packed": packed}
        )
    lot = _confirmed_lot(conn, settings, order, line, scan.lot, req)
    if lot:
        in_tote = conn.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM balances WHERE location_id = ? AND sku_id = ? "
            "AND lot = ?",
            (order["tote_location_id"], line["sku_id"], lot),
        ).fetchone()[0]
        packed_lot = conn.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM pack_scans WHERE order_id = ? AND sku_id = ? "
            "AND lot = ?",
            (order_id, line["sku_id"], lot),
        ).fetchone()[0]
        if packed_lot + 1 > in_tote:
            raise ERR.LOT_MISMATCH({"sku": line["sku"], "lot": lot, "scanned": lot, "expected": ""})
    conn.execute(
        "INSERT INTO pack_scans (order_id, sku_id, lot, quantity, station, user_code, device, at, "
        "command_key) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
        (
            order_id,
            line["sku_id"],
            lot,
            req.station,
            ctx.actor.code,
            ctx.actor.device,
            ctx.at,
            ctx.key,
        ),
    )
    view = order_view(conn, order_id)
    return PackScanned(
        sku=line["sku"],
        packed=packed + 1,
        ordered=line["ordered"],
        complete=all(item["packed"] >= item["quantity"] for item in _by_sku(view.lines)),
        order=view,
    )


def _confirmed_lot(
    conn: sqlite3.Connection,
    settings: Settings,
    order: sqlite3.Row,
    line: sqlite3.Row,
    item_lot: str,
    req: PackScan,
) -> str:
    """The lot of the unit going into the parcel: for a lot-tracked SKU, confirmed among
    the lots in the tote still to be packed; otherwise what the scan carried."""
    if not line["lot_tracked"]:
        return item_lot
    open_lots = [
        r[0]
        for r in conn.execute(
            "SELECT b.lot FROM balances b WHERE b.location_id = ? AND b.sku_id = ? "
            "GROUP BY b.lot HAVING SUM(b.quantity) > (SELECT COALESCE(SUM(p.quantity), 0) "
            "FROM pack_scans p WHERE p.order_id = ? AND p.sku_id = b.sku_id AND p.lot = b.lot)",
            (order["tote_location_id"], line["sku_id"], order["id"]),
        )
    ]
    if not any(open_lots):
        return item_lot  # stock kept without a lot: nothing to confirm
    return confirm_lot(
        sku=line["sku"],
        item_lot=item_lot,
        lot_scan=req.lot,
        lot_choice=req.lot_choice,
        expected=open_lots,
        policy=settings.outbound.lot_confirmation,
        gs_placeholder=settings.scan.gs_placeholder,
    )


def _by_sku(lines: list[OrderLineView]) -> list[dict[str, Any]]:
    """Lines summed per SKU (an order may name one SKU on two lines)."""
    merged: dict[str, dict[str, Any]] = {}
    for line in lines:
        m = merged.setdefault(line.sku, {"sku": line.sku, "quantity": 0, "packed": 0})
        m["quantity"] += line.quantity
        m["packed"] = line.packed  # packed is already per SKU
    return list(merged.values())


def _packed(conn: sqlite3.Connection, order_id: int, sku_id: int) -> int:
    return int(
        conn.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM pack_scans WHERE order_id = ? AND sku_id = ?",
            (order_id, sku_id),
        ).fetchone()[0]
    )


def complete_pack(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    order_id: int,
    req: PackComplete,
    *,
    day: str,
) -> PackedParcel:
    """Make the parcel: every item scanned, customs released, weight in range."""
    order = order_row(conn, order_id)
    ctx.audit_target = f"order:{order['order_no']}"
    _check_packable(order)
    station = pack_station(settings, req.station)
    missing = [
        {"sku": item["sku"], "missing": item["quantity"] - item["packed"]}
        for item in _by_sku(order_view(conn, order_id).lines)
        if item["packed"] < item["quantity"]
    ]
    if missing:
        raise ERR.PACK_INCOMPLETE({"missing": missing})
    if not customs.may_ship(order["customs_status"], bonded=settings.site.bonded):
        raise ERR.PACK_NOT_RELEASED(
            {"order_no": order["order_no"], "customs_status": order["customs_status"]}
        )
    if req.weight_g > settings.outbound.max_parcel_weight_g:
        raise ERR.WEIGHT_OUT_OF_RANGE(
            {"weight_g": req.weight_g, "max": settings.outbound.max_parcel_weight_g}
        )
    expected = expected_weight(conn, settings.outbound, order_id)
    confirmed = check_parcel_weight(expected, req.weight_g, confirmed=req.weight_confirmed)
    lane_code = settings.outbound.courier_lanes.get(order["courier"], settings.outbound.parcel_lane)
    lane = conn.execute(
        "SELECT id FROM locations WHERE code = ? AND type = 'outbound_lane' AND active = 1",
        (lane_code,),
    ).fetchone()
    if lane is None:
        raise ERR.LANE_MISSING(lane_code=lane_code)
    # The view's recipient is masked already; masking a masked value leaves it as it is.
    label = face_sheet(
        msgspec.to_builtins(order_view(conn, order_id)),
        weight_g=req.weight_g,
        parcel_count=req.parcel_count,
        day=day,
    )
    printer = station.printers[0]
    check_label_prints(label, settings, printer)
    parcel_location = add_parcel_location(conn, order["waybill_no"])
    contents = move_contents(
        conn,
        ctx,
        kind="pack",
        from_location_id=order["tote_location_id"],
        to_location_id=parcel_location,
        document=order["order_no"],
        flow="pack",
    )
    parcel_id = conn.execute(
        "INSERT INTO parcels (order_id, waybill_no, location_id, lane_location_id, weight_g, "
        "parcel_count, station, packed_by, packed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (
            order_id,
            order["waybill_no"],
            parcel_location,
            lane["id"],
            req.weight_g,
            req.parcel_count,
            station.name,
            ctx.actor.code,
            ctx.at,
        ),
    ).fetchone()[0]
    job_id = queue_label(
        conn, ctx, printer=printer, kind="face_sheet", payload=label, parcel_id=parcel_id
    )
    # The tote is empty now: it is free for the next order.
    conn.execute("UPDATE orders SET tote_location_id = NULL WHERE id = ?", (order_id,))
    set_state(conn, ctx, order, "packed")
    if confirmed:
        record_confirmed_weight(
            conn,
            ctx,
            order_no=order["order_no"],
            station=station.name,
            weight_g=req.weight_g,
            expected=expected,
        )
    append_event(
        conn,
        ctx,
        "order.packed",
        OrderPacked(
            order_no=order["order_no"],
            waybill_no=order["waybill_no"],
            weight_g=req.weight_g,
            parcel_count=req.parcel_count,
            station=station.name,
            expected_weight_g=expected.expected_weight_g,
            weight_confirmed=confirmed,
            items=[
                PackedItem(
                    sku_id=r["sku_id"],
                    sku=sku_code(conn, r["sku_id"]),
                    lot=r["lot"],
                    expiry=r["expiry"],
                    quantity=r["quantity"],
                )
                for r in contents
            ],
        ),
    )
    return PackedParcel(
        order_no=order["order_no"],
        waybill_no=order["waybill_no"],
        weight_g=req.weight_g,
        lane=lane_code,
        print_job=PrintJobQueued(id=job_id, printer=printer, status="queued"),
        label=msgspec.convert(label, FaceSheet),
        weight_confirmed=confirmed,
    )


def check_label_prints(label: dict[str, Any], settings: Settings, printer_name: str) -> None:
    """Refuse at the bench a face sheet that could not be drawn, before any parcel exists."""
    printer = next((p for p in settings.printers if p.name == printer_name), None)
    if printer is None:
        raise ERR.PRINTER_UNKNOWN.answered_as(Unprocessable, {"printer": printer_name})
    if not printer.enabled:
        raise ERR.PRINTER_DISABLED({"printer": printer_name})
    try:
        facesheet.plan_face_sheet(
            label,
            width_mm=printer.label_width_mm,
            height_mm=printer.label_height_mm,
            dpi=printer.dpi,
            font=settings.printing.font,
            layout=face_sheet_layout(
                settings, printer, label.get("courier") if isinstance(label, dict) else None
            ),
        )
    except facesheet.LabelError as err:
        if err.code == ERR.FONT_NOT_FOUND.code:
            return  # the site's setup, not this parcel: the job fails visibly at the printer
        raise by_code(err.code)({"field": err.field}, problem=err.message) from err


def pack_station(settings: Settings, name: str) -> StationSettings:
    for station in settings.stations:
        if station.name == name and station.kind == "pack_bench":
            if not station.printers:
                raise ERR.STATION_HAS_NO_PRINTER({"station": name})
            return station
    raise ERR.STATION_UNKNOWN(
        {
            "station": name,
            "known": [s.name for s in settings.stations if s.kind == "pack_bench"],
        }
    )
