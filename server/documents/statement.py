"""A customer's stored statement of a month as PDF: the same content as
handheld_web/statement.html — customer, period, version and state, every line (day, charge,
quantity in its unit, rate, amount), the subtotals by category, the charges, the minimum
top-up, the credits and the total, in yuan with two decimals from the stored integer fen."""

from __future__ import annotations

from server.billing.charges import CATEGORY_NAMES, UNIT_NAMES, Names, charge_type
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


def _named(names: Names | None, code: str) -> str:
    """Both names, Chinese above English (server/billing/charges.py keeps them); an unknown
    code as itself."""
    return Label(*names).stacked() if names else code


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
        kind = charge_type(line.charge_code)
        charge = _named(kind.names, line.charge_code)
        rows.append(
            [
                line.day,
                f"{charge}: {line.note}" if line.note else charge,
                quantity(line.quantity, kind.scale),
                _named(UNIT_NAMES.get(line.unit), line.unit),
                yuan(line.rate_fen),
                yuan(line.amount_fen),
            ]
        )
    pdf.lines_table(
        LINE_COLUMNS, [[str(line.line_no), *row] for line, row in zip(st.lines, rows, strict=True)]
    )
    pdf.section(Label("分类小计", "Subtotals by category"))
    subtotals = [
        [_named(CATEGORY_NAMES.get(sub.category), sub.category), yuan(sub.amount_fen)]
        for sub in st.subtotals
    ]
    summary = [
        [Label("费用合计", "Charges").inline(), yuan(st.charges_fen)],
        [Label("补足月最低消费", "Minimum top-up").inline(), yuan(st.minimum_fen)],
        [Label("争议退款", "Credits").inline(), yuan(-st.credits_fen)],
    ]
    total = [(Label("应付总额", "Total due").inline(), 1), (yuan(st.total_fen), 1)]
    pdf.lines_table(SUBTOTAL_COLUMNS, [*subtotals, *summary], total)
    return pdf.to_bytes()
