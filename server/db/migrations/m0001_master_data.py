"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils

LOCATION_TYPES = (
    "dock",
    "staging",
    "storage",
    "pick_face",
    "pack_station",
    "quarantine",
    "inspection",
    "outbound_lane",
)


def migrate(db: sqlite_utils.Database) -> None:
    location_types = ", ".join(f"'{t}'" for t in LOCATION_TYPES)
    db.executescript(
        f"""
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            customs_book_no TEXT NOT NULL DEFAULT '',
            min_shelf_life_days INTEGER NOT NULL DEFAULT 0 CHECK (min_shelf_life_days >= 0),
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE skus (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            unit TEXT NOT NULL DEFAULT 'EA',
            weight_g INTEGER CHECK (weight_g IS NULL OR weight_g >= 0),
            customs_record_no TEXT NOT NULL DEFAULT '',
            hs_code TEXT NOT NULL DEFAULT '',
            lot_tracked INTEGER NOT NULL DEFAULT 0,
            expiry_tracked INTEGER NOT NULL DEFAULT 0,
            shelf_life_days INTEGER CHECK (shelf_life_days IS NULL OR shelf_life_days > 0),
            active INTEGER NOT NULL DEFAULT 1,
            UNIQUE (customer_id, code)
        );
        -- One product may be sold by two customers under the same GTIN: a barcode is
        -- unique per customer, and a scan is resolved in the context of a document.
        CREATE TABLE sku_barcodes (
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            barcode TEXT NOT NULL,
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            PRIMARY KEY (customer_id, barcode)
        );
        CREATE INDEX sku_barcodes_barcode ON sku_barcodes (barcode);
        CREATE TABLE locations (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            zone TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ({location_types})),
            pick_sequence INTEGER NOT NULL DEFAULT 0,
            capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
            customer_id INTEGER REFERENCES customers(id),
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX locations_zone ON locations (zone, pick_sequence);
        """
    )
