"""The A4 frame every floor document shares, on fpdf2: the site and the title on top, facts
as label/value pairs, tables whose headings repeat on each page, the signature boxes, and a
footer with the page count and the print time.

Labels are Chinese with English beside them, as a customs officer and a foreign driver both
read the same copy; values are printed as the floor recorded them.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace, TTFFont

from devices import facesheet
from server.error_codes import ERR

FONT = "cjk"
MARGIN_MM = 12
BODY_PT = 9
SMALL_PT = 7.5
GREY = (90, 90, 90)
HEADING_FILL = (232, 236, 241)
DASH = "—"
TABLE_PT = BODY_PT - 0.5
# A table line is 1.2 times its type (8.5 pt is 3.0 mm) and a cell's padding about half a
# line: legible, and a 500-line receipt takes a third fewer pages than at 4.2 + 2 x 0.8 mm.
LINE_HEIGHT_PER_PT = 1.2 * 25.4 / 72
CELL_PAD_X = 1.0
CELL_PAD_Y = 0.6


@dataclass(frozen=True)
class Label:
    """A label in both languages: `zh` first, `en` beside or under it."""

    zh: str
    en: str

    def inline(self) -> str:
        return f"{self.zh} {self.en}"

    def stacked(self) -> str:
        return f"{self.zh}\n{self.en}"


@dataclass(frozen=True)
class Column:
    label: Label
    width: float  # relative
    align: str = "LEFT"  # LEFT, RIGHT or CENTER


@dataclass
class _Row:
    """One table row to draw: each cell's text, width (mm) and alignment; `lines` is the
    text wrapped to the widths, set when its height is measured."""

    texts: list[str]
    widths: list[float]
    aligns: list[Align]
    size_pt: float
    shaded: bool
    lines: list[list[str]] = field(default_factory=list)

    @property
    def line_height(self) -> float:
        return self.size_pt * LINE_HEIGHT_PER_PT


# A lines table's first column numbers its rows (`numbered`); its totals row says so.
NUMBER_COLUMN = Column(Label("序号", "No"), 7, "RIGHT")
TOTAL = Label("合计", "Total").inline()


def numbered(rows: Iterable[list[str]]) -> list[list[str]]:
    """The rows under NUMBER_COLUMN: each one's number, from 1, before its cells."""
    return [[str(index), *row] for index, row in enumerate(rows, start=1)]


def local_time(at: str | None, timezone: str) -> str:
    """A stored UTC time on the site's clock, to the minute; a dash when there is none."""
    if not at:
        return DASH
    moment = datetime.fromisoformat(at).astimezone(zoneinfo.ZoneInfo(timezone))
    return f"{moment:%Y-%m-%d %H:%M}"


def signed(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}"


def content_disposition(prefix: str, title: Label, number: str) -> str:
    """A download named as the clerk says it, `进仓单-ASN-1.pdf` (RFC 6266 `filename*`),
    and `receipt-ASN-1.pdf` for a client that reads only the plain `filename`."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in number)
    plain = f"{prefix}-{safe or 'document'}.pdf"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(f'{title.zh}-{number}.pdf')}"


class A4Document(FPDF):
    """One document: `site` and `title` head every page, `reference` (its number) and the
    print time are in every footer. `font` is the labels' `printing.font` (empty: the
    system's); a missing one raises facesheet.LabelError FONT_NOT_FOUND."""

    def __init__(
        self,
        *,
        site: str,
        title: Label,
        reference: str,
        printed_at: str,
        timezone: str,
        font: str = "",
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.site = site
        self.doc_title = title
        self.reference = reference
        self.printed_local = local_time(printed_at, timezone)
        # One face, no bold: each embedded face costs about 0.4 s to parse and as long to
        # subset (bench/README.md); headings stand out by size and shading instead.
        try:
            (regular, index), _bold = facesheet.cjk_font_faces(font)
        except facesheet.LabelError as err:
            raise ERR.DOCUMENT_FONT_NOT_FOUND(problem=str(err)) from err
        self.add_font(FONT, "", str(regular), collection_font_number=index)
        # The subset keeps the collection's bounding boxes instead of measuring every glyph
        # it keeps again (a quarter of the subsetting time); a PDF reader needs no tighter.
        embedded = self.fonts[FONT]
        assert isinstance(embedded, TTFFont)
        embedded.ttfont.recalcBBoxes = False
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(True, margin=16)
        self.set_title(f"{title.zh} {title.en} {reference}")
        self.set_subject(site)
        self.set_creator("bondfloor")
        self.set_creation_date(datetime.fromisoformat(printed_at))
        self.add_page()

    # -- the frame, drawn by fpdf2 on every page -------------------------------------------

    def header(self) -> None:
        self.set_font(FONT, "", 10)
        self.cell(0, 5, self.site, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.page_no() == 1:
            self.set_font(FONT, "", 18)
            self.cell(0, 9, self.doc_title.zh, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_font(FONT, "", 11)
            self.cell(0, 5, self.doc_title.en, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.set_font(FONT, "", 11)
            title = f"{self.doc_title.inline()}  {self.reference}"
            self.cell(0, 6, title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", SMALL_PT)
        self.set_text_color(*GREY)
        printed = Label("打印时间", "Printed").inline()
        page = f"第 {self.page_no()}/{{nb}} 页 Page {self.page_no()} of {{nb}}"
        self.cell(0, 4, f"{self.reference}    {printed}: {self.printed_local}", align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, 4, page, align=Align.R)
        self.set_text_color(0, 0, 0)

    # -- the pieces ------------------------------------------------------------------------

    def notice(self, text: Label) -> None:
        """A line in red under the title (a draft, a warning)."""
        self.set_font(FONT, "", 11)
        self.set_text_color(180, 0, 0)
        self.cell(0, 6, text.inline(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def facts(self, pairs: Sequence[tuple[Label, str]]) -> None:
        """Label/value pairs, two to a row, each value where a reader looks for it."""
        self.set_font(FONT, "", BODY_PT)
        label_style = FontFace(fill_color=HEADING_FILL)
        with self.table(
            col_widths=(23, 27, 23, 27),
            first_row_as_headings=False,
            wrapmode=WrapMode.WORD,
            line_height=4.6,
            padding=(1, 1.5),
            text_align="LEFT",
        ) as table:
            for start in range(0, len(pairs), 2):
                row = table.row()
                for label, value in pairs[start : start + 2]:
                    row.cell(label.inline(), style=label_style)
                    row.cell(value or DASH)
                if len(pairs[start : start + 2]) == 1:
                    row.cell("", colspan=2)
        self.ln(3)

    def section(self, title: Label) -> None:
        self.set_font(FONT, "", 11)
        self.cell(0, 7, title.inline(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def lines_table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        totals: Sequence[tuple[str, int]] = (),
    ) -> None:
        """A table whose headings repeat on every page; `totals` is the last row: (text,
        colspan) cells, shaded.

        Drawn cell by cell here rather than with fpdf2's `table()`, which lays out every
        cell three times through `multi_cell`: that was 80 % of a 500-line receipt's time
        (bench/README.md). A cell wraps at a space when it can, else between characters
        (Chinese has no spaces)."""
        scale = self.epw / sum(c.width for c in columns)
        widths = [c.width * scale for c in columns]
        aligns = [Align.coerce(c.align) for c in columns]
        heading = _Row([c.label.stacked() for c in columns], widths, aligns, BODY_PT - 1, True)
        body = [_Row(list(values), widths, aligns, TABLE_PT, False) for values in rows]
        if totals:
            spans, start = [], 0
            for _text, span in totals:
                spans.append(sum(widths[start : start + span]))
                start += span
            texts = [text for text, _span in totals]
            body.append(_Row(texts, spans, [Align.R] * len(spans), TABLE_PT, True))
        margin = self.c_margin
        self.c_margin = CELL_PAD_X
        try:
            heading_height = self._row_height(heading)
            first = self._row_height(body[0]) if body else 0
            if self.get_y() + heading_height + first > self.page_break_trigger:
                self.add_page()
            self._draw_row(heading, heading_height)
            for row in body:
                height = self._row_height(row)
                if self.get_y() + height > self.page_break_trigger:
                    self.add_page()
                    self._draw_row(heading, heading_height)
                self._draw_row(row, height)
        finally:
            self.c_margin = margin
        self.set_x(self.l_margin)
        self.ln(3)

    def _row_height(self, row: _Row) -> float:
        self.set_font(FONT, "", row.size_pt)
        row.lines = [
            self._wrap(text, width - 2 * CELL_PAD_X)
            for text, width in zip(row.texts, row.widths, strict=True)
        ]
        return max(len(lines) for lines in row.lines) * row.line_height + 2 * CELL_PAD_Y

    def _draw_row(self, row: _Row, height: float) -> None:
        self.set_font(FONT, "", row.size_pt)
        if row.shaded:
            self.set_fill_color(*HEADING_FILL)
        top, left = self.get_y(), self.l_margin
        for lines, width, align in zip(row.lines, row.widths, row.aligns, strict=True):
            self.rect(left, top, width, height, style="DF" if row.shaded else "D")
            y = top + (height - len(lines) * row.line_height) / 2
            for line in lines:
                if line:
                    self.set_xy(left, y)
                    self.cell(width, row.line_height, line, align=align)
                y += row.line_height
            left += width
        self.set_xy(self.l_margin, top + height)

    def _wrap(self, text: str, width: float) -> list[str]:
        """`text` in lines no wider than `width` (mm) in the current font and size."""
        font = self.current_font
        assert isinstance(font, TTFFont)  # the document's one font, set before any table
        widths = font.cw
        per_unit = self.font_size / 1000
        lines: list[str] = []
        for paragraph in text.split("\n"):
            start, used, space, index = 0, 0.0, -1, 0
            while index < len(paragraph):
                char = paragraph[index]
                advance = widths[ord(char)] * per_unit
                if used + advance > width and index > start:
                    if char == " ":
                        lines.append(paragraph[start:index])
                        start, index = index + 1, index + 1
                    elif space > start:
                        lines.append(paragraph[start:space])
                        start = space + 1
                    else:
                        lines.append(paragraph[start:index])
                        start = index
                    used = sum(widths[ord(c)] for c in paragraph[start:index]) * per_unit
                    space = -1
                    continue
                if char == " ":
                    space = index
                used += advance
                index += 1
            lines.append(paragraph[start:])
        return lines

    def text_line(self, text: str) -> None:
        self.set_font(FONT, "", BODY_PT)
        self.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.WORD)

    def signatures(self, labels: Sequence[Label]) -> None:
        """One box per signer: who, a line to sign on, the date; kept on one page."""
        height = 30
        if self.get_y() + height + 8 > self.page_break_trigger:
            self.add_page()
        self.ln(4)
        top = self.get_y()
        gap = 6
        width = (self.epw - gap * (len(labels) - 1)) / len(labels)
        for index, label in enumerate(labels):
            left = self.l_margin + index * (width + gap)
            self.set_xy(left, top)
            self.set_font(FONT, "", BODY_PT)
            self.cell(width, 5, label.zh, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_font(FONT, "", SMALL_PT)
            self.cell(width, 4, label.en, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.line(left, top + 20, left + width, top + 20)
            self.set_xy(left, top + 21)
            self.cell(width, 4, Label("签字", "Signature").inline())
            self.set_xy(left, top + 25)
            self.cell(width, 4, f"{Label('日期', 'Date').inline()}:")
        self.set_xy(self.l_margin, top + height)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
