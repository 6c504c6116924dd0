"""A customer's stored statement of a month as PDF: the same content as
handheld_web/statement.html — customer, period, version and state, every line (day, charge,
quantity in its unit, rate, amount), the subtotals by category, the charges, the minimum
top-up, the credits and the total, in yuan with two decimals from the stored integer fen."""

from __future__ import annotations

from server.billing.charges import charge_type
from server.billing.schemas import Statement
from server.documents.pdf import A4Document, Column, Label, content_disposition

TITLE = Label("仓储费用对账单", "Statement of charges")
FILE_PREFIX = "statement"
SUPERSEDED = Label("已作废：本月已重新开账", "Superseded: the month was re-opened")
STATES = {
    "preview": Label("预览", "Preview"),
    "closed": Label("已结账", "Closed"),
    "superseded": Label("已作废（重新开账）", "Superseded (re-opened)"),
}
# The names the pages give (handheld_web/js/i18n.js `bill.*`), in both languages.
CATEGORIES = {
    "storage": Label("仓储", "Storage"),
    "inbound": Label("入库", "Inbound"),
    "putaway": Label("上架", "Put-away"),
    "outbound": Label("出库", "Outbound"),
    "exceptions": Label("异常处理", "Exceptions"),
    "services": Label("增值服务", "Value-added services"),
    "minimum": Label("月最低消费", "Monthly minimum"),
    "credit": Label("争议退款", "Credits"),
}
CHARGES = {
    "storage.location_day.storage": Label("库位日（存储位）", "Location-days, storage"),
    "storage.location_day.pick_face": Label("库位日（拣货位）", "Location-days, pick face"),
    "storage.location_day.quarantine": Label("库位日（隔离区）", "Location-days, quarantine"),
    "storage.location_day.inspection": Label("库位日（查验区）", "Location-days, inspection"),
    "storage.pallet_day": Label("托盘日", "Pallet-days"),
    "storage.m3_day": Label("立方米日", "Cubic-metre-days"),
    "inbound.unit": Label("入库件数", "Units received"),
    "inbound.carton": Label("入库箱/托（SSCC）", "Cartons received (SSCC)"),
    "inbound.plan": Label("入库单", "Delivery plans"),
    "putaway.unit": Label("上架件数", "Units put away"),
    "outbound.order": Label("出库订单", "Orders packed"),
    "outbound.line": Label("出库订单行", "Order lines packed"),
    "outbound.unit": Label("出库件数", "Units packed"),
    "outbound.face_sheet": Label("面单", "Face sheets"),
    "exception.reprint": Label("面单重打", "Face sheet reprints"),
    "exception.return_to_stock": Label("退回库存", "Returns to stock"),
    "exception.inspection": Label("送查验", "Orders to inspection"),
    "exception.cycle_count": Label("盘点", "Cycle counts"),
    "service.labelling": Label("贴标", "Labelling"),
    "service.kitting": Label("组套", "Kitting"),
    "service.photo": Label("拍照", "Photos"),
    "minimum.topup": Label("补足月最低消费", "Top-up to the monthly minimum"),
    "credit.disputed": Label("争议行退款", "Disputed line credited"),
}
UNITS = {
    "location-day": Label("库位·日", "location-day"),
    "pallet-day": Label("托·日", "pallet-day"),
    "m³-day": Label("立方米·日", "m³-day"),
    "unit": Label("件", "unit"),
    "carton": Label("箱", "carton"),
    "plan": Label("单", "plan"),
    "order": Label("单", "order"),
    "line": Label("行", "line"),
    "label": Label("张", "label"),
    "count": Label("次", "count"),
    "kit": Label("套", "kit"),
    "photo": Label("张", "photo"),
    "month": Label("月", "month"),
}
LINE_COLUMNS = (
    Column(Label("序号", "No"), 6, "RIGHT"),
    Column(Label("日期", "Day"), 13),
    Column(Label("费用项目", "Charge"), 30),
    Column(Label("数量", "Quantity"), 12, "RIGHT"),
    Column(Label("单位", "Unit"), 11),
    Column(Label("单价", "Rate"), 12, "RIGHT"),
    Column(Label("金额", "Amount"), 14, "RIGHT"),
)
SUBTOTAL_COLUMNS = (
    Column(Label("类别", "Category"), 60),
    Column(Label("金额", "Amount"), 40, "RIGHT"),
)


def yuan(fen: int) -> str:
    """12345 fen -> "¥123.45", in integers as js/money.js does it; a credit: "−¥12.00"."""
    sign = "−" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def quantity(value: int, scale: int) -> str:
    """A line's quantity in its charge's unit (m³-days are stored in mm³-days)."""
    return f"{value:,}" if scale == 1 else f"{value / scale:.3f}"


def _named(names: dict[str, Label], code: str) -> str:
    label = names.get(code)
    return label.stacked() if label else code


def download_header(statement: Statement) -> str:
    number = f"{statement.customer}-{statement.period}-v{statement.version}"
    return content_disposition(FILE_PREFIX, TITLE, number)


def statement_pdf(
    statement: Statement, *, site: str, printed_at: str, timezone: str, font: str = ""
) -> bytes:
    """One stored statement, A4."""
    st = statement
    pdf = A4Document(
        site=site,
        title=TITLE,
        reference=f"{st.customer} {st.period} v{st.version}",
        printed_at=printed_at,
        timezone=timezone,
        font=font,
    )
    if st.state == "superseded":
        pdf.notice(SUPERSEDED)
    pdf.facts(
        [
            (Label("货主", "Customer"), st.customer),
            (Label("账期", "Period"), st.period),
            (Label("版本", "Version"), f"v{st.version}"),
            (Label("状态", "State"), STATES[st.state].inline()),
        ]
    )
    pdf.section(Label("费用明细", "Charges"))
    rows = []
    for line in st.lines:
        charge = _named(CHARGES, line.charge_code)
        rows.append(
            [
                line.day,
                f"{charge}: {line.note}" if line.note else charge,
                quantity(line.quantity, charge_type(line.charge_code).scale),
                _named(UNITS, line.unit),
                yuan(line.rate_fen),
                yuan(line.amount_fen),
            ]
        )
    pdf.lines_table(
        LINE_COLUMNS, [[str(line.line_no), *row] for line, row in zip(st.lines, rows, strict=True)]
    )
    pdf.section(Label("分类小计", "Subtotals by category"))
    subtotals = [[_named(CATEGORIES, sub.category), yuan(sub.amount_fen)] for sub in st.subtotals]
    summary = [
        [Label("费用合计", "Charges").inline(), yuan(st.charges_fen)],
        [Label("补足月最低消费", "Minimum top-up").inline(), yuan(st.minimum_fen)],
        [Label("争议退款", "Credits").inline(), yuan(-st.credits_fen)],
    ]
    total = [(Label("应付总额", "Total due").inline(), 1), (yuan(st.total_fen), 1)]
    pdf.lines_table(SUBTOTAL_COLUMNS, [*subtotals, *summary], total)
    return pdf.to_bytes()
