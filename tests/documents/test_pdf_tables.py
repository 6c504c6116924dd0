"""The documents' tables: headings on every page, rows no taller than their text needs,
cells wrapped at a space or between Chinese characters, everything read back."""

from __future__ import annotations

from server.documents.handover import PARCEL_COLUMNS
from server.documents.pdf import CELL_PAD_X, A4Document, Column, Label
from server.documents.receipt import LOT_COLUMNS, TALLY_COLUMNS
from tests.documents.reading import read_pdf

COLUMNS = (
    Column(Label("序号", "No"), 7, "RIGHT"),
    Column(Label("品名", "Description"), 30),
    Column(Label("数量", "Quantity"), 11, "RIGHT"),
)


def document() -> A4Document:
    return A4Document(
        site="前海保税仓",
        title=Label("进仓单", "Warehouse receipt"),
        reference="ASN-T-1",
        printed_at="2026-11-23T09:45:00.000+00:00",
        timezone="Asia/Shanghai",
    )


def test_a_long_table_repeats_its_headings_and_fits_at_least_50_one_line_rows_a_page() -> None:
    pdf = document()
    rows = [[str(n), f"洁面乳 200g 批{n}", f"{n:,}"] for n in range(1, 301)]
    pdf.lines_table(COLUMNS, rows, [("合计 Total", 2), ("45,150", 1)])
    doc = read_pdf(pdf.to_bytes())
    # 300 rows of one line: 6 pages at 4.8 mm a row (8 at the 5.8 mm rows of fpdf2's table).
    assert doc.pages <= 6
    assert doc.text.count("序号No品名Description数量Quantity") == doc.pages
    positions = doc.order(*(f"{n}洁面乳200g批{n}{n:,}" for n in range(1, 301)))
    assert positions == sorted(positions)
    assert doc.has("合计Total45,150")


def test_a_cell_wraps_at_a_space_else_between_chinese_characters_within_its_width() -> None:
    pdf = document()
    pdf.set_font("cjk", "", 8.5)
    width = 30.0
    spaced = "婴儿配方奶粉 3段 800g 进口 批次 20261123 外箱破损 少两件"
    unspaced = "婴儿配方奶粉三段八百克进口批次外箱破损少两件请复核后签收"
    for text in (spaced, unspaced):
        lines = pdf._wrap(text, width)
        assert len(lines) > 1, text
        assert all(pdf.get_string_width(line) <= width for line in lines), lines
    assert " ".join(pdf._wrap(spaced, width)) == spaced
    assert "".join(pdf._wrap(unspaced, width)) == unspaced
    assert pdf._wrap("第一行\nsecond", width) == ["第一行", "second"]


def test_no_heading_of_the_receipts_and_the_handover_breaks_inside_a_word() -> None:
    pdf = document()
    pdf.set_font("cjk", "", 8)
    for columns in (TALLY_COLUMNS, LOT_COLUMNS, PARCEL_COLUMNS):
        scale = pdf.epw / sum(c.width for c in columns)
        for column in columns:
            room = column.width * scale - 2 * CELL_PAD_X
            for word in column.label.stacked().split():
                assert pdf.get_string_width(word) <= room, (column.label, word)
