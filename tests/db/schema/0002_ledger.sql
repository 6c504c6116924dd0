-- index balances_customer
CREATE INDEX balances_customer ON balances (customer_id, location_id);

-- index balances_sku
CREATE INDEX balances_sku ON balances (sku_id);

-- index movements_from
CREATE INDEX movements_from ON movements (from_location_id);

-- index movements_sku
CREATE INDEX movements_sku ON movements (sku_id, lot);

-- index movements_to
CREATE INDEX movements_to ON movements (to_location_id);

-- table balances
CREATE TABLE balances (
    location_id INTEGER NOT NULL REFERENCES locations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    lot TEXT NOT NULL DEFAULT '',
    expiry TEXT NOT NULL DEFAULT '',
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (location_id, customer_id, sku_id, lot, expiry)
    ) WITHOUT ROWID;

-- table commands
CREATE TABLE commands (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    result TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
    );

-- table events
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    payload TEXT NOT NULL,
    command_key TEXT NOT NULL
    );

-- table movements
CREATE TABLE movements (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('receive', 'putaway', 'move', 'pick', 'pack', 'load', 'ship', 'adjust', 'count')),
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

-- table sqlite_sequence
CREATE TABLE sqlite_sequence(name,seq);

-- trigger balances_one_customer_per_storage
CREATE TRIGGER balances_one_customer_per_storage BEFORE INSERT ON balances
    WHEN EXISTS (
    SELECT 1 FROM balances b JOIN locations l ON l.id = b.location_id
    WHERE b.location_id = NEW.location_id AND b.customer_id != NEW.customer_id
    AND l.type IN ('storage', 'pick_face')
    )
    BEGIN SELECT RAISE(ABORT, 'LOCATION_OTHER_CUSTOMER'); END;

-- trigger movements_no_delete
CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END;

-- trigger movements_no_update
CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements
    BEGIN SELECT RAISE(ABORT, 'movements are append-only'); END;

