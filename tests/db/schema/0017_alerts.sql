-- index alerts_first_seen
CREATE INDEX alerts_first_seen ON alerts (first_seen_at);

-- index alerts_open
CREATE UNIQUE INDEX alerts_open ON alerts (kind, subject) WHERE cleared_at IS NULL;

-- index loading_list_parcels_loaded
CREATE INDEX loading_list_parcels_loaded ON loading_list_parcels (loaded_at)
    WHERE loaded_at IS NOT NULL;

-- index movements_kind_at
CREATE INDEX movements_kind_at ON movements (kind, at);

-- index movements_sku_at
CREATE INDEX movements_sku_at ON movements (sku_id, at);

-- index print_jobs_status
CREATE INDEX print_jobs_status ON print_jobs (status, created_at);

-- table alerts
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

-- table safety_levels
CREATE TABLE safety_levels (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (customer_id, sku_id)
    ) WITHOUT ROWID;

