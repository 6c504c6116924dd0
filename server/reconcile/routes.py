"""Reconciliation routes: the stock snapshot, the comparison with the OMS's book, reports."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import PathParameter, QueryParameter

from server.commands import CommandContext
from server.declare import command, query
from server.reconcile import service
from server.reconcile.schemas import (
    ReconciliationIn,
    ReconciliationKept,
    ReconciliationReport,
    StockSnapshot,
)
from server.web import MANAGERS, MAX_SQLITE_INT, allow

BOOKKEEPERS = allow(MANAGERS, "oms")
TAGS = ["reconciliation"]
ReconciliationId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@query(get, "/api/v1/stock/snapshot", roles=BOOKKEEPERS, answer=StockSnapshot, tags=TAGS)
def stock_snapshot(
    conn: sqlite3.Connection,
    as_of_seq: Annotated[int | None, QueryParameter(ge=0, le=MAX_SQLITE_INT)] = None,
    customer: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> StockSnapshot:
    """Stock per customer / SKU / lot / expiry in the building right after event `as_of_seq`
    (default: the journal's end)."""
    return service.stock_snapshot(conn, as_of_seq=as_of_seq, customer=customer)


def read_report(conn: sqlite3.Connection, kept: dict[str, Any]) -> ReconciliationReport:
    """The stored report, first run or replay alike."""
    return service.get_reconciliation(conn, kept["id"])


@command(
    post,
    "/api/v1/reconciliations",
    name="reconciliation.run",
    roles=BOOKKEEPERS,
    payload=ReconciliationIn,
    answer=ReconciliationReport,
    tags=TAGS,
    then=read_report,
)
def reconcile(
    conn: sqlite3.Connection, ctx: CommandContext, data: ReconciliationIn
) -> ReconciliationKept:
    """Compare the OMS's book with the floor's stock at `as_of_seq` and keep the report."""
    return ReconciliationKept(id=service.reconcile(conn, ctx, data).id)


@query(
    get,
    "/api/v1/reconciliations/{reconciliation_id:int}",
    roles=BOOKKEEPERS,
    answer=ReconciliationReport,
    tags=TAGS,
)
def get_reconciliation(
    conn: sqlite3.Connection, reconciliation_id: ReconciliationId
) -> ReconciliationReport:
    """One reconciliation report: the OMS's book against the floor's stock, line by line."""
    return service.get_reconciliation(conn, reconciliation_id)


@query(
    get,
    "/api/v1/reconciliations/{reconciliation_id:int}/report.csv",
    roles=allow(MANAGERS),
    answer=Response[bytes],
    tags=TAGS,
    media_type="text/csv",
)
def reconciliation_csv(
    conn: sqlite3.Connection, reconciliation_id: ReconciliationId
) -> Response[bytes]:
    """A report's differences as a CSV file, for a supervisor's spreadsheet."""
    report = service.get_reconciliation(conn, reconciliation_id)
    return Response(
        service.report_csv(report).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reconciliation-{report.id}.csv"'},
    )


route_handlers = [stock_snapshot, reconcile, get_reconciliation, reconciliation_csv]
