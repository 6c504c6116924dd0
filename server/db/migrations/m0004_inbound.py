"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE delivery_plans (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            plan_no TEXT NOT NULL,
            transport_mode TEXT NOT NULL CHECK (transport_mode IN ('sea', 'land', 'air')),
            transport TEXT NOT NULL DEFAULT '{}',
            expected_arrival TEXT NOT NULL DEFAULT '',
            customs_released INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'arrived', 'receiving', 'closed')),
            content_hash TEXT NOT NULL,
            arrival_ref TEXT NOT NULL DEFAULT '',
            seal_no TEXT NOT NULL DEFAULT '',
            arrival_override TEXT NOT NULL DEFAULT '',
            dock_location_id INTEGER REFERENCES locations(id),
            arrived_at TEXT,
            closed_at TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (customer_id, plan_no)
        );
        CREATE INDEX delivery_plans_arrival ON delivery_plans (status, expected_arrival);
        CREATE TABLE plan_lines (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES delivery_plans(id),
            line_no INTEGER NOT NULL,
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            expected_qty INTEGER NOT NULL CHECK (expected_qty > 0),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            sscc TEXT NOT NULL DEFAULT '',
            UNIQUE (plan_id, line_no)
        );
        -- Every accepted receiving scan; the tally is their sum per SKU and lot.
        CREATE TABLE receipt_scans (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES delivery_plans(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            condition TEXT NOT NULL CHECK (condition IN ('good', 'damaged', 'quarantine')),
            over_confirmed INTEGER NOT NULL DEFAULT 0,
            sscc TEXT NOT NULL DEFAULT '',
            location_id INTEGER NOT NULL REFERENCES locations(id),
            user_code TEXT NOT NULL,
            device TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            command_key TEXT NOT NULL
        );
        CREATE INDEX receipt_scans_plan ON receipt_scans (plan_id, sku_id, lot);
        CREATE INDEX receipt_scans_sscc ON receipt_scans (sscc) WHERE sscc != '';
        CREATE TABLE receipt_differences (
            plan_id INTEGER NOT NULL REFERENCES delivery_plans(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expected_qty INTEGER NOT NULL,
            counted_qty INTEGER NOT NULL,
            damaged_qty INTEGER NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('short', 'over', 'damaged', 'wrong_item')),
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (plan_id, sku_id, lot)
        );
        """
    )
