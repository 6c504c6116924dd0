"""The tally record and the warehouse receipt (进仓单) of a plan as PDF files."""

from __future__ import annotations

import sqlite3

from server import clock
from server.config import Settings
from server.documents.receipt import DocKind, download_header, receipt_pdf
from server.error_codes import ERR
from server.inbound.service import receipt_document
from server.masterdata import service as masterdata


def plan_pdf(
    conn: sqlite3.Connection, settings: Settings, plan_id: int, kind: DocKind
) -> tuple[bytes, str]:
    """(PDF, Content-Disposition) of a plan's tally record or warehouse receipt. The receipt
    exists only once the plan is closed; the tally record of an open plan prints as a draft."""
    document = receipt_document(conn, plan_id)
    plan = document.plan
    if kind == "receipt" and plan.status != "closed":
        raise ERR.PLAN_NOT_CLOSED({"plan_no": plan.plan_no})
    book = masterdata.get_customer(conn, plan.customer).customs_book_no
    pdf = receipt_pdf(
        document,
        kind,
        site=settings.site.name,
        customs_book_no=book,
        printed_at=clock.stamp(),
        timezone=settings.site.timezone,
        font=settings.printing.font,
    )
    return pdf, download_header(kind, plan.plan_no)
