"""Reading the floor's PDFs back as a reader would: pages, size and text (pypdf); and
where they come from (an answer, an event's `pdf_path`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pypdf

from server import clock
from server.clock import ManualClock
from tests.conftest import Api

A4_POINTS = (595.28, 841.89)
PRINT_MOMENT = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)  # 17:45 on the demo site's clock


@dataclass(frozen=True)
class ReadPdf:
    pages: int
    sizes: list[tuple[float, float]]
    text: str  # every page's text, whitespace removed
    title: str

    def has(self, *parts: str) -> bool:
        return all(_squeezed(part) in self.text for part in parts)

    def order(self, *parts: str) -> list[int]:
        return [self.text.index(_squeezed(part)) for part in parts]


def _squeezed(text: str) -> str:
    # pypdf reads the CJK font's glyphs with a space after each (and fpdf2 wraps long
    # cells): the text is compared with all whitespace removed.
    return "".join(text.replace("\x00", "").split())


def read_pdf(data: bytes) -> ReadPdf:
    assert data.startswith(b"%PDF-"), data[:20]
    reader = pypdf.PdfReader(io.BytesIO(data))
    return ReadPdf(
        pages=len(reader.pages),
        sizes=[(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages],
        text="".join(_squeezed(page.extract_text()) for page in reader.pages),
        title=str((reader.metadata or {}).get("/Title", "")),
    )


def pdf_of(answer: Any) -> bytes:
    """The PDF an answer carries, after checking it is one."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return bytes(answer.content)


def event_pdf_path(api: Api, event_type: str) -> str:
    """The `pdf_path` the (only) event of this type hands the OMS."""
    payload = api.db.read(
        lambda conn: conn.execute(
            "SELECT payload FROM events WHERE type = ?", (event_type,)
        ).fetchone()[0]
    )
    return str(msgspec.json.decode(payload)["pdf_path"])


def printed_at_one_moment(api: Api, *fetches: tuple[str, str]) -> list[bytes]:
    """The PDFs at these (path, role)s, all printed at PRINT_MOMENT: the print time is in
    the document, so only copies printed at one moment can be the same file."""
    with clock.use(ManualClock(PRINT_MOMENT)):
        return [pdf_of(api.get(path, role=role)) for path, role in fetches]
