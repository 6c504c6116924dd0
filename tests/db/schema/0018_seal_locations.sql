-- index adjustment_proposals_status
CREATE INDEX adjustment_proposals_status ON adjustment_proposals (status, id);

-- table adjustment_proposals
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

-- trigger movements_ship_only_at_departure
CREATE TRIGGER movements_ship_only_at_departure BEFORE INSERT ON movements
    WHEN NEW.kind = 'ship' AND NOT EXISTS (
    SELECT 1 FROM loading_lists ll
    JOIN loading_list_parcels lp ON lp.list_id = ll.id AND lp.removed_at IS NULL
    JOIN parcels p ON p.id = lp.parcel_id
    WHERE ll.list_no = NEW.document AND ll.state = 'departed'
    AND p.location_id = NEW.from_location_id)
    BEGIN SELECT RAISE(ABORT, 'SHIP_WITHOUT_DEPARTURE: ship only from a departed list');
    END;

