"""The tally record (理货单) and the warehouse receipt (进仓单) of a delivery plan as PDF: the
same facts as handheld_web/receipt.html. The receipt puts the received lots with their
customs record numbers first, since that is what goes back to the customer and into the
customs book; the tally record leads with the count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

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
    signed,
)
from server.inbound.schemas import ReceiptDocument

DocKind = Literal["tally", "receipt"]


@dataclass(frozen=True)
class _Kind:
    title: Label
    file_prefix: str
    signatures: tuple[Label, ...]
    lots_first: bool


CARRIER_OR_DRIVER = Label("承运人/司机", "Carrier / driver")
KINDS: dict[DocKind, _Kind] = {
    "tally": _Kind(
        Label("理货单", "Tally record"),
        "tally",
        (Label("理货员", "Tally clerk"), Label("复核", "Checked by"), CARRIER_OR_DRIVER),
        lots_first=False,
    ),
    "receipt": _Kind(
        Label("进仓单", "Warehouse receipt"),
        "receipt",
        (
            Label("仓库（签章）", "Warehouse (stamp)"),
            Label("货主代表", "Customer"),
            CARRIER_OR_DRIVER,
        ),
        lots_first=True,
    ),
}

MODES = {"sea": Label("海运", "Sea"), "land": Label("陆运", "Land"), "air": Label("空运", "Air")}
REASONS = {
    "short": Label("短少", "Short"),
    "over": Label("超收", "Over"),
    "damaged": Label("残损", "Damaged"),
    "wrong_item": Label("错货", "Wrong item"),
}
CONDITIONS = {
    "good": Label("良品", "Good"),
    "damaged": Label("残损", "Damaged"),
    "quarantine": Label("隔离", "Quarantine"),
}

_Fact = tuple[Label, Callable[[dict[str, Any]], str]]


def _joined(*keys: str, sep: str) -> Callable[[dict[str, Any]], str]:
    return lambda t: sep.join(str(t[k]) for k in keys if t.get(k))


def _field(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda t: str(t.get(key) or "")


# Transport facts worth printing, per mode, in the order a clerk reads them (as the page).
CONTRACT = (Label("合同号", "Contract no"), _field("contract_no"))
CONTAINER = (Label("集装箱号", "Container no"), _field("container_no"))
PORTS = (
    Label("起运港/目的港", "Ports"),
    _joined("port_of_loading", "port_of_discharge", sep=" → "),
)
CARRIER = (Label("承运人", "Carrier"), _field("carrier"))
TRANSPORT_FACTS: dict[str, tuple[_Fact, ...]] = {
    "sea": (
        CONTRACT,
        CONTAINER,
        (Label("船名/航次", "Vessel / voyage"), _joined("vessel", "voyage", sep=" / ")),
        (Label("提单号", "Bill of lading"), _field("bill_of_lading")),
        PORTS,
        CARRIER,
    ),
    "land": (
        CONTRACT,
        (Label("车牌", "Truck plate"), _field("truck_plate")),
        (Label("港澳车牌", "HK/Macau plate"), _field("second_plate")),
        CONTAINER,
        (Label("司机", "Driver"), _field("driver")),
        CARRIER,
    ),
    "air": (
        CONTRACT,
        (Label("航班", "Flight"), _field("flight")),
        (Label("空运单号", "Air waybill"), _field("air_waybill")),
        PORTS,
        (Label("货代", "Forwarder"), _field("forwarder")),
    ),
}

# The count columns are as wide as their longest heading word ("Difference", 13.5 mm at
# 8 pt, plus padding), so no heading breaks inside a word.
TALLY_COLUMNS = (
    NUMBER_COLUMN,
    Column(Label("商品编码", "SKU"), 16),
    Column(Label("品名", "Description"), 30),
    Column(Label("批次", "Lot"), 13),
    Column(Label("应收", "Expected"), 12.5, "RIGHT"),
    Column(Label("实收", "Counted"), 12.5, "RIGHT"),
    Column(Label("残损", "Damaged"), 12.5, "RIGHT"),
    Column(Label("差异", "Difference"), 12.5, "RIGHT"),
    Column(Label("原因", "Reason"), 13),
    Column(Label("备注", "Note"), 17),
)
LOT_COLUMNS = (
    NUMBER_COLUMN,
    Column(Label("商品编码", "SKU"), 18),
    Column(Label("品名", "Description"), 30),
    Column(Label("海关备案号", "Customs record no"), 20),
    Column(Label("批次", "Lot"), 14),
    Column(Label("效期", "Expiry"), 15),
    Column(Label("状态", "Condition"), 14),
    Column(Label("库位", "Location"), 14),
    Column(Label("数量", "Quantity"), 11, "RIGHT"),
)


def receipt_pdf(
    document: ReceiptDocument,
    kind: DocKind,
    *,
    site: str,
    customs_book_no: str,
    printed_at: str,
    timezone: str,
    font: str = "",
) -> bytes:
    """The tally record or the warehouse receipt of one plan, A4. A plan not closed yet
    prints as a draft (only the tally record is asked for then)."""
    spec = KINDS[kind]
    plan = document.plan
    pdf = A4Document(
        site=site,
        title=spec.title,
        reference=plan.plan_no,
        printed_at=printed_at,
        timezone=timezone,
        font=font,
    )
    if plan.status != "closed":
        pdf.notice(Label("收货未关闭：本单为草稿", "Receipt not closed: draft"))
    pdf.facts(_facts(document, customs_book_no, timezone))
    sections = [_tally_lines, _received_lots]
    for draw in reversed(sections) if spec.lots_first else sections:
        draw(pdf, document)
    received_by = ", ".join(document.received_by) or DASH
    pdf.text_line(f"{Label('收货人', 'Received by').inline()}: {received_by}")
    pdf.signatures(spec.signatures)
    return pdf.to_bytes()


def receipt_pdf_path(plan_id: int, kind: DocKind = "receipt") -> str:
    """Where the server answers this PDF; the receipt event to the OMS carries it."""
    return f"/api/v1/plans/{plan_id}/{kind}.pdf"


def download_header(kind: DocKind, plan_no: str) -> str:
    spec = KINDS[kind]
    return content_disposition(spec.file_prefix, spec.title, plan_no)


def _facts(
    document: ReceiptDocument, customs_book_no: str, timezone: str
) -> list[tuple[Label, str]]:
    plan = document.plan
    transport = msgspec.to_builtins(plan.transport)
    pairs: list[tuple[Label, str]] = [
        (Label("货主", "Customer"), f"{plan.customer_name} ({plan.customer})"),
        (Label("账册号", "Customs book no"), customs_book_no),
        (Label("计划号", "Plan no"), plan.plan_no),
        (Label("运输方式", "Transport"), MODES[plan.transport_mode].inline()),
    ]
    # Empty transport facts are left out; the core facts show a dash so a blank is visible.
    for label, value in TRANSPORT_FACTS[plan.transport_mode]:
        if value(transport):
            pairs.append((label, value(transport)))
    if plan.expected_arrival:
        pairs.append((Label("预计到货", "Expected"), plan.expected_arrival))
    pairs += [
        (Label("到货核对", "Arrival checked"), plan.arrival_ref),
        (Label("封条号", "Seal no"), plan.seal_no),
    ]
    if plan.dock:
        pairs.append((Label("月台", "Dock"), plan.dock))
    pairs += [
        (Label("到货时间", "Arrived at"), local_time(plan.arrived_at, timezone)),
        (Label("关闭时间", "Closed at"), local_time(plan.closed_at, timezone)),
    ]
    if plan.arrival_override:
        pairs.append((Label("主管放行", "Override"), plan.arrival_override))
    return pairs


def _tally_lines(pdf: A4Document, document: ReceiptDocument) -> None:
    lines = document.tally
    pdf.section(Label("理货明细", "Tally lines"))
    rows = numbered(
        [
            line.sku,
            line.sku_name,
            line.lot or DASH,
            f"{line.expected:,}",
            f"{line.counted:,}",
            f"{line.damaged:,}",
            signed(line.difference),
            REASONS[line.reason].inline() if line.reason in REASONS else "",
            line.note,
        ]
        for line in lines
    )
    totals = [
        (TOTAL, 4),
        (f"{sum(line.expected for line in lines):,}", 1),
        (f"{sum(line.counted for line in lines):,}", 1),
        (f"{sum(line.damaged for line in lines):,}", 1),
        (signed(sum(line.difference for line in lines)), 1),
        ("", 2),
    ]
    pdf.lines_table(TALLY_COLUMNS, rows, totals)


def _received_lots(pdf: A4Document, document: ReceiptDocument) -> None:
    lots = document.received_lots
    pdf.section(Label("入库批次", "Received lots"))
    rows = numbered(
        [
            lot.sku,
            lot.sku_name,
            lot.customs_record_no or DASH,
            lot.lot or DASH,
            lot.expiry or DASH,
            CONDITIONS[lot.condition].inline(),
            lot.location,
            f"{lot.quantity:,}",
        ]
        for lot in lots
    )
    pdf.lines_table(LOT_COLUMNS, rows, [(TOTAL, 8), (f"{sum(lot.quantity for lot in lots):,}", 1)])
