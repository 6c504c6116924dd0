"""Location labels and carton/pallet labels: which labels a request stands for, the SSCCs
the site hands out, and the print jobs that carry them (one command queues the batch, so
a retried request prints nothing twice).

An SSCC is the extension digit, the site's GS1 company prefix, a serial reference from
`sscc_serials` and the mod-10 check digit. The counter moves in the same transaction that
records each SSCC in `carton_labels` and queues its label: an SSCC is given once, ever.
"""

from __future__ import annotations

import sqlite3
from datetime import date

import msgspec

from devices.facesheet import LabelError
from devices.small_labels import (
    gs1_element_string,
    render_carton_label,
    render_location_label,
    sscc_check_digit,
)
from server.barcodes import check_gtin
from server.commands import CommandContext
from server.config import PrinterSettings, Settings
from server.error_codes import ERR
from server.labels.schemas import (
    CartonLabel,
    CartonLabelReprinted,
    CartonLabelReprintIn,
    CartonLabelsIn,
    CartonLabelsQueued,
    LabelLine,
    LabelPrinter,
    LocationLabelsIn,
    LocationLabelsQueued,
    PrintedCarton,
)
from server.masterdata.lookups import (
    LocationRow,
    location_by_code,
    locations_between,
    locations_in_zone,
    sku_by_id,
)
from server.printing.jobs import queue_label
from server.printing.service import list_printers, printer_settings

UNIT_LABELS = {"carton": "箱 CARTON", "pallet": "托 PALLET"}
_FIELD_OF_AI = {"02": "gtin", "17": "expiry", "37": "count", "10": "lot"}  # request fields


def _enabled_printer(settings: Settings, name: str) -> PrinterSettings:
    printer = printer_settings(settings, name)
    if not printer.enabled:
        raise ERR.PRINTER_DISABLED({"printer": name})
    return printer


def _within_batch(count: int, settings: Settings) -> None:
    most = settings.labels.batch_max
    if count > most:
        raise ERR.LABEL_BATCH_TOO_LARGE({"count": count, "most": most})


def _check_label_fits(
    settings: Settings, printer: PrinterSettings, kind: str, payload: dict[str, object]
) -> None:
    """Draw one label of the batch (the widest) before anything is queued or an SSCC is
    given: a label the printer's label cannot carry is refused here, not failed at the
    printer after the SSCCs are spent."""
    draw = render_carton_label if kind == "carton_label" else render_location_label
    try:
        draw(
            payload,
            width_mm=printer.label_width_mm,
            height_mm=printer.label_height_mm,
            dpi=printer.dpi,
            font=settings.printing.font,
        )
    except LabelError as err:
        if err.code == ERR.FONT_NOT_FOUND.code:
            return  # the site's setup, not this request: the job fails visibly at the printer
        raise ERR.LABEL_TOO_SMALL(
            {"printer": printer.name, "field": err.field or ""}, problem=err.message
        ) from err


# -- location labels ---------------------------------------------------------------------


def _chosen_locations(conn: sqlite3.Connection, req: LocationLabelsIn) -> list[LocationRow]:
    ways = [bool(req.zone), req.first is not None or req.last is not None, bool(req.codes)]
    if sum(ways) != 1:
        raise ERR.LABEL_LOCATIONS_UNCHOSEN()
    if req.zone:
        found = locations_in_zone(conn, req.zone)
        in_use = [loc for loc in found if loc.active]
        if not in_use:
            raise ERR.LABEL_ZONE_EMPTY({"zone": req.zone})
        return in_use
    if req.codes:
        chosen = [location_by_code(conn, c, active_only=False, any_case=True) for c in req.codes]
    else:
        if req.first is None or req.last is None:
            raise ERR.LABEL_LOCATIONS_UNCHOSEN()
        chosen = [loc for loc in locations_between(conn, req.first, req.last) if loc.active]
        if not chosen:
            raise ERR.LABEL_RANGE_EMPTY({"first": req.first, "last": req.last})
    for loc in chosen:
        if not loc.active:
            raise ERR.LOCATION_INACTIVE({"location": loc.code})
    return list({loc.id: loc for loc in chosen}.values())  # a code listed twice prints once


def print_location_labels(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, req: LocationLabelsIn
) -> LocationLabelsQueued:
    """One label per location, queued on the printer in the order they are listed."""
    printer = _enabled_printer(settings, req.printer)
    _within_batch(len(req.codes), settings)  # refused before looking them all up
    locations = _chosen_locations(conn, req)
    _within_batch(len(locations), settings)
    widest = max(locations, key=lambda loc: len(loc.code))
    _check_label_fits(
        settings,
        printer,
        "location_label",
        {"code": widest.code, "zone": widest.zone, "type": widest.type},
    )
    job_ids = [
        queue_label(
            conn,
            ctx,
            printer=printer.name,
            kind="location_label",
            payload={"code": loc.code, "zone": loc.zone, "type": loc.type},
        )
        for loc in locations
    ]
    ctx.audit_target = f"printer:{printer.name}"
    return LocationLabelsQueued(
        printer=printer.name,
        count=len(locations),
        codes=[loc.code for loc in locations],
        print_job_ids=job_ids,
    )


# -- SSCCs -------------------------------------------------------------------------------


def allocate_ssccs(conn: sqlite3.Connection, settings: Settings, count: int) -> list[str]:
    """`count` new SSCCs, never given before on this database."""
    prefix = settings.site.gs1_company_prefix
    if not prefix:
        raise ERR.SSCC_COMPANY_PREFIX_MISSING()
    serial_digits = 16 - len(prefix)  # 17 digits before the check: extension + prefix + serial
    row = conn.execute(
        "SELECT last_serial FROM sscc_serials WHERE company_prefix = ?", (prefix,)
    ).fetchone()
    serial = row[0] if row else 0
    most = 10**serial_digits - 1
    extension = str(settings.labels.sscc_extension_digit)
    out: list[str] = []
    while len(out) < count:
        serial += 1
        if serial > most:
            raise ERR.SSCC_SERIALS_USED_UP({"prefix": prefix})
        first17 = f"{extension}{prefix}{serial:0{serial_digits}d}"
        sscc = first17 + sscc_check_digit(first17)
        # A prefix that was corrected (6901234 to 69012340) has its own counter but makes
        # numbers the old prefix gave: step past those.
        if conn.execute("SELECT 1 FROM carton_labels WHERE sscc = ?", (sscc,)).fetchone() is None:
            out.append(sscc)
    conn.execute(
        "INSERT INTO sscc_serials (company_prefix, last_serial) VALUES (?, ?) "
        "ON CONFLICT (company_prefix) DO UPDATE SET last_serial = excluded.last_serial",
        (prefix, serial),
    )
    return out


# -- carton and pallet labels ------------------------------------------------------------


def _gtin_of_sku(conn: sqlite3.Connection, sku_id: int) -> str:
    """The SKU's first barcode that is a valid GTIN, as 14 digits; empty when none is."""
    for (code,) in conn.execute(
        "SELECT barcode FROM sku_barcodes WHERE sku_id = ? ORDER BY barcode", (sku_id,)
    ):
        if code.isdigit() and len(code) in (8, 12, 13, 14):
            try:
                return check_gtin(code).zfill(14)
            except ValueError:
                continue
    return ""


def _yymmdd(expiry: str) -> str:
    return date.fromisoformat(expiry).strftime("%y%m%d") if expiry else ""


def print_carton_labels(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    settings: Settings,
    plan_id: int,
    req: CartonLabelsIn,
) -> CartonLabelsQueued:
    """N carton (or pallet) labels for a line of an open plan, each with a new SSCC."""
    printer = _enabled_printer(settings, req.printer)
    _within_batch(req.labels, settings)
    plan = conn.execute(
        "SELECT id, plan_no, status FROM delivery_plans WHERE id = ?", (plan_id,)
    ).fetchone()
    if plan is None:
        raise ERR.PLAN_NOT_FOUND({"plan": plan_id})
    if plan["status"] == "closed":
        raise ERR.PLAN_CLOSED()
    line = conn.execute(
        "SELECT id, sku_id, lot, expiry FROM plan_lines WHERE plan_id = ? AND line_no = ?",
        (plan_id, req.line_no),
    ).fetchone()
    if line is None:
        raise ERR.PLAN_LINE_NOT_FOUND({"plan_no": plan["plan_no"], "line_no": req.line_no})
    sku = sku_by_id(conn, line["sku_id"])
    lot = req.lot or line["lot"]
    expiry = req.expiry or line["expiry"]
    gtin = _gtin_of_sku(conn, sku.id) if req.with_gtin else ""
    count = str(req.count) if req.count else ""
    elements = {"02": gtin, "17": _yymmdd(expiry), "37": count, "10": lot}
    try:
        gs1_element_string({"00": "0" * 18, **elements})  # refused here, not at the printer
    except LabelError as err:
        field = _FIELD_OF_AI.get(err.field or "", err.field or "")
        raise ERR.CARTON_LABEL_INVALID({"field": field}, problem=err.message) from err

    def payload_of(sscc: str) -> dict[str, object]:
        return {
            "sscc": sscc,
            "gtin": gtin,
            "count": count,
            "lot": lot,
            "expiry_yymmdd": elements["17"],
            "unit_label": UNIT_LABELS[req.unit],
            "plan_no": plan["plan_no"],
            "sku": sku.code,
            "name": sku.name,
        }

    _check_label_fits(settings, printer, "carton_label", payload_of("0" * 18))
    ssccs = allocate_ssccs(conn, settings, req.labels)
    labels = []
    for sscc in ssccs:
        payload = payload_of(sscc)
        job_id = queue_label(conn, ctx, printer=printer.name, kind="carton_label", payload=payload)
        conn.execute(
            "INSERT INTO carton_labels (sscc, plan_id, line_id, unit, count, gtin, lot, expiry, "
            "print_job_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sscc,
                plan_id,
                line["id"],
                req.unit,
                req.count or 0,
                gtin,
                lot,
                expiry,
                job_id,
                ctx.actor.label,
                ctx.at,
            ),
        )
        labels.append(CartonLabel(sscc=sscc, print_job_id=job_id))
    ctx.audit_target = f"plan:{plan['plan_no']}"
    return CartonLabelsQueued(
        printer=printer.name,
        plan_no=plan["plan_no"],
        line_no=req.line_no,
        sku=sku.code,
        unit=req.unit,
        count=req.count,
        gtin=gtin,
        lot=lot,
        expiry=expiry,
        labels=labels,
    )


def reprint_carton_label(
    conn: sqlite3.Connection, ctx: CommandContext, settings: Settings, req: CartonLabelReprintIn
) -> CartonLabelReprinted:
    """The same label again, same SSCC (a new SSCC would be a second carton), marked as a
    copy of the first print job, with its reason."""
    row = conn.execute(
        "SELECT c.print_job_id, j.printer, j.payload FROM carton_labels c "
        "JOIN print_jobs j ON j.id = c.print_job_id WHERE c.sscc = ?",
        (req.sscc,),
    ).fetchone()
    if row is None:
        raise ERR.CARTON_LABEL_NOT_FOUND({"sscc": req.sscc})
    printer = _enabled_printer(settings, req.printer or row["printer"])
    copies = conn.execute(
        "SELECT COUNT(*) FROM print_jobs WHERE copy_of = ?", (row["print_job_id"],)
    ).fetchone()[0]
    payload = {**msgspec.json.decode(row["payload"]), "copy": copies + 1}
    job_id = queue_label(
        conn,
        ctx,
        printer=printer.name,
        kind="carton_label",
        payload=payload,
        copy_of=row["print_job_id"],
        reason=req.reason,
    )
    ctx.audit_target = f"sscc:{req.sscc}"
    return CartonLabelReprinted(
        sscc=req.sscc,
        printer=printer.name,
        print_job_id=job_id,
        copy_of=row["print_job_id"],
        copy=copies + 1,
    )


def printed_carton(conn: sqlite3.Connection, plan_id: int, sscc: str) -> PrintedCarton | None:
    """The plan line a carton label printed here stands for, if it was printed for this plan."""
    row = conn.execute(
        "SELECT c.sscc, c.plan_id, c.line_id, l.sku_id, c.count, c.lot, c.expiry "
        "FROM carton_labels c JOIN plan_lines l ON l.id = c.line_id "
        "WHERE c.sscc = ? AND c.plan_id = ?",
        (sscc, plan_id),
    ).fetchone()
    if row is None:
        return None
    return PrintedCarton(
        sscc=row[0],
        plan_id=row[1],
        line_id=row[2],
        sku_id=row[3],
        count=row[4],
        lot=row[5],
        expiry=row[6],
    )


def label_printers(conn: sqlite3.Connection, settings: Settings) -> list[LabelPrinter]:
    """The enabled printers, for the label pages' choice."""
    return [
        LabelPrinter(
            name=p.name,
            via_station=p.via_station,
            label_mm=p.label_mm,
            location_label_mm=printer_settings(settings, p.name).small_label_mm or p.label_mm,
            state=p.state,
        )
        for p in list_printers(conn, settings)
        if p.enabled
    ]


def label_lines(conn: sqlite3.Connection, plan_id: int) -> list[LabelLine]:
    """The plan's lines with what a carton label of each would carry by default."""
    if conn.execute("SELECT 1 FROM delivery_plans WHERE id = ?", (plan_id,)).fetchone() is None:
        raise ERR.PLAN_NOT_FOUND({"plan": plan_id})
    rows = conn.execute(
        "SELECT l.id, l.line_no, l.sku_id, l.expected_qty, l.lot, l.expiry, "
        "(SELECT COUNT(*) FROM carton_labels c WHERE c.line_id = l.id) AS labelled "
        "FROM plan_lines l WHERE l.plan_id = ? ORDER BY l.line_no",
        (plan_id,),
    ).fetchall()
    out = []
    for row in rows:
        sku = sku_by_id(conn, row["sku_id"])
        out.append(
            LabelLine(
                line_no=row["line_no"],
                sku=sku.code,
                sku_name=sku.name,
                expected_qty=row["expected_qty"],
                lot=row["lot"],
                expiry=row["expiry"],
                gtin=_gtin_of_sku(conn, sku.id),
                labelled=row["labelled"],
            )
        )
    return out
