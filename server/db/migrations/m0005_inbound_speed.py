"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Put-away suggestions walk locations by owner and pick sequence; receiving reads a
    running count per plan, SKU and lot instead of summing every earlier scan."""
    db.executescript(
        """
        CREATE INDEX locations_owner_sequence ON locations (customer_id, pick_sequence);
        CREATE TABLE receipt_counts (
            plan_id INTEGER NOT NULL REFERENCES delivery_plans(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            condition TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            PRIMARY KEY (plan_id, sku_id, lot, condition)
        ) WITHOUT ROWID;
        INSERT INTO receipt_counts (plan_id, sku_id, lot, condition, quantity)
            SELECT plan_id, sku_id, lot, condition, SUM(quantity) FROM receipt_scans
            GROUP BY plan_id, sku_id, lot, condition;
        CREATE TRIGGER receipt_scans_count AFTER INSERT ON receipt_scans BEGIN
            INSERT INTO receipt_counts (plan_id, sku_id, lot, condition, quantity)
            VALUES (NEW.plan_id, NEW.sku_id, NEW.lot, NEW.condition, NEW.quantity)
            ON CONFLICT (plan_id, sku_id, lot, condition)
            DO UPDATE SET quantity = quantity + excluded.quantity;
        END;
        -- The counts stay right only while scans are never changed or removed.
        CREATE TRIGGER receipt_scans_no_update BEFORE UPDATE ON receipt_scans
            BEGIN SELECT RAISE(ABORT, 'receipt scans are append-only'); END;
        CREATE TRIGGER receipt_scans_no_delete BEFORE DELETE ON receipt_scans
            BEGIN SELECT RAISE(ABORT, 'receipt scans are append-only'); END;
        """
    )
