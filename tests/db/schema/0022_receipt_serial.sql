-- table receipt_scans
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
    , serial TEXT NOT NULL DEFAULT '');

