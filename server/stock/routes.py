"""Stock lookup for the handheld: scan a location or an item."""

from __future__ import annotations

import sqlite3
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.config import Settings
from server.declare import query
from server.stock.service import StockLookup, lookup_stock
from server.web import FLOOR_ROLES, allow

# Counters count blind: they may not look up what the ledger expects on a location.
STOCK_READERS = allow(FLOOR_ROLES - {"counter"})


@query(get, "/api/v1/stock/lookup", roles=STOCK_READERS, answer=StockLookup, tags=["stock"])
def stock_lookup(
    conn: sqlite3.Connection,
    settings: NamedDependency[Settings],
    code: Annotated[str, QueryParameter(min_length=1, max_length=200)],
) -> StockLookup:
    """What is where: a location's contents, or where an item (barcode, GS1, SKU code) lies."""
    return lookup_stock(conn, code, settings.scan.gs_placeholder)


route_handlers = [stock_lookup]
