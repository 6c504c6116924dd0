-- index locations_owner_sequence
CREATE INDEX locations_owner_sequence ON locations (customer_id, pick_sequence);

-- table receipt_counts
CREATE TABLE receipt_counts (
    plan_id INTEGER NOT NULL REFERENCES delivery_plans(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    lot TEXT NOT NULL DEFAULT '',
    condition TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (plan_id, sku_id, lot, condition)
    ) WITHOUT ROWID;

-- trigger receipt_scans_count
CREATE TRIGGER receipt_scans_count AFTER INSERT ON receipt_scans BEGIN
    INSERT INTO receipt_counts (plan_id, sku_id, lot, condition, quantity)
    VALUES (NEW.plan_id, NEW.sku_id, NEW.lot, NEW.condition, NEW.quantity)
    ON CONFLICT (plan_id, sku_id, lot, condition)
    DO UPDATE SET quantity = quantity + excluded.quantity;
    END;

-- trigger receipt_scans_no_delete
CREATE TRIGGER receipt_scans_no_delete BEFORE DELETE ON receipt_scans
    BEGIN SELECT RAISE(ABORT, 'receipt scans are append-only'); END;

-- trigger receipt_scans_no_update
CREATE TRIGGER receipt_scans_no_update BEFORE UPDATE ON receipt_scans
    BEGIN SELECT RAISE(ABORT, 'receipt scans are append-only'); END;

