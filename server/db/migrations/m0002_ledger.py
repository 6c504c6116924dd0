"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils

MOVEMENT_KINDS = ("receive", "putaway", "move", "pick", "pack", "load", "ship", "adjust", "count")


def migrate(db: sqlite_utils.Database) -> None:
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
