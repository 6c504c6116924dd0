"""The handover record (交接单) of a departed truck as a PDF file."""

from __future__ import annotations

import sqlite3

import msgspec

from devices.handover_slip import mask_id
from server import clock
from server.config import Settings
from server.dock.service import handover
from server.documents.handover import download_header, handover_pdf


def handover_file(
    conn: sqlite3.Connection, settings: Settings, list_id: int, *, mask_driver_id: bool = False
) -> tuple[bytes, str]:
    """(PDF, Content-Disposition) of a departed list's handover record; LIST_NOT_DEPARTED
    before the truck has left. `mask_driver_id`: the copy that leaves the site (the OMS's)
    shows the driver's ID number as the handover slip prints it."""
    record = handover(conn, settings, list_id)
    if mask_driver_id:
        record = msgspec.structs.replace(record, driver_id=mask_id(record.driver_id))
    pdf = handover_pdf(
        record,
        printed_at=clock.stamp(),
        timezone=settings.site.timezone,
        font=settings.printing.font,
    )
    return pdf, download_header(record)
