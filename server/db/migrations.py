"""Named, append-only schema migrations (sqlite-utils `Migrations`).

Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import hashlib
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
OUTBOUND_LOCATION_TYPES = ("tote", "parcel")
"""Added by 0006: picked stock sits in a tote, packed stock on its parcel, until it ships."""

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


@migrations(name="0006_tote_and_parcel_locations", transactional=False)
def _tote_and_parcel_locations(db: sqlite_utils.Database) -> None:
    """Widen the location types by rebuilding the table (SQLite cannot alter a CHECK).

    SQLite's documented rebuild: foreign keys off, copy into a new table, drop, rename,
    check the keys, all in one transaction. Safe to run again after a crash.
    """
    conn = db.conn
    schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'locations'").fetchone()[0]
    if "'tote'" in schema:
        return
    types = ", ".join(f"'{t}'" for t in LOCATION_TYPES + OUTBOUND_LOCATION_TYPES)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA legacy_alter_table = ON")  # keep other tables' references as written
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in (
                f"""
                CREATE TABLE locations_new (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE,
                    zone TEXT NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ({types})),
                    pick_sequence INTEGER NOT NULL DEFAULT 0,
                    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
                    customer_id INTEGER REFERENCES customers(id),
                    active INTEGER NOT NULL DEFAULT 1
                )""",
                "INSERT INTO locations_new SELECT id, code, zone, type, pick_sequence, capacity, "
                "customer_id, active FROM locations",
                "DROP TABLE locations",
                "ALTER TABLE locations_new RENAME TO locations",
                "CREATE INDEX locations_zone ON locations (zone, pick_sequence)",
                "CREATE INDEX locations_owner_sequence ON locations (customer_id, pick_sequence)",
            ):
                conn.execute(statement)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise sqlite3.IntegrityError(f"foreign keys broken by the rebuild: {broken[:5]}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
        conn.execute("PRAGMA foreign_keys = ON")


ORDER_STATES = (
    "new",  # from the OMS, nothing reserved yet
    "backorder",  # not all of it could be reserved
    "allocated",  # every unit reserved
    "waved",  # in a wave: pick tasks open
    "picking",  # some units in the tote
    "picked",  # every unit in the tote: ready to pack
    "short",  # a pick came up short and no other stock was found
    "packed",  # a parcel with its waybill number
    "loaded",
    "shipped",
    "cancelled",  # intercepted (CEB623)
)


@migrations(name="0007_outbound")
def _outbound(db: sqlite_utils.Database) -> None:
    states = ", ".join(f"'{s}'" for s in ORDER_STATES)
    db.executescript(
        f"""
        -- When a stock key first came to rest at its location: the FIFO order of allocation.
        ALTER TABLE balances ADD COLUMN since TEXT NOT NULL DEFAULT '';
        CREATE TABLE waves (
            id INTEGER PRIMARY KEY,
            wave_no TEXT NOT NULL UNIQUE,
            courier TEXT NOT NULL DEFAULT '',
            cutoff_before TEXT NOT NULL DEFAULT '',
            automatic INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            order_no TEXT NOT NULL UNIQUE,
            courier TEXT NOT NULL,
            waybill_no TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL,
            cutoff_at TEXT NOT NULL DEFAULT '',
            priority INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ({states})),
            customs_status INTEGER,
            customs_at TEXT NOT NULL DEFAULT '',
            cancelled_at TEXT,
            cancel_reason TEXT NOT NULL DEFAULT '',
            wave_id INTEGER REFERENCES waves(id),
            tote_location_id INTEGER REFERENCES locations(id),
            content_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX orders_state ON orders (state, courier, cutoff_at);
        CREATE INDEX orders_wave ON orders (wave_id);
        CREATE INDEX orders_tote ON orders (tote_location_id) WHERE tote_location_id IS NOT NULL;
        CREATE TABLE order_lines (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            line_no INTEGER NOT NULL,
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            lot TEXT NOT NULL DEFAULT '',
            UNIQUE (order_id, line_no)
        );
        -- Every customs list reply received, in arrival order; the order keeps the one that
        -- wins by precedence (see outbound/customs.py).
        CREATE TABLE customs_statuses (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            code INTEGER NOT NULL,
            status_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            received_at TEXT NOT NULL,
            applied INTEGER NOT NULL
        );
        CREATE INDEX customs_statuses_order ON customs_statuses (order_id);

        -- Stock reserved for an order line at one location (and lot), and the task of
        -- picking it once the order is in a wave.
        CREATE TABLE allocations (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            line_id INTEGER NOT NULL REFERENCES order_lines(id),
            location_id INTEGER NOT NULL REFERENCES locations(id),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            picked_qty INTEGER NOT NULL DEFAULT 0 CHECK (picked_qty >= 0 AND picked_qty <= quantity),
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'picked', 'short', 'released')),
            wave_id INTEGER REFERENCES waves(id),
            pick_sequence INTEGER NOT NULL DEFAULT 0,
            lease_holder TEXT NOT NULL DEFAULT '',
            lease_expires_at TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX allocations_order ON allocations (order_id);
        CREATE INDEX allocations_wave ON allocations (wave_id, status, pick_sequence)
            WHERE wave_id IS NOT NULL;

        -- Units reserved per stock key: what allocations still have to pick. Kept by the
        -- triggers below; stock a reservation holds cannot be taken by anything else.
        CREATE TABLE reservations (
            location_id INTEGER NOT NULL,
            customer_id INTEGER NOT NULL,
            sku_id INTEGER NOT NULL,
            lot TEXT NOT NULL,
            expiry TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity >= 0),
            PRIMARY KEY (location_id, customer_id, sku_id, lot, expiry)
        ) WITHOUT ROWID;
        CREATE TRIGGER allocations_reserve AFTER INSERT ON allocations
            WHEN NEW.status = 'open' AND NEW.quantity > NEW.picked_qty
        BEGIN
            INSERT INTO reservations (location_id, customer_id, sku_id, lot, expiry, quantity)
            VALUES (NEW.location_id, NEW.customer_id, NEW.sku_id, NEW.lot, NEW.expiry,
                    NEW.quantity - NEW.picked_qty)
            ON CONFLICT (location_id, customer_id, sku_id, lot, expiry)
            DO UPDATE SET quantity = quantity + excluded.quantity;
        END;
        -- One trigger applies the change of what is still to pick, so a reservation never
        -- passes through a state larger than the stock it stands on.
        CREATE TRIGGER allocations_rereserve AFTER UPDATE OF status, picked_qty ON allocations
        BEGIN
            UPDATE reservations SET quantity = quantity
                + (CASE WHEN NEW.status = 'open' THEN NEW.quantity - NEW.picked_qty ELSE 0 END)
                - (CASE WHEN OLD.status = 'open' THEN OLD.quantity - OLD.picked_qty ELSE 0 END)
            WHERE location_id = NEW.location_id AND customer_id = NEW.customer_id
              AND sku_id = NEW.sku_id AND lot = NEW.lot AND expiry = NEW.expiry;
            INSERT INTO reservations (location_id, customer_id, sku_id, lot, expiry, quantity)
            SELECT NEW.location_id, NEW.customer_id, NEW.sku_id, NEW.lot, NEW.expiry,
                   NEW.quantity - NEW.picked_qty
            WHERE NEW.status = 'open' AND NEW.quantity > NEW.picked_qty AND NOT EXISTS (
                SELECT 1 FROM reservations WHERE location_id = NEW.location_id
                  AND customer_id = NEW.customer_id AND sku_id = NEW.sku_id
                  AND lot = NEW.lot AND expiry = NEW.expiry);
            DELETE FROM reservations
            WHERE location_id = NEW.location_id AND customer_id = NEW.customer_id
              AND sku_id = NEW.sku_id AND lot = NEW.lot AND expiry = NEW.expiry AND quantity = 0;
        END;
        CREATE TRIGGER allocations_no_delete BEFORE DELETE ON allocations
            BEGIN SELECT RAISE(ABORT, 'allocations are released, not deleted'); END;
        CREATE TRIGGER allocations_key_fixed BEFORE UPDATE OF location_id, customer_id, sku_id,
            lot, expiry, quantity ON allocations
            BEGIN SELECT RAISE(ABORT, 'an allocation is released and made anew, not moved'); END;
        -- Backstops under the service checks: never reserve more than is on hand, and
        -- never take reserved stock away.
        CREATE TRIGGER reservations_within_stock AFTER INSERT ON reservations
            WHEN NEW.quantity > COALESCE((
                SELECT quantity FROM balances b WHERE b.location_id = NEW.location_id
                  AND b.customer_id = NEW.customer_id AND b.sku_id = NEW.sku_id
                  AND b.lot = NEW.lot AND b.expiry = NEW.expiry), 0)
            BEGIN SELECT RAISE(ABORT, 'OVER_ALLOCATED'); END;
        CREATE TRIGGER reservations_within_stock_update AFTER UPDATE ON reservations
            WHEN NEW.quantity > COALESCE((
                SELECT quantity FROM balances b WHERE b.location_id = NEW.location_id
                  AND b.customer_id = NEW.customer_id AND b.sku_id = NEW.sku_id
                  AND b.lot = NEW.lot AND b.expiry = NEW.expiry), 0)
            BEGIN SELECT RAISE(ABORT, 'OVER_ALLOCATED'); END;
        CREATE TRIGGER balances_keep_reserved BEFORE UPDATE OF quantity ON balances
            WHEN NEW.quantity < COALESCE((
                SELECT quantity FROM reservations r WHERE r.location_id = OLD.location_id
                  AND r.customer_id = OLD.customer_id AND r.sku_id = OLD.sku_id
                  AND r.lot = OLD.lot AND r.expiry = OLD.expiry), 0)
            BEGIN SELECT RAISE(ABORT, 'STOCK_RESERVED'); END;
        CREATE TRIGGER balances_keep_reserved_delete BEFORE DELETE ON balances
            WHEN EXISTS (
                SELECT 1 FROM reservations r WHERE r.location_id = OLD.location_id
                  AND r.customer_id = OLD.customer_id AND r.sku_id = OLD.sku_id
                  AND r.lot = OLD.lot AND r.expiry = OLD.expiry)
            BEGIN SELECT RAISE(ABORT, 'STOCK_RESERVED'); END;

        -- Each item scanned at the pack bench; what was packed is their sum.
        CREATE TABLE pack_scans (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            station TEXT NOT NULL DEFAULT '',
            user_code TEXT NOT NULL,
            device TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            command_key TEXT NOT NULL
        );
        CREATE INDEX pack_scans_order ON pack_scans (order_id, sku_id);
        CREATE TRIGGER pack_scans_no_update BEFORE UPDATE ON pack_scans
            BEGIN SELECT RAISE(ABORT, 'pack scans are append-only'); END;

        CREATE TABLE parcels (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
            waybill_no TEXT NOT NULL UNIQUE,
            location_id INTEGER NOT NULL UNIQUE REFERENCES locations(id),
            lane_location_id INTEGER REFERENCES locations(id),
            weight_g INTEGER NOT NULL CHECK (weight_g > 0),
            parcel_count INTEGER NOT NULL DEFAULT 1 CHECK (parcel_count > 0),
            station TEXT NOT NULL DEFAULT '',
            packed_by TEXT NOT NULL,
            packed_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'packed'
                CHECK (status IN ('packed', 'loaded', 'shipped', 'returned'))
        );

        -- Labels to print. The printing slice sends them; packing queues the face sheet
        -- in the same transaction that makes the parcel.
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            printer TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('face_sheet', 'test', 'handover')),
            parcel_id INTEGER REFERENCES parcels(id),
            payload TEXT NOT NULL,
            copy_of INTEGER REFERENCES print_jobs(id),
            reason TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'done', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            done_at TEXT
        );
        CREATE INDEX print_jobs_queue ON print_jobs (printer, status, id);

        -- Work that an intercept or an inspection leaves on the floor.
        CREATE TABLE order_tasks (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            kind TEXT NOT NULL CHECK (kind IN ('return_to_stock', 'to_inspection')),
            source_location_id INTEGER REFERENCES locations(id),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
            target_location_id INTEGER REFERENCES locations(id),
            created_at TEXT NOT NULL,
            done_by TEXT NOT NULL DEFAULT '',
            done_at TEXT
        );
        CREATE INDEX order_tasks_open ON order_tasks (status, kind);
        """
    )


@migrations(name="0008_outbound_review")
def _outbound_review(db: sqlite_utils.Database) -> None:
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


@migrations(name="0009_outbound_lookups")
def _outbound_lookups(db: sqlite_utils.Database) -> None:
    """A handheld's own leased task, and a SKU's barcodes, found without a scan."""
    db.executescript(
        """
        CREATE INDEX allocations_lease ON allocations (lease_holder, wave_id)
            WHERE status = 'open';
        CREATE INDEX sku_barcodes_sku ON sku_barcodes (sku_id);
        """
    )


@migrations(name="0010_printer_status")
def _printer_status(db: sqlite_utils.Database) -> None:
    """What each printer last said about itself, and since when."""
    db.executescript(
        """
        CREATE TABLE printer_status (
            printer TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            since TEXT NOT NULL,
            checked_at TEXT NOT NULL
        );
        CREATE INDEX print_jobs_copy ON print_jobs (copy_of) WHERE copy_of IS NOT NULL;
        """
    )


@migrations(name="0011_stations")
def _stations(db: sqlite_utils.Database) -> None:
    """Fixed-station scans (deduplicated by the station's key) and what each station has open."""
    db.executescript(
        """
        CREATE TABLE station_scans (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            scan_key TEXT NOT NULL,
            scanner TEXT NOT NULL DEFAULT '',
            code TEXT NOT NULL,
            symbology TEXT NOT NULL DEFAULT '',
            scanned_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            user_code TEXT,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
            error_code TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            effect TEXT NOT NULL DEFAULT '{}',
            UNIQUE (station, scan_key)
        );
        CREATE TABLE station_state (
            station TEXT PRIMARY KEY,
            user_code TEXT,
            order_id INTEGER REFERENCES orders (id),
            agent_seen_at TEXT,
            agent_version TEXT NOT NULL DEFAULT '',
            devices TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        );
        """
    )


@migrations(name="0012_dock")
def _dock(db: sqlite_utils.Database) -> None:
    """Loading lists (装载清单) and their parcels; nothing changes on a list after departure."""
    db.executescript(
        """
        CREATE TABLE loading_lists (
            id INTEGER PRIMARY KEY,
            list_no TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'loading', 'departed')),
            door TEXT,
            plate TEXT NOT NULL,
            second_plate TEXT NOT NULL DEFAULT '',
            driver_name TEXT NOT NULL,
            driver_id TEXT NOT NULL,
            driver_phone TEXT NOT NULL,
            seal_no TEXT NOT NULL,
            carrier TEXT NOT NULL DEFAULT '',
            expected_weight_g INTEGER NOT NULL CHECK (expected_weight_g >= 0),
            plate_confirmed_at TEXT,
            driver_id_verified_at TEXT,
            driver_name_confirmed_at TEXT,
            driver_verified_by TEXT,
            seal_confirmed_at TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            departed_at TEXT,
            departed_by TEXT,
            handover_no TEXT UNIQUE
        );
        CREATE INDEX loading_lists_plate ON loading_lists (plate) WHERE state != 'departed';
        CREATE TABLE loading_list_parcels (
            list_id INTEGER NOT NULL REFERENCES loading_lists (id),
            parcel_id INTEGER NOT NULL REFERENCES parcels (id),
            position INTEGER NOT NULL,
            loaded_at TEXT,
            loaded_by TEXT,
            loaded_device TEXT,
            removed_at TEXT,
            removed_by TEXT,
            removed_reason TEXT,
            PRIMARY KEY (list_id, parcel_id)
        );
        -- A parcel is planned on one list at a time.
        CREATE UNIQUE INDEX loading_list_parcels_one_list
            ON loading_list_parcels (parcel_id) WHERE removed_at IS NULL;
        CREATE TRIGGER loading_lists_frozen BEFORE UPDATE ON loading_lists
            WHEN OLD.state = 'departed'
            BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;
        CREATE TRIGGER loading_lists_depart_complete BEFORE UPDATE OF state ON loading_lists
            WHEN NEW.state = 'departed' AND (
                NEW.plate_confirmed_at IS NULL OR NEW.driver_id_verified_at IS NULL
                OR NEW.driver_name_confirmed_at IS NULL OR NEW.seal_confirmed_at IS NULL
                OR EXISTS (SELECT 1 FROM loading_list_parcels WHERE list_id = NEW.id
                           AND removed_at IS NULL AND loaded_at IS NULL))
            BEGIN SELECT RAISE(ABORT, 'DEPARTURE_BLOCKED: the list is not complete'); END;
        CREATE TRIGGER loading_list_parcels_frozen_insert BEFORE INSERT ON loading_list_parcels
            WHEN (SELECT state FROM loading_lists WHERE id = NEW.list_id) = 'departed'
            BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;
        CREATE TRIGGER loading_list_parcels_frozen_update BEFORE UPDATE ON loading_list_parcels
            WHEN (SELECT state FROM loading_lists WHERE id = OLD.list_id) = 'departed'
            BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;
        CREATE TRIGGER loading_list_parcels_frozen_delete BEFORE DELETE ON loading_list_parcels
            WHEN (SELECT state FROM loading_lists WHERE id = OLD.list_id) = 'departed'
            BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;
        """
    )


@migrations(name="0013_sync")
def _sync(db: sqlite_utils.Database) -> None:
    """Where delivery of the events journal to the OMS stands, and what a supervisor skipped."""
    db.executescript(
        """
        CREATE TABLE sync_cursor (
            stream TEXT PRIMARY KEY,
            delivered_seq INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL DEFAULT '',
            last_error TEXT NOT NULL DEFAULT '',
            stopped_seq INTEGER,
            stopped_error TEXT NOT NULL DEFAULT '',
            last_ok_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE sync_skips (
            id INTEGER PRIMARY KEY,
            stream TEXT NOT NULL,
            seq INTEGER NOT NULL,
            error TEXT NOT NULL,
            reason TEXT NOT NULL,
            skipped_by TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


@migrations(name="0014_reconciliations")
def _reconciliations(db: sqlite_utils.Database) -> None:
    """Stock compared with the OMS's book: each report as it was found, never changed.

    Differences keep the codes and the customs record no as they were at the time: the
    report is evidence for customs, and master data may change after it.
    """
    db.executescript(
        """
        CREATE TABLE reconciliations (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL,
            customer_id INTEGER REFERENCES customers(id),
            as_of_seq INTEGER NOT NULL CHECK (as_of_seq >= 0),
            oms_line_count INTEGER NOT NULL CHECK (oms_line_count >= 0),
            matched INTEGER NOT NULL CHECK (matched >= 0),
            difference_count INTEGER NOT NULL CHECK (difference_count >= 0),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            command_key TEXT NOT NULL
        );
        CREATE INDEX reconciliations_reference ON reconciliations (reference);
        CREATE TABLE reconciliation_differences (
            reconciliation_id INTEGER NOT NULL REFERENCES reconciliations(id),
            position INTEGER NOT NULL,
            customer TEXT NOT NULL,
            sku TEXT NOT NULL,
            customs_record_no TEXT NOT NULL,
            lot TEXT NOT NULL,
            floor_quantity INTEGER NOT NULL,
            oms_quantity INTEGER NOT NULL,
            difference INTEGER NOT NULL,
            kind TEXT NOT NULL
                CHECK (kind IN ('floor_more', 'oms_more', 'missing_on_floor', 'missing_in_oms')),
            PRIMARY KEY (reconciliation_id, position)
        ) WITHOUT ROWID;
        CREATE TRIGGER reconciliations_no_update BEFORE UPDATE ON reconciliations
            BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;
        CREATE TRIGGER reconciliations_no_delete BEFORE DELETE ON reconciliations
            BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;
        CREATE TRIGGER reconciliation_differences_no_update
            BEFORE UPDATE ON reconciliation_differences
            BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;
        CREATE TRIGGER reconciliation_differences_no_delete
            BEFORE DELETE ON reconciliation_differences
            BEGIN SELECT RAISE(ABORT, 'reconciliation reports are append-only'); END;
        """
    )


@migrations(name="0016_trace_indexes")
def _trace_indexes(db: sqlite_utils.Database) -> None:
    """The trace reads newest first by id per SKU, lot, document and user, and finds an
    order's or a parcel's events by the number in their payload (see server/trace/)."""
    db.executescript(
        """
        CREATE INDEX movements_sku_id ON movements (sku_id, id);
        CREATE INDEX movements_lot_id ON movements (lot, id) WHERE lot != '';
        CREATE INDEX movements_document_id ON movements (document, id) WHERE document != '';
        CREATE INDEX movements_user_id ON movements (user_code, id);
        CREATE INDEX audit_actor_id ON audit (actor, id);
        CREATE INDEX events_order_no ON events (json_extract(payload, '$.order_no'), seq)
            WHERE json_extract(payload, '$.order_no') IS NOT NULL;
        CREATE INDEX events_waybill_no ON events (json_extract(payload, '$.waybill_no'), seq)
            WHERE json_extract(payload, '$.waybill_no') IS NOT NULL;
        """
    )


@migrations(name="0017_alerts")
def _alerts(db: sqlite_utils.Database) -> None:
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


@migrations(name="0015_counts")
def _counts(db: sqlite_utils.Database) -> None:
    """Cycle counts: one task per location, its lines as expected when the count started,
    and the differences a supervisor approves or rejects.

    A location with a task `counting` is frozen: the ledger takes nothing from it and
    puts nothing on it but the count's own corrections (one counting task per location).
    """
    db.executescript(
        """
        CREATE TABLE count_tasks (
            id INTEGER PRIMARY KEY,
            location_id INTEGER NOT NULL REFERENCES locations(id),
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'counting', 'submitted', 'cancelled')),
            origin TEXT NOT NULL
                CHECK (origin IN ('location', 'zone', 'sku', 'abc', 'schedule', 'scan', 'recount')),
            recount_of INTEGER REFERENCES count_tasks(id),
            outcome TEXT NOT NULL DEFAULT ''
                CHECK (outcome IN ('', 'recount', 'proposals', 'no_difference', 'cancelled')),
            counter TEXT NOT NULL DEFAULT '',
            avoid_counter TEXT NOT NULL DEFAULT '',
            snapshot_movement_id INTEGER,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            started_at TEXT,
            submitted_at TEXT
        );
        CREATE INDEX count_tasks_location ON count_tasks (location_id, status);
        CREATE INDEX count_tasks_status ON count_tasks (status, id);
        CREATE UNIQUE INDEX count_tasks_one_counting ON count_tasks (location_id)
            WHERE status = 'counting';
        CREATE TABLE count_lines (
            task_id INTEGER NOT NULL REFERENCES count_tasks(id),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            expected INTEGER NOT NULL CHECK (expected >= 0),
            counted INTEGER CHECK (counted >= 0),
            counted_at TEXT,
            PRIMARY KEY (task_id, customer_id, sku_id, lot, expiry)
        ) WITHOUT ROWID;
        CREATE TABLE count_proposals (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES count_tasks(id),
            location_id INTEGER NOT NULL REFERENCES locations(id),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            expected INTEGER NOT NULL CHECK (expected >= 0),
            counted INTEGER NOT NULL CHECK (counted >= 0),
            delta INTEGER NOT NULL CHECK (delta != 0),
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected')),
            reason TEXT NOT NULL DEFAULT '',
            decided_by TEXT NOT NULL DEFAULT '',
            decided_at TEXT,
            movement_id INTEGER REFERENCES movements(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX count_proposals_status ON count_proposals (status, id);
        CREATE INDEX count_proposals_task ON count_proposals (task_id);
        """
    )


@migrations(name="0018_seal_locations")
def _seal_locations(db: sqlite_utils.Database) -> None:
    """Goods leave the ledger only with a departed truck, and big manual adjustments wait
    for a second supervisor.

    The departure marks its list departed before it ships the list's parcels, so the
    trigger lets a ship movement in only from a parcel on a departed list it names.
    """
    db.executescript(
        """
        CREATE TRIGGER movements_ship_only_at_departure BEFORE INSERT ON movements
            WHEN NEW.kind = 'ship' AND NOT EXISTS (
                SELECT 1 FROM loading_lists ll
                JOIN loading_list_parcels lp ON lp.list_id = ll.id AND lp.removed_at IS NULL
                JOIN parcels p ON p.id = lp.parcel_id
                WHERE ll.list_no = NEW.document AND ll.state = 'departed'
                  AND p.location_id = NEW.from_location_id)
            BEGIN SELECT RAISE(ABORT, 'SHIP_WITHOUT_DEPARTURE: ship only from a departed list');
            END;
        CREATE TABLE adjustment_proposals (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('receive', 'adjust')),
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            sku_id INTEGER NOT NULL REFERENCES skus(id),
            lot TEXT NOT NULL DEFAULT '',
            expiry TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            from_location_id INTEGER REFERENCES locations(id),
            to_location_id INTEGER REFERENCES locations(id),
            reason TEXT NOT NULL,
            document TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected')),
            proposed_by TEXT NOT NULL,
            proposed_at TEXT NOT NULL,
            decided_by TEXT NOT NULL DEFAULT '',
            decided_at TEXT,
            movement_id INTEGER REFERENCES movements(id),
            CHECK ((from_location_id IS NULL) != (to_location_id IS NULL))
        );
        CREATE INDEX adjustment_proposals_status ON adjustment_proposals (status, id);
        """
    )


@migrations(name="0019_station_lot_label")
def _station_lot_label(db: sqlite_utils.Database) -> None:
    """A pack bench's fixed scanner reads one code at a time: the item scan of a
    lot-tracked SKU that came without its lot waits here for the lot label's scan."""
    db.executescript(
        """
        ALTER TABLE station_state ADD COLUMN lot_wanted_for TEXT NOT NULL DEFAULT '';
        """
    )


@migrations(name="0020_journal_epoch")
def _journal_epoch(db: sqlite_utils.Database) -> None:
    """Every event is written in a journal epoch, part of its key to the OMS.

    A restored or copied file shares its past with the original; the epoch each process
    begins before it writes (server/db/journal_epoch.py) is what keeps their futures apart.
    Events written before this migration keep epoch '' and their old `site:seq` keys.
    """
    db.executescript(
        """
        CREATE TABLE journal_epochs (
            id INTEGER PRIMARY KEY,
            epoch TEXT NOT NULL UNIQUE CHECK (epoch != ''),
            after_seq INTEGER NOT NULL CHECK (after_seq >= 0),
            reason TEXT NOT NULL CHECK (reason IN ('open', 'restore')),
            detail TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL
        );
        ALTER TABLE events ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
        """
    )


@migrations(name="0021_credentials")
def _credentials(db: sqlite_utils.Database) -> None:
    """Badges become credentials, locks expire, sessions can be listed, idle and capped.

    A badge is kept as its SHA-256 only (badges are long and random, so a fast hash is
    enough; PINs keep scrypt). Badges already stored, and badge codes already written to
    station scans, their stored results and audit lines, are hashed or masked here.
    """
    conn = db.conn
    conn.create_function("badge_digest", 1, _badge_digest, deterministic=True)
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN badge_hash TEXT;
        ALTER TABLE users ADD COLUMN locked_until TEXT;
        ALTER TABLE users ADD COLUMN last_failed_at TEXT;
        CREATE UNIQUE INDEX users_badge_hash ON users (badge_hash) WHERE badge_hash IS NOT NULL;
        -- The plain badge column stays (SQLite cannot drop a UNIQUE column) but is emptied.
        UPDATE users SET badge_hash = badge_digest(badge), badge = NULL WHERE badge IS NOT NULL;
        ALTER TABLE sessions ADD COLUMN public_id TEXT;
        ALTER TABLE sessions ADD COLUMN last_used_at TEXT;
        ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
        UPDATE sessions SET public_id = lower(hex(randomblob(8))), last_used_at = created_at;
        CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
        CREATE INDEX sessions_user ON sessions (user_id, ended_at);
        UPDATE station_scans SET code = '****' || substr(code, -2) WHERE action = 'sign_in';
        UPDATE commands SET result = json_set(result, '$.code', '****' || substr(
                json_extract(result, '$.code'), -2))
            WHERE name = 'station.scan' AND json_valid(result)
                AND json_extract(result, '$.action') = 'sign_in';
        -- The audit log is append-only, but a credential must not stay in it: the one
        -- scrub it ever gets, with its guard put back at once.
        DROP TRIGGER audit_no_update;
        UPDATE audit SET details = json_set(details, '$.scanned', '****' || substr(
                json_extract(details, '$.scanned'), -2))
            WHERE action = 'station.sign_in' AND json_valid(details)
                AND json_extract(details, '$.scanned') IS NOT NULL;
        UPDATE audit SET target = 'badge:****' || substr(target, -2)
            WHERE action = 'login' AND target LIKE 'badge:%';
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )


@migrations(name="0022_receipt_serial")
def _receipt_serial(db: sqlite_utils.Database) -> None:
    """A receiving scan keeps the item's GS1 serial (AI 21), '' when it carried none."""
    db.executescript(
        """
        ALTER TABLE receipt_scans ADD COLUMN serial TEXT NOT NULL DEFAULT '';
        """
    )


@migrations(name="0023_alert_message_codes")
def _alert_message_codes(db: sqlite_utils.Database) -> None:
    """An alert says what holds as a message code with parameters, so the handheld can say
    it in the reader's language and the site's time zone. Alerts stored before have code ''
    and are shown by their English message."""
    db.executescript(
        """
        ALTER TABLE alerts ADD COLUMN code TEXT NOT NULL DEFAULT '';
        ALTER TABLE alerts ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
        """
    )


@migrations(name="0024_user_admin")
def _user_admin(db: sqlite_utils.Database) -> None:
    """What the admin page shows and keeps: a user's language ('' = the handheld's own
    choice), last login and masked badge; an API token's last use.

    Badges set before are kept as their hash only, so their mask is '' (shown as set)."""
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN last_login_at TEXT;
        ALTER TABLE users ADD COLUMN badge_mask TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
        UPDATE users SET last_login_at = (SELECT max(created_at) FROM sessions
            WHERE sessions.user_id = users.id);
        """
    )


def _badge_digest(badge: str | None) -> str | None:
    # The same digest as server.auth.service.hash_badge (migrations do not import services).
    return None if badge is None else hashlib.sha256(badge.encode()).hexdigest()


class NewerDatabase(Exception):
    """The database holds migrations this version does not know: a newer bondfloor made it,
    and this one would misread it (the way back from an upgrade is the backup before it)."""


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """The names of the migrations applied to `conn`'s database, oldest first."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if found is None:
        return []
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id",
            (migrations.name,),
        )
    ]


def unknown_migrations(applied: list[str]) -> list[str]:
    """Applied migrations this version does not have."""
    return sorted(set(applied) - {m.name for m in migrations._migrations})


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply what is pending on `conn`; returns the names applied. A database from a newer
    version is refused (NewerDatabase) before anything is written."""
    unknown = unknown_migrations(applied_migrations(conn))
    if unknown:
        raise NewerDatabase(
            f"the database has migrations this version does not know ({', '.join(unknown)}): "
            "a newer bondfloor made it; install that version, or restore the backup taken "
            "before the upgrade (docs/operators-guide.md)"
        )
    db = sqlite_utils.Database(conn, execute_plugins=False)
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
