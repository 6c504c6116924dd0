"""Reconciliation routes: the stock snapshot, the comparison with the OMS's book, reports."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.commands import Actor, run_command
from server.db import Database
from server.reconcile import service
from server.reconcile.schemas import ReconciliationIn, ReconciliationReport, StockSnapshot
from server.web import MANAGERS, MAX_SQLITE_INT, IdempotencyKey, allow

BOOKKEEPERS = allow(MANAGERS, "oms")
ReconciliationId = Annotated[int, PathParameter(ge=1, le=MAX_SQLITE_INT)]


@get("/api/v1/stock/snapshot", opt=BOOKKEEPERS, sync_to_thread=True, tags=["reconciliation"])
def stock_snapshot(
    db: NamedDependency[Database],
    as_of_seq: Annotated[int | None, QueryParameter(ge=0, le=MAX_SQLITE_INT)] = None,
    customer: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> StockSnapshot:
    """Stock per customer / SKU / lot / expiry in the building right after event `as_of_seq`
    (default: the journal's end)."""
    return db.read(
        lambda conn: service.stock_snapshot(conn, as_of_seq=as_of_seq, customer=customer)
    )


@post(
    "/api/v1/reconciliations",
    opt=BOOKKEEPERS,
    sync_to_thread=True,
    status_code=200,
    tags=["reconciliation"],
)
def reconcile(
    data: JSONBody[ReconciliationIn],
    db: NamedDependency[Database],
    actor: NamedDependency[Actor],
    idempotency_key: IdempotencyKey = None,
) -> ReconciliationReport:
    """Compare the OMS's book with the floor's stock at `as_of_seq` and keep the report."""
    # The key keeps only the report's id: the report itself is stored once, unchangeable.
    result = run_command(
        db,
        actor,
        "reconciliation.run",
        idempotency_key,
        msgspec.to_builtins(data),
        lambda conn, ctx: {"id": service.reconcile(conn, ctx, data).id},
    )
    return db.read(lambda conn: service.get_reconciliation(conn, result.value["id"]))


@get(
    "/api/v1/reconciliations/{reconciliation_id:int}",
    opt=BOOKKEEPERS,
    sync_to_thread=True,
    tags=["reconciliation"],
)
def get_reconciliation(
    reconciliation_id: ReconciliationId, db: NamedDependency[Database]
) -> ReconciliationReport:
    """One reconciliation report: the OMS's book against the floor's stock, line by line."""
    return db.read(lambda conn: service.get_reconciliation(conn, reconciliation_id))


@get(
    "/api/v1/reconciliations/{reconciliation_id:int}/report.csv",
    opt=allow(MANAGERS),
    sync_to_thread=True,
    tags=["reconciliation"],
    media_type="text/csv",
)
def reconciliation_csv(
    reconciliation_id: ReconciliationId, db: NamedDependency[Database]
) -> Response[bytes]:
    """A report's differences as a CSV file, for a supervisor's spreadsheet."""
    report = db.read(lambda conn: service.get_reconciliation(conn, reconciliation_id))
    return Response(
        service.report_csv(report).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reconciliation-{report.id}.csv"'},
    )


route_handlers = [stock_snapshot, reconcile, get_reconciliation, reconciliation_csv]
