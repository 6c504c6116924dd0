"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils

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


def migrate(db: sqlite_utils.Database) -> None:
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
