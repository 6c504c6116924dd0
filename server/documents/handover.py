"""The handover record (交接单) of a departed truck as PDF: the same facts as
handheld_web/handover.html — who took which parcels out of the bonded zone, the truck, its
driver and seal, every parcel loaded (and only those), the totals, and signatures of the
warehouse, the driver and the carrier."""

from __future__ import annotations

from server.dock.schemas import HandoverRecord
from server.documents.pdf import (
    DASH,
    NUMBER_COLUMN,
    TOTAL,
    A4Document,
    Column,
    Label,
    content_disposition,
    local_time,
    numbered,
)

TITLE = Label("交接单", "Handover record")
FILE_PREFIX = "handover"
SIGNATURES = (
    Label("仓库（签章）", "Warehouse (stamp)"),
    Label("司机", "Driver"),
    Label("承运商", "Carrier"),
)
PARCEL_COLUMNS = (
    NUMBER_COLUMN,
    Column(Label("运单号", "Waybill"), 24),
    Column(Label("订单号", "Order"), 24),
    Column(Label("快递", "Courier"), 11),
    Column(Label("重量（kg）", "Weight (kg)"), 12, "RIGHT"),
    Column(Label("件数", "Pieces"), 9, "RIGHT"),
    Column(Label("装车时间", "Loaded at"), 17),
    Column(Label("装车人", "Loaded by"), 12),
)


def handover_pdf_path(list_id: int) -> str:
    """Where the server answers this PDF; the departure event to the OMS carries it."""
    return f"/api/v1/loading-lists/{list_id}/handover.pdf"


def download_header(record: HandoverRecord) -> str:
    return content_disposition(FILE_PREFIX, TITLE, record.handover_no or record.list_no)


def kg(grams: int) -> str:
    return f"{grams / 1000:.2f}"


def handover_pdf(
    record: HandoverRecord, *, printed_at: str, timezone: str, font: str = ""
) -> bytes:
    """The handover record of one departed loading list, A4."""
    reference = record.handover_no or record.list_no
    pdf = A4Document(
        site=record.site.name,
        title=TITLE,
        reference=reference,
        printed_at=printed_at,
        timezone=timezone,
        font=font,
    )
    pdf.facts(
        [
            (Label("交接单号", "Handover no"), record.handover_no or ""),
            (Label("装车单号", "Loading list no"), record.list_no),
            (Label("车牌", "Truck plate"), record.plate),
            (Label("港澳车牌", "HK/Macau plate"), record.second_plate),
            (Label("司机", "Driver"), record.driver_name),
            (Label("司机身份证号", "Driver's ID number"), record.driver_id),
            (Label("司机电话", "Driver's phone"), record.driver_phone),
            (Label("封条号", "Seal no"), record.seal_no),
            (Label("承运人", "Carrier"), record.carrier),
            (Label("装车口", "Dock door"), record.door or ""),
            (Label("发车时间", "Departed at"), local_time(record.departed_at, timezone)),
            (Label("放行人", "Released by"), record.departed_by or ""),
        ]
    )
    pdf.section(Label("包裹明细", "Parcels"))
    rows = numbered(
        [
            p.waybill_no,
            p.order_no,
            p.courier,
            kg(p.weight_g),
            f"{p.parcel_count:,}",
            local_time(p.loaded_at, timezone),
            p.loaded_by or DASH,
        ]
        for p in record.parcels
    )
    expected = f"{Label('预计重量', 'Expected weight').inline()} {kg(record.expected_weight_g)} kg"
    totals = [
        (TOTAL, 4),
        (kg(record.loaded_weight_g), 1),
        (f"{record.parcel_count:,}", 1),
        (expected, 2),
    ]
    pdf.lines_table(PARCEL_COLUMNS, rows, totals)
    pdf.signatures(SIGNATURES)
    return pdf.to_bytes()
