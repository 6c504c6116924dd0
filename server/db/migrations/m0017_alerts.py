"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Alerts the worker raises and clears, safety stock levels, and the indexes the
    dashboard's day of movements and the slow-moving check need on a year of ledger."""
    db.executescript(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
            message TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '{}',
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            cleared_at TEXT,
            acked_by TEXT,
            acked_at TEXT,
            ack_note TEXT NOT NULL DEFAULT ''
        );
        -- One open alert per condition: it is raised once and cleared once.
        CREATE UNIQUE INDEX alerts_open ON alerts (kind, subject) WHERE cleared_at IS NULL;
        CREATE INDEX alerts_first_seen ON alerts (first_seen_at);
        CREATE TABLE safety_levels (
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            quantity INTEGER NOT NULL CHECK (quantity >= 0),
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, sku_id)
        ) WITHOUT ROWID;
        CREATE INDEX movements_kind_at ON movements (kind, at);
        CREATE INDEX movements_sku_at ON movements (sku_id, at);
        CREATE INDEX loading_list_parcels_loaded ON loading_list_parcels (loaded_at)
            WHERE loaded_at IS NOT NULL;
        -- Failed and waiting labels among a year of printed ones, for the dashboard and alerts.
        CREATE INDEX print_jobs_status ON print_jobs (status, created_at);
        """
    )
