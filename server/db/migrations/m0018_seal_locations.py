"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
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
