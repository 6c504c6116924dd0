"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """A handheld's own leased task, and a SKU's barcodes, found without a scan."""
    db.executescript(
        """
        CREATE INDEX allocations_lease ON allocations (lease_holder, wave_id)
            WHERE status = 'open';
        CREATE INDEX sku_barcodes_sku ON sku_barcodes (sku_id);
        """
    )
