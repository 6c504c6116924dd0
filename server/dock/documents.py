"""The handover record (交接单) of a departed truck as a PDF file."""

from __future__ import annotations

import sqlite3

from server import clock
from server.config import Settings
from server.dock.service import handover
from server.documents.handover import download_header, handover_pdf


def handover_file(conn: sqlite3.Connection, settings: Settings, list_id: int) -> tuple[bytes, str]:
    """(PDF, Content-Disposition) of a departed list's handover record; LIST_NOT_DEPARTED
    before the truck has left."""
    record = handover(conn, settings, list_id)
    pdf = handover_pdf(
        record,
        printed_at=clock.stamp(),
        timezone=settings.site.timezone,
        font=settings.printing.font,
    )
    return pdf, download_header(record)
