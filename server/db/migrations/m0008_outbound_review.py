"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Indexes for the per-line and per-order lookups; stock a picker reported missing."""
    db.executescript(
        """
        CREATE INDEX allocations_line ON allocations (line_id);
        CREATE INDEX order_tasks_order ON order_tasks (order_id);
        CREATE INDEX print_jobs_parcel ON print_jobs (parcel_id) WHERE parcel_id IS NOT NULL;
        -- Why a floor task was closed: its goods moved, or it was no longer needed.
        ALTER TABLE order_tasks ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
        -- Units a picker did not find where the ledger has them. Allocation leaves that
        -- stock alone until a count settles it.
        CREATE TABLE pick_shortages (
            id INTEGER PRIMARY KEY,
            location_id INTEGER NOT NULL REFERENCES locations(id),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            missing INTEGER NOT NULL CHECK (missing > 0),
            order_id INTEGER NOT NULL REFERENCES orders(id),
            reason TEXT NOT NULL DEFAULT '',
            reported_by TEXT NOT NULL,
            reported_at TEXT NOT NULL,
            resolved_by TEXT NOT NULL DEFAULT '',
            resolved_at TEXT,
            resolution TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX pick_shortages_open ON pick_shortages (location_id, sku_id)
            WHERE resolved_at IS NULL;
        """
    )
