"""Named, append-only schema migrations (sqlite-utils `Migrations`).

Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("bondfloor")

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

MOVEMENT_KINDS = ("receive", "putaway", "move", "pick", "pack", "load", "ship", "adjust", "count")


@migrations(name="0001_master_data")
def _master_data(db: sqlite_utils.Database) -> None:
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


@migrations(name="0002_ledger")
def _ledger(db: sqlite_utils.Database) -> None:
    kinds = ", ".join(f"'{k}'" for k in MOVEMENT_KINDS)
    db.executescript(
        f"""
        CREATE TABLE movements (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            from_location_id INTEGER REFERENCES locations(id),
            to_location_id INTEGER REFERENCES locations(id),
            reason TEXT NOT NULL DEFAULT '',
            document TEXT NOT NULL DEFAULT '',
            user_code TEXT NOT NULL,
            device TEXT NOT NULL DEFAULT '',
            command_key TEXT NOT NULL,
            CHECK (from_location_id IS NOT NULL OR to_location_id IS NOT NULL),
            CHECK (from_location_id IS NOT to_location_id)
        );
        CREATE INDEX movements_from ON movements (from_location_id);
        CREATE INDEX movements_to ON movements (to_location_id);
        CREATE INDEX movements_sku ON movements (sku_id, lot);
        CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements
            BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END;
        CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements
            BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END;

        -- Kept in the same transaction as each movement; a row at zero is deleted.
        CREATE TABLE balances (
            location_id INTEGER NOT NULL REFERENCES locations(id),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (location_id, customer_id, sku_id, lot, expiry)
        ) WITHOUT ROWID;
        CREATE INDEX balances_sku ON balances (sku_id);
        CREATE INDEX balances_customer ON balances (customer_id, location_id);
        -- Bonded segregation, as a backstop under the service's own check.
        CREATE TRIGGER balances_one_customer_per_storage BEFORE INSERT ON balances
            WHEN EXISTS (
                SELECT 1 FROM balances b JOIN locations l ON l.id = b.location_id
                WHERE b.location_id = NEW.location_id AND b.customer_id != NEW.customer_id
                  AND l.type IN ('storage', 'pick_face')
            )
            BEGIN SELECT RAISE(ABORT, 'LOCATION_OTHER_CUSTOMER'); END;

        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            payload TEXT NOT NULL,
            command_key TEXT NOT NULL
        );

        CREATE TABLE commands (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            result TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


@migrations(name="0003_auth_and_audit")
def _auth_and_audit(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            roles TEXT NOT NULL,
            pin_hash TEXT NOT NULL,
            badge TEXT UNIQUE,
            active INTEGER NOT NULL DEFAULT 1,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            device TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('station', 'oms')),
            token_hash TEXT NOT NULL UNIQUE,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '',
            device TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'refused')),
            code TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_at ON audit (at);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )


@migrations(name="0004_inbound")
def _inbound(db: sqlite_utils.Database) -> None:
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


@migrations(name="0005_inbound_speed")
def _inbound_speed(db: sqlite_utils.Database) -> None:
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


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply what is pending on `conn`; returns the names applied."""
    db = sqlite_utils.Database(conn, execute_plugins=False)
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
